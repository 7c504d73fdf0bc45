"""Course paths through the notebook series: which sections, in which order, and how long each takes.

Every section heading of a notebook (``## ...`` or ``### ...``, except the opening learning goals and the
summary) carries a marker line right under it::

    ## Repeats and reliability
    *core · about 5 min · 10 min so far*

- the **tier**: ``core`` (the 90-minute path), ``extended`` (the 3 x 90-minute path adds these), ``bonus`` (only
  the full series) or ``discussion`` (the notebook's "Further questions": in the paths, the closing discussion
  of each session replaces them);
- the minutes a student needs for the section's own cells (reading, running, the exercise), not counting its
  ``###`` subsections, which carry their own;
- the running total of the full notebook up to the end of the section.

The paths themselves are :data:`daenr_lite.config.COURSE_PATHS`. :func:`plan` lays a path out session by
session with its running time; :func:`path_notebook` rewrites one notebook's markers for a path (``core · about 5
min · 20 of 90 min so far (90-minute path)``, and a one-line "skip it" for the sections outside it, whose cells
still run so that the notebook runs top to bottom); ``daenr-lite make-student --path 90min`` hands a path out
(:func:`daenr_lite.student.make_student`). :func:`check_markers` is what the tests hold every notebook to, and
``daenr-lite course --fix`` rewrites the running totals after a section's minutes change.
"""
from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import COURSE_PATHS, SECTION_TIERS, CoursePath

__all__ = ["Section", "SessionPlan", "course_path", "read_sections", "check_markers", "fix_markers", "plan",
           "format_plan", "path_notebook", "notebooks_of", "course_markdown", "write_course_doc"]

#: headings without a marker: the notebook's opening and its summary
UNMARKED = ("Learning goals", "Summary")
_HEADING = re.compile(r"^(#{2,3}) (.+)$")
_MARKER = re.compile(r"^\*(?P<tier>[a-z]+) · about (?P<minutes>\d+) min · (?P<so_far>\d+) min so far\*$")


@dataclass(frozen=True)
class Section:
    """One marked section heading: the index of its markdown cell and of the heading's line in it, ``##`` (2) or
    ``###`` (3), title, tier, its own minutes and the running total of the full notebook to its end."""

    cell: int
    line: int
    level: int
    title: str
    tier: str
    minutes: int
    so_far: int


@dataclass(frozen=True)
class SessionPlan:
    """One session of a path: ``(notebook, section)`` pairs in order, the discussion, the total minutes."""

    notebooks: tuple[str, ...]
    sections: tuple[tuple[str, Section], ...]
    discussion_minutes: int
    minutes: int


def course_path(name: str) -> CoursePath:
    """The course path ``name`` (``90min``, ``3x90``, ``full``); ``ValueError`` naming the choices otherwise."""
    if name not in COURSE_PATHS:
        raise ValueError(f"unknown course path {name!r}; choose one of {', '.join(COURSE_PATHS)}.")
    return COURSE_PATHS[name]


def _read(notebook: Any) -> Any:
    if isinstance(notebook, (str, os.PathLike)):
        import jupytext

        return jupytext.read(str(notebook))
    return notebook


def _headings(nb: Any) -> list[tuple[int, int, int, str, list[str]]]:
    """``(cell, line, level, title, the cell's lines)`` of every section heading, wherever it sits in its cell."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.split("\n")
        for number, line in enumerate(lines):
            match = _HEADING.match(line)
            if match and not match.group(2).startswith(UNMARKED):
                found.append((index, number, len(match.group(1)), match.group(2).strip(), lines))
    return found


def read_sections(notebook: Any) -> list[Section]:
    """The marked sections of ``notebook`` (an ``nbformat`` notebook or the path of a ``.py``/``.ipynb``).

    Raises ``ValueError`` naming the heading whose marker line is missing or malformed.
    """
    nb = _read(notebook)
    sections = []
    for index, number, level, title, lines in _headings(nb):
        match = _MARKER.match(lines[number + 1]) if len(lines) > number + 1 else None
        if match is None or match.group("tier") not in SECTION_TIERS:
            raise ValueError(f"section {title!r} (cell {index}) lacks its marker line, e.g. "
                             f"'*core · about 5 min · 5 min so far*' (tiers: {', '.join(SECTION_TIERS)}).")
        sections.append(Section(index, number, level, title, match.group("tier"), int(match.group("minutes")),
                                int(match.group("so_far"))))
    return sections


def check_markers(notebook: Any) -> list[str]:
    """Problems with the markers of ``notebook``: missing or malformed ones and running totals that do not add
    up. An empty list when all is right."""
    try:
        sections = read_sections(notebook)
    except ValueError as exc:
        return [str(exc)]
    problems, total = [], 0
    for section in sections:
        total += section.minutes
        if section.so_far != total:
            problems.append(f"section {section.title!r}: '{section.so_far} min so far' should be {total}; run "
                            "`daenr-lite course --fix`.")
    return problems


def fix_markers(py_path: str | os.PathLike[str]) -> bool:
    """Rewrite the running totals in the marker lines of the notebook ``py_path`` (a jupytext ``.py``) so that
    they add up; returns whether the file changed. Tiers and minutes are left as written."""
    path = Path(py_path)
    text = path.read_text(encoding="utf-8")
    out, total, pending = [], 0, False
    for line in text.split("\n"):
        body = line[2:] if line.startswith("# ") else None
        heading = _HEADING.match(body) if body is not None else None
        if heading and not heading.group(2).startswith(UNMARKED):
            pending = True
            out.append(line)
            continue
        match = _MARKER.match(body) if pending and body is not None else None
        if match:
            total += int(match.group("minutes"))
            line = f"# *{match.group('tier')} · about {match.group('minutes')} min · {total} min so far*"
        pending = False
        out.append(line)
    new = "\n".join(out)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def notebooks_of(path: CoursePath, notebooks_dir: str | os.PathLike[str]) -> list[list[Path]]:
    """The instructor ``.py`` notebooks of each session of ``path``, found in ``notebooks_dir``."""
    folder = Path(notebooks_dir)
    sessions = []
    for session in path.sessions:
        files = []
        for prefix in session:
            matches = sorted(folder.glob(f"{prefix}_*.py"))
            if len(matches) != 1:
                raise FileNotFoundError(f"no single notebook {prefix}_*.py in {folder} for the {path.name} path.")
            files.append(matches[0])
        sessions.append(files)
    return sessions


def plan(name: str, notebooks_dir: str | os.PathLike[str]) -> list[SessionPlan]:
    """The sessions of the course path ``name`` with the notebooks in ``notebooks_dir``: each session's sections
    (the tiers of the path), its closing discussion and its total minutes (the full series counts each notebook's
    own discussion section instead)."""
    path = course_path(name)
    plans = []
    for files in notebooks_of(path, notebooks_dir):
        chosen = []
        for file in files:
            chosen += [(file.stem, s) for s in read_sections(file) if s.tier in path.tiers]
        minutes = sum(s.minutes for _, s in chosen) + path.discussion_minutes
        plans.append(SessionPlan(tuple(f.stem for f in files), tuple(chosen), path.discussion_minutes, minutes))
    return plans


def format_plan(name: str, notebooks_dir: str | os.PathLike[str]) -> str:
    """``plan(name)`` as markdown: one table per session (notebook, section, tier, minutes, time so far)."""
    path = course_path(name)
    lines = [f"### `{name}`: {path.title}", ""]
    for number, session in enumerate(plan(name, notebooks_dir), 1):
        if len(path.sessions) > 1:
            lines += [f"Session {number} ({session.minutes} min): notebooks {', '.join(session.notebooks)}", ""]
        lines += ["| notebook | section | tier | min | so far |", "|---|---|---|---|---|"]
        so_far = 0
        for stem, section in session.sections:
            so_far += section.minutes
            title = ("&nbsp;&nbsp;" if section.level == 3 else "") + section.title.replace("|", "\\|")
            lines.append(f"| {stem[:2]} | {title} | {section.tier} | {section.minutes} | {so_far} |")
        if session.discussion_minutes:
            so_far += session.discussion_minutes
            lines.append(f"| | closing discussion (the session's further questions) | discussion | "
                         f"{session.discussion_minutes} | {so_far} |")
        lines += ["", f"Total: {session.minutes} min.", ""]
    return "\n".join(lines)


def _marker_line(text: str) -> str:
    return f"*{text}*"


def path_notebook(nb: Any, name: str, stem: str, notebooks_dir: str | os.PathLike[str]) -> Any:
    """A copy of the instructor notebook ``nb`` (``stem``, e.g. ``00_setup_and_data``) with its section markers
    rewritten for the course path ``name``: the path's sections show their minutes and the session's time so far
    (``core · about 5 min · 20 of 90 min so far (90-minute path)``); the others say to skip them on this path
    (their cells stay, so that the notebook still runs top to bottom); the discussion section of the session's
    last notebook carries the closing discussion. The opening cell gets a line naming the path and session."""
    path = course_path(name)
    sessions = plan(name, notebooks_dir)
    where = next(((i, s) for i, s in enumerate(sessions) if stem in s.notebooks), None)
    if where is None:
        raise ValueError(f"notebook {stem} is not on the {name} path (its sessions: "
                         f"{'; '.join(', '.join(s.notebooks) for s in sessions)}).")
    number, session = where
    limit = f" of {path.session_minutes}" if path.session_minutes else ""
    label = path.title if len(path.sessions) == 1 else f"{path.title}, session {number + 1}"
    so_far = 0
    for other, section in session.sections:
        if other == stem:
            break
        so_far += section.minutes
    out = copy.deepcopy(nb)
    on_path = {s.title for other, s in session.sections if other == stem}
    last = session.notebooks[-1] == stem
    for section in read_sections(nb):
        cell = out.cells[section.cell]
        lines = cell.source.split("\n")
        if section.title in on_path:
            so_far += section.minutes
            lines[section.line + 1] = _marker_line(f"{section.tier} · about {section.minutes} min · {so_far}{limit} min so far "
                                    f"({name} path)")
        elif section.tier == "discussion" and path.discussion_minutes:
            if last:
                lines[section.line + 1] = _marker_line(f"closing discussion · about {path.discussion_minutes} min · "
                                        f"{session.minutes}{limit} min ({name} path): pick two of the questions "
                                        f"below and the session's earlier ones")
            else:
                lines[section.line + 1] = _marker_line(f"discussion: kept for the closing discussion of this session, at the end of "
                                        f"notebook {session.notebooks[-1][:2]} ({name} path)")
        else:
            lines[section.line + 1] = _marker_line(f"{section.tier}: not on the {name} path; skip it for now (its cells still run, "
                                    "so run them and move on)")
        cell.source = "\n".join(lines)
    opening = out.cells[0]
    opening.source += (f"\n\n**Course path: {label}** (`{name}`; docs/course.md has the plan). Sections marked "
                       "'skip it' are outside this path: run their cells and move on.")
    return out


# ------------------------------------------------------------------------------- docs/course.md (generated part)
DOC_BEGIN = "<!-- generated by `daenr-lite course --write docs/course.md`: do not edit by hand -->"
DOC_END = "<!-- end of the generated part -->"
_QUESTION = re.compile(r"^(\d+)\. (.*)$")


def _learning_goals(nb: Any) -> list[str]:
    lines = nb.cells[0].source.split("\n")
    start = lines.index("## Learning goals") + 1
    goals: list[str] = []
    for line in lines[start:]:
        if line.startswith("- "):
            goals.append(line[2:])
        elif line.startswith("  ") and goals:
            goals[-1] += " " + line.strip()
        elif line.strip() == "" and goals:
            break
    return goals


def _further_questions(nb: Any) -> list[tuple[str, str]]:
    """``(question, answer)`` pairs of the notebook's "Further questions" (its ``<details>`` answers)."""
    for cell in nb.cells:
        lines = cell.source.split("\n")
        if cell.cell_type == "markdown" and "## Further questions" in lines:
            break
    else:
        return []
    pairs, question, answer, where = [], None, [], "none"
    for line in lines[lines.index("## Further questions") + 2:]:
        match = _QUESTION.match(line)
        if match:
            question, answer, where = match.group(2), [], "question"
        elif "<summary>Answer</summary>" in line:
            where = "answer"
        elif "</details>" in line and question is not None:
            pairs.append((question, " ".join(answer)))
            question, where = None, "none"
        elif line.strip() and where == "question":
            question += " " + line.strip()
        elif line.strip() and where == "answer":
            answer.append(line.strip())
    return pairs


def course_markdown(notebooks_dir: str | os.PathLike[str]) -> str:
    """The generated part of docs/course.md: every course path's plan, then per notebook its learning goals,
    sections, the mistakes its exercises' checks name, and its discussion prompts with their answers."""
    from .exercises import EXERCISES

    import jupytext

    parts = ["## The course paths", ""]
    parts += [format_plan(name, notebooks_dir) for name in COURSE_PATHS]
    parts += ["## Instructor notes, notebook by notebook", ""]
    for file in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.py")):
        nb = jupytext.read(str(file))
        title = nb.cells[0].source.split("\n")[0].lstrip("# ").strip()
        paths = [name for name, p in COURSE_PATHS.items()
                 if any(file.stem[:2] in s for s in p.sessions)
                 and any(s.tier in p.tiers for s in read_sections(nb))]
        parts += [f"### {title}", "", f"`notebooks/{file.name}`; on the paths {', '.join(f'`{p}`' for p in paths)}.",
                  "", "**Learning goals**", ""]
        parts += [f"- {goal}" for goal in _learning_goals(nb)]
        parts += ["", "**Sections** (tier, minutes)", ""]
        parts += [f"{'  ' if s.level == 3 else ''}- {s.title}: {s.tier}, {s.minutes} min" for s in read_sections(nb)]
        exercises = [e for e in EXERCISES.values() if e.notebook == file.stem[:2]]
        if exercises:
            parts += ["", "**The mistakes the checks name** (each check computes these wrong variants and says which "
                      "one the student's answer matches; a `None`, a wrong type, a wrong shape, a flipped sign or a "
                      "constant factor are named too)", ""]
            for exercise in exercises:
                parts.append(f"- `{exercise.name}`:")
                parts += [f"  - {message}" for _, message in exercise.mistakes]
        questions = _further_questions(nb)
        if questions:
            parts += ["", "**Discussion prompts, with answers** (the notebook's further questions)", ""]
            for number, (question, answer) in enumerate(questions, 1):
                parts += [f"{number}. {question}", f"   *Answer:* {answer}"]
        parts.append("")
    return "\n".join(parts)


def write_course_doc(doc: str | os.PathLike[str], notebooks_dir: str | os.PathLike[str]) -> bool:
    """Replace the generated part of ``doc`` (between :data:`DOC_BEGIN` and :data:`DOC_END`, appended when
    missing) with :func:`course_markdown`; returns whether the file changed."""
    path = Path(doc)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{DOC_BEGIN}\n\n{course_markdown(notebooks_dir)}\n{DOC_END}\n"
    if DOC_BEGIN in text and DOC_END in text:
        head, rest = text.split(DOC_BEGIN, 1)
        new = head + block + rest.split(DOC_END, 1)[1].lstrip("\n")
    else:
        new = text + ("\n" if text and not text.endswith("\n") else "") + block
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text

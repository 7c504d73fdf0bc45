"""Course paths (issue 21): every section marked with its tier and minutes, the paths' sessions adding up to
90 minutes, `make-student --path` handing one out, and docs/course.md generated from the same markers. The
90-minute path is executed by tests/test_student.py (with the unsolved student notebooks)."""
from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

from daenr_lite import cli
from daenr_lite.config import COURSE_PATHS
from daenr_lite.course import (DOC_BEGIN, DOC_END, check_markers, course_markdown, course_path, fix_markers, plan,
                               path_notebook, read_sections)
from daenr_lite.student import make_student

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = sorted(p.stem for p in NOTEBOOKS.glob("0*.py"))


@pytest.mark.parametrize("name", NAMES)
def test_every_section_is_marked_and_the_running_totals_and_the_opening_agree(name):
    source = NOTEBOOKS / f"{name}.py"
    assert check_markers(source) == []
    sections = read_sections(source)
    assert sections and sections[-1].title == "Further questions" and sections[-1].tier == "discussion"
    opening = jupytext.read(str(source)).cells[0].source
    stated = re.search(r"\*\*Time:\*\* about (\d+) minutes for the whole notebook", opening)
    assert stated and int(stated.group(1)) == sections[-1].so_far, "the opening's time is the notebook's total"
    assert "docs/course.md" in opening and "--path 90min" in opening


@pytest.mark.parametrize("path", list(COURSE_PATHS))
def test_each_session_of_a_path_adds_up(path):
    course = COURSE_PATHS[path]
    sessions = plan(path, NOTEBOOKS)
    assert len(sessions) == len(course.sessions)
    for session in sessions:
        assert session.sections, "a session with nothing in it"
        total = sum(s.minutes for _, s in session.sections) + session.discussion_minutes
        assert total == session.minutes
        if course.session_minutes is not None:
            assert session.minutes == course.session_minutes, (path, session.notebooks, session.minutes)
    assert {s.tier for ss in sessions for _, s in ss.sections} <= set(course.tiers)


def test_the_90_minute_path_has_core_sections_and_exercises_only_from_its_tier():
    (session,) = plan("90min", NOTEBOOKS)
    assert {s.tier for _, s in session.sections} == {"core"}
    assert sum("Coding exercise" in s.title for _, s in session.sections) >= 2
    assert session.discussion_minutes >= 10


def test_a_broken_marker_is_named_and_fix_rewrites_the_totals(tmp_path):
    source = tmp_path / "00_x.py"
    text = (NOTEBOOKS / "00_setup_and_data.py").read_text(encoding="utf-8")
    broken = re.sub(r"(\*core · about 5 min · )(\d+)( min so far\*)", r"\g<1>999\3", text, count=2)
    source.write_text(broken, encoding="utf-8")
    problems = check_markers(source)
    assert problems and "should be" in problems[0] and "course --fix" in problems[0]
    assert fix_markers(source) and check_markers(source) == []
    assert source.read_text(encoding="utf-8") == text
    source.write_text(text.replace("# *core · about 5 min · 5 min so far*\n", "", 1), encoding="utf-8")
    (problem,) = check_markers(source)
    assert "lacks its marker line" in problem and "The dataset" in problem


def test_path_notebook_marks_what_to_do_and_what_to_skip():
    nb = jupytext.read(str(NOTEBOOKS / "05_reproduce_the_paper.py"))
    out = path_notebook(nb, "90min", "05_reproduce_the_paper", NOTEBOOKS)
    text = "\n".join(c.source for c in out.cells if c.cell_type == "markdown")
    assert "**Course path: one 90-minute session**" in text
    assert "*core · about 15 min · 80 of 90 min so far (90min path)*" in text  # Verdicts, the last core section
    assert "closing discussion · about 10 min · 90 of 90 min" in text
    assert "*extended: not on the 90min path; skip it for now" in text
    assert [c.source for c in out.cells if c.cell_type == "code"] == [c.source for c in nb.cells if c.cell_type == "code"]
    with pytest.raises(ValueError, match="01_dae is not on the 90min path"):
        path_notebook(jupytext.read(str(NOTEBOOKS / "01_dae.py")), "90min", "01_dae", NOTEBOOKS)
    with pytest.raises(ValueError, match="unknown course path 'two-hours'; choose one of 90min, 3x90, full"):
        course_path("two-hours")


def test_make_student_path_hands_out_the_sessions_of_3x90(tmp_path):
    written = make_student(NOTEBOOKS, tmp_path, echo=None, path="3x90")
    assert sorted(p.stem for p in written if p.suffix == ".ipynb") == NAMES
    first = jupytext.read(str(tmp_path / "01_dae.ipynb"))
    text = "\n".join(c.source for c in first.cells if c.cell_type == "markdown")
    assert "three 90-minute sessions, session 1" in text and "90 of 90 min (3x90 path)" in text
    assert "bonus: not on the 3x90 path" in text  # Inside the encoder


def test_cli_make_student_path_and_course(tmp_path, capsys):
    assert cli.main(["make-student", "--notebooks", str(NOTEBOOKS), "--output", str(tmp_path), "--path", "90min"]) == 0
    assert len(list(tmp_path.glob("*.ipynb"))) == 5
    assert cli.main(["course", "90min", "--notebooks", str(NOTEBOOKS)]) == 0
    assert "Total: 90 min." in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["make-student", "--path", "45min"])


def test_docs_course_md_holds_the_generated_plans_and_notes():
    doc = (ROOT / "docs" / "course.md").read_text(encoding="utf-8")
    generated = doc.split(DOC_BEGIN, 1)[1].split(DOC_END, 1)[0].strip()
    assert generated == course_markdown(NOTEBOOKS).strip(), \
        "docs/course.md is stale: run `daenr-lite course --write docs/course.md`"
    for name in COURSE_PATHS:
        assert f"### `{name}`" in generated
    assert generated.count("**Discussion prompts, with answers**") == len(NAMES)
    assert "*Answer:*" in generated

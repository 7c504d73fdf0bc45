"""Student versions of the notebooks: solutions replaced by ``raise NotImplementedError``.

The instructor notebooks mark every solution with nbgrader's convention::

    def oracle_correlation(responses):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

so courses that grade with nbgrader can use them as they are. :func:`make_student` writes
``notebooks/student/NN_name.py`` and ``.ipynb`` with each solution body replaced by
``raise NotImplementedError("Exercise: <function name>")`` (at the marker's indentation). The check cell after
each exercise then says "not implemented yet" and the notebook goes on with daenr-lite's implementation, so a
student notebook runs to the end before any exercise is solved. ``daenr-lite make-student`` runs it; a test
keeps the committed student notebooks equal to its output.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["BEGIN", "END", "INSTALL_PLACEHOLDER", "student_source", "make_student"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
#: the install source in every notebook's "open anywhere" cell until a course sets its own
INSTALL_PLACEHOLDER = "git+https://github.com/YOUR-COURSE/daenr-lite"
_NOTEBOOK = re.compile(r"^[0-9]{2}_[A-Za-z0-9_]+\.py$")
_DEF = re.compile(r"^\s*def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def student_source(text: str) -> str:
    """``text`` (a notebook's jupytext source) with every solution block replaced.

    Raises ``ValueError`` naming the line of an unmatched or nested marker.
    """
    out: list[str] = []
    inside: tuple[int, str] | None = None
    last_def = "the code above"
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if inside is None:
            match = _DEF.match(line)
            if match:
                last_def = match.group(1)
            if stripped == BEGIN:
                indent = line[: len(line) - len(line.lstrip())]
                inside = (number, indent)
                out.append(f'{indent}raise NotImplementedError("Exercise: {last_def}")\n')
            elif stripped == END:
                raise ValueError(f"line {number}: {END} without a {BEGIN} before it.")
            else:
                out.append(line)
        elif stripped == END:
            inside = None
        elif stripped == BEGIN:
            raise ValueError(f"line {number}: {BEGIN} inside the solution block opened on line {inside[0]}.")
    if inside is not None:
        raise ValueError(f"line {inside[0]}: {BEGIN} is never closed by {END}.")
    return "".join(out)


def make_student(notebooks_dir: str | os.PathLike[str] | None = None,
                 output_dir: str | os.PathLike[str] | None = None, echo=print,
                 install_source: str | None = None) -> list[Path]:
    """Write the student version of every ``NN_name.py`` notebook (``.py`` and its ``.ipynb``, no outputs).

    notebooks_dir : the instructor notebooks (default ``./notebooks``).
    output_dir : where the student notebooks go (default ``<notebooks_dir>/student``).
    install_source : what the first cell ("open anywhere") pip-installs where daenr-lite is missing, e.g. your
        course's ``git+https://...`` address or a wheel URL (default: the placeholder, to be set by the course).
    Returns the written paths.
    """
    from .pairing import sync_notebooks

    source_dir = Path(notebooks_dir) if notebooks_dir is not None else Path.cwd() / "notebooks"
    sources = sorted(p for p in source_dir.glob("*.py") if _NOTEBOOK.match(p.name))
    if not sources:
        raise FileNotFoundError(f"no NN_name.py notebooks in {source_dir}; pass the notebooks folder.")
    target = Path(output_dir) if output_dir is not None else source_dir / "student"
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a folder; choose another --output.")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        try:
            text = student_source(source.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None
        if install_source:
            if any(c in install_source for c in "\"\n\\"):
                raise ValueError(f"install_source {install_source!r} may not contain quotes, backslashes or newlines.")
            text = text.replace(INSTALL_PLACEHOLDER, install_source)
        py = target / source.name
        py.write_text(text, encoding="utf-8")
        written.append(py)
    # the paired .ipynb files, exactly as for the instructor notebooks (outputs stripped; nothing executed)
    written += sync_notebooks(target, execute_checked=False, echo=echo)
    return written

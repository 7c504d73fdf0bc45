"""Student versions of the notebooks: exactly what ``nbgrader generate_assignment`` releases.

The instructor notebooks carry nbgrader's cell metadata (see :mod:`daenr_lite.grading`): each exercise is a
solution cell whose body is marked ::

    def oracle_correlation(responses):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

followed by an autograded test cell ``grade(check_oracle_correlation, oracle_correlation)``. :func:`make_student`
writes ``notebooks/student/NN_name.ipynb`` and its paired ``.py`` with what nbgrader's release makes of each
instructor ``.ipynb`` (:func:`daenr_lite.grading.release`: every solution region replaced by nbgrader's stub
``# YOUR CODE HERE`` / ``raise NotImplementedError()``, grade and read-only cells locked, outputs cleared,
checksums), so a course with nbgrader and one without hand out the same notebooks. The test cell after each
exercise then says "not implemented yet" and the notebook goes on with daenr-lite's implementation, so a
student notebook runs to the end before any exercise is solved. ``daenr-lite make-student`` runs it; a test
keeps the committed student notebooks equal to its output, another compares it with real nbgrader.
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Callable

from .grading import BEGIN, END, release

__all__ = ["BEGIN", "END", "INSTALL_PLACEHOLDER", "check_install_source", "student_notebook", "make_student"]

#: the install source in every notebook's "open anywhere" cell until a course sets its own
INSTALL_PLACEHOLDER = "git+https://github.com/YOUR-COURSE/daenr-lite"
_NOTEBOOK = re.compile(r"^[0-9]{2}_[A-Za-z0-9_]+\.py$")


def check_install_source(install_source: str) -> str:
    """``install_source`` if it can stand inside the install cell's string literal; else ``ValueError``.

    Refused, with one line naming the character: empty or blank text, double quotes, backslashes and every control,
    format or line/paragraph-separator character (``\\n``, ``\\r``, ``\\f``, ``\\v``, ``\\x00``, ``\\x85``,
    ``\\u2028``, ``\\u2029``, ...): each of them would end the line or the string in Python and break the
    cell of every student notebook. Plain spaces are allowed (``"daenr-lite @ https://..."``).
    """
    if not install_source.strip():
        raise ValueError("--install-source is empty; give your course's pip source, e.g. "
                         "git+https://github.com/<you>/daenr-lite or a wheel's URL.")
    if "/YOUR-COURSE/" in install_source:
        raise ValueError(f"--install-source {install_source!r} is still the placeholder; give your course's address.")
    for char in install_source:
        category = unicodedata.category(char)
        if char in "\"\\" or category[0] == "C" or category in ("Zl", "Zp"):
            name = unicodedata.name(char, "a control character")
            raise ValueError(f"--install-source {install_source!r} contains U+{ord(char):04X} ({name}); give the "
                             "address on one line without quotes, backslashes or control characters.")
    return install_source


def student_notebook(py_path: str | os.PathLike[str], install_source: str | None = None, path: str | None = None):
    """The student version (an ``nbformat`` notebook) of the instructor notebook ``py_path`` (``NN_name.py``).

    Reads the paired ``NN_name.ipynb`` (what nbgrader would be given), after checking that it is in sync with
    the ``.py``; writes ``install_source`` (see :func:`check_install_source`) into the install cell; with a
    course ``path`` (``"90min"``, ``"3x90"``: :data:`daenr_lite.config.COURSE_PATHS`) rewrites its section
    markers for that path (:func:`daenr_lite.course.path_notebook`); returns :func:`daenr_lite.grading.release`
    of it (the path's markdown is rewritten before the release, so it is what nbgrader would release of the
    path's instructor notebook). Raises ``ValueError`` naming the notebook for a drifted pair,
    a missing ``.ipynb`` or bad solution markers.
    """
    import nbformat

    from .pairing import check_pairing

    py = Path(py_path)
    ipynb = py.with_suffix(".ipynb")
    if not ipynb.exists():
        raise ValueError(f"{ipynb} is missing; run `daenr-lite sync-notebooks` to write it from {py.name}.")
    problems = check_pairing(py, ipynb)
    if problems:
        raise ValueError(f"{ipynb} is not in sync with {py.name} ({problems[0]}); run `daenr-lite sync-notebooks` "
                         "first.")
    notebook = nbformat.read(str(ipynb), as_version=4)
    if install_source is not None:
        check_install_source(install_source)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.source = cell.source.replace(INSTALL_PLACEHOLDER, install_source)
    if path is not None and path != "full":
        from .course import path_notebook

        notebook = path_notebook(notebook, path, py.stem, py.parent)
    return release(notebook, name=str(ipynb))


def make_student(notebooks_dir: str | os.PathLike[str] | None = None,
                 output_dir: str | os.PathLike[str] | None = None,
                 echo: Callable[[str], None] | None = print,
                 install_source: str | None = None, path: str | None = None) -> list[Path]:
    """Write the student version of every ``NN_name`` notebook (``.ipynb`` and its paired ``.py``).

    notebooks_dir : the instructor notebooks (default ``./notebooks``), ``.py`` and ``.ipynb`` in sync.
    output_dir : where the student notebooks go (default ``<notebooks_dir>/student``).
    install_source : what the first cell ("open anywhere") pip-installs where daenr-lite is missing, e.g. your
        course's ``git+https://...`` address or a wheel URL (default: the placeholder, which makes the cell
        stop and tell the student to ask for the address unless ``$DAENR_LITE_SOURCE`` is set).
    path : a course path (``"90min"``, ``"3x90"``; :mod:`daenr_lite.course`): only the path's notebooks, their
        section markers saying what to do and skip and the time so far (default ``None``: every notebook as it
        is, the full series); the default ``output_dir`` is then ``<notebooks_dir>/student_<path>``.
    Returns the written paths (each ``.ipynb`` followed by its ``.py``). Everything is checked before anything
    is written.
    """
    import jupytext
    import nbformat

    say = echo or (lambda _msg: None)
    if install_source is not None:
        check_install_source(install_source)
    if path is not None:
        from .course import course_path

        course = course_path(path)
    source_dir = Path(notebooks_dir) if notebooks_dir is not None else Path.cwd() / "notebooks"
    sources = sorted(p for p in source_dir.glob("*.py") if _NOTEBOOK.match(p.name))
    if not sources:
        raise FileNotFoundError(f"no NN_name.py notebooks in {source_dir}; pass the notebooks folder.")
    if path is not None:
        wanted = {prefix for session in course.sessions for prefix in session}
        sources = [p for p in sources if p.name[:2] in wanted]
    default = "student" if path is None or path == "full" else f"student_{path}"
    target = Path(output_dir) if output_dir is not None else source_dir / default
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a folder; choose another --output.")
    if target.resolve() == source_dir.resolve():
        raise ValueError(f"--output {target} is the instructor notebooks' folder; the student versions would "
                         "replace them. Choose another folder.")
    released = [(source, student_notebook(source, install_source, path)) for source in sources]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source, notebook in released:
        ipynb = target / source.with_suffix(".ipynb").name
        nbformat.write(notebook, str(ipynb))
        # the paired .py, as jupytext writes it (without the version stamps, which would change with jupytext)
        text = jupytext.writes(notebook, fmt="py:percent")
        for key in ("format_version", "jupytext_version"):
            text = re.sub(rf"(?m)^#\s+{key}: .*\n", "", text)
        py = target / source.name
        py.write_text(text, encoding="utf-8")
        written += [ipynb, py]
        say(f"wrote {ipynb} and {py.name}")
    return written

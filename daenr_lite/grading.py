"""Grading the coding exercises with nbgrader, and the student release that nbgrader would make.

The instructor notebooks carry nbgrader's cell metadata (schema 3), so a course copies them into its nbgrader
``source/<assignment>/`` folder and runs ``nbgrader generate_assignment`` / ``autograde`` /
``generate_feedback`` as they are:

- **solution cells** (``"solution": true``, grade id = the exercise's name, e.g. ``oracle_correlation``): the
  function the student writes, its body between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
- **autograded test cells** (``"grade": true``, 1 point, grade id ``check_<name>``): ``grade(check_<name>,
  <name>)``, which prints the check's friendly message and, when nbgrader runs the notebook (autograde or
  validate, ``$NBGRADER_EXECUTION`` set), raises ``AssertionError`` with that message for a wrong or missing
  answer, so the cell scores 0;
- **read-only cells** (``"locked": true``): the cells grading depends on (the imports of the checks and the
  setup) and the notebook code that follows an exercise (e.g. ``use = choose(f)``: ``f`` once it passes
  its check, else daenr-lite's implementation, saying which);
  nbgrader restores them from its database when it autogrades.

Outside nbgrader a test cell only prints its message, so a student notebook still runs to the end with every
exercise unsolved (the notebook continues with daenr-lite's implementation; :func:`choose` picks it and says
so, :func:`passed` tells whether an exercise passes).

:func:`release` makes from an instructor notebook exactly what ``nbgrader generate_assignment`` releases
(nbgrader's LockCells, ClearSolutions with its default stub, ClearOutput and ComputeChecksums), without
needing nbgrader; ``daenr-lite make-student`` writes it and a test compares it with real nbgrader's release.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import os
import re
from typing import Any, Callable

__all__ = ["BEGIN", "END", "CODE_STUB", "grade", "passed", "choose", "clear_solution_region", "release",
           "compute_checksum", "is_grade", "is_solution", "is_locked"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
#: what nbgrader's ClearSolutions puts in place of a Python solution region (its default ``code_stub``)
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
#: what it puts in place of a markdown solution (its default ``text_stub``)
TEXT_STUB = "YOUR ANSWER HERE"
# nbgrader matches the delimiters without the comment mark, anywhere in a line
_BEGIN_MARK, _END_MARK = "BEGIN SOLUTION", "END SOLUTION"

# exercise name -> (the function graded, whether it passed)
_RESULTS: dict[str, tuple[Callable[..., Any], bool]] = {}


# ------------------------------------------------------------------------------------- in the notebooks
def _exercise_name(check: Callable[..., Any], fn: Callable[..., Any]) -> str:
    name = getattr(check, "__name__", "")
    return name[len("check_"):] if name.startswith("check_") else getattr(fn, "__name__", name)


def grade(check: Callable[[Callable[..., Any]], bool], fn: Callable[..., Any]) -> None:
    """The autograded test of an exercise: ``check(fn)`` (a ``daenr_lite.exercises.check_<name>``).

    Prints the check's message (what is right or wrong). Under nbgrader (``$NBGRADER_EXECUTION`` is set while
    it autogrades or validates) a wrong or missing answer raises ``AssertionError`` carrying that message, so
    the test cell scores 0 points; elsewhere nothing is raised and the notebook goes on. Returns nothing (a
    returned value would be read by nbgrader as partial credit); :func:`passed` tells the result.
    """
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        ok = bool(check(fn))
    message = buffer.getvalue().strip()
    name = _exercise_name(check, fn)
    _RESULTS[name] = (fn, ok)
    if not ok and os.environ.get("NBGRADER_EXECUTION"):
        raise AssertionError(message or f"{name} is not right yet.")
    if message:
        print(message)


def passed(fn: Callable[..., Any]) -> bool:
    """Whether the exercise function ``fn`` (an exercise by its function name) passes its check.

    Notebook code that continues with an exercise uses the student's function only when it passed:
    ``use = spearman_brown if passed(spearman_brown) else solution("spearman_brown")``. The result of the
    latest :func:`grade` of this very function object is reused; otherwise (not graded yet, or redefined since)
    its check runs now, silently.
    """
    name = getattr(fn, "__name__", "")
    if name not in _RESULTS or _RESULTS[name][0] is not fn:
        from . import exercises

        check = getattr(exercises, f"check_{name}", None)
        if check is None:
            raise ValueError(f"{name!r} is not one of the exercises ({', '.join(sorted(exercises.EXERCISES))}).")
        with contextlib.redirect_stdout(io.StringIO()):
            _RESULTS[name] = (fn, bool(check(fn)))
    return _RESULTS[name][1]


def choose(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The function the notebook continues with: the student's ``fn`` once it passes its check, else
    daenr-lite's implementation of that exercise; prints which in one line.

    ``use = choose(spearman_brown)`` is ``spearman_brown if passed(spearman_brown) else
    solution("spearman_brown")`` plus the line "using your spearman_brown (it passes its check)" or "using
    daenr-lite's spearman_brown (yours does not pass its check yet)". ``ValueError`` if ``fn`` is not one of
    the exercises (by its function name), as :func:`passed`.
    """
    name = getattr(fn, "__name__", "")
    if passed(fn):
        print(f"using your {name} (it passes its check)")
        return fn
    from .exercises import solution

    print(f"using daenr-lite's {name} (yours does not pass its check yet)")
    return solution(name)


# ------------------------------------------------------------------------------ nbgrader's cell metadata
def _nbgrader(cell: Any) -> dict[str, Any]:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def is_grade(cell: Any) -> bool:
    """Whether ``cell`` is an nbgrader grade (autograded test or manually graded) cell."""
    return bool(_nbgrader(cell).get("grade", False))


def is_solution(cell: Any) -> bool:
    """Whether ``cell`` is an nbgrader solution cell (the student writes it)."""
    return bool(_nbgrader(cell).get("solution", False))


def is_locked(cell: Any) -> bool:
    """Whether nbgrader overwrites ``cell`` with the instructor's version when grading (as nbgrader decides)."""
    if not _nbgrader(cell) or is_solution(cell):
        return False
    return is_grade(cell) or bool(_nbgrader(cell).get("locked", False))


def compute_checksum(cell: Any) -> str:
    """nbgrader's checksum of a cell (md5 over source, type, grade/solution/locked flags, grade id, points)."""
    m = hashlib.md5()
    for part in (cell["source"], cell["cell_type"], str(is_grade(cell)), str(is_solution(cell)),
                 str(is_locked(cell)), _nbgrader(cell)["grade_id"]):
        m.update(part.encode("utf-8"))
    if is_grade(cell):
        m.update(str(float(_nbgrader(cell)["points"])).encode("utf-8"))
    return m.hexdigest()


def clear_solution_region(source: str, stub: str = CODE_STUB) -> tuple[str, bool]:
    """``source`` with each ``BEGIN SOLUTION`` ... ``END SOLUTION`` region replaced by ``stub`` at the
    indentation of its BEGIN line, as nbgrader's ClearSolutions does. Returns (new source, whether a region
    was found). Raises ``ValueError`` naming the line of a nested, unmatched or unclosed marker.
    """
    out: list[str] = []
    opened: int | None = None
    found = False
    for number, line in enumerate(source.split("\n"), start=1):
        if _BEGIN_MARK in line:
            if opened is not None:
                raise ValueError(f"line {number}: {BEGIN} inside the solution region opened on line {opened}.")
            opened, found = number, True
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + stub_line for stub_line in stub.split("\n"))
        elif _END_MARK in line:
            if opened is None:
                raise ValueError(f"line {number}: {END} without a {BEGIN} before it.")
            opened = None
        elif opened is None:
            out.append(line)
    if opened is not None:
        raise ValueError(f"line {opened}: {BEGIN} is never closed by {END}.")
    return "\n".join(out), found


def release(notebook: Any, name: str = "notebook") -> Any:
    """The student version of an instructor notebook, as ``nbgrader generate_assignment`` releases it.

    notebook : an ``nbformat`` v4 notebook carrying nbgrader cell metadata (left unchanged; a copy is returned).
    name : how errors name the notebook.

    In order, per cell, like nbgrader's preprocessors: LockCells (solution cells not deletable; grade and
    read-only cells neither deletable nor editable), ClearSolutions (solution regions -> ``CODE_STUB``; a
    solution cell without a region is replaced whole), ClearOutput, ComputeChecksums. Raises ``ValueError``
    for a solution region outside a solution cell (nbgrader refuses it too), a grade cell without points or a
    grade id used twice.
    """
    released = copy.deepcopy(notebook)
    seen: dict[str, int] = {}
    for index, cell in enumerate(released.cells):
        where = f"{name}, cell {index}"
        # LockCells
        if is_solution(cell):
            cell.metadata["deletable"] = False
        elif is_grade(cell) or is_locked(cell):
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
        # ClearSolutions
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        try:
            source, found = clear_solution_region(cell.source, stub)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if found and not is_solution(cell):
            raise ValueError(f"{where}: a {BEGIN} region in a cell that is not an nbgrader solution cell; give the "
                             'cell nbgrader={"solution": true, ...} metadata.')
        cell.source = source if found else (stub if is_solution(cell) else cell.source)
        # ClearOutput
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            for key in ("collapsed", "scrolled"):
                cell.metadata.pop(key, None)
        # ComputeChecksums
        if is_grade(cell) or is_solution(cell) or is_locked(cell):
            meta = _nbgrader(cell)
            if not meta.get("grade_id"):
                raise ValueError(f"{where}: an nbgrader cell without a grade_id.")
            if is_grade(cell) and "points" not in meta:
                raise ValueError(f"{where}: the grade cell {meta['grade_id']!r} has no points.")
            if meta["grade_id"] in seen:
                raise ValueError(f"{where}: grade id {meta['grade_id']!r} is already used by cell "
                                 f"{seen[meta['grade_id']]}; nbgrader needs each grade id once per notebook.")
            seen[meta["grade_id"]] = index
            meta["checksum"] = compute_checksum(cell)
            meta["cell_type"] = cell.cell_type
    released.metadata.pop("celltoolbar", None)
    return released

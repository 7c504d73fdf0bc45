"""The notebooks in a real nbgrader course (offline): release, autograde, feedback.

nbgrader (0.9, in the test extra) runs as a course would run it: a course folder with ``source/<assignment>/``
holding the instructor notebooks, ``nbgrader generate_assignment``, students' submissions in
``submitted/<student>/<assignment>/``, ``nbgrader autograde`` and ``nbgrader generate_feedback``.
"""
from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from daenr_lite.grading import is_solution, release
from daenr_lite.pairing import check_pairing


def _require_nbgrader() -> None:
    if importlib.util.find_spec("nbgrader") is None:
        pytest.fail("nbgrader is not installed; it is in the test extra: pip install -e '.[test]' "
                    "(or pip install 'nbgrader>=0.9,<0.10')")


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STUDENT = NOTEBOOKS / "student"
NAMES = sorted(p.stem for p in NOTEBOOKS.glob("0*.ipynb"))


def _course(root: Path, assignment: str, names: list[str]) -> Path:
    """A course folder with the instructor notebooks ``names`` as ``assignment``."""
    _require_nbgrader()
    source = root / "source" / assignment
    source.mkdir(parents=True)
    for name in names:
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", source / f"{name}.ipynb")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.Execute.timeout = 600  # seconds per cell: the notebooks load data and models\n"
    )
    return root


def _nbgrader(course: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                            env=env, timeout=1200)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _read(path: Path):
    return nbformat.read(str(path), as_version=4)


def test_nbgrader_releases_exactly_the_committed_student_notebooks(tmp_path):
    course = _course(tmp_path / "course", "series", NAMES)
    _nbgrader(course, "generate_assignment", "series")
    for name in NAMES:
        released = _read(course / "release" / "series" / f"{name}.ipynb")
        assert released == _read(STUDENT / f"{name}.ipynb"), \
            f"notebooks/student/{name}.ipynb differs from nbgrader's release; run `daenr-lite make-student`"
        assert released == release(_read(NOTEBOOKS / f"{name}.ipynb"))


def test_pairing_notices_lost_nbgrader_metadata(tmp_path):
    notebook = _read(NOTEBOOKS / "00_setup_and_data.ipynb")
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
    nbformat.write(notebook, str(tmp_path / "00.ipynb"))
    assert check_pairing(NOTEBOOKS / "00_setup_and_data.py", tmp_path / "00.ipynb")


def _submission(course: Path, student: str, released, solutions: dict[str, str]) -> None:
    """``released`` with the solution cells whose grade id is in ``solutions`` written as given."""
    notebook = copy.deepcopy(released)
    for cell in notebook.cells:
        if is_solution(cell) and cell.metadata.nbgrader["grade_id"] in solutions:
            cell.source = solutions[cell.metadata.nbgrader["grade_id"]]
    folder = course / "submitted" / student / "ps00"
    folder.mkdir(parents=True)
    nbformat.write(notebook, str(folder / "00_setup_and_data.ipynb"))


@pytest.mark.slow
def test_autograde_gives_0_points_unsolved_full_points_solved_and_feedback_with_the_checks_message(tmp_path):
    course = _course(tmp_path / "course", "ps00", ["00_setup_and_data"])
    from nbgrader.api import Gradebook

    _nbgrader(course, "generate_assignment", "ps00")
    released = _read(course / "release" / "ps00" / "00_setup_and_data.ipynb")
    instructor = {c.metadata.nbgrader["grade_id"]: c.source
                  for c in _read(NOTEBOOKS / "00_setup_and_data.ipynb").cells if is_solution(c)}
    assert sorted(instructor) == ["oracle_correlation", "spearman_brown"]
    _submission(course, "unsolved", released, {})
    _submission(course, "solved", released, instructor)
    # one wrong answer (a known mistake: the mean of the other repeats includes the trial itself)
    wrong = instructor["oracle_correlation"].replace("others = (total - responses[k]) / (n_repeats - 1)",
                                                     "others = total / n_repeats")
    assert wrong != instructor["oracle_correlation"]
    _submission(course, "one_wrong", released, {**instructor, "oracle_correlation": wrong})

    env = {**os.environ, "DAENR_MODE": "pretrained", "DAENR_OUTPUT_DIR": str(tmp_path / "outputs"),
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    _nbgrader(course, "autograde", "ps00", env=env)
    gradebook = Gradebook(f"sqlite:///{course / 'gradebook.db'}")
    try:
        scores = {s: (gradebook.find_submission("ps00", s).score, gradebook.find_submission("ps00", s).max_score)
                  for s in ("unsolved", "solved", "one_wrong")}
        graded = {g.name: g.score for g in gradebook.find_submission_notebook("00_setup_and_data", "ps00",
                                                                              "one_wrong").grades}
    finally:
        gradebook.close()
    assert scores == {"unsolved": (0.0, 2.0), "solved": (2.0, 2.0), "one_wrong": (1.0, 2.0)}
    assert graded == {"check_oracle_correlation": 0.0, "check_spearman_brown": 1.0}

    # a student's "Validate": the unsolved notebook is told what fails, the solved one passes
    unsolved = subprocess.run([sys.executable, "-m", "nbgrader", "validate",
                               str(course / "submitted" / "unsolved" / "ps00" / "00_setup_and_data.ipynb")],
                              cwd=course, capture_output=True, text=True, env=env, timeout=1200)
    assert "VALIDATION FAILED" in unsolved.stdout and "oracle_correlation: not implemented yet" in unsolved.stdout
    solved = _nbgrader(course, "validate", str(course / "submitted" / "solved" / "ps00" / "00_setup_and_data.ipynb"),
                       env=env)
    assert "Success! Your notebook passes all the tests." in solved.stdout, solved.stdout[-2000:]

    _nbgrader(course, "generate_feedback", "ps00")
    feedback = {s: (course / "feedback" / s / "ps00" / "00_setup_and_data.html").read_text(encoding="utf-8")
                for s in ("unsolved", "solved", "one_wrong")}
    assert "Score: 0.0 / 2.0" in feedback["unsolved"] and "not implemented yet" in feedback["unsolved"]
    assert "Score: 2.0 / 2.0" in feedback["solved"] and "AssertionError" not in feedback["solved"]
    # the check's own words reach the student
    assert "Score: 1.0 / 2.0" in feedback["one_wrong"] and "trial itself" in feedback["one_wrong"]


def test_grade_prints_the_checks_message_and_raises_it_only_under_nbgrader(monkeypatch, capsys):
    from daenr_lite.exercises import check_spearman_brown, solution
    from daenr_lite.grading import grade, passed

    def spearman_brown(r, factor):
        raise NotImplementedError()

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert grade(check_spearman_brown, spearman_brown) is None  # no value: nbgrader would read it as credit
    assert "spearman_brown: not implemented yet" in capsys.readouterr().out
    assert passed(spearman_brown) is False
    for execution in ("autograde", "validate"):
        monkeypatch.setenv("NBGRADER_EXECUTION", execution)
        with pytest.raises(AssertionError, match="spearman_brown: not implemented yet"):
            grade(check_spearman_brown, spearman_brown)
    reference = solution("spearman_brown")

    def spearman_brown(r, factor):  # the student solved it
        return reference(r, factor)

    assert passed(spearman_brown) is True, "a redefined function is checked again"
    grade(check_spearman_brown, spearman_brown)
    assert "✓ spearman_brown" in capsys.readouterr().out and passed(spearman_brown) is True


def test_passed_runs_an_ungraded_check_silently_and_names_unknown_exercises(capsys):
    from daenr_lite.exercises import solution
    from daenr_lite.grading import passed

    reference = solution("linear_cka")

    def linear_cka(x, y):
        return reference(x, y)

    def not_an_exercise(x):
        return x

    assert passed(linear_cka) is True and capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="'not_an_exercise' is not one of the exercises"):
        passed(not_an_exercise)


def test_choose_returns_the_students_function_once_it_passes_else_daenr_lites_and_says_which(capsys):
    from daenr_lite.exercises import solution
    from daenr_lite.grading import choose

    def spearman_brown(r, factor):
        raise NotImplementedError()

    assert choose(spearman_brown) is solution("spearman_brown")
    assert capsys.readouterr().out == "using daenr-lite's spearman_brown (yours does not pass its check yet)\n"

    def spearman_brown(r, factor):  # a known mistake: the denominator is missing
        return factor * r

    assert choose(spearman_brown) is solution("spearman_brown")
    assert "daenr-lite's spearman_brown" in capsys.readouterr().out

    def spearman_brown(r, factor):  # right
        return factor * r / (1 + (factor - 1) * r)

    assert choose(spearman_brown) is spearman_brown
    out = capsys.readouterr().out
    assert out == "using your spearman_brown (it passes its check)\n", out
    assert "not implemented yet" not in out and "✓" not in out  # the student-notebook test counts those

    def not_an_exercise(x):
        return x

    with pytest.raises(ValueError, match="'not_an_exercise' is not one of the exercises"):
        choose(not_an_exercise)


def test_release_refuses_what_nbgrader_would_refuse():
    notebook = _read(NOTEBOOKS / "00_setup_and_data.ipynb")
    graded = [c for c in notebook.cells if "nbgrader" in c.metadata and c.metadata.nbgrader["grade"]]
    broken = copy.deepcopy(notebook)
    next(c for c in broken.cells if c.metadata.get("nbgrader", {}).get("grade")).metadata.nbgrader.pop("points")
    with pytest.raises(ValueError, match="the grade cell 'check_oracle_correlation' has no points"):
        release(broken, "00")
    twice = copy.deepcopy(notebook)
    cells = [c for c in twice.cells if c.metadata.get("nbgrader", {}).get("grade")]
    cells[1].metadata.nbgrader["grade_id"] = cells[0].metadata.nbgrader["grade_id"]
    with pytest.raises(ValueError, match="grade id 'check_oracle_correlation' is already used by cell"):
        release(twice, "00")
    assert len(graded) == 2  # the test above broke real grade cells

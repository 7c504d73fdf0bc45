"""Student notebooks: generated from the instructor notebooks by `daenr-lite make-student`, committed, and they
run to the end with every exercise unsolved."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from daenr_lite import cli
from daenr_lite.pairing import check_pairing
from daenr_lite.runner import run_notebooks
from daenr_lite.student import BEGIN, END, student_source

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STUDENT = NOTEBOOKS / "student"
NAMES = sorted(p.stem for p in NOTEBOOKS.glob("0*.py"))


def test_solution_blocks_become_not_implemented_errors():
    source = ("def f(x):\n    \"\"\"doc\"\"\"\n    " + BEGIN + "\n    y = x + 1\n    return y\n    " + END +
              "\n\n\nprint(f)\n")
    assert student_source(source) == ('def f(x):\n    """doc"""\n    raise NotImplementedError("Exercise: f")\n\n\n'
                                      "print(f)\n")
    with pytest.raises(ValueError, match="line 1: ### BEGIN SOLUTION is never closed"):
        student_source(BEGIN + "\nx = 1\n")
    with pytest.raises(ValueError, match="line 2: ### END SOLUTION without"):
        student_source("x = 1\n" + END + "\n")


def test_committed_student_notebooks_equal_make_student_output(tmp_path):
    assert cli.main(["make-student", "--notebooks", str(NOTEBOOKS), "--output", str(tmp_path)]) == 0
    for name in NAMES:
        fresh = (tmp_path / f"{name}.py").read_text()
        committed = STUDENT / f"{name}.py"
        assert committed.exists() and committed.read_text() == fresh, \
            f"notebooks/student/{name}.py is out of date; run `daenr-lite make-student`"
        assert check_pairing(committed, STUDENT / f"{name}.ipynb") == [], f"student {name}.ipynb drifted"
        assert BEGIN not in fresh and "### BEGIN" not in fresh


def test_every_exercise_has_a_check_and_the_series_has_twelve():
    total = 0
    for name in NAMES:
        text = (NOTEBOOKS / f"{name}.py").read_text()
        n_blocks = text.count(BEGIN)
        assert n_blocks == text.count(END) and n_blocks >= 1, name
        for function in set(re.findall(r'raise NotImplementedError\("Exercise: (\w+)"\)', student_source(text))):
            assert f"check_{function}({function})" in text, f"{name}: exercise {function} has no check cell"
        total += n_blocks
    assert total >= 12


@pytest.mark.slow
def test_student_notebooks_run_to_the_end_unsolved(tmp_path):
    series = run_notebooks(mode="pretrained", output_dir=tmp_path, notebooks_dir=STUDENT, html=False,
                           stop_on_error=False, progress=False)
    failed = [r.failure.describe() for r in series.notebooks if r.failure is not None]
    assert not failed, "\n".join(failed)
    for result in series.notebooks:
        cells = json.loads(Path(result.executed).read_text())["cells"]
        text = "".join("".join(o.get("text", "")) for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))
        n_exercises = (STUDENT / f"{result.name}.py").read_text().count('raise NotImplementedError("Exercise:')
        assert text.count("not implemented yet") == n_exercises, result.name
        assert "✓" not in text and "✗" not in text, result.name


def test_the_open_anywhere_cell_does_nothing_where_daenr_lite_is_installed(monkeypatch):
    import subprocess

    import jupytext

    def no_install(*args, **kwargs):
        raise AssertionError("the open-anywhere cell tried to install daenr-lite although it is installed")

    monkeypatch.setattr(subprocess, "run", no_install)
    for name in NAMES:
        first_code = next(c for c in jupytext.read(str(NOTEBOOKS / f"{name}.py")).cells if c.cell_type == "code")
        assert 'find_spec("daenr_lite")' in first_code.source, f"{name}: the first code cell is the install cell"
        exec(compile(first_code.source, name, "exec"), {})


def test_make_student_sets_the_install_source(tmp_path):
    from daenr_lite.student import INSTALL_PLACEHOLDER, make_student

    make_student(NOTEBOOKS, tmp_path, echo=None, install_source="git+https://example.org/course/daenr-lite@v1")
    text = (tmp_path / "00_setup_and_data.py").read_text()
    assert "git+https://example.org/course/daenr-lite@v1" in text and INSTALL_PLACEHOLDER not in text
    with pytest.raises(ValueError, match="may not contain quotes"):
        make_student(NOTEBOOKS, tmp_path, echo=None, install_source='x"; import os')

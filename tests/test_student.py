"""Student notebooks: generated from the instructor notebooks by `daenr-lite make-student`, committed, and they
run to the end with every exercise unsolved."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from daenr_lite import cli
from daenr_lite.exercises import EXERCISES
from daenr_lite.grading import BEGIN, CODE_STUB, END, is_grade, is_locked, is_solution
from daenr_lite.pairing import check_pairing
from daenr_lite.runner import run_notebooks
from daenr_lite.student import INSTALL_PLACEHOLDER, check_install_source, make_student, student_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STUDENT = NOTEBOOKS / "student"
NAMES = sorted(p.stem for p in NOTEBOOKS.glob("0*.py"))


def _cells(path):
    return nbformat.read(str(path), as_version=4).cells


def test_solution_regions_become_nbgraders_stub_and_bad_markers_are_named(tmp_path):
    import jupytext

    solution = ('# %% nbgrader={"grade": false, "grade_id": "f", "locked": false, "schema_version": 3, '
                '"solution": true, "task": false}\n')
    source = solution + ("def f(x):\n    \"\"\"doc\"\"\"\n    " + BEGIN + "\n    y = x + 1\n    return y\n    " + END +
                         "\n\n\n# %%\nprint(f)\n")
    jupytext.write(jupytext.reads(source, "py:percent"), str(tmp_path / "00_x.ipynb"))
    (tmp_path / "00_x.py").write_text(source)
    cells = student_notebook(tmp_path / "00_x.py").cells
    assert cells[0].source == 'def f(x):\n    """doc"""\n    ' + CODE_STUB.replace("\n", "\n    ")
    assert cells[1].source == "print(f)" and cells[0].metadata.deletable is False
    for bad, message in [(BEGIN + "\nx = 1", "line 1: ### BEGIN SOLUTION is never closed"),
                         ("x = 1\n" + END, "line 2: ### END SOLUTION without"),
                         (BEGIN + "\n" + BEGIN + "\n" + END, "line 2: ### BEGIN SOLUTION inside")]:
        text = solution + bad + "\n"
        jupytext.write(jupytext.reads(text, "py:percent"), str(tmp_path / "00_x.ipynb"))
        (tmp_path / "00_x.py").write_text(text)
        with pytest.raises(ValueError, match=message):
            student_notebook(tmp_path / "00_x.py")
    # a solution region outside a solution cell would be handed out solved by accident: nbgrader refuses it too
    text = "# %%\n" + BEGIN + "\nx = 1\n" + END + "\n"
    jupytext.write(jupytext.reads(text, "py:percent"), str(tmp_path / "00_x.ipynb"))
    (tmp_path / "00_x.py").write_text(text)
    with pytest.raises(ValueError, match="cell 0: a ### BEGIN SOLUTION region in a cell that is not an nbgrader"):
        student_notebook(tmp_path / "00_x.py")


def test_make_student_refuses_a_drifted_pair(tmp_path):
    for suffix in (".py", ".ipynb"):
        (tmp_path / f"00_setup_and_data{suffix}").write_bytes((NOTEBOOKS / f"00_setup_and_data{suffix}").read_bytes())
    py = tmp_path / "00_setup_and_data.py"
    py.write_text(py.read_text().replace('"grade_id": "check_oracle_correlation", "locked": true, "points": 1',
                                         '"grade_id": "check_oracle_correlation", "locked": true, "points": 2'))
    with pytest.raises(ValueError, match="is not in sync with 00_setup_and_data.py .*sync-notebooks"):
        make_student(tmp_path, tmp_path / "out", echo=None)
    assert not (tmp_path / "out").exists()


def test_committed_student_notebooks_equal_make_student_output(tmp_path):
    assert cli.main(["make-student", "--notebooks", str(NOTEBOOKS), "--output", str(tmp_path)]) == 0
    for name in NAMES:
        for suffix in (".py", ".ipynb"):
            committed = STUDENT / f"{name}{suffix}"
            assert committed.exists() and committed.read_text() == (tmp_path / f"{name}{suffix}").read_text(), \
                f"notebooks/student/{name}{suffix} is out of date; run `daenr-lite make-student`"
        assert check_pairing(STUDENT / f"{name}.py", STUDENT / f"{name}.ipynb") == [], f"student {name}.ipynb drifted"
        fresh = (tmp_path / f"{name}.py").read_text()
        assert "BEGIN SOLUTION" not in fresh and "END SOLUTION" not in fresh


def test_every_exercise_is_a_solution_cell_followed_by_its_graded_check_and_the_series_has_twelve():
    seen = []
    for name in NAMES:
        cells = _cells(NOTEBOOKS / f"{name}.ipynb")
        ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
        assert len(ids) == len(set(ids)), f"{name}: grade ids are not unique"
        assert any(is_locked(c) and "from daenr_lite.grading import" in c.source for c in cells), \
            f"{name}: the cell importing the checks is not read-only"
        for index, cell in enumerate(cells):
            if BEGIN in cell.source:
                assert is_solution(cell), f"{name} cell {index}: a solution region outside a solution cell"
            if not is_solution(cell):
                continue
            exercise = cell.metadata["nbgrader"]["grade_id"]
            assert exercise in EXERCISES and f"def {exercise}(" in cell.source, (name, exercise)
            # nothing but the exercise in a student-editable cell
            assert "check_" not in cell.source and "\nuse" not in cell.source, f"{name}: {exercise}'s cell has more"
            test = cells[index + 1]
            assert is_grade(test) and test.metadata["nbgrader"]["points"] == 1, (name, exercise)
            assert test.metadata["nbgrader"]["grade_id"] == f"check_{exercise}"
            assert test.source == f"grade(check_{exercise}, {exercise})", (name, exercise)
            seen.append(exercise)
    assert sorted(seen) == sorted(EXERCISES) and len(seen) >= 12


@pytest.mark.slow
def test_student_notebooks_and_the_90_minute_path_run_to_the_end_unsolved(tmp_path):
    # the 90-minute path's notebooks (make-student --path 90min) differ from the full student notebooks only in
    # their markdown (asserted here), so running the path's notebooks and the full series' others covers both
    path_dir = tmp_path / "student_90min"
    make_student(NOTEBOOKS, path_dir, echo=None, path="90min")
    on_path = sorted(p.stem for p in path_dir.glob("*.ipynb"))
    assert on_path == [n for n in NAMES if n[:2] in ("00", "02", "03", "04", "05")]
    for name in on_path:
        ours, full = _cells(path_dir / f"{name}.ipynb"), _cells(STUDENT / f"{name}.ipynb")
        assert [(c.cell_type, c.source) for c in ours if c.cell_type == "code"] == \
            [(c.cell_type, c.source) for c in full if c.cell_type == "code"], name
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    for name in NAMES:
        source = path_dir if name in on_path else STUDENT
        (run_dir / f"{name}.ipynb").write_bytes((source / f"{name}.ipynb").read_bytes())
    series = run_notebooks(mode="pretrained", output_dir=tmp_path / "out", notebooks_dir=run_dir, html=False,
                           stop_on_error=False, progress=False)
    assert sorted(r.name for r in series.notebooks) == NAMES
    failed = [r.failure.describe() for r in series.notebooks if r.failure is not None]
    assert not failed, "\n".join(failed)
    for result in series.notebooks:
        cells = json.loads(Path(result.executed).read_text())["cells"]
        text = "".join("".join(o.get("text", "")) for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))
        n_exercises = sum(is_solution(c) for c in _cells(run_dir / f"{result.name}.ipynb"))
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
    make_student(NOTEBOOKS, tmp_path, echo=None, install_source="git+https://example.org/course/daenr-lite@v1")
    text = (tmp_path / "00_setup_and_data.py").read_text()
    assert "git+https://example.org/course/daenr-lite@v1" in text and INSTALL_PLACEHOLDER not in text
    assert check_install_source("daenr-lite @ https://example.org/daenr_lite-0.5-py3-none-any.whl")


@pytest.mark.parametrize("bad", ["\r", "\n", "\u2028", "\u2029", "\f", "\v", "\x00", "\x85", "\u200b", '"', "\\"])
def test_install_source_with_a_character_that_breaks_the_cell_is_refused_in_one_line(tmp_path, capsys, bad):
    out = tmp_path / "student"
    source = f"git+https://example.org/course/daenr-lite{bad}@v1"
    assert cli.main(["make-student", "--notebooks", str(NOTEBOOKS), "--output", str(out), "--install-source",
                     source]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --install-source") and err.count("\n") == 1, err
    assert f"U+{ord(bad):04X}" in err and "one line" in err
    assert not out.exists(), "nothing may be written"
    with pytest.raises(ValueError, match="is empty"):
        check_install_source("  ")
    with pytest.raises(ValueError, match="is still the placeholder"):
        check_install_source(INSTALL_PLACEHOLDER)


def _install_cell(path) -> str:
    return next(c for c in _cells(path) if c.cell_type == "code").source


def _fake_wheel(folder: Path, marker: str) -> Path:
    """A tiny wheel named daenr_lite whose package says ``marker``: pip installs it offline, in a second."""
    import base64
    import hashlib
    import zipfile

    files = {"daenr_lite/__init__.py": f"MARKER = {marker!r}\n",
             "daenr_lite-0.0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: daenr-lite\nVersion: 0.0.1\n",
             "daenr_lite-0.0.1.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                                 "Tag: py3-none-any\n"}
    record = [f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
              f"{len(text.encode())}" for name, text in files.items()]
    files["daenr_lite-0.0.1.dist-info/RECORD"] = "\n".join(record + ["daenr_lite-0.0.1.dist-info/RECORD,,"]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "daenr_lite-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def test_the_install_cell_in_a_bare_venv_asks_for_the_address_or_installs_from_daenr_lite_source(tmp_path):
    """The first cell of the committed student notebook, run by a python without daenr-lite (a fresh venv): with
    the placeholder it stops with one line; $DAENR_LITE_SOURCE (or the address make-student wrote) is installed."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DAENR_LITE_SOURCE", "VIRTUAL_ENV")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")  # offline: only the local wheels
    placeholder_cell = _install_cell(STUDENT / "00_setup_and_data.ipynb")
    assert INSTALL_PLACEHOLDER in placeholder_cell

    def run(cell: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(python), "-c", cell], env={**env, **extra}, capture_output=True, text=True,
                              cwd=tmp_path, timeout=300)

    def marker() -> str:
        return subprocess.run([str(python), "-c", "import daenr_lite; print(daenr_lite.MARKER)"], env=env,
                              capture_output=True, text=True, cwd=tmp_path).stdout.strip()

    stopped = run(placeholder_cell)
    last = stopped.stderr.strip().splitlines()[-1]
    assert stopped.returncode != 0 and last.startswith("CourseSetupError: daenr-lite is not installed"), stopped.stderr
    assert "ask your instructor" in last and "DAENR_LITE_SOURCE" in last and "make-student --install-source" in last
    assert marker() == "", "nothing may be installed from the placeholder"

    # the instructor wrote the course's address into the notebooks
    course = _fake_wheel(tmp_path / "course", "from make-student")
    make_student(NOTEBOOKS, tmp_path / "student", echo=None, install_source=str(course))
    written = run(_install_cell(tmp_path / "student" / "00_setup_and_data.ipynb"))
    assert written.returncode == 0, written.stderr
    assert marker() == "from make-student"
    subprocess.run([str(python), "-m", "pip", "uninstall", "-q", "-y", "daenr-lite"], env=env, check=True)

    # $DAENR_LITE_SOURCE wins over both the placeholder and a written address
    own = _fake_wheel(tmp_path / "own", "from the environment")
    assert run(placeholder_cell, DAENR_LITE_SOURCE=str(own)).returncode == 0
    assert marker() == "from the environment"
    # installed now: the cell does nothing, whatever the address
    assert run(placeholder_cell).returncode == 0

    failing = run(_install_cell(tmp_path / "student" / "00_setup_and_data.ipynb").replace(
        "find_spec(\"daenr_lite\")", "find_spec(\"not_installed_here\")"), DAENR_LITE_SOURCE=str(tmp_path / "nosuch.whl"))
    assert failing.returncode != 0
    assert failing.stderr.strip().splitlines()[-1].startswith("CourseSetupError: pip could not install daenr-lite from")


def test_the_install_cells_message_is_one_line_in_jupyter(monkeypatch):
    """IPython renders an exception through its _render_traceback_: the placeholder's stop is one line."""
    import importlib.util

    monkeypatch.delenv("DAENR_LITE_SOURCE", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None)
    with pytest.raises(Exception) as caught:
        exec(compile(_install_cell(STUDENT / "00_setup_and_data.ipynb"), "install", "exec"), {})
    lines = caught.value._render_traceback_()
    assert len(lines) == 1 and "\n" not in lines[0] and lines[0].startswith("CourseSetupError: ")


@pytest.mark.parametrize("source", ["daenr-lite @ https://example.org/a b/daenr_lite-0.5-py3-none-any.whl",
                                    "git+https://例え.jp/daenr-lite", "https://example.org/{x}/#frag'q%20",
                                    "/home/me/daenr_lite-0.5-py3-none-any.whl"])
def test_every_accepted_install_source_leaves_a_cell_that_compiles_and_holds_it(source, monkeypatch):
    cell = next(c for c in student_notebook(NOTEBOOKS / "00_setup_and_data.py", source).cells if c.cell_type == "code")
    namespace: dict = {}
    # as where daenr-lite is missing, without running pip
    code = compile(cell.source.replace('importlib.util.find_spec("daenr_lite") is None', "True").replace(
        "if subprocess.run(", "if False and subprocess.run("), "install", "exec")
    monkeypatch.delenv("DAENR_LITE_SOURCE", raising=False)
    exec(code, namespace)
    assert namespace["DAENR_LITE_SOURCE"] == source

"""The notebooks ship with the package (issue 22, item 2): `daenr-lite notebooks DEST [--student]` copies
them out without overwriting anything, and a wheel built from the sdist, installed in a fresh venv, runs
notebook 00 from an empty folder."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from daenr_lite import cli
from daenr_lite.bundled import bundled_notebooks_dir, copy_notebooks

REPO = Path(__file__).resolve().parents[1]
SERIES = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


# ------------------------------------------------------------------------------------------ copying out
@pytest.mark.parametrize("student", [False, True])
def test_notebooks_copies_the_series_and_its_pairs(tmp_path, capsys, student):
    assert cli.main(["notebooks", str(tmp_path / "mine")] + (["--student"] if student else [])) == 0
    source = bundled_notebooks_dir(student)
    names = sorted(p.name for p in (tmp_path / "mine").iterdir())
    assert [n for n in names if n.endswith(".ipynb")] == SERIES and "jupytext.toml" in names
    assert len([n for n in names if n.endswith(".py")]) == len(SERIES)
    for name in SERIES:
        assert (tmp_path / "mine" / name).read_bytes() == (source / name).read_bytes()
    assert "copied 13 file(s)" in capsys.readouterr().out
    assert copy_notebooks(tmp_path / "mine", student=student, echo=None) == []  # identical: nothing to do


def test_notebooks_never_overwrites_a_students_work(tmp_path, capsys):
    dest = tmp_path / "course"
    dest.mkdir()
    (dest / SERIES[0]).write_text("my solutions")
    assert cli.main(["notebooks", str(dest), "--student"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"already holds a different {SERIES[0]}" in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in dest.iterdir()) == [SERIES[0]] and (dest / SERIES[0]).read_text() == "my solutions"
    (tmp_path / "file").write_text("x")
    assert cli.main(["notebooks", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ the wheel
def _source_tree(into: Path) -> Path:
    """A copy of the checkout without environments, build outputs or caches (never builds in the checkout)."""
    skip = {".venv", "venv", ".git", "build", "dist", "runs", "test-artifacts", "__pycache__", ".pytest_cache",
            ".ipynb_checkpoints", ".whl", ".gl"}
    return Path(shutil.copytree(REPO, into, ignore=lambda _d, names: [
        n for n in names if n in skip or n.endswith((".egg-info", ".pyc"))]))


def _run(args, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kw)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.slow
def test_a_wheel_built_from_the_sdist_runs_notebook_00_in_a_fresh_venv(tmp_path):
    """sdist (setuptools' PEP 517 backend) -> wheel (pip, offline) -> fresh venv -> `run-notebooks --only 00`.

    The test must not download, so the fresh venv borrows the dependencies (torch, numpy, papermill, ...)
    from this test environment through a ``.pth`` line placed after its own site-packages; daenr-lite
    itself, its notebooks, the zoo and the ``daenr-lite`` script come only from the wheel (checked).
    """
    src = _source_tree(tmp_path / "src")
    sdist_name = _run([sys.executable, "-c", "from setuptools import build_meta as b; print(b.build_sdist('dist'))"],
                      cwd=src).stdout.strip().splitlines()[-1]
    with tarfile.open(src / "dist" / sdist_name) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
        tar.extractall(tmp_path / "sdist", filter="data")
    for needed in ("setup.py", "conftest.py", "tests/e2e/conftest.py", "tests/test_notebooks.py", "docs/guide.md",
                   "notebooks/00_setup_and_data.ipynb", "notebooks/student/00_setup_and_data.ipynb",
                   "daenr_lite/zoo/shipped/manifest.json", ".ci/run"):
        assert needed in members, f"the sdist lacks {needed}"
    unpacked = tmp_path / "sdist" / sdist_name.removesuffix(".tar.gz")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", tmp_path / "wheels", unpacked])
    (wheel,) = (tmp_path / "wheels").glob("daenr_lite-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {"daenr_lite"}
    for name in SERIES:
        assert f"daenr_lite/_notebooks/{name}" in names and f"daenr_lite/_notebooks/student/{name}" in names
        assert f"daenr_lite/_notebooks/{name[:-6]}.py" in names
    assert "daenr_lite/download/antolik2016_checksums.txt" in names and "daenr_lite/_notebooks/jupytext.toml" in names
    assert "Project-URL: Paper, https://arxiv.org/abs/2111.15309" in metadata and "Classifier: " in metadata

    venv = tmp_path / "fresh"
    _run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "zz_borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel])
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "DAENR_", "VIRTUAL_ENV"))}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", JUPYTER_DATA_DIR=str(tmp_path / "jupyter"),
               JUPYTER_PATH=str(venv / "share" / "jupyter"), DAENR_DATA_DIR=str(tmp_path / "data"),
               DAENR_MODEL_CACHE=str(tmp_path / "cache"), DAENR_THREADS="1", OMP_NUM_THREADS="1",
               MPLBACKEND="Agg")
    _run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], cwd=empty, env=env)
    where = _run([python, "-c", "import daenr_lite, daenr_lite.bundled as b; print(daenr_lite.__file__); "
                  "print(b.bundled_notebooks_dir())"], cwd=empty, env=env).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where
    assert "No module named 'data_download'" in subprocess.run(
        [python, "-c", "import data_download"], capture_output=True, text=True, cwd=empty, env=env).stderr
    daenr = venv / "bin" / "daenr-lite"
    assert _run([daenr, "--version"], cwd=empty, env=env).stdout.strip() == "daenr-lite 0.1.0"

    _run([daenr, "run-notebooks", "--only", "00", "--output", "run", "--no-html"], cwd=empty, env=env)
    summary = json.loads((empty / "run" / "summary.json").read_text())
    assert summary["ok"] and [n["name"] for n in summary["notebooks"]] == ["00_setup_and_data"]
    assert (empty / "run" / "00_setup_and_data.ipynb").is_file()
    ledger = json.loads((empty / "run" / ".daenr-run-files.json").read_text())["files"]
    assert any(name.startswith("figures/00_") for name in ledger)  # the notebook's figures: the run's own
    _run([daenr, "run-notebooks", "--only", "00", "--output", "run", "--no-html"], cwd=empty, env=env)  # reusable
    _run([daenr, "notebooks", "course", "--student"], cwd=empty, env=env)
    _run([daenr, "make-student", "--install-source", "daenr-lite @ https://example.org/daenr_lite.whl"],
         cwd=empty, env=env)
    assert sorted(p.name for p in (empty / "student").glob("*.ipynb")) == SERIES
    assert sorted(p.name for p in (empty / "course").glob("*.ipynb")) == SERIES
    assert sorted(p.name for p in empty.iterdir()) == ["course", "run", "student"]

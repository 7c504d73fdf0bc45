"""The `daenr-lite` command line and the notebook runner behind it.

Most tests use tiny throw-away notebooks (fast, independent of the models); one runs the real
00 notebook end to end through the CLI.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from daenr_lite import cli
from daenr_lite.notebook_utils import load_metrics, metrics_path, record_metrics
from daenr_lite.pairing import check_pairing, strip_outputs, sync_notebooks
from daenr_lite.runner import list_notebooks, run_notebooks

REPO = Path(__file__).resolve().parents[1]

PARAMETERS = """import os
MODE = None
SEED = 0
DEVICE = "auto"
DATASET = "simulated"
REGION = 1
OUTPUT_DIR = os.environ.get("DAENR_OUTPUT_DIR", "outputs")"""


def _write_notebook(folder: Path, name: str, code_cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}"), params]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in code_cells]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def tiny_notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "nbs"
    folder.mkdir()
    _write_notebook(folder, "00_ok", [
        "from daenr_lite.notebook_utils import record_metrics\n"
        "from daenr_lite.config import parse_mode\n"
        "record_metrics(OUTPUT_DIR, '00', seed=SEED, region=REGION, mode=parse_mode(MODE), dataset=DATASET)",
        "print('hello')",
    ])
    _write_notebook(folder, "01_broken", [
        "x = 1",
        "# this cell divides by zero on purpose\ny = x / 0\nprint(y)",
        "print('never reached')",
    ])
    _write_notebook(folder, "02_after", ["from daenr_lite.notebook_utils import record_metrics\n"
                                         "record_metrics(OUTPUT_DIR, '02', ran=True)"])
    return folder


def test_parser_rejects_bad_only_list(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run-notebooks", "--only", "zero"])
    assert "--only expects notebook numbers" in capsys.readouterr().err


def test_parameters_are_injected_and_summary_written(tiny_notebooks, tmp_path):
    out = tmp_path / "run"
    series = run_notebooks(notebooks_dir=tiny_notebooks, output_dir=out, only=["00"], seed=7, region=3,
                           mode="quick", progress=False)
    assert series.ok
    assert (out / "00_ok.ipynb").exists() and (out / "00_ok.html").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is True
    metrics = summary["notebooks"][0]["metrics"]
    assert metrics == {"seed": 7, "region": 3, "mode": "quick", "dataset": "simulated"}  # the mode arrives as $DAENR_MODE
    assert "00_ok" in series.table() and "seed=7" in series.table()


def test_cli_failure_names_notebook_and_cell(tiny_notebooks, tmp_path, capsys):
    status = cli.main(["run-notebooks", "--quick", "--notebooks", str(tiny_notebooks),
                       "--output", str(tmp_path / "run"), "--no-html"])
    captured = capsys.readouterr()
    assert status == 1
    assert "01_broken failed at cell" in captured.err
    assert "ZeroDivisionError" in captured.err
    assert "y = x / 0" in captured.err  # the failing cell's source is shown
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert [n["status"] for n in summary["notebooks"]] == ["ok", "failed"]  # stops at the failure
    assert not (tmp_path / "run" / "02_after.ipynb").exists()


@pytest.mark.slow
def test_keep_going_runs_the_rest(tiny_notebooks, tmp_path):
    series = run_notebooks(notebooks_dir=tiny_notebooks, output_dir=tmp_path / "run", html=False,
                           stop_on_error=False, progress=False)
    assert [r.status for r in series.notebooks] == ["ok", "failed", "ok"]
    assert series.failure is not None and series.failure.notebook == "01_broken"


def test_unknown_notebook_number_is_a_clear_error(tiny_notebooks, capsys):
    status = cli.main(["run-notebooks", "--notebooks", str(tiny_notebooks), "--only", "07"])
    assert status == 2
    assert "unknown notebook number(s) 07" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="--notebooks"):
        list_notebooks(tiny_notebooks.parent / "missing")  # glob of a missing folder finds nothing


def test_record_metrics_merges_and_validates(tmp_path):
    record_metrics(tmp_path, "03", a=1.5)
    record_metrics(tmp_path, 3, b=[1, 2], c=float("nan"))
    assert json.loads(metrics_path(tmp_path, "03").read_text()) == {"a": 1.5, "b": [1, 2], "c": None}
    assert load_metrics(tmp_path) == {"03": {"a": 1.5, "b": [1, 2], "c": None}}
    with pytest.raises(ValueError, match="two-digit"):
        record_metrics(tmp_path, "x", a=1)
    with pytest.raises(ValueError, match="cannot be stored as JSON"):
        record_metrics(tmp_path, "03", bad=object())
    with pytest.raises(ValueError, match="no metrics"):
        record_metrics(tmp_path, "03")


def test_sync_and_pairing_check(tmp_path):
    py = tmp_path / "00_demo.py"
    py.write_text(
        "# %% [markdown]\n# # Demo\n\n# %% tags=[\"parameters\"]\nQUICK = True\n\n# %%\nprint(QUICK)\n"
    )
    (ipynb,) = sync_notebooks(tmp_path, execute_checked=False, echo=None)
    assert check_pairing(py, ipynb) == []
    py.write_text(py.read_text().replace("print(QUICK)", "print(not QUICK)"))
    problems = check_pairing(py, ipynb)
    assert problems and "cell 2 differs" in problems[0]


def test_strip_outputs_keeps_only_checked_cells():
    nb = nbformat.v4.new_notebook()
    checked = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1)", execution_count=3)
    checked.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    other = nbformat.v4.new_code_cell("print(2)", execution_count=4)
    other.outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    nb.cells = [checked, other]
    strip_outputs(nb)
    assert checked.outputs and checked.execution_count == 1  # nbval needs a count on checked cells
    assert other.outputs == [] and other.execution_count is None


@pytest.mark.slow
def test_cli_runs_real_notebook_00(tmp_path, capsys):
    out = tmp_path / "run"
    status = cli.main(["run-notebooks", "--quick", "--only", "00", "--output", str(out),
                       "--notebooks", str(REPO / "notebooks")])
    printed = capsys.readouterr().out
    assert status == 0, printed
    executed = nbformat.read(str(out / "00_setup_and_data.ipynb"), as_version=4)
    assert any(cell.get("outputs") for cell in executed.cells if cell.cell_type == "code")
    assert (out / "00_setup_and_data.html").stat().st_size > 10_000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["notebooks"][0]["status"] == "ok"
    assert load_metrics(out)["00"]["n_neurons"] > 0
    assert "00_setup_and_data" in printed and "ok" in printed


def test_info_prints_versions(capsys):
    assert cli.main(["info"]) == 0
    printed = capsys.readouterr().out
    assert "daenr-lite" in printed and "torch" in printed


def test_version_and_info_show_what_the_notebooks_would_use(monkeypatch, tmp_path, capsys):
    import daenr_lite
    from daenr_lite.zoo import SHIPPED_ZOO_DIR

    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"daenr-lite {daenr_lite.__version__}"
    monkeypatch.setenv("DAENR_MODE", "quick")
    monkeypatch.setenv("DAENR_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DAENR_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["info"]) == 0
    shown = dict(line.split(None, 1) if not line.startswith(("model cache", "data folder")) else
                 (line[:11], line[11:].strip()) for line in capsys.readouterr().out.splitlines())
    assert shown["mode"] == "quick (from $DAENR_MODE)"
    assert shown["model cache"] == f"{tmp_path / 'cache'} (from $DAENR_MODEL_CACHE) (not created yet)"
    assert shown["data folder"] == str(tmp_path / "data")
    assert shown["zoo"].startswith(f"{SHIPPED_ZOO_DIR} (") and " models, model code version " in shown["zoo"]
    monkeypatch.setenv("DAENR_MODE", "fast")  # a bad setting is shown, the rest still printed
    assert cli.main(["info"]) == 0
    assert [line.split(None, 1)[1] for line in capsys.readouterr().out.splitlines() if line.startswith("mode ")] == [
        "unknown (unknown mode 'fast' (from $DAENR_MODE); choose one of pretrained, quick, full.)"]


def test_download_passes_options_and_reports_failures(monkeypatch, tmp_path, capsys):
    from daenr_lite import download as data_download

    calls = []

    def fake_download(dest=None, force=False, archive=None, url=None):
        calls.append((dest, force, archive))
        if archive is not None and not Path(archive).exists():
            raise data_download.DownloadError(f"archive {archive} does not exist")
        return tmp_path / "antolik2016" / "Data"

    monkeypatch.setattr(data_download, "download_antolik2016", fake_download)
    assert cli.main(["download", "antolik2016", "--dest", str(tmp_path), "--force"]) == 0
    assert calls[-1] == (tmp_path, True, None)
    assert "ready in" in capsys.readouterr().out
    assert cli.main(["download", "antolik2016", "--archive", str(tmp_path / "missing.zip")]) == 1
    assert "download failed: DownloadError" in capsys.readouterr().err


def test_pretrain_jobs_default_and_bad_value(tmp_path, capsys):
    """`daenr-lite pretrain` runs one process per available core (at most 4) on the CPU; a bad --jobs is one line."""
    from daenr_lite.threads import available_cores
    from daenr_lite.zoo.pretrain import auto_jobs

    assert auto_jobs("cpu") == max(1, min(available_cores(), 4))
    status = cli.main(["pretrain", "--regions", "1", "--seeds", "0", "--output", str(tmp_path), "--jobs", "0",
                       "--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "jobs must be >= 1" in err[0]
    assert not list(tmp_path.glob("*.pt"))

"""The run folder never deletes or replaces a file that no daenr-lite run wrote (issue 23, defect 1)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_robustness import _fake_papermill, _notebook_folder


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("keep_going", [False, True])
def test_output_equal_to_the_notebooks_folder_is_refused_and_nothing_is_lost(tmp_path, monkeypatch, capsys,
                                                                              keep_going):
    from daenr_lite import cli

    folder = _notebook_folder(tmp_path)
    before = _contents(folder)
    _fake_papermill(monkeypatch, {"run": "x", "00_first": "ok", "01_second": "fail"})
    argv = ["run-notebooks", "--notebooks", str(folder), "--output", str(folder), "--no-html"]
    assert cli.main(argv + (["--keep-going"] if keep_going else [])) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is the notebooks being run" in err and "--output" in err
    assert len(err.strip().splitlines()) == 1
    assert _contents(folder) == before


def test_output_containing_the_notebooks_folder_is_refused(tmp_path, monkeypatch):
    from daenr_lite.runner import run_notebooks

    folder = _notebook_folder(tmp_path)
    _fake_papermill(monkeypatch, {"run": "x", "00_first": "ok", "01_second": "ok"})
    with pytest.raises(FileExistsError, match="contains the notebooks being run"):
        run_notebooks(notebooks_dir=folder, output_dir=tmp_path, html=False, progress=False)
    with pytest.raises(FileExistsError, match="is the notebooks being run"):  # a relative spelling of the same
        monkeypatch.chdir(folder)
        run_notebooks(notebooks_dir=folder, output_dir=".", html=False, progress=False)
    assert sorted(p.name for p in folder.iterdir()) == ["00_first.ipynb", "01_second.ipynb"]


def test_a_folder_holding_a_users_file_of_the_same_name_is_refused_before_anything_runs(tmp_path, monkeypatch):
    from daenr_lite.runner import run_notebooks

    folder, out = _notebook_folder(tmp_path), tmp_path / "mine"
    out.mkdir()
    (out / "00_first.ipynb").write_text("my exercise work")
    (out / "metrics_01.json").write_text('{"mine": 1}')
    ran = []
    _fake_papermill(monkeypatch, {"run": "x", "00_first": "ok", "01_second": "ok"})
    import papermill

    real = papermill.execute_notebook
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: ran.append(a) or real(*a, **k))
    with pytest.raises(FileExistsError, match=r"already holds 00_first.ipynb, metrics_01.json, which no daenr-lite"):
        run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False, stop_on_error=False)
    assert ran == []
    assert _contents(out) == {"00_first.ipynb": b"my exercise work", "metrics_01.json": b'{"mine": 1}'}


def test_a_rerun_replaces_its_own_files_and_keeps_the_users_other_files(tmp_path, monkeypatch):
    from daenr_lite.runner import RUN_LEDGER, run_notebooks

    folder, out = _notebook_folder(tmp_path), tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    _fake_papermill(monkeypatch, {"run": "old", "00_first": "ok", "01_second": "ok"})
    assert run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False).ok
    ledger = json.loads((out / RUN_LEDGER).read_text())["files"]
    assert "00_first.ipynb" in ledger and "metrics_00.json" in ledger and "notes.txt" not in ledger
    _fake_papermill(monkeypatch, {"run": "new", "00_first": "ok", "01_second": "ok"})
    series = run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False)
    assert series.ok and [r.metrics for r in series.notebooks] == [{"run": "new"}, {"run": "new"}]
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_run_folder_of_an_earlier_version_without_the_ledger_is_still_reusable(tmp_path, monkeypatch):
    from daenr_lite.runner import RUN_LEDGER, run_notebooks

    folder, out = _notebook_folder(tmp_path), tmp_path / "run"
    _fake_papermill(monkeypatch, {"run": "old", "00_first": "ok", "01_second": "ok"})
    run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False)
    (out / RUN_LEDGER).unlink()  # what a run of the previous version left: its summary.json names its files
    (out / "figures").mkdir()
    (out / "figures" / "00_images.png").write_bytes(b"png")  # and figures of the notebooks that summary lists
    _fake_papermill(monkeypatch, {"run": "new", "00_first": "ok", "01_second": "ok"})
    assert run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False).ok


def test_a_file_named_like_a_notebooks_figure_is_refused_too(tmp_path, monkeypatch):
    from daenr_lite.runner import run_notebooks

    folder, out = _notebook_folder(tmp_path), tmp_path / "run"
    out.mkdir()
    (out / "figures").mkdir()
    (out / "figures" / "00_images.png").write_bytes(b"my picture")  # notebook 00 saves figures/00_<name>.png
    _fake_papermill(monkeypatch, {"run": "x", "00_first": "ok", "01_second": "ok"})
    with pytest.raises(FileExistsError, match="already holds figures/00_images.png, which no daenr-lite run wrote"):
        run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False)
    assert (out / "figures" / "00_images.png").read_bytes() == b"my picture"
    assert run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False, only=["01"]).ok


def test_figures_a_run_wrote_are_its_own_on_the_next_run(tmp_path, monkeypatch):
    import papermill

    from daenr_lite.runner import RUN_LEDGER, run_notebooks

    folder, out = _notebook_folder(tmp_path), tmp_path / "run"
    _fake_papermill(monkeypatch, {"run": "x", "00_first": "ok", "01_second": "ok"})
    fake = papermill.execute_notebook

    def with_figure(source, executed, parameters, **kw):
        fake(source, executed, parameters, **kw)
        figures = Path(parameters["OUTPUT_DIR"]) / "figures"
        figures.mkdir(exist_ok=True)
        (figures / f"{Path(source).stem[:2]}_figure.png").write_bytes(b"png")

    monkeypatch.setattr(papermill, "execute_notebook", with_figure)
    assert run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False).ok
    assert {"figures/00_figure.png", "figures/01_figure.png"} <= set(json.loads((out / RUN_LEDGER).read_text())["files"])
    assert run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False).ok

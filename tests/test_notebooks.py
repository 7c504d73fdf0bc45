"""The notebook series: it runs end to end in quick mode, records sensible numbers, and stays tidy
(jupytext pairs in sync, outputs stripped except the cells nbval checks)."""
from __future__ import annotations

import math
from pathlib import Path

import jupytext
import nbformat
import pytest

from daenr_lite.runner import CHECK_OUTPUT_MARK, check_pairing, run_notebooks

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = ["00_setup_and_data", "01_dae", "02_cnn_fr", "03_dae_nr", "04_representation_similarity",
            "05_reproduce_the_paper"]
PARAMETERS = ("QUICK", "SEED", "DEVICE", "DATASET", "REGION", "OUTPUT_DIR")


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


# ------------------------------------------------------------------------------ static checks (fast)
def test_the_series_is_complete_and_nothing_else_is_collected():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED  # nbval collects exactly these
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.py")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_pair_is_in_sync(name):
    problems = check_pairing(NOTEBOOKS / f"{name}.py", NOTEBOOKS / f"{name}.ipynb")
    assert problems == [], f"{name}.ipynb drifted from {name}.py: {problems}; run `daenr-lite sync-notebooks`"


@pytest.mark.parametrize("name", EXPECTED)
def test_outputs_are_stripped_except_checked_cells(name):
    nb = nbformat.read(str(NOTEBOOKS / f"{name}.ipynb"), as_version=4)
    assert "widgets" not in nb.metadata
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if CHECK_OUTPUT_MARK in cell.source:
            assert cell.outputs, f"cell {index} is marked for nbval but has no stored output; run sync-notebooks"
            assert cell.execution_count is not None, f"cell {index}: nbval skips checked cells without a count"
        else:
            assert cell.outputs == [], f"cell {index} has outputs; run `daenr-lite sync-notebooks`"
            assert cell.execution_count is None, f"cell {index} keeps an execution count"


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_structure(name):
    nb = jupytext.read(str(NOTEBOOKS / f"{name}.py"))
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "opens with a title"
    assert "## Learning goals" in nb.cells[0].source
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one parameters-tagged cell"
    for variable in PARAMETERS:
        assert f"\n{variable} = " in "\n" + params[0].source
    assert 'os.environ.get("DAENR_QUICK", "0") in ("1", "true")' in params[0].source
    for line in params[0].source.splitlines():  # papermill can only parse lines with a single "="
        assert line.count("=") <= 1, f"papermill cannot parse parameter line {line!r}"
    assert "## Exercises" in nb.cells[-1].source
    assert any("record_metrics(" in c.source for c in nb.cells if c.cell_type == "code")


# ------------------------------------------------------------------------------ execution (slow)
@pytest.fixture(scope="module")
def series(tmp_path_factory):
    out = tmp_path_factory.mktemp("notebook-run")
    return run_notebooks(quick=True, output_dir=out, notebooks_dir=NOTEBOOKS, html=False, stop_on_error=False,
                         progress=False, seed=0, region=1)


def _metrics(series, prefix: str) -> dict:
    result = next(r for r in series.notebooks if r.name.startswith(prefix))
    assert result.status == "ok", result.failure.describe() if result.failure else result.status
    assert result.metrics, f"notebook {prefix} recorded no metrics"
    return result.metrics


@pytest.mark.slow
def test_every_notebook_runs_in_quick_mode(series):
    failed = [r.failure.describe() for r in series.notebooks if r.failure is not None]
    assert not failed, "\n".join(failed)
    assert [r.name for r in series.notebooks] == EXPECTED
    assert all(r.executed is not None and r.executed.exists() for r in series.notebooks)
    figures = list((series.output_dir / "figures").glob("*.png"))
    assert len(figures) >= 15


@pytest.mark.slow
def test_00_data_numbers(series):
    m = _metrics(series, "00")
    assert (m["n_neurons"], m["n_train"], m["n_test"], m["n_repeats"]) == (103, 1800, 50, 10)
    assert 0.2 < m["fraction_zero"] < 0.9  # sparse, but not silent
    assert 0 < m["oracle_corr"] < m["ceiling"] < 1  # single trials are noisier than trial means


@pytest.mark.slow
def test_01_dae_beats_the_blank_baseline(series):
    m = _metrics(series, "01")
    assert m["psnr"] > m["baseline_psnr"] + 1.0
    assert m["ssim"] > m["baseline_ssim"]
    assert 0 < m["mse"] < 0.1 and m["compression_ratio"] > 1


@pytest.mark.slow
def test_02_cnn_fr_predicts_above_chance_and_below_the_ceiling(series):
    m = _metrics(series, "02")
    assert 0.1 < m["test_corr"] < m["ceiling"]
    assert 0 < m["fraction_of_ceiling"] < 1
    assert m["single_trial_corr"] < m["test_corr"]


@pytest.mark.slow
def test_03_table_and_explorer(series):
    m = _metrics(series, "03")
    assert set(m["models"]) == {"DAE", "DAE-NR_1", "DAE-NR_2", "DAE-NR_3", "DAE-NR_4"}
    assert all(_finite(v["psnr"]) and v["psnr"] > 10 for v in m["models"].values())
    assert m["models"]["DAE"]["test_corr"] is None
    nr_corr = [m["models"][f"DAE-NR_{i}"]["test_corr"] for i in range(1, 5)]
    assert all(_finite(r) for r in nr_corr) and max(nr_corr) > 0.05  # quick mode: h4 may barely learn yet
    assert 0 <= m["n_dae_nr_better"] <= 4
    assert "DAE-NR_2 (h2), lambda=0.001, region 1: PSNR" in m["explorer_text"]
    assert m["explorer_status"].startswith("done in")


@pytest.mark.slow
def test_04_counts_add_up_and_similarity_is_bounded(series):
    m = _metrics(series, "04")
    for model, counts in m["significant"].items():
        assert counts["n_significant"] + counts["n_insignificant"] == counts["n_neurons"] == m["n_neurons"], model
    assert m["significant"]["CNN-FR"]["n_significant"] > 5  # more than the ~5 expected by chance
    for measure, per_model in m["profiles"].items():
        for model, values in per_model.items():
            assert len(values) == 4 and all(-1 <= v <= 1 for v in values), (measure, model)
        assert 0 < m["ceilings"][measure] <= 1
    assert m["above_chance"]["cka"] >= 1


@pytest.mark.slow
def test_05_tables_cover_all_regions(series):
    m = _metrics(series, "05")
    assert sorted({(row["region"], row["model"]) for row in m["table1"]}) == sorted(
        (region, model) for region in (1, 2, 3) for model in ("DAE", "DAE-NR_1", "DAE-NR_2", "DAE-NR_3", "DAE-NR_4"))
    assert all(_finite(row["psnr"]) for row in m["table1"])
    groups = {row["neurons"]: row["n_neurons"] for row in m["table2"]}
    assert groups["YES"] + groups["NO"] == 102  # region 3
    assert set(m["sign_agreement"]) == {"1", "2", "3"} and all(0 <= v <= 4 for v in m["sign_agreement"].values())

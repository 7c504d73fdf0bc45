"""The pretrained zoo that ships in the package: complete, within budget, reproducible, and the source of the
README's and docs/results.md's numbers."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from daenr_lite.data import load_dataset
from daenr_lite.training import evaluate
from daenr_lite.zoo import GRID_MODELS, ModelStore, Recipe, load_pretrained
from daenr_lite.zoo.reproducibility import inference_tolerance, machine_fingerprint, retrain_tolerance, same_kernels
from daenr_lite.zoo.retrain import retrain_shipped_recipe
from daenr_lite.zoo.store import SHIPPED_ZOO_DIR, file_sha256

REPO = Path(__file__).resolve().parents[1]
MANIFEST = SHIPPED_ZOO_DIR / "manifest.json"
BUDGET_BYTES = 25 * 2**20


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    assert MANIFEST.is_file(), f"no shipped zoo at {SHIPPED_ZOO_DIR}; build it with `daenr-lite pretrain --output {SHIPPED_ZOO_DIR} --float16`"
    return list(json.loads(MANIFEST.read_text())["models"].values())


def test_the_grid_is_complete_for_five_seeds_and_three_regions(entries):
    cells = {(e["recipe"]["model"], e["recipe"]["region"], e["recipe"]["seed"]) for e in entries if e["recipe"]["neurons"] is None}
    assert cells == {(m, r, s) for m in GRID_MODELS for r in (1, 2, 3) for s in (0, 1, 2, 3, 4)}
    table2 = [(e["recipe"]["model"], e["group"], e["recipe"]["seed"]) for e in entries if e["recipe"]["neurons"] is not None]
    assert all(e["recipe"]["region"] == 3 for e in entries if e["recipe"]["neurons"] is not None)
    assert len(table2) == len(set(table2)) and {g for _, g, _ in table2} <= {"YES", "NO"}
    # every default-settings recipe: the shipped models are what the notebooks' default mode asks for
    for e in entries:
        r = e["recipe"]
        default = Recipe(r["model"], r["dataset"], r["region"], data_seed=r["seed"], seed=r["seed"],
                         neurons=None if r["neurons"] is None else tuple(r["neurons"]))
        assert default.to_dict() == r and default.key() == e["key"]


def test_every_file_matches_its_sha256_and_the_zoo_fits_its_budget(entries):
    files = sorted(SHIPPED_ZOO_DIR.glob("*.pt"))
    assert {p.name for p in files} == {e["file"] for e in entries}, "checkpoints and manifest disagree"
    for e in entries:
        assert file_sha256(SHIPPED_ZOO_DIR / e["file"]) == e["sha256"], e["file"]
    total = sum(p.stat().st_size for p in files) + MANIFEST.stat().st_size
    assert total <= BUDGET_BYTES, f"the shipped zoo takes {total / 2**20:.1f} MB (budget 25 MB)"


def test_readme_and_results_are_generated_from_the_manifest():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "zoo_report.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_every_shipped_checkpoint_reproduces_its_manifest_metrics(entries):
    store = ModelStore(REPO / "nonexistent-cache", train=False, progress=False)
    datasets = {}
    for e in entries:
        recipe = Recipe.from_dict(e["recipe"])
        key = (recipe.region, recipe.data_seed)
        if key not in datasets:
            datasets[key] = load_dataset("simulated", region=recipe.region, seed=recipe.data_seed)
        model = store.get(recipe)
        scores = evaluate(model, store.dataset_for(recipe, datasets[key]))
        tolerance = inference_tolerance(e)  # exact on the kernels that evaluated the manifest, else measured
        for name, value in e["metrics"].items():
            assert scores[name] == pytest.approx(value, abs=tolerance[name], nan_ok=True), (
                f"{e['file']} {name}: evaluated {scores[name]:.6f}, manifest {value:.6f}, tolerance {tolerance[name]:g}")
    assert store.n_trained == 0


@pytest.mark.slow
def test_a_shipped_recipe_retrained_from_its_manifest_gives_the_same_model(entries, tmp_path):
    """The zoo is reproducible, not hand-made: retrain the cheapest recipe (a probe on the shipped DAE).

    Exact (1e-6) when the manifest's recorded machine has this machine's kernels; otherwise within the tolerance
    measured across kernel families (benchmarks/cross_cpu_tolerance.py, daenr_lite/zoo/reproducibility.py).
    """
    entry = next(e for e in entries if e["recipe"]["model"] == "dae_probe_4" and e["recipe"]["region"] == 2
                 and e["recipe"]["seed"] == 0)
    retrained = retrain_shipped_recipe(entry["key"], tmp_path)
    tolerance = retrain_tolerance(entry)
    if same_kernels(entry.get("machine")):
        assert retrained["epochs"] == entry["epochs"] and retrained["best_epoch"] == entry["best_epoch"]
    reference = entry.get("metrics_float32") or entry["metrics"]  # the retrain keeps float32 weights
    for name, value in reference.items():
        assert retrained["metrics"][name] == pytest.approx(value, abs=tolerance[name], nan_ok=True), (
            f"{name}: retrained {retrained['metrics'][name]:.6f}, manifest {value:.6f}, tolerance {tolerance[name]:g}"
            f" ({'same kernels' if same_kernels(entry.get('machine')) else 'other kernels'}: "
            f"{entry.get('machine')} vs {machine_fingerprint()})")


def test_load_pretrained_returns_a_ready_model():
    model = load_pretrained("dae_nr_2", region=1, seed=0)
    assert model.mapping_layer == 2 and not model.training
    with pytest.raises(LookupError, match=r"Available for simulated: region 1 seed 0, .*region 3 seed 4.*daenr-lite pretrain"):
        load_pretrained("dae_nr_2", region=1, seed=7)

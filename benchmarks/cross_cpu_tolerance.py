"""How far a retrained shipped recipe lands from the manifest when the float kernels differ (issue 23, item 0).

Another CPU selects other vectorised kernels: ATen (PyTorch's own ops) picks DEFAULT, AVX2 or AVX512 and oneDNN
(the convolutions) picks SSE4.1, AVX2, AVX-512 ... from the instruction sets it finds. Both can be capped on one
machine (``ATEN_CPU_CAPABILITY`` and ``ONEDNN_MAX_CPU_ISA``), which runs the same arithmetic another CPU would;
only down to what the CPU has (a cap above it is ignored, or crashes), so the comparison with the manifest, which
was trained on another machine, is the one real cross-CPU measurement among them.
This script retrains shipped recipes (probes on the shipped DAE: each a 40-epoch training of its own, about
15 s) once per kernel family and thread count, each in a fresh process, and prints every metric's difference
from the manifest and between the variants, as Markdown. It also evaluates the shipped weights of seed 0 in each
variant, and compares the float16-stored weights of the whole manifest with their float32 originals (a 10-bit
mantissa, the precision of TF32): :data:`~daenr_lite.zoo.reproducibility.INFERENCE_TOLERANCE` (the test that
evaluates every shipped checkpoint on a CPU whose kernels the manifest does not record) is twice the largest
difference of the CPU variants, and ``DEVICE_INFERENCE_TOLERANCE`` (the GPU check, ``benchmarks/cuda_check.py``)
twice the largest including the float16 one.

:data:`daenr_lite.zoo.reproducibility.RETRAIN_TOLERANCE` is twice the largest difference printed here, rounded
up to two significant digits; the retrain test in ``tests/test_zoo_shipped.py`` compares with it (and exactly,
to 1e-6, when the manifest's recorded machine equals the current one).

Usage (from the repository root)::

    python benchmarks/record.py run cross_cpu_tolerance -- python benchmarks/cross_cpu_tolerance.py
    python benchmarks/cross_cpu_tolerance.py --keys dae_probe_4-simulated-r2-d0-s0-...  # other recipes
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: (label, ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA, torch threads); "" leaves the variable unset (native)
VARIANTS: list[tuple[str, str, str, int]] = [
    ("native, 1 thread", "", "", 1),
    ("native, 2 threads", "", "", 2),
    ("AVX only (ATen default, oneDNN AVX), 1 thread", "default", "AVX", 1),
    ("no AVX (ATen default, oneDNN SSE41), 1 thread", "default", "SSE41", 1),
]
DEFAULT_RECIPES = [("dae_probe_4", 1), ("dae_probe_4", 2), ("dae_probe_4", 3), ("dae_probe_2", 2), ("dae_probe_1", 3)]

_CHILD = r"""
import json, sys, tempfile, torch
torch.set_num_threads(int(sys.argv[1]))
from daenr_lite.zoo.reproducibility import machine_fingerprint
from daenr_lite.zoo.retrain import retrain_shipped_recipe
out = {"machine": machine_fingerprint("cpu"), "threads": torch.get_num_threads(), "entries": {}}
for key in sys.argv[2:]:
    with tempfile.TemporaryDirectory() as work:
        entry = retrain_shipped_recipe(key, work)
    out["entries"][key] = {"metrics": entry["metrics"], "epochs": entry["epochs"], "best_epoch": entry["best_epoch"]}
# inference: the shipped weights of region 1-3 seed 0, evaluated with these kernels
from daenr_lite.data import load_dataset
from daenr_lite.training import evaluate
from daenr_lite.zoo import ModelStore, Recipe
from daenr_lite.zoo.store import SHIPPED_ZOO_DIR, read_entries
store = ModelStore(tempfile.mkdtemp(), train=False, progress=False)
datasets = {}
for key, e in read_entries(SHIPPED_ZOO_DIR).items():
    recipe = Recipe.from_dict(e["recipe"])
    if recipe.seed != 0 or recipe.neurons is not None:
        continue
    if recipe.region not in datasets:
        datasets[recipe.region] = load_dataset("simulated", region=recipe.region, seed=recipe.data_seed)
    scores = evaluate(store.get(recipe), store.dataset_for(recipe, datasets[recipe.region]))
    out.setdefault("inference", {})[key] = {k: float(v) for k, v in scores.items()}
print("RESULT " + json.dumps(out))
"""


def _default_keys() -> list[str]:
    from daenr_lite.zoo.store import SHIPPED_ZOO_DIR, read_entries

    entries = read_entries(SHIPPED_ZOO_DIR)
    keys = []
    for model, region in DEFAULT_RECIPES:
        keys += [k for k, e in entries.items() if e["recipe"]["model"] == model and e["recipe"]["region"] == region
                 and e["recipe"]["seed"] == 0 and e["recipe"]["neurons"] is None]
    return keys


def run_variant(aten: str, onednn: str, threads: int, keys: list[str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")}
    env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), PYTHONPATH=str(REPO))
    if aten:
        env["ATEN_CPU_CAPABILITY"] = aten
    if onednn:
        env["ONEDNN_MAX_CPU_ISA"] = onednn
    done = subprocess.run([sys.executable, "-c", _CHILD, str(threads), *keys], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"variant ATEN={aten or 'native'} oneDNN={onednn or 'native'} failed:\n{done.stderr[-2000:]}")
    line = next(l for l in done.stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def round_up(value: float, digits: int = 2) -> float:
    """``value`` rounded up to ``digits`` significant digits (0 -> 1e-6, the same-kernel rounding)."""
    if value <= 0:
        return 1e-6
    scale = 10 ** (math.floor(math.log10(value)) - digits + 1)
    return float(f"{math.ceil(value / scale - 1e-9) * scale:.{digits}g}")


def _short(key: str) -> str:
    model, _, region, _, seed = key.split("-")[:5]
    return f"{model} {region} {seed}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", nargs="+", help="shipped entry keys to retrain (default: five probes)")
    parser.add_argument("--raw", help="also write every variant's metrics to this JSON file")
    args = parser.parse_args(argv)

    from daenr_lite.zoo.reproducibility import _DATA_METRICS
    from daenr_lite.zoo.store import SHIPPED_ZOO_DIR, read_entries

    shipped = read_entries(SHIPPED_ZOO_DIR)
    # a retrain in a cache keeps float32 weights: compare with the manifest's float32 metrics where recorded
    reference = {k: e.get("metrics_float32") or e["metrics"] for k, e in shipped.items()}
    keys = args.keys or _default_keys()
    results = []
    raw = Path(args.raw) if args.raw else None
    for label, aten, onednn, threads in VARIANTS:
        start = time.perf_counter()
        result = run_variant(aten, onednn, threads, keys)
        result["label"], result["seconds"] = label, time.perf_counter() - start
        results.append(result)
        print(f"<!-- {label}: {result['seconds']:.0f} s -->", flush=True)
    if raw is not None:
        raw.write_text(json.dumps(results, indent=1))

    print("**Retraining shipped recipes under other CPU kernels**\n")
    print(f"Recipes: {', '.join(_short(k) for k in keys)} (each a 40-epoch probe on the shipped DAE). The manifest "
          f"was trained on `{shipped[keys[0]].get('platform', '?')}` (CPU not recorded then).\n")
    print("| variant | ATen kernels | oneDNN ISA cap | threads | seconds | epochs equal to the manifest |")
    print("|---|---|---|---|---|---|")
    for r in results:
        same_epochs = sum(r["entries"][k]["epochs"] == shipped[k]["epochs"]
                          and r["entries"][k]["best_epoch"] == shipped[k]["best_epoch"] for k in keys)
        print(f"| {r['label']} | {r['machine']['cpu_capability']} | {r['machine']['onednn_isa']} | {r['threads']} | "
              f"{r['seconds']:.0f} | {same_epochs} of {len(keys)} |")

    metrics = [m for m in shipped[keys[0]]["metrics"] if m not in _DATA_METRICS]
    largest: dict[str, float] = {m: 0.0 for m in metrics}
    print("\n**Largest |difference| over the recipes: each variant against the manifest (its float32 metrics), and "
          "between variants**\n")
    print("| comparison | " + " | ".join(metrics) + " |")
    print("|---|" + "---|" * len(metrics))

    def row(name: str, pairs: list[tuple[dict, dict]]) -> None:
        worst = {m: max(abs(a[m] - b[m]) for a, b in pairs) for m in metrics}
        for m in metrics:
            largest[m] = max(largest[m], worst[m])
        print(f"| {name} | " + " | ".join(f"{worst[m]:.4f}" for m in metrics) + " |")

    for r in results:
        row(f"{r['label']} vs manifest", [(r["entries"][k]["metrics"], reference[k]) for k in keys])
    for i, a in enumerate(results):
        for b in results[i + 1:]:
            row(f"{a['label']} vs {b['label']}",
                [(a["entries"][k]["metrics"], b["entries"][k]["metrics"]) for k in keys])
    data_equal = all(r["entries"][k]["metrics"][m] == reference[k][m] for r in results for k in keys
                     for m in _DATA_METRICS if m in shipped[k]["metrics"])
    print(f"\nData metrics ({', '.join(_DATA_METRICS)}) equal to the manifest in every variant: {data_equal}.")
    print("\n**Tolerance (twice the largest difference above, rounded up to 2 significant digits)**\n")
    print("```python\nRETRAIN_TOLERANCE = " + json.dumps({m: round_up(2 * largest[m]) for m in metrics}) + "\n```")

    # inference: the same weights, other kernels; and the same model with its weights rounded to a 10-bit
    # mantissa (float16 storage), the precision of the TF32 convolutions a GPU uses by default
    inference_metrics = sorted({m for e in shipped.values() for m in e["metrics"] if m not in _DATA_METRICS})
    print("\n**Evaluating the same weights with other kernels**\n")
    print(f"Shipped models of seed 0 ({len(results[0]['inference'])} models, regions 1-3), evaluated in each "
          "variant, against the manifest (evaluated on the training machine); and, over the whole manifest, "
          "the float16-stored weights against the float32 ones (`metrics` vs `metrics_float32`): a 10-bit "
          "mantissa, as in the TF32 arithmetic of a GPU's convolutions.\n")
    print("| comparison | models | " + " | ".join(inference_metrics) + " |")
    print("|---|---|" + "---|" * len(inference_metrics))

    def inference_row(name: str, pairs: list[tuple[dict, dict]], worst_so_far: dict[str, float]) -> None:
        cells = []
        for m in inference_metrics:
            diffs = [abs(a[m] - b[m]) for a, b in pairs if m in a and m in b and a[m] == a[m] and b[m] == b[m]]
            worst = max(diffs) if diffs else float("nan")
            if diffs:
                worst_so_far[m] = max(worst_so_far[m], worst)
            cells.append(f"{worst:.2e}" if diffs else "-")
        print(f"| {name} | {len(pairs)} | " + " | ".join(cells) + " |")

    worst_cpu = {m: 0.0 for m in inference_metrics}
    for r in results:
        inference_row(f"{r['label']} vs manifest", [(r["inference"][k], shipped[k]["metrics"]) for k in r["inference"]],
                      worst_cpu)
    worst_device = dict(worst_cpu)
    inference_row("float16 vs float32 weights (whole manifest)",
                  [(e["metrics"], e["metrics_float32"]) for e in shipped.values() if e.get("metrics_float32")],
                  worst_device)
    print("\nOther CPU kernels (the rows above the float16 one), twice the largest difference; and for another "
          "device, the float16 row too:\n")
    print("```python\nINFERENCE_TOLERANCE = " + json.dumps({m: round_up(2 * worst_cpu[m]) for m in inference_metrics})
          + "\nDEVICE_INFERENCE_TOLERANCE = "
          + json.dumps({m: round_up(2 * worst_device[m]) for m in inference_metrics}) + "\n```")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Compare two builds of the pretrained zoo recipe by recipe: how far their metrics differ, and how long they trained.

Usage::

    python benchmarks/zoo_compare.py --old git:0a8170c                 # an earlier commit's shipped manifest
    python benchmarks/zoo_compare.py --old OLD/manifest.json --new NEW/manifest.json

Entries are matched by their recipe (model, dataset, region, seeds, neuron subset, ModelConfig, TrainConfig);
the model-code version, which is part of the store key, is not. Two builds of the same recipes with different
model code (e.g. MODEL_CODE_VERSION 1, channels-first, against 2, channels-last) differ only where the code
changed the arithmetic, so the metric differences measure how much float rounding alone moves a converged
model: the scale against which a GPU-trained model is compared with the CPU-trained zoo
(``benchmarks/cuda_check.py``).

Prints Markdown: per metric the median and largest |difference| over the matched models; per model the mean
seconds per epoch in each build, their ratio, and epochs; per seed the sum of training times.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

from daenr_lite.zoo.results import entry_row
from daenr_lite.zoo.store import SHIPPED_ZOO_DIR

MANIFEST = "daenr_lite/zoo/shipped/manifest.json"
METRICS = ("psnr", "ssim", "test_corr", "fraction_of_ceiling", "feve", "n_significant", "heldout_test_corr")


def read_manifest(source: str) -> dict[str, Any]:
    """``git:REV`` (the shipped manifest at that commit) or a path to a manifest.json."""
    if source.startswith("git:"):
        text = subprocess.run(["git", "show", f"{source[4:]}:{MANIFEST}"], capture_output=True, text=True, check=True).stdout
        return json.loads(text)
    return json.loads(Path(source).read_text())


def _by_recipe(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Recipe (as sorted JSON) -> the entry's :func:`entry_row`, with float32 metrics where recorded."""
    return {json.dumps(e["recipe"], sort_keys=True): entry_row(e, "metrics_float32") for e in manifest["models"].values()}


def _where(row: dict[str, Any]) -> str:
    return f"{row['model']}{'' if row['group'] == 'all' else ' (' + row['group'] + ')'} r{row['region']} s{row['seed']}"


def compare(old: dict[str, Any], new: dict[str, Any]) -> str:
    old_by, new_by = _by_recipe(old), _by_recipe(new)
    shared = sorted(set(old_by) & set(new_by))
    lines = [f"old build: model code version {old.get('model_code_version')}, {len(old_by)} models; new build: "
             f"version {new.get('model_code_version')}, {len(new_by)} models; {len(shared)} recipes in both.", ""]

    lines += ["**Metric differences (new − old, same recipe; float32 metrics where recorded)**", "",
              "| metric | models | median abs diff | largest abs diff | where | mean diff |", "|---|---|---|---|---|---|"]
    for metric in METRICS:
        diffs = []
        for key in shared:
            a, b = old_by[key].get(metric), new_by[key].get(metric)
            if a is not None and b is not None:
                diffs.append((float(b) - float(a), _where(new_by[key])))
        if not diffs:
            continue
        largest = max(diffs, key=lambda d: abs(d[0]))
        lines.append(f"| {metric} | {len(diffs)} | {statistics.median(abs(d) for d, _ in diffs):.3g} | "
                     f"{abs(largest[0]):.3g} | {largest[1]} | {statistics.fmean(d for d, _ in diffs):+.3g} |")

    lines += ["", "**Training time per model (mean over its recipes)**", "",
              "| model | recipes | old s/epoch | new s/epoch | new / old | old epochs | new epochs |", "|---|---|---|---|---|---|---|"]
    groups: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for key in shared:
        row = new_by[key]
        groups[row["model"] + ("" if row["group"] == "all" else " (Table 2 subsets)")].append((old_by[key], row))
    total_old = total_new = 0.0
    for name in sorted(groups):
        pairs = groups[name]
        per_epoch_old = statistics.fmean(o["train_seconds"] / o["epochs"] for o, _ in pairs)
        per_epoch_new = statistics.fmean(n["train_seconds"] / n["epochs"] for _, n in pairs)
        lines.append(f"| {name} | {len(pairs)} | {per_epoch_old:.2f} | {per_epoch_new:.2f} | {per_epoch_new / per_epoch_old:.2f} | "
                     f"{statistics.fmean(o['epochs'] for o, _ in pairs):.1f} | {statistics.fmean(n['epochs'] for _, n in pairs):.1f} |")
        total_old += sum(o["train_seconds"] for o, _ in pairs)
        total_new += sum(n["train_seconds"] for _, n in pairs)

    lines += ["", "**Sum of training times per seed (minutes)**", "", "| seed | old | new | new / old |", "|---|---|---|---|"]
    seeds: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for key in shared:
        seed = new_by[key]["seed"]
        seeds[seed][0] += old_by[key]["train_seconds"]
        seeds[seed][1] += new_by[key]["train_seconds"]
    for seed in sorted(seeds):
        o, n = seeds[seed]
        lines.append(f"| {seed} | {o / 60:.1f} | {n / 60:.1f} | {n / o:.2f} |")
    lines.append(f"| all | {total_old / 60:.1f} | {total_new / 60:.1f} | {total_new / total_old:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", required=True, help="git:REV or a manifest.json path")
    parser.add_argument("--new", default=str(SHIPPED_ZOO_DIR / "manifest.json"), help="default: the shipped manifest")
    args = parser.parse_args(argv)
    print(compare(read_manifest(args.old), read_manifest(args.new)))


if __name__ == "__main__":
    main()

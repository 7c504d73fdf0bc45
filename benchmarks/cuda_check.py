"""The GPU check of issue 14: evaluate and pretrain one seed on CUDA, run the notebook series there, and compare
everything with the CPU-trained zoo that ships with the package.

Usage (on a machine with an NVIDIA GPU, from the repository root, after ``pip install -e ".[test]"``)::

    python benchmarks/cuda_check.py                      # device cuda, seed 0, regions 1 2 3, notebooks
    python benchmarks/cuda_check.py --output $OUT/check  # results folder (default runs/cuda-check)
    # rehearsal on a CPU (what the test suite runs): one model, one epoch, no notebooks
    python benchmarks/cuda_check.py --device cpu --regions 1 --models cnn_fr --max-epochs 1 --no-notebooks

The step rate of each model on the device (as ``bench_models.py --speed-only`` measures it), then three
checks, each timed:

1. **Inference.** Every shipped model of the seed (``daenr_lite/zoo/shipped``, trained on CPU) is loaded onto the
   device and evaluated. Same weights, only the arithmetic differs (cuDNN kernels, TF32 where PyTorch allows it),
   so the metrics must equal the manifest's CPU metrics within :data:`DEVICE_INFERENCE_TOLERANCE`, measured by
   ``benchmarks/cross_cpu_tolerance.py``: twice the largest difference between the same weights evaluated with
   other CPU kernels, or stored with a 10-bit mantissa (float16 vs float32: the precision of the TF32
   convolutions GPUs use by default).
2. **Training.** ``pretrain`` of the seed's whole grid (incl. region 3's Table 2 models) on the device, into
   ``OUTPUT/zoo``. A model trained on another device is not the same model: rounding differs from the first
   step, and training amplifies it. Each metric is compared with the shipped model of the same recipe against
   :data:`TRAINING_TOLERANCE`, which is set from the same comparison on CPU alone: the zoo trained channels-first
   (MODEL_CODE_VERSION 1) against the same recipes trained channels-last (version 2) differ by rounding only
   (``benchmarks/results/zoo_v1_vs_v2.md``: largest differences test r 0.041, PSNR 0.23 dB, SSIM
   0.010, 6 significant neurons over 98 recipes; the tolerance is about 1.25x those).
3. **Notebooks.** ``daenr-lite run-notebooks --device DEVICE`` in the default (pretrained) mode and in quick mode.

Writes ``OUTPUT/cuda_check.md`` (what it prints) and exits 1 when a check fails, 2 when the device is missing.
"""
from __future__ import annotations

import argparse
import math
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

from daenr_lite.config import TrainConfig
from daenr_lite.training import evaluate, get_device
from daenr_lite.zoo import ModelStore, Recipe, pretrain
from daenr_lite.zoo.pretrain import GRID_MODELS
from daenr_lite.zoo.results import entry_row
from daenr_lite.zoo.store import SHIPPED_ZOO_DIR, read_entries

# the tolerances are measured, and kept in one place (daenr_lite/zoo/reproducibility.py): inference from the same
# weights evaluated with other CPU kernels and with a 10-bit mantissa (benchmarks/cross_cpu_tolerance.py), training
# from two builds of the whole zoo that differ in summation order only (benchmarks/results/zoo_v1_vs_v2.md)
from daenr_lite.zoo.reproducibility import DEVICE_INFERENCE_TOLERANCE, TRAINING_TOLERANCE


def _metric_rows(ours: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]],
                 tolerance: dict[str, float]) -> tuple[list[str], int]:
    """Markdown rows comparing ``ours[key]`` with ``theirs[key]`` for every key of ``ours``; number of failures."""
    rows, failures = [], 0
    for key in sorted(ours):
        mine, ref = ours[key], theirs.get(key)
        if ref is None:
            rows.append(f"| {key} | no shipped model of this recipe | - | - |")
            continue
        cells, worst = [], "ok"
        for name, limit in tolerance.items():
            a, b = mine.get(name), ref.get(name)
            if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
                continue
            diff = float(a) - float(b)
            bad = abs(diff) > limit
            worst = "FAIL" if bad else worst
            cells.append(f"{name} {float(b):.4g} → {float(a):.4g} ({diff:+.3g}){' **over ' + format(limit, 'g') + '**' if bad else ''}")
        failures += worst == "FAIL"
        rows.append(f"| {key} | {'; '.join(cells)} | {mine.get('seconds', '-')} | {worst} |")
    return rows, failures


def compare_to_shipped(ours: dict[str, dict[str, Any]], shipped: dict[str, dict[str, Any]],
                       tolerance: dict[str, float], title: str) -> tuple[str, int]:
    """A Markdown section: per model key the shipped value → ours, the difference, and ok / FAIL."""
    rows, failures = _metric_rows(ours, shipped, tolerance)
    limits = ", ".join(f"|Δ {k}| ≤ {v:g}" for k, v in tolerance.items())
    text = "\n".join([f"### {title}", "", f"Tolerance: {limits}. {failures} of {len(ours)} models over it.", "",
                      "| model | metric: shipped (CPU) → this device (difference) | seconds | verdict |",
                      "|---|---|---|---|", *rows, ""])
    return text, failures


def check_inference(device: torch.device, seed: int, regions: list[int], models: list[str], output: Path) -> tuple[str, int]:
    shipped = read_entries(SHIPPED_ZOO_DIR)
    # only the shipped zoo: the cache folder is never created (train=False)
    store = ModelStore(output / "no-cache", zoo_dirs=[SHIPPED_ZOO_DIR], train=False, progress=False)
    ours, reference = {}, {}
    for key, entry in shipped.items():
        r = entry["recipe"]
        if r["seed"] != seed or r["region"] not in regions or r["model"] not in models or r["dataset"] != "simulated":
            continue
        recipe = Recipe.from_dict(r)
        start = time.perf_counter()
        model = store.get(recipe)
        ours[key] = {**evaluate(model, store.dataset_for(recipe), device=device),
                     "seconds": round(time.perf_counter() - start, 2)}
        reference[key] = entry["metrics"]  # what these (float16-stored) weights scored on the CPU
    return compare_to_shipped(ours, reference, DEVICE_INFERENCE_TOLERANCE, f"1. Inference: shipped weights evaluated on {device}")


def check_training(device: torch.device, seed: int, regions: list[int], models: list[str], output: Path,
                   max_epochs: int | None, table2: bool) -> tuple[str, int, float]:
    config = TrainConfig() if max_epochs is None else TrainConfig(max_epochs=max_epochs)
    start = time.perf_counter()
    store = pretrain("simulated", regions=regions, seeds=[seed], models=models, output=output, device=device,
                     train_config=config, table2=table2, progress=True)
    wall = time.perf_counter() - start
    trained = read_entries(output)
    shipped = read_entries(SHIPPED_ZOO_DIR)
    ours = {key: {**entry_row(e), "seconds": e.get("train_seconds")} for key, e in trained.items()}
    reference = {key: entry_row(e, "metrics_float32") for key, e in shipped.items()}
    cpu_seconds = sum(shipped[k].get("train_seconds") or 0.0 for k in trained if k in shipped)
    gpu_seconds = sum(e.get("train_seconds") or 0.0 for e in trained.values())
    text, failures = compare_to_shipped(ours, reference, TRAINING_TOLERANCE,
                                        f"2. Training: pretrain seed {seed} on {device}")
    text += (f"\n{len(trained)} models ({store.n_trained} trained now) in {wall / 60:.1f} min wall; sum of training "
             f"times {gpu_seconds / 60:.1f} min on {device}, against {cpu_seconds / 60:.1f} min for the same recipes in "
             "the shipped zoo (CPU, one thread per process, two processes on 2 cores).\n")
    return text, failures, wall


def check_notebooks(device: str, output: Path) -> tuple[str, int]:
    lines = ["### 3. Notebooks", "", "| mode | exit status | wall time |", "|---|---|---|"]
    failures = 0
    for mode in ("pretrained", "quick"):
        start = time.perf_counter()
        command = [sys.executable, "-m", "daenr_lite.cli", "run-notebooks", f"--{mode}", "--device", device,
                   "--output", str(output / f"notebooks-{mode}"), "--no-html", "--keep-going"]
        result = subprocess.run(command, capture_output=True, text=True)
        (output / f"notebooks-{mode}.log").write_text(result.stdout + result.stderr)
        failures += result.returncode != 0
        lines.append(f"| {mode} | {result.returncode} | {(time.perf_counter() - start) / 60:.1f} min |")
    lines.append(f"\nLogs: `{output}/notebooks-*.log`.\n")
    return "\n".join(lines), failures


def check_step_speed(device: torch.device, models: list[str]) -> str:
    """Images/s of one training step per model on the device and the fraction of its float32 matmul rate
    (``bench_models.py``'s measurement)."""
    import importlib.util

    from daenr_lite.data import load_dataset

    spec = importlib.util.spec_from_file_location("bench_models", Path(__file__).with_name("bench_models.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    data = load_dataset("simulated", region=1)
    peak = bench.peak_matmul_flops(device, size=4096 if device.type == "cuda" else 2048)
    lines = ["### 0. Training-step speed (simulated region 1, batch 64)", "",
             f"float32 matmul: {peak / 1e9:.0f} GFLOP/s", "",
             "| model | images/s | GFLOP/s | fraction of matmul rate |", "|---|---|---|---|"]
    for name in [m for m in ("cnn_fr", "dae", "dae_nr_1", "dae_nr_4") if m in models]:
        s = bench.training_step_speed(name, data, TrainConfig(), device)
        lines.append(f"| {s['model']} | {s['img_per_s']:.0f} | {s['gflop_per_s']:.1f} | {s['gflop_per_s'] * 1e9 / peak:.1%} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:1, mps or cpu (a rehearsal)")
    parser.add_argument("--seed", type=int, default=0, help="the grid seed to check (default 0)")
    parser.add_argument("--regions", type=int, nargs="+", default=[1, 2, 3], choices=[1, 2, 3])
    parser.add_argument("--models", default=",".join(GRID_MODELS), help="comma-separated registry names")
    parser.add_argument("--output", default="runs/cuda-check", help="results folder (default runs/cuda-check)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="shorter training (a rehearsal: the recipes then differ from the shipped ones)")
    parser.add_argument("--no-table2", action="store_true", help="skip region 3's Table 2 models")
    parser.add_argument("--no-notebooks", action="store_true", help="skip the notebook series")
    args = parser.parse_args(argv)
    try:
        device = get_device(args.device)
    except (RuntimeError, ValueError) as exc:
        print(f"cuda_check: {exc}", file=sys.stderr)
        return 2
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)

    header = [f"## cuda_check on {device}", "",
              f"torch {torch.__version__}, Python {platform.python_version()}, {platform.platform()}"]
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        header.append(f"GPU {props.name}, {props.total_memory / 2**30:.0f} GiB, CUDA {torch.version.cuda}, cuDNN "
                      f"{torch.backends.cudnn.version()}; TF32 matmul {torch.backends.cuda.matmul.allow_tf32}, "
                      f"TF32 cuDNN {torch.backends.cudnn.allow_tf32}")
    header.append(f"seed {args.seed}, regions {args.regions}, models {models}"
                  + (f", max_epochs {args.max_epochs} (rehearsal)" if args.max_epochs else "") + "\n")
    sections, failures = ["\n".join(header)], 0
    print(sections[0], flush=True)

    sections.append(check_step_speed(device, models))
    print(sections[-1], flush=True)

    start = time.perf_counter()
    text, bad = check_inference(device, args.seed, args.regions, models, output)
    sections.append(text + f"\n({time.perf_counter() - start:.0f} s)\n")
    failures += bad
    print(sections[-1], flush=True)

    text, bad, _ = check_training(device, args.seed, args.regions, models, output / "zoo", args.max_epochs,
                                  not args.no_table2)
    sections.append(text)
    failures += bad if args.max_epochs is None else 0  # a rehearsal's recipes have no shipped counterpart
    print(sections[-1], flush=True)

    if not args.no_notebooks:
        text, bad = check_notebooks(args.device, output)
        sections.append(text)
        failures += bad
        print(sections[-1], flush=True)

    verdict = "all checks passed" if not failures else f"{failures} check(s) failed"
    sections.append(f"**{verdict}**\n")
    (output / "cuda_check.md").write_text("\n".join(sections))
    print(f"{verdict}; written {output / 'cuda_check.md'}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

"""Wall time of ``daenr-lite pretrain`` for one grid cell: in this process with every core's threads (``jobs=1``)
against dask.distributed on a LocalCluster of ``--jobs`` worker processes with one thread each (``jobs=N``, the
command's default on the CPU), in one run (so the ratio holds on a noisy machine).

Usage::

    python benchmarks/bench_pretrain.py                       # region 1, seed 0, 10 models, 8 epochs each
    python benchmarks/bench_pretrain.py --epochs 40           # region 1, seed 0 with the full settings
    python benchmarks/bench_pretrain.py --epochs 40 --regions 1 2 3   # one whole seed (about an hour on 2 cores)

Both runs train the same recipes into fresh temporary folders (nothing is read from the shipped zoo or the
cache); a shorter ``--epochs`` changes the recipes but not the comparison (every model trains every epoch the
same way). It prints both wall times (the LocalCluster's includes starting and closing it, and the training
epochs summed over the models), their ratio, and whether both runs stored identical checkpoints.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from daenr_lite.config import TrainConfig
from daenr_lite.zoo import pretrain


def run(jobs: int, threads: int, regions: list[int], seed: int, epochs: int, folder: Path) -> float:
    torch.set_num_threads(threads)
    start = time.perf_counter()
    pretrain("simulated", regions=regions, seeds=[seed], output=folder, train_config=TrainConfig(max_epochs=epochs),
             progress=False, jobs=jobs)
    return time.perf_counter() - start


def epochs_trained(folder: Path) -> int:
    return sum(int(e.get("epochs") or 0) for e in json.loads((folder / "manifest.json").read_text())["models"].values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", type=int, nargs="+", default=[1], choices=[1, 2, 3])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=8, help="max_epochs of every model (default 8; the zoo: 40)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                        help="workers of the LocalCluster run (default: cores)")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    load = os.getloadavg() if hasattr(os, "getloadavg") else "?"
    print(f"# pretrain wall time: regions {args.regions}, seed {args.seed}, max_epochs {args.epochs}")
    print(f"torch {torch.__version__}, {cores} logical CPUs ({platform.machine()}), load average at start {load}\n")
    with tempfile.TemporaryDirectory() as tmp:
        one = run(1, cores, args.regions, args.seed, args.epochs, Path(tmp) / "one")
        many = run(args.jobs, 1, args.regions, args.seed, args.epochs, Path(tmp) / "many")
        manifests = [json.loads((Path(tmp) / name / "manifest.json").read_text())["models"] for name in ("one", "many")]
        epochs = [epochs_trained(Path(tmp) / name) for name in ("one", "many")]
    same = sorted(manifests[0]) == sorted(manifests[1]) and all(
        manifests[0][k]["sha256"] == manifests[1][k]["sha256"] for k in manifests[0])
    n_models = len(manifests[0])
    print("| run | processes x torch threads | models | epochs | wall time | per model |")
    print("|---|---|---|---|---|---|")
    print(f"| in-process (`--jobs 1`) | 1 x {cores} | {n_models} | {epochs[0]} | {one / 60:.1f} min | {one / n_models:.1f} s |")
    print(f"| dask LocalCluster (`--jobs {args.jobs}`) | {args.jobs} x 1 | {n_models} | {epochs[1]} | {many / 60:.1f} min | "
          f"{many / n_models:.1f} s |")
    print(f"\nLocalCluster / in-process wall time: {many / one:.2f}; identical checkpoints in both runs: {same}")


if __name__ == "__main__":
    main()

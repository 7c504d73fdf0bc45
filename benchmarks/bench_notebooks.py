"""Time every notebook of the series (papermill), and the whole series, in one mode.

Usage::

    python benchmarks/bench_notebooks.py                 # the default: pretrained mode, all notebooks
    python benchmarks/bench_notebooks.py --mode quick    # short training (CI's nbval setting)
    python benchmarks/bench_notebooks.py --only 00,03    # some notebooks

In quick mode the model cache is a fresh temporary folder, so the times include training every quick model
once (the later notebooks reuse what the earlier ones trained, as in a real run).

Prints one row per notebook (status, wall time, CPU time of its kernel) and the total, plus the machine's
CPU count and load so numbers from a busy machine can be recognised as such. The dataset cache is warmed first (its one-off
generation is not a notebook cost). Nothing is asserted: this is a measurement, not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["pretrained", "quick", "full"], default="pretrained")
    parser.add_argument("--only", default=None, help="notebook numbers, e.g. 00,03")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--output", type=Path, default=None, help="run folder (default: a temporary folder)")
    args = parser.parse_args(argv)

    os.environ.setdefault("MPLBACKEND", "Agg")
    from daenr_lite import load_dataset
    from daenr_lite.runner import SeriesResult, list_notebooks, run_notebooks

    start = time.perf_counter()
    for region in (1, 2, 3):
        load_dataset("simulated", region=region)
    warm = time.perf_counter() - start
    only = args.only.split(",") if args.only else None

    names = [p.stem[:2] for p in list_notebooks(REPO / "notebooks", only)]
    results, cpu = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.mode != "pretrained":  # a cold model cache (the data cache stays warm)
            os.environ["DAENR_MODEL_CACHE"] = str(Path(tmp) / "models")
        out = args.output or Path(tmp) / "run"
        series_start, wall_start = time.perf_counter(), time.time()
        for number in names:  # one call per notebook, to attribute the kernels' CPU time to each
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            part = run_notebooks(mode=args.mode, output_dir=out, only=[number], device=args.device,
                                 notebooks_dir=REPO / "notebooks", html=False, stop_on_error=False, progress=False)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            results += part.notebooks
            cpu[part.notebooks[0].name] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        series = SeriesResult(out, part.parameters, results, time.perf_counter() - series_start)
        store_line = _trained_during(wall_start)
    import torch

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?", "?", "?")
    print(f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch threads "
          f"{torch.get_num_threads()}, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min); "
          f"data cache warm-up {warm:.1f} s")
    print(f"mode: {args.mode}, device {args.device}\n")
    width = max(len(r.name) for r in series.notebooks)
    print(f"{'notebook'.ljust(width)}  {'status':6}  {'wall time':>10}  {'kernel CPU time':>15}")
    print("-" * (width + 38))
    for result in series.notebooks:
        print(f"{result.name.ljust(width)}  {result.status:6}  {result.seconds:8.1f} s  {cpu[result.name]:13.1f} s")
    print("-" * (width + 38))
    print(f"{'whole series'.ljust(width)}  {'ok' if series.ok else 'FAILED':6}  {series.seconds:8.1f} s  "
          f"{sum(cpu.values()):13.1f} s")
    print("\nkernel CPU time = user + system time of the notebook kernels; on a busy machine it is a better guide "
          "than wall time to the wall time of an idle one (divide by the cores torch uses).")
    print("\n" + store_line)
    if not series.ok and series.failure is not None:
        print("\n" + series.failure.describe(), file=sys.stderr)
    return 0 if series.ok else 1


def _trained_during(since: float) -> str:
    """What the model store's run log says was trained since ``since`` (and whether anything twice)."""
    from collections import Counter

    from daenr_lite.zoo.store import default_cache_dir

    log = default_cache_dir() / "trained.jsonl"
    lines = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    trained = Counter(entry["key"] for entry in lines if entry["time"] >= since)
    twice = [key for key, count in trained.items() if count > 1]
    return (f"model store ({default_cache_dir()}): {len(trained)} recipe(s) trained during the run"
            + (f"; trained more than once: {twice}" if twice else "; none trained twice"))


if __name__ == "__main__":
    sys.exit(main())

"""One DAE-NR training step at 1 torch thread vs torch's default thread count, on an idle and a busy machine.

Usage::

    python benchmarks/bench_threads.py                  # about 1-2 minutes
    python benchmarks/bench_threads.py --steps 20 --rounds 5 --load 4

A "busy machine" is simulated by ``--load`` concurrent CPU-load processes (each a single-threaded Python
busy loop; default: one per core available to this process), as on a shared JupyterHub server or a CI
runner with parallel jobs. For each condition (idle, busy) the script alternates the two thread counts
for ``--rounds`` rounds of ``--steps`` training steps (forward + joint loss + backward + Adam, batch 64,
DAE-NR_2 on simulated region 1) and prints the median seconds per step and the ratios, all measured in
the same run. "idle" means no load added by the script: other jobs may still run (the load average
before the run is printed), so on a shared machine "idle" is itself somewhat busy.

torch takes its default thread count (one per physical core) from ``OMP_NUM_THREADS`` when that is set,
so the script re-runs itself without ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` to measure the real default.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

CHILD_FLAG = "--_child"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=15, help="timed training steps per block (default 15)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating blocks per thread count (default 3)")
    parser.add_argument("--load", type=int, default=None,
                        help="CPU-load processes for the busy condition (default: cores available)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(CHILD_FLAG, dest="child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def start_load(n: int) -> list[subprocess.Popen]:
    """``n`` single-threaded busy-loop processes (the other users of a shared machine)."""
    return [subprocess.Popen([sys.executable, "-c", "while True:\n    pass"]) for _ in range(n)]


def stop_load(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=10)


def main(args: argparse.Namespace) -> None:
    import torch

    from daenr_lite.data import load_dataset
    from daenr_lite.models import build_model
    from daenr_lite.threads import available_cores, thread_policy
    from daenr_lite.training import set_seed
    from daenr_lite.training.objective import objective

    default_threads = torch.get_num_threads()  # torch's own default: OMP_NUM_THREADS is unset here
    cores = available_cores()
    n_load = cores if args.load is None else args.load
    set_seed(0)
    data = load_dataset("simulated", region=1, seed=0)
    model = build_model("dae_nr", data, mapping_layer=2)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    images = torch.as_tensor(data.train_images[: args.batch_size], dtype=torch.float32)
    responses = torch.as_tensor(data.train_responses[: args.batch_size], dtype=torch.float32)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss, _ = objective(model, model(images), images, responses, lam=1e-3)
        loss.backward()
        optimizer.step()

    def block(threads: int) -> float:
        torch.set_num_threads(threads)
        step()  # warm-up at this thread count
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        return (time.perf_counter() - start) / args.steps

    counts = [1] if default_threads == 1 else [1, default_threads]
    results: dict[tuple[str, int], list[float]] = {}
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# {platform.machine()}, {cores} cores available, torch {torch.__version__}; torch's default: "
          f"{default_threads} threads; daenr-lite policy here: {thread_policy({})}")
    print(f"# load average (1 min) before the run: {load_avg:.2f}; busy = {n_load} CPU-load process(es); "
          f"{args.rounds} rounds x {args.steps} steps per thread count, batch {args.batch_size}")
    wall0 = time.perf_counter()
    for condition in ("idle", "busy"):
        load = start_load(n_load) if condition == "busy" else []
        try:
            if load:
                time.sleep(1.0)  # let the load processes spin up
            for _ in range(args.rounds):
                for threads in counts:
                    results.setdefault((condition, threads), []).append(block(threads))
        finally:
            stop_load(load)

    def median(condition: str, threads: int) -> float:
        return statistics.median(results[(condition, threads)])

    print()
    print("| machine | torch threads | s / step (median) | blocks (s / step) |")
    print("|---|---|---|---|")
    for (condition, threads), values in results.items():
        shown = ", ".join(f"{v:.3f}" for v in values)
        print(f"| {condition} | {threads} | {median(condition, threads):.3f} | {shown} |")
    print()
    if len(counts) > 1:
        for condition in ("idle", "busy"):
            ratio = median(condition, default_threads) / median(condition, 1)
            print(f"{condition}: {default_threads} threads / 1 thread step time = {ratio:.2f}")
    print(f"busy / idle step time at 1 thread = {median('busy', 1) / median('idle', 1):.2f}")
    if len(counts) > 1:
        print(f"busy / idle step time at {default_threads} threads = "
              f"{median('busy', default_threads) / median('idle', default_threads):.2f}")
    print(f"total {time.perf_counter() - wall0:.0f} s")


if __name__ == "__main__":
    arguments = parse_args()
    if not arguments.child:
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "DAENR_THREADS")}
        sys.exit(subprocess.call([sys.executable, os.path.abspath(__file__), *sys.argv[1:], CHILD_FLAG], env=env))
    main(arguments)

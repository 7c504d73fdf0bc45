"""Simulated vs real data: response statistics per region, and generation speed.

Usage (from the repository root)::

    python benchmarks/bench_data.py                 # table: simulated (seed 0) vs real, timing
    python benchmarks/bench_data.py --seeds 0 1 2   # simulated statistics averaged over seeds
    python benchmarks/bench_data.py --calibrate     # rerun the calibration search, print new constants
    python benchmarks/bench_data.py --cnn-check 1   # also train the default CNN-FR on simulated region 1 and
                                                    # report its share of the ground-truth ceiling (slow on CPU)

The real statistics need ../shared/data/antolik2016_partial (or --real-dir); without it only the
simulated columns are printed. Definitions: daenr_lite/data/calibration.py.
"""
from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np

from daenr_lite.data.calibrate import calibrate
from daenr_lite.data.calibration import real_statistics, response_statistics
from daenr_lite.metrics import ground_truth_ceiling
from daenr_lite.data.simulated import simulate_region

DEFAULT_REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "antolik2016_partial"


def _real(region: int, real_dir: Path) -> dict[str, float] | None:
    try:
        return real_statistics(region, real_dir)
    except Exception as exc:  # noqa: BLE001 - report and continue without the real column
        print(f"(real region {region} unavailable: {type(exc).__name__})")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="simulation seeds to average")
    parser.add_argument("--real-dir", type=Path, default=DEFAULT_REAL, help="folder containing Data/")
    parser.add_argument("--calibrate", action="store_true", help="rerun the calibration search first")
    parser.add_argument("--cnn-check", type=int, nargs="*", metavar="REGION", default=None,
                        help="train the default CNN-FR on these simulated regions (seed 0) and report test_corr / ceiling")
    args = parser.parse_args()

    if args.calibrate:
        start = time.perf_counter()
        found = calibrate(args.real_dir, seeds=(0, 1, 2))
        print(f"calibration ({time.perf_counter() - start:.0f} s); paste into daenr_lite/data/calibration.py:")
        print("CALIBRATED: dict[int, RegionParams] = {")
        for region, params in found.items():
            print(f"    {region}: {params!r},")
        print("}")
        print("(the table below still uses the constants currently in the code)\n")

    rows = []
    timings = []
    for region in (1, 2, 3):
        stats, ceilings = [], []
        for seed in args.seeds:
            start = time.perf_counter()
            ds = simulate_region(region, seed)
            timings.append((region, time.perf_counter() - start))
            stats.append(response_statistics(ds.train_responses, ds.test_responses))
            ceilings.append(float(ground_truth_ceiling(ds.ground_truth.test_rates, ds.test_responses).mean()))
        sim = {key: float(np.mean([s[key] for s in stats])) for key in stats[0]}
        rows.append((region, sim, float(np.mean(ceilings)), _real(region, args.real_dir)))

    seeds = ", ".join(map(str, args.seeds))
    print(f"Simulated (seed {seeds}) vs real (Antolík et al. 2016) responses, per region")
    header = "| region | oracle corr sim / real | zero fraction sim / real | mean sim / real | max sim / real | GT ceiling sim |"
    print(header)
    print("|" + "---|" * 6)
    for region, sim, ceiling, real in rows:
        def pair(key: str, fmt: str) -> str:
            real_value = "n/a" if real is None else format(real[key], fmt)
            return f"{format(sim[key], fmt)} / {real_value}"

        print(
            f"| {region} | {pair('oracle', '.3f')} | {pair('zero_fraction', '.3f')} | {pair('mean', '.3f')} "
            f"| {pair('max', '.1f')} | {ceiling:.3f} |"
        )
    print()
    print("oracle corr: per neuron and test repeat, Pearson r over the 50 test images between that trial and the")
    print("mean of the other repeats; mean over repeats, then neurons. zero fraction, mean, max: single-trial")
    print("training responses. GT ceiling: Pearson r of the noise-free test rates with the trial-averaged test")
    print("responses (mean over neurons) - the best any model can reach on the simulated data.")
    print()
    per_region = {r: [t for rr, t in timings if rr == r] for r in (1, 2, 3)}
    print(f"generation time, no cache ({platform.processor() or platform.machine()}, {len(args.seeds)} seed(s)): "
          + ", ".join(f"region {r} {np.mean(t):.2f} s" for r, t in per_region.items())
          + " (the first call also loads the photographs)")


    if args.cnn_check is not None:
        cnn_check(args.cnn_check or [1])


def cnn_check(regions: list[int]) -> None:
    """Does the simulated data leave room for models? Default CNN-FR (seed 0) vs the ground-truth ceiling."""
    from daenr_lite import build_model, evaluate, fit, load_dataset, set_seed

    print()
    print("| region | CNN-FR test corr | GT ceiling | fraction of ceiling | fit time |")
    print("|---|---|---|---|---|")
    for region in regions:
        dataset = load_dataset("simulated", region=region, seed=0)
        set_seed(0)
        model = build_model("cnn_fr", dataset)
        start = time.perf_counter()
        fit(model, dataset, progress=False)
        seconds = time.perf_counter() - start
        result = evaluate(model, dataset)
        print(f"| {region} | {result['test_corr']:.3f} | {result['ceiling']:.3f} | "
              f"{result['fraction_of_ceiling']:.3f} | {seconds:.0f} s |")


if __name__ == "__main__":
    main()

"""Calibration v2's CNN-FR step: a 1-D search per region on one knob of generator v2 (default: the strength of
the suppressive subunit) so the default CNN-FR reaches the published model's fraction of the ceiling (issue 19:
0.68 / 0.65 / 0.63 ± 0.04).

Usage (CPU-heavy: one training at a time, one thread)::

    OMP_NUM_THREADS=1 flock /tmp/team/cpu.lock python benchmarks/calibrate_v2_cnn_fr.py --regions 1 2 3
    python benchmarks/calibrate_v2_cnn_fr.py --regions 1 --values 0 3 --knob normalization   # no search

For every candidate value the other free parameters of generator v2 are recalibrated on the realism
statistics (:func:`daenr_lite.data.calibrate.calibrate_v2`, seeds 0-2), the seed-0 dataset is generated with
them, the default CNN-FR is trained on it (``TrainConfig(seed=0)``, as the zoo) and its test r (mean over
neurons of r with the trial-averaged test responses) is divided by the estimated ceiling of that test set
(:func:`daenr_lite.data.realism.ceiling_per_neuron`, the estimator used on the real data). The search: the
value ``--start`` first, then ``--first-step``, then secant steps on ``log(1 + value)``, at most
``--max-trainings`` per region. Every training is appended to ``benchmarks/results/calibration_v2_cnn_fr.jsonl``
as soon as it ends; the chosen parameters are printed as the ``CALIBRATED_V2`` entries to freeze.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "calibration_v2_cnn_fr.jsonl"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "antolik2016_partial"


def train_cnn_fr(params, region: int, seed: int = 0) -> dict:
    """Train the default CNN-FR on generator v2 with ``params``; test r, estimated and ground-truth ceilings."""
    import torch

    from daenr_lite.config import TrainConfig
    from daenr_lite.data.realism import ceiling_per_neuron
    from daenr_lite.data.simulated import simulate_region
    from daenr_lite.metrics import ground_truth_ceiling
    from daenr_lite.models import build_model
    from daenr_lite.training import evaluate, fit, set_seed

    torch.set_num_threads(1)
    data = simulate_region(region, seed, params=params, generator="2")
    set_seed(seed)
    model = build_model("cnn_fr", data)
    cpu0 = time.process_time()
    history = fit(model, data, TrainConfig(seed=seed), progress=False)
    cpu = time.process_time() - cpu0
    scores = evaluate(model, data)
    ceiling = float(ceiling_per_neuron(data.test_responses).mean())
    truth = float(np.mean(ground_truth_ceiling(data.ground_truth.test_rates, data.test_responses)))
    return {
        "test_corr": float(scores["test_corr"]),
        "estimated_ceiling": ceiling,
        "fraction": float(scores["test_corr"]) / ceiling,
        "ground_truth_ceiling": truth,
        "fraction_of_ground_truth": float(scores["test_corr"]) / truth,
        "epochs": int(history.n_epochs),
        "cpu_s": round(cpu, 1),
    }


def _record(row: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as handle:
        handle.write(json.dumps(row) + "\n")
    print("  " + json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k != "params"}),
          flush=True)


def main(argv: list[str] | None = None) -> None:
    from daenr_lite.data.calibrate import calibrate_v2, v2_problem
    from daenr_lite.data.calibration import CNN_FR_TARGET

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--knob", default="suppression", help="the V2Params field searched")
    parser.add_argument("--values", type=float, nargs="*", default=None, help="train at exactly these values (no search)")
    parser.add_argument("--start", type=float, default=1.0, help="the first value")
    parser.add_argument("--first-step", type=float, default=3.0, help="the second value")
    parser.add_argument("--max-trainings", type=int, default=4)
    parser.add_argument("--tolerance", type=float, default=0.02, help="stop when |fraction - target| is below this")
    parser.add_argument("--evaluations", type=int, default=400, help="Nelder-Mead evaluations per recalibration")
    parser.add_argument("--data-dir", type=Path, default=DATA)
    args = parser.parse_args(argv)
    print(f"# calibration v2, CNN-FR step; load average {os.getloadavg()}", flush=True)
    chosen = {}
    for region in args.regions:
        target = CNN_FR_TARGET[region]
        problem = None
        tried: list[tuple[float, float, object]] = []

        def measure(strength: float):
            nonlocal problem
            if problem is None:
                problem = v2_problem(region, args.data_dir)
            start = min(tried, key=lambda t: abs(t[0] - strength))[2] if tried else None
            t0 = time.time()
            params, stats = calibrate_v2(region, {args.knob: strength}, args.data_dir, start=start, problem=problem,
                                         max_evaluations=args.evaluations, progress=False)
            calib_s = time.time() - t0
            result = train_cnn_fr(params, region)
            row = {"region": region, "knob": args.knob, "value": strength, "target": target, **result,
                   "calibration_s": round(calib_s, 1), "statistics": stats, "params": params.as_dict(),
                   "time": time.strftime("%Y-%m-%d %H:%M:%S")}
            _record(row)
            tried.append((strength, result["fraction"], params))
            return result["fraction"]

        if args.values is not None:
            for strength in args.values:
                measure(strength)
        else:
            f0 = measure(args.start)
            if abs(f0 - target) > args.tolerance:
                x = [args.start, args.first_step]
                f = [f0, measure(args.first_step)]
                while len(f) < args.max_trainings and abs(f[-1] - target) > args.tolerance:
                    u = [np.log1p(v) for v in x]
                    if abs(f[-1] - f[-2]) < 1e-4:
                        u_next = u[-1] + 1.0
                    else:
                        u_next = u[-1] + (target - f[-1]) * (u[-1] - u[-2]) / (f[-1] - f[-2])
                    u_next = float(np.clip(u_next, 0.0, u[-1] + 2.0))
                    x.append(float(round(np.expm1(u_next), 3)))
                    f.append(measure(x[-1]))
        best = min(tried, key=lambda t: abs(t[1] - target))
        chosen[region] = best
        print(f"region {region}: {args.knob} {best[0]} -> fraction {best[1]:.3f} (target {target})", flush=True)
    print("\nCALIBRATED_V2 entries:")
    for region, (_, fraction, params) in chosen.items():
        print(f"    {region}: {params!r},  # CNN-FR fraction {fraction:.3f}")


if __name__ == "__main__":
    main()

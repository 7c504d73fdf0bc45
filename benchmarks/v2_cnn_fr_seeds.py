"""What a zoo rebuilt on generator v2 would show for issue 19's criterion "CNN-FR within 0.60-0.72 of the estimated
ceiling in every region": the default CNN-FR (default ModelConfig / TrainConfig(seed=s), as the zoo trains it) on
``load_dataset("simulated", region, seed=s, generator="2")``, its test r divided by the estimated ceiling of that
test set (:func:`daenr_lite.data.realism.ceiling_per_neuron`, the estimator used on the real data).

Usage (CPU-heavy: one training at a time, one torch thread; about 80-110 CPU s a training on a 2-core x86)::

    OMP_NUM_THREADS=1 flock /tmp/team/cpu.lock python benchmarks/v2_cnn_fr_seeds.py --regions 1 --seeds 0 1 2

Every training is appended to ``benchmarks/results/v2_cnn_fr_seeds.jsonl`` as soon as it ends (a (region, seed) with
the frozen parameters already there is not retrained; the seed-0 trainings of ``calibration_v2_cnn_fr.jsonl``, the
same recipe on the same data, count as recorded: ``--retrain-seed0`` trains seed 0 again); at the end the summary of everything recorded for the
frozen parameters is printed: mean ± sd over seeds per region, and whether every seed is within 0.60-0.72.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "v2_cnn_fr_seeds.jsonl"
#: the calibration's own trainings: the seed-0 CNN-FR of the frozen parameters (same data, recipe and seed)
CALIBRATION = RESULTS.with_name("calibration_v2_cnn_fr.jsonl")
LOW, HIGH = 0.60, 0.72


def train(region: int, seed: int) -> dict:
    import torch

    from daenr_lite.config import TrainConfig
    from daenr_lite.data import load_dataset
    from daenr_lite.data.realism import ceiling_per_neuron
    from daenr_lite.metrics import ground_truth_ceiling
    from daenr_lite.models import build_model
    from daenr_lite.training import evaluate, fit, set_seed

    torch.set_num_threads(1)
    data = load_dataset("simulated", region=region, seed=seed, generator="2")
    set_seed(seed)
    model = build_model("cnn_fr", data)
    cpu0 = time.process_time()
    history = fit(model, data, TrainConfig(seed=seed), progress=False)
    cpu = time.process_time() - cpu0
    test_corr = float(evaluate(model, data)["test_corr"])
    ceiling = float(ceiling_per_neuron(data.test_responses).mean())
    truth = float(np.mean(ground_truth_ceiling(data.ground_truth.test_rates, data.test_responses)))
    return {"test_corr": test_corr, "estimated_ceiling": ceiling, "fraction": test_corr / ceiling,
            "ground_truth_ceiling": truth, "fraction_of_ground_truth": test_corr / truth,
            "epochs": int(history.n_epochs), "cpu_s": round(cpu, 1)}


def recorded() -> list[dict]:
    from daenr_lite.data.calibration import CALIBRATED_V2

    def read(path: Path) -> list[dict]:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []

    seed0 = [{**r, "seed": 0, "source": CALIBRATION.name} for r in read(CALIBRATION)]
    rows = seed0 + [{**r, "source": RESULTS.name} for r in read(RESULTS)]
    return [r for r in rows if r.get("params") == CALIBRATED_V2[r["region"]].as_dict()]


def summary(rows: list[dict]) -> str:
    lines = ["| region | seeds (0 from the calibration's log where marked *) | fraction of the estimated ceiling, mean ± sd [min .. max] | test r mean | "
             f"every seed in {LOW}-{HIGH} | fraction of the ground-truth ceiling |", "|---|---|---|---|---|---|"]
    for region in sorted({r["region"] for r in rows}):
        mine = {r["seed"]: r for r in rows if r["region"] == region}  # the last recording of each seed
        f = np.array([mine[s]["fraction"] for s in sorted(mine)])
        sd = f"{f.std(ddof=1):.3f}" if len(f) > 1 else "-"
        inside = "yes" if np.all((f >= LOW) & (f <= HIGH)) else "**no**"
        lines.append(f"| {region} | {', '.join(str(s) + ('*' if mine[s]['source'] == CALIBRATION.name else '') for s in sorted(mine))} | {f.mean():.3f} ± {sd} [{f.min():.3f} .. "
                     f"{f.max():.3f}] | {np.mean([mine[s]['test_corr'] for s in mine]):.3f} | {inside} | "
                     f"{np.mean([mine[s]['fraction_of_ground_truth'] for s in mine]):.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from daenr_lite.data.calibration import CALIBRATED_V2

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--retrain-seed0", action="store_true", help="do not take seed 0 from the calibration's log")
    args = parser.parse_args(argv)
    done = {(r["region"], r["seed"]) for r in recorded() if not (args.retrain_seed0 and r["source"] == CALIBRATION.name)}
    for region in args.regions:
        for seed in args.seeds:
            if (region, seed) in done:
                print(f"region {region} seed {seed}: recorded already", flush=True)
                continue
            row = {"region": region, "seed": seed, **train(region, seed), "params": CALIBRATED_V2[region].as_dict(),
                   "time": time.strftime("%Y-%m-%d %H:%M:%S")}
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            with RESULTS.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k != "params"}),
                  flush=True)
    print("\n" + summary(recorded()))


if __name__ == "__main__":
    main()

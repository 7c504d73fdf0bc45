"""CNN-FR architecture candidates on the simulated recordings, measured side by side in one run.

Usage::

    python benchmarks/bench_cnn_fr.py                                  # every candidate, region 1, seed 0
    python benchmarks/bench_cnn_fr.py --candidates current,k13_smooth --regions 1 2 3 --seeds 0 1 2
    python benchmarks/bench_cnn_fr.py --list

Each candidate is a set of ModelConfig / TrainConfig overrides on top of the defaults; ``current`` is the
default configuration as it is now. Every model is trained with one torch thread (results are identical for
any thread count), so CPU seconds (``time.process_time``) approximate the wall time on an idle core and are
comparable within one run even on a busy machine. Prints a Markdown table: test r (mean over neurons of
Pearson r with the trial-averaged test responses), fraction of the ground-truth ceiling, FEVe, epochs and CPU
seconds, with mean +- sd over seeds when several are given, and the CPU time relative to ``reference``.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from daenr_lite.config import ModelConfig, TrainConfig
from daenr_lite.data import load_dataset
from daenr_lite.models import build_model
from daenr_lite.training import evaluate, fit, set_seed

#: the CNN-FR core before issue 14 (every candidate but "current" starts from it)
EARLIER = {"core_kernels": (9, 3, 3, 3), "core_channels": (32, 32, 32, 32), "core_smoothness": 0.0,
           "readout_nonlinearity": "elu1"}


def _from_earlier(**changes) -> dict:
    return {**EARLIER, **changes}


#: name -> (ModelConfig overrides, TrainConfig overrides, what it tests)
CANDIDATES: dict[str, tuple[dict, dict, str]] = {
    "current": ({}, {}, "the defaults as they are now"),
    "reference": (_from_earlier(), {}, "the earlier default: 9x9 first kernel, 32 channels"),
    "k11": (_from_earlier(core_kernels=(11, 3, 3, 3)), {}, "11x11 first kernel"),
    "k13": (_from_earlier(core_kernels=(13, 3, 3, 3)), {}, "13x13 first kernel (Klindt et al.)"),
    "k15": (_from_earlier(core_kernels=(15, 3, 3, 3)), {}, "15x15 first kernel"),
    "ch48": (_from_earlier(core_channels=(48, 48, 48, 48)), {}, "48 channels per layer (Klindt et al.)"),
    "softplus_out": (_from_earlier(readout_nonlinearity="softplus"), {}, "softplus instead of ELU+1 output"),
    "k13_ch48": (_from_earlier(core_kernels=(13, 3, 3, 3), core_channels=(48, 48, 48, 48)), {},
                 "13x13 first kernel and 48 channels per layer (Klindt et al.'s sizes)"),
    "k13_ch40": (_from_earlier(core_kernels=(13, 3, 3, 3), core_channels=(40, 40, 40, 40)), {},
                 "13x13 first kernel, 40 channels per layer"),
    "k13_ch48_32": (_from_earlier(core_kernels=(13, 3, 3, 3), core_channels=(48, 32, 32, 32)), {},
                    "13x13 first kernel, 48 channels in h1 only"),
    "k13_smooth1": (_from_earlier(core_kernels=(13, 3, 3, 3), core_smoothness=1.0), {},
                    "13x13 + Laplacian smoothness penalty 1 on the first-layer kernels"),
    "k13_ch48_smooth1": (_from_earlier(core_kernels=(13, 3, 3, 3), core_channels=(48, 48, 48, 48),
                                       core_smoothness=1.0), {}, "13x13, 48 channels + smoothness 1"),
}


def run(name: str, region: int, seed: int) -> dict:
    model_overrides, train_overrides, _ = CANDIDATES[name]
    data = load_dataset("simulated", region=region, seed=seed)
    set_seed(seed)
    model = build_model("cnn_fr", data, config=ModelConfig().replace(**model_overrides))
    cpu0 = time.process_time()
    history = fit(model, data, TrainConfig(seed=seed).replace(**train_overrides), progress=False)
    cpu = time.process_time() - cpu0
    scores = evaluate(model, data)
    return {"candidate": name, "region": region, "seed": seed, "test_corr": scores["test_corr"],
            "fraction_of_ceiling": scores["fraction_of_ceiling"], "feve": scores["feve"], "epochs": history.n_epochs,
            "cpu_s": cpu}


def _cell(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(np.mean(values))} ± {fmt.format(np.std(values, ddof=1))}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", default=",".join(CANDIDATES), help="comma-separated candidate names")
    parser.add_argument("--regions", type=int, nargs="+", default=[1])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="data and training seeds")
    parser.add_argument("--baseline", default="reference", help="candidate the CPU time is compared with")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows to this JSON file")
    parser.add_argument("--list", action="store_true", help="list the candidates and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, (m, t, what) in CANDIDATES.items():
            print(f"{name:16s} {what}  model {m} train {t}")
        return
    names = [n.strip() for n in args.candidates.split(",") if n.strip()]
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        parser.error(f"unknown candidate(s) {unknown}; see --list")
    torch.set_num_threads(1)
    print(f"# CNN-FR candidates: torch {torch.__version__}, 1 thread, load average {os.getloadavg()}\n", flush=True)
    rows = []
    for region in args.regions:
        for seed in args.seeds:
            for name in names:
                rows.append(run(name, region, seed))
                print("  " + json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rows[-1].items()}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print("\n| region | candidate | test r | fraction of ceiling | FEVe | epochs | CPU s | CPU vs " + args.baseline + " |")
    print("|---|---|---|---|---|---|---|---|")
    for region in args.regions:
        base = [r["cpu_s"] for r in rows if r["region"] == region and r["candidate"] == args.baseline]
        for name in names:
            sel = [r for r in rows if r["region"] == region and r["candidate"] == name]
            ratio = f"{np.mean([r['cpu_s'] for r in sel]) / np.mean(base):.2f}" if base else "-"
            print(f"| {region} | {name} | {_cell([r['test_corr'] for r in sel], '{:.3f}')} | "
                  f"{_cell([r['fraction_of_ceiling'] for r in sel], '{:.3f}')} | {_cell([r['feve'] for r in sel], '{:.3f}')} | "
                  f"{_cell([r['epochs'] for r in sel], '{:.0f}')} | {_cell([r['cpu_s'] for r in sel], '{:.0f}')} | {ratio} |")


if __name__ == "__main__":
    main()

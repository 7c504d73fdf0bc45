"""Paper-mirroring similarity experiments on the simulated dataset, with the paper's numbers beside.

Runs, for each region:

1. Figure 3 analogue: :func:`daenr_lite.significant_neuron_counts` (DAE with a readout probe on each
   layer h1..h4, DAE-NR_1..4, CNN-FR), plus the reconstruction metrics of the same models.
2. Layer profiles (CKA, RSA, linear predictivity of h1..h4 vs the recorded neurons, with noise
   ceiling and permutation null) of the same trained models (``--profiles``).
3. Table 2 analogue (only for regions listed in ``--table2-regions``, default 3):
   :func:`daenr_lite.significant_vs_insignificant`, DAE-NR_i trained on only the significant (YES) or
   only the insignificant (NO) neurons. ``--table2-mask own`` (default): each DAE-NR_i uses the neurons
   that the DAE-NR_i trained on all neurons (step 1) predicts significantly — our reading of the paper;
   ``cnn_fr``: the CNN-FR's significant neurons for every layer. The groups are not balanced (as in
   the paper) unless ``--balance``.

Usage::

    python benchmarks/bench_similarity.py --quick --regions 3            # minutes: TrainConfig.quick()
    python benchmarks/bench_similarity.py --regions 1 2 3 --seed 0 --out /tmp/bench_similarity.json

Training uses the models helper's defaults (:class:`daenr_lite.TrainConfig`), or ``TrainConfig.quick()``
with ``--quick``. Results depend on the seed; report the seed with every number.
"""
from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

# the published numbers (Ran et al. 2021), see ../shared/reference/dae_nr_results.md
PAPER_FIG3_REGION3 = {"DAE": "6", "DAE-NR": "38-47 (by mapping layer)", "CNN-FR": "fewer than DAE-NR (count not given)"}
PAPER_TABLE1 = {  # region -> model -> (MSE, PSNR, SSIM)
    1: {"DAE": (0.022, 23.709, 0.771), "DAE-NR_1": (0.021, 23.829, 0.776), "DAE-NR_2": (0.021, 23.779, 0.775),
        "DAE-NR_3": (0.021, 23.778, 0.775), "DAE-NR_4": (0.022, 23.721, 0.773)},
    2: {"DAE": (0.024, 23.338, 0.754), "DAE-NR_1": (0.023, 23.392, 0.753), "DAE-NR_2": (0.023, 23.440, 0.759),
        "DAE-NR_3": (0.024, 23.330, 0.755), "DAE-NR_4": (0.023, 23.491, 0.760)},
    3: {"DAE": (0.081, 17.039, 0.561), "DAE-NR_1": (0.044, 19.751, 0.763), "DAE-NR_2": (0.043, 19.819, 0.764),
        "DAE-NR_3": (0.043, 19.789, 0.761), "DAE-NR_4": (0.059, 18.462, 0.668)},
}
PAPER_TABLE2 = {  # region 3: layer -> (MSE YES, MSE NO, SSIM YES, SSIM NO, PSNR YES, PSNR NO)
    1: (0.043, 0.125, 0.761, 0.332, 19.784, 15.168),
    2: (0.047, 0.082, 0.743, 0.547, 19.467, 16.970),
    3: (0.049, 0.116, 0.724, 0.362, 19.245, 15.463),
    4: (0.047, 0.045, 0.740, 0.752, 19.497, 19.628),
}


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, (float, np.floating)):
        return "nan" if not np.isfinite(value) else f"{value:.{digits}f}"
    return str(value)


def _markdown(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _jsonable(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in table:
        out.append({k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in row.items() if k != "trained_model"})
    return out


def run_region(region: int, args: argparse.Namespace) -> dict[str, Any]:
    from daenr_lite import load_dataset
    from daenr_lite.experiments import (select_significant, significant_neuron_counts, significant_vs_insignificant,
                                        split_test_images)
    from daenr_lite.similarity import layer_profile

    config = "quick" if args.quick else None
    dataset = load_dataset("simulated", region=region, seed=args.data_seed)
    print(f"\n## Region {region} ({dataset.n_neurons} neurons, {dataset.n_test} test images x {dataset.n_repeats} repeats)"
          f" — seed {args.seed}, {'QUICK training (TrainConfig.quick())' if args.quick else 'default training (TrainConfig())'}")
    result: dict[str, Any] = {"region": region, "seed": args.seed, "quick": args.quick}

    start = time.perf_counter()
    counts = significant_neuron_counts(dataset, train_config=config, seed=args.seed, progress=not args.no_progress)
    models: dict[str, Any] = {row["model"]: row["trained_model"] for row in counts}
    result["counts"] = _jsonable(counts)
    print(f"\n### Figure 3 analogue: neurons predicted significantly (one-sided t-test on r, p <= 0.05)"
          f" [{time.perf_counter() - start:.0f} s]\n")
    print(_markdown(
        ["model", "significant", "not significant", "mean r", "median r", "epochs"],
        [[r["model"], f"{r['n_significant']}/{r['n_neurons']}", r["n_insignificant"], r["mean_r"], r["median_r"], r["epochs"]]
         for r in counts],
    ))
    if region == 3:
        print("\npaper (region 3, real data): " + "; ".join(f"{k}: {v}" for k, v in PAPER_FIG3_REGION3.items()))

    print("\n### Table 1 analogue: reconstruction of the same models (test images; all neurons)\n")
    paper = PAPER_TABLE1.get(region, {})
    seen = set()
    rows = []
    for r in counts:
        name = "DAE" if r["kind"] == "dae" else r["model"]
        if r["kind"] == "cnn_fr" or name in seen:
            continue
        seen.add(name)
        p = paper.get(name, (float("nan"),) * 3)
        rows.append([name, r["mse"], r["psnr"], r["ssim"], p[0], p[1], p[2]])
    print(_markdown(["model", "MSE", "PSNR", "SSIM", "paper MSE", "paper PSNR", "paper SSIM"], rows))

    if args.profiles:
        print(f"\n### Layer profiles (value / noise ceiling; * = above the 95% permutation null, {args.permutations} shuffles)\n")
        profiles: dict[str, Any] = {}
        names = ["DAE (probe h1)", "DAE-NR_1", "DAE-NR_2", "DAE-NR_3", "DAE-NR_4", "CNN-FR"]
        for measure in ("cka", "rsa", "predictivity"):
            rows = []
            for name in names:
                if name not in models:
                    continue
                model = models[name].backbone if name.startswith("DAE (probe") else models[name]
                label = "DAE" if name.startswith("DAE (probe") else name
                table = layer_profile(model, dataset, measure, n_permutations=args.permutations, seed=args.seed,
                                      progress=False)
                profiles[f"{measure}:{label}"] = table
                rows.append([label] + [f"{t['value']:.3f}{'*' if t['p_value'] <= 0.05 else ''}" for t in table])
            ceiling = table[0]["ceiling"]
            print(f"{measure} (noise ceiling {ceiling:.3f}):\n")
            print(_markdown(["model", "h1", "h2", "h3", "h4"], rows) + "\n")
        result["profiles"] = profiles

    if region in args.table2_regions:
        start = time.perf_counter()
        # neurons selected on half of the test images; Table 2's test_corr on the other half
        selection, _ = split_test_images(dataset.n_test, args.seed)
        if args.table2_mask == "own":
            masks: Any = {i: select_significant(models[f"DAE-NR_{i}"], dataset, selection) for i in (1, 2, 3, 4)}
            source = "each DAE-NR_i's own significant neurons (all-neuron model above, selection half)"
        else:
            masks = select_significant(models["CNN-FR"], dataset, selection)
            source = "the CNN-FR's significant neurons (selection half)"
        t2 = significant_vs_insignificant(dataset, masks, config, selected_on=selection, seed=args.seed,
                                          balance=args.balance, progress=not args.no_progress)
        result["table2"] = _jsonable(t2)
        result["table2_mask"] = source
        print(f"\n### Table 2 analogue: DAE-NR_i trained on only significant (YES) or only insignificant (NO) "
              f"neurons; mask: {source}{'; balanced groups' if args.balance else ''}"
              f" [{time.perf_counter() - start:.0f} s]\n")
        rows = []
        for layer in (1, 2, 3, 4):
            yes = next(r for r in t2 if r["layer"] == layer and r["neurons"] == "YES")
            no = next(r for r in t2 if r["layer"] == layer and r["neurons"] == "NO")
            p = PAPER_TABLE2[layer] if region == 3 else (float("nan"),) * 6
            rows.append([f"DAE-NR_{layer}", f"{yes['n_neurons']}/{no['n_neurons']}", yes["mse"], no["mse"], yes["ssim"],
                         no["ssim"], yes["psnr"], no["psnr"], f"{p[0]}/{p[1]}", f"{p[2]}/{p[3]}", f"{p[4]}/{p[5]}"])
        print(_markdown(["model", "neurons Y/N", "MSE YES", "MSE NO", "SSIM YES", "SSIM NO", "PSNR YES", "PSNR NO",
                         "paper MSE Y/N", "paper SSIM Y/N", "paper PSNR Y/N"], rows))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, nargs="+", default=[3], choices=[1, 2, 3])
    parser.add_argument("--table2-regions", type=int, nargs="*", default=[3], choices=[1, 2, 3])
    parser.add_argument("--table2-mask", choices=["own", "cnn_fr"], default="own")
    parser.add_argument("--balance", action="store_true", help="equal-sized YES and NO groups in Table 2")
    parser.add_argument("--seed", type=int, default=0, help="training seed (initialisation, split, shuffling)")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the simulated dataset")
    parser.add_argument("--quick", action="store_true", help="TrainConfig.quick() instead of the defaults")
    parser.add_argument("--profiles", action="store_true", help="also compute CKA/RSA/predictivity layer profiles")
    parser.add_argument("--permutations", type=int, default=200, help="permutations per layer profile entry")
    parser.add_argument("--out", help="write all tables as JSON here")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = [run_region(region, args) for region in args.regions]
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=1, default=float)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

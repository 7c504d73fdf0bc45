"""Quality and speed of the DAE, CNN-FR and DAE-NR_1..4 on the simulated dataset.

Usage::

    python benchmarks/bench_models.py                 # defaults + quick preset + speed (several minutes)
    python benchmarks/bench_models.py --quick         # quick preset + speed only
    python benchmarks/bench_models.py --models cnn_fr,dae_nr_1 --region 2 --threads 2
    python benchmarks/bench_models.py --speed-only --threads 2
    python benchmarks/bench_models.py --speed-only --threads 2 --variants --layers   # issue 14's measurement

Prints Markdown tables:

1. test metrics per model at the default :class:`TrainConfig` (PSNR/SSIM/MSE for reconstructing models;
   test_corr / fraction_of_ceiling / FEVe for response models), epochs, wall seconds and CPU seconds;
2. the same for :meth:`TrainConfig.quick` (the preset the notebooks use in CI), with a chance baseline
   (every test image reconstructed as the mean training image; a constant prediction has r = 0);
3. speed: training throughput (images/s) and the fraction of the machine's float32 matmul FLOP/s that a
   training step reaches (FLOPs counted with ``torch.utils.flop_counter.FlopCounterMode``; peak measured
   with a large ``torch.mm`` in the same run).

Wall time depends on what else runs on the machine; CPU seconds (``time.process_time``, summed over
threads) do not, and with one thread they approximate the wall time on an idle core. On a busy 2-core
machine ``--threads 1`` is much faster than ``--threads 2`` (the two OpenMP threads wait for each other);
results are identical for any thread count.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch

from daenr_lite import metrics
from daenr_lite.config import TrainConfig
from daenr_lite.data import load_dataset
from daenr_lite.models import build_model, model_spec
from daenr_lite.training import evaluate, fit, get_device, set_seed
from daenr_lite.training.objective import objective

ALL_MODELS = ["cnn_fr", "dae", "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4"]


def make_model(name: str, dataset):
    return build_model(name, dataset)  # registry names, e.g. "dae_nr_2"


def display_name(name: str) -> str:
    return model_spec(name).display


def train_and_score(names: list[str], dataset, config: TrainConfig, device) -> list[dict]:
    rows = []
    for name in names:
        set_seed(config.seed)
        model = make_model(name, dataset)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        history = fit(model, dataset, config, progress=False, device=device)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        scores = evaluate(model, dataset)
        rows.append({"model": display_name(name), "epochs": history.n_epochs, "best_epoch": history.best_epoch,
                     "stopped": history.stopped_reason, "wall_s": wall, "cpu_s": cpu,
                     "img_per_s": history.n_epochs * len(dataset.split_indices(config.val_fraction, config.seed)[0]) / wall,
                     **scores})
        print(f"  trained {display_name(name)}: {history}, cpu {cpu:.1f} s, "
              + ", ".join(f"{k} {v:.4g}" for k, v in scores.items()), flush=True)
    return rows


def baseline_row(dataset) -> dict:
    mean_image = np.broadcast_to(dataset.train_images.mean(axis=0), dataset.test_images.shape)
    return {"model": "chance: mean image / constant rate", "mse": metrics.mse(mean_image, dataset.test_images),
            "psnr": metrics.psnr(mean_image, dataset.test_images), "ssim": metrics.ssim(mean_image, dataset.test_images),
            "test_corr": 0.0, "fraction_of_ceiling": 0.0}


def print_table(rows: list[dict]) -> None:
    cols = ["model", "psnr", "ssim", "mse", "test_corr", "fraction_of_ceiling", "feve", "single_trial_corr",
            "epochs", "best_epoch", "stopped", "wall_s", "cpu_s", "img_per_s"]
    fmt = {"psnr": "{:.2f}", "ssim": "{:.3f}", "mse": "{:.4f}", "test_corr": "{:.3f}", "fraction_of_ceiling": "{:.3f}",
           "feve": "{:.3f}", "single_trial_corr": "{:.3f}", "wall_s": "{:.1f}", "cpu_s": "{:.1f}", "img_per_s": "{:.0f}"}
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        cells = []
        for col in cols:
            value = row.get(col)
            cells.append("-" if value is None else fmt.get(col, "{}").format(value))
        print("| " + " | ".join(cells) + " |")
    print(flush=True)


def peak_matmul_flops(device, size: int = 2048, repeats: int = 10) -> float:
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    for _ in range(2):
        torch.mm(a, b)
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    _sync(device)
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


#: training-step variants measured by --variants ("as fit trains": channels-last models, plain Adam, eager mode)
VARIANTS = {
    "as fit trains": {},
    "channels-first (NCHW)": {"channels_last": False},
    "foreach Adam": {"adam": {"foreach": True}},
    "fused Adam": {"adam": {"fused": True}},
    "torch.compile": {"compile": True},
}


def training_step_speed(name: str, dataset, config: TrainConfig, device, steps: int = 30, variant: str = "as fit trains") -> dict:
    from torch.utils.flop_counter import FlopCounterMode

    from daenr_lite.models.encoder import set_memory_format

    options = VARIANTS[variant]
    set_seed(0)
    model = make_model(name, dataset).to(device).train()
    if "channels_last" in options:
        set_memory_format(model, options["channels_last"])
    images = torch.as_tensor(dataset.train_images[: config.batch_size], device=device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, **options.get("adam", {}))
    responses = torch.as_tensor(dataset.train_responses[: config.batch_size], device=device)

    def loss(x, y):
        return objective(model, model(x), x, y, config.lam)[0]

    compiled = torch.compile(loss) if options.get("compile") else loss

    def step(run=compiled):
        total = run(images, responses)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()

    counter = FlopCounterMode(display=False)
    with counter:
        step(loss)  # count the eager step's FLOPs (the same for every variant)
    flops_per_step = counter.get_total_flops()
    start = time.perf_counter()
    step()  # warm-up; for torch.compile this is the compilation
    _sync(device)
    first_step_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    seconds = (time.perf_counter() - start) / steps
    return {"model": display_name(name), "mflop_per_image": flops_per_step / config.batch_size / 1e6,
            "img_per_s": config.batch_size / seconds, "gflop_per_s": flops_per_step / seconds / 1e9,
            "first_step_s": first_step_s}


def layer_profile(name: str, dataset, config: TrainConfig, device, steps: int = 30) -> list[dict]:
    """Forward + backward time and GFLOP/s of each conv block (conv, batch norm, activation) of ``name`` alone,
    on the activations a training batch gives it: where a step's time goes, and which layers are memory-bound."""
    from torch.utils.flop_counter import FlopCounterMode

    set_seed(0)
    model = make_model(name, dataset).to(device).train()
    images = torch.as_tensor(dataset.train_images[: config.batch_size], device=device)
    blocks = []  # (label, module, its input)
    with torch.no_grad():
        x = model.normalize(images)
        stack = model.core if hasattr(model, "core") else model.encoder
        x = x.contiguous(memory_format=stack.memory_format)
        for i, layer in enumerate(stack.layers):
            blocks.append((f"{'core' if hasattr(model, 'core') else 'encoder'} {i + 1}: {layer[0]}", layer, x))
            x = layer(x)
        if hasattr(model, "decoder"):
            for i, layer in enumerate(model.decoder.layers):
                blocks.append((f"decoder {i + 1}: {layer[0]}", layer, x))
                x = layer(x)
    rows = []
    for index, (label, module, inp) in enumerate(blocks):
        inp = inp.detach().requires_grad_(index > 0)  # as in training: no gradient for the input images

        def run():
            module(inp).sum().backward()

        with FlopCounterMode(display=False) as counter:
            run()
        flops = counter.get_total_flops()
        run()
        _sync(device)
        start = time.perf_counter()
        for _ in range(steps):
            run()
        _sync(device)
        seconds = (time.perf_counter() - start) / steps
        rows.append({"layer": label.split(", kernel_size")[0] + ")", "ms": seconds * 1e3, "gflop_per_s": flops / seconds / 1e9,
                     "bytes_per_flop": 4 * (inp.numel() + module(inp).numel()) / max(flops, 1)})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the quick preset and the speed section")
    parser.add_argument("--region", type=int, default=1, help="simulated region 1, 2 or 3 (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--models", default=",".join(ALL_MODELS), help=f"comma-separated subset of {ALL_MODELS}")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed section")
    parser.add_argument("--speed-only", action="store_true", help="only the speed section (no training runs)")
    parser.add_argument("--variants", action="store_true",
                        help="with the speed section: also time channels-first, foreach/fused Adam and torch.compile steps")
    parser.add_argument("--layers", action="store_true",
                        help="with the speed section: forward+backward time of each conv block of the CNN-FR and the DAE")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    device = get_device(None if args.device == "auto" else args.device)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = sorted(set(names) - set(ALL_MODELS))
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {ALL_MODELS}")
    dataset = load_dataset("simulated", region=args.region)
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print(f"# daenr-lite model benchmark — simulated region {args.region}")
    print(f"torch {torch.__version__}, device {device}, torch threads {torch.get_num_threads()}, "
          f"{os.cpu_count()} logical CPUs ({platform.processor() or platform.machine()}), load average at start {load}")
    print(f"dataset: {dataset.n_train} train images {dataset.image_shape}, {dataset.n_neurons} neurons, "
          f"{dataset.n_test} test images x {dataset.n_repeats} repeats")
    ceiling = metrics.ground_truth_ceiling(dataset.ground_truth.test_rates, dataset.test_responses).mean()
    oracle = metrics.oracle_corr(dataset.test_responses).mean()
    print(f"ground-truth ceiling (mean r of true rates with trial-averaged test responses) {ceiling:.3f}; "
          f"leave-one-out single-trial oracle {oracle:.3f}\n", flush=True)

    if not args.quick and not args.speed_only:
        print(f"## Default TrainConfig {TrainConfig().to_dict()}\n", flush=True)
        print_table(train_and_score(names, dataset, TrainConfig(), device))
    if not args.speed_only:
        quick = TrainConfig.quick()
        print(f"## Quick preset TrainConfig.quick() {quick.to_dict()}\n", flush=True)
        print_table([baseline_row(dataset)] + train_and_score(names, dataset, quick, device))

    if not args.no_speed:
        peak = peak_matmul_flops(device)
        print(f"## Speed (batch {TrainConfig().batch_size}, training step = forward + backward + Adam)\n")
        print(f"peak float32 matmul (2048x2048 torch.mm): {peak / 1e9:.1f} GFLOP/s\n")
        print("| model | MFLOP/image (fwd+bwd) | images/s | GFLOP/s | fraction of matmul peak |")
        print("|---|---|---|---|---|")
        for name in [n for n in ("cnn_fr", "dae", "dae_nr_1", "dae_nr_4") if n in names]:
            s = training_step_speed(name, dataset, TrainConfig(), device)
            print(f"| {s['model']} | {s['mflop_per_image']:.1f} | {s['img_per_s']:.0f} | {s['gflop_per_s']:.2f} | "
                  f"{s['gflop_per_s'] * 1e9 / peak:.1%} |", flush=True)
        if args.layers:
            for name in [n for n in ("cnn_fr", "dae") if n in names]:
                print(f"\n## Conv blocks of the {display_name(name)} (conv + batch norm + ELU, forward + backward, batch "
                      f"{TrainConfig().batch_size})\n")
                print("| block | ms | GFLOP/s | fraction of matmul peak | activation bytes per FLOP |")
                print("|---|---|---|---|---|")
                for row in layer_profile(name, dataset, TrainConfig(), device):
                    print(f"| {row['layer']} | {row['ms']:.2f} | {row['gflop_per_s']:.1f} | "
                          f"{row['gflop_per_s'] * 1e9 / peak:.1%} | {row['bytes_per_flop']:.3f} |", flush=True)
        if args.variants:
            print("\n## Step-time variants (images / s; each variant timed right after the others, same batch)\n")
            print("| model | " + " | ".join(VARIANTS) + " |")
            print("|---|" + "---|" * len(VARIANTS))
            for name in [n for n in ("cnn_fr", "dae", "dae_nr_1") if n in names]:
                cells = []
                for variant in VARIANTS:
                    try:
                        s = training_step_speed(name, dataset, TrainConfig(), device, variant=variant)
                        cells.append(f"{s['img_per_s']:.0f}" + (f" (compile {s['first_step_s']:.0f} s)" if variant == "torch.compile" else ""))
                    except Exception as exc:  # e.g. fused Adam unsupported on this device, no C++ compiler for torch.compile
                        cells.append(f"n/a ({type(exc).__name__})")
                print(f"| {display_name(name)} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()

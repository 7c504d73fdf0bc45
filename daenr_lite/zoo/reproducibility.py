"""Reproducing a trained model on another machine: what a manifest records of the machine, and how far apart
two trainings of one recipe may land when the float kernels differ.

Training is bit-reproducible only on the same kernels. PyTorch picks its vectorised CPU kernels (ATen: DEFAULT,
AVX2, AVX512) and oneDNN its convolution code (SSE4.1, AVX2, AVX-512, ...) from the CPU it runs on, so another
CPU sums in another order; a GPU differs more. Training amplifies those last-bit differences, so a retrained
model is the same model only up to a tolerance, which is *measured*, never guessed:

- :data:`RETRAIN_TOLERANCE` (the test suite's retrain of a shipped probe, 40 epochs on a frozen shipped DAE) is
  set from ``benchmarks/cross_cpu_tolerance.py``: on one machine it retrains shipped recipes under every kernel
  family this CPU can emulate (``ATEN_CPU_CAPABILITY`` x ``ONEDNN_MAX_CPU_ISA``, which is what another CPU would
  select) and compares them with each other and with the manifest (``benchmarks/results/cross_cpu_tolerance.md``).
  The tolerance is twice the largest difference seen there, rounded up.
- :data:`TRAINING_TOLERANCE` (whole trainings, e.g. the GPU check's pretrain against the shipped CPU zoo) comes
  from two builds of the whole zoo that differ in summation order only (``benchmarks/results/zoo_v1_vs_v2.md``:
  largest differences test r 0.041, PSNR 0.23 dB, SSIM 0.010, 6 significant neurons over 98 recipes), about 1.25x.
- :data:`INFERENCE_TOLERANCE`: the same weights evaluated with other kernels (no training in between).

When the manifest records the machine (:func:`machine_fingerprint`, written by the store into every entry) and it
matches the current one (:func:`same_kernels`), a retrain must give the same numbers to rounding:
:data:`SAME_KERNELS_TOLERANCE`.
"""
from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any, Mapping

import torch

__all__ = [
    "machine_fingerprint",
    "same_kernels",
    "retrain_tolerance",
    "RETRAIN_TOLERANCE",
    "TRAINING_TOLERANCE",
    "INFERENCE_TOLERANCE",
    "SAME_KERNELS_TOLERANCE",
    "retrain_shipped_recipe",
]

#: |difference| allowed between a shipped probe and the same recipe retrained with other kernels (measured: see
#: the module docstring; benchmarks/results/cross_cpu_tolerance.md)
RETRAIN_TOLERANCE: dict[str, float] = {
    "test_corr": 0.01,
    "fraction_of_ceiling": 0.012,
    "oracle_corr": 0.025,
    "single_trial_corr": 0.006,
    "feve": 0.012,
    "feve_all": 0.015,
}
#: |difference| allowed between two whole trainings of one recipe on different kernels (zoo_v1_vs_v2.md, ~1.25x)
TRAINING_TOLERANCE: dict[str, float] = {"test_corr": 0.05, "fraction_of_ceiling": 0.07, "psnr": 0.3, "ssim": 0.015,
                                        "n_significant": 8}
#: |difference| allowed between the same weights evaluated on two devices or kernel families
INFERENCE_TOLERANCE: dict[str, float] = {"test_corr": 0.005, "fraction_of_ceiling": 0.006, "psnr": 0.05, "ssim": 0.002}
#: on identical kernels a retrain reproduces the stored metrics to float rounding
SAME_KERNELS_TOLERANCE = 1e-6

#: metrics that describe the data, not the model: equal on every machine
_DATA_METRICS = ("ceiling", "feve_n_neurons", "n_undefined_corr")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _onednn_isa() -> str:
    """The oneDNN ISA cap in force (``ONEDNN_MAX_CPU_ISA``), or ``"native"`` when none is set."""
    import os

    return os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "native")) or "native"


def machine_fingerprint(device: Any = "cpu") -> dict[str, str]:
    """What decides the float kernels a training runs on, as JSON-able strings.

    ``{"cpu": model name, "machine": x86_64/arm64, "cpu_capability": ATen's kernel family (DEFAULT/AVX2/AVX512),
    "onednn_isa": the oneDNN cap or "native", "torch": version, "device": "cpu" / "cuda:0 (NVIDIA ...)"}``.
    """
    device = str(device)
    described = device
    if device.startswith("cuda") and torch.cuda.is_available():
        index = torch.device(device).index or 0
        described = f"{device} ({torch.cuda.get_device_name(index)})"
    return {
        "cpu": _cpu_model(),
        "machine": platform.machine(),
        "cpu_capability": str(torch.backends.cpu.get_cpu_capability()),
        "onednn_isa": _onednn_isa(),
        "torch": torch.__version__,
        "device": described,
    }


def same_kernels(recorded: Mapping[str, Any] | None, current: Mapping[str, Any] | None = None) -> bool:
    """True when ``recorded`` (an entry's ``machine``) names the same kernels as ``current`` (default: this one).

    An entry written before machines were recorded (``None``) never counts as the same.
    """
    if not recorded:
        return False
    current = machine_fingerprint(str(recorded.get("device", "cpu")).split(" ")[0]) if current is None else current
    return all(recorded.get(k) == current.get(k) for k in ("cpu", "machine", "cpu_capability", "onednn_isa", "torch",
                                                                "device"))


def retrain_tolerance(entry: Mapping[str, Any]) -> dict[str, float]:
    """Per-metric tolerance for a retrain of ``entry``'s recipe on this machine: exact on the same kernels.

    Data metrics (the ceiling, neuron counts) do not depend on the kernels and are always exact.
    """
    names = [n for n in entry.get("metrics", {}) if n not in _DATA_METRICS]
    if same_kernels(entry.get("machine")):
        tolerance = {n: SAME_KERNELS_TOLERANCE for n in names}
    else:
        missing = [n for n in names if n not in RETRAIN_TOLERANCE]
        if missing:
            raise KeyError(f"no measured cross-machine tolerance for {', '.join(missing)}; "
                           "measure it with benchmarks/cross_cpu_tolerance.py and add it to RETRAIN_TOLERANCE.")
        tolerance = {n: RETRAIN_TOLERANCE[n] for n in names}
    tolerance.update({n: SAME_KERNELS_TOLERANCE for n in _DATA_METRICS if n in entry.get("metrics", {})})
    return tolerance


def retrain_shipped_recipe(key: str, workdir: str | Path, zoo_dir: str | Path | None = None) -> dict[str, Any]:
    """Retrain one shipped recipe (a probe or any model) into ``workdir`` and return the new entry.

    Only the recipe itself is trained: a probe's DAE is copied from the zoo into a zoo of its own, so that the
    comparison measures the probe's training alone.
    """
    from .recipe import Recipe
    from .store import SHIPPED_ZOO_DIR, ModelStore, read_entries

    zoo_dir = Path(zoo_dir) if zoo_dir is not None else SHIPPED_ZOO_DIR
    entries = read_entries(zoo_dir)
    if key not in entries:
        raise LookupError(f"{key!r} is not in {zoo_dir / 'manifest.json'}; list the keys with "
                          "daenr_lite.zoo.available_pretrained().")
    recipe = Recipe.from_dict(entries[key]["recipe"])
    workdir = Path(workdir)
    zoo = workdir / "zoo"
    zoo.mkdir(parents=True, exist_ok=True)
    kept = {}
    if recipe.spec.kind == "dae_probe":
        backbone = entries[recipe.backbone().key()]
        (zoo / backbone["file"]).write_bytes((zoo_dir / backbone["file"]).read_bytes())
        kept[backbone["key"]] = backbone
    (zoo / "manifest.json").write_text(json.dumps({"models": kept}))
    store = ModelStore(workdir / "cache", zoo_dirs=[zoo], progress=False)
    store.get(recipe)
    if store.n_trained != 1:
        raise RuntimeError(f"expected to train exactly {key}, trained {store.n_trained} models.")
    return store.entry(recipe)

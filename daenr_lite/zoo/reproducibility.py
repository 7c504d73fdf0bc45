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
- :data:`INFERENCE_TOLERANCE`: the same weights evaluated with other CPU kernels (no training in between), from
  the same script: seed 0's shipped models evaluated under each kernel family; twice the largest difference.
  :data:`DEVICE_INFERENCE_TOLERANCE` (another device, e.g. the GPU check) also covers the whole manifest's
  float16-stored weights against their float32 originals (a 10-bit mantissa, the precision of the TF32
  convolutions that GPUs use by default).

When the manifest records the machine (:func:`machine_fingerprint`, written by the store into every entry) and it
matches the current one (:func:`same_kernels`), a retrain must give the same numbers to rounding:
:data:`SAME_KERNELS_TOLERANCE`.
"""
from __future__ import annotations

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
    "DEVICE_INFERENCE_TOLERANCE",
    "inference_tolerance",
    "SAME_KERNELS_TOLERANCE",
]

#: |difference| allowed between a shipped probe and the same recipe retrained with other kernels (measured: see
#: the module docstring; benchmarks/results/cross_cpu_tolerance.md)
RETRAIN_TOLERANCE: dict[str, float] = {
    "feve": 0.034,
    "feve_all": 0.025,
    "fraction_of_ceiling": 0.13,
    "n_undefined_corr": 28.0,
    "oracle_corr": 1e-06,
    "single_trial_corr": 0.063,
    "test_corr": 0.12,
}
#: |difference| allowed between two whole trainings of one recipe on different kernels (zoo_v1_vs_v2.md, ~1.25x)
TRAINING_TOLERANCE: dict[str, float] = {"test_corr": 0.05, "fraction_of_ceiling": 0.07, "psnr": 0.3, "ssim": 0.015,
                                        "n_significant": 8}
#: |difference| allowed between the same weights evaluated with other CPU kernels (cross_cpu_tolerance.py: twice the
#: largest difference over the kernel families this CPU can emulate)
INFERENCE_TOLERANCE: dict[str, float] = {
    "feve": 3.3e-08,
    "feve_all": 9.9e-08,
    "fraction_of_ceiling": 0.0071,
    "mse": 4.1e-10,
    "n_undefined_corr": 2.0,
    "oracle_corr": 1e-06,
    "psnr": 4.9e-07,
    "single_trial_corr": 0.0033,
    "ssim": 2.7e-08,
    "test_corr": 0.0058,
}
#: |difference| allowed between the same weights evaluated on another device (cross_cpu_tolerance.py: twice the
#: largest of other CPU kernels and float16-rounded weights, a 10-bit mantissa like a GPU's TF32 convolutions)
DEVICE_INFERENCE_TOLERANCE: dict[str, float] = {
    "feve": 0.00044,
    "feve_all": 0.005,
    "fraction_of_ceiling": 0.042,
    "mse": 4.2e-06,
    "n_undefined_corr": 4.0,
    "oracle_corr": 1e-06,
    "psnr": 0.0056,
    "single_trial_corr": 0.02,
    "ssim": 0.00041,
    "test_corr": 0.036,
}
#: on identical kernels a retrain reproduces the stored metrics to float rounding
SAME_KERNELS_TOLERANCE = 1e-6

#: metrics that describe the data, not the model: equal on every machine (``n_undefined_corr`` is the model's:
#: neurons it predicts as a constant)
_DATA_METRICS = ("ceiling", "feve_n_neurons")


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


def _tolerance(entry: Mapping[str, Any], measured: Mapping[str, float], name: str) -> dict[str, float]:
    names = [n for n in entry.get("metrics", {}) if n not in _DATA_METRICS]
    if same_kernels(entry.get("machine")):
        tolerance = {n: SAME_KERNELS_TOLERANCE for n in names}
    else:
        missing = [n for n in names if n not in measured]
        if missing:
            raise KeyError(f"no measured cross-machine tolerance for {', '.join(missing)}; "
                           f"measure it with benchmarks/cross_cpu_tolerance.py and add it to {name}.")
        tolerance = {n: max(float(measured[n]), SAME_KERNELS_TOLERANCE) for n in names}  # rounding always
    tolerance.update({n: SAME_KERNELS_TOLERANCE for n in _DATA_METRICS if n in entry.get("metrics", {})})
    return tolerance


def retrain_tolerance(entry: Mapping[str, Any]) -> dict[str, float]:
    """Per-metric tolerance for a retrain of ``entry``'s recipe on this machine: exact on the same kernels
    (:func:`same_kernels` with the entry's recorded ``machine``), else :data:`RETRAIN_TOLERANCE`.

    Data metrics (the ceiling, neuron counts) do not depend on the kernels and are always exact.
    """
    return _tolerance(entry, RETRAIN_TOLERANCE, "RETRAIN_TOLERANCE")


def inference_tolerance(entry: Mapping[str, Any]) -> dict[str, float]:
    """Per-metric tolerance for ``entry``'s stored weights evaluated on this machine's CPU: exact on the same
    kernels, else :data:`INFERENCE_TOLERANCE` (an entry that does not record its machine counts as another one)."""
    return _tolerance(entry, INFERENCE_TOLERANCE, "INFERENCE_TOLERANCE")

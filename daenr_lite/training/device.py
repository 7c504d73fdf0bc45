"""Device selection and seeding."""
from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["get_device", "set_seed"]


#: the device types the models are run on, and how the one-line errors name the choices
_SUPPORTED_TYPES = ("cpu", "cuda", "mps")
_CHOICES = "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device(prefer: str | torch.device | None = None) -> torch.device:
    """The device to train on: ``prefer`` if given (checked), else CUDA, then Apple MPS, then CPU.

    ``prefer`` may be ``None`` or ``"auto"`` (both: the best available), or any torch device string such as
    ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` — the notebooks' ``DEVICE`` parameter is passed as is.
    """
    if prefer is not None and str(prefer) != "auto":
        try:
            device = torch.device(prefer)
        except (RuntimeError, TypeError):
            raise ValueError(f"unknown device {str(prefer)!r}; use {_CHOICES}.") from None
        if device.type not in _SUPPORTED_TYPES:
            raise ValueError(f"device {str(prefer)!r} is not one daenr-lite trains on; use {_CHOICES}.")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was requested but CUDA is not available; use device='auto' or 'cpu'.")
        if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"device {str(prefer)!r} was requested but this machine has "
                             f"{torch.cuda.device_count()} GPU(s) (cuda:0 ..); use 'cuda' or a smaller index.")
        if device.type == "mps" and not _mps_available():
            raise ValueError("device 'mps' was requested but Apple MPS is not available; use device='auto' or 'cpu'.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, numpy's global RNG and torch (CPU and all GPUs).

    On the CPU, training with the same seed then gives identical results; GPU kernels may still differ
    in the last bits between runs.
    """
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)

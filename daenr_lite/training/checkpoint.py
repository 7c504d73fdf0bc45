"""`save_model` / `load_model`: class name, constructor arguments, config and weights in one file.

The file holds only tensors and plain Python values, so it loads with ``torch.load(weights_only=True)``
(no pickled code), and the weights are stored on the CPU so a GPU checkpoint loads anywhere.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..config import ModelConfig

__all__ = ["save_model", "load_model"]

_FORMAT = "daenr-lite-model"
_FORMAT_VERSION = 1


def save_model(model: nn.Module, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to ``path`` (conventionally ``*.pt``); returns the path.

    ``model`` must provide ``init_kwargs()`` (all daenr-lite models do). ``metadata`` : optional dict of
    plain values (numbers, strings, lists) stored alongside, e.g. ``history.to_dict()``.
    """
    init_kwargs = getattr(model, "init_kwargs", None)
    if not callable(init_kwargs):
        raise TypeError(
            f"{type(model).__name__} has no init_kwargs() method, so it cannot be rebuilt on load; save its "
            "state_dict with torch.save(model.state_dict(), path) instead."
        )
    payload = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "module": type(model).__module__,
        "class": type(model).__qualname__,
        "init_kwargs": init_kwargs(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metadata": dict(metadata or {}),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild a model saved by :func:`save_model` (in eval mode, on ``map_location``).

    The stored metadata is available as ``model.checkpoint_metadata``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; save one with daenr_lite.save_model(model, path).")
    payload = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a daenr-lite model checkpoint (written by save_model).")
    if payload.get("format_version", 0) > _FORMAT_VERSION:
        raise ValueError(f"{path} was written by a newer daenr-lite (format {payload['format_version']}); upgrade daenr-lite.")
    module_name = payload["module"]
    if module_name.split(".")[0] != "daenr_lite":
        raise ValueError(f"{path} names the class {module_name}.{payload['class']}; only daenr-lite classes are loaded.")
    cls = getattr(importlib.import_module(module_name), payload["class"])
    kwargs = dict(payload["init_kwargs"])
    if isinstance(kwargs.get("config"), dict):
        kwargs["config"] = ModelConfig.from_dict(kwargs["config"])
    model = cls(**kwargs)
    model.load_state_dict(payload["state_dict"])
    model.checkpoint_metadata = payload.get("metadata", {})
    return model.to(map_location).eval()

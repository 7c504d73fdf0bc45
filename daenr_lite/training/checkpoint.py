"""`save_model` / `load_model`: class name, constructor arguments, config and weights in one file.

Safety and integrity:

- The file holds only tensors and plain Python values, so it loads with ``torch.load(weights_only=True)``
  (no pickled code), and the weights are stored on the CPU so a GPU checkpoint loads anywhere.
- ``load_model`` builds only classes in an explicit registry (:data:`MODEL_CLASSES`: ``DAE``, ``CNNFR``,
  ``DAENR``); a file naming anything else (e.g. a function of daenr-lite) is refused before anything
  is called.
- ``save_model`` first round-trips the payload in memory (serialise, load with ``weights_only=True``,
  rebuild the model), so metadata that could not be loaded later (numpy scalars, ``Path`` objects, ...)
  is rejected with the offending key named; then it writes a temporary file beside the target and
  moves it into place with ``os.replace``. A failed save leaves an existing checkpoint untouched.
- The payload carries ``sha256``: the SHA-256 of a canonical encoding of everything else in it (class,
  constructor arguments, metadata as sorted JSON; every state-dict tensor's name, dtype, shape and bytes
  in name order). ``load_model`` recomputes it and refuses a file whose contents were changed. It guards
  against corruption and accidental edits, not against a forger (who could recompute it); the registry
  is what keeps a checkpoint from running code.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._atomic import atomic_write_bytes
from ..config import ModelConfig

__all__ = ["save_model", "load_model", "MODEL_CLASSES", "CheckpointError"]

_FORMAT = "daenr-lite-model"
#: 1: no checksum (still loaded, with a warning); 2: ``sha256`` over the contents
_FORMAT_VERSION = 2


class CheckpointError(ValueError):
    """A checkpoint cannot be written or loaded; the message names the file and the fix."""


def _registry() -> dict[str, type[nn.Module]]:
    from ..models import CNNFR, DAE, DAENR

    return {f"{cls.__module__}.{cls.__qualname__}": cls for cls in (DAE, CNNFR, DAENR)}


#: ``"module.Class"`` -> class: the only classes :func:`load_model` builds (filled on first use)
MODEL_CLASSES: dict[str, type[nn.Module]] = {}


def _model_classes() -> dict[str, type[nn.Module]]:
    if not MODEL_CLASSES:
        MODEL_CLASSES.update(_registry())
    return MODEL_CLASSES


def _check_plain(value: Any, where: str) -> None:
    """Raise CheckpointError naming ``where`` if ``value`` is not made of None/bool/int/float/str/list/dict."""
    if value is None or isinstance(value, (bool, str)) or type(value) in (int, float):
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CheckpointError(f"{where} has the key {key!r} of type {type(key).__name__}; use string keys.")
            _check_plain(item, f"{where}[{key!r}]")
        return
    hint = "float(x) / int(x)" if hasattr(value, "item") else "str(x)"
    raise CheckpointError(
        f"{where} is a {type(value).__module__}.{type(value).__qualname__} ({value!r:.60}), which a checkpoint "
        f"cannot store safely; convert it to a plain value first (e.g. {hint}, or x.tolist() for arrays)."
    )


def _json_default(value: Any) -> Any:
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _digest(payload: dict[str, Any]) -> str:
    """SHA-256 over a canonical encoding of the payload (everything except ``sha256`` itself)."""
    digest = hashlib.sha256()
    head = {k: v for k, v in payload.items() if k not in ("sha256", "state_dict")}

    def canon(value: Any) -> Any:  # floats that JSON cannot hold (nan/inf) as strings
        if isinstance(value, float) and not math.isfinite(value):
            return repr(value)
        if isinstance(value, (list, tuple)):
            return [canon(v) for v in value]
        if isinstance(value, dict):
            return {str(k): canon(v) for k, v in value.items()}
        return value

    digest.update(json.dumps(canon(head), sort_keys=True, default=_json_default).encode())
    for name in sorted(payload["state_dict"]):
        tensor = payload["state_dict"][name].detach().cpu().contiguous()
        digest.update(f"\0{name}\0{tensor.dtype}\0{tuple(tensor.shape)}\0".encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def _registered_class(payload: dict[str, Any], source: str) -> type[nn.Module]:
    """The registered class ``payload`` names; CheckpointError for anything else (nothing is imported)."""
    name = f"{payload.get('module')}.{payload.get('class')}"
    classes = _model_classes()
    cls = classes.get(name)
    if cls is None:
        raise CheckpointError(
            f"{source} names {name!r}, which is not a daenr-lite model class; only {', '.join(sorted(classes))} "
            "are loaded. The file was not written by save_model (or was tampered with); nothing in it was run."
        )
    return cls


def _build(payload: dict[str, Any], source: str) -> nn.Module:
    """The model described by ``payload``, built only from a registered class."""
    cls = _registered_class(payload, source)
    kwargs = payload.get("init_kwargs")
    if not isinstance(kwargs, dict):
        raise CheckpointError(f"{source} has no valid constructor arguments (init_kwargs); it is damaged.")
    kwargs = dict(kwargs)
    try:
        if isinstance(kwargs.get("config"), dict):
            kwargs["config"] = ModelConfig.from_dict(kwargs["config"])
        model = cls(**kwargs)
        model.load_state_dict(payload["state_dict"])
    except (TypeError, ValueError, RuntimeError, KeyError) as exc:
        raise CheckpointError(f"{source} does not rebuild a {cls.__name__} ({type(exc).__name__}: {exc}).") from exc
    return model


def save_model(model: nn.Module, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to ``path`` (conventionally ``*.pt``); returns the path.

    ``model`` must be a :class:`~daenr_lite.models.DAE`, :class:`~daenr_lite.models.CNNFR` or
    :class:`~daenr_lite.models.DAENR` (see :data:`MODEL_CLASSES`). ``metadata`` : optional dict of plain values
    (None, bool, int, float, str and lists/dicts of those) stored alongside, e.g. ``history.to_dict()``.

    The payload is validated in memory first (a :class:`CheckpointError` names the offending metadata key),
    then written to a temporary file that replaces ``path`` atomically: a failure never damages an
    existing file at ``path``.
    """
    init_kwargs = getattr(model, "init_kwargs", None)
    if not callable(init_kwargs):
        raise TypeError(
            f"{type(model).__name__} has no init_kwargs() method, so it cannot be rebuilt on load; save its "
            "state_dict with torch.save(model.state_dict(), path) instead."
        )
    name = f"{type(model).__module__}.{type(model).__qualname__}"
    if name not in _model_classes():
        raise TypeError(
            f"save_model stores only {', '.join(sorted(_model_classes()))}, not {name}; save its state_dict "
            "with torch.save(model.state_dict(), path) instead."
        )
    if metadata is not None and not isinstance(metadata, dict):
        raise CheckpointError(f"metadata must be a dict of plain values; got {type(metadata).__name__}.")
    payload: dict[str, Any] = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "module": type(model).__module__,
        "class": type(model).__qualname__,
        "init_kwargs": init_kwargs(),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "metadata": dict(metadata or {}),
    }
    _check_plain(payload["metadata"], "metadata")
    _check_plain(payload["init_kwargs"], f"{type(model).__name__}.init_kwargs()")
    payload["sha256"] = _digest(payload)

    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    try:  # the round trip load_model will do, in memory
        reloaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"the checkpoint for {path} would not load back ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
            "store only plain values in metadata. Nothing was written."
        ) from exc
    _build(reloaded, f"the checkpoint for {path}")
    if _digest(reloaded) != payload["sha256"]:
        raise CheckpointError(f"the checkpoint for {path} did not survive a round trip in memory; nothing was written.")
    return atomic_write_bytes(Path(path), data)


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild a model saved by :func:`save_model` (in eval mode, on ``map_location``).

    The stored metadata is available as ``model.checkpoint_metadata``. Raises :class:`CheckpointError`
    (a ``ValueError``) for a file that is not a daenr-lite checkpoint, names a class outside
    :data:`MODEL_CLASSES`, or fails its SHA-256 check.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; save one with daenr_lite.save_model(model, path).")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"{path} is not a readable daenr-lite checkpoint ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
            "it may be truncated or not written by save_model."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise CheckpointError(f"{path} is not a daenr-lite model checkpoint (written by save_model).")
    version = payload.get("format_version", 0)
    if not isinstance(version, int) or version > _FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer daenr-lite (format {version!r}); upgrade daenr-lite.")
    if not isinstance(payload.get("state_dict"), dict):
        raise CheckpointError(f"{path} holds no weights (state_dict); it is damaged.")
    _registered_class(payload, str(path))
    if version >= 2:
        stored = payload.get("sha256")
        try:
            actual = _digest(payload)
        except (TypeError, ValueError, AttributeError) as exc:
            raise CheckpointError(f"{path} has contents that cannot be checked ({exc}); it is damaged.") from exc
        if stored != actual:
            raise CheckpointError(
                f"{path} fails its SHA-256 check (stored {str(stored)[:12]}..., contents {actual[:12]}...): the file "
                "was modified or corrupted after save_model wrote it. Re-save or re-train the model."
            )
    else:
        warnings.warn(f"{path} was written by an older daenr-lite without a checksum; re-save it with save_model.",
                      stacklevel=2)
    model = _build(payload, str(path))
    model.checkpoint_metadata = payload.get("metadata", {})
    return model.to(map_location).eval()

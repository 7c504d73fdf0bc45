"""`build_model`: a model sized for a :class:`~daenr_lite.data.NeuralDataset`."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..config import ModelConfig
from .base import NeuralModel
from .cnn_fr import CNNFR
from .dae import DAE
from .dae_nr import DAENR
from .registry import model_spec

__all__ = ["build_model", "MODEL_KINDS"]

MODEL_KINDS = ("dae", "cnn_fr", "dae_nr")


def build_model(
    kind: str,
    dataset: Any,
    mapping_layer: int | None = None,
    config: ModelConfig | None = None,
    *,
    train_idx: np.ndarray | None = None,
    **overrides: Any,
) -> NeuralModel:
    """Build a ``"dae"``, ``"cnn_fr"`` or ``"dae_nr"`` model for ``dataset``'s image size and neurons.

    Parameters
    ----------
    kind : ``"dae"`` | ``"cnn_fr"`` | ``"dae_nr"``, or a registry name that includes the mapping layer
        (``"dae_nr_2"``; see :mod:`daenr_lite.models.registry`).
    dataset : a NeuralDataset (uses ``image_shape``, ``n_neurons`` and the mean training response,
        which initialises the readout bias).
    mapping_layer : 1..4, only for ``"dae_nr"`` (default 1).
    config : base :class:`ModelConfig` (default: the defaults).
    train_idx : training-split indices for the mean response (default: all training images).
    **overrides : ModelConfig fields, e.g. ``encoder_channels=(8, 16, 16, 8)``.
    """
    kind_key = str(kind).lower().replace("-", "_")
    if kind_key not in MODEL_KINDS:
        try:
            spec = model_spec(kind)
        except ValueError:
            raise ValueError(
                f"unknown model kind {kind!r}; choose one of {', '.join(MODEL_KINDS)} or a registry name such as 'dae_nr_2'."
            ) from None
        if spec.kind not in MODEL_KINDS:
            raise ValueError(f"{spec.name!r} is a probe on a trained DAE; build it with daenr_lite.fit_probe(dae, dataset, layer).")
        if mapping_layer is not None and spec.layer is not None and int(mapping_layer) != spec.layer:
            raise ValueError(f"{kind!r} names mapping layer {spec.layer} but mapping_layer={mapping_layer}; give one of them.")
        kind_key, mapping_layer = spec.kind, spec.layer if spec.layer is not None else mapping_layer
    if mapping_layer is not None and kind_key != "dae_nr":
        raise ValueError(f"mapping_layer only applies to 'dae_nr' models, not {kind!r}; drop the argument.")
    if mapping_layer is not None and (isinstance(mapping_layer, bool) or mapping_layer not in (1, 2, 3, 4)):
        raise ValueError(f"mapping_layer must be 1, 2, 3 or 4 (the encoder layer the readout reads); got {mapping_layer!r}.")
    cfg = (config or ModelConfig()).replace(**overrides)
    if kind_key == "dae":
        return DAE(dataset.image_shape, cfg)
    responses = dataset.train_responses if train_idx is None else dataset.train_responses[np.asarray(train_idx)]
    mean_response = np.asarray(responses).mean(axis=0)
    if kind_key == "cnn_fr":
        return CNNFR(dataset.image_shape, dataset.n_neurons, cfg, mean_response=mean_response)
    layer = 1 if mapping_layer is None else int(mapping_layer)  # not `mapping_layer or 1`: 0 is refused above
    return DAENR(dataset.image_shape, dataset.n_neurons, layer, cfg, mean_response=mean_response)

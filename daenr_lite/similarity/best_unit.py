"""A probe-free count of significant neurons: each neuron's best single unit of a layer.

The paper (Ran et al. 2021, Figure 3) counts 6 of 102 neurons for the DAE without saying how a model
with no readout predicts a neuron. :func:`~daenr_lite.similarity.fit_probe` trains a readout on the
frozen layer (a *probe*: many weights per neuron, so it can find combinations). This module is the
opposite extreme, with nothing trained:

1. On the **training images** (single-trial responses), correlate every unit of layer ``h_i`` (every
   channel at every position, flattened) with every neuron, and pick for each neuron the unit with the
   highest Pearson r (signed: a unit that is anti-correlated is not a prediction).
2. On the **test images**, that unit's activation is the neuron's prediction; it is tested like any
   model's with :func:`~daenr_lite.similarity.neuron_significance` against the trial-averaged responses.

The choice uses only training data, so the test is not biased by the selection (with ~10^4 units the
training r is optimistic, the test r is not). Comparing this count with the probe's shows how much the
counting method, not the representation, drives a number like the paper's 6.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import as_stimulus_matrix, check_same_stimuli
from .significance import NeuronSignificance, neuron_significance

__all__ = ["best_unit_predictions", "best_unit_significance"]


def _zscored(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    centred = x - x.mean(axis=0, keepdims=True)
    norm = np.sqrt((centred**2).sum(axis=0))
    constant = norm <= 1e-12 * max(1.0, float(np.abs(x).max(initial=0.0)))
    return centred / np.where(constant, 1.0, norm), constant


def best_unit_predictions(
    train_features: Any, train_responses: Any, test_features: Any, chunk: int = 4096
) -> dict[str, np.ndarray]:
    """Per neuron, the unit that correlates best with it on the training stimuli, applied to the test stimuli.

    Parameters
    ----------
    train_features : (train stimuli, units) (more dimensions are flattened, e.g. (N, C, H, W)).
    train_responses : (train stimuli, neurons) single-trial responses to the same stimuli.
    test_features : (test stimuli, units) the same units on the test stimuli.
    chunk : units correlated at once (memory: ``train stimuli x chunk`` floats).

    Returns
    -------
    dict with ``predictions`` (test stimuli, neurons), ``unit`` (neurons,) index of the chosen unit in
    the flattened layer, ``train_r`` (neurons,) its training correlation. Units constant over the
    training stimuli are never chosen; a neuron constant over them gets unit 0 and ``train_r`` 0.
    """
    x = as_stimulus_matrix("train_features", train_features)
    y = as_stimulus_matrix("train_responses", train_responses)
    t = as_stimulus_matrix("test_features", test_features)
    check_same_stimuli("train_features", x, "train_responses", y)
    if t.shape[1] != x.shape[1]:
        raise ValueError(
            f"test_features have {t.shape[1]} units but train_features have {x.shape[1]}; both must come from "
            "the same layer (flattened the same way)."
        )
    zy, _ = _zscored(y)
    best_r = np.full(y.shape[1], -np.inf)
    best_unit = np.zeros(y.shape[1], dtype=np.int64)
    for start in range(0, x.shape[1], int(chunk)):
        zx, constant = _zscored(x[:, start : start + int(chunk)])
        r = zx.T @ zy  # (units in chunk, neurons)
        r[constant] = -np.inf
        idx = np.argmax(r, axis=0)
        r_max = r[idx, np.arange(y.shape[1])]
        better = r_max > best_r
        best_r[better], best_unit[better] = r_max[better], start + idx[better]
    best_r[~np.isfinite(best_r)] = 0.0
    return {"predictions": t[:, best_unit], "unit": best_unit, "train_r": best_r}


def best_unit_significance(
    model: Any, dataset: Any, layer: int, batch_size: int = 256, **significance_kwargs: Any
) -> tuple[NeuronSignificance, dict[str, np.ndarray]]:
    """The probe-free significance count of one layer of a trained model (e.g. the DAE's h_i).

    Parameters
    ----------
    model : a daenr-lite model whose forward returns ``features`` [h1..h4].
    dataset : NeuralDataset: units are chosen on ``train_images`` / ``train_responses``, tested on
        ``test_images`` / ``test_responses``.
    layer : 1..4.
    **significance_kwargs : passed to :func:`~daenr_lite.similarity.neuron_significance` (alpha,
        alternative, correction, ...).

    Returns
    -------
    ``(NeuronSignificance, details)`` with details from :func:`best_unit_predictions`.
    """
    from .profile import layer_features

    if layer not in (1, 2, 3, 4):
        raise ValueError(f"layer must be 1, 2, 3 or 4 (h1..h4), got {layer!r}.")
    train = layer_features(model, dataset.train_images, batch_size=batch_size)[layer - 1]
    test = layer_features(model, dataset.test_images, batch_size=batch_size)[layer - 1]
    details = best_unit_predictions(train, dataset.train_responses, test)
    return neuron_significance(details["predictions"], dataset.test_responses, **significance_kwargs), details

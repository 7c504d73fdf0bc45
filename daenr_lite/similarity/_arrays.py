"""Input checking and small numeric helpers shared by the similarity measures (private)."""
from __future__ import annotations

from typing import Any

import numpy as np


def as_stimulus_matrix(name: str, value: Any, *, min_stimuli: int = 3) -> np.ndarray:
    """``value`` as a float64 ``(stimuli, units)`` matrix.

    A 1-D array is one unit, ``(stimuli,) -> (stimuli, 1)``; more than two dimensions
    (e.g. conv features ``(stimuli, channels, height, width)``) are flattened to ``(stimuli, units)``.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} could not be converted to a float array ({exc}); pass a numpy array.") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    elif arr.ndim > 2:
        arr = arr.reshape(arr.shape[0], -1)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"{name} has shape {np.shape(value)}; expected (stimuli, units) with at least one unit.")
    if arr.shape[0] < min_stimuli:
        raise ValueError(
            f"{name} has {arr.shape[0]} stimuli; at least {min_stimuli} are needed. "
            "Arrays are (stimuli, units): transpose with X.T if yours is (units, stimuli)."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf values; remove those stimuli or units first.")
    return arr


def as_repeats(name: str, value: Any, *, min_stimuli: int = 3) -> np.ndarray:
    """``value`` as float64 ``(repeats, stimuli, units)``; a 2-D ``(stimuli, units)`` array is one repeat."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} could not be converted to a float array ({exc}); pass a numpy array.") from exc
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(
            f"{name} has shape {arr.shape}; expected (repeats, stimuli, units) or (stimuli, units) "
            "(e.g. dataset.test_responses)."
        )
    if arr.shape[1] < min_stimuli or arr.shape[2] == 0:
        raise ValueError(f"{name} has shape {arr.shape}; need at least {min_stimuli} stimuli and one unit.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf values; drop the affected trials or units first.")
    return arr


def check_same_stimuli(x_name: str, x: np.ndarray, y_name: str, y: np.ndarray) -> None:
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{x_name} has {x.shape[0]} stimuli but {y_name} has {y.shape[0]}; both must describe the same "
            "stimuli in the same order (rows are stimuli)."
        )


def zscore_columns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns centred and scaled to unit norm, ``(stimuli, units)``; plus a mask of constant columns.

    Constant columns become all zeros, so their correlation with anything is 0.
    """
    centred = x - x.mean(axis=0, keepdims=True)
    norm = np.sqrt((centred**2).sum(axis=0))
    constant = norm <= 1e-12 * max(1.0, float(np.abs(x).max(initial=0.0)))
    safe = np.where(constant, 1.0, norm)
    return np.where(constant, 0.0, centred / safe), constant


def columnwise_corr(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r between matching columns of two ``(stimuli, units)`` arrays -> ``(units,)``.

    Returns ``(r, undefined)``: r from :func:`daenr_lite.metrics.per_neuron_corr` (0 where a column is
    constant) and a mask of the columns where either input is constant over stimuli.
    """
    from ..metrics import per_neuron_corr

    _, const_a = zscore_columns(a)
    _, const_b = zscore_columns(b)
    r = per_neuron_corr(a, b)  # NaN where undefined
    undefined = const_a | const_b | np.isnan(r)
    return np.where(undefined, 0.0, r), undefined


def spearman_brown(reliability: np.ndarray | float, factor: float) -> np.ndarray | float:
    """Spearman-Brown prophecy: reliability of a mean over ``factor`` times as many repeats.

    ``factor * r / (1 + (factor - 1) * r)``; negative split-half values are kept (they mean "no
    reliable signal") and are clipped to 0 by the callers that take a square root.
    """
    r = np.asarray(reliability, dtype=np.float64)
    out = factor * r / (1.0 + (factor - 1.0) * r)
    return float(out) if out.ndim == 0 else out


def rng_from(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

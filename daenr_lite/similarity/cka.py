"""Linear centred kernel alignment (CKA; Kornblith et al. 2019, "Similarity of neural network
representations revisited").

For column-centred ``X (stimuli, p)`` and ``Y (stimuli, q)``::

    CKA(X, Y) = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)

the feature-space form. Because ``||Y^T X||_F^2 = <X X^T, Y Y^T>_F``, the same number follows from the
``(stimuli, stimuli)`` Gram matrices; that form is used whenever a representation has more units than
there are stimuli (conv feature maps), so the cost is ``O(stimuli^2 units)`` instead of ``O(units^2)``.
CKA is invariant to orthogonal transforms and isotropic scaling of either representation, but not to
arbitrary invertible linear maps.

Plain CKA is biased upwards when units are many compared with stimuli: two *independent* random
representations of 50 stimuli x 100 units score about 0.6. Judge it against a permutation null
(:func:`daenr_lite.similarity.compare`) or use ``debiased=True``, which replaces HSIC by its unbiased
estimator (Song et al. 2012; as in Kornblith et al.'s reference code) and is about 0 for independent
representations (it can then be slightly negative).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ._arrays import as_stimulus_matrix, check_same_stimuli

__all__ = ["linear_cka"]


def centred_gram(x: np.ndarray) -> np.ndarray:
    """``(stimuli, stimuli)`` linear Gram matrix of the column-centred ``x (stimuli, units)``."""
    xc = x - x.mean(axis=0, keepdims=True)
    return xc @ xc.T


def cka_from_grams(kx: np.ndarray, ky: np.ndarray) -> float:
    """Linear CKA from two centred Gram matrices ``(stimuli, stimuli)``; nan if one is zero."""
    denom = np.linalg.norm(kx) * np.linalg.norm(ky)
    return float((kx * ky).sum() / denom) if denom > 0 else float("nan")


def _hsic_unbiased(k: np.ndarray, l: np.ndarray) -> float:
    """Unbiased HSIC estimator (Song et al. 2012) from two ``(stimuli, stimuli)`` Gram matrices."""
    n = k.shape[0]
    k = k.copy()
    l = l.copy()
    np.fill_diagonal(k, 0.0)
    np.fill_diagonal(l, 0.0)
    total = (k * l).sum() + k.sum() * l.sum() / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * (k.sum(0) @ l.sum(0))
    return float(total / (n * (n - 3)))


def debiased_cka_from_grams(kx: np.ndarray, ky: np.ndarray) -> float:
    """Debiased linear CKA from two Gram matrices ``(stimuli, stimuli)``; nan if one has no signal."""
    denom = _hsic_unbiased(kx, kx) * _hsic_unbiased(ky, ky)
    return float(_hsic_unbiased(kx, ky) / np.sqrt(denom)) if denom > 0 else float("nan")


def linear_cka(X: Any, Y: Any, debiased: bool = False) -> float:
    """Linear CKA between two representations of the same stimuli.

    Parameters
    ----------
    X, Y : (stimuli, units_x), (stimuli, units_y); more dimensions are flattened to units.
    debiased : use the unbiased HSIC estimator (needs >= 4 stimuli; see the module docstring).

    Returns
    -------
    float in [0, 1] (debiased: about [-0.1, 1]); 1 when Y is an orthogonal transform and/or isotropic rescaling of X (after
    centring). nan (with a RuntimeWarning) if either representation is constant over stimuli.
    """
    x = as_stimulus_matrix("X", X, min_stimuli=4 if debiased else 2)
    y = as_stimulus_matrix("Y", Y, min_stimuli=4 if debiased else 2)
    check_same_stimuli("X", x, "Y", y)
    n = x.shape[0]
    if debiased:
        value = debiased_cka_from_grams(centred_gram(x), centred_gram(y))
    elif max(x.shape[1], y.shape[1]) > n:
        value = cka_from_grams(centred_gram(x), centred_gram(y))
    else:
        xc = x - x.mean(axis=0)
        yc = y - y.mean(axis=0)
        denom = np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)
        value = float(np.linalg.norm(yc.T @ xc) ** 2 / denom) if denom > 0 else float("nan")
    if np.isnan(value):
        warnings.warn("linear_cka: a representation is constant over stimuli; CKA is undefined (nan).",
                      RuntimeWarning, stacklevel=2)
    return value

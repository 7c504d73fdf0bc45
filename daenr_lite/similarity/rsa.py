"""Representational similarity analysis (Kriegeskorte et al. 2008).

Each representation ``(stimuli, units)`` is summarised by its representational dissimilarity matrix
(RDM, ``(stimuli, stimuli)``): the correlation distance ``1 - Pearson r`` between the unit patterns
evoked by every pair of stimuli. Two representations are compared by the Spearman rank correlation of
their RDMs' upper triangles (diagonal excluded), so only the *order* of dissimilarities matters and the
units of the two systems never need to be matched.
"""
from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy import stats

from ._arrays import as_stimulus_matrix, check_same_stimuli

__all__ = ["rdm", "rsa"]

RDMMetric = Literal["correlation", "euclidean"]


def rdm(X: Any, metric: RDMMetric = "correlation") -> np.ndarray:
    """Representational dissimilarity matrix of a representation.

    Parameters
    ----------
    X : (stimuli, units) responses of all units to every stimulus (more dimensions are flattened).
    metric : ``"correlation"`` (default): ``1 - Pearson r`` between the two stimuli's unit patterns, in
        [0, 2]; a stimulus whose pattern is constant over units has correlation 0 (distance 1) with every
        other stimulus. ``"euclidean"``: Euclidean distance between the patterns.

    Returns
    -------
    (stimuli, stimuli) symmetric matrix with zeros on the diagonal.
    """
    x = as_stimulus_matrix("X", X)
    if metric == "correlation":
        if x.shape[1] < 2:
            raise ValueError("correlation distance needs at least 2 units per pattern; use metric='euclidean'.")
        centred = x - x.mean(axis=1, keepdims=True)
        norm = np.sqrt((centred**2).sum(axis=1))
        constant = norm <= 1e-12 * max(1.0, float(np.abs(x).max(initial=0.0)))
        z = np.where(constant[:, None], 0.0, centred / np.where(constant, 1.0, norm)[:, None])
        d = 1.0 - np.clip(z @ z.T, -1.0, 1.0)
    elif metric == "euclidean":
        sq = (x**2).sum(axis=1)
        d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0))
    else:
        raise ValueError(f"metric must be 'correlation' or 'euclidean', got {metric!r}.")
    np.fill_diagonal(d, 0.0)
    return d


def _ranked_rdm(d: np.ndarray) -> np.ndarray:
    """RDM whose upper-triangle entries are replaced by their ranks (average ranks for ties), symmetric.

    Permuting stimuli permutes the ranked entries, so the Spearman correlation with a permuted RDM is the
    Pearson correlation of the permuted ranked RDM — the permutation null needs no re-ranking.
    """
    iu = np.triu_indices(d.shape[0], k=1)
    ranked = np.zeros_like(d)
    ranked[iu] = stats.rankdata(d[iu])
    return ranked + ranked.T


def _rdm_corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r of the upper triangles of two ``(stimuli, stimuli)`` matrices (nan if one is constant)."""
    iu = np.triu_indices(a.shape[0], k=1)
    x, y = a[iu] - a[iu].mean(), b[iu] - b[iu].mean()
    denom = np.sqrt((x**2).sum() * (y**2).sum())
    return float((x * y).sum() / denom) if denom > 0 else float("nan")


def rsa(
    X: Any,
    Y: Any,
    metric: RDMMetric = "correlation",
    comparison: Literal["spearman", "pearson"] = "spearman",
) -> float:
    """RSA score between two representations of the same stimuli.

    Parameters
    ----------
    X, Y : (stimuli, units_x), (stimuli, units_y) — any numbers of units; rows must be the same stimuli.
    metric : dissimilarity used in each RDM (see :func:`rdm`).
    comparison : ``"spearman"`` (default, rank correlation of the RDM upper triangles) or ``"pearson"``.

    Returns
    -------
    float in [-1, 1]; 1 for representations with identical RDMs, about 0 for unrelated ones.
    nan if either RDM is constant (e.g. all patterns identical).
    """
    x = as_stimulus_matrix("X", X)
    y = as_stimulus_matrix("Y", Y)
    check_same_stimuli("X", x, "Y", y)
    if comparison not in ("spearman", "pearson"):
        raise ValueError(f"comparison must be 'spearman' or 'pearson', got {comparison!r}.")
    dx, dy = rdm(x, metric), rdm(y, metric)
    if comparison == "spearman":
        dx, dy = _ranked_rdm(dx), _ranked_rdm(dy)
    return _rdm_corr(dx, dy)

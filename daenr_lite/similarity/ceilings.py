"""Noise ceilings from repeated presentations: how high could a perfect model score on noisy data?

A model is compared with the *trial-averaged* responses ``Ybar_R`` (mean of ``R`` repeats). Even the
true noise-free signal ``S`` scores below 1, because ``Ybar_R`` still contains noise. The ceiling
estimates the score of ``S``:

1. **Split-half.** The repeats are split at random into two disjoint halves of ``h = R // 2`` repeats
   (one repeat left out when ``R`` is odd); the measure is computed between the two half-averages
   ``Ybar_A`` and ``Ybar_B`` and averaged over ``n_splits`` random splits -> ``m_half``. This is the
   measure's reliability at ``h`` repeats (two independent noisy copies of the same signal).
2. **Spearman-Brown.** ``rel_R = k m_half / (1 + (k - 1) m_half)`` with ``k = R / h`` extrapolates it
   to the full ``R`` repeats.
3. **Attenuation.** A perfect model is noise-free on one side only, so its expected score is the
   square root: ``ceiling = sqrt(max(rel_R, 0))`` (capped at 1).

For Pearson r this is the classical noise ceiling (exact when signal and noise are independent). The
"predictivity" ceiling applies steps 1-3 to every unit's split-half Pearson r and averages the
per-unit ceilings (predictivity is a mean of per-unit r). For RSA (rank correlation of RDMs) and CKA
(cosine of Gram matrices) the same correction treats the measure as a correlation between two noisy
measurements of one quantity; it is an approximation (noise also biases RDM and Gram entries), checked
on simulated signal-plus-noise data in ``tests/test_similarity.py``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._arrays import as_repeats, columnwise_corr, rng_from, spearman_brown

__all__ = ["split_halves", "split_half_reliability", "noise_ceiling", "ceiling_from_split_half"]


def split_halves(n_repeats: int, n_splits: int, seed: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n_splits`` random pairs of disjoint repeat-index halves, each of ``n_repeats // 2`` repeats."""
    if n_repeats < 2:
        raise ValueError(
            f"a noise ceiling needs at least 2 repeats of the test stimuli; got {n_repeats}. Pass responses "
            "as (repeats, stimuli, units), e.g. dataset.test_responses, not the trial average."
        )
    if int(n_splits) < 1:
        raise ValueError(f"n_splits must be >= 1, got {n_splits}.")
    rng = rng_from(seed)
    half = n_repeats // 2
    out = []
    for _ in range(int(n_splits)):
        perm = rng.permutation(n_repeats)
        out.append((np.sort(perm[:half]), np.sort(perm[half : 2 * half])))
    return out


def ceiling_from_split_half(m_half: np.ndarray | float, n_repeats: int) -> np.ndarray | float:
    """Steps 2-3: Spearman-Brown from ``n_repeats // 2`` to ``n_repeats`` repeats, then the square root."""
    factor = n_repeats / (n_repeats // 2)
    rel = np.clip(spearman_brown(np.clip(m_half, -0.999999, 1.0), factor), 0.0, 1.0)
    out = np.sqrt(rel)
    return float(out) if np.ndim(out) == 0 else out


def split_half_reliability(
    responses: Any, n_splits: int = 20, seed: int | np.random.Generator | None = 0
) -> np.ndarray:
    """Per-unit split-half Pearson r between half-averages, averaged over splits (not yet corrected).

    responses : (repeats, stimuli, units) -> (units,)
    """
    resp = as_repeats("responses", responses)
    halves = split_halves(resp.shape[0], n_splits, seed)
    return np.mean([columnwise_corr(resp[a].mean(0), resp[b].mean(0))[0] for a, b in halves], axis=0)


def noise_ceiling(
    responses: Any,
    measure: str | Callable[[np.ndarray, np.ndarray], float],
    n_splits: int = 20,
    seed: int | np.random.Generator | None = 0,
) -> float:
    """Noise ceiling of a population measure against the trial-averaged ``responses``.

    Parameters
    ----------
    responses : (repeats, stimuli, units) all presentations of the test stimuli.
    measure : ``"predictivity"`` (mean of per-unit ceilings), ``"cka"``, ``"rsa"``, or any callable
        ``f(X (stimuli, units), Y (stimuli, units)) -> float`` treated like a correlation.
    n_splits : random split-halves averaged (more -> less variance).
    seed : seed of the splits.

    Returns
    -------
    float in [0, 1]: the expected score of the noise-free signal (see the module docstring).
    """
    resp = as_repeats("responses", responses)
    n_repeats = resp.shape[0]
    if measure == "predictivity":
        per_unit = split_half_reliability(resp, n_splits, seed)
        return float(np.mean(ceiling_from_split_half(per_unit, n_repeats)))
    if isinstance(measure, str):
        from .compare import MEASURES

        if measure not in MEASURES:
            raise ValueError(f"measure must be one of {sorted(MEASURES)} or a callable, got {measure!r}.")
        func = MEASURES[measure]
    elif callable(measure):
        func = measure
    else:
        raise ValueError(f"measure must be a name or a callable f(X, Y) -> float, got {measure!r}.")
    halves = split_halves(n_repeats, n_splits, seed)
    m_half = float(np.nanmean([func(resp[a].mean(0), resp[b].mean(0)) for a, b in halves]))
    return ceiling_from_split_half(m_half, n_repeats)

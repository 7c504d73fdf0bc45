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

For Pearson r (``measure="pearson"``: steps 1-3 on every unit's split-half r, averaged over units) this
is the classical noise ceiling (exact when signal and noise are independent). For RSA (rank correlation
of RDMs) and CKA (cosine of Gram matrices) the same correction treats the measure as a correlation
between two noisy measurements of one quantity; it is an approximation (noise also biases RDM and Gram
entries), checked on simulated signal-plus-noise data in ``tests/test_similarity.py``.

**Predictivity** is different: its score includes the error of a *cross-validated mapping* (a ridge
fitted on 40 of 50 stimuli per fold), which the classical per-unit ceiling does not. The simulator's
noise-free rates score only about 0.66 of that classical ceiling. So the predictivity ceiling pushes
the split-half data through the same pipeline (the "internal consistency" of Brain-Score, Schrimpf et
al. 2018): for every split, :func:`~daenr_lite.similarity.linear_predictivity` from half-average A to
half-average B and from B to A (same ``alphas`` and ``n_folds`` as the model's score) -> ``m_half``
(mean over both directions and the splits), then Spearman-Brown to ``R`` repeats *without* the square
root: ``ceiling = SB(m_half)``, the predictivity that an independent replicate of the recording with
``R`` repeats reaches. It contains the same mapping error as a model's score. Its limit: the
replicate's features are noisy, a perfect model's are not, so with few or very noisy repeats a
noise-free model can exceed it (simulated data, seed 0, ``compare(data.ground_truth.test_rates, ...)``
normalized: region 1 1.06, region 3 1.07, region 2 (8 repeats) 1.20; with only 4 repeats 1.25-1.60;
RSA 1.01 / 0.98 / 1.02 and CKA 0.99 / 0.99 / 0.96 for comparison). The classical per-unit Pearson
ceiling is still available as ``measure="pearson"``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._arrays import as_repeats, columnwise_corr, rng_from, spearman_brown

__all__ = [
    "split_halves",
    "split_half_reliability",
    "noise_ceiling",
    "ceiling_from_split_half",
    "predictivity_consistency",
]


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


def predictivity_consistency(
    responses: Any,
    n_splits: int = 20,
    seed: int | np.random.Generator | None = 0,
    *,
    alphas: Any = None,
    n_folds: int = 5,
) -> float:
    """Predictivity ceiling: Spearman-Brown-corrected split-half predictivity (see the module docstring).

    responses : (repeats, stimuli, units). ``alphas`` (default ``DEFAULT_ALPHAS``) and ``n_folds`` must be
    those of the model's score. Returns ``SB(m_half)`` clipped to [0, 1], with ``m_half`` the mean over
    ``n_splits`` splits and both directions (A -> B, B -> A) of :func:`linear_predictivity`.
    """
    from .predictivity import DEFAULT_ALPHAS, check_alphas, make_folds, predictivity_from_gram

    resp = as_repeats("responses", responses, min_stimuli=6)
    n_repeats, n_stimuli = resp.shape[:2]
    grid = check_alphas(DEFAULT_ALPHAS if alphas is None else alphas)
    rng = rng_from(seed)
    halves = split_halves(n_repeats, n_splits, rng)
    scores = []
    for a, b in halves:
        folds = make_folds(n_stimuli, int(n_folds), rng)
        half_a, half_b = resp[a].mean(0), resp[b].mean(0)
        for x, y in ((half_a, half_b), (half_b, half_a)):
            scores.append(predictivity_from_gram(x @ x.T, y, folds, grid)[0])
    m_half = float(np.mean(scores))
    return float(np.clip(spearman_brown(min(m_half, 0.999999), n_repeats / (n_repeats // 2)), 0.0, 1.0))


def noise_ceiling(
    responses: Any,
    measure: str | Callable[[np.ndarray, np.ndarray], float],
    n_splits: int = 20,
    seed: int | np.random.Generator | None = 0,
    *,
    alphas: Any = None,
    n_folds: int = 5,
) -> float:
    """Noise ceiling of a population measure against the trial-averaged ``responses``.

    Parameters
    ----------
    responses : (repeats, stimuli, units) all presentations of the test stimuli.
    measure : ``"cka"``, ``"rsa"``, ``"predictivity"`` (split-half predictivity through the same
        cross-validated ridge, Spearman-Brown corrected: :func:`predictivity_consistency`),
        ``"pearson"`` (mean of the classical per-unit ceilings of Pearson r), or any callable
        ``f(X (stimuli, units), Y (stimuli, units)) -> float`` treated like a correlation.
    n_splits : random split-halves averaged (more -> less variance).
    seed : seed of the splits (and, for predictivity, of the folds).
    alphas, n_folds : predictivity only; the ridge settings of the model's score.

    Returns
    -------
    float in [0, 1]: for cka, rsa, pearson and callables the expected score of the noise-free signal;
    for predictivity the score of an independent replicate of the recording (see the module docstring).
    """
    resp = as_repeats("responses", responses)
    n_repeats = resp.shape[0]
    if measure == "pearson":
        per_unit = split_half_reliability(resp, n_splits, seed)
        return float(np.mean(ceiling_from_split_half(per_unit, n_repeats)))
    if measure == "predictivity":
        return predictivity_consistency(resp, n_splits, seed, alphas=alphas, n_folds=n_folds)
    if isinstance(measure, str):
        from .measures import MEASURES

        if measure not in MEASURES:
            raise ValueError(
                f"measure must be one of {sorted([*MEASURES, 'pearson'])} or a callable, got {measure!r}."
            )
        func = MEASURES[measure]
    elif callable(measure):
        func = measure
    else:
        raise ValueError(f"measure must be a name or a callable f(X, Y) -> float, got {measure!r}.")
    halves = split_halves(n_repeats, n_splits, seed)
    m_half = float(np.nanmean([func(resp[a].mean(0), resp[b].mean(0)) for a, b in halves]))
    return ceiling_from_split_half(m_half, n_repeats)

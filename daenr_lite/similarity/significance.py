"""Per-neuron significance: is a model's prediction of a neuron correlated with its measured responses?

The paper's analysis (Ran et al. 2021, Figure 3): Pearson r between the model's predicted response and
the trial-averaged test response of each biological neuron, counted as *significant* at p <= 0.05.

Test used here (the paper does not name one): the standard t-test on Pearson's r with ``stimuli - 2``
degrees of freedom, ``t = r sqrt((M - 2) / (1 - r^2))`` — exactly the p-value of
:func:`scipy.stats.pearsonr` (computed vectorised over neurons). It assumes roughly normal, independent
stimuli; ``permutations > 0`` replaces it by a distribution-free permutation test (stimulus order of
the prediction shuffled, ``p = (1 + #{r_null >= r}) / (1 + permutations)``).

Sidedness (the paper is silent): the default is one-sided, ``alternative="greater"``. The hypothesis is
that the model *predicts* the neuron, i.e. a positive association; a prediction that is reliably
anti-correlated with the neuron is a failed prediction, not a shared representation, and a two-sided
test would count it as a success (and double the false positives from the wrong tail). Use
``alternative="two-sided"`` to count any linear dependence, e.g. for a probe whose sign is arbitrary.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

from ._arrays import as_stimulus_matrix, check_same_stimuli, columnwise_corr, rng_from, zscore_columns

__all__ = ["NeuronSignificance", "neuron_significance", "benjamini_hochberg"]

Alternative = Literal["greater", "two-sided"]


@dataclass(frozen=True)
class NeuronSignificance:
    """Result of :func:`neuron_significance`.

    Attributes
    ----------
    r : (neurons,) Pearson r between prediction and trial-averaged response (0 where either is constant).
    p_value : (neurons,) p-value of each neuron's own test (t-test on r, or permutation test).
    p_adjusted : (neurons,) p-value after the multiple-comparison correction (== ``p_value`` if none).
    significant : (neurons,) bool, ``p_adjusted <= alpha``.
    constant : (neurons,) bool, prediction or response constant over stimuli (r undefined; p set to 1).
    alpha, alternative, correction, test : the settings used; ``test`` is ``"pearson-t"`` or ``"permutation"``.
    n_stimuli : number of stimuli the correlations are computed over.
    n_permutations : permutations used (0 for the t-test).
    """

    r: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    significant: np.ndarray
    constant: np.ndarray
    alpha: float
    alternative: str
    correction: str | None
    test: str
    n_stimuli: int
    n_permutations: int = 0

    @property
    def n_neurons(self) -> int:
        return int(self.r.shape[0])

    @property
    def n_significant(self) -> int:
        return int(self.significant.sum())

    @property
    def n_insignificant(self) -> int:
        return self.n_neurons - self.n_significant

    def summary(self) -> dict[str, Any]:
        """Counts and r statistics as a flat dict (one table row)."""
        return {
            "n_neurons": self.n_neurons,
            "n_significant": self.n_significant,
            "n_insignificant": self.n_insignificant,
            "fraction_significant": self.n_significant / self.n_neurons,
            "mean_r": float(self.r.mean()),
            "median_r": float(np.median(self.r)),
            "test": self.test,
            "alternative": self.alternative,
            "correction": self.correction or "none",
            "alpha": self.alpha,
        }

    def __repr__(self) -> str:
        return (
            f"NeuronSignificance({self.n_significant}/{self.n_neurons} significant at alpha={self.alpha}, "
            f"test={self.test}, alternative={self.alternative!r}, correction={self.correction!r}, "
            f"mean r={self.r.mean():.3f})"
        )


def benjamini_hochberg(p_values: Any) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), same shape as ``p_values``.

    ``p_adj[(i)] = min_{j >= i} m p_(j) / j`` clipped to 1; rejecting ``p_adj <= q`` is the BH step-up
    procedure at FDR level ``q``. Adjusted values are never smaller than the raw ones, so BH never
    rejects more hypotheses than the uncorrected test.
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"p_values has shape {p.shape}; expected a 1-D array (one p-value per test).")
    if p.size and (np.any(~np.isfinite(p)) or p.min() < 0 or p.max() > 1):
        raise ValueError("p_values must be finite and in [0, 1].")
    m = p.size
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(adjusted_sorted, 1.0)
    return adjusted


def _t_test_p(r: np.ndarray, n_stimuli: int, alternative: str) -> np.ndarray:
    df = n_stimuli - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt(df / np.maximum(1.0 - r**2, 0.0))
    t = np.where(np.isnan(t), 0.0, t)
    if alternative == "greater":
        return stats.t.sf(t, df)
    return np.minimum(2.0 * stats.t.sf(np.abs(t), df), 1.0)


def _permutation_p(
    predictions: np.ndarray, target: np.ndarray, r: np.ndarray, alternative: str, permutations: int, seed: Any
) -> np.ndarray:
    rng = rng_from(seed)
    z_pred, _ = zscore_columns(predictions)
    z_target, _ = zscore_columns(target)
    n_stimuli = predictions.shape[0]
    exceed = np.zeros(r.shape[0], dtype=np.int64)
    tol = 1e-12
    for _ in range(permutations):
        r_null = (z_pred[rng.permutation(n_stimuli)] * z_target).sum(axis=0)
        if alternative == "greater":
            exceed += r_null >= r - tol
        else:
            exceed += np.abs(r_null) >= np.abs(r) - tol
    return (1.0 + exceed) / (1.0 + permutations)


def neuron_significance(
    predictions: Any,
    responses: Any,
    alpha: float = 0.05,
    alternative: Alternative = "greater",
    correction: Literal["fdr_bh", "fdr"] | None = None,
    permutations: int = 0,
    seed: int | np.random.Generator | None = 0,
) -> NeuronSignificance:
    """Which neurons does a model predict significantly better than chance?

    Parameters
    ----------
    predictions : (stimuli, neurons) the model's predicted responses to the test stimuli.
    responses : (repeats, stimuli, neurons) measured responses (averaged over repeats here), or an
        already averaged (stimuli, neurons) array — e.g. ``dataset.test_responses``.
    alpha : significance level; a neuron is significant when its (adjusted) p-value is <= alpha.
    alternative : ``"greater"`` (default; the prediction is positively correlated with the neuron) or
        ``"two-sided"`` (any correlation). See the module docstring for why one-sided is the default.
    correction : ``None`` (per-neuron tests, as in the paper) or ``"fdr_bh"`` (Benjamini-Hochberg
        false discovery rate over the neurons; ``"fdr"`` is accepted as an alias and reported as ``"fdr_bh"``).
    permutations : 0 for the t-test on r (``M - 2`` dof, as :func:`scipy.stats.pearsonr`); > 0 for a
        permutation test with that many shuffles of the stimulus order (the p-value resolution is
        ``1 / (permutations + 1)``, so use >= 1000 for a threshold of 0.05 with corrections).
    seed : seed or Generator for the permutations.

    Returns
    -------
    NeuronSignificance with ``r, p_value, p_adjusted, significant`` (each ``(neurons,)``) and
    ``n_significant`` / ``n_insignificant`` counts.
    """
    pred = as_stimulus_matrix("predictions", predictions)
    try:
        resp = np.asarray(responses, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"responses could not be converted to a float array ({exc}); pass a numpy array.") from exc
    if resp.ndim == 3:
        resp = resp.mean(axis=0)
    target = as_stimulus_matrix("responses (trial-averaged)", resp)
    check_same_stimuli("predictions", pred, "responses", target)
    if pred.shape[1] != target.shape[1]:
        raise ValueError(
            f"predictions have {pred.shape[1]} neurons but responses have {target.shape[1]}; both must hold "
            "the same neurons in the same order (columns are neurons)."
        )
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}.")
    if alternative not in ("greater", "two-sided"):
        raise ValueError(f"alternative must be 'greater' or 'two-sided', got {alternative!r}.")
    if correction == "fdr":  # the common short name: an alias of Benjamini-Hochberg
        correction = "fdr_bh"
    if correction not in (None, "fdr_bh"):
        raise ValueError(f"correction must be None or 'fdr_bh' (alias 'fdr'), got {correction!r}.")
    if int(permutations) < 0:
        raise ValueError(f"permutations must be >= 0, got {permutations}.")
    n_stimuli = pred.shape[0]

    r, constant = columnwise_corr(pred, target)
    if permutations:
        p = _permutation_p(pred, target, r, alternative, int(permutations), seed)
        test = "permutation"
    else:
        p = _t_test_p(r, n_stimuli, alternative)
        test = "pearson-t"
    p = np.where(constant, 1.0, np.clip(p, 0.0, 1.0))
    p_adj = benjamini_hochberg(p) if correction == "fdr_bh" else p.copy()
    return NeuronSignificance(
        r=r,
        p_value=p,
        p_adjusted=p_adj,
        significant=p_adj <= alpha,
        constant=constant,
        alpha=float(alpha),
        alternative=alternative,
        correction=correction,
        test=test,
        n_stimuli=n_stimuli,
        n_permutations=int(permutations),
    )

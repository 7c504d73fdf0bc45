"""`compare`: one similarity number with its chance level (permutation null) and noise ceiling.

Every population measure is reported as::

    value       the measure between the model representation and the trial-averaged responses
    ceiling     the noise ceiling from the repeats (:mod:`daenr_lite.similarity.ceilings`)
    normalized  value / ceiling
    null_mean, null_95   mean and 95th percentile of the measure after shuffling the stimulus labels
                of the model side (``n_permutations`` shuffles)
    p_value     (1 + #{null >= value}) / (1 + n_permutations)   (one-sided: is it above chance?)

The shuffles permute the rows and columns of the model's Gram matrix / RDM, so each permutation costs
``O(stimuli^2)`` (plus ``n_folds`` small eigendecompositions for predictivity), whatever the number of
units.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._arrays import as_repeats, as_stimulus_matrix, check_same_stimuli, rng_from
from .ceilings import noise_ceiling
from .cka import centred_gram, cka_from_grams
from .measures import MEASURES
from .predictivity import DEFAULT_ALPHAS, check_alphas, make_folds, predictivity_from_gram
from .rsa import _ranked_rdm, _rdm_corr, rdm, rsa

__all__ = ["compare", "MEASURES"]



def _permutation_null(
    model_side: np.ndarray, score: Callable[[np.ndarray], float], n_permutations: int, rng: np.random.Generator
) -> np.ndarray:
    """Scores with the stimuli of a square ``(stimuli, stimuli)`` model-side matrix permuted."""
    n = model_side.shape[0]
    null = np.empty(n_permutations)
    for i in range(n_permutations):
        perm = rng.permutation(n)
        null[i] = score(model_side[np.ix_(perm, perm)])
    return null


def compare(
    X: Any,
    responses: Any,
    measure: str = "cka",
    n_permutations: int = 1000,
    n_splits: int = 20,
    seed: int | np.random.Generator | None = 0,
    *,
    alphas: Any = DEFAULT_ALPHAS,
    n_folds: int = 5,
    rdm_metric: str = "correlation",
) -> dict[str, Any]:
    """A model representation vs recorded responses, with permutation null and noise ceiling.

    Parameters
    ----------
    X : (stimuli, units) model representation (e.g. flattened layer features on the test images).
    responses : (repeats, stimuli, neurons) recorded responses to the same stimuli (e.g.
        ``dataset.test_responses``); the measure uses their trial average, the ceiling the repeats. A
        (stimuli, neurons) array is accepted too, then ``ceiling`` and ``normalized`` are nan.
    measure : ``"cka"`` (linear CKA), ``"rsa"`` (Spearman of correlation-distance RDMs) or
        ``"predictivity"`` (cross-validated ridge X -> each neuron, mean held-out r).
    n_permutations : shuffles of the model's stimulus labels for the null (0 to skip: null fields nan).
    n_splits : random split-halves for the ceiling.
    seed : seeds the permutations, the split-halves and the predictivity folds.
    alphas, n_folds : predictivity settings (see :func:`linear_predictivity`).
    rdm_metric : RSA dissimilarity (see :func:`rdm`).

    Returns
    -------
    dict with ``measure, value, ceiling, normalized, null_mean, null_95, p_value, n_permutations,
    n_stimuli, n_model_units, n_neurons``.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {sorted(MEASURES)}, got {measure!r}.")
    x = as_stimulus_matrix("X", X, min_stimuli=6 if measure == "predictivity" else 3)
    resp = as_repeats("responses", responses)
    y = resp.mean(axis=0)
    check_same_stimuli("X", x, "responses", y)
    for name, arr, what in (("responses", y, "trial-averaged responses"), ("X", x, "model representation")):
        if not np.ptp(arr, axis=0).any():  # every column constant: every measure is undefined (0 / 0)
            raise ValueError(
                f"the {what} ({name}) never vary across the {arr.shape[0]} stimuli, so their similarity is "
                f"undefined; check that {name} holds the intended data (e.g. not an all-zero array)."
            )
    if int(n_permutations) < 0:
        raise ValueError(f"n_permutations must be >= 0, got {n_permutations}.")
    rng = rng_from(seed)
    # one integer seed per random step, so the folds do not depend on n_permutations
    fold_seed, ceiling_seed, perm_seed = rng.integers(0, 2**32, size=3)

    if measure == "cka":
        model_side, data_side = centred_gram(x), centred_gram(y)

        def score(m: np.ndarray) -> float:
            return cka_from_grams(m, data_side)

        ceiling_measure: Any = "cka"
    elif measure == "rsa":
        model_side, data_side = _ranked_rdm(rdm(x, rdm_metric)), _ranked_rdm(rdm(y, rdm_metric))

        def score(m: np.ndarray) -> float:
            return _rdm_corr(m, data_side)

        def ceiling_measure(a: np.ndarray, b: np.ndarray) -> float:
            return rsa(a, b, metric=rdm_metric)
    else:
        folds = make_folds(x.shape[0], int(n_folds), int(fold_seed))
        alpha_grid = check_alphas(alphas)
        model_side = x @ x.T

        def score(m: np.ndarray) -> float:
            return predictivity_from_gram(m, y, folds, alpha_grid)[0]

        ceiling_measure = "predictivity"

    value = score(model_side)
    if resp.shape[0] >= 2:
        ceiling = noise_ceiling(
            resp, ceiling_measure, n_splits=n_splits, seed=int(ceiling_seed), alphas=alphas, n_folds=int(n_folds)
        )
    else:
        ceiling = float("nan")
    if n_permutations:
        null = _permutation_null(model_side, score, int(n_permutations), np.random.default_rng(int(perm_seed)))
        null = null[np.isfinite(null)]
    if n_permutations and null.size:
        p_value = (1.0 + np.sum(null >= value - 1e-12)) / (1.0 + null.size)
        null_mean, null_95 = float(null.mean()), float(np.quantile(null, 0.95))
    else:  # skipped, or no shuffle gave a defined score
        p_value = null_mean = null_95 = float("nan")
    return {
        "measure": measure,
        "value": float(value),
        "ceiling": float(ceiling),
        "normalized": float(value / ceiling) if ceiling > 0 else float("nan"),
        "null_mean": null_mean,
        "null_95": null_95,
        "p_value": float(p_value),
        "n_permutations": int(n_permutations),
        "n_stimuli": int(x.shape[0]),
        "n_model_units": int(x.shape[1]),
        "n_neurons": int(y.shape[1]),
    }

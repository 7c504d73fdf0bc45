"""Linear predictivity: how well does a cross-validated ridge regression from a model representation
predict each biological unit on held-out stimuli? (The "neural predictivity" of Yamins et al. 2014 and
Brain-Score, with ridge instead of PLS.)

Procedure for ``X (stimuli, features)`` -> ``Y (stimuli, units)``:

1. Stimuli are shuffled (``seed``) and split into ``n_folds`` folds. For each fold, the ridge model is
   fitted on the other folds and predicts the held-out stimuli (an intercept is fitted, unpenalised).
2. Inside the training folds, the penalty is chosen *per unit* from ``alphas`` by exact leave-one-out
   cross-validation (the closed-form LOO residuals ``e_i / (1 - H_ii)`` of ridge, as RidgeCV's GCV
   mode). Penalties are relative: the candidate penalty is ``alpha * lambda_max``, with ``lambda_max``
   the largest eigenvalue of the centred training Gram matrix, so the grid does not depend on the
   scale of the features.
3. Each unit's Pearson r between its held-out predictions and responses is computed within every fold
   and averaged over folds; the score is the mean of that r over units. (Pooling the out-of-fold
   predictions of all folds before correlating would be biased *negative* under the null: a fold's
   intercept is the mean of the *other* folds, which is anti-correlated with the held-out responses.)

Ridge is solved in its kernel (dual) form from the ``(stimuli, stimuli)`` Gram matrix, which is exact
and cheap when features >> stimuli (conv feature maps); no scikit-learn needed.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import linalg

from ._arrays import as_stimulus_matrix, check_same_stimuli, columnwise_corr, rng_from

__all__ = ["linear_predictivity", "DEFAULT_ALPHAS"]

#: relative ridge penalties (multiples of the largest eigenvalue of the training Gram matrix)
DEFAULT_ALPHAS = np.logspace(-6, 2, 17)


def make_folds(n_stimuli: int, n_folds: int, seed: Any) -> list[np.ndarray]:
    """Shuffled, nearly equal folds of ``range(n_stimuli)``."""
    if not 2 <= n_folds <= n_stimuli // 3:
        raise ValueError(
            f"n_folds must be between 2 and stimuli/3 = {n_stimuli // 3} (every held-out fold needs >= 3 "
            f"stimuli for a correlation), got {n_folds}."
        )
    perm = rng_from(seed).permutation(n_stimuli)
    return [np.sort(f) for f in np.array_split(perm, n_folds)]


def check_alphas(alphas: Any) -> np.ndarray:
    a = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    if a.ndim != 1 or a.size == 0 or np.any(~np.isfinite(a)) or np.any(a <= 0):
        raise ValueError("alphas must be a non-empty 1-D sequence of positive numbers, e.g. np.logspace(-6, 2, 17).")
    return a


def ridge_cv_predictions(
    gram: np.ndarray, Y: np.ndarray, folds: list[np.ndarray], alphas: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold ridge predictions from a linear Gram matrix.

    Parameters
    ----------
    gram : (stimuli, stimuli) ``X X^T`` of the (uncentred) features.
    Y : (stimuli, units) targets.
    folds : held-out index arrays.
    alphas : (n_alphas,) relative penalties.

    Returns
    -------
    predictions : (stimuli, units) held-out predictions.
    chosen_alpha : (folds, units) relative penalty chosen by leave-one-out inside each training set.
    """
    n_stimuli = gram.shape[0]
    predictions = np.empty_like(Y)
    chosen = np.empty((len(folds), Y.shape[1]))
    for f, test in enumerate(folds):
        train = np.setdiff1d(np.arange(n_stimuli), test)
        k_tt = gram[np.ix_(train, train)]
        k_st = gram[np.ix_(test, train)]
        col_mean = k_tt.mean(axis=0)
        all_mean = k_tt.mean()
        kc = k_tt - col_mean[None, :] - col_mean[:, None] + all_mean
        kc_st = k_st - k_st.mean(axis=1, keepdims=True) - col_mean[None, :] + all_mean
        y_mean = Y[train].mean(axis=0)
        yc = Y[train] - y_mean
        lam, vec = linalg.eigh((kc + kc.T) / 2, driver="evd")
        lam = np.clip(lam, 0.0, None)
        scale = lam.max() if lam.max() > 0 else 1.0
        vt_y = vec.T @ yc  # (n, units)
        penalties = alphas * scale  # (alphas,)
        keep = 1.0 - lam[None, :] / (lam[None, :] + penalties[:, None])  # (alphas, n): residual factor
        residuals = vec @ (keep[:, :, None] * vt_y[None])  # (alphas, n, units)
        leverage = 1.0 / train.size + (1.0 - keep) @ (vec**2).T  # (alphas, n)
        loo_err = ((residuals / np.maximum(1.0 - leverage, 1e-12)[:, :, None]) ** 2).mean(axis=1)
        best = np.argmin(loo_err, axis=0)  # (units,) index of the chosen penalty
        chosen[f] = alphas[best]
        inverse = 1.0 / (lam[None, :] + penalties[:, None])  # (alphas, n)
        dual = vec @ (inverse[:, :, None] * vt_y[None])  # (alphas, n, units)
        held_out = kc_st @ dual  # (alphas, test, units)
        predictions[test] = held_out[best, :, np.arange(Y.shape[1])].T + y_mean
    return predictions, chosen


def predictivity_from_gram(
    gram: np.ndarray, Y: np.ndarray, folds: list[np.ndarray], alphas: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """(mean r, per-unit r (units,), predictions (stimuli, units), chosen alphas (folds, units)).

    Per-unit r is the mean over folds of the within-fold held-out correlation.
    """
    predictions, chosen = ridge_cv_predictions(gram, Y, folds, alphas)
    r = np.mean([columnwise_corr(predictions[test], Y[test])[0] for test in folds], axis=0)
    return float(r.mean()), r, predictions, chosen


def linear_predictivity(
    X: Any,
    Y: Any,
    alphas: Any = DEFAULT_ALPHAS,
    n_folds: int = 5,
    seed: int | np.random.Generator | None = 0,
    return_details: bool = False,
) -> float | dict[str, Any]:
    """Cross-validated ridge predictivity of every unit of ``Y`` from the representation ``X``.

    Parameters
    ----------
    X : (stimuli, features) model representation (more dimensions are flattened).
    Y : (stimuli, units) e.g. trial-averaged neural responses ``dataset.test_mean_responses``.
    alphas : relative ridge penalties searched per unit (see the module docstring).
    n_folds : outer cross-validation folds over stimuli.
    seed : seed of the fold assignment.
    return_details : if True return a dict with ``value`` (mean r), ``per_unit_r (units,)``,
        ``predictions (stimuli, units)`` and ``chosen_alpha (folds, units)``; otherwise the mean r.

    Returns
    -------
    float: mean over units of the held-out Pearson r (averaged over folds; a unit or prediction that is
    constant within a fold counts as r = 0 there).
    """
    x = as_stimulus_matrix("X", X, min_stimuli=6)
    y = as_stimulus_matrix("Y", Y, min_stimuli=6)
    check_same_stimuli("X", x, "Y", y)
    folds = make_folds(x.shape[0], int(n_folds), seed)
    value, per_unit, predictions, chosen = predictivity_from_gram(x @ x.T, y, folds, check_alphas(alphas))
    if return_details:
        return {"value": value, "per_unit_r": per_unit, "predictions": predictions, "chosen_alpha": chosen}
    return value

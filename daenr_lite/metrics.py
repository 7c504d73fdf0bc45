"""Evaluation metrics: image quality (MSE, PSNR, SSIM) and response prediction (correlations, FEVe, ceilings).

numpy in, numpy out; torch tensors are accepted (moved to the CPU). Definitions, stated exactly because
published numbers differ in how they average (see Notes):

- ``mse``   mean of the squared pixel error over ALL pixels of ALL images.
- ``psnr``  per image ``10 log10(1 / MSE_image)`` (data range 1), then the MEAN over images of the
  per-image PSNR (identical to skimage's ``peak_signal_noise_ratio(data_range=1)`` per image). Identical
  images give ``inf``.
- ``ssim``  per image ``skimage.metrics.structural_similarity(data_range=1)`` with skimage's defaults
  (7x7 uniform window), then the mean over images. Images smaller than 7 pixels on a side use the
  largest odd window that fits (5x5 or 3x3), so any dataset ``from_arrays`` accepts (>= 4x4) is scored.

Notes
-----
Ran et al. 2021 report e.g. MSE 0.022 with PSNR 23.7 dB, but ``10 log10(1/0.022) = 16.6 dB``: their MSE
and PSNR cannot both be on a [0, 1] scale with this relation, so compare our numbers with theirs only
in trend, not in absolute value. Mean-of-per-image PSNR is >= the PSNR of the mean MSE (Jensen).
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "mse",
    "psnr",
    "ssim",
    "per_neuron_corr",
    "single_trial_corr",
    "oracle_corr",
    "feve",
    "explainable_variance_fraction",
    "FEVE_THRESHOLD",
    "ground_truth_ceiling",
    "fraction_of_ceiling",
]


def _to_numpy(name: str, value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf values; metrics need finite inputs.")
    return arr


def _image_pair(pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both as (images, H, W); accepts (H, W), (N, H, W) or (N, 1, H, W)."""
    p, t = _to_numpy("pred", pred), _to_numpy("target", target)
    if p.shape != t.shape:
        raise ValueError(f"pred has shape {p.shape} but target has {t.shape}; they must match.")
    if p.ndim == 2:
        p, t = p[None], t[None]
    elif p.ndim == 4:
        if p.shape[1] != 1:
            raise ValueError(f"images must be grayscale (N, 1, H, W); got {p.shape}.")
        p, t = p[:, 0], t[:, 0]
    elif p.ndim != 3:
        raise ValueError(f"images must be (H, W), (N, H, W) or (N, 1, H, W); got {p.shape}.")
    return p, t


def mse(pred: Any, target: Any) -> float:
    """Mean squared error over all pixels of all images (images in [0, 1])."""
    p, t = _image_pair(pred, target)
    return float(np.mean((p - t) ** 2))


def psnr(pred: Any, target: Any, data_range: float = 1.0) -> float:
    """Mean over images of the per-image PSNR in dB, ``10 log10(data_range^2 / MSE_image)``; inf if identical."""
    p, t = _image_pair(pred, target)
    per_image_mse = np.mean((p - t) ** 2, axis=(1, 2))
    with np.errstate(divide="ignore"):
        per_image = 10.0 * np.log10(data_range**2 / per_image_mse)
    return float(np.mean(per_image))


def ssim(pred: Any, target: Any, data_range: float = 1.0) -> float:
    """Mean over images of skimage's ``structural_similarity`` (7x7 window, ``data_range`` 1).

    Images smaller than 7 pixels on a side use the largest odd window that fits (at least 3x3).
    """
    from skimage.metrics import structural_similarity

    p, t = _image_pair(pred, target)
    side = min(p.shape[1:])
    if side < 3:
        raise ValueError(f"SSIM needs images of at least 3x3 pixels (the smallest window); got {p.shape[1:]}.")
    window = min(7, side if side % 2 else side - 1)
    return float(np.mean([
        structural_similarity(a, b, data_range=data_range, win_size=window) for a, b in zip(p, t)
    ]))


# ---------------------------------------------------------------------------------- responses
def _pearson_columns(a: np.ndarray, b: np.ndarray, undefined: float = np.nan) -> np.ndarray:
    """Pearson r of matching columns of (samples, n) arrays; ``undefined`` (default NaN) where either column
    is constant (0 / 0: reporting 0 would pass for "no relation")."""
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    denom = np.sqrt((a**2).sum(axis=0) * (b**2).sum(axis=0))
    num = (a * b).sum(axis=0)
    safe = denom > 1e-12 * max(1.0, float(np.max(denom, initial=0.0)))
    out = np.full(a.shape[1], undefined, dtype=np.float64)
    out[safe] = num[safe] / denom[safe]
    return np.clip(out, -1.0, 1.0)


def _responses(name: str, value: Any) -> np.ndarray:
    arr = _to_numpy(name, value)
    if arr.ndim != 3:
        raise ValueError(f"{name} must be (repeats, images, neurons); got shape {arr.shape}.")
    return arr


def per_neuron_corr(pred: Any, target: Any) -> np.ndarray:
    """Pearson r per neuron. pred, target : (images, neurons) -> (neurons,).

    A neuron whose prediction or target is constant has an undefined correlation: NaN (average with
    ``np.nanmean`` and count them with ``np.isnan``; :func:`daenr_lite.evaluate` reports the count).
    """
    p, t = _to_numpy("pred", pred), _to_numpy("target", target)
    if p.ndim == 1 and t.ndim == 1:  # one neuron
        p, t = p[:, None], t[:, None]
    if p.shape != t.shape or p.ndim != 2:
        raise ValueError(f"pred {p.shape} and target {t.shape} must both be (images, neurons).")
    if p.shape[0] < 2:
        raise ValueError("correlation needs at least 2 images.")
    return _pearson_columns(p, t)


def single_trial_corr(pred: Any, responses: Any) -> np.ndarray:
    """Pearson r per neuron between the prediction and every single trial.

    pred : (images, neurons); responses : (repeats, images, neurons) -> (neurons,). The prediction is
    repeated for each trial and correlated with all trials stacked (repeats * images samples).
    Constant columns give NaN (undefined), as in :func:`per_neuron_corr`.
    """
    p = _to_numpy("pred", pred)
    r = _responses("responses", responses)
    if p.shape != r.shape[1:]:
        raise ValueError(f"pred has shape {p.shape}; expected {r.shape[1:]} to match responses {r.shape}.")
    return _pearson_columns(np.tile(p, (r.shape[0], 1)), r.reshape(-1, r.shape[2]))


def oracle_corr(responses: Any) -> np.ndarray:
    """Leave-one-out oracle per neuron: r between each trial and the mean of the other trials, averaged over trials.

    responses : (repeats >= 2, images, neurons) -> (neurons,). Noiseless repeats give 1. A constant trial
    counts as r = 0 here (the definition the simulator's calibration uses), unlike :func:`per_neuron_corr`.
    """
    r = _responses("responses", responses)
    n_rep = r.shape[0]
    if n_rep < 2:
        raise ValueError("the oracle correlation needs at least 2 repeats per test image.")
    total = r.sum(axis=0)
    per_trial = [_pearson_columns(r[k], (total - r[k]) / (n_rep - 1), undefined=0.0) for k in range(n_rep)]
    return np.mean(per_trial, axis=0)


def _nanmean(values: Any, axis: int | None = None) -> Any:
    """``np.nanmean`` without the "mean of empty slice" warning (all-NaN gives NaN)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def feve(pred: Any, responses: Any) -> np.ndarray:
    """Fraction of explainable variance explained (Cadena et al. 2019), per neuron.

    ``FEVe = 1 - (MSE - noise_var) / (total_var - noise_var)`` where ``MSE`` is the mean squared error of the
    prediction against every single trial, ``total_var`` the variance of all single-trial responses and
    ``noise_var`` the mean over images of the across-repeat variance (ddof=1).

    pred : (images, neurons); responses : (repeats >= 2, images, neurons) -> (neurons,). Neurons without
    explainable variance (``total_var <= noise_var``) give NaN; average with ``np.nanmean``.
    """
    p = _to_numpy("pred", pred)
    r = _responses("responses", responses)
    if p.shape != r.shape[1:]:
        raise ValueError(f"pred has shape {p.shape}; expected {r.shape[1:]} to match responses {r.shape}.")
    if r.shape[0] < 2:
        raise ValueError("FEVe needs at least 2 repeats per test image to estimate the noise variance.")
    noise_var = r.var(axis=0, ddof=1).mean(axis=0)
    total_var = r.reshape(-1, r.shape[2]).var(axis=0, ddof=1)
    err = ((r - p[None]) ** 2).mean(axis=(0, 1))
    explainable = total_var - noise_var
    out = np.full(p.shape[1], np.nan)
    ok = explainable > 1e-12
    out[ok] = 1.0 - (err[ok] - noise_var[ok]) / explainable[ok]
    return out


#: default reliability threshold of :func:`daenr_lite.evaluate`: FEVe is averaged over the neurons whose
#: explainable-variance fraction is at least this (Cadena et al. 2019 exclude unreliable neurons likewise)
FEVE_THRESHOLD = 0.15


def explainable_variance_fraction(responses: Any) -> np.ndarray:
    """Share of a neuron's single-trial variance that is stimulus-driven, per neuron.

    ``1 - noise_var / total_var`` with the same ``noise_var`` (mean over images of the across-repeat
    variance, ddof=1) and ``total_var`` (variance of all single trials, ddof=1) as :func:`feve`.
    responses : (repeats >= 2, images, neurons) -> (neurons,); a neuron with no variance gives NaN.
    On the real Antolik 2016 test sets 35 / 27 / 41 neurons (regions 1 / 2 / 3) are below 0.15.
    """
    r = _responses("responses", responses)
    if r.shape[0] < 2:
        raise ValueError("the explainable variance needs at least 2 repeats per test image.")
    noise_var = r.var(axis=0, ddof=1).mean(axis=0)
    total_var = r.reshape(-1, r.shape[2]).var(axis=0, ddof=1)
    out = np.full(r.shape[2], np.nan)
    ok = total_var > 1e-12
    out[ok] = 1.0 - noise_var[ok] / total_var[ok]
    return out


def ground_truth_ceiling(true_rates: Any, responses: Any) -> np.ndarray:
    """Best achievable test correlation (simulated data): r of the noise-free rates with the trial-averaged responses.

    true_rates : (images, neurons); responses : (repeats, images, neurons) -> (neurons,).
    """
    r = _responses("responses", responses)
    return per_neuron_corr(true_rates, r.mean(axis=0))


def fraction_of_ceiling(model_corr: Any, ceiling: Any) -> float:
    """``mean(model r) / mean(ceiling r)``: the share of the achievable test correlation a model reaches."""
    m, c = _to_numpy("model_corr", model_corr), _to_numpy("ceiling", ceiling)
    if m.shape != c.shape:
        raise ValueError(f"model_corr {m.shape} and ceiling {c.shape} must have the same shape (neurons,).")
    mean_ceiling = float(np.mean(c))
    if mean_ceiling <= 0:
        raise ValueError(f"the mean ceiling correlation is {mean_ceiling:.3g} <= 0; the fraction is undefined.")
    return float(np.mean(m)) / mean_ceiling

"""Trial-to-trial variability: a zero-inflated gamma model of inferred spiking activity.

The real responses (Antolík et al. 2016) are deconvolved two-photon calcium signals: about half of all
single-trial values are exactly zero, the rest are continuous and right-skewed (median ~0.75, 99th
percentile ~7, max ~20 for a mean of ~0.6). A Poisson model gets neither the exact zeros (it has too
few at these means) nor the continuous values; a rectified Gaussian has a short tail. We therefore use
a *zero-inflated gamma* model, read as "a trial is non-zero when at least one calcium event was detected
(events are Poisson with mean ``rate / event_scale``), and then its inferred amplitude is gamma
distributed":

    P(response > 0) = q = 1 - exp(-rate / event_scale)
    response | > 0  ~ Gamma(shape=amplitude_shape, mean=rate / q)

so E[response] = rate exactly (the noise-free rate stays the ground truth of the mean), and
Var = rate**2 * ((k + 1) / (k q) - 1) with k = amplitude_shape. At low rates q ~ rate / event_scale and
the variance grows like ``rate * event_scale * (k + 1) / k`` (Poisson-like, as for spike counts); at high
rates zeros vanish and the amplitude noise dominates. ``event_scale`` sets the fraction of zeros and,
together with the tuning depth, the trial-to-trial reliability; both are calibrated per region
(:mod:`daenr_lite.data.calibration`).
"""
from __future__ import annotations

import numpy as np

__all__ = ["NoiseDraws", "draw_noise", "zero_inflated_gamma"]

#: gamma shape of the non-zero amplitudes (1 = exponential; fitted to the real non-zero quantiles)
AMPLITUDE_SHAPE = 1.2


class NoiseDraws:
    """Pre-drawn random numbers for :func:`zero_inflated_gamma` (common random numbers).

    Drawing the uniforms and unit gammas once lets the calibration vary the noise parameters with the
    randomness held fixed, so the statistics it matches change smoothly with the parameters.

    uniform, unit_gamma : arrays of the response shape; ``unit_gamma`` ~ Gamma(shape, 1).
    """

    def __init__(self, shape: tuple[int, ...], rng: np.random.Generator, amplitude_shape: float = AMPLITUDE_SHAPE):
        self.amplitude_shape = float(amplitude_shape)
        self.uniform = rng.random(shape)
        self.unit_gamma = rng.gamma(self.amplitude_shape, 1.0, size=shape)


def draw_noise(shape: tuple[int, ...], rng: np.random.Generator, amplitude_shape: float = AMPLITUDE_SHAPE) -> NoiseDraws:
    """Random numbers for responses of ``shape`` (e.g. ``(N, neurons)`` or ``(repeats, M, neurons)``)."""
    return NoiseDraws(shape, rng, amplitude_shape)


def zero_inflated_gamma(rates: np.ndarray, event_scale: float, draws: NoiseDraws) -> np.ndarray:
    """Single-trial responses (shape of ``draws``) with mean ``rates`` (broadcast to that shape).

    rates : noise-free mean responses, >= 0 (e.g. ``(M, neurons)`` broadcast over repeats).
    event_scale : > 0; larger values give more zeros and noisier single trials.
    """
    if event_scale <= 0:
        raise ValueError(f"event_scale must be > 0, got {event_scale}.")
    rates = np.broadcast_to(np.asarray(rates, dtype=np.float64), draws.uniform.shape)
    p_nonzero = -np.expm1(-rates / event_scale)
    amplitude = rates / np.maximum(p_nonzero * draws.amplitude_shape, 1e-300) * draws.unit_gamma
    return np.where(draws.uniform < p_nonzero, amplitude, 0.0)

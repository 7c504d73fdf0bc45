"""A simulated mouse-V1 population: simple cells (rectified Gabor LN units) and complex cells (energy model).

Every neuron has a Gabor receptive field (RF) with its own centre ``(x, y)`` (clustered near the image
centre, like a two-photon field of view whose retinotopic centre the stimuli were placed on), orientation,
spatial frequency, phase and size (Gaussian envelope s.d., tied to the spatial frequency as in V1,
about 0.5 cycles per s.d. with scatter).

- simple cell:  ``drive = relu(<f_even, x>) ** exponent``
- complex cell: ``drive = (<f_even, x>**2 + <f_odd, x>**2) ** (exponent / 2)`` (quadrature pair)

where ``x`` is the mean-subtracted image. The noise-free rate of neuron ``j`` is

    ``rate = mean_rate_j * (baseline + (1 - baseline) * tuning(drive))``

where ``tuning`` soft-saturates the drive and scales it to mean 1 over the training images, so
``mean_rate_j`` is exactly the neuron's mean over the training images and ``baseline`` (per region,
calibrated) is the fraction of the rate that does not depend on the image. Everything is vectorised:
the filters form a ``(neurons, H*W)`` matrix that multiplies the ``(H*W, images)`` image matrix.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Population", "sample_population", "gabor_filters", "drives", "tuning", "noise_free_rates"]

#: fraction of complex cells (mouse V1: roughly a third to a half of the cells are complex)
COMPLEX_FRACTION = 0.4
#: spatial-frequency range in cycles per image width (log-uniform); 31 px ~ 30-40 deg in the recordings
SF_RANGE_CYCLES_PER_IMAGE = (1.5, 5.0)
#: RF-centre scatter around the image centre, as a fraction of the image size (s.d.)
CENTRE_SCATTER = 0.08
#: Gaussian envelope s.d. = SIZE_CYCLES / spatial_frequency, times log-normal scatter
SIZE_CYCLES = 0.45
SIZE_SCATTER = 0.2
#: output nonlinearity exponent range (expansive, as in mouse V1 LN fits)
EXPONENT_RANGE = (1.0, 2.0)
#: soft ceiling of the tuned drive, in multiples of its mean (see :func:`tuning`)
SATURATION = 4.0


@dataclass(frozen=True)
class Population:
    """Parameters of a simulated population; every array has length ``neurons``.

    x, y : RF centre in pixels (column, row), image centre at ((W-1)/2, (H-1)/2).
    orientation : radians in [0, pi), 0 = vertical bars (grating varies along x).
    spatial_frequency : cycles per pixel.
    phase : radians in [0, 2 pi).
    size : Gaussian envelope s.d. in pixels.
    is_complex : bool, energy-model complex cell.
    exponent : output nonlinearity exponent.
    mean_rate : mean noise-free response over the training images.
    """

    x: np.ndarray
    y: np.ndarray
    orientation: np.ndarray
    spatial_frequency: np.ndarray
    phase: np.ndarray
    size: np.ndarray
    is_complex: np.ndarray
    exponent: np.ndarray
    mean_rate: np.ndarray

    @property
    def n_neurons(self) -> int:
        return int(self.x.shape[0])

    def params(self) -> dict[str, np.ndarray]:
        """Parameters for :class:`~daenr_lite.data.GroundTruth` (``params`` dict)."""
        return {
            "x": self.x,
            "y": self.y,
            "orientation": self.orientation,
            "spatial_frequency": self.spatial_frequency,
            "phase": self.phase,
            "size": self.size,
            "is_complex": self.is_complex,
            "exponent": self.exponent,
            "mean_rate": self.mean_rate,
        }


def sample_population(
    n_neurons: int,
    image_shape: tuple[int, int],
    rng: np.random.Generator,
    log_mean_rate: tuple[float, float] = (np.log(0.6), 0.25),
) -> Population:
    """Draw ``n_neurons`` random V1-like neurons for images of ``image_shape`` (H, W).

    log_mean_rate : (mean, s.d.) of the log of the per-neuron mean response (log-normal).
    """
    height, width = image_shape
    scale = min(height, width)
    x = (width - 1) / 2 + rng.normal(0, CENTRE_SCATTER * width, n_neurons)
    y = (height - 1) / 2 + rng.normal(0, CENTRE_SCATTER * height, n_neurons)
    x = np.clip(x, 0.25 * (width - 1), 0.75 * (width - 1))
    y = np.clip(y, 0.25 * (height - 1), 0.75 * (height - 1))
    lo, hi = SF_RANGE_CYCLES_PER_IMAGE
    sf = np.exp(rng.uniform(np.log(lo), np.log(hi), n_neurons)) / scale
    size = SIZE_CYCLES / sf * np.exp(rng.normal(0, SIZE_SCATTER, n_neurons))
    size = np.clip(size, 1.0, scale / 3)
    return Population(
        x=x,
        y=y,
        orientation=rng.uniform(0, np.pi, n_neurons),
        spatial_frequency=sf,
        phase=rng.uniform(0, 2 * np.pi, n_neurons),
        size=size,
        is_complex=rng.random(n_neurons) < COMPLEX_FRACTION,
        exponent=rng.uniform(*EXPONENT_RANGE, n_neurons),
        mean_rate=np.exp(rng.normal(log_mean_rate[0], log_mean_rate[1], n_neurons)),
    )


def gabor_filters(pop: Population, image_shape: tuple[int, int], phase_shift: float = 0.0) -> np.ndarray:
    """(neurons, H, W) zero-mean, unit-norm Gabor filters (``phase_shift`` = pi/2 gives the odd partners)."""
    height, width = image_shape
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    dx = cols[None] - pop.x[:, None, None]
    dy = rows[None] - pop.y[:, None, None]
    theta = pop.orientation[:, None, None]
    along = dx * np.cos(theta) + dy * np.sin(theta)
    envelope = np.exp(-(dx**2 + dy**2) / (2 * pop.size[:, None, None] ** 2))
    carrier = np.cos(2 * np.pi * pop.spatial_frequency[:, None, None] * along + pop.phase[:, None, None] + phase_shift)
    filters = envelope * carrier
    filters -= filters.mean(axis=(1, 2), keepdims=True)
    filters /= np.linalg.norm(filters.reshape(len(filters), -1), axis=1)[:, None, None] + 1e-12
    return filters


def drives(pop: Population, images: np.ndarray) -> np.ndarray:
    """(images, neurons) non-negative stimulus drive of each neuron to ``images`` (N, 1, H, W)."""
    shape = images.shape[2:]
    flat = images.reshape(len(images), -1).astype(np.float64)
    flat = flat - flat.mean(axis=1, keepdims=True)
    even = flat @ gabor_filters(pop, shape).reshape(pop.n_neurons, -1).T
    odd = flat @ gabor_filters(pop, shape, np.pi / 2).reshape(pop.n_neurons, -1).T
    simple = np.maximum(even, 0.0) ** pop.exponent
    energy = (even**2 + odd**2) ** (pop.exponent / 2)
    return np.where(pop.is_complex, energy, simple)


def tuning(drive: np.ndarray, reference_drive: np.ndarray, saturation: float = SATURATION) -> np.ndarray:
    """(images, neurons) saturated drive with mean 1 over ``reference_drive`` (the training images).

    ``saturation * tanh(d / saturation)`` of the mean-normalised drive ``d`` caps the peak response at a
    few times the mean, as in the recordings (single-trial max ~35x the mean, not hundreds).
    """
    scale = reference_drive.mean(axis=0) + 1e-12
    saturate = lambda d: saturation * np.tanh(d / scale / saturation)  # noqa: E731
    return saturate(drive) / (saturate(reference_drive).mean(axis=0) + 1e-12)


def noise_free_rates(pop: Population, tuned: np.ndarray, baseline: float) -> np.ndarray:
    """(images, neurons) mean responses ``mean_rate * (baseline + (1 - baseline) * tuned)``."""
    if not 0.0 <= baseline < 1.0:
        raise ValueError(f"baseline must be in [0, 1), got {baseline}.")
    return pop.mean_rate * (baseline + (1.0 - baseline) * tuned)

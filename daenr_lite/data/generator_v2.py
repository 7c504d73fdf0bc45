"""Generator v2 of the simulated population: the mechanisms v1 lacks, each a named component with its parameters.

Generator v1 (:mod:`~daenr_lite.data.neurons`, :mod:`~daenr_lite.data.noise`) is one Gabor LN or energy stage,
a tanh and a baseline, with noise independent across neurons: a 13x13 CNN with a factorized readout represents it
almost exactly, and its test sets are easier to predict than the recordings (issue 19, measured with
:mod:`~daenr_lite.data.realism`). v2 keeps v1's images, population draw and zero-inflated gamma noise and adds:

1. :func:`match_image_statistics` — **test-image statistics.** The crops' power spectrum is tilted by
   ``|f| ** d`` and their luminance shifted, ``x -> clip(a + (1 - a) x)``, with ``d`` and ``a`` solved per image
   set so the test images have the real region's mean RMS contrast and spectrum slope (natural images:
   power ~ 1/f^2, Simoncelli & Olshausen 2001); the training images get the same ``d`` and ``a``.
2. :func:`subunit_drives` — **receptive fields beyond one Gabor.** Each neuron adds a second subunit, a Gabor
   at an offset position (s.d. ``SUBUNIT_OFFSET`` RF sizes) with its own orientation (independent of the first:
   mixed selectivity) and phase, weighted ``w_j ~ U(0, subunit_weight)``, rectified (simple cells) or as an energy
   (complex cells) before it is summed: a two-subunit LN-LN model (Vintch, Movshon & Simoncelli 2015; mouse V1
   responses to natural scenes need a hidden layer of such subunits, Antolík et al. 2016). A factorized readout
   gives each neuron one spatial mask times one feature vector, so two subunits of different orientation at
   different positions need a core channel made for that pair.
   A third, **suppressive subunit** (an energy unit at an offset position with its own orientation, as the
   suppressive components of spike-triggered covariance analyses, Rust et al. 2005; cross-orientation
   suppression in mouse V1) divides the drive: ``d / (1 + suppression * v_j * S_j / mean(S_j))`` with
   ``v_j ~ U(0, 2)``. A division by a neuron-specific feature is what neither the readout's linear sum nor one
   pointwise nonlinearity can form: ``suppression`` is the knob calibration v2 turns to bring the default CNN-FR
   to the published model's fraction of the ceiling (``subunit_weight`` moved it only 0.758 -> 0.748 from 1 to
   3 on region 1, ``benchmarks/results/calibration_v2_cnn_fr.jsonl``).
3. :func:`divisive_normalization` — **surround suppression.** The drive is divided by the local RMS contrast
   of a Gaussian pool ``SURROUND`` times wider than the RF: ``d / (1 + normalization * q ** n)``, ``q`` the
   pool's contrast relative to its training mean and ``n`` the neuron's exponent (the normalization model,
   Carandini & Heeger 2012). A factorized readout sums the core's features linearly over space before one
   pointwise nonlinearity, so it cannot divide by a pool wider than the core's receptive field exactly. (Its
   strength hardly moves the CNN-FR's fraction of the ceiling: 0.780 at 0, 0.775 at 3 on region 1,
   ``benchmarks/results/calibration_v2_cnn_fr.jsonl``; calibration v2 keeps it at ``V2_FIXED``.)
4. :func:`heterogeneous_baselines` — **heterogeneous reliability.** The untuned fraction of each neuron's rate
   is logit-normal around the region's ``baseline`` with s.d. ``reliability_sd`` (mouse V1 populations mix
   reliable and barely responsive cells, de Vries et al. 2020).
5. :func:`shared_modulation` — **shared trial-to-trial variability.** Each trial's rates are multiplied by
   ``exp(gain_sd * c_j * g_t + L_j . z_t - var_j / 2)`` (mean 1): a population gain ``g_t`` shared by all
   neurons with log-normal couplings ``c_j`` (Goris, Movshon & Simoncelli 2014; Lin et al. 2015), and
   ``SHARED_RANK`` further latent factors ``z_t`` with zero-mean loadings ``L ~ N(0, shared_noise_sd)``, the
   low-dimensional shared variability of mouse V1 (Stringer et al. 2019). Then v1's zero-inflated gamma noise.
6. :func:`contrast_response` — **large-field oriented contrast response.** Besides its RF, each neuron responds
   with weight ``w_j ~ contrast_drive * U(0, 2)`` to the oriented contrast energy of its pool, the image's power
   within the pool window weighted by ``exp(ORIENTATION_KAPPA * (cos 2(phi - theta_j) - 1))`` around its preferred
   orientation (broad spatial pooling and orientation tuning, as of mouse V1 complex cells, Niell & Stryker
   2008). Such energies of one image are smooth functions of ``theta`` (mostly its overall contrast and two
   ``cos 2 theta`` / ``sin 2 theta`` terms), so the population's stimulus-driven variance concentrates in a few
   shared dimensions, as in the recordings (participation ratio, top-3 share).
7. ``exponent_scale`` — the output exponent of every neuron times this (the skew of the responses).

:class:`V2Params` holds the region's parameters; they are calibrated by
:func:`daenr_lite.data.calibrate.calibrate_v2` and frozen in :data:`daenr_lite.data.calibration.CALIBRATED_V2`.
What the calibration asked of the components (regions 1 / 2 / 3): output exponents 3.9 / 2.8 / 2.3 times v1's
(the real responses are more skewed than v1's once the suppression and normalization compress them), a wide
spread of reliability (logit s.d. 1.5 / 3.2 / 2.0: many nearly untuned cells beside well-tuned ones), a shared
log-gain s.d. of 0.34 / 0.44 / 0.22 and a suppression strength of 4 / 1 / 4. These are fitted values, not
measurements of mouse V1; the statistics they reproduce are in ``docs/realism.md``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from . import images as _images
from . import neurons as _neurons
from . import noise as _noise
from .realism import image_contrast, spectrum_slope

__all__ = [
    "V2Params",
    "Extras",
    "SUBUNIT_OFFSET",
    "SURROUND",
    "SHARED_RANK",
    "ORIENTATION_KAPPA",
    "COUPLING_SD",
    "match_image_statistics",
    "sample_extras",
    "filter_outputs",
    "subunit_drives",
    "divisive_normalization",
    "contrast_response",
    "suppressive_division",
    "heterogeneous_baselines",
    "extra_params",
    "stimulus_tunings",
    "shared_modulation",
    "draw_shared",
]

#: s.d. of the second subunit's offset from the first, in RF sizes (envelope s.d.)
SUBUNIT_OFFSET = 1.0
#: normalization pool s.d. in RF sizes (a surround about three times the RF)
SURROUND = 3.0
#: latent dimensions of the low-rank shared noise (beside the population gain)
SHARED_RANK = 3
#: orientation-tuning concentration of the large-field contrast response (von Mises on 2 x orientation)
ORIENTATION_KAPPA = 1.0
#: s.d. of the log couplings of the neurons to the population gain
COUPLING_SD = 0.5


@dataclass(frozen=True)
class V2Params:
    """Parameters of one region under generator v2 (see the module docstring for each component).

    baseline, event_scale, log_mean_rate_mean, log_mean_rate_sd : as :class:`~daenr_lite.data.RegionParams`
        (``baseline`` is the centre of the logit-normal per-neuron baselines).
    reliability_sd : s.d. of the logit of the per-neuron baselines (0: one baseline, as v1).
    exponent_scale : multiplies every neuron's output exponent (1: v1's range 1..2).
    subunit_weight : maximum weight of the second RF subunit (0: one Gabor).
    suppression : mean strength of the suppressive subunit's division (0: none).
    contrast_drive : mean weight of the pool-contrast drive beside the RF's (0: none).
    normalization : divisive-normalization strength (0: none).
    gain_sd : s.d. of the log population gain per trial (0: none).
    shared_noise_sd : s.d. of the loadings of the low-rank shared noise (0: none).
    contrast, spectrum_slope : targets of the test images' mean RMS contrast and spectrum slope.
    """

    baseline: float
    event_scale: float
    log_mean_rate_mean: float
    log_mean_rate_sd: float
    reliability_sd: float = 0.0
    exponent_scale: float = 1.0
    subunit_weight: float = 0.0
    suppression: float = 0.0
    contrast_drive: float = 0.0
    normalization: float = 0.0
    gain_sd: float = 0.0
    shared_noise_sd: float = 0.0
    contrast: float = 0.62
    spectrum_slope: float = -2.36

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def replace(self, **changes: Any) -> "V2Params":
        return replace(self, **changes)


# ---------------------------------------------------------------------------------------------- images
def _tilt(images: np.ndarray, exponent: float) -> np.ndarray:
    """Multiply the amplitude spectrum of every (M, H, W) image by ``|f| ** exponent`` (mean kept), clip to [0, 1]."""
    height, width = images.shape[1:]
    fy = np.fft.fftfreq(height)[:, None] * height
    fx = np.fft.fftfreq(width)[None, :] * width
    radius = np.hypot(fy, fx)
    radius[0, 0] = 1.0
    mean = images.mean(axis=(1, 2), keepdims=True)
    spectrum = np.fft.fft2(images - mean) * radius**exponent
    return np.clip(np.real(np.fft.ifft2(spectrum)) + mean, 0.0, 1.0)


def _shift(images: np.ndarray, offset: float) -> np.ndarray:
    return np.clip(offset + (1.0 - offset) * images, 0.0, 1.0)


def _quantise(images: np.ndarray) -> np.ndarray:
    return np.round(images * 255.0) / 255.0


def _solve_offset(images: np.ndarray, target: float) -> float:
    """Luminance offset ``a`` in [-0.9, 0.95] with mean RMS contrast of ``_shift(images, a)`` ~ target (bisection)."""
    lo, hi = -0.9, 0.95  # contrast decreases with the offset
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if image_contrast(_shift(images, mid)).mean() > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def match_image_statistics(
    train: np.ndarray, test: np.ndarray, contrast: float, slope: float
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Tilt the spectrum and shift the luminance of both image sets so ``test`` has ``contrast`` and ``slope``.

    train, test : (N, 1, H, W) / (M, 1, H, W) in [0, 1]. Returns the new float32 8-bit-valued sets and
    ``{"tilt": d, "offset": a}``; the exponent is found on the test set by a few secant steps.
    """
    x_test = test[:, 0].astype(np.float64)
    exponent = 0.0
    for _ in range(4):
        tilted = _tilt(x_test, exponent)
        offset = _solve_offset(tilted, contrast)
        got = spectrum_slope(_quantise(_shift(tilted, offset)))
        if abs(got - slope) < 0.002:
            break
        exponent += (slope - got) / 2.0  # power slope changes by 2 per unit of amplitude exponent
    tilted = _tilt(x_test, exponent)
    offset = _solve_offset(tilted, contrast)

    def apply(images: np.ndarray) -> np.ndarray:
        out = _quantise(_shift(_tilt(images[:, 0].astype(np.float64), exponent), offset))
        return out[:, None].astype(np.float32)

    return apply(train), apply(test), {"tilt": float(exponent), "offset": float(offset)}


# ---------------------------------------------------------------------------------------------- neurons
@dataclass(frozen=True)
class Extras:
    """Per-neuron draws of the v2 components (independent of the parameters that scale them).

    subunit : a :class:`~daenr_lite.data.neurons.Population` of second subunits (same size, is_complex,
        exponent and spatial frequency as the first; offset centre, own orientation and phase).
    subunit_u : (neurons,) U(0, 1); the subunit's weight is ``subunit_u * subunit_weight``.
    contrast_u : (neurons,) U(0, 2); the contrast drive's weight is ``contrast_u * contrast_drive``.
    suppressive : the suppressive subunits (energy units; offset centre, own orientation and phase).
    suppressive_u : (neurons,) U(0, 2); the suppression's strength is ``suppressive_u * suppression``.
    baseline_z : (neurons,) N(0, 1), the reliability draw.
    coupling : (neurons,) log-normal coupling to the population gain (median 1).
    loadings_z : (SHARED_RANK, neurons) N(0, 1) loadings of the shared noise (times ``shared_noise_sd``).
    """

    subunit: _neurons.Population
    subunit_u: np.ndarray
    contrast_u: np.ndarray
    suppressive: _neurons.Population
    suppressive_u: np.ndarray
    baseline_z: np.ndarray
    coupling: np.ndarray
    loadings_z: np.ndarray


def sample_extras(pop: _neurons.Population, image_shape: tuple[int, int], rng: np.random.Generator) -> Extras:
    """Draw the v2 per-neuron extras of ``pop`` from ``rng``."""
    n = pop.n_neurons
    height, width = image_shape
    x = np.clip(pop.x + rng.normal(0, SUBUNIT_OFFSET, n) * pop.size, 0, width - 1)
    y = np.clip(pop.y + rng.normal(0, SUBUNIT_OFFSET, n) * pop.size, 0, height - 1)
    orientation = rng.uniform(0, np.pi, n)
    subunit = replace(pop, x=x, y=y, orientation=orientation, phase=rng.uniform(0, 2 * np.pi, n))
    return Extras(
        subunit=subunit,
        subunit_u=rng.random(n),
        baseline_z=rng.normal(0, 1, n),
        coupling=np.exp(rng.normal(0, COUPLING_SD, n)),
        loadings_z=rng.normal(0, 1, (SHARED_RANK, n)),
        contrast_u=rng.uniform(0, 2, n),
        suppressive=replace(
            pop,
            x=np.clip(pop.x + rng.normal(0, SUBUNIT_OFFSET, n) * pop.size, 0, width - 1),
            y=np.clip(pop.y + rng.normal(0, SUBUNIT_OFFSET, n) * pop.size, 0, height - 1),
            orientation=rng.uniform(0, np.pi, n),
            phase=rng.uniform(0, 2 * np.pi, n),
            is_complex=np.ones(n, dtype=bool),
        ),
        suppressive_u=rng.uniform(0, 2, n),
    )


def _pool_weights(pop: _neurons.Population, image_shape: tuple[int, int]) -> np.ndarray:
    """(neurons, H*W) Gaussian normalization pools (s.d. SURROUND x RF size), each summing to 1."""
    height, width = image_shape
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    sd = SURROUND * pop.size[:, None, None]
    weights = np.exp(-((cols[None] - pop.x[:, None, None]) ** 2 + (rows[None] - pop.y[:, None, None]) ** 2) / (2 * sd**2))
    weights = weights.reshape(pop.n_neurons, -1)
    return weights / weights.sum(axis=1, keepdims=True)


def filter_outputs(pop: _neurons.Population, extras: Extras, images: np.ndarray) -> dict[str, np.ndarray]:
    """Linear stages of every neuron on (N, 1, H, W) images: even/odd outputs of the three subunits ("1", "2",
    "3" = suppressive), the pool's local RMS contrast and oriented energy, each (N, neurons)."""
    shape = images.shape[2:]
    flat = images.reshape(len(images), -1).astype(np.float64)
    flat = flat - flat.mean(axis=1, keepdims=True)
    out = {}
    for name, cells in (("1", pop), ("2", extras.subunit), ("3", extras.suppressive)):
        out["even" + name] = flat @ _neurons.gabor_filters(cells, shape).reshape(cells.n_neurons, -1).T
        out["odd" + name] = flat @ _neurons.gabor_filters(cells, shape, np.pi / 2).reshape(cells.n_neurons, -1).T
    weights = _pool_weights(pop, shape)
    out["pool"] = np.sqrt((flat**2) @ weights.T)
    out["oriented"] = _oriented_energy(pop, flat.reshape((len(flat),) + tuple(shape)), weights)
    return out


def _oriented_energy(pop: _neurons.Population, images: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(N, neurons) RMS of each neuron's pool-windowed image (window sqrt(weights)), its power spectrum weighted by
    a broad orientation tuning around the neuron's preferred orientation (DC excluded).

    Uses the half spectrum of the real FFT (each column but the first, and the Nyquist column of an even
    width, stands for two conjugate frequencies of the same power and orientation weight)."""
    height, width = images.shape[1:]
    half = width // 2 + 1
    fy = np.fft.fftfreq(height)[:, None] * np.ones((1, half))
    fx = np.fft.rfftfreq(width)[None, :] * np.ones((height, 1))
    phi = np.arctan2(fy, fx)  # direction of the frequency vector; a grating of orientation theta varies along it
    multiplicity = np.full(half, 2.0)
    multiplicity[0] = 1.0
    if width % 2 == 0:
        multiplicity[-1] = 1.0
    base = (((fy != 0) | (fx != 0)) * multiplicity[None, :]) / (height * width)
    out = np.empty((len(images), pop.n_neurons))
    for j in range(pop.n_neurons):
        window = np.sqrt(weights[j]).reshape(height, width)
        spectrum = np.fft.rfft2(images * window)
        power = spectrum.real**2 + spectrum.imag**2
        tuning = np.exp(ORIENTATION_KAPPA * (np.cos(2 * (phi - pop.orientation[j])) - 1)) * base
        out[:, j] = np.sqrt(power.reshape(len(images), -1) @ tuning.ravel())
    return out


def _stage(even: np.ndarray, odd: np.ndarray, is_complex: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    simple = np.maximum(even, 0.0) ** exponent
    energy = (even**2 + odd**2) ** (exponent / 2)
    return np.where(is_complex, energy, simple)


def subunit_drives(
    pop: _neurons.Population, extras: Extras, outputs: dict[str, np.ndarray], subunit_weight: float, exponent_scale: float
) -> np.ndarray:
    """(N, neurons) drive of the two-subunit RFs: ``stage(subunit 1) + w_j * stage(subunit 2)``."""
    exponent = pop.exponent * exponent_scale
    first = _stage(outputs["even1"], outputs["odd1"], pop.is_complex, exponent)
    second = _stage(outputs["even2"], outputs["odd2"], pop.is_complex, exponent)
    return first + subunit_weight * extras.subunit_u * second


def divisive_normalization(
    drive: np.ndarray, pool: np.ndarray, reference_pool: np.ndarray, exponent: np.ndarray, normalization: float
) -> np.ndarray:
    """``drive / (1 + normalization * (pool / mean(reference_pool)) ** exponent)`` (all (N, neurons))."""
    q = pool / (reference_pool.mean(axis=0) + 1e-12)
    return drive / (1.0 + normalization * q**exponent)


def contrast_response(
    drive: np.ndarray,
    reference_drive: np.ndarray,
    pool: np.ndarray,
    reference_pool: np.ndarray,
    exponent: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    """``drive / mean(reference_drive) + weight * (pool / mean(reference_pool)) ** exponent`` (N, neurons): the RF
    drive on a mean-1 scale plus the broadly tuned response to the pool's contrast."""
    q = pool / (reference_pool.mean(axis=0) + 1e-12)
    return drive / (reference_drive.mean(axis=0) + 1e-12) + weight * q**exponent


def heterogeneous_baselines(baseline: float, reliability_sd: float, extras: Extras) -> np.ndarray:
    """(neurons,) logit-normal untuned fractions around ``baseline`` with s.d. ``reliability_sd`` on the logit."""
    if not 0.0 < baseline < 1.0:
        raise ValueError(f"baseline must be in (0, 1) for generator v2, got {baseline}.")
    logit = np.log(baseline / (1 - baseline)) + reliability_sd * extras.baseline_z
    return 1.0 / (1.0 + np.exp(-logit))


def suppressive_division(
    drive: np.ndarray, suppressive: np.ndarray, reference: np.ndarray, strength: np.ndarray
) -> np.ndarray:
    """``drive / (1 + strength * suppressive / mean(reference))`` (N, neurons): the suppressive subunit's division."""
    return drive / (1.0 + strength * suppressive / (reference.mean(axis=0) + 1e-12))


def _stage_cached(outputs: dict[str, np.ndarray], name: str, pop: _neurons.Population, exponent_scale: float) -> np.ndarray:
    """:func:`_stage` of subunit ``name`` ("1" / "2"), memoised in ``outputs`` per exponent scale (the
    calibration varies the other parameters far more often)."""
    key = ("stage", name, float(exponent_scale))
    cache = outputs.setdefault("_cache", {})  # type: ignore[arg-type]
    if key not in cache:  # type: ignore[operator]
        if len(cache) > 8:  # type: ignore[arg-type]
            cache.clear()  # type: ignore[attr-defined]
        cache[key] = _stage(outputs["even" + name], outputs["odd" + name], pop.is_complex, pop.exponent * exponent_scale)  # type: ignore[index]
    return cache[key]  # type: ignore[index]


def stimulus_tunings(
    pop: _neurons.Population,
    extras: Extras,
    train_outputs: dict[str, np.ndarray],
    test_outputs: dict[str, np.ndarray],
    params: V2Params,
) -> tuple[np.ndarray, np.ndarray]:
    """(N, neurons) and (M, neurons) mean-1 tunings (mean over the training images) of the v2 neurons:
    two subunits, large-field contrast response, divisive normalization, then v1's soft saturation
    (:func:`~daenr_lite.data.neurons.tuning`)."""
    exponent = pop.exponent * params.exponent_scale
    weight = params.subunit_weight * extras.subunit_u

    def drive(out: dict[str, np.ndarray]) -> np.ndarray:
        return _stage_cached(out, "1", pop, params.exponent_scale) + weight * _stage_cached(out, "2", pop, params.exponent_scale)

    reference = drive(train_outputs)
    contrast_weight = params.contrast_drive * extras.contrast_u
    suppression = params.suppression * extras.suppressive_u
    suppressive_pop = extras.suppressive

    def normalized(out: dict[str, np.ndarray], raw: np.ndarray) -> np.ndarray:
        total = contrast_response(raw, reference, out["oriented"], train_outputs["oriented"], exponent, contrast_weight)
        if params.suppression > 0:
            total = suppressive_division(
                total,
                _stage_cached(out, "3", suppressive_pop, params.exponent_scale),
                _stage_cached(train_outputs, "3", suppressive_pop, params.exponent_scale),
                suppression,
            )
        return divisive_normalization(total, out["pool"], train_outputs["pool"], exponent, params.normalization)

    train = normalized(train_outputs, reference)
    test = normalized(test_outputs, drive(test_outputs))
    return _neurons.tuning(train, train), _neurons.tuning(test, train)


def extra_params(extras: Extras, params: V2Params) -> dict[str, np.ndarray]:
    """Per-neuron ground truth of the v2 components (for :class:`~daenr_lite.data.GroundTruth` ``params``)."""
    sub = extras.subunit
    return {
        "baseline": heterogeneous_baselines(params.baseline, params.reliability_sd, extras),
        "subunit_weight": params.subunit_weight * extras.subunit_u,
        "subunit_x": sub.x,
        "subunit_y": sub.y,
        "subunit_orientation": sub.orientation,
        "subunit_phase": sub.phase,
        "contrast_weight": params.contrast_drive * extras.contrast_u,
        "suppression": params.suppression * extras.suppressive_u,
        "suppressive_x": extras.suppressive.x,
        "suppressive_y": extras.suppressive.y,
        "suppressive_orientation": extras.suppressive.orientation,
        "gain_coupling": params.gain_sd * extras.coupling,
    }


def noise_free_rates(pop: _neurons.Population, extras: Extras, tuned: np.ndarray, params: V2Params) -> np.ndarray:
    """(N, neurons) ``mean_rate * (b_j + (1 - b_j) * tuned)`` with the heterogeneous baselines ``b_j``."""
    b = heterogeneous_baselines(params.baseline, params.reliability_sd, extras)
    return pop.mean_rate * (b + (1.0 - b) * tuned)


# ---------------------------------------------------------------------------------------------- noise
@dataclass(frozen=True)
class SharedDraws:
    """Standard-normal latents of the shared variability: ``gain`` (trials...,) and ``factors`` (trials..., rank)."""

    gain: np.ndarray
    factors: np.ndarray


def draw_shared(trial_shape: tuple[int, ...], rng: np.random.Generator) -> SharedDraws:
    """Latents for trials of ``trial_shape`` (``(N,)`` training images or ``(repeats, M)``)."""
    return SharedDraws(gain=rng.normal(0, 1, trial_shape), factors=rng.normal(0, 1, trial_shape + (SHARED_RANK,)))


def shared_modulation(extras: Extras, draws: SharedDraws, gain_sd: float, shared_noise_sd: float) -> np.ndarray:
    """(trials..., neurons) mean-1 multiplicative modulation: population gain plus low-rank shared noise."""
    coupling = gain_sd * extras.coupling
    loadings = shared_noise_sd * extras.loadings_z
    log_mod = draws.gain[..., None] * coupling + draws.factors @ loadings
    variance = coupling**2 + (loadings**2).sum(axis=0)
    return np.exp(log_mod - variance / 2)


def single_trials(
    rates: np.ndarray,
    extras: Extras,
    shared: SharedDraws,
    draws: _noise.NoiseDraws,
    params: V2Params,
) -> np.ndarray:
    """Single trials (shape of ``draws``): ``rates`` (images, neurons) times :func:`shared_modulation`,
    then v1's zero-inflated gamma noise."""
    modulated = rates * shared_modulation(extras, shared, params.gain_sd, params.shared_noise_sd)
    return _noise.zero_inflated_gamma(modulated, params.event_scale, draws)


def simulate_parts(
    region: int,
    seed: int,
    animal: int,
    image_shape: tuple[int, int],
    n_neurons: int,
    n_train: int,
    n_test: int,
    params: V2Params,
) -> dict[str, Any]:
    """Everything before the parameters of the tuning and the noise: images (matched), population, extras,
    linear filter outputs. Seeds as v1 (images, population) plus ``[seed, region, 5]`` for the extras."""
    train_rng = np.random.default_rng([seed, region, 1])
    test_rng = np.random.default_rng([seed, 100 + animal, 2])
    pop_rng = np.random.default_rng([seed, region, 3])
    train = _images.sample_patches(n_train, "train", train_rng, image_shape)
    test = _images.sample_patches(n_test, "test", test_rng, image_shape)
    train_images, test_images, image_info = match_image_statistics(
        train.images, test.images, params.contrast, params.spectrum_slope
    )
    pop = _neurons.sample_population(n_neurons, image_shape, pop_rng, (params.log_mean_rate_mean, params.log_mean_rate_sd))
    extras = sample_extras(pop, image_shape, np.random.default_rng([seed, region, 5]))
    return {
        "train": train,
        "test": test,
        "train_images": train_images,
        "test_images": test_images,
        "image_info": image_info,
        "population": pop,
        "extras": extras,
        "train_outputs": filter_outputs(pop, extras, train_images),
        "test_outputs": filter_outputs(pop, extras, test_images),
    }


def draws_for(
    region: int, seed: int, train_shape: tuple[int, int], test_shape: tuple[int, int, int]
) -> dict[str, Any]:
    """Random numbers of the noise: v1's zero-inflated gamma draws (``[seed, region, 4]``) and the shared
    latents (``[seed, region, 6]``)."""
    rng = np.random.default_rng([seed, region, 4])
    shared_rng = np.random.default_rng([seed, region, 6])
    return {
        "train": _noise.draw_noise(train_shape, rng),
        "test": _noise.draw_noise(test_shape, rng),
        "train_shared": draw_shared(train_shape[:1], shared_rng),
        "test_shared": draw_shared(test_shape[:2], shared_rng),
    }


def responses(parts: dict[str, Any], draws: dict[str, Any], params: V2Params) -> dict[str, np.ndarray]:
    """Noise-free rates and single trials of both splits from :func:`simulate_parts` and :func:`draws_for`."""
    pop, extras = parts["population"], parts["extras"]
    train_tuning, test_tuning = stimulus_tunings(pop, extras, parts["train_outputs"], parts["test_outputs"], params)
    train_rates = noise_free_rates(pop, extras, train_tuning, params)
    test_rates = noise_free_rates(pop, extras, test_tuning, params)
    return {
        "train_rates": train_rates,
        "test_rates": test_rates,
        "train_responses": single_trials(train_rates, extras, draws["train_shared"], draws["train"], params),
        "test_responses": single_trials(test_rates, extras, draws["test_shared"], draws["test"], params),
    }

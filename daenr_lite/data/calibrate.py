"""`calibrate`: the search that found :data:`~daenr_lite.data.calibration.CALIBRATED` (rerun it with
``python benchmarks/bench_data.py --calibrate``).

It lives apart from the constants because it drives the simulator, which itself reads the constants: keeping
the two in one module made ``calibration`` and ``simulated`` import each other.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..metrics import oracle_corr
from .calibration import RegionParams, real_statistics
from .neurons import noise_free_rates
from .noise import zero_inflated_gamma
from .simulated import noise_draws, region_layout, simulate_noise_free

__all__ = ["calibrate", "calibrate_v2", "v2_problem", "V2Problem", "V2_MATCHED", "V2_FREE", "V2_FIXED", "simulated_realism"]


def _bisect(func: Callable[[float], float], target: float, lo: float, hi: float, increasing: bool, steps: int) -> float:
    """x in [lo, hi] with func(x) ~ target for a monotone func (geometric midpoints for positive ranges)."""
    for _ in range(steps):
        mid = np.sqrt(lo * hi) if lo > 0 else 0.5 * (lo + hi)
        above = func(mid) > target
        if above == increasing:
            hi = mid
        else:
            lo = mid
    return float(np.sqrt(lo * hi) if lo > 0 else 0.5 * (lo + hi))


def calibrate(
    data_dir: str | Path | None = None,
    regions: tuple[int, ...] = (1, 2, 3),
    seeds: tuple[int, ...] = (0, 1, 2),
    steps: int = 18,
    progress: bool = True,
) -> dict[int, RegionParams]:
    """Search :class:`RegionParams` so the simulation matches the real statistics of each region.

    data_dir : where the real response files are (see :func:`daenr_lite.data.load_dataset`).
    seeds : simulation seeds averaged over (the population and image draw vary with the seed).
    steps : bisection steps per parameter.

    Returns ``{region: RegionParams}``; paste it into :data:`CALIBRATED`.
    """
    from tqdm.auto import tqdm

    result: dict[int, RegionParams] = {}
    for region in tqdm(regions, desc="calibrating regions", disable=not progress):
        real = real_statistics(region, data_dir)
        log_mean = (real["log_mean_rate_mean"], real["log_mean_rate_sd"])
        layout = region_layout(region)
        parts: list[dict[str, Any]] = []
        for seed in seeds:
            truth = simulate_noise_free(region, seed, log_mean_rate=log_mean)
            train_draws, test_draws = noise_draws(
                region, seed, truth["train_tuning"].shape, (layout["n_repeats"],) + truth["test_tuning"].shape
            )
            parts.append({"truth": truth, "train_draws": train_draws, "test_draws": test_draws})

        def stats(baseline: float, event_scale: float) -> tuple[float, float]:
            zeros, oracles = [], []
            for part in parts:
                pop = part["truth"]["population"]
                train = zero_inflated_gamma(
                    noise_free_rates(pop, part["truth"]["train_tuning"], baseline), event_scale, part["train_draws"]
                )
                test = zero_inflated_gamma(
                    noise_free_rates(pop, part["truth"]["test_tuning"], baseline), event_scale, part["test_draws"]
                )
                zeros.append((train == 0).mean())
                oracles.append(oracle_corr(test).mean())
            return float(np.mean(zeros)), float(np.mean(oracles))

        def event_scale_for(baseline: float) -> float:
            return _bisect(lambda s: stats(baseline, s)[0], real["zero_fraction"], 0.01, 20.0, True, steps)

        baseline = _bisect(
            lambda b: stats(b, event_scale_for(b))[1], real["oracle"], 0.0, 0.99, increasing=False, steps=steps
        )
        result[region] = RegionParams(
            baseline=round(baseline, 4),
            event_scale=round(event_scale_for(baseline), 4),
            log_mean_rate_mean=round(log_mean[0], 4),
            log_mean_rate_sd=round(log_mean[1], 4),
        )
    return result


# ------------------------------------------------------------------------------------------ calibration v2
#: the statistics calibration v2 matches by search (the image statistics are matched by construction,
#: :func:`~daenr_lite.data.generator_v2.match_image_statistics`; the CNN-FR fraction by the benchmark)
V2_MATCHED: tuple[str, ...] = (
    "oracle",
    "zero_fraction",
    "noise_corr",
    "noise_corr_pairs",
    "population_gain",
    "oracle_sd",
    "low_ceiling_neurons",
    "participation_ratio",
    "top3_share",
    "skew",
)
#: the parameters it searches, with their transforms to an unbounded search space
V2_FREE: tuple[str, ...] = (
    "baseline",
    "event_scale",
    "reliability_sd",
    "gain_sd",
    "shared_noise_sd",
    "exponent_scale",
    "contrast_drive",
)
#: parameters calibration v2 does not search on the statistics: ``suppression`` is the CNN-FR knob
#: (``benchmarks/calibrate_v2_cnn_fr.py``), ``subunit_weight`` an equal-on-average second subunit and
#: ``normalization`` a moderate surround suppression (division by 2 at the mean pool contrast; mouse V1 surround
#: suppression indices are about 0.5)
V2_FIXED: dict[str, float] = {"subunit_weight": 1.0, "normalization": 1.0, "suppression": 0.0}
#: where the search starts for a parameter that is still 0 (the zero of a component is not searchable in log space)
V2_START: dict[str, float] = {
    "reliability_sd": 1.0,
    "gain_sd": 0.3,
    "shared_noise_sd": 0.2,
    "exponent_scale": 1.2,
    "contrast_drive": 0.5,
}


def _to_space(params: Any) -> np.ndarray:
    values = []
    for name in V2_FREE:
        v = float(getattr(params, name))
        values.append(np.log(v / (1 - v)) if name == "baseline" else np.log(max(v, 1e-4)))
    return np.array(values)


def _from_space(base: Any, u: np.ndarray) -> Any:
    changes = {}
    for name, value in zip(V2_FREE, u):
        changes[name] = float(1 / (1 + np.exp(-value))) if name == "baseline" else float(np.exp(value))
    return base.replace(**changes)


def simulated_realism(region: int, seeds: Any = (0, 1, 2), **load_kwargs: Any) -> list[dict[str, float]]:
    """:func:`~daenr_lite.data.realism.realism_statistics` of the simulated region for every seed (``load_kwargs``
    go to :func:`~daenr_lite.data.simulated.load_simulated`, e.g. ``generator="2"`` or ``cache=False``)."""
    from .realism import realism_statistics
    from .simulated import load_simulated

    return [realism_statistics(load_simulated(region, int(seed), **load_kwargs)) for seed in seeds]


class V2Problem:
    """The simulated parts of one region for a few seeds, held fixed while calibration v2 varies the parameters
    (common random numbers: the same images, neurons and noise draws for every candidate).

    real : the real statistics (:func:`~daenr_lite.data.realism.real_realism` plus ``zero_fraction``).
    """

    def __init__(self, region: int, seeds: tuple[int, ...], real: dict[str, float], base: Any):
        from . import generator_v2 as v2
        from .simulated import _ANIMAL

        self.region, self.seeds, self.real, self.base = region, tuple(seeds), dict(real), base
        layout = region_layout(region)
        self.parts, self.draws = [], []
        for seed in self.seeds:
            self.parts.append(
                v2.simulate_parts(region, seed, _ANIMAL[region], (31, 31), layout["n_neurons"], layout["n_train"],
                                  layout["n_test"], base)
            )
            self.draws.append(
                v2.draws_for(region, seed, (layout["n_train"], layout["n_neurons"]),
                             (layout["n_repeats"], layout["n_test"], layout["n_neurons"]))
            )

    def statistics(self, params: Any) -> list[dict[str, float]]:
        """Per seed: every realism statistic of the test set and the training zero fraction under ``params``."""
        from . import generator_v2 as v2
        from .realism import image_realism, response_realism

        out = []
        for parts, draws in zip(self.parts, self.draws):
            sim = v2.responses(parts, draws, params)
            stats = response_realism(sim["test_responses"])
            stats.update(image_realism(parts["test_images"]))
            stats["zero_fraction"] = float((sim["train_responses"] == 0).mean())
            out.append(stats)
        return out

    def mean_statistics(self, params: Any) -> dict[str, float]:
        per_seed = self.statistics(params)
        return {name: float(np.mean([s[name] for s in per_seed])) for name in per_seed[0]}

    def loss(self, params: Any, tolerances: dict[str, float]) -> float:
        """Sum over :data:`V2_MATCHED` of (error / tolerance)^2, plus a steep penalty beyond 0.8 tolerances."""
        mean = self.mean_statistics(params)
        errors = np.array([(mean[k] - self.real[k]) / tolerances[k] for k in V2_MATCHED])
        return float((errors**2).sum() + 20 * (np.maximum(np.abs(errors) - 0.8, 0) ** 2).sum())


def v2_problem(region: int, data_dir: str | Path | None = None, seeds: tuple[int, ...] = (0, 1, 2)) -> V2Problem:
    """The :class:`V2Problem` of ``region``: the real statistics, and the simulated parts with the image
    targets and the per-neuron mean rates of the real region (starting from :data:`CALIBRATED_V2`)."""
    from .calibration import CALIBRATED, CALIBRATED_V2
    from .realism import real_realism

    real = real_realism(region, data_dir)
    real["zero_fraction"] = real_statistics(region, data_dir)["zero_fraction"]
    v1 = CALIBRATED[region]
    base = CALIBRATED_V2[region].replace(
        log_mean_rate_mean=v1.log_mean_rate_mean, log_mean_rate_sd=v1.log_mean_rate_sd,
        contrast=round(real["contrast"], 4), spectrum_slope=round(real["spectrum_slope"], 4),
        **V2_FIXED,
    )
    return V2Problem(region, seeds, real, base)


def calibrate_v2(
    region: int,
    fixed: dict[str, float] | None = None,
    data_dir: str | Path | None = None,
    seeds: tuple[int, ...] = (0, 1, 2),
    start: Any = None,
    max_evaluations: int = 600,
    problem: V2Problem | None = None,
    progress: bool = True,
) -> tuple[Any, dict[str, float]]:
    """Search the free parameters of generator v2 (:data:`V2_FREE`) for one region so every statistic of
    :data:`V2_MATCHED` (mean over ``seeds``) matches the real one, with the parameters of :data:`V2_FIXED` held
    (``fixed`` overrides them, e.g. ``{"subunit_weight": 2.0}``: the CNN-FR knob).

    Nelder-Mead on transformed parameters (logit of the baseline, log of the rest) minimising
    :meth:`V2Problem.loss`, with common random numbers. Returns ``(V2Params, mean statistics)``.
    """
    from scipy.optimize import minimize
    from tqdm.auto import tqdm

    from .calibration import V2_TOLERANCES

    if problem is None:
        problem = v2_problem(region, data_dir, seeds)
    held = {**V2_FIXED, **(fixed or {})}
    base = (start or problem.base).replace(**{k: float(v) for k, v in held.items()})
    base = base.replace(**{k: v for k, v in V2_START.items() if getattr(base, k) <= 1e-3})
    bar = tqdm(total=max_evaluations, desc=f"calibrating v2 region {region}", disable=not progress)

    def objective(u: np.ndarray) -> float:
        bar.update(1)
        return problem.loss(_from_space(base, u), V2_TOLERANCES)

    start_u = _to_space(base)
    steps = np.full(len(start_u), 0.5)
    simplex = np.vstack([start_u] + [start_u + np.eye(len(start_u))[i] * steps[i] for i in range(len(start_u))])
    result = minimize(objective, start_u, method="Nelder-Mead",
                      options={"initial_simplex": simplex, "maxfev": max_evaluations, "xatol": 1e-3, "fatol": 1e-3})
    bar.close()
    best = _from_space(base, result.x)
    rounded = best.replace(**{name: round(getattr(best, name), 4) for name in V2_FREE})
    return rounded, problem.mean_statistics(rounded)

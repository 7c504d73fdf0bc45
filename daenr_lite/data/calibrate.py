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

__all__ = ["calibrate"]


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

"""Seed spread and the rule for calling a difference an effect.

Every comparison in the series is made over training seeds (the pretrained zoo has seeds 0, 1, 2): a
number is reported as mean ± sd over seeds, and a difference between two models is judged on the *paired*
differences (same seed, same data), so seed-to-seed variation shared by both models cancels.

**The rule** (:func:`paired_comparison`): a difference is an *effect* when the mean paired difference
exceeds ``EFFECT_SD_FACTOR = 2`` standard deviations of the paired differences, i.e. the paired t statistic
exceeds ``2 * sqrt(n)`` (3.46 with 3 seeds, one-sided p ≈ 0.04). With fewer than 3 seeds, or paired
differences that are all exactly equal to 0, nothing is called an effect.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats as _scipy_stats

__all__ = ["EFFECT_SD_FACTOR", "MIN_SEEDS", "mean_sd", "format_mean_sd", "PairedComparison", "paired_comparison"]

#: a mean paired difference larger than this many sd of the paired differences is an effect
EFFECT_SD_FACTOR = 2.0
#: fewer seeds than this cannot show an effect
MIN_SEEDS = 3


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; nan for a single value) of ``values`` (one per seed)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"mean_sd needs a non-empty 1-D sequence of values (one per seed); got shape {arr.shape}.")
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else float("nan")


def format_mean_sd(values: Sequence[float], digits: int = 3) -> str:
    """``"0.512 ± 0.013"`` (``"0.512"`` for one value)."""
    mean, sd = mean_sd(values)
    return f"{mean:.{digits}f}" if math.isnan(sd) else f"{mean:.{digits}f} ± {sd:.{digits}f}"


@dataclass(frozen=True)
class PairedComparison:
    """``b - a`` over seeds.

    Attributes
    ----------
    differences : (seeds,) paired differences ``b - a``.
    mean, sd : their mean and sample sd.
    t, p_value : paired t statistic and its two-sided p-value (nan when undefined).
    effect : ``|mean| > EFFECT_SD_FACTOR * sd`` with at least ``MIN_SEEDS`` seeds.
    direction : ``"higher"``, ``"lower"`` (b vs a) or ``"no effect"``.
    """

    differences: np.ndarray
    mean: float
    sd: float
    t: float
    p_value: float
    effect: bool
    direction: str

    @property
    def n(self) -> int:
        return int(self.differences.size)

    def describe(self, digits: int = 3) -> str:
        if self.n == 1:
            return f"difference {self.mean:+.{digits}f} on one seed: no spread, so no effect can be called"
        diffs = ", ".join(f"{d:+.{digits}f}" for d in self.differences)
        sd = "nan" if math.isnan(self.sd) else f"{self.sd:.{digits}f}"
        verdict = f"effect ({self.direction})" if self.effect else "no effect by the 2-sd rule"
        return f"difference {self.mean:+.{digits}f} ± {sd} over {self.n} seeds ({diffs}): {verdict}"


def paired_comparison(a: Sequence[float], b: Sequence[float]) -> PairedComparison:
    """Compare ``b`` with ``a`` seed by seed (``a[i]`` and ``b[i]`` from the same seed).

    Raises ``ValueError`` when the two do not have the same number of seeds.
    """
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape or a_arr.ndim != 1 or a_arr.size == 0:
        raise ValueError(
            f"paired_comparison needs two equal-length 1-D sequences (one value per seed); got shapes {a_arr.shape} and {b_arr.shape}."
        )
    if not (np.isfinite(a_arr).all() and np.isfinite(b_arr).all()):
        raise ValueError("paired_comparison got NaN or inf values; drop those seeds from both sequences.")
    diff = b_arr - a_arr
    mean, sd = mean_sd(diff)
    if diff.size > 1 and sd > 0:
        t = mean / (sd / math.sqrt(diff.size))
        p = float(2 * _scipy_stats.t.sf(abs(t), df=diff.size - 1))
    else:
        t, p = float("nan"), float("nan")
    effect = bool(diff.size >= MIN_SEEDS and sd > 0 and abs(mean) > EFFECT_SD_FACTOR * sd) or bool(
        diff.size >= MIN_SEEDS and sd == 0 and mean != 0
    )
    direction = ("higher" if mean > 0 else "lower") if effect else "no effect"
    return PairedComparison(diff, mean, sd, float(t), p, effect, direction)

"""Seed spread and the rule for calling a difference an effect.

Every comparison in the series is made over training seeds (the pretrained zoo has seeds 0, 1, 2): a
number is reported as mean ± sd over seeds, and a difference between two models is judged on the *paired*
differences (same seed, same data), so seed-to-seed variation shared by both models cancels.

**The rule** (:func:`paired_comparison`): a difference is an *effect* when the mean paired difference
exceeds ``EFFECT_SD_FACTOR = 2`` standard deviations of the paired differences, i.e. the paired t statistic
exceeds ``2 * sqrt(n)`` (3.46 with 3 seeds, one-sided p ≈ 0.04). With fewer than 3 seeds, or paired
differences that are all exactly equal to 0, nothing is called an effect.

**What the rule can decide** (:func:`effect_rule_characteristics`): the threshold is fixed in units of the sd
of the paired differences, so it is a paired t-test whose critical value ``2 * sqrt(n)`` grows with the number
of seeds ``n``. Its two-sided false-positive rate is ``P(|T_{n-1}| > 2 sqrt(n))`` (0.074 with 3 seeds, 0.011
with 5) and its power for a true mean difference of ``delta`` sd of the paired differences is the same
probability under the noncentral t with noncentrality ``delta * sqrt(n)`` (3 seeds: 0.25 at 1 sd, 0.61 at
2 sd; 80 % power needs 2.67 sd). More seeds lower the false-positive rate but *not* the effect size the rule
can see: power at 1 sd falls with ``n`` and at 2 sd tends to 0.5. :func:`effect_rule_table` tabulates it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats as _scipy_stats

__all__ = ["EFFECT_SD_FACTOR", "MIN_SEEDS", "mean_sd", "format_mean_sd", "PairedComparison", "paired_comparison",
           "RuleCharacteristics", "effect_rule_characteristics", "effect_rule_table", "holm"]

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


@dataclass(frozen=True)
class RuleCharacteristics:
    """How often the effect rule of :func:`paired_comparison` fires, for ``n_seeds`` paired differences drawn
    i.i.d. normal.

    Attributes
    ----------
    n_seeds : number of paired differences (seeds).
    t_threshold : the rule as a paired t-test: an effect when ``|t| > t_threshold = EFFECT_SD_FACTOR * sqrt(n)``.
    false_positive_rate : two-sided probability of an effect when the true mean difference is 0.
    power : ``{delta: probability of an effect}`` for true mean differences of ``delta`` sd of the paired
        differences (either direction counts, as in the rule).
    effect_for_power : the true effect (in sd of the paired differences) that the rule detects with
        probability ``power_target``.
    power_target : that probability (default 0.8).
    """

    n_seeds: int
    t_threshold: float
    false_positive_rate: float
    power: dict[float, float]
    effect_for_power: float
    power_target: float


def _rule_power(n: int, delta: float) -> float:
    """P(|T'| > 2 sqrt(n)), T' noncentral t with n - 1 df and noncentrality delta * sqrt(n)."""
    c, df, nc = EFFECT_SD_FACTOR * math.sqrt(n), n - 1, delta * math.sqrt(n)
    # the lower tail as the upper tail at -nc: scipy's nct.cdf(-c) returns nan for large nc
    return float(_scipy_stats.nct.sf(c, df, nc) + _scipy_stats.nct.sf(c, df, -nc)) if delta else float(
        2 * _scipy_stats.t.sf(c, df))


def effect_rule_characteristics(n_seeds: int, effects: Sequence[float] = (1.0, 2.0),
                                power_target: float = 0.8) -> RuleCharacteristics:
    """False-positive rate and power of the 2-sd effect rule with ``n_seeds`` seeds (at least ``MIN_SEEDS``).

    >>> c = effect_rule_characteristics(3)
    >>> round(c.false_positive_rate, 3), round(c.power[1.0], 2), round(c.power[2.0], 2), round(c.effect_for_power, 2)
    (0.074, 0.25, 0.61, 2.67)
    """
    from scipy.optimize import brentq

    n = int(n_seeds)
    if n < MIN_SEEDS:
        raise ValueError(f"the effect rule needs at least {MIN_SEEDS} seeds (it never fires with fewer); got {n_seeds}.")
    if not 0 < power_target < 1:
        raise ValueError(f"power_target must lie between 0 and 1; got {power_target}.")
    fpr = _rule_power(n, 0.0)
    if power_target <= fpr:
        raise ValueError(f"power_target {power_target} is below the false-positive rate {fpr:.3g}; choose a larger one.")
    needed = float(brentq(lambda d: _rule_power(n, d) - power_target, 1e-6, 50.0, xtol=1e-6))
    return RuleCharacteristics(n, EFFECT_SD_FACTOR * math.sqrt(n), fpr,
                               {float(d): _rule_power(n, float(d)) for d in effects}, needed, float(power_target))


def effect_rule_table(seeds: Sequence[int] = (3, 4, 5, 6, 8, 10), effects: Sequence[float] = (1.0, 2.0),
                      power_target: float = 0.8) -> list[dict[str, float]]:
    """One row per number of seeds: ``n_seeds``, ``t_threshold``, ``false_positive_rate``, ``power_<delta>sd``
    for each effect and ``effect_for_<power>`` (see :func:`effect_rule_characteristics`)."""
    rows = []
    for n in seeds:
        c = effect_rule_characteristics(n, effects, power_target)
        row: dict[str, float] = {"n_seeds": c.n_seeds, "t_threshold": c.t_threshold,
                                 "false_positive_rate": c.false_positive_rate}
        row.update({f"power_{d:g}sd": p for d, p in c.power.items()})
        row[f"effect_for_{round(100 * power_target)}pct_power"] = c.effect_for_power
        rows.append(row)
    return rows


def holm(p_values: Sequence[float], alpha: float = 0.05) -> np.ndarray:
    """Holm's step-down correction: a boolean (tests,) array, True where the test is rejected with the
    family-wise error rate held at ``alpha`` over all ``p_values`` (NaN p-values are never rejected)."""
    p = np.asarray(p_values, dtype=float)
    reject = np.zeros(p.shape, dtype=bool)
    order = [i for i in np.argsort(np.where(np.isnan(p), np.inf, p)) if not np.isnan(p[i])]
    m = len(order)
    for rank, i in enumerate(order):
        if p[i] > alpha / (m - rank):
            break
        reject[i] = True
    return reject

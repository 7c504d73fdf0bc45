"""Seed spread and the 2-sd effect rule."""
import math

import numpy as np
import pytest
from scipy import stats

from daenr_lite.stats import format_mean_sd, mean_sd, paired_comparison


def test_mean_sd_uses_the_sample_sd():
    assert mean_sd([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert math.isnan(mean_sd([4.0])[1])
    assert format_mean_sd([1.0, 2.0, 3.0], 2) == "2.00 ± 1.00" and format_mean_sd([4.0]) == "4.000"
    with pytest.raises(ValueError, match="non-empty 1-D"):
        mean_sd([])


def test_paired_comparison_matches_scipy_and_applies_the_rule():
    a, b = [20.0, 21.0, 19.5], [20.5, 21.4, 20.1]  # consistent +0.4..0.6
    result = paired_comparison(a, b)
    assert result.mean == pytest.approx(0.5) and result.effect and result.direction == "higher"
    assert result.p_value == pytest.approx(stats.ttest_rel(b, a).pvalue)
    # a large mean difference with an even larger spread is no effect
    noisy = paired_comparison([0.0, 0.0, 0.0], [1.0, -0.8, 1.1])
    assert not noisy.effect and noisy.direction == "no effect"
    # pairing matters: shared seed variation cancels
    shared = np.array([10.0, 30.0, 50.0])
    assert paired_comparison(shared, shared - 0.1 + np.array([0.0, 0.01, -0.01])).effect
    assert "lower" in paired_comparison(shared, shared - 0.1 + np.array([0.0, 0.01, -0.01])).describe()


def test_paired_comparison_needs_enough_equal_length_finite_seeds():
    assert not paired_comparison([1.0, 2.0], [2.0, 3.0]).effect  # two seeds never make an effect
    with pytest.raises(ValueError, match="equal-length"):
        paired_comparison([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        paired_comparison([1.0, float("nan"), 3.0], [1.0, 2.0, 3.0])


def test_rule_characteristics_reproduce_the_issue_numbers_and_a_simulation():
    from daenr_lite.stats import effect_rule_characteristics

    c = effect_rule_characteristics(3)
    assert round(c.t_threshold, 2) == 3.46 and round(c.false_positive_rate, 3) == 0.074
    assert round(c.power[1.0], 2) == 0.25 and round(c.power[2.0], 2) == 0.61 and round(c.effect_for_power, 2) == 2.67
    # the rule itself, applied to simulated normal paired differences, fires as often as the formula says
    rng = np.random.default_rng(0)
    for n, delta, expected in ((3, 0.0, c.false_positive_rate), (3, 1.0, c.power[1.0]), (5, 2.0, None)):
        d = rng.normal(delta, 1.0, size=(40_000, n))
        fired = np.abs(d.mean(axis=1)) > 2 * d.std(axis=1, ddof=1)
        expected = effect_rule_characteristics(n, (delta,)).power.get(delta) if expected is None else expected
        assert fired.mean() == pytest.approx(expected, abs=0.01), (n, delta)


def test_more_seeds_lower_the_false_positive_rate_but_not_the_detectable_effect():
    from daenr_lite.stats import effect_rule_table

    table = effect_rule_table((3, 5, 10))
    fpr = [r["false_positive_rate"] for r in table]
    assert fpr[0] > fpr[1] > fpr[2] and round(fpr[1], 3) == 0.011
    assert table[0]["power_1sd"] > table[1]["power_1sd"] > table[2]["power_1sd"]  # falls with more seeds
    assert all(2.3 < r["effect_for_80pct_power"] < 2.7 for r in table)
    with pytest.raises(ValueError, match="at least 3 seeds"):
        effect_rule_table((2,))


def test_holm_step_down():
    from daenr_lite.stats import holm

    assert holm([0.01, 0.04, float("nan"), 0.03]).tolist() == [True, False, False, False]  # 0.03 > 0.05 / 2
    assert holm([0.001, 0.02, 0.5]).tolist() == [True, True, False]  # 0.02 <= 0.05 / 2
    assert holm([]).tolist() == []

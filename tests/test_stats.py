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

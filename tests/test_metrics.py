"""Metrics against known cases (daenr_lite.metrics)."""
import warnings

import numpy as np
import pytest
import torch

from daenr_lite.metrics import (
    feve,
    fraction_of_ceiling,
    ground_truth_ceiling,
    mse,
    oracle_corr,
    per_neuron_corr,
    psnr,
    single_trial_corr,
    ssim,
)


def test_identical_images_give_zero_mse_infinite_psnr_unit_ssim():
    images = np.random.default_rng(0).random((4, 1, 16, 16))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mse(images, images) == 0.0
        assert psnr(images, images) == np.inf
        assert ssim(images, images) == pytest.approx(1.0)


def test_psnr_is_mean_of_per_image_psnr():
    target = np.zeros((2, 1, 8, 8))
    pred = target.copy()
    pred[0] += 0.1  # MSE 0.01 -> 20 dB
    pred[1] += 0.01  # MSE 1e-4 -> 40 dB
    assert psnr(pred, target) == pytest.approx(30.0)
    assert mse(pred, target) == pytest.approx((0.01 + 1e-4) / 2)


def test_image_metrics_accept_torch_and_reject_bad_shapes():
    a = torch.rand(3, 1, 10, 10)
    assert ssim(a, a) == pytest.approx(1.0)
    assert ssim(np.clip(a.numpy() + 0.3 * np.random.default_rng(1).standard_normal(a.shape), 0, 1), a) < 0.9
    with pytest.raises(ValueError, match="must match"):
        mse(np.zeros((2, 8, 8)), np.zeros((3, 8, 8)))
    from skimage.metrics import structural_similarity

    small = np.random.default_rng(3).random((2, 4, 5))  # smaller than the 7x7 window: a 3x3 one fits
    noisy = np.clip(small + 0.1, 0, 1)
    expected = np.mean([structural_similarity(a, b, data_range=1, win_size=3) for a, b in zip(small, noisy)])
    assert ssim(noisy, small) == pytest.approx(expected) and ssim(small, small) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 3x3"):
        ssim(np.zeros((1, 2, 5)), np.zeros((1, 2, 5)))


def test_per_neuron_corr_known_cases():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 1))
    pred = np.hstack([x, x, x, rng.standard_normal((200, 1))])
    target = np.hstack([2 * x + 1, -x, np.ones((200, 1)), rng.standard_normal((200, 1))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = per_neuron_corr(pred, target)
    assert r[:2] == pytest.approx([1.0, -1.0]) and np.isnan(r[2])  # constant target: undefined, not 0
    assert abs(r[3]) < 0.2


def test_independent_noise_gives_correlations_near_zero():
    rng = np.random.default_rng(1)
    r = per_neuron_corr(rng.random((2000, 50)), rng.random((2000, 50)))
    assert abs(r.mean()) < 0.02 and np.abs(r).max() < 0.1


def test_oracle_is_one_for_noiseless_repeats_and_lower_with_noise():
    rng = np.random.default_rng(2)
    signal = rng.random((40, 6))
    assert oracle_corr(np.repeat(signal[None], 5, axis=0)) == pytest.approx(np.ones(6))
    noisy = signal[None] + 0.3 * rng.standard_normal((5, 40, 6))
    assert np.all(oracle_corr(noisy) < 0.99)
    with pytest.raises(ValueError, match="at least 2 repeats"):
        oracle_corr(signal[None])


def test_oracle_leave_one_out_hand_computed():
    responses = np.array([[[1.0], [2.0], [3.0]], [[1.0], [3.0], [2.0]], [[2.0], [1.0], [4.0]]])
    expected = np.mean(
        [np.corrcoef(responses[k, :, 0], np.delete(responses, k, axis=0).mean(0)[:, 0])[0, 1] for k in range(3)]
    )
    assert oracle_corr(responses)[0] == pytest.approx(expected)


def test_feve_known_cases():
    rng = np.random.default_rng(3)
    rates = rng.gamma(2.0, 1.0, (60, 4))
    responses = rng.poisson(np.broadcast_to(rates, (400, 60, 4))).astype(float)
    assert feve(rates, responses) == pytest.approx(np.ones(4), abs=0.05)  # the true rates explain all
    constant = np.broadcast_to(responses.mean(axis=(0, 1)), (60, 4))
    assert np.all(feve(constant, responses) < 0.05)  # predicting the mean explains nothing
    pure_noise = rng.poisson(2.0, (4, 60, 1)).astype(float)
    pure_noise[:] = pure_noise[0]  # identical repeats: no noise, but check no crash on zero noise
    assert np.isfinite(feve(pure_noise[0], pure_noise)).all()


def test_single_trial_corr_is_below_trial_averaged_corr_under_noise():
    rng = np.random.default_rng(4)
    rates = rng.gamma(2.0, 1.0, (80, 5))
    responses = rng.poisson(np.broadcast_to(rates, (6, 80, 5))).astype(float)
    single = single_trial_corr(rates, responses)
    averaged = per_neuron_corr(rates, responses.mean(axis=0))
    assert np.all(single < averaged) and np.all(single > 0)


def test_ground_truth_ceiling_and_fraction():
    rng = np.random.default_rng(5)
    rates = rng.gamma(2.0, 1.0, (80, 5))
    responses = rng.poisson(np.broadcast_to(rates, (6, 80, 5))).astype(float)
    ceiling = ground_truth_ceiling(rates, responses)
    assert ceiling == pytest.approx(per_neuron_corr(rates, responses.mean(axis=0)))
    assert fraction_of_ceiling(ceiling / 2, ceiling) == pytest.approx(0.5)
    assert fraction_of_ceiling(torch.tensor(ceiling), ceiling) == pytest.approx(1.0)

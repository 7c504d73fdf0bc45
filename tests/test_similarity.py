"""Similarity measures on seeded synthetic data with known answers."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from daenr_lite.similarity import (
    benjamini_hochberg,
    compare,
    linear_cka,
    linear_predictivity,
    neuron_significance,
    noise_ceiling,
    rdm,
    rsa,
)
from daenr_lite.similarity.predictivity import make_folds, ridge_cv_predictions


def _signal_plus_noise(seed: int, stimuli: int = 50, units: int = 60, repeats: int = 10, noise: float = 2.0):
    """True signal (stimuli, units) and noisy repeats (repeats, stimuli, units)."""
    rng = np.random.default_rng(seed)
    signal = rng.gamma(2.0, 1.0, size=(stimuli, units))
    return signal, signal[None] + noise * rng.normal(size=(repeats, stimuli, units))


# ----------------------------------------------------------------------------- CKA and RSA basics
def test_identical_representations_score_one():
    x = np.random.default_rng(0).normal(size=(40, 12))
    assert linear_cka(x, x) == pytest.approx(1.0)
    assert linear_cka(x, x, debiased=True) == pytest.approx(1.0)
    assert rsa(x, x) == pytest.approx(1.0)
    wide = np.random.default_rng(1).normal(size=(20, 500))  # units >> stimuli: Gram-matrix path
    assert linear_cka(wide, wide) == pytest.approx(1.0)


def test_cka_invariances():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 10))
    y = x @ rng.normal(size=(10, 8)) + rng.normal(size=(60, 8))
    base = linear_cka(x, y)
    rotation, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    assert linear_cka(x @ rotation, y) == pytest.approx(base, abs=1e-10)
    assert linear_cka(3.7 * x + 5.0, y) == pytest.approx(base, abs=1e-10)
    # an arbitrary invertible (anisotropic) linear map changes CKA
    stretch = np.diag(np.geomspace(0.05, 20.0, 10)) @ rotation
    assert abs(linear_cka(x @ stretch, y) - base) > 0.05


def test_cka_feature_and_gram_forms_agree():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(30, 200)), rng.normal(size=(30, 5))
    xc, yc = x - x.mean(0), y - y.mean(0)
    feature_space = np.linalg.norm(yc.T @ xc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc))
    assert linear_cka(x, y) == pytest.approx(feature_space, rel=1e-10)


def test_rdm_is_correlation_distance():
    x = np.random.default_rng(4).normal(size=(6, 9))
    d = rdm(x)
    assert d.shape == (6, 6)
    assert np.allclose(d, d.T) and np.allclose(np.diag(d), 0)
    assert d[1, 4] == pytest.approx(1 - stats.pearsonr(x[1], x[4])[0])
    ranked = stats.spearmanr(d[np.triu_indices(6, 1)], rdm(x[:, ::-1] ** 2)[np.triu_indices(6, 1)])[0]
    assert rsa(x, x[:, ::-1] ** 2) == pytest.approx(ranked)


def test_measures_near_zero_for_independent_representations():
    rng = np.random.default_rng(5)
    rsa_vals, cka_vals, pred_vals = [], [], []
    for _ in range(20):
        x, y = rng.normal(size=(50, 40)), rng.normal(size=(50, 30))
        rsa_vals.append(rsa(x, y))
        cka_vals.append(linear_cka(x, y, debiased=True))
        pred_vals.append(linear_predictivity(x, y))
    for values in (rsa_vals, cka_vals, pred_vals):
        assert abs(np.mean(values)) < 0.03
    # plain CKA is biased upwards with few stimuli, which is why compare() reports a permutation null
    assert linear_cka(rng.normal(size=(50, 40)), rng.normal(size=(50, 30))) > 0.3


# ----------------------------------------------------------------------------- per-neuron significance
@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
def test_significance_matches_scipy_pearsonr(alternative):
    rng = np.random.default_rng(6)
    pred = rng.normal(size=(30, 4))
    resp = 0.3 * pred + rng.normal(size=(5, 30, 4))
    result = neuron_significance(pred, resp, alternative=alternative)
    for j in range(4):
        ref = stats.pearsonr(pred[:, j], resp.mean(0)[:, j], alternative=alternative)
        assert result.r[j] == pytest.approx(ref[0], abs=1e-10)
        assert result.p_value[j] == pytest.approx(ref[1], rel=1e-6)
    assert result.n_significant + result.n_insignificant == 4


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
def test_significance_false_positive_rate_is_nominal(alternative):
    rng = np.random.default_rng(7)
    draws, neurons = 200, 10
    rejections = sum(
        neuron_significance(rng.normal(size=(50, neurons)), rng.normal(size=(50, neurons)), alternative=alternative).n_significant
        for _ in range(draws)
    )
    n_tests = draws * neurons
    tolerance = 3.5 * np.sqrt(0.05 * 0.95 / n_tests)
    assert abs(rejections / n_tests - 0.05) < tolerance


def test_permutation_test_false_positive_rate_is_nominal():
    rng = np.random.default_rng(8)
    draws, neurons = 40, 10
    rejections = sum(
        neuron_significance(rng.normal(size=(30, neurons)), rng.normal(size=(30, neurons)), permutations=199, seed=i).n_significant
        for i in range(draws)
    )
    n_tests = draws * neurons
    assert abs(rejections / n_tests - 0.05) < 3.5 * np.sqrt(0.05 * 0.95 / n_tests)


def test_planted_correlation_is_detected_and_sign_matters():
    rng = np.random.default_rng(9)
    signal = rng.normal(size=(50, 8))
    responses = signal[None] + rng.normal(size=(10, 50, 8)) * 3.0  # trial-average r ~ 0.7
    for result in (neuron_significance(signal, responses), neuron_significance(signal, responses, permutations=500)):
        assert result.significant.all()
    # an anti-correlated prediction is a failed prediction for the one-sided test, a detection for two-sided
    assert neuron_significance(-signal, responses).n_significant == 0
    assert neuron_significance(-signal, responses, alternative="two-sided").n_significant == 8


def test_constant_prediction_is_never_significant():
    rng = np.random.default_rng(10)
    pred = rng.normal(size=(20, 3))
    pred[:, 1] = 2.0
    result = neuron_significance(pred, pred + 0.01 * rng.normal(size=(20, 3)))
    assert result.constant.tolist() == [False, True, False]
    assert result.r[1] == 0 and result.p_value[1] == 1 and not result.significant[1]


def test_benjamini_hochberg():
    rng = np.random.default_rng(11)
    p = np.concatenate([rng.uniform(size=80), rng.uniform(0, 0.002, size=20)])
    adjusted = benjamini_hochberg(p)
    assert np.all(adjusted >= p - 1e-15) and adjusted.max() <= 1
    if hasattr(stats, "false_discovery_control"):
        assert np.allclose(adjusted, stats.false_discovery_control(p))
    for seed in range(20):
        r = np.random.default_rng(seed)
        pred = r.normal(size=(40, 30))
        resp = 0.3 * pred * (r.uniform(size=30) < 0.3) + r.normal(size=(40, 30))
        raw = neuron_significance(pred, resp)
        bh = neuron_significance(pred, resp, correction="fdr_bh")
        assert bh.n_significant <= raw.n_significant
        assert np.all(bh.significant <= raw.significant)
        alias = neuron_significance(pred, resp, correction="fdr")  # notebook 04's exercise spelling
        assert alias.correction == "fdr_bh" and np.array_equal(alias.p_adjusted, bh.p_adjusted)


def test_significance_input_errors():
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match="stimuli"):
        neuron_significance(np.ones((9, 3)), x)
    with pytest.raises(ValueError, match="neurons"):
        neuron_significance(np.ones((10, 2)), x)
    with pytest.raises(ValueError, match="alternative"):
        neuron_significance(x, x, alternative="less-ish")
    with pytest.raises(ValueError, match="correction"):
        neuron_significance(x, x, correction="bonferroni")


# ----------------------------------------------------------------------------- predictivity
def test_kernel_ridge_equals_primal_ridge_with_intercept():
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(40, 15)), rng.normal(size=(40, 3))
    folds = make_folds(40, 4, 0)
    predictions, _ = ridge_cv_predictions(x @ x.T, y, folds, np.array([0.05]))
    for test in folds:
        train = np.setdiff1d(np.arange(40), test)
        xc = x[train] - x[train].mean(0)
        penalty = 0.05 * np.linalg.eigvalsh(xc @ xc.T).max()
        coef = np.linalg.solve(xc.T @ xc + penalty * np.eye(15), xc.T @ (y[train] - y[train].mean(0)))
        assert np.allclose((x[test] - x[train].mean(0)) @ coef + y[train].mean(0), predictions[test])


def test_predictivity_recovers_a_linear_mapping():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(60, 20))
    y = x @ rng.normal(size=(20, 6)) + 0.5 * rng.normal(size=(60, 6))
    details = linear_predictivity(x, y, return_details=True)
    assert details["value"] > 0.85
    assert details["per_unit_r"].shape == (6,) and details["chosen_alpha"].shape == (5, 6)
    with pytest.raises(ValueError, match="n_folds"):
        linear_predictivity(x, y, n_folds=40)


# ----------------------------------------------------------------------------- ceilings and nulls
@pytest.mark.parametrize("noise", [1.0, 3.0])
def test_noise_ceiling_bounds_the_true_signal(noise):
    for seed in range(3):
        signal, responses = _signal_plus_noise(seed, noise=noise)
        # the predictivity ceiling is a replicate's score (noisy features): a noise-free model exceeds it
        # when the noise is large (documented in daenr_lite/similarity/ceilings.py), so only at noise 1
        measures = ("cka", "rsa", "predictivity") if noise <= 1.0 else ("cka", "rsa")
        for measure in measures:
            result = compare(signal, responses, measure, n_permutations=0, seed=seed)
            assert result["value"] <= result["ceiling"] + 0.05, (measure, seed, result)
            assert 0 < result["ceiling"] <= 1


def test_noise_ceiling_matches_the_classical_per_neuron_ceiling():
    signal, responses = _signal_plus_noise(0, units=200, noise=3.0)
    true_r = stats.pearsonr(signal, responses.mean(0), axis=0)[0]
    assert noise_ceiling(responses, "pearson", n_splits=50) == pytest.approx(true_r.mean(), abs=0.03)
    with pytest.raises(ValueError, match="repeats"):
        noise_ceiling(responses[:1], "cka")


def test_compare_null_rejects_at_nominal_rate():
    rng = np.random.default_rng(14)
    draws = 100
    p_values = [
        compare(rng.normal(size=(30, 20)), rng.normal(size=(4, 30, 15)), "cka", n_permutations=99, seed=i)["p_value"]
        for i in range(draws)
    ]
    rate = np.mean(np.array(p_values) <= 0.05)
    assert 0.0 <= rate <= 0.05 + 3.5 * np.sqrt(0.05 * 0.95 / draws)
    assert min(p_values) >= 1 / 100  # +1 correction: never 0


@pytest.mark.parametrize("measure", ["cka", "rsa", "predictivity"])
def test_compare_detects_planted_similarity(measure):
    signal, responses = _signal_plus_noise(20, noise=2.0)
    n_perm = 40 if measure == "predictivity" else 200
    result = compare(signal @ np.random.default_rng(0).normal(size=(60, 30)), responses, measure, n_permutations=n_perm)
    assert result["p_value"] <= 1 / (n_perm + 1) + 1e-12
    assert result["value"] > result["null_95"]
    assert result["normalized"] == pytest.approx(result["value"] / result["ceiling"])
    unrelated = compare(np.random.default_rng(1).normal(size=(50, 30)), responses, measure, n_permutations=0)
    assert unrelated["value"] < result["value"]


def test_compare_without_repeats_has_no_ceiling():
    signal, responses = _signal_plus_noise(21)
    result = compare(signal, responses.mean(0), "rsa", n_permutations=10)
    assert np.isnan(result["ceiling"]) and np.isnan(result["normalized"]) and np.isfinite(result["p_value"])
    with pytest.raises(ValueError, match="measure"):
        compare(signal, responses, "procrustes")


# ----------------------------------------------------------------------------- probe and layer profile (torch)
@pytest.fixture(scope="module")
def tiny_dataset():
    from daenr_lite.data import NeuralDataset

    rng = np.random.default_rng(30)
    return NeuralDataset.from_arrays(
        rng.random((96, 1, 16, 16)), rng.poisson(1.0, (96, 6)), rng.random((12, 1, 16, 16)), rng.poisson(1.0, (4, 12, 6))
    )


def _tiny_dae(dataset):
    from daenr_lite.models import build_model
    from daenr_lite.training import set_seed

    set_seed(0)
    return build_model("dae", dataset, encoder_channels=(4, 4, 4, 4))


def test_layer_probe_trains_only_the_readout(tiny_dataset):
    import torch

    from daenr_lite.similarity import LayerProbe, fit_probe
    from daenr_lite.training import fit, predict

    dae = _tiny_dae(tiny_dataset)
    fit(dae, tiny_dataset, max_epochs=1, progress=False)
    backbone_before = {k: v.clone() for k, v in dae.state_dict().items()}
    probe, history = fit_probe(dae, tiny_dataset, layer=2, max_epochs=2, progress=False)
    readout_start = LayerProbe(dae, 2, tiny_dataset.n_neurons).readout.state_dict()  # fresh readout, other init

    assert isinstance(probe, LayerProbe) and history.n_epochs >= 1
    assert probe.reconstructs is False and probe.predicts_responses is True
    # encoder weights, batch-norm statistics and normalisation buffers untouched
    assert all(torch.equal(backbone_before[k], v) for k, v in dae.state_dict().items())
    trainable = {name for name, p in probe.named_parameters() if p.requires_grad}
    assert trainable and all(name.startswith("readout.") for name in trainable)
    assert any(not torch.equal(readout_start[k], v) for k, v in probe.readout.state_dict().items())
    probe.train()
    assert not probe.backbone.training
    x = torch.as_tensor(tiny_dataset.test_images)
    assert all(torch.allclose(a, b) for a, b in zip(probe.features(x), dae.features(x)))
    out = predict(probe, tiny_dataset.test_images)
    assert out["reconstruction"] is None and out["responses"].shape == (12, 6) and (out["responses"] >= 0).all()
    with pytest.raises(ValueError, match="layer"):
        LayerProbe(dae, 5, 6)


def test_layer_profile_table_and_plot(tiny_dataset):
    import matplotlib

    matplotlib.use("Agg")
    from daenr_lite.plotting import plot_layer_profile
    from daenr_lite.similarity import layer_profile

    table = layer_profile(_tiny_dae(tiny_dataset), tiny_dataset, "rsa", n_permutations=20, progress=False)
    assert [row["layer"] for row in table] == ["h1", "h2", "h3", "h4"]
    for row in table:
        assert {"value", "ceiling", "null_95", "p_value", "normalized", "n_units"} <= set(row)
        assert 1 / 21 <= row["p_value"] <= 1
    ax = plot_layer_profile(table).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["h1", "h2", "h3", "h4"]
    with pytest.raises(ValueError, match="layers"):
        layer_profile(_tiny_dae(tiny_dataset), tiny_dataset, layers=(0,))


@pytest.mark.parametrize("region", [1, 3])
def test_noise_free_rates_reach_every_ceiling_on_simulated_data(region):
    """The simulator's noise-free test rates are a perfect model: each measure, divided by its noise
    ceiling, must come out near 1 (audit: the predictivity ceiling left out the mapping error, 0.66)."""
    from daenr_lite import load_dataset

    data = load_dataset("simulated", region=region, seed=0)
    for measure in ("rsa", "cka", "predictivity"):
        result = compare(data.ground_truth.test_rates, data.test_responses, measure, n_permutations=0)
        assert 0.9 <= result["normalized"] <= 1.15, (region, measure, result)


# ----------------------------------------------------------------------------- probe-free best unit
def test_best_unit_is_chosen_on_training_data_and_tested_on_test_data():
    from daenr_lite.similarity import best_unit_predictions

    rng = np.random.default_rng(30)
    train_x, test_x = rng.normal(size=(400, 300)), rng.normal(size=(50, 300))
    planted = np.array([5, 17, 250, 299])  # neuron n follows unit planted[n] (+ noise)
    train_y = train_x[:, planted] + 0.5 * rng.normal(size=(400, 4))
    details = best_unit_predictions(train_x.reshape(400, 3, 10, 10), train_y, test_x, chunk=64)
    assert np.array_equal(details["unit"], planted) and np.all(details["train_r"] > 0.8)
    assert np.array_equal(details["predictions"], test_x[:, planted])
    # anti-correlated units are not predictions: a neuron = -unit 3 picks something else, weakly
    flipped = best_unit_predictions(train_x, -train_x[:, [3]], test_x)
    assert flipped["unit"][0] != 3 and flipped["train_r"][0] < 0.3
    # the choice ignores the test data: planting a better unit only in the test set changes nothing
    test_y = np.stack([test_x[:, 42]] * 4, axis=1)
    again = best_unit_predictions(train_x, train_y, test_x)
    assert np.array_equal(again["unit"], planted)
    sig = neuron_significance(again["predictions"], test_y)
    assert sig.n_significant <= 1  # the training-chosen units do not predict the test-only signal
    with pytest.raises(ValueError, match="units"):
        best_unit_predictions(train_x, train_y, test_x[:, :10])


def test_best_unit_significance_on_a_model():
    import torch

    from daenr_lite.data import NeuralDataset
    from daenr_lite.models import build_model
    from daenr_lite.similarity import best_unit_significance, layer_features

    rng = np.random.default_rng(31)
    torch.manual_seed(0)
    train_images, test_images = rng.random((120, 1, 12, 12)), rng.random((30, 1, 12, 12))
    model = build_model("dae", NeuralDataset.from_arrays(
        train_images, rng.random((120, 3)), test_images, rng.random((2, 30, 3))))
    units = np.array([3, 100, 400])  # neurons driven by three units of h2
    h2_train = layer_features(model, train_images)[1]
    h2_test = layer_features(model, test_images)[1]
    data = NeuralDataset.from_arrays(
        train_images, h2_train[:, units] - h2_train[:, units].min() + 0.02 * rng.random((120, 3)),
        test_images, h2_test[None, :, units] - h2_train[:, units].min() + 0.02 * rng.random((3, 30, 3)))
    result, details = best_unit_significance(model, data, 2)
    assert result.n_significant == 3 and np.array_equal(details["unit"], units) and np.all(details["train_r"] > 0.9)
    with pytest.raises(ValueError, match="layer"):
        best_unit_significance(model, data, 5)

"""Generator v2 (daenr_lite.data.generator_v2): each component does what its docstring says, v1 stays the
default, v2 is deterministic and cached apart."""
from __future__ import annotations

import numpy as np
import pytest

from daenr_lite.data import DatasetError, load_dataset
from daenr_lite.data import generator_v2 as v2
from daenr_lite.data import simulated as sim
from daenr_lite.data.calibration import CALIBRATED_V2
from daenr_lite.data.images import sample_patches
from daenr_lite.data.neurons import drives, sample_population, tuning
from daenr_lite.data.realism import image_contrast, spectrum_slope

SMALL = dict(n_neurons=12, n_train=40, n_test=10, n_repeats=3, cache=False)


@pytest.fixture(scope="module")
def patches():
    rng = np.random.default_rng(0)
    return sample_patches(60, "train", rng), sample_patches(30, "test", rng)


def _population(n=8, seed=0):
    rng = np.random.default_rng(seed)
    pop = sample_population(n, (31, 31), rng)
    return pop, v2.sample_extras(pop, (31, 31), rng)


def test_v2_is_the_default_and_generator_1_stays_available(monkeypatch):
    from daenr_lite.config import GENERATOR_ENV

    monkeypatch.delenv(GENERATOR_ENV, raising=False)
    default = load_dataset("simulated", region=2, seed=3, **SMALL)
    explicit = load_dataset("simulated", region=2, seed=3, generator="2", **SMALL)
    assert default.info["generator_version"] == "2"  # the shipped zoo's generator (config.DEFAULT_GENERATOR)
    for name in ("train_images", "train_responses", "test_images", "test_responses"):
        np.testing.assert_array_equal(getattr(default, name), getattr(explicit, name))
    other = load_dataset("simulated", region=2, seed=3, generator="1", **SMALL)
    assert other.info["generator_version"] == "1"
    assert not np.array_equal(default.test_responses, other.test_responses)


def test_unknown_generator_is_one_clear_error():
    with pytest.raises(DatasetError, match="unknown simulated-data generator '3'.*1, 2"):
        load_dataset("simulated", region=1, generator="3", **SMALL)


def test_v2_is_deterministic_and_has_the_layout():
    a = sim.simulate_region(3, 5, n_neurons=10, n_train=30, n_test=8, n_repeats=4, generator="2")
    b = sim.simulate_region(3, 5, n_neurons=10, n_train=30, n_test=8, n_repeats=4, generator="2")
    np.testing.assert_array_equal(a.test_responses, b.test_responses)
    np.testing.assert_array_equal(a.train_images, b.train_images)
    assert a.test_responses.shape == (4, 8, 10) and a.train_images.shape == (30, 1, 31, 31)
    np.testing.assert_allclose(a.train_images * 255, np.round(a.train_images * 255), atol=1e-4)
    for name in ("baseline", "subunit_weight", "contrast_weight", "gain_coupling"):
        assert a.ground_truth.params[name].shape == (10,)


def test_v2_cache_is_separate_and_round_trips(tmp_path):
    first = load_dataset("simulated", region=1, seed=0, data_dir=tmp_path, generator="2", **{**SMALL, "cache": True})
    again = load_dataset("simulated", region=1, seed=0, data_dir=tmp_path, generator="2", **{**SMALL, "cache": True})
    v1 = load_dataset("simulated", region=1, seed=0, data_dir=tmp_path, generator="1", **{**SMALL, "cache": True})
    assert first.info["cache_file"] == again.info["cache_file"] != v1.info["cache_file"]
    assert again.info["generator_version"] == "2" and v1.info["generator_version"] == "1"
    np.testing.assert_array_equal(first.test_responses, again.test_responses)


def test_image_statistics_are_matched(patches):
    train, test = patches
    for contrast, slope in ((0.62, -2.36), (0.53, -2.29)):
        new_train, new_test, info = v2.match_image_statistics(train.images, test.images, contrast, slope)
        assert abs(image_contrast(new_test).mean() - contrast) < 0.01
        assert abs(spectrum_slope(new_test) - slope) < 0.01
        assert new_train.shape == train.images.shape and new_train.dtype == np.float32
        assert set(info) == {"tilt", "offset"}


def test_without_the_new_components_v2_tuning_is_v1s(patches):
    train, test = patches
    pop, extras = _population()
    params = CALIBRATED_V2[1].replace(
        subunit_weight=0.0, suppression=0.0, contrast_drive=0.0, normalization=0.0, exponent_scale=1.0
    )
    out_train, out_test = v2.filter_outputs(pop, extras, train.images), v2.filter_outputs(pop, extras, test.images)
    got_train, got_test = v2.stimulus_tunings(pop, extras, out_train, out_test, params)
    ref = drives(pop, train.images)
    np.testing.assert_allclose(got_train, tuning(ref, ref), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got_test, tuning(drives(pop, test.images), ref), rtol=1e-9, atol=1e-12)


def test_normalization_divides_by_the_pool_and_subunits_add(patches):
    train, test = patches
    pop, extras = _population()
    out = v2.filter_outputs(pop, extras, train.images)
    drive = v2.subunit_drives(pop, extras, out, 0.0, 1.0)
    both = v2.subunit_drives(pop, extras, out, 1.0, 1.0)
    assert np.all(both >= drive - 1e-12) and np.any(both > drive + 1e-6)
    normalized = v2.divisive_normalization(drive, out["pool"], out["pool"], pop.exponent, 2.0)
    # the suppression grows with the pool's contrast
    ratio = normalized / np.maximum(drive, 1e-12)
    for j in range(pop.n_neurons):
        order = np.argsort(out["pool"][:, j])
        assert np.all(np.diff(ratio[order, j][drive[order, j] > 1e-9]) <= 1e-12)


def test_shared_modulation_has_mean_one_and_correlates_neurons():
    pop, extras = _population(n=30)
    draws = v2.draw_shared((4000,), np.random.default_rng(1))
    mod = v2.shared_modulation(extras, draws, gain_sd=0.3, shared_noise_sd=0.2)
    assert mod.shape == (4000, 30)
    np.testing.assert_allclose(mod.mean(axis=0), 1.0, atol=0.05)
    corr = np.corrcoef(np.log(mod).T)[np.triu_indices(30, 1)]
    assert corr.mean() > 0.2
    none = v2.shared_modulation(extras, draws, gain_sd=0.0, shared_noise_sd=0.0)
    np.testing.assert_array_equal(none, 1.0)


def test_reliability_spread_is_logit_normal_around_the_baseline():
    _, extras = _population(n=2000)
    b = v2.heterogeneous_baselines(0.4, 1.0, extras)
    assert abs(np.median(b) - 0.4) < 0.03 and b.std() > 0.15 and np.all((b > 0) & (b < 1))
    np.testing.assert_allclose(v2.heterogeneous_baselines(0.4, 0.0, extras), 0.4)
    with pytest.raises(ValueError, match="baseline"):
        v2.heterogeneous_baselines(0.0, 1.0, extras)


def test_recipe_names_the_generator_only_when_it_is_not_1(monkeypatch):
    import json
    from importlib import resources

    from daenr_lite.config import GENERATOR_ENV
    from daenr_lite.zoo.recipe import Recipe

    monkeypatch.delenv(GENERATOR_ENV, raising=False)
    v1 = Recipe("cnn_fr", "simulated", 1, generator="1")
    manifest = json.loads((resources.files("daenr_lite.zoo") / "shipped" / "manifest.json").read_text())
    entries = manifest["models"]
    assert Recipe("cnn_fr", "simulated", 1).key() in entries  # the default (v2) is what ships
    assert "generator" not in v1.to_dict() and v1.dataset_options() == {}  # v1 keys as before the field
    v2_recipe = Recipe("cnn_fr", "simulated", 1, generator="2")
    assert v2_recipe.key() != v1.key() and "-g2-" in v2_recipe.key() and v2_recipe.key() in entries
    assert Recipe.from_dict(v2_recipe.to_dict()) == v2_recipe and v2_recipe.dataset_options() == {"generator": "2"}
    assert Recipe("cnn_fr", "simulated", 1) == v2_recipe
    monkeypatch.setenv(GENERATOR_ENV, "1")
    assert Recipe("cnn_fr", "simulated", 1) == v1
    assert Recipe("cnn_fr", "antolik2016", 1).generator == "1"
    with pytest.raises(ValueError, match="choose 1 or 2"):
        Recipe("cnn_fr", generator="v3")


def test_suppressive_subunit_divides_and_zero_strength_is_none(patches):
    train, test = patches
    pop, extras = _population()
    out_train, out_test = v2.filter_outputs(pop, extras, train.images), v2.filter_outputs(pop, extras, test.images)
    assert np.all(extras.suppressive.is_complex)
    energy = v2._stage(out_train["even3"], out_train["odd3"], extras.suppressive.is_complex, pop.exponent)
    drive = np.ones_like(energy)
    divided = v2.suppressive_division(drive, energy, energy, np.full(pop.n_neurons, 2.0))
    assert np.all(divided <= 1.0) and np.all(divided > 0)
    assert np.all(np.diff(divided[np.argsort(energy[:, 0]), 0]) <= 1e-12)  # more suppressive energy, less drive
    params = CALIBRATED_V2[1].replace(suppression=0.0)
    plain = v2.stimulus_tunings(pop, extras, out_train, out_test, params)
    suppressed = v2.stimulus_tunings(pop, extras, out_train, out_test, params.replace(suppression=3.0))
    assert not np.allclose(plain[1], suppressed[1])
    np.testing.assert_allclose(suppressed[0].mean(axis=0), 1.0, rtol=1e-9)  # still mean 1 over the training images

"""The simulated default dataset: layout, images, neurons, noise, determinism, caching, calibration."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from daenr_lite.data import DatasetError, GroundTruth, NeuralDataset, load_dataset
from daenr_lite.data import simulated as sim
from daenr_lite.data.calibrate import calibrate
from daenr_lite.data.calibration import CALIBRATED, CALIBRATED_V2, real_statistics, response_statistics
from daenr_lite.metrics import ground_truth_ceiling, oracle_corr
from daenr_lite.data.images import PHOTOGRAPHS, boxes_overlap, load_photograph, sample_patches
from daenr_lite.data.neurons import gabor_filters, sample_population
from daenr_lite.data.noise import draw_noise, zero_inflated_gamma

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "antolik2016_partial"
needs_real = pytest.mark.skipif(
    not (SHARED / "Data" / "region1" / "raw_validation_set.npy").is_file(),
    reason=f"real recordings not found at {SHARED} (the shared/ folder must sit beside the repository)",
)
LAYOUT = {1: (103, 1800, 10), 2: (55, 1260, 8), 3: (102, 1800, 12)}
SMALL = dict(n_neurons=12, n_train=40, n_test=10, n_repeats=3, cache=False)


@pytest.fixture(scope="module")
def regions() -> dict[int, NeuralDataset]:
    """The three full-size simulated regions of generator v1 (seed 0), generated once for this module (the
    module tests v1; tests/test_data_generator_v2.py and test_data_realism.py test v2, the default)."""
    return {r: load_dataset("simulated", region=r, seed=0, cache=False, generator="1") for r in (1, 2, 3)}


# ------------------------------------------------------------------------------------------ layout
@pytest.mark.parametrize("region", [1, 2, 3])
def test_layout_matches_the_real_regions(regions, region):
    ds = regions[region]
    n_neurons, n_train, n_repeats = LAYOUT[region]
    assert ds.train_images.shape == (n_train, 1, 31, 31)
    assert ds.train_responses.shape == (n_train, n_neurons)
    assert ds.test_images.shape == (50, 1, 31, 31)
    assert ds.test_responses.shape == (n_repeats, 50, n_neurons)
    assert ds.region == region and ds.source == "simulated"
    for name in ("train_images", "train_responses", "test_images", "test_responses"):
        assert getattr(ds, name).dtype == np.float32


def test_images_are_8bit_values_in_unit_range(regions):
    for ds in regions.values():
        for images in (ds.train_images, ds.test_images):
            assert images.min() >= 0 and images.max() <= 1
            np.testing.assert_allclose(images * 255, np.round(images * 255), atol=1e-4)
            # natural-image contrast like the recordings (per-image s.d. ~0.22)
            assert 0.12 < images.std(axis=(1, 2, 3)).mean() < 0.35


def test_test_patches_never_overlap_training_patches(regions):
    for ds in regions.values():
        overlap = boxes_overlap(ds.info["test_patch_boxes"], ds.info["train_patch_boxes"])
        assert overlap.shape == (50, ds.n_train)
        assert not overlap.any()
        # and no test image equals a training image pixel for pixel
        flat_train = {img.tobytes() for img in ds.train_images}
        assert not any(img.tobytes() in flat_train for img in ds.test_images)


def test_boxes_overlap_detects_overlap():
    a = np.array([[0, 10, 10, 20]])
    b = np.array([[0, 29, 29, 5], [0, 30, 10, 5], [1, 10, 10, 20], [0, 0, 0, 11]])
    assert boxes_overlap(a, b).tolist() == [[True, False, False, True]]


def test_patches_use_many_photographs_and_scales(regions):
    boxes = regions[1].info["train_patch_boxes"]
    assert len(np.unique(boxes[:, 0])) == len(PHOTOGRAPHS)
    assert boxes[:, 3].min() == 31 and boxes[:, 3].max() > 90


def test_every_photograph_loads_offline():
    for name in PHOTOGRAPHS:
        photo = load_photograph(name)
        assert photo.ndim == 2 and photo.min() >= 0 and photo.max() <= 1 and min(photo.shape) >= 100


def test_regions_1_and_2_share_test_images_like_the_recordings(regions):
    np.testing.assert_array_equal(regions[1].test_images, regions[2].test_images)
    assert not np.array_equal(regions[1].test_images, regions[3].test_images)


def test_any_image_size_is_supported():
    ds = load_dataset("simulated", region=2, image_size=(24, 40), **SMALL)
    assert ds.image_shape == (24, 40)
    assert ds.ground_truth.filters.shape == (12, 24, 40)
    assert load_dataset("simulated", region=1, image_size=16, **SMALL).image_shape == (16, 16)
    with pytest.raises(DatasetError, match="image_size"):
        load_dataset("simulated", image_size=(2, 31), **SMALL)
    with pytest.raises(ValueError, match="split"):
        sample_patches(3, "validation", np.random.default_rng(0))


# ------------------------------------------------------------------------------------------ neurons
def test_ground_truth_is_complete_and_consistent(regions):
    ds = regions[1]
    gt = ds.ground_truth
    assert isinstance(gt, GroundTruth)
    assert gt.train_rates.shape == ds.train_responses.shape
    assert gt.test_rates.shape == (50, ds.n_neurons)
    assert gt.filters.shape == (ds.n_neurons, 31, 31)
    for key in ("x", "y", "orientation", "spatial_frequency", "phase", "size", "is_complex"):
        assert gt.params[key].shape == (ds.n_neurons,), key
    assert (gt.train_rates > 0).all() and (gt.test_rates > 0).all()
    complex_fraction = gt.params["is_complex"].mean()
    assert 0.2 < complex_fraction < 0.6
    # diverse tuning, centres clustered near the image centre
    assert np.ptp(gt.params["orientation"]) > 2.5 and np.ptp(gt.params["spatial_frequency"]) > 0.05
    assert abs(np.median(gt.params["x"]) - 15) < 2 and abs(np.median(gt.params["y"]) - 15) < 2
    # per-neuron mean of the noise-free training rates is the neuron's mean_rate
    np.testing.assert_allclose(gt.train_rates.mean(0), gt.params["mean_rate"], rtol=1e-4)
    # trial-averaged test responses follow the noise-free rates
    assert ground_truth_ceiling(gt.test_rates, ds.test_responses).mean() > 0.6


def test_ground_truth_ceiling_leaves_room_but_is_not_trivial(regions):
    for ds in regions.values():
        ceiling = ground_truth_ceiling(ds.ground_truth.test_rates, ds.test_responses).mean()
        assert 0.6 < ceiling < 0.95


def test_filters_are_zero_mean_unit_norm_gabors():
    pop = sample_population(20, (31, 31), np.random.default_rng(0))
    filters = gabor_filters(pop, (31, 31))
    np.testing.assert_allclose(filters.mean(axis=(1, 2)), 0, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(filters.reshape(20, -1), axis=1), 1, rtol=1e-9)
    # the filter's peak sits near the neuron's RF centre
    peak = np.abs(filters).reshape(20, -1).argmax(axis=1)
    rows, cols = np.unravel_index(peak, (31, 31))
    assert np.median(np.hypot(rows - pop.y, cols - pop.x)) < 4


def test_simple_and_complex_cells_respond_as_their_model_says():
    """A complex cell is phase invariant to a grating at its preference; a simple cell is not."""
    pop = sample_population(40, (31, 31), np.random.default_rng(3))
    from daenr_lite.data.neurons import drives

    rows, cols = np.mgrid[0:31, 0:31]
    for j in (np.flatnonzero(pop.is_complex)[0], np.flatnonzero(~pop.is_complex)[0]):
        theta, sf = pop.orientation[j], pop.spatial_frequency[j]
        phases = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        gratings = np.stack(
            [0.5 + 0.4 * np.cos(2 * np.pi * sf * ((cols - pop.x[j]) * np.cos(theta) + (rows - pop.y[j]) * np.sin(theta)) + p)
             for p in phases]
        )[:, None]
        response = drives(pop, gratings)[:, j]
        modulation = (response.max() - response.min()) / response.max()
        if pop.is_complex[j]:
            assert modulation < 0.5
        else:
            assert modulation > 0.99  # half-wave rectified: some phases give zero drive


# ------------------------------------------------------------------------------------------ noise
def test_zero_inflated_gamma_keeps_the_mean_and_makes_zeros():
    rates = np.array([0.05, 0.5, 2.0, 8.0])
    draws = draw_noise((200_000, 4), np.random.default_rng(0))
    responses = zero_inflated_gamma(rates, 0.7, draws)
    assert (responses >= 0).all()
    np.testing.assert_allclose(responses.mean(0), rates, rtol=0.03)
    np.testing.assert_allclose((responses == 0).mean(0), np.exp(-rates / 0.7), atol=0.005)
    with pytest.raises(ValueError, match="event_scale"):
        zero_inflated_gamma(rates, 0.0, draws)


def test_responses_are_sparse_nonnegative_single_trials(regions):
    for ds in regions.values():
        assert ds.train_responses.min() == 0 and ds.test_responses.min() == 0
        # repeats differ (single trials), but their mean tracks the truth
        assert not np.array_equal(ds.test_responses[0], ds.test_responses[1])


# ------------------------------------------------------------------------------------------ determinism
def test_same_seed_same_arrays_different_seed_different_arrays():
    a = load_dataset("simulated", region=1, seed=3, **SMALL)
    b = load_dataset("simulated", region=1, seed=3, **SMALL)
    c = load_dataset("simulated", region=1, seed=4, **SMALL)
    for name in ("train_images", "train_responses", "test_images", "test_responses"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert not np.array_equal(getattr(a, name), getattr(c, name)), name
    np.testing.assert_array_equal(a.ground_truth.filters, b.ground_truth.filters)


def test_bad_seed_is_rejected():
    with pytest.raises(DatasetError, match="seed"):
        load_dataset("simulated", seed=-1, **SMALL)
    with pytest.raises(DatasetError, match="n_train"):
        load_dataset("simulated", **{**SMALL, "n_train": 0})


# ------------------------------------------------------------------------------------------ cache
CACHED = {k: v for k, v in SMALL.items() if k != "cache"}


def test_cache_is_written_atomically_and_reused(tmp_path, monkeypatch):
    first = load_dataset("simulated", region=2, seed=1, data_dir=tmp_path, **CACHED)
    files = sorted((tmp_path / "simulated").iterdir())
    assert len(files) == 1 and files[0].name.startswith("region2_seed1_") and files[0].suffix == ".npz"
    assert first.info["cache_file"] == str(files[0])

    def fail(*args, **kwargs):
        raise AssertionError("regenerated although a valid cache file exists")

    monkeypatch.setattr(sim, "simulate_region", fail)
    second = load_dataset("simulated", region=2, seed=1, data_dir=tmp_path, **CACHED)
    for name in ("train_images", "train_responses", "test_images", "test_responses"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    np.testing.assert_array_equal(first.ground_truth.test_rates, second.ground_truth.test_rates)
    for key, value in first.ground_truth.params.items():
        np.testing.assert_array_equal(value, second.ground_truth.params[key])
    np.testing.assert_array_equal(first.info["test_patch_boxes"], second.info["test_patch_boxes"])


def test_corrupt_cache_is_regenerated_not_trusted(tmp_path):
    good = load_dataset("simulated", region=1, data_dir=tmp_path, **CACHED)
    path = Path(good.info["cache_file"])
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2 : len(blob) // 2 + 64] = b"\x00" * 64  # damage the middle of the archive
    path.write_bytes(bytes(blob))
    with pytest.warns(UserWarning, match="regenerating"):
        again = load_dataset("simulated", region=1, data_dir=tmp_path, **CACHED)
    np.testing.assert_array_equal(good.train_responses, again.train_responses)
    path.write_bytes(b"not a zip")
    with pytest.warns(UserWarning, match="regenerating"):
        load_dataset("simulated", region=1, data_dir=tmp_path, **CACHED)
    # the rewritten file is valid again and no temporary files are left behind
    assert [p.name for p in (tmp_path / "simulated").iterdir()] == [path.name]
    load_dataset("simulated", region=1, data_dir=tmp_path, **CACHED)


def test_cache_key_depends_on_options_and_cache_false_writes_nothing(tmp_path):
    load_dataset("simulated", region=1, data_dir=tmp_path, **CACHED)
    load_dataset("simulated", region=1, data_dir=tmp_path, **{**CACHED, "n_repeats": 4})
    assert len(list((tmp_path / "simulated").iterdir())) == 2
    load_dataset("simulated", region=1, data_dir=tmp_path / "none", **SMALL)
    assert not (tmp_path / "none").exists()


def test_cache_key_changes_with_the_generator_version(monkeypatch):
    options = {"image_size": [31, 31]}
    key = sim._cache_key(1, 0, options, CALIBRATED[1])
    monkeypatch.setattr(sim, "GENERATOR_VERSION", sim.GENERATOR_VERSION + "-next")
    assert sim._cache_key(1, 0, options, CALIBRATED[1]) != key


def test_cache_defaults_to_the_env_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DAENR_DATA_DIR", str(tmp_path / "env"))
    load_dataset("simulated", region=3, **CACHED)
    assert len(list((tmp_path / "env" / "simulated").glob("region3_seed0_*.npz"))) == 1


# ------------------------------------------------------------------------------------------ statistics
def test_oracle_used_for_calibration_matches_its_definition():
    rng = np.random.default_rng(0)
    resp = rng.gamma(1.0, size=(5, 30, 4)) + rng.normal(0, 1, (1, 30, 4)) ** 2
    expected = np.zeros(4)
    for j in range(4):
        expected[j] = np.mean(
            [np.corrcoef(resp[t, :, j], np.delete(resp[:, :, j], t, axis=0).mean(0))[0, 1] for t in range(5)]
        )
    np.testing.assert_allclose(oracle_corr(resp), expected, rtol=1e-10)
    constant = np.ones((3, 10, 2))
    np.testing.assert_array_equal(oracle_corr(constant), 0)
    with pytest.raises(ValueError, match="repeats"):
        oracle_corr(resp[:1])


@needs_real
@pytest.mark.realdata
@pytest.mark.parametrize("region", [1, 2, 3])
def test_simulation_matches_the_real_statistics(regions, region):
    real = real_statistics(region, SHARED)
    ds = regions[region]
    simulated = response_statistics(ds.train_responses, ds.test_responses)
    assert abs(simulated["oracle"] - real["oracle"]) < 0.05
    assert abs(simulated["zero_fraction"] - real["zero_fraction"]) < 0.10
    assert abs(simulated["mean"] / real["mean"] - 1) < 0.25
    assert 0.5 < simulated["max"] / real["max"] < 2.0


@needs_real
@pytest.mark.realdata
def test_real_oracle_values_are_reproduced():
    oracles = [real_statistics(r, SHARED)["oracle"] for r in (1, 2, 3)]
    np.testing.assert_allclose(oracles, [0.400, 0.329, 0.369], atol=0.0006)


@needs_real
@pytest.mark.realdata
def test_calibration_routine_finds_parameters_that_match(tmp_path):
    found = calibrate(SHARED, regions=(2,), seeds=(0,), steps=10, progress=False)
    params = found[2]
    assert 0 <= params.baseline < 1 and params.event_scale > 0
    ds = sim.simulate_region(2, seed=0, params=params, generator="1")
    simulated = response_statistics(ds.train_responses, ds.test_responses)
    real = real_statistics(2, SHARED)
    assert abs(simulated["oracle"] - real["oracle"]) < 0.02
    assert abs(simulated["zero_fraction"] - real["zero_fraction"]) < 0.02
    # the frozen constants came from this routine (seeds 0-2, 18 steps): same neighbourhood
    assert abs(params.baseline - CALIBRATED[2].baseline) < 0.1
    assert params.log_mean_rate_mean == pytest.approx(CALIBRATED[2].log_mean_rate_mean, abs=1e-3)


def test_params_pick_their_own_generator_and_a_mismatch_says_how_to_fix_it():
    """RegionParams without ``generator`` ran generator v2 (the default) and failed on the parameter type."""
    small = dict(n_neurons=4, n_train=12, n_test=3, n_repeats=2)
    v1 = sim.simulate_region(1, seed=0, params=CALIBRATED[1], **small)
    same = sim.simulate_region(1, seed=0, params=CALIBRATED[1], generator="1", **small)
    np.testing.assert_array_equal(v1.train_responses, same.train_responses)
    v2 = sim.simulate_region(1, seed=0, params=CALIBRATED_V2[1], **small)
    np.testing.assert_array_equal(
        v2.train_responses, sim.simulate_region(1, seed=0, generator="2", **small).train_responses
    )
    with pytest.raises(DatasetError, match=r"belong to generator '1'.*pass generator='1'") as err:
        sim.simulate_region(1, seed=0, params=CALIBRATED[1], generator="2", **small)
    assert "\n" not in str(err.value)
    with pytest.raises(DatasetError, match="must be RegionParams .* or V2Params"):
        sim.simulate_region(1, seed=0, params={"baseline": 0.1}, **small)

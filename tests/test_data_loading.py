"""load_dataset dispatch, data-folder resolution and input validation (clear errors everywhere)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import daenr_lite.data as data
from daenr_lite.data import (
    DatasetError,
    NeuralDataset,
    NormalizationStats,
    available_datasets,
    default_data_dir,
    load_dataset,
)

SMALL = dict(n_neurons=5, n_train=20, n_test=6, n_repeats=2, cache=False)


def test_public_names_are_exported():
    for name in ("load_dataset", "NeuralDataset", "GroundTruth", "DatasetError", "NormalizationStats",
                 "available_datasets", "default_data_dir"):
        assert hasattr(data, name) and name in data.__all__


def test_available_datasets_lists_names_and_regions():
    datasets = available_datasets()
    assert set(datasets) == {"simulated", "antolik2016"}
    assert all(entry["regions"] == (1, 2, 3) and entry["description"] for entry in datasets.values())


@pytest.mark.parametrize("name", ["mnist", "", None, "simulate"])
def test_unknown_name_lists_the_valid_choices(name):
    with pytest.raises(DatasetError, match="'simulated'.*'antolik2016'"):
        load_dataset(name)


@pytest.mark.parametrize("name", ["simulated", "antolik2016"])
@pytest.mark.parametrize("region", [0, 4, -1, "1", 1.5, None, True])
def test_unknown_region_lists_the_valid_choices(name, region, tmp_path):
    with pytest.raises(DatasetError, match=r"region.*\[1, 2, 3\]"):
        load_dataset(name, region=region, data_dir=tmp_path)


def test_name_is_case_insensitive_and_numpy_ints_are_regions():
    ds = load_dataset("Simulated", region=np.int64(2), **SMALL)
    assert ds.region == 2 and isinstance(ds.region, int)


def test_unknown_options_are_named():
    with pytest.raises(DatasetError, match="n_images.*valid options"):
        load_dataset("simulated", n_images=3)
    with pytest.raises(DatasetError, match="cache.*valid options: verify"):
        load_dataset("antolik2016", cache=False)


def test_default_data_dir_env_then_user_cache(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.setenv("DAENR_DATA_DIR", str(tmp_path / "from-env"))
    assert default_data_dir() == tmp_path / "from-env"
    monkeypatch.delenv("DAENR_DATA_DIR")
    assert default_data_dir() == Path(platformdirs.user_cache_dir("daenr-lite"))
    monkeypatch.setenv("DAENR_DATA_DIR", "  ")
    assert default_data_dir() == Path(platformdirs.user_cache_dir("daenr-lite"))


def test_data_dir_argument_overrides_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DAENR_DATA_DIR", str(tmp_path / "env"))
    small = {k: v for k, v in SMALL.items() if k != "cache"}
    ds = load_dataset("simulated", data_dir=tmp_path / "arg", **small)
    assert Path(ds.info["cache_file"]).parent == tmp_path / "arg" / "simulated"
    assert not (tmp_path / "env").exists()


def test_simulated_dataset_works_with_the_contract_methods():
    ds = load_dataset("simulated", region=1, **SMALL)
    train_idx, val_idx = ds.split_indices(0.25, seed=0)
    assert len(np.intersect1d(train_idx, val_idx)) == 0 and len(train_idx) + len(val_idx) == 20
    stats = ds.normalization_stats(train_idx)
    assert isinstance(stats, NormalizationStats) and stats.response_mean.shape == (5,)
    sub = ds.subset_neurons([4, 0])
    assert sub.ground_truth.filters.shape[0] == 2
    np.testing.assert_array_equal(sub.ground_truth.params["x"], ds.ground_truth.params["x"][[4, 0]])
    tensors = ds.to_tensors("cpu")
    assert tuple(tensors["test_responses"].shape) == (2, 6, 5)
    assert "simulated" in repr(ds)


# ------------------------------------------------------------------------------------------ from_arrays
def _arrays(n=8, m=4, neurons=3, repeats=2, size=6):
    rng = np.random.default_rng(0)
    return dict(
        train_images=rng.random((n, 1, size, size)),
        train_responses=rng.gamma(1.0, size=(n, neurons)),
        test_images=rng.random((m, 1, size, size)),
        test_responses=rng.gamma(1.0, size=(repeats, m, neurons)),
    )


def test_from_arrays_accepts_valid_arrays():
    ds = NeuralDataset.from_arrays(**_arrays())
    assert ds.n_train == 8 and ds.n_test == 4 and ds.n_repeats == 2 and ds.n_neurons == 3


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(train_images=np.zeros((8, 2, 6, 6))), "expected \\(images, 1, height, width\\)"),
        (dict(train_images=np.zeros((8, 36))), "Reshape flattened images"),
        (dict(test_images=np.zeros((4, 1, 7, 7))), "same size"),
        (dict(train_responses=np.ones((7, 3))), "7 rows but there are 8 train_images"),
        (dict(train_responses=np.ones((8, 3, 1))), "expected \\(images, neurons\\)"),
        (dict(test_responses=np.ones((2, 5, 3))), "covers 5 images but there are 4"),
        (dict(test_responses=np.ones((2, 4, 2))), "3 neurons but test_responses has 2"),
        (dict(test_responses=np.ones((1, 2, 4, 3))), "expected \\(repeats, images, neurons\\)"),
        (dict(train_images=np.full((8, 1, 6, 6), 255.0)), "images / 255"),
        (dict(test_images=-np.ones((4, 1, 6, 6))), "expected \\[0, 1\\]"),
        (dict(train_images=np.full((8, 1, 6, 6), np.nan)), "NaN or inf"),
        (dict(train_responses=np.full((8, 3), np.inf)), "NaN/inf"),
        (dict(test_responses=-np.ones((2, 4, 3))), "negative"),
        (dict(train_responses=[["a"] * 3] * 8), "could not be converted"),
        (dict(train_images=np.zeros((0, 1, 6, 6))), "at least one image"),
    ],
)
def test_from_arrays_rejects_bad_input_with_a_clear_message(change, message):
    with pytest.raises(DatasetError, match=message):
        NeuralDataset.from_arrays(**{**_arrays(), **change})


def test_other_bad_arguments():
    ds = NeuralDataset.from_arrays(**_arrays())
    with pytest.raises(DatasetError, match="neuron_ids"):
        NeuralDataset.from_arrays(**_arrays(), neuron_ids=[1, 2])
    with pytest.raises(DatasetError, match="val_fraction"):
        ds.split_indices(1.5)
    with pytest.raises(DatasetError, match="no neurons"):
        ds.subset_neurons([])
    with pytest.raises(DatasetError, match="neuron indices"):
        ds.subset_neurons([5])


def test_find_real_data_prefers_a_download_then_a_named_copy_then_the_course_folder(tmp_path, monkeypatch):
    from daenr_lite.data import find_real_data

    monkeypatch.setenv("DAENR_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DAENR_SHARED_DATA", raising=False)
    nowhere = tmp_path / "a" / "b" / "c" / "d" / "e"
    nowhere.mkdir(parents=True)
    assert find_real_data(nowhere) is None
    named = tmp_path / "course-copy"
    (named / "Data").mkdir(parents=True)
    monkeypatch.setenv("DAENR_SHARED_DATA", str(named))
    assert find_real_data(nowhere) == named
    (tmp_path / "cache" / "antolik2016" / "Data").mkdir(parents=True)
    assert find_real_data(nowhere) == tmp_path / "cache" / "antolik2016"  # a full download wins
    monkeypatch.delenv("DAENR_SHARED_DATA")
    (tmp_path / "cache" / "antolik2016" / "Data").rmdir()
    course = tmp_path / "shared" / "data" / "antolik2016_partial" / "Data"
    course.mkdir(parents=True)
    (tmp_path / "repo" / "notebooks").mkdir(parents=True)
    assert find_real_data(tmp_path / "repo" / "notebooks") == course.parent  # ../shared beside the checkout

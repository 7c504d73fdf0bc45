"""The real Antolík et al. 2016 recordings: loading, layout, checksums and clear errors for missing files."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from daenr_lite.data import DatasetError, MissingDataError, load_antolik2016_test_set, load_dataset
from daenr_lite.data.antolik2016 import find_antolik2016_folder

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "antolik2016_partial"
pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not (SHARED / "Data" / "region3" / "raw_validation_set.npy").is_file(),
        reason=f"real recordings not found at {SHARED} (the shared/ folder must sit beside the repository)",
    ),
]
LAYOUT = {1: (1800, 103, 10), 2: (1260, 55, 8), 3: (1800, 102, 12)}


def fake_training_images(n: int, seed: int = 0) -> np.ndarray:
    """(n, 961) float64 in the file's encoding: 8-bit values / 1e6."""
    return np.random.default_rng(seed).integers(0, 256, size=(n, 961)).astype(np.float64) / 1e6


def full_copy(tmp_path: Path, regions=(1, 2, 3)) -> Path:
    """A copy of the partial data plus generated training_inputs.npy, as <tmp>/antolik2016/Data."""
    data = tmp_path / "antolik2016" / "Data"
    for region in regions:
        shutil.copytree(SHARED / "Data" / f"region{region}", data / f"region{region}")
        np.save(data / f"region{region}" / "training_inputs.npy", fake_training_images(LAYOUT[region][0], region))
    return data


@pytest.mark.parametrize("region", [1, 2, 3])
def test_partial_copy_names_the_missing_training_images(region):
    with pytest.raises(MissingDataError) as info:
        load_dataset("antolik2016", region=region, data_dir=SHARED)
    message = str(info.value)
    assert f"region{region}/training_inputs.npy" in message.replace("\\", "/")
    assert "daenr-lite download antolik2016" in message
    assert "load_antolik2016_test_set" in message
    assert [p.name for p in info.value.missing] == ["training_inputs.npy"]
    assert isinstance(info.value, DatasetError)


@pytest.mark.parametrize("region", [1, 2, 3])
def test_test_set_loads_from_the_partial_copy(region):
    n_train, n_neurons, n_repeats = LAYOUT[region]
    test_set = load_antolik2016_test_set(region, data_dir=SHARED)
    assert test_set.test_images.shape == (50, 1, 31, 31)
    assert test_set.test_responses.shape == (n_repeats, 50, n_neurons)
    assert test_set.train_responses.shape == (n_train, n_neurons)
    assert test_set.n_neurons == n_neurons and test_set.n_repeats == n_repeats and test_set.image_shape == (31, 31)
    images = test_set.test_images
    assert images.dtype == np.float32 and images.min() == 0 and images.max() == 1
    np.testing.assert_allclose(images * 255, np.round(images * 255), atol=1e-4)
    # validation_set.npy is the trial average of raw_validation_set.npy
    averaged = np.load(SHARED / "Data" / f"region{region}" / "validation_set.npy")
    np.testing.assert_allclose(test_set.test_mean_responses, averaged, rtol=1e-5, atol=1e-6)


def test_regions_1_and_2_share_their_test_images():
    one, two, three = (load_antolik2016_test_set(r, data_dir=SHARED).test_images for r in (1, 2, 3))
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, three)


def test_images_are_upright_row_major():
    """Natural images are smoother along rows and columns alike only when reshaped correctly;
    a wrong (column-major) reshape would transpose them — check against the flat file directly."""
    flat = np.load(SHARED / "Data" / "region1" / "validation_inputs.npy")
    images = load_antolik2016_test_set(1, data_dir=SHARED).test_images
    np.testing.assert_allclose(images[:, 0, 0, :] * 255, flat[:, :31] * 1e6, atol=1e-3)  # first row = first 31 values
    # neighbouring pixels are strongly correlated in both directions (no scrambling)
    img = images[:, 0]
    horizontal = np.corrcoef(img[:, :, 1:].ravel(), img[:, :, :-1].ravel())[0, 1]
    vertical = np.corrcoef(img[:, 1:, :].ravel(), img[:, :-1, :].ravel())[0, 1]
    assert horizontal > 0.8 and vertical > 0.8


def test_full_copy_loads_as_a_neural_dataset(tmp_path):
    full_copy(tmp_path, regions=(2,))
    ds = load_dataset("antolik2016", region=2, data_dir=tmp_path, verify=False)
    assert ds.train_images.shape == (1260, 1, 31, 31) and ds.train_responses.shape == (1260, 55)
    assert ds.test_responses.shape == (8, 50, 55) and ds.ground_truth is None
    assert ds.source == "antolik2016" and ds.region == 2
    expected = fake_training_images(1260, 2).reshape(1260, 1, 31, 31) * 1e6 / 255
    np.testing.assert_allclose(ds.train_images, expected, atol=1e-6)
    np.testing.assert_array_equal(ds.train_responses, np.load(SHARED / "Data/region2/training_set.npy").astype(np.float32))


def test_checksums_are_verified_on_load(tmp_path):
    data = full_copy(tmp_path, regions=(1,))
    # the generated training images are not the published ones: verification must say so
    with pytest.raises(DatasetError, match="(?s)training_inputs.npy: git-sha1 mismatch.*--force.*verify=False"):
        load_dataset("antolik2016", region=1, data_dir=tmp_path)
    # a damaged response file is caught too (the test set has no training images involved)
    target = data / "region1" / "training_set.npy"
    blob = bytearray(target.read_bytes())
    blob[-1] ^= 0xFF
    target.write_bytes(bytes(blob))
    with pytest.raises(DatasetError, match="training_set.npy: sha256 mismatch"):
        load_antolik2016_test_set(1, data_dir=tmp_path)
    # without verification the damage still surfaces as an invalid value (this flip made a response negative)
    with pytest.raises(DatasetError, match="negative"):
        load_antolik2016_test_set(1, data_dir=tmp_path, verify=False)


def test_every_missing_file_is_named(tmp_path):
    with pytest.raises(MissingDataError) as info:
        load_dataset("antolik2016", region=3, data_dir=tmp_path)
    names = sorted(p.name for p in info.value.missing)
    assert names == ["raw_validation_set.npy", "training_inputs.npy", "training_set.npy", "validation_inputs.npy"]
    assert f"--dest {tmp_path}" in str(info.value)
    assert "load_antolik2016_test_set" not in str(info.value)  # more than the images is missing


def test_data_dir_may_be_the_data_root_or_its_parent_or_the_data_folder(tmp_path):
    data = full_copy(tmp_path, regions=(3,))
    for data_dir in (tmp_path, data.parent, data):
        assert find_antolik2016_folder(data_dir) == data
        assert load_dataset("antolik2016", region=3, data_dir=data_dir, verify=False).n_train == 1800


def test_default_data_dir_is_used(tmp_path, monkeypatch):
    full_copy(tmp_path, regions=(2,))
    monkeypatch.setenv("DAENR_DATA_DIR", str(tmp_path))
    assert load_dataset("antolik2016", region=2, verify=False).n_neurons == 55


def test_images_not_in_the_published_encoding_are_rejected(tmp_path):
    data = full_copy(tmp_path, regions=(2,))
    np.save(data / "region2" / "training_inputs.npy", np.random.default_rng(0).random((1260, 961)))
    with pytest.raises(DatasetError, match="8-bit values / 1e6"):
        load_dataset("antolik2016", region=2, data_dir=tmp_path, verify=False)
    np.save(data / "region2" / "training_inputs.npy", np.zeros((1260, 900)))
    with pytest.raises(DatasetError, match="expected \\(images, 961\\)"):
        load_dataset("antolik2016", region=2, data_dir=tmp_path, verify=False)


def test_nan_or_inf_pixels_are_rejected(tmp_path):
    data = full_copy(tmp_path, regions=(2,))
    images = fake_training_images(1260, 2)
    for bad in (np.nan, np.inf):
        images[5, 7] = bad
        np.save(data / "region2" / "training_inputs.npy", images)
        with pytest.raises(DatasetError, match=r"training_inputs\.npy contains 1 NaN/inf pixel values"):
            load_dataset("antolik2016", region=2, data_dir=tmp_path, verify=False)
    test_images = np.load(data / "region2" / "validation_inputs.npy")
    test_images[0, 0] = np.nan  # the test-set loader builds no NeuralDataset: its own check must catch it
    np.save(data / "region2" / "validation_inputs.npy", test_images)
    with pytest.raises(DatasetError, match=r"validation_inputs\.npy contains 1 NaN/inf"):
        load_antolik2016_test_set(region=2, data_dir=tmp_path, verify=False)


@pytest.mark.parametrize("name", ["training_inputs.npy", "raw_validation_set.npy", "training_set.npy"])
def test_unreadable_files_are_named_without_verification(tmp_path, name):
    data = full_copy(tmp_path, regions=(2,))
    path = data / "region2" / name
    path.write_bytes(path.read_bytes()[:100])  # truncated
    with pytest.raises(DatasetError, match=rf"{name} is not a readable \.npy array.*--force"):
        load_dataset("antolik2016", region=2, data_dir=tmp_path, verify=False)
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)  # would need pickle to load
    with pytest.raises(DatasetError, match=rf"{name} is not a readable \.npy array"):
        load_dataset("antolik2016", region=2, data_dir=tmp_path, verify=False)

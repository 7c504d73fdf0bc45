"""An absent data folder is reported as absent (not as a list of "missing files" under a path that does not exist)."""
from __future__ import annotations


import pytest

from daenr_lite.data import MissingDataError, load_antolik2016_test_set, load_dataset


def test_absent_data_dir_says_the_folder_does_not_exist(tmp_path):
    absent = tmp_path / "not-there"
    with pytest.raises(MissingDataError) as info:
        load_dataset("antolik2016", region=1, data_dir=absent)
    message = str(info.value)
    assert f"data folder {absent} does not exist" in message
    assert "missing" not in message and "training_inputs.npy" not in message  # no file list under a phantom path
    assert "daenr-lite download antolik2016" in message
    assert info.value.missing == [absent]
    assert not absent.exists()  # nothing was created


def test_absent_relative_data_dir_names_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MissingDataError) as info:
        load_antolik2016_test_set(2, data_dir="../shared/data/antolik2016_partial")
    message = str(info.value)
    resolved = (tmp_path / "../shared/data/antolik2016_partial").resolve()
    assert f"resolved from {tmp_path}" in message and str(resolved) in message
    assert "../shared" in message and "course's shared folder" in message


def test_absent_default_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DAENR_DATA_DIR", str(tmp_path / "fresh-cache"))
    with pytest.raises(MissingDataError, match=r"fresh-cache does not exist.*daenr-lite download antolik2016"):
        load_dataset("antolik2016", region=3)


def test_existing_empty_folder_still_lists_the_missing_files(tmp_path):
    with pytest.raises(MissingDataError) as info:
        load_dataset("antolik2016", region=1, data_dir=tmp_path)
    assert len(info.value.missing) == 4 and "does not exist" not in str(info.value)

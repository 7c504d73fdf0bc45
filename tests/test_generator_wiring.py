"""Generator v2 through recipes, the model store and the session: with ``DAENR_GENERATOR=2`` a store trains on v2
data under a key of its own and a session's data are v2's; v1 keys and the shipped (v1) zoo's lookups are unchanged
whatever ``$DAENR_GENERATOR`` says. Also the notebook-00 table :func:`compare_with_real`."""
from __future__ import annotations

import numpy as np
import pytest

from daenr_lite.config import GENERATOR_ENV, TrainConfig
from daenr_lite.data import load_dataset
from daenr_lite.data.calibration import compare_with_real
from daenr_lite.data.realism import STATISTICS
from daenr_lite.session import setup
from daenr_lite.zoo import ModelStore, Recipe

TINY = TrainConfig(max_epochs=1, batch_size=128)


@pytest.fixture
def v1_env(monkeypatch):
    monkeypatch.delenv(GENERATOR_ENV, raising=False)
    return monkeypatch


def _store(tmp_path, **kwargs):
    return ModelStore(tmp_path / "cache", zoo_dirs=[], progress=False, **kwargs)


def test_keys_and_shipped_zoo_lookups_follow_the_default_generator_and_the_environment(v1_env):
    default = Recipe("cnn_fr")  # DEFAULT_GENERATOR, "2" since the zoo was rebuilt on generator v2
    assert default.generator == "2" and "-g2-" in default.key() and default.to_dict()["generator"] == "2"
    assert Recipe.from_dict(default.to_dict()) == default
    shipped = ModelStore(train=False, progress=False)
    assert shipped.entry(default) is not None  # the shipped zoo is v2
    v1_env.setenv(GENERATOR_ENV, "1")
    v1 = Recipe("cnn_fr")
    assert v1.generator == "1" and "-g" not in v1.key() and "generator" not in v1.to_dict()
    assert shipped.entry(v1) is None  # nothing of v1 ships any more (its keys stay valid in a user cache)
    explicit = Recipe("cnn_fr", generator="2")
    assert explicit.key() == default.key() and shipped.entry(explicit) is not None
    # a stored recipe without the field was made with v1, whatever the environment or the default says
    v1_env.delenv(GENERATOR_ENV)
    assert Recipe.from_dict(v1.to_dict()).key() == v1.key() and Recipe.from_dict(v1.to_dict()).generator == "1"
    # real data have no generator
    assert Recipe("cnn_fr", "antolik2016").generator == "1"


def test_store_trains_a_v2_recipe_on_v2_data(v1_env, tmp_path):
    v1_env.setenv(GENERATOR_ENV, "2")
    store = _store(tmp_path)
    recipe = Recipe("cnn_fr", train_config=TINY, n_train=256)
    model = store.get(recipe)
    assert store.n_trained == 1 and model is not None
    assert store.entry(recipe)["recipe"]["generator"] == "2"
    v2 = load_dataset("simulated", region=1, seed=0, generator="2")
    v1 = load_dataset("simulated", region=1, seed=0, generator="1")
    used = store.dataset_for(recipe)
    assert used.info["generator_version"] == "2"
    np.testing.assert_array_equal(used.test_responses, v2.test_responses)
    # the same store gives a v1 recipe v1 data, cached apart
    old = store.dataset_for(Recipe("cnn_fr", train_config=TINY, generator="1"))
    assert old.info["generator_version"] == "1"
    np.testing.assert_array_equal(old.test_responses, v1.test_responses)
    assert {key[-1] for key in store._datasets} == {"1", "2"}
    # data of the other generator passed by hand are refused
    with pytest.raises(ValueError, match="generator 1, but the recipe needs generator 2"):
        store.dataset_for(recipe, v1)


def test_session_data_follow_the_configured_generator(v1_env, tmp_path):
    session = setup("00", "quick", output_dir=tmp_path / "out", store=_store(tmp_path))
    first = session.data()
    assert first.info["generator_version"] == "2"  # the default
    v1_env.setenv(GENERATOR_ENV, "1")
    assert session.data().info["generator_version"] == "1"
    v1_env.setenv(GENERATOR_ENV, "2")
    v2 = session.data()
    assert v2.info["generator_version"] == "2"
    np.testing.assert_array_equal(v2.test_responses, load_dataset("simulated", region=1, seed=0, generator="2").test_responses)
    assert session.recipe("cnn_fr").generator == "2"
    v1_env.delenv(GENERATOR_ENV)
    assert session.data() is first


def test_compare_with_real_shows_what_v1_misses(v1_env):
    table = compare_with_real(load_dataset("simulated", region=1, seed=0, generator="1"))
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()[2:]}
    assert "real region 1" in table and "generator v1" in table and len(rows) == len(STATISTICS) + 1  # + zeros
    assert rows["population gain (SD of the population-mean residual / independent)"].endswith("| **no** |")
    assert rows["leave-one-out oracle correlation (mean)"].endswith("| yes |")
    v2 = compare_with_real(load_dataset("simulated", region=1, seed=0, generator="2"))
    assert "generator v2" in v2
    assert "| mean pairwise noise correlation | 0.047 |" in v2 and v2.count("**no**") < table.count("**no**")

"""The model registry, recipes and the model store: a recipe is trained at most once, a changed recipe is
retrained, a corrupt cache entry is retrained, a tampered shipped file is an error."""
from __future__ import annotations

import json

import numpy as np
import pytest

from daenr_lite.config import TrainConfig
from daenr_lite.data import load_dataset
from daenr_lite.models import build_model, model_names, model_spec
from daenr_lite.training import evaluate, predict
from daenr_lite.zoo import ModelStore, Recipe, ZooIntegrityError, load_pretrained, pretrain
from daenr_lite.zoo.store import file_sha256

TINY = TrainConfig(max_epochs=1, batch_size=128)


@pytest.fixture(scope="module")
def data():
    return load_dataset("simulated", region=1, seed=0)


def _store(tmp_path, **kwargs):
    return ModelStore(tmp_path / "cache", zoo_dirs=[], progress=False, **kwargs)


# ------------------------------------------------------------------------------ registry
def test_registry_names_and_lookup():
    assert model_names("dae_nr") == ["dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4"]
    assert model_spec("DAE-NR_3").name == "dae_nr_3" and model_spec("dae-nr-3").layer == 3
    assert model_spec("cnn_fr").display == "CNN-FR"
    with pytest.raises(ValueError, match="unknown model name 'daenr5'.*dae_nr_1"):
        model_spec("daenr5")


def test_build_model_takes_registry_names(data):
    model = build_model("dae_nr_2", data)
    assert model.mapping_layer == 2
    with pytest.raises(ValueError, match="names mapping layer 2 but mapping_layer=3"):
        build_model("dae_nr_2", data, mapping_layer=3)
    with pytest.raises(ValueError, match="fit_probe"):
        build_model("dae_probe_1", data)


# ------------------------------------------------------------------------------ recipes
def test_recipe_key_covers_the_whole_recipe():
    base = Recipe("dae_nr_2", train_config=TINY)
    assert base.key() == Recipe("DAE-NR_2", train_config=TINY).key()
    changed = [base.replace(seed=1), base.replace(region=2), base.replace(data_seed=1),
               base.replace(train_config=TINY.replace(lr=1e-3)), base.replace(neurons=(0, 1, 2)), base.replace(n_train=500),
               base.replace(model_config=base.model_config.replace(readout_l1=0.1)), base.replace(model="dae_nr_3")]
    keys = {r.key() for r in changed}
    assert base.key() not in keys and len(keys) == len(changed)
    assert Recipe.from_dict(json.loads(json.dumps(base.to_dict()))) == base
    # the DAE never sees responses: a neuron subset does not make a new DAE
    assert Recipe("dae", neurons=(1, 2)).key() == Recipe("dae").key()
    # the training seed is the recipe's
    assert Recipe("dae", seed=3).train_config.seed == 3


def test_recipe_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown model name"):
        Recipe("resnet")
    with pytest.raises(ValueError, match="max_seconds"):
        Recipe("dae", train_config=TrainConfig(max_seconds=10))
    with pytest.raises(ValueError, match="region must be 1, 2 or 3"):
        Recipe("dae", region=4)


# ------------------------------------------------------------------------------ the store
def test_same_recipe_trains_once_across_stores(tmp_path, data):
    recipe = Recipe("dae_nr_2", train_config=TINY)
    first = _store(tmp_path)
    model = first.get(recipe, data)
    assert first.get(recipe, data) is model
    assert [item["source"] for item in first.log] == ["trained", "memory"]
    entry = first.entry(recipe)
    assert entry["sha256"] == file_sha256(tmp_path / "cache" / entry["file"])
    assert entry["metrics"]["test_corr"] == pytest.approx(evaluate(model, data)["test_corr"], abs=1e-6)

    second = _store(tmp_path)  # e.g. the next notebook, or after a kernel restart
    again = second.get(recipe, data)
    assert second.n_trained == 0 and second.log[0]["source"] == "cache"
    trained = [json.loads(line) for line in second.train_log_path.read_text().splitlines()]
    assert [t["key"] for t in trained] == [recipe.key()]  # the cache's run log: trained once
    np.testing.assert_array_equal(predict(again, data.test_images)["responses"], predict(model, data.test_images)["responses"])


def test_changed_recipe_retrains(tmp_path, data):
    store = _store(tmp_path)
    store.get(Recipe("dae", train_config=TINY), data)
    store.get(Recipe("dae", train_config=TINY.replace(lr=1e-3)), data)
    assert store.n_trained == 2


def test_corrupt_cache_entry_is_detected_and_retrained(tmp_path, data, capsys):
    recipe = Recipe("dae", train_config=TINY)
    _store(tmp_path).get(recipe, data)
    path = tmp_path / "cache" / f"{recipe.key()}.pt"
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    store = _store(tmp_path)
    store.get(recipe, data)
    assert store.n_trained == 1
    assert "will be retrained" in capsys.readouterr().out
    assert store.entry(recipe)["sha256"] == file_sha256(path)


def test_probe_reuses_its_dae_and_stores_only_the_readout(tmp_path, data):
    store = _store(tmp_path)
    probe = store.get(Recipe("dae_probe_3", train_config=TINY), data)
    assert [item["model"] for item in store.log if item["source"] == "trained"] == ["dae", "dae_probe_3"]
    store.get(Recipe("dae_probe_1", train_config=TINY), data)
    assert store.n_trained == 3  # the DAE was not trained again
    fresh = _store(tmp_path).get(Recipe("dae_probe_3", train_config=TINY), data)
    np.testing.assert_array_equal(predict(fresh, data.test_images)["responses"], predict(probe, data.test_images)["responses"])


def test_train_false_says_how_to_train(tmp_path):
    store = _store(tmp_path, train=False)
    with pytest.raises(LookupError, match=r"daenr-lite pretrain --dataset simulated --regions 2 --seeds 1"):
        store.get(Recipe("cnn_fr", region=2, data_seed=1, seed=1))


# ------------------------------------------------------------------------------ a zoo folder
@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    store = pretrain("simulated", regions=[1], seeds=[0], models=["dae", "cnn_fr", "dae_probe_2"], output=folder,
                     float16=True, train_config=TINY, progress=False)
    return folder, store


def test_pretrain_writes_a_manifest_and_is_resumable(tiny_zoo):
    folder, store = tiny_zoo
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(e["recipe"]["model"] for e in manifest["models"].values()) == ["cnn_fr", "dae", "dae_probe_2"]
    cnn = next(e for e in manifest["models"].values() if e["recipe"]["model"] == "cnn_fr")
    assert cnn["significance"]["n_neurons"] == 103 and cnn["float16"] is True and cnn["epochs"] == 1
    again = pretrain("simulated", regions=[1], seeds=[0], models=["dae", "cnn_fr", "dae_probe_2"], output=folder,
                     float16=True, train_config=TINY, progress=False)
    assert again.n_trained == 0


def test_pretrain_in_two_processes_trains_the_same_models(tiny_zoo, tmp_path):
    """jobs=2 (issue 14: both cores busy) trains chains in parallel processes with one thread each: the same
    checkpoints, byte for byte, as one process with the test's thread count; probes still reuse their DAE."""
    folder, _ = tiny_zoo
    store = pretrain("simulated", regions=[1], seeds=[0], models=["dae", "cnn_fr", "dae_probe_2"],
                     output=tmp_path / "parallel", float16=True, train_config=TINY, progress=False, jobs=2)
    assert store.n_trained == 3
    ours = json.loads((tmp_path / "parallel" / "manifest.json").read_text())["models"]
    theirs = json.loads((folder / "manifest.json").read_text())["models"]
    assert sorted(ours) == sorted(theirs)
    for key in ours:
        assert ours[key]["sha256"] == theirs[key]["sha256"], ours[key]["recipe"]["model"]
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        pretrain("simulated", regions=[1], seeds=[0], models=["dae"], output=tmp_path / "x", jobs=0)


def test_zoo_checkpoints_reproduce_their_manifest_metrics(tiny_zoo, data):
    folder, _ = tiny_zoo
    store = ModelStore(folder / "nothing-cached", zoo_dirs=[folder], train=False)
    for entry in json.loads((folder / "manifest.json").read_text())["models"].values():
        recipe = Recipe.from_dict(entry["recipe"])
        model = store.get(recipe)
        for name, value in evaluate(model, data).items():
            assert value == pytest.approx(entry["metrics"][name], abs=1e-6, nan_ok=True), name
        assert set(entry["metrics_float32"]) == set(entry["metrics"])  # what float16 rounding changed is on record
    assert {item["source"] for item in store.log} <= {"zoo", "memory"} and store.n_trained == 0


def test_entry_row_reads_the_float32_metrics_where_recorded(tiny_zoo):
    from daenr_lite.zoo.results import entry_row

    folder, _ = tiny_zoo
    entry = next(e for e in json.loads((folder / "manifest.json").read_text())["models"].values()
                 if e["recipe"]["model"] == "cnn_fr")
    assert entry_row(entry)["test_corr"] == entry["metrics"]["test_corr"]
    assert entry_row(entry, "metrics_float32")["test_corr"] == entry["metrics_float32"]["test_corr"]
    stored_as_float32 = {**entry, "metrics_float32": None}  # a float32 store records none: its metrics are those
    assert entry_row(stored_as_float32, "metrics_float32")["test_corr"] == entry["metrics"]["test_corr"]


def test_tampered_zoo_file_is_an_error_naming_file_and_command(tiny_zoo, tmp_path):
    import shutil

    folder = tmp_path / "zoo"
    shutil.copytree(tiny_zoo[0], folder)
    entry = next(e for e in json.loads((folder / "manifest.json").read_text())["models"].values()
                 if e["recipe"]["model"] == "cnn_fr")
    with open(folder / entry["file"], "ab") as handle:
        handle.write(b"\0")
    store = ModelStore(tmp_path / "cache", zoo_dirs=[folder])
    with pytest.raises(ZooIntegrityError, match=rf"{entry['file']}.*daenr-lite pretrain"):
        store.get(Recipe.from_dict(entry["recipe"]))
    assert store.n_trained == 0  # never silently replaced by a fresh model


def test_load_pretrained_lists_what_is_available(tiny_zoo, tmp_path):
    folder, _ = tiny_zoo
    store = ModelStore(tmp_path / "empty", zoo_dirs=[folder], train=False)
    with pytest.raises(LookupError, match=r"Available for simulated: none.*daenr-lite pretrain --dataset simulated --regions 3 --seeds 2"):
        load_pretrained("dae_nr_1", region=3, seed=2, store=store)


# ------------------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_pretrain_on_the_real_recordings_layout(tmp_path):
    from test_data_antolik2016 import SHARED, full_copy

    if not SHARED.exists():
        pytest.skip(f"needs the shared partial copy of the recordings at {SHARED}")
    data_root = full_copy(tmp_path, regions=(2,)).parent
    store = pretrain("antolik2016", regions=[2], seeds=[0], models=["cnn_fr"], output=tmp_path / "store",
                     data_dir=data_root, train_config=TINY, dataset_options={"verify": False}, progress=False)
    assert store.n_trained == 1
    (entry,) = json.loads((tmp_path / "store" / "manifest.json").read_text())["models"].values()
    assert entry["recipe"]["dataset"] == "antolik2016" and entry["significance"]["n_neurons"] == 55
    assert "ceiling" not in entry["metrics"] and np.isfinite(entry["metrics"]["test_corr"])


def test_pretrain_adds_table2_groups_in_region_3(tmp_path):
    store = pretrain("simulated", regions=[3], seeds=[0], models=["dae_nr_2"], output=tmp_path / "z",
                     train_config=TINY, progress=False)
    entries = list(json.loads((tmp_path / "z" / "manifest.json").read_text())["models"].values())
    groups = {e.get("group"): e for e in entries}
    full = groups[None]
    assert full["recipe"]["neurons"] is None
    yes, no = groups.get("YES"), groups.get("NO")
    present = [g for g in (yes, no) if g is not None]
    assert present, "at least one Table 2 group is trained"
    sizes = sum(len(g["recipe"]["neurons"]) for g in present)
    assert sizes == 102 or len(present) == 1
    for g in present:
        assert np.isfinite(g["extra_metrics"]["heldout_test_corr"]) and g["significance"]["n_neurons"] == len(g["recipe"]["neurons"])
    assert store.n_trained == 1 + len(present)


def test_n_train_trains_on_the_first_images_only(tmp_path, data):
    store = _store(tmp_path)
    subset = store.dataset_for(Recipe("dae_nr_1", n_train=300), data)
    assert subset.n_train == 300 and subset.n_test == data.n_test
    np.testing.assert_array_equal(subset.train_images, data.train_images[:300])
    with pytest.raises(ValueError, match="n_train must be None"):
        Recipe("dae", n_train=3)

"""The model store's files (issue 23, defects 2-5): stored metrics are verified, a damaged manifest or entry file
is one clear line, a cache that cannot be written is found before training (and a failed write after training
keeps the model), and ``trained.jsonl`` is never appended through a symlink."""
from __future__ import annotations

import errno
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from daenr_lite.config import TrainConfig
from daenr_lite.data import load_dataset
from daenr_lite.zoo import ModelStore, Recipe, ZooIntegrityError, load_pretrained
from daenr_lite.zoo import store as store_module
from daenr_lite.zoo.store import (MODEL_CACHE_ENV, SHIPPED_ZOO_DIR, CacheNotWritable, StoreWarning, read_entries,
                                  record_sha256)

REPO = Path(__file__).resolve().parents[1]
TINY = TrainConfig(max_epochs=1, batch_size=128)
SMALL = dict(n_neurons=6, n_train=40, n_test=5, n_repeats=2)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_dataset("simulated", region=1, seed=0, data_dir=tmp_path_factory.mktemp("data"), **SMALL)


def _store(folder: Path, **kwargs) -> ModelStore:
    return ModelStore(folder, zoo_dirs=kwargs.pop("zoo_dirs", []), progress=False, **kwargs)


@pytest.fixture()
def trained(tmp_path, data):
    """A cache folder holding one trained CNN-FR entry (sidecar .json), and its recipe."""
    recipe = Recipe("cnn_fr", train_config=TINY)
    _store(tmp_path / "cache").get(recipe, data)
    return tmp_path / "cache", recipe


@pytest.fixture()
def count_fits(monkeypatch):
    import daenr_lite.training as training

    calls = []
    real = training.fit
    monkeypatch.setattr(training, "fit", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def _edit(path: Path, change) -> None:
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value, indent=1))


def _shipped_copy(tmp_path: Path, monkeypatch, keys: list[str]) -> Path:
    """A copy of the shipped zoo (only ``keys``' files) that the store treats as the shipped zoo."""
    zoo = tmp_path / "shipped"
    zoo.mkdir()
    manifest = json.loads((SHIPPED_ZOO_DIR / "manifest.json").read_text())
    for key in keys:
        shutil.copy(SHIPPED_ZOO_DIR / manifest["models"][key]["file"], zoo)
    manifest["models"] = {key: manifest["models"][key] for key in keys}
    (zoo / "manifest.json").write_text(json.dumps(manifest, indent=1))
    monkeypatch.setattr(store_module, "SHIPPED_ZOO_DIR", zoo)
    return zoo


def _error_lines(err: str) -> list[str]:
    """stderr of the CLI without its progress-bar lines."""
    return [line for line in err.splitlines() if line.strip() and not line.startswith("pretrain ")]


def _shipped_key(model: str, region: int = 1, seed: int = 0) -> str:
    return Recipe(model, region=region, data_seed=seed, seed=seed).key()


# ------------------------------------------------------------------------------- 2. stored metrics verified
def test_every_entry_is_written_with_a_hash_of_its_record(trained):
    folder, recipe = trained
    entry = json.loads((folder / f"{recipe.key()}.json").read_text())
    assert entry["record_sha256"] == record_sha256(entry)
    annotated = _store(folder).annotate(recipe, group="YES")
    assert annotated["record_sha256"] == record_sha256(json.loads((folder / f"{recipe.key()}.json").read_text()))
    manifest = json.loads(_store(folder).write_manifest().read_text())
    assert manifest["models"][recipe.key()]["record_sha256"] == annotated["record_sha256"]


def test_an_edited_metric_in_a_cache_entry_is_not_shown_and_is_retrained(trained, data):
    folder, recipe = trained
    sidecar = folder / f"{recipe.key()}.json"
    _edit(sidecar, lambda e: e["metrics"].update(test_corr=0.99))
    store = _store(folder)
    with pytest.warns(StoreWarning, match=rf"{re.escape(sidecar.name)}.*changed after it was written.*treated as absent.*retrained"):
        assert store.entry(recipe) is None
    with pytest.warns(StoreWarning):
        store.get(recipe, data)
    assert store.n_trained == 1
    entry = store.entry(recipe)
    assert entry["metrics"]["test_corr"] != 0.99 and entry["record_sha256"] == record_sha256(entry)


def test_a_cache_entry_without_a_record_hash_is_not_trusted(trained):
    folder, recipe = trained
    _edit(folder / f"{recipe.key()}.json", lambda e: e.pop("record_sha256"))
    with pytest.warns(StoreWarning, match=r"has no record_sha256.*treated as absent"):
        assert _store(folder).entry(recipe) is None


def test_the_shipped_manifest_has_a_valid_record_hash_for_every_entry():
    entries = read_entries(SHIPPED_ZOO_DIR)  # raises if any entry does not verify
    assert len(entries) > 100 and all(e["record_sha256"] == record_sha256(e) for e in entries.values())


def test_an_edited_metric_in_the_shipped_manifest_says_reinstall(tmp_path, monkeypatch):
    """Issue 23's reproduction: psnr of dae_nr_2 r1 s0 set to 35.0 in the shipped manifest was shown by rows()."""
    from daenr_lite.session import setup

    key = _shipped_key("dae_nr_2")
    zoo = _shipped_copy(tmp_path, monkeypatch, [key])
    _edit(zoo / "manifest.json", lambda m: m["models"][key]["metrics"].update(psnr=35.0))
    session = setup("05", "pretrained", output_dir=tmp_path / "out",
                    store=ModelStore(tmp_path / "cache", train=False, progress=False))
    with pytest.raises(ZooIntegrityError, match=rf"shipped zoo.*{key}.*changed after it was written.*reinstall daenr-lite"):
        session.rows(["dae_nr_2"])


def test_sealing_refuses_a_zoo_whose_checkpoint_does_not_match(tmp_path, monkeypatch):
    key = _shipped_key("dae")
    zoo = _shipped_copy(tmp_path, monkeypatch, [key])
    _edit(zoo / "manifest.json", lambda m: m["models"][key].pop("record_sha256"))
    assert store_module.seal_manifest(zoo) == 1
    assert read_entries(zoo)[key]["record_sha256"]
    with open(zoo / f"{key}.pt", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ZooIntegrityError, match=rf"{key}\.pt.*sha256"):
        store_module.seal_manifest(zoo)


# ------------------------------------------------------------------------------- 3. damaged store files
def test_a_damaged_manifest_in_a_cache_names_the_file_and_says_move_it(tmp_path, monkeypatch, count_fits):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "manifest.json").write_text("{x")
    monkeypatch.setenv(MODEL_CACHE_ENV, str(cache))
    with pytest.raises(ZooIntegrityError) as info:
        load_pretrained("cnn_fr", dataset="antolik2016")
    message = str(info.value)
    assert str(cache / "manifest.json") in message and "move it away or delete it" in message
    assert "rebuild" not in message.lower() and "zoo/shipped" not in message and "\n" not in message
    with pytest.raises(ZooIntegrityError, match="move it away or delete it"):
        _store(cache).get(Recipe("dae", train_config=TINY))
    assert count_fits == []


def test_pretrain_output_with_a_damaged_manifest_is_one_line_and_exit_2(tmp_path, capsys, count_fits):
    from daenr_lite import cli

    out = tmp_path / "f"
    out.mkdir()
    (out / "manifest.json").write_text("{x")
    assert cli.main(["pretrain", "--output", str(out), "--regions", "1", "--seeds", "0", "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert len(_error_lines(err)) == 1 and "Traceback" not in err
    assert _error_lines(err)[0].startswith(f"error: {out / 'manifest.json'} ") and "move it away or delete it" in err
    assert (out / "manifest.json").read_text() == "{x" and count_fits == []  # nothing of the user's overwritten


@pytest.mark.parametrize("text", ["{x", "[1, 2]", '{"models": [1]}', '{"models": {"k": 3}}'])
def test_a_damaged_shipped_manifest_says_reinstall(tmp_path, monkeypatch, text):
    zoo = _shipped_copy(tmp_path, monkeypatch, [_shipped_key("dae")])
    (zoo / "manifest.json").write_text(text)
    with pytest.raises(ZooIntegrityError, match=r"shipped zoo.*manifest\.json.*reinstall daenr-lite") as info:
        load_pretrained("dae")
    assert "\n" not in str(info.value)


def test_a_corrupt_sidecar_is_a_warning_and_is_retrained(trained, data):
    folder, recipe = trained
    sidecar = folder / f"{recipe.key()}.json"
    sidecar.write_text('{"key": ')
    store = _store(folder)
    with pytest.warns(StoreWarning, match=rf"{re.escape(str(sidecar))}.*damaged.*treated as absent.*retrained"):
        store.get(recipe, data)
    assert store.n_trained == 1 and store.entry(recipe)["record_sha256"]


# ------------------------------------------------------------------------------- 4. unwritable cache
def test_a_read_only_cache_is_found_before_training(tmp_path, data, monkeypatch, count_fits):
    cache = tmp_path / "cache"
    cache.mkdir()
    real = tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == cache:
            raise OSError(errno.EROFS, "Read-only file system", str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(CacheNotWritable, match=rf"cannot write in the model cache {re.escape(str(cache))} \(Read-only file system\).*nothing was trained"):
        _store(cache).get(Recipe("dae", train_config=TINY), data)
    assert count_fits == []


def test_a_full_disk_is_found_before_training(tmp_path, data, monkeypatch, count_fits):
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=3 * 2**20))
    with pytest.raises(CacheNotWritable, match=r"only 3\.0 MB free in .*cache.*free space or choose another folder"):
        _store(tmp_path / "cache").get(Recipe("dae", train_config=TINY), data)
    assert count_fits == []


def test_a_cache_variable_that_names_a_file_is_one_line(tmp_path, monkeypatch, capsys, count_fits):
    from daenr_lite import cli

    target = tmp_path / "a-file"
    target.write_text("mine")
    monkeypatch.setenv(MODEL_CACHE_ENV, str(target))
    assert cli.main(["pretrain", "--regions", "1", "--seeds", "0", "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert len(_error_lines(err)) == 1 and f"{target} (set by ${MODEL_CACHE_ENV}) is a file, not a folder" in err
    assert target.read_text() == "mine" and count_fits == []


def test_a_train_log_that_is_a_folder_is_found_before_training(tmp_path, data, count_fits):
    cache = tmp_path / "cache"
    (cache / "trained.jsonl").mkdir(parents=True)
    with pytest.raises(CacheNotWritable, match=r"trained\.jsonl is not a regular file.*nothing was trained"):
        _store(cache).get(Recipe("dae", train_config=TINY), data)
    assert count_fits == []


def test_a_write_that_fails_after_training_keeps_the_model_and_says_where(tmp_path, data, monkeypatch):
    from daenr_lite.training import evaluate

    cache = tmp_path / "cache"
    recipe = Recipe("dae", train_config=TINY)

    def disk_full(path, blob):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(store_module, "atomic_write_bytes", disk_full)
    store = _store(cache)
    with pytest.warns(StoreWarning, match=rf"could not write .*{recipe.key()}\.pt.*No space left on device.*kept in memory"):
        model = store.get(recipe, data)
    assert store.n_trained == 1 and store.get(recipe) is model
    entry = store.entry(recipe)  # the session's tables still have its metrics
    assert entry["metrics"]["mse"] == pytest.approx(evaluate(model, data)["mse"])
    assert store.annotate(recipe, group="YES")["group"] == "YES" == store.entry(recipe)["group"]  # Table 2's label
    assert not list(cache.glob("*.pt")) and not list(cache.glob("*.json"))


def test_a_train_log_that_fails_after_training_is_a_warning_and_the_model_is_stored(tmp_path, data, monkeypatch):
    cache = tmp_path / "cache"
    recipe = Recipe("dae", train_config=TINY)
    store = _store(cache)
    (cache / "trained.jsonl").mkdir(parents=True)
    # the folder appears after the check (e.g. made by another process meanwhile)
    monkeypatch.setattr(store_module.ModelStore, "check_writable", lambda self: None)
    with pytest.warns(StoreWarning, match=r"could not append to .*trained\.jsonl.*the model is stored"):
        store.get(recipe, data)
    assert _store(cache).entry(recipe) is not None


# ------------------------------------------------------------------------------- 5. no symlinked train log
def test_the_train_log_is_never_appended_through_a_symlink(tmp_path, data, count_fits):
    cache = tmp_path / "cache"
    cache.mkdir()
    victim = tmp_path / "someone-elses-file"
    victim.write_text("theirs\n")
    (cache / "trained.jsonl").symlink_to(victim)
    store = _store(cache)
    with pytest.raises(CacheNotWritable, match=r"trained\.jsonl is a symbolic link.*remove it"):
        store.get(Recipe("dae", train_config=TINY), data)
    assert count_fits == []
    with pytest.warns(StoreWarning, match=r"trained\.jsonl.*symbolic link"):  # a link made after the check
        store._append_train_log(Recipe("dae", train_config=TINY), 1.0)
    assert victim.read_text() == "theirs\n"


def test_seal_script_runs(tmp_path, monkeypatch):
    key = _shipped_key("dae")
    zoo = _shipped_copy(tmp_path, monkeypatch, [key])
    _edit(zoo / "manifest.json", lambda m: m["models"][key].pop("record_sha256"))
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "seal_manifest.py"), str(zoo)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 entr" in done.stdout

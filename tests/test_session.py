"""One-call notebook setup: the mode decides the recipes, models come from the store, pretrained mode never trains."""
from __future__ import annotations

import pytest

from daenr_lite.session import setup
from daenr_lite.zoo import ModelStore


def test_quick_session_trains_once_and_a_new_kernel_reuses_it(tmp_path, capsys):
    store = ModelStore(tmp_path / "cache", zoo_dirs=[], progress=False)
    session = setup("03", "quick", 0, "cpu", "simulated", 1, tmp_path / "out", store=store)
    assert "mode 'quick'" in capsys.readouterr().out
    recipe = session.recipe("dae_nr_2")
    assert recipe.n_train == 1500 and recipe.train_config.max_epochs == 4 and session.seeds == (0,)
    rows = session.rows(["dae", "dae_nr_2"])
    assert [r["model"] for r in rows] == ["dae", "dae_nr_2"] and store.n_trained == 2
    # a restarted kernel: a new session and store on the same cache trains nothing
    again = setup("04", "quick", 0, "cpu", "simulated", 1, tmp_path / "out",
                  store=ModelStore(tmp_path / "cache", zoo_dirs=[], progress=False))
    again.model("dae_nr_2")
    assert again.store.n_trained == 0


def test_pretrained_session_uses_the_default_recipes_and_never_trains(tmp_path, monkeypatch):
    monkeypatch.setenv("DAENR_MODE", "pretrained")
    empty = ModelStore(tmp_path / "cache", zoo_dirs=[], progress=False)
    session = setup("03", None, 1, "cpu", "simulated", 2, tmp_path / "out", store=empty)
    assert session.mode == "pretrained" and session.seeds == (0, 1, 2, 3, 4)
    recipe = session.recipe("cnn_fr")
    assert recipe.n_train is None and recipe.train_config.max_epochs == 40 and recipe.seed == recipe.data_seed == 1
    with pytest.raises(LookupError, match=r"not in the pretrained zoo.*daenr-lite pretrain --dataset simulated "
                                          r"--regions 2 --seeds 1.*MODE = 'full'"):
        session.model("cnn_fr")
    assert empty.n_trained == 0


def test_bad_mode_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown mode 'fast'; choose one of pretrained, quick, full"):
        setup("00", "fast", output_dir=tmp_path)

"""Faults a new user (or a crafted file) can cause, each reproduced first (issue 12)."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from daenr_lite.config import ModelConfig, TrainConfig
from daenr_lite.data import NeuralDataset
from daenr_lite.models import build_model
from daenr_lite.training import TrainingDiverged, fit, load_model, predict, save_model
from daenr_lite.training.checkpoint import CheckpointError, _digest

TINY = ModelConfig(
    encoder_channels=(4, 8, 8, 4), encoder_kernels=(3, 3, 3, 3), core_channels=(4, 4, 4, 4), core_kernels=(5, 3, 3, 3)
)


def small_dataset(n_train=64, n_test=12, n_neurons=3, size=12, repeats=3, seed=0) -> NeuralDataset:
    rng = np.random.default_rng(seed)
    train_x, test_x = rng.uniform(0, 1, (n_train, size, size)), rng.uniform(0, 1, (n_test, size, size))
    w = rng.standard_normal((size * size, n_neurons))
    rate = lambda x: np.exp(0.1 * x.reshape(len(x), -1) @ w / size)  # noqa: E731
    train_y = rng.poisson(rate(train_x)).astype(np.float32)
    test_y = rng.poisson(np.broadcast_to(rate(test_x), (repeats, n_test, n_neurons))).astype(np.float32)
    return NeuralDataset.from_arrays(train_x, train_y, test_x, test_y)


@pytest.fixture(scope="module")
def data():
    return small_dataset()


# ------------------------------------------------------------------------------- 1. checkpoint security
def _save_payload(path: Path, payload: dict) -> Path:
    torch.save(payload, path)
    return path


def test_crafted_checkpoint_naming_a_function_is_refused_without_running_it(tmp_path, data, monkeypatch):
    import daenr_lite.runner as runner

    calls = []
    monkeypatch.setattr(runner, "run_notebooks", lambda **kw: calls.append(kw))
    payload = {
        "format": "daenr-lite-model", "format_version": 2, "module": "daenr_lite.runner", "class": "run_notebooks",
        "init_kwargs": {"only": ["00"], "output_dir": str(tmp_path / "pwned")}, "state_dict": {}, "metadata": {},
    }
    payload["sha256"] = _digest(payload)  # a forger can recompute the checksum: the registry must stop it
    for version in (2, 1):
        payload["format_version"] = version
        with pytest.raises(CheckpointError, match="not a daenr-lite model class"):
            load_model(_save_payload(tmp_path / f"evil{version}.pt", payload))
    assert calls == [] and not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("module, cls", [
    ("daenr_lite.models.encoder", "Encoder"),  # a daenr-lite nn.Module, but not a model class
    ("daenr_lite.data.simulated", "load_simulated"),
    ("torch.nn", "Linear"),
])
def test_only_registered_model_classes_are_built(tmp_path, data, module, cls):
    model = build_model("cnn_fr", data, config=TINY)
    path = save_model(model, tmp_path / "ok.pt")
    payload = torch.load(path, weights_only=True)
    payload.update(module=module, **{"class": cls})
    with pytest.raises(CheckpointError, match="not a daenr-lite model class"):
        load_model(_save_payload(tmp_path / "crafted.pt", payload))


def test_edited_weights_fail_the_sha256_check(tmp_path, data):
    model = build_model("cnn_fr", data, config=TINY)
    path = save_model(model, tmp_path / "m.pt", metadata={"note": "x"})
    payload = torch.load(path, weights_only=True)
    assert len(payload["sha256"]) == 64
    load_model(path)  # untouched: loads
    name = next(k for k, v in payload["state_dict"].items() if v.is_floating_point() and v.numel() > 1)
    payload["state_dict"][name] = payload["state_dict"][name] + 1e-3
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_model(_save_payload(tmp_path / "edited.pt", payload))
    payload = torch.load(path, weights_only=True)
    payload["metadata"]["note"] = "y"
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_model(_save_payload(tmp_path / "edited_meta.pt", payload))


def test_truncated_checkpoint_is_a_clear_error(tmp_path, data):
    path = save_model(build_model("dae", data, config=TINY), tmp_path / "m.pt")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="not a readable daenr-lite checkpoint"):
        load_model(path)


# ------------------------------------------------------------------------------- 2. checkpoint data loss
@pytest.mark.parametrize("bad, key", [
    ({"best": np.float64(0.5)}, "best"),
    ({"where": Path("/tmp/x")}, "where"),
    ({"nested": {"arr": [1, np.int64(2)]}}, "arr"),
])
def test_unloadable_metadata_is_rejected_before_writing(tmp_path, data, bad, key):
    model = build_model("cnn_fr", data, config=TINY)
    path = save_model(model, tmp_path / "m.pt", metadata={"v": 1})
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match=key):
        save_model(model, path, metadata=bad)
    assert path.read_bytes() == before  # the good checkpoint is untouched
    assert load_model(path).checkpoint_metadata == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary file left


def test_a_save_that_fails_while_writing_keeps_the_old_checkpoint(tmp_path, data, monkeypatch):
    model = build_model("cnn_fr", data, config=TINY)
    path = save_model(model, tmp_path / "m.pt")
    before = path.read_bytes()

    def broken_fsync(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        save_model(model, path, metadata={"epoch": 3})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]
    load_model(path)


def test_history_metadata_round_trips(tmp_path, data):
    model = build_model("dae_nr", data, mapping_layer=2, config=TINY)
    history = fit(model, data, TrainConfig(max_epochs=1, batch_size=32), progress=False, device="cpu")
    path = save_model(model, tmp_path / "m.pt", metadata=history.to_dict())
    loaded = load_model(path)
    assert loaded.checkpoint_metadata["best_epoch"] == history.best_epoch and loaded.mapping_layer == 2
    np.testing.assert_array_equal(predict(model, data.test_images)["responses"],
                                  predict(loaded, data.test_images)["responses"])


# ------------------------------------------------------------------------------- 3. silent divergence
def test_runaway_loss_raises_training_diverged(data):
    torch.manual_seed(0)
    model = build_model("cnn_fr", data, config=TINY)
    with pytest.raises(TrainingDiverged, match=r"diverged in epoch \d+: the (training|validation) loss grew to .* "
                       r"far beyond its starting value .*Try a lower learning rate"):
        fit(model, data, TrainConfig(lr=1e3, max_epochs=10, batch_size=16), progress=False, device="cpu")


def test_divergence_check_can_be_switched_off_and_spares_normal_training(data):
    torch.manual_seed(0)
    history = fit(build_model("cnn_fr", data, config=TINY), data,
                  TrainConfig(lr=1e3, max_epochs=3, batch_size=16, divergence_factor=None), progress=False, device="cpu")
    assert history.n_epochs == 3 and min(history.val_loss) > 1e6  # the old behaviour: runaway loss, no error
    torch.manual_seed(0)
    history = fit(build_model("cnn_fr", data, config=TINY), data, TrainConfig(max_epochs=3, batch_size=16),
                  progress=False, device="cpu")
    assert history.n_epochs == 3
    with pytest.raises(ValueError, match="divergence_factor"):
        TrainConfig(divergence_factor=0)


# ------------------------------------------------------------------------------- 4. stale results
def _notebook_folder(tmp_path: Path, names=("00_first", "01_second")) -> Path:
    import nbformat

    folder = tmp_path / "nbs"
    folder.mkdir(exist_ok=True)
    for name in names:
        nbformat.write(nbformat.v4.new_notebook(), str(folder / f"{name}.ipynb"))
    return folder


def _fake_papermill(monkeypatch, behaviour):
    """Replace papermill.execute_notebook: ``behaviour[stem]`` is 'ok', 'fail', 'interrupt' or 'corrupt'."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    def execute(source, executed, parameters, **_kw):
        stem = Path(source).stem
        out = Path(parameters["OUTPUT_DIR"])
        action = behaviour[stem]
        if action == "interrupt":
            raise KeyboardInterrupt
        Path(executed).write_text(Path(source).read_text())
        if action == "ok":
            (out / f"metrics_{stem[:2]}.json").write_text(json.dumps({"run": behaviour["run"]}))
        elif action == "corrupt":
            (out / f"metrics_{stem[:2]}.json").write_text('{"run": ')
        else:
            raise PapermillExecutionError(2, 1, "ZeroDivisionError", "division by zero", [], "1 / 0")

    monkeypatch.setattr(papermill, "execute_notebook", execute)


def test_a_failed_rerun_never_reports_the_old_runs_metrics(tmp_path, monkeypatch):
    from daenr_lite.runner import run_notebooks

    folder, out = _notebook_folder(tmp_path), tmp_path / "run"
    _fake_papermill(monkeypatch, {"run": "old", "00_first": "ok", "01_second": "ok"})
    assert run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False).ok
    _fake_papermill(monkeypatch, {"run": "new", "00_first": "fail", "01_second": "ok"})
    series = run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is False and summary["notebooks"][0]["status"] == "failed"
    assert summary["notebooks"][0]["metrics"] == {} and series.notebooks[0].metrics == {}
    assert not (out / "metrics_00.json").exists() and (out / "00_first.ipynb").exists()
    assert [n["name"] for n in summary["notebooks"]] == ["00_first"]  # 01 did not run: not reported

def test_an_interrupted_rerun_leaves_a_summary_that_is_not_ok(tmp_path, monkeypatch):
    from daenr_lite.runner import run_notebooks

    folder, out = _notebook_folder(tmp_path), tmp_path / "run"
    _fake_papermill(monkeypatch, {"run": "old", "00_first": "ok", "01_second": "ok"})
    run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False)
    _fake_papermill(monkeypatch, {"run": "new", "00_first": "ok", "01_second": "interrupt"})
    with pytest.raises(KeyboardInterrupt):
        run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is False and summary["finished"] is False
    assert [n["metrics"] for n in summary["notebooks"]] == [{"run": "new"}]
    assert not (out / "metrics_01.json").exists() and not (out / "01_second.ipynb").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_corrupt_metrics_file_fails_its_notebook_naming_the_file(tmp_path, monkeypatch):
    from daenr_lite.notebook_utils import load_metrics, record_metrics
    from daenr_lite.runner import run_notebooks

    folder, out = _notebook_folder(tmp_path), tmp_path / "run"
    _fake_papermill(monkeypatch, {"run": "x", "00_first": "corrupt", "01_second": "ok"})
    series = run_notebooks(notebooks_dir=folder, output_dir=out, html=False, progress=False, stop_on_error=False)
    assert [r.status for r in series.notebooks] == ["failed", "ok"]
    assert "metrics_00.json is corrupt" in series.failure.describe()
    with pytest.raises(ValueError, match="metrics_00.json is corrupt"):
        load_metrics(out)
    with pytest.raises(ValueError, match="metrics_00.json is corrupt"):
        record_metrics(out, "00", a=1)


# ------------------------------------------------------------------------------- 5. one line, not a traceback
def test_output_that_is_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    from daenr_lite import cli

    folder = _notebook_folder(tmp_path)
    not_a_folder = tmp_path / "out.txt"
    not_a_folder.write_text("x")
    for output in (not_a_folder, not_a_folder / "sub"):
        assert cli.main(["run-notebooks", "--notebooks", str(folder), "--output", str(output), "--no-html"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "is a file" in err and "--output" in err
        assert len(err.strip().splitlines()) == 1
    assert not_a_folder.read_text() == "x"


def test_download_url_option_and_mirror_variable_reach_the_downloader(tmp_path, monkeypatch, capsys):
    from daenr_lite import download as data_download
    from daenr_lite.download.antolik2016 import DEFAULT_URL, default_url

    from daenr_lite import cli

    seen = []
    monkeypatch.setattr(data_download, "download_antolik2016", lambda dest=None, force=False, archive=None, url=None:
                        seen.append(url) or tmp_path)
    assert cli.main(["download", "antolik2016", "--url", "http://mirror.example/s1.zip"]) == 0
    assert seen == ["http://mirror.example/s1.zip"]
    with pytest.raises(SystemExit):  # --url and --archive exclude each other
        cli.main(["download", "antolik2016", "--url", "u", "--archive", "a.zip"])
    capsys.readouterr()
    monkeypatch.delenv("DAENR_DOWNLOAD_URL", raising=False)
    assert default_url() == DEFAULT_URL
    monkeypatch.setenv("DAENR_DOWNLOAD_URL", "http://mirror.example/s1.zip")
    assert default_url() == "http://mirror.example/s1.zip"


# ------------------------------------------------------------------------------- 6. undefined correlations
def test_compare_with_responses_that_never_vary_is_a_clear_error():
    from daenr_lite.similarity import compare

    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 5))
    for measure in ("cka", "rsa", "predictivity"):
        with pytest.raises(ValueError, match=r"trial-averaged responses \(responses\) never vary across the 20"):
            compare(x, np.ones((4, 20, 3)), measure, n_permutations=20)
        with pytest.raises(ValueError, match=r"model representation \(X\) never vary"):
            compare(np.zeros((20, 5)), rng.poisson(2.0, (4, 20, 3)), measure, n_permutations=20)


def test_evaluate_counts_neurons_whose_correlation_is_undefined(data):
    from daenr_lite.metrics import per_neuron_corr
    from daenr_lite.training import evaluate

    test = data.test_responses.copy()
    test[:, :, 1] = 2.0  # neuron 1 never varies on the test set
    flat = NeuralDataset.from_arrays(data.train_images, data.train_responses, data.test_images, test)
    model = build_model("cnn_fr", flat, config=TINY)
    fit(model, flat, TrainConfig(max_epochs=2, batch_size=16), progress=False, device="cpu")
    pred = predict(model, flat.test_images)["responses"]
    r = per_neuron_corr(pred, test.mean(axis=0))
    assert np.isnan(r[1]) and np.isfinite(r[[0, 2]]).all()
    scores = evaluate(model, flat)
    assert scores["n_undefined_corr"] == 1
    assert scores["test_corr"] == pytest.approx(float(np.mean(r[[0, 2]])))  # not diluted by a fake r = 0
    with torch.no_grad():  # a dead readout predicts the same rate for every image: nothing is defined
        for p in model.readout.parameters():
            if p.dim() > 1:
                p.zero_()
    scores = evaluate(model, flat)
    assert scores["n_undefined_corr"] == flat.n_neurons and np.isnan(scores["test_corr"])


# ------------------------------------------------------------------------------- 8. tiny images, pixel range
def test_images_smaller_than_the_ssim_window_are_evaluated(tmp_path):
    from daenr_lite.training import evaluate

    tiny = small_dataset(n_train=32, n_test=6, size=4)  # from_arrays accepts >= 4x4
    model = build_model("dae", tiny, config=TINY)
    fit(model, tiny, TrainConfig(max_epochs=1, batch_size=16), progress=False, device="cpu")
    scores = evaluate(model, tiny)  # used to fail here, after training, on SSIM's 7x7 window
    assert -1 <= scores["ssim"] <= 1 and np.isfinite(scores["psnr"])


def test_pixel_range_message_shows_the_offending_minimum_and_maximum():
    from daenr_lite.data import DatasetError

    d = small_dataset(n_train=8, n_test=4)
    images = np.linspace(0.000108, 1.00001, 8 * 144).reshape(8, 12, 12)
    with pytest.raises(DatasetError, match=r"outside the expected \[0, 1\]: minimum 0\.000108\d*, maximum 1\.00001\d*"):
        NeuralDataset.from_arrays(images, d.train_responses, d.test_images, d.test_responses)


# ------------------------------------------------------------------------------- 9. smaller items
def test_cnn_fr_kernel_error_names_the_core_settings():
    from daenr_lite.models import CNNFR, Encoder

    with pytest.raises(ValueError, match=r"too small for the core layers \(ModelConfig core_kernels=\(13, 3, 3, 3\), "
                       r"core_padding='valid'\).*core_padding='same'") as info:
        CNNFR((12, 12), 3)
    assert "encoder" not in str(info.value)
    with pytest.raises(ValueError, match=r"too small for the encoder layers \(ModelConfig encoder_kernels="):
        Encoder((3, 3), kernels=(5, 5, 5, 5), padding="valid")


SIM_SMALL = dict(n_neurons=6, n_train=20, n_test=5, n_repeats=2)


def test_simulated_cache_with_edited_arrays_is_regenerated(tmp_path):
    from daenr_lite.data import load_dataset

    good = load_dataset("simulated", region=1, data_dir=tmp_path, **SIM_SMALL)
    path = Path(good.info["cache_file"])
    with np.load(path) as z:
        arrays = {name: z[name] for name in z.files}
    arrays["train_responses"] = arrays["train_responses"] * 2  # structurally valid, same cache key
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.warns(UserWarning, match="content hash mismatch.*regenerating"):
        again = load_dataset("simulated", region=1, data_dir=tmp_path, **SIM_SMALL)
    np.testing.assert_array_equal(good.train_responses, again.train_responses)
    del arrays["content_sha256"]  # a file without the hash is not trusted either
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.warns(UserWarning, match="regenerating"):
        load_dataset("simulated", region=1, data_dir=tmp_path, **SIM_SMALL)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664)])
def test_cache_and_checkpoint_files_follow_the_umask(tmp_path, data, umask, mode):
    from daenr_lite.data import load_dataset

    old = os.umask(umask)
    try:
        cached = Path(load_dataset("simulated", region=2, data_dir=tmp_path, **SIM_SMALL).info["cache_file"])
        checkpoint = save_model(build_model("dae", data, config=TINY), tmp_path / "m.pt")
    finally:
        os.umask(old)
    assert stat.S_IMODE(cached.stat().st_mode) == mode  # was 0o600: unreadable for the course's group
    assert stat.S_IMODE(checkpoint.stat().st_mode) == mode


def test_ctrl_c_during_run_notebooks_is_one_line_and_exit_130(tmp_path, monkeypatch, capsys):
    from daenr_lite import cli

    folder = _notebook_folder(tmp_path)
    _fake_papermill(monkeypatch, {"run": "x", "00_first": "interrupt", "01_second": "ok"})
    assert cli.main(["run-notebooks", "--notebooks", str(folder), "--output", str(tmp_path / "run"), "--no-html"]) == 130
    err = capsys.readouterr().err
    assert err.startswith("error: interrupted") and len(err.strip().splitlines()) == 1
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["ok"] is False


# ------------------------------------------------------------------------------- issue 23: bad arguments
def test_mapping_layer_zero_is_refused_not_read_as_layer_1(data):
    with pytest.raises(ValueError, match=r"mapping_layer must be 1, 2, 3 or 4 .*; got 0\."):
        build_model("dae_nr", data, mapping_layer=0, config=TINY)
    with pytest.raises(ValueError, match=r"mapping_layer must be 1, 2, 3 or 4 .*; got 1\.5"):
        build_model("dae_nr", data, mapping_layer=1.5, config=TINY)
    assert build_model("dae_nr", data, config=TINY).mapping_layer == 1  # None still means layer 1


@pytest.mark.parametrize("seed", [0.5, True, "0"])
def test_load_pretrained_refuses_a_seed_that_is_not_a_whole_number(seed):
    from daenr_lite.zoo import load_pretrained

    with pytest.raises(ValueError, match=rf"seed must be a whole number >= 0; got {seed!r}"):
        load_pretrained("cnn_fr", seed=seed)


def test_load_pretrained_with_a_negative_seed_does_not_advise_an_impossible_command():
    from daenr_lite.zoo import Recipe, load_pretrained

    with pytest.raises(ValueError, match=r"seed must be a whole number >= 0; got -1") as info:
        load_pretrained("cnn_fr", seed=-1)
    assert "pretrain" not in str(info.value)
    with pytest.raises(ValueError, match=r"data_seed must be a whole number >= 0; got -2"):
        Recipe("cnn_fr", data_seed=-2)
    assert Recipe("cnn_fr", seed=np.int64(2)).seed == 2


@pytest.mark.parametrize("option, value", [("max_epochs", 1.5), ("batch_size", "64"), ("patience", 2.5),
                                           ("lr", float("nan")), ("lr", float("inf")), ("lam", "0.1"),
                                           ("max_seconds", -1.0), ("seed", 0.5), ("normalize_inputs", "no"),
                                           ("max_epochs", True)])
def test_fit_names_a_bad_numeric_option_in_one_line(data, option, value):
    model = build_model("dae", data, config=TINY)
    with pytest.raises(ValueError, match=rf"invalid TrainConfig value\(s\): {option}=") as info:
        fit(model, data, progress=False, **{option: value})
    assert "\n" not in str(info.value)


def test_whole_float_options_become_ints():
    cfg = TrainConfig(max_epochs=3.0, batch_size=np.int64(16))
    assert type(cfg.max_epochs) is int and type(cfg.batch_size) is int and cfg.to_dict()["max_epochs"] == 3


def test_predict_warns_for_8_bit_and_out_of_range_images(data):
    model = build_model("dae", data, config=TINY)
    images = (np.asarray(data.test_images[:2]) * 255).astype(np.uint8)
    with pytest.warns(UserWarning, match=r"uint8.*\[0, 1\].*images / 255"):
        predict(model, images)
    with pytest.warns(UserWarning, match=r"outside \[0, 1\]: minimum -0\.5, maximum 2"):
        predict(model, np.linspace(-0.5, 2, 2 * 144).reshape(2, 12, 12))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_predict_refuses_nan_and_inf_images(data, bad):
    model = build_model("dae", data, config=TINY)
    images = np.array(data.test_images[:3])
    images[1, 0, 2, 2] = bad
    with pytest.raises(ValueError, match=r"1 NaN/inf pixel value\(s\) \(in image 1\)"):
        predict(model, images)


def test_predict_refuses_an_empty_batch(data):
    model = build_model("cnn_fr", data, config=TINY)
    with pytest.raises(ValueError, match=r"holds no images \(shape \(0, 1, 12, 12\)\); pass at least one image"):
        predict(model, np.zeros((0, 1, 12, 12), np.float32))


@pytest.mark.parametrize("shape, fix", [((2, 3, 12, 12), r"images\[:, :1\]"), ((2, 12, 12, 3), r"images\[\.\.\., 0\]"),
                                        ((12, 12, 3), r"image\[None, \.\.\., 0\]")])
def test_predict_hint_for_colour_images_says_grayscale(data, shape, fix):
    model = build_model("dae", data, config=TINY)
    with pytest.raises(ValueError, match=rf"grayscale.*{fix}") as info:
        predict(model, np.full(shape, 0.5, np.float32))
    assert "x[:, None]" not in str(info.value)


def test_a_model_called_on_colour_images_says_grayscale(data):
    model = build_model("cnn_fr", data, config=TINY)
    with pytest.raises(ValueError, match=r"got \(2, 3, 12, 12\): the models take grayscale images.*x\[:, :1\]") as info:
        model(torch.zeros(2, 3, 12, 12))
    assert "x[:, None]" not in str(info.value)
    with pytest.raises(ValueError, match=r"add the channel axis with x\[:, None\]"):
        model(torch.zeros(2, 12, 12))

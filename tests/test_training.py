"""fit / evaluate / predict / checkpoints / seeding (daenr_lite.training) on a small planted dataset."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from daenr_lite.config import ModelConfig, TrainConfig
from daenr_lite.data import GroundTruth, NeuralDataset
from daenr_lite.models import build_model
from daenr_lite.training import (
    History,
    TrainingDiverged,
    evaluate,
    fit,
    get_device,
    load_model,
    predict,
    save_model,
    set_seed,
)

TINY = ModelConfig(
    encoder_channels=(4, 8, 8, 4), encoder_kernels=(3, 3, 3, 3), core_channels=(8, 8, 8, 8), core_kernels=(5, 3, 3, 3)
)
FAST = TrainConfig(lr=1e-2, batch_size=32, max_epochs=8, patience=3, lr_patience=1)


def planted_dataset(n_train=240, n_test=30, n_neurons=6, size=16, repeats=4, seed=0, shuffle_responses=False):
    """Smooth random images; each neuron a rectified oriented filter at its own place; Poisson spikes."""
    rng = np.random.default_rng(seed)

    def images(n):
        x = rng.standard_normal((n, size + 4, size + 4))
        x = (x[:, :-4] + x[:, 1:-3] + x[:, 2:-2] + x[:, 3:-1] + x[:, 4:]) / 5  # vertical smoothing
        x = (x[:, :, :-4] + x[:, :, 1:-3] + x[:, :, 2:-2] + x[:, :, 3:-1] + x[:, :, 4:]) / 5
        return np.clip(0.5 + 0.8 * x, 0, 1)[:, :size, :size]

    yy, xx = np.mgrid[:size, :size]
    filters = []
    for _ in range(n_neurons):
        cy, cx, theta = rng.uniform(4, size - 4), rng.uniform(4, size - 4), rng.uniform(0, np.pi)
        envelope = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0)
        filters.append(envelope * np.cos(0.8 * ((xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta))))
    filters = np.array(filters)

    def rates(x):
        drive = np.einsum("nhw,khw->nk", x - 0.5, filters)
        return 4.0 * np.maximum(drive / drive.std(), 0) + 0.2

    train_x, test_x = images(n_train), images(n_test)
    train_r, test_r = rates(train_x), rates(test_x)
    train_y = rng.poisson(train_r).astype(np.float32)
    if shuffle_responses:
        train_y = train_y[rng.permutation(n_train)]
    test_y = rng.poisson(np.broadcast_to(test_r, (repeats, *test_r.shape))).astype(np.float32)
    return NeuralDataset.from_arrays(
        train_x, train_y, test_x, test_y, ground_truth=GroundTruth(train_r, test_r, filters), name="planted"
    )


@pytest.fixture(scope="module")
def data():
    return planted_dataset()


@pytest.fixture(scope="module")
def trained_cnn(data):
    set_seed(0)
    model = build_model("cnn_fr", data, config=TINY)
    history = fit(model, data, FAST, progress=False, device="cpu")
    return model, history


def test_fit_lowers_the_loss_and_beats_a_shuffled_response_control(data, trained_cnn):
    model, history = trained_cnn
    assert isinstance(history, History) and history.n_epochs >= 2
    assert history.val_loss[history.best_epoch - 1] == history.best_val_loss
    assert history.best_val_loss < history.val_loss[0]
    assert history.train_loss[-1] < history.train_loss[0]
    assert set(history.train_parts) == {"poisson", "l1"} and len(history.lr) == history.n_epochs
    assert history.stopped_reason in {"early_stopping", "max_epochs"}
    scores = evaluate(model, data)
    set_seed(0)
    control = build_model("cnn_fr", data, config=TINY)
    fit(control, planted_dataset(shuffle_responses=True), FAST, progress=False, device="cpu")
    control_scores = evaluate(control, data)
    assert scores["test_corr"] > 0.5
    assert scores["test_corr"] > control_scores["test_corr"] + 0.3
    assert 0 < scores["fraction_of_ceiling"] <= 1.05
    assert set(scores) >= {"test_corr", "single_trial_corr", "feve", "ceiling", "fraction_of_ceiling"}


def test_dae_nr_trains_both_heads_and_reports_all_metrics(data):
    set_seed(1)
    model = build_model("dae_nr", data, mapping_layer=2, config=TINY)
    history = fit(model, data, FAST, max_epochs=3, progress=False)
    assert set(history.train_parts) == {"mse", "poisson", "l1"} and set(history.val_parts) == {"mse", "poisson"}
    scores = evaluate(model, data)
    assert {"mse", "psnr", "ssim", "test_corr", "feve"} <= set(scores)
    assert all(math.isfinite(v) for v in scores.values())


def test_dae_reconstruction_improves_over_training(data):
    set_seed(0)
    model = build_model("dae", data, config=TINY)
    before = evaluate(model, data)["mse"]
    history = fit(model, data, FAST, max_epochs=4, progress=False)
    assert set(history.train_parts) == {"mse"}
    assert evaluate(model, data)["mse"] < before
    assert model.has_input_normalization
    stats = data.normalization_stats(data.split_indices(FAST.val_fraction, FAST.seed)[0])
    assert float(model.input_mean) == pytest.approx(stats.image_mean, rel=1e-5)


def test_same_seed_gives_identical_results_on_cpu(data):
    results = []
    for _ in range(2):
        set_seed(7)
        model = build_model("dae_nr", data, mapping_layer=1, config=TINY)
        history = fit(model, data, FAST, max_epochs=2, progress=False, device="cpu")
        results.append((history.train_loss, predict(model, data.test_images)["responses"]))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_checkpoint_round_trip_gives_the_same_outputs(tmp_path, data, trained_cnn):
    model, history = trained_cnn
    path = save_model(model, tmp_path / "cnn.pt", metadata={"best_epoch": history.best_epoch})
    loaded = load_model(path)
    assert type(loaded) is type(model) and loaded.config == model.config
    assert loaded.checkpoint_metadata == {"best_epoch": history.best_epoch}
    before, after = predict(model, data.test_images), predict(loaded, data.test_images)
    np.testing.assert_array_equal(before["responses"], after["responses"])
    # weights_only loading: the file holds no pickled code
    assert torch.load(path, weights_only=True)["class"] == "CNNFR"


def test_predict_returns_numpy_with_optional_features(data, trained_cnn):
    model, _ = trained_cnn
    out = predict(model, data.test_images[:, 0], batch_size=7, features=True)
    assert out["reconstruction"] is None and out["responses"].shape == (data.n_test, data.n_neurons)
    assert isinstance(out["responses"], np.ndarray) and len(out["features"]) == 4
    assert out["features"][0].shape[0] == data.n_test


def test_nan_guard_raises_training_diverged_with_a_fix(data):
    model = build_model("cnn_fr", data, config=TINY)
    with torch.no_grad():
        model.readout.bias.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match=r"epoch 1.*poisson.*lower learning rate"):
        fit(model, data, FAST, progress=False)


def test_unknown_override_lists_valid_options(data):
    model = build_model("dae", data, config=TINY)
    with pytest.raises(ValueError, match="unknown TrainConfig option.*'epochs'.*max_epochs"):
        fit(model, data, epochs=3, progress=False)


class FrozenEncoderProbe(nn.Module):
    """A response-only module reading from a frozen DAE encoder (like the similarity helper's LayerProbe)."""

    reconstructs = False
    predicts_responses = True

    def __init__(self, dae, readout):
        super().__init__()
        self.dae, self.readout = dae, readout
        for p in self.dae.parameters():
            p.requires_grad_(False)

    def forward(self, x):
        features = self.dae.encoder(self.dae.normalize(x))
        return {"reconstruction": None, "responses": self.readout(features[1]), "features": features}


def test_fit_trains_only_trainable_parameters_and_keeps_frozen_batch_norm_stats(data):
    from daenr_lite.models import FactorizedReadout

    dae = build_model("dae", data, config=TINY)
    fit(dae, data, FAST, max_epochs=1, progress=False)
    frozen = {k: v.clone() for k, v in dae.state_dict().items()}
    probe = FrozenEncoderProbe(dae, FactorizedReadout(dae.encoder.output_shapes[1], data.n_neurons, config=TINY))
    readout_before = probe.readout.raw_mask.detach().clone()
    history = fit(probe, data, FAST, max_epochs=2, progress=False)
    assert set(history.train_parts) == {"poisson", "l1"}
    for key, value in dae.state_dict().items():
        assert torch.equal(value, frozen[key]), key
    assert not torch.equal(probe.readout.raw_mask.detach(), readout_before)


def test_get_device_and_progress_bar(capsys, data):
    assert get_device("cpu").type == "cpu"
    assert get_device().type in {"cpu", "cuda", "mps"}
    assert get_device("auto") == get_device()  # the notebooks' DEVICE = "auto"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            get_device("cuda")
    model = build_model("dae", data, config=TINY)
    fit(model, data, FAST, max_epochs=1, progress=True)
    assert "fit DAE" in capsys.readouterr().err

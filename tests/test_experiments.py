"""Smoke tests of the paper-mirroring experiments on a tiny dataset with a tiny model and 1 epoch."""
from __future__ import annotations

import numpy as np
import pytest

from daenr_lite.experiments import plot_significant_counts, significant_neuron_counts, significant_vs_insignificant


@pytest.fixture(scope="module")
def tiny():
    from daenr_lite.config import ModelConfig
    from daenr_lite.data import NeuralDataset

    rng = np.random.default_rng(0)
    images = rng.random((90, 1, 16, 16))
    test_images = rng.random((12, 1, 16, 16))
    weights = rng.normal(size=(16 * 16, 10))
    rate = lambda x: np.exp(0.05 * x.reshape(len(x), -1) @ weights)  # noqa: E731
    dataset = NeuralDataset.from_arrays(
        images, rng.poisson(rate(images)), test_images, rng.poisson(rate(test_images), size=(3, 12, 10))
    ).subset_neurons(np.arange(7))  # a "region" of 7 neurons
    config = ModelConfig(encoder_channels=(4, 4, 4, 4), core_channels=(4, 4, 4, 4), core_kernels=(5, 3, 3, 3))
    return dataset, config


@pytest.mark.slow  # trains 3 tiny models and 2 probes (about 10 s on an idle 2-core machine)
def test_significant_neuron_counts_table(tiny):
    dataset, config = tiny
    table = significant_neuron_counts(
        dataset, models=("dae", "dae_nr_2", "cnn_fr"), train_config="quick", probe_layers=(1, 4),
        model_config=config, progress=False, max_epochs=1,
    )
    assert [row["model"] for row in table] == ["DAE (probe h1)", "DAE (probe h4)", "DAE-NR_2", "CNN-FR"]
    assert [row["readout"] for row in table] == ["probe", "probe", "joint", "joint"]
    for row in table:
        assert row["n_neurons"] == dataset.n_neurons == row["n_significant"] + row["n_insignificant"]
        assert row["significant_mask"].shape == (7,) and row["significant_mask"].sum() == row["n_significant"]
        assert row["r"].shape == row["p_value"].shape == (7,) and np.all((row["p_value"] >= 0) & (row["p_value"] <= 1))
        assert row["epochs"] == 1 and row["seed"] == 0
    assert np.isfinite([table[0]["mse"], table[2]["ssim"]]).all() and np.isnan(table[3]["mse"])
    ax = plot_significant_counts(table)
    assert len(ax.patches) == 2 * len(table)
    with pytest.raises(ValueError, match="unknown model"):
        significant_neuron_counts(dataset, models=("vgg",))


def test_significant_vs_insignificant_table(tiny):
    dataset, config = tiny
    mask = np.array([True, False, True, False, False, True, False])
    table = significant_vs_insignificant(
        dataset, mask, "quick", mapping_layers=(1,), model_config=config, progress=False, max_epochs=1
    )
    assert [(row["model"], row["neurons"], row["n_neurons"]) for row in table] == [("DAE-NR_1", "YES", 3), ("DAE-NR_1", "NO", 4)]
    for row in table:
        assert 0 <= row["mse"] <= 1 and np.isfinite([row["psnr"], row["ssim"], row["test_corr"]]).all()
    balanced = significant_vs_insignificant(  # one mask per mapping layer, groups subsampled to equal size
        dataset, {3: mask}, "quick", mapping_layers=(3,), balance=True, model_config=config, progress=False, max_epochs=1
    )
    assert [row["n_neurons"] for row in balanced] == [3, 3] and balanced[0]["mask_source"] == "given per layer"
    empty = significant_vs_insignificant(
        dataset, np.ones(7, bool), "quick", mapping_layers=(1,), model_config=config, progress=False, max_epochs=1
    )
    assert empty[1]["n_neurons"] == 0 and np.isnan(empty[1]["mse"]) and "no insignificant" in empty[1]["note"]
    with pytest.raises(ValueError, match="significant_mask"):
        significant_vs_insignificant(dataset, np.ones(5, bool), "quick")
    with pytest.raises(ValueError, match="mapping layer"):
        significant_vs_insignificant(dataset, {1: mask}, "quick", mapping_layers=(1, 2))


@pytest.mark.slow  # trains the reference CNN-FR and two DAE-NRs
def test_significant_vs_insignificant_derives_the_mask(tiny):
    dataset, config = tiny
    table = significant_vs_insignificant(
        dataset, None, "quick", mapping_layers=(2,), model_config=config, progress=False, max_epochs=1
    )
    assert table[0]["mask_source"].startswith("CNN-FR")
    assert sum(row["n_neurons"] for row in table) == dataset.n_neurons


def test_train_named_model_trains_on_the_requested_device(monkeypatch):
    """The notebooks' DEVICE parameter reaches `fit` (it used to be dropped for experiment-trained models)."""
    import numpy as np

    import daenr_lite.training as training
    from daenr_lite import NeuralDataset
    from daenr_lite.experiments import train_named_model

    seen = {}

    def fake_fit(model, dataset, config=None, **kwargs):
        seen.update(kwargs)
        return "history"

    monkeypatch.setattr(training, "fit", fake_fit)
    rng = np.random.default_rng(0)
    data = NeuralDataset.from_arrays(rng.random((20, 1, 12, 12)), rng.random((20, 3)),
                                     rng.random((5, 1, 12, 12)), rng.random((2, 5, 3)))
    _, history = train_named_model("dae_nr_2", data, "quick", device="cpu")
    assert history == "history" and seen["device"] == "cpu"

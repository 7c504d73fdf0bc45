"""Smoke tests of the paper-mirroring experiments on a tiny dataset with a tiny model and 1 epoch."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from daenr_lite.experiments import significant_neuron_counts, significant_vs_insignificant
from daenr_lite.plotting import plot_significant_counts


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
    assert [row["model"] for row in table] == ["DAE (probe h1)", "DAE (probe h4)", "DAE (best unit h1)",
                                               "DAE (best unit h4)", "DAE-NR_2", "CNN-FR"]
    assert [row["readout"] for row in table] == ["probe", "probe", "best_unit", "best_unit", "joint", "joint"]
    for row in table:
        assert row["n_neurons"] == dataset.n_neurons == row["n_significant"] + row["n_insignificant"]
        assert row["significant_mask"].shape == (7,) and row["significant_mask"].sum() == row["n_significant"]
        assert row["r"].shape == row["p_value"].shape == (7,) and np.all((row["p_value"] >= 0) & (row["p_value"] <= 1))
        assert row["epochs"] == (0 if row["readout"] == "best_unit" else 1) and row["seed"] == 0
    assert np.isfinite([table[0]["mse"], table[2]["ssim"], table[4]["ssim"]]).all() and np.isnan(table[5]["mse"])
    fig = plot_significant_counts(table)  # every plotting function returns its figure
    assert len(fig.axes[0].patches) == 2 * len(table)
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert plot_significant_counts(table, ax=ax) is ax.figure and len(ax.patches) == 2 * len(table)
    with pytest.raises(ValueError, match="unknown model"):
        significant_neuron_counts(dataset, models=("vgg",))


def test_significant_vs_insignificant_table(tiny):
    dataset, config = tiny
    mask = np.array([True, False, True, False, False, True, False])
    table = significant_vs_insignificant(
        dataset, mask, "quick", selected_on=np.arange(6), mapping_layers=(1,), model_config=config, progress=False,
        max_epochs=1,
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
        dataset, None, "quick", reference="cnn_fr", mapping_layers=(2,), model_config=config, progress=False,
        max_epochs=1,
    )
    assert table[0]["mask_source"].startswith("CNN-FR") and table[0]["n_evaluation_images"] == 6
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


class _FixedRandomPredictor:
    """Stands in for a trained model: neuron j's prediction is a fixed random linear function of the pixels,
    keyed by that neuron's training responses, so a model trained on a subset of neurons predicts each
    neuron exactly as the reference trained on all of them did. It knows nothing about the responses."""

    @staticmethod
    def build(dataset):
        import torch
        from torch import nn

        columns = []
        for j in range(dataset.n_neurons):
            key = int(np.abs(dataset.train_responses[:, j] * 1000).sum()) % (2**32)
            columns.append(np.random.default_rng(key).normal(size=dataset.test_images[0].size))
        weights = torch.as_tensor(np.stack(columns, axis=1), dtype=torch.float32)

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("w", weights)

            def forward(self, x):
                return {"reconstruction": x, "responses": x.flatten(1) @ self.w, "features": []}

        return Model()


def test_table2_selects_on_one_half_and_evaluates_on_the_other(monkeypatch):
    """Audit: Table 2 selected neurons and measured test_corr on the same images, which inflates YES."""
    import daenr_lite.experiments as experiments
    from daenr_lite.data import NeuralDataset
    from daenr_lite.metrics import per_neuron_corr
    from daenr_lite.similarity import neuron_significance
    from daenr_lite.training import predict

    rng = np.random.default_rng(5)
    n = 300  # neurons: pure noise, unrelated to the images
    data = NeuralDataset.from_arrays(rng.random((40, 1, 8, 8)), rng.poisson(2.0, size=(40, n)),
                                     rng.random((40, 1, 8, 8)), rng.poisson(2.0, size=(4, 40, n)))
    monkeypatch.setattr(experiments, "train_named_model",
                        lambda name, dataset, *a, **k: (_FixedRandomPredictor.build(dataset), SimpleNamespace(n_epochs=0)))
    table = significant_vs_insignificant(data, None, "quick", reference="cnn_fr", mapping_layers=(2,), seed=3,
                                         progress=False)
    selection, evaluation = experiments.split_test_images(data.n_test, 3)
    assert selection.size == evaluation.size == 20 and not set(selection) & set(evaluation)
    full = _FixedRandomPredictor.build(data)
    predictions = predict(full, data.test_images)["responses"]
    expected_mask = neuron_significance(predictions[selection], data.test_responses[:, selection]).significant
    yes, no = table
    assert yes["n_neurons"] == expected_mask.sum() > 5 and no["n_neurons"] == n - expected_mask.sum()
    assert yes["n_selection_images"] == 20 and yes["n_evaluation_images"] == 20

    def corr_on(images, mask):
        return per_neuron_corr(predictions[images][:, mask], data.test_responses[:, images][:, :, mask].mean(0)).mean()

    assert yes["test_corr"] == pytest.approx(corr_on(evaluation, expected_mask))
    assert no["test_corr"] == pytest.approx(corr_on(evaluation, ~expected_mask))
    assert corr_on(selection, expected_mask) > 0.4  # what the biased table reported for YES ...
    assert abs(yes["test_corr"]) < 0.2 and abs(yes["test_corr"] - no["test_corr"]) < 0.2  # ... held out: chance
    # a mask chosen on all test images: no test_corr at all; one chosen on given images: the rest evaluate
    given = significant_vs_insignificant(data, expected_mask, "quick", mapping_layers=(1,), progress=False)
    assert all(np.isnan(row["test_corr"]) and "biased" in row["note"] for row in given)
    given = significant_vs_insignificant(data, expected_mask, "quick", selected_on=selection, mapping_layers=(1,),
                                         progress=False)
    assert given[0]["test_corr"] == pytest.approx(yes["test_corr"])
    own = significant_vs_insignificant(data, None, "quick", mapping_layers=(1, 2), seed=3, progress=False)
    assert own[0]["mask_source"].startswith("each DAE-NR_i's own")
    assert experiments.select_significant(full, data, selection).tolist() == expected_mask.tolist()

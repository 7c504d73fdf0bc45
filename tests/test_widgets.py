"""MappingLayerExplorer: clicks train (once per setting), render, and surface errors."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from daenr_lite.data import NeuralDataset
from daenr_lite.widgets import ExplorerResult, MappingLayerExplorer, format_result


def _dataset(region: int) -> NeuralDataset:
    rng = np.random.default_rng(region)
    return NeuralDataset.from_arrays(rng.random((20, 1, 12, 12)), rng.poisson(1.0, (20, 5)),
                                     rng.random((6, 1, 12, 12)), rng.poisson(1.0, (3, 6, 5)), region=region)


class FakeTrainer:
    """Stands in for training: returns a deterministic result and counts calls."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[int, float, int]] = []
        self.fail = fail

    def __call__(self, dataset, layer, lam, *, quick, seed, device) -> ExplorerResult:
        self.calls.append((layer, lam, dataset.region))
        if self.fail:
            raise RuntimeError("readout exploded")
        return ExplorerResult(
            layer=layer, lam=lam, region=dataset.region,
            metrics={"psnr": 20.0 + layer, "ssim": 0.5, "test_corr": 0.1 * layer},
            originals=dataset.test_images[:3], reconstructions=dataset.test_images[:3] * 0.9,
            predicted=dataset.test_mean_responses + 0.1, recorded=dataset.test_mean_responses,
        )


@pytest.fixture
def trainer() -> FakeTrainer:
    return FakeTrainer()


def _explorer(trainer, **kwargs) -> MappingLayerExplorer:
    return MappingLayerExplorer(_dataset, regions=(1, 2), train_fn=trainer, lam=1e-3, **kwargs)


def test_css_class_contract(trainer):
    ex = _explorer(trainer)
    assert "daenr-layer" in ex.layer._dom_classes and ex.layer.options == (("h1", 1), ("h2", 2), ("h3", 3), ("h4", 4))
    assert "daenr-lambda" in ex.lam._dom_classes
    assert "daenr-region" in ex.region._dom_classes
    assert "daenr-train" in ex.button._dom_classes and ex.button.description == "Train & show"
    assert "daenr-figure" in ex.figure._dom_classes
    assert "daenr-metrics" in ex.metrics._dom_classes
    assert "daenr-status" in ex.status._dom_classes


def test_nothing_trains_until_the_button_is_clicked(trainer):
    ex = _explorer(trainer)
    ex.lam.value = 1e-2
    ex.layer.value = 3
    ex.region.value = 2
    assert trainer.calls == []
    assert ex.figure.outputs == ()


def test_click_trains_renders_and_updates_metrics(trainer):
    ex = _explorer(trainer)
    ex.button.click()
    assert trainer.calls == [(2, 1e-3, 1)]
    assert "DAE-NR_2 (h2), lambda=0.001, region 1" in ex.metrics.value
    assert "PSNR 22.0 dB" in ex.metrics.value and "test r 0.20" in ex.metrics.value
    assert ex.status.value.startswith("done in")
    (output,) = ex.figure.outputs
    assert output["data"]["image/png"]  # a rendered figure, no front end needed
    first_text = ex.metrics.value
    ex.layer.value = 4
    ex.button.click()
    assert ex.metrics.value != first_text and "DAE-NR_4 (h4)" in ex.metrics.value


def test_cache_hit_does_not_retrain(trainer):
    ex = _explorer(trainer)
    ex.button.click()
    ex.layer.value = 1
    ex.button.click()
    ex.layer.value = 2
    ex.button.click()  # back to the first setting: cached
    assert len(trainer.calls) == 2 and ex.train_count == 2
    assert ex.status.value.startswith("cached")
    assert "DAE-NR_2 (h2)" in ex.metrics.value


def test_errors_go_to_the_status_label_and_the_log(caplog):
    failing = FakeTrainer(fail=True)
    ex = _explorer(failing)
    with caplog.at_level(logging.ERROR, logger="daenr_lite.widgets"):
        ex.button.click()
    assert ex.status.value == "error: RuntimeError: readout exploded"
    assert "readout exploded" in caplog.text
    assert not ex.button.disabled  # usable again after a failure
    assert ex.cache == {}


def test_show_default_fills_the_view(trainer):
    ex = _explorer(trainer, layer=3).show_default()
    assert trainer.calls == [(3, 1e-3, 1)]
    assert "DAE-NR_3 (h3)" in ex.metrics.value and ex.figure.outputs


def test_datasets_are_loaded_once_per_region(trainer):
    loads = []

    def loader(region):
        loads.append(region)
        return _dataset(region)

    ex = MappingLayerExplorer(loader, regions=(1, 2), train_fn=trainer, lam=1e-3)
    ex.button.click()
    ex.layer.value = 1
    ex.button.click()
    assert loads == [1]


def test_bad_arguments_are_rejected(trainer):
    with pytest.raises(ValueError, match="layer must be"):
        MappingLayerExplorer(_dataset, train_fn=trainer, layer=5)
    with pytest.raises(ValueError, match="not among the offered regions"):
        MappingLayerExplorer(_dataset, train_fn=trainer, regions=(1,), region=3)
    with pytest.raises(ValueError, match="lam must be > 0"):
        MappingLayerExplorer(_dataset, train_fn=trainer, lam=0.0)


def test_format_result_without_responses():
    result = ExplorerResult(layer=1, lam=0.5, region=3, metrics={"psnr": 18.25, "ssim": 0.612},
                            originals=np.zeros((1, 1, 4, 4)), reconstructions=None, predicted=None, recorded=None)
    assert format_result(result) == "DAE-NR_1 (h1), lambda=0.5, region 3: PSNR 18.2 dB, SSIM 0.61"


@pytest.mark.slow
def test_real_training_function_runs_on_a_tiny_dataset():
    from daenr_lite.widgets import train_dae_nr

    rng = np.random.default_rng(0)
    data = NeuralDataset.from_arrays(rng.random((40, 1, 31, 31)), rng.poisson(1.0, (40, 4)),
                                     rng.random((5, 1, 31, 31)), rng.poisson(1.0, (2, 5, 4)), region=1)
    result = train_dae_nr(data, 2, 1e-3, quick=True, device="cpu", n_images=3)
    assert result.reconstructions.shape == (3, 1, 31, 31)
    assert result.predicted.shape == (5, 4) and np.all(result.predicted >= 0)
    assert {"psnr", "ssim", "test_corr"} <= set(result.metrics)

"""FEVe is averaged over reliable neurons (explainable-variance fraction >= 0.15), on the real test set."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from daenr_lite import metrics
from daenr_lite.data import load_antolik2016_test_set
from daenr_lite.training import evaluate

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "antolik2016_partial"
pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not (SHARED / "Data" / "region3" / "raw_validation_set.npy").is_file(),
        reason=f"real recordings not found at {SHARED} (the shared/ folder must sit beside the repository)",
    ),
]
UNRELIABLE = {1: 35, 2: 27, 3: 41}  # neurons with explainable-variance fraction < 0.15 (the audit's count)


class LookupPredictor(nn.Module):
    """A fixed predictor: for each known test image, a stored response vector."""

    def __init__(self, images: np.ndarray, responses: np.ndarray):
        super().__init__()
        self.register_buffer("images", torch.as_tensor(images, dtype=torch.float32).flatten(1))
        self.register_buffer("table", torch.as_tensor(responses, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> dict:
        index = torch.cdist(x.flatten(1), self.images).argmin(dim=1)
        return {"reconstruction": None, "responses": self.table[index], "features": []}


@pytest.mark.parametrize("region", [1, 2, 3])
def test_unreliable_neuron_counts_on_the_real_test_set(region):
    data = load_antolik2016_test_set(region, data_dir=SHARED)
    fraction = metrics.explainable_variance_fraction(data.test_responses)
    assert fraction.shape == (data.n_neurons,)
    assert int(np.sum(fraction < metrics.FEVE_THRESHOLD)) == UNRELIABLE[region]


@pytest.mark.parametrize("region", [1, 2, 3])
def test_evaluate_averages_feve_over_reliable_neurons(region):
    data = load_antolik2016_test_set(region, data_dir=SHARED)
    full = data.test_responses
    # one fixed, out-of-sample predictor: the mean of the even repeats, scored on the odd repeats
    prediction = full[::2].mean(axis=0)
    held_out = SimpleNamespace(test_images=data.test_images, test_responses=full[1::2])
    model = LookupPredictor(data.test_images, prediction)
    scores = evaluate(model, held_out)
    per_neuron = metrics.feve(prediction, held_out.test_responses)
    reliable = metrics.explainable_variance_fraction(held_out.test_responses) >= 0.15
    assert scores["feve_n_neurons"] == int(reliable.sum()) < data.n_neurons
    assert scores["feve"] == pytest.approx(per_neuron[reliable].mean())
    assert scores["feve_all"] == pytest.approx(np.nanmean(per_neuron))
    assert scores["feve"] > scores["feve_all"] + 0.1  # the unreliable neurons drag the plain mean down
    everything = evaluate(model, held_out, feve_threshold=-np.inf)
    assert everything["feve_n_neurons"] == int(np.isfinite(per_neuron).sum())
    assert everything["feve"] == pytest.approx(scores["feve_all"])
    # on all repeats, evaluate keeps exactly the reliable neurons of the audit
    assert evaluate(model, data)["feve_n_neurons"] == data.n_neurons - UNRELIABLE[region]

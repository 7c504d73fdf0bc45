"""Loss values against hand-computed cases (daenr_lite.losses)."""
import math

import numpy as np
import pytest
import torch

from daenr_lite.losses import PoissonLoss, joint_loss, poisson_loss, reconstruction_loss


def test_poisson_loss_matches_hand_computation():
    pred = torch.tensor([[1.0, 2.0], [0.5, 4.0]])
    target = torch.tensor([[0.0, 3.0], [1.0, 2.0]])
    elementwise = [[1.0, 2.0 - 3 * math.log(2.0)], [0.5 - math.log(0.5), 4.0 - 2 * math.log(4.0)]]
    per_image = [sum(row) for row in elementwise]
    assert float(poisson_loss(pred, target, eps=0.0)) == pytest.approx(sum(per_image) / 2, rel=1e-6)
    assert float(poisson_loss(pred, target, reduction="sum", eps=0.0)) == pytest.approx(sum(per_image), rel=1e-6)
    np.testing.assert_allclose(poisson_loss(pred, target, reduction="none", eps=0.0).numpy(), elementwise, rtol=1e-6)
    assert float(PoissonLoss(eps=0.0)(pred, target)) == pytest.approx(sum(per_image) / 2, rel=1e-6)


def test_poisson_loss_is_minimised_at_the_target_rate():
    target = torch.full((4, 3), 2.5)
    rates = torch.linspace(0.5, 5.0, 91)
    losses = torch.stack([poisson_loss(torch.full((4, 3), float(r)), target) for r in rates])
    assert float(rates[losses.argmin()]) == pytest.approx(2.5, abs=0.05)


def test_poisson_loss_is_finite_for_zero_predictions():
    assert math.isfinite(float(poisson_loss(torch.zeros(2, 2), torch.ones(2, 2))))


def test_reconstruction_loss_is_pixel_mse():
    image = torch.zeros(2, 1, 3, 3)
    recon = torch.full((2, 1, 3, 3), 0.1)
    assert float(reconstruction_loss(recon, image)) == pytest.approx(0.01)


def test_joint_loss_is_mse_plus_weighted_poisson():
    image, recon = torch.zeros(2, 1, 4, 4), torch.full((2, 1, 4, 4), 0.2)
    pred, target = torch.tensor([[1.0, 1.0]] * 2), torch.tensor([[2.0, 0.0]] * 2)
    total, parts = joint_loss(recon, image, pred, target, lam=0.1)
    assert float(parts["mse"]) == pytest.approx(0.04)
    assert float(parts["poisson"]) == pytest.approx(2.0, abs=1e-6)  # (1 - 2 log 1) + (1 - 0)
    assert float(total) == pytest.approx(0.04 + 0.1 * 2.0, abs=1e-6)


def test_joint_loss_with_the_readout_penalty_is_what_fit_minimises():
    from daenr_lite.data import load_dataset
    from daenr_lite.models import build_model
    from daenr_lite.training.objective import objective

    data = load_dataset("simulated", region=1, n_neurons=6, n_train=20, n_test=5, n_repeats=2, cache=False)
    torch.manual_seed(0)
    model = build_model("dae_nr_2", data)
    x = torch.as_tensor(data.train_images[:8], dtype=torch.float32)
    y = torch.as_tensor(data.train_responses[:8], dtype=torch.float32)
    with torch.no_grad():
        out = model(x)
        total, parts = objective(model, out, x, y, lam=0.01)
        expected, expected_parts = joint_loss(out["reconstruction"], x, out["responses"], y, lam=0.01,
                                              penalty=model.regularizer())
    assert float(total) == pytest.approx(float(expected), rel=1e-6)
    assert float(parts["l1"]) == pytest.approx(float(expected_parts["l1"])) and float(parts["l1"]) > 0


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_inputs_raise_naming_the_tensor(bad):
    good = torch.ones(2, 3)
    broken = good.clone()
    broken[0, 1] = bad
    with pytest.raises(ValueError, match="pred contains 1 NaN/inf"):
        poisson_loss(broken, good)
    with pytest.raises(ValueError, match="target contains"):
        poisson_loss(good, broken)
    with pytest.raises(ValueError, match="image contains"):
        joint_loss(torch.ones(1, 1, 2, 2), torch.full((1, 1, 2, 2), bad), good, good, lam=1.0)


def test_shape_mismatch_and_bad_reduction_raise():
    with pytest.raises(ValueError, match="must match"):
        poisson_loss(torch.ones(2, 3), torch.ones(3, 2))
    with pytest.raises(ValueError, match="reduction must be"):
        poisson_loss(torch.ones(2, 3), torch.ones(2, 3), reduction="avg")

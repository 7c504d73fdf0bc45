"""Training losses: Poisson negative log-likelihood for responses, MSE for reconstructions, and their sum.

All functions take torch tensors and return torch scalars (differentiable). Non-finite inputs raise a
``ValueError`` naming the tensor, so a diverging run fails loudly instead of silently training on NaN.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["poisson_loss", "reconstruction_loss", "joint_loss", "PoissonLoss", "check_finite"]


def check_finite(name: str, tensor: torch.Tensor) -> None:
    """Raise ``ValueError`` if ``tensor`` holds NaN or inf (one device sync)."""
    if not bool(torch.isfinite(tensor).all()):
        n_bad = int((~torch.isfinite(tensor)).sum())
        raise ValueError(
            f"{name} contains {n_bad} NaN/inf value(s); if this happens during training the model has "
            "diverged (try a lower learning rate), otherwise clean the input data."
        )


def _check_pair(pred_name: str, pred: torch.Tensor, target_name: str, target: torch.Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"{pred_name} has shape {tuple(pred.shape)} but {target_name} has {tuple(target.shape)}; they must match.")
    check_finite(pred_name, pred)
    check_finite(target_name, target)


def poisson_loss(
    pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean", eps: float = 1e-8, check: bool = True
) -> torch.Tensor:
    """Poisson negative log-likelihood without the constant ``log(target!)``: ``pred - target * log(pred + eps)``.

    Parameters
    ----------
    pred : (batch, neurons) predicted rates, >= 0.
    target : (batch, neurons) observed responses, >= 0.
    reduction : ``"mean"`` — summed over neurons, averaged over the batch (scalar); ``"sum"`` — summed
        over everything (scalar); ``"none"`` — elementwise (batch, neurons).
    check : validate shapes and finiteness (costs one device sync; training disables it and checks per epoch).
    """
    if check:
        _check_pair("pred", pred, "target", target)
    elementwise = pred - target * torch.log(pred + eps)
    if reduction == "none":
        return elementwise
    if reduction == "sum":
        return elementwise.sum()
    if reduction == "mean":
        return elementwise.sum(dim=-1).mean() if elementwise.dim() > 1 else elementwise.sum()
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}.")


def reconstruction_loss(recon: torch.Tensor, image: torch.Tensor, check: bool = True) -> torch.Tensor:
    """Mean squared error over all pixels of all images. recon, image : (batch, 1, H, W) in [0, 1]."""
    if check:
        _check_pair("recon", recon, "image", image)
    return torch.mean((recon - image) ** 2)


def joint_loss(
    recon: torch.Tensor,
    image: torch.Tensor,
    pred: torch.Tensor,
    target: torch.Tensor,
    lam: float,
    penalty: torch.Tensor | float | None = None,
    check: bool = True,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The DAE-NR objective ``MSE(recon, image) + lam * (Poisson(pred, target) + penalty)``.

    ``penalty`` is the readout's L1 term, ``model.regularizer()``: with it this is exactly what
    :func:`daenr_lite.fit` minimises for a DAE-NR (``daenr_lite.training.objective`` computes it batch by batch);
    ``None`` leaves it out (as the validation loss does).

    Returns
    -------
    total : scalar tensor.
    parts : ``{"mse": ..., "poisson": ...}`` and ``"l1"`` when a penalty is given (unweighted scalar tensors).
    """
    mse = reconstruction_loss(recon, image, check=check)
    poisson = poisson_loss(pred, target, check=check)
    parts = {"mse": mse, "poisson": poisson}
    response_term = poisson
    if penalty is not None:
        parts["l1"] = torch.as_tensor(penalty, dtype=poisson.dtype, device=poisson.device)
        response_term = poisson + parts["l1"]
    return mse + lam * response_term, parts


class PoissonLoss(nn.Module):
    """Module form of :func:`poisson_loss` (``reduction`` and ``eps`` fixed at construction)."""

    def __init__(self, reduction: str = "mean", eps: float = 1e-8) -> None:
        super().__init__()
        self.reduction = reduction
        self.eps = eps

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return poisson_loss(pred, target, reduction=self.reduction, eps=self.eps)

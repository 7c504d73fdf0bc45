"""The training objective follows the model: DAE -> MSE, CNN-FR -> Poisson + L1, DAE-NR -> MSE + lam (Poisson + L1)."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..losses import poisson_loss, reconstruction_loss

__all__ = ["objective", "loss_part_names"]


def loss_part_names(model: nn.Module) -> list[str]:
    """Names of the loss parts logged for ``model``: some of ``mse``, ``poisson``, ``l1``."""
    names = []
    if getattr(model, "reconstructs", False):
        names.append("mse")
    if getattr(model, "predicts_responses", False):
        names += ["poisson", "l1"]
    if not names:
        raise ValueError(
            f"{type(model).__name__} neither reconstructs nor predicts responses; set the attributes "
            "`reconstructs` / `predicts_responses` so fit knows which loss to use."
        )
    return names


def objective(
    model: nn.Module,
    output: dict[str, Any],
    images: torch.Tensor,
    responses: torch.Tensor,
    lam: float,
    with_penalty: bool = True,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Loss of one batch.

    Returns the total (``MSE``; ``Poisson + L1``; or ``MSE + lam * (Poisson + L1)`` for models doing both)
    and the unweighted parts. The readout L1 belongs to the response term, so ``readout_l1`` means the
    same in CNN-FR and DAE-NR. ``with_penalty=False`` (validation) leaves the L1 penalty out.
    """
    reconstructs = getattr(model, "reconstructs", False)
    predicts = getattr(model, "predicts_responses", False)
    parts: dict[str, torch.Tensor] = {}
    total = images.new_zeros(())
    if reconstructs:
        parts["mse"] = reconstruction_loss(output["reconstruction"], images, check=False)
        total = total + parts["mse"]
    if predicts:
        parts["poisson"] = poisson_loss(output["responses"], responses, check=False)
        response_term = parts["poisson"]
        if with_penalty:
            regularizer = getattr(model, "regularizer", None)
            parts["l1"] = regularizer() if callable(regularizer) else images.new_zeros(())
            response_term = response_term + parts["l1"]
        total = total + (lam * response_term if reconstructs else response_term)
    return total, parts

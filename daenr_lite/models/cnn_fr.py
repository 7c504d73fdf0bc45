"""`CNNFR`: a CNN core with a factorized readout (paper Fig. 1b; Klindt et al. 2017), Poisson-trained."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..config import ModelConfig
from .base import ModelOutput, NeuralModel
from .encoder import Encoder
from .readout import FactorizedReadout

__all__ = ["CNNFR", "kernel_roughness"]

_LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def kernel_roughness(weight: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Sum over kernels of ``||laplacian * w||^2 / ||w||^2`` for conv weights ``(out, in, k, k)``.

    Scale-free: multiplying a kernel by a constant leaves it unchanged. A constant kernel scores about 0
    (only its borders curve), white noise about 20 (the Laplacian's squared norm).
    """
    out_ch, in_ch, kh, kw = weight.shape
    kernels = weight.reshape(out_ch * in_ch, 1, kh, kw)
    lap = torch.nn.functional.conv2d(kernels, _LAPLACIAN.to(weight)[None, None], padding=1)
    ratio = lap.pow(2).flatten(1).sum(1) / (kernels.pow(2).flatten(1).sum(1) + eps)
    return ratio.sum()


class CNNFR(NeuralModel):
    """CNN-FR: four stride-1 conv layers (``core_*`` config) + :class:`FactorizedReadout` on the last one.

    Klindt-like core: a large first kernel (13x13 by default) then 3x3 kernels, batch norm + ELU, ``"valid"``
    padding so the readout sees a full-resolution map without padded borders (31x31 images -> h4 of
    48x13x13). Four layers (Klindt used three) so that h1..h4 layer profiles exist as for the DAE.

    Parameters
    ----------
    image_shape : (height, width).
    n_neurons : number of recorded neurons.
    config : architecture.
    mean_response : (n_neurons,) mean training response, initialises the readout bias.
    """

    reconstructs = False
    predicts_responses = True

    def __init__(
        self,
        image_shape: Sequence[int] = (31, 31),
        n_neurons: int = 1,
        config: ModelConfig | None = None,
        mean_response: np.ndarray | Sequence[float] | None = None,
    ) -> None:
        super().__init__(image_shape, config)
        self.n_neurons = int(n_neurons)
        cfg = self.config
        self.core = Encoder(
            self.image_shape,
            cfg,
            channels=cfg.core_channels,
            kernels=cfg.core_kernels,
            strides=(1, 1, 1, 1),
            padding=cfg.core_padding,
            settings="core",
        )
        self.readout = FactorizedReadout(
            self.core.output_shapes[-1], self.n_neurons, cfg.readout_positive, mean_response, cfg
        )

    def regularizer(self) -> torch.Tensor:
        """Readout L1 (:meth:`FactorizedReadout.regularizer`) + ``core_smoothness`` x first-layer roughness."""
        penalty = self.readout.regularizer()
        if self.config.core_smoothness > 0:
            penalty = penalty + self.config.core_smoothness * kernel_roughness(self.core.layers[0][0].weight)
        return penalty

    def forward(self, x: torch.Tensor) -> ModelOutput:
        """x : (batch, 1, H, W) images in [0, 1] -> dict with ``responses`` (batch, neurons) >= 0."""
        features = self.core(self.normalize(x))
        return {"reconstruction": None, "responses": self.readout(features[-1]), "features": features}

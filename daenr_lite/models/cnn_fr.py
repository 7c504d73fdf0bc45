"""`CNNFR`: a CNN core with a factorized readout (paper Fig. 1b; Klindt et al. 2017), Poisson-trained."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..config import ModelConfig
from .base import ModelOutput, NeuralModel
from .encoder import Encoder
from .readout import FactorizedReadout

__all__ = ["CNNFR"]


class CNNFR(NeuralModel):
    """CNN-FR: four stride-1 conv layers (``core_*`` config) + :class:`FactorizedReadout` on the last one.

    Klindt-like core: a large first kernel (9x9 by default) then 3x3 kernels, batch norm + ELU, ``"valid"``
    padding so the readout sees a full-resolution map without padded borders (31x31 images -> h4 of
    32x17x17). Four layers (Klindt used three) so that h1..h4 layer profiles exist as for the DAE.

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

    def forward(self, x: torch.Tensor) -> ModelOutput:
        """x : (batch, 1, H, W) images in [0, 1] -> dict with ``responses`` (batch, neurons) >= 0."""
        features = self.core(self.normalize(x))
        return {"reconstruction": None, "responses": self.readout(features[-1]), "features": features}

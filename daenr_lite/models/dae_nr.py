"""`DAENR`: auto-encoder with a neural-response readout from encoder layer h_i (paper Fig. 1c)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from ..config import ModelConfig
from .base import ModelOutput, NeuralModel
from .dae import compression_ratio
from .decoder import Decoder
from .encoder import Encoder
from .readout import FactorizedReadout

__all__ = ["DAENR"]


class DAENR(NeuralModel):
    """DAE-NR_i: the :class:`DAE` plus a :class:`FactorizedReadout` from encoder layer ``h_mapping_layer``.

    Trained jointly on ``MSE(reconstruction) + lam * (Poisson(responses) + readout L1)`` by :func:`fit`.

    Parameters
    ----------
    image_shape : (height, width).
    n_neurons : number of recorded neurons.
    mapping_layer : 1..4, the encoder layer the readout reads from.
    config : architecture (``encoder_*`` and ``readout_*`` fields).
    mean_response : (n_neurons,) mean training response, initialises the readout bias.
    """

    reconstructs = True
    predicts_responses = True

    def __init__(
        self,
        image_shape: Sequence[int] = (31, 31),
        n_neurons: int = 1,
        mapping_layer: int = 1,
        config: ModelConfig | None = None,
        mean_response: np.ndarray | Sequence[float] | None = None,
    ) -> None:
        super().__init__(image_shape, config)
        if mapping_layer not in (1, 2, 3, 4):
            raise ValueError(f"mapping_layer must be 1, 2, 3 or 4 (encoder layer h1..h4); got {mapping_layer!r}.")
        self.n_neurons = int(n_neurons)
        self.mapping_layer = int(mapping_layer)
        self.encoder = Encoder(self.image_shape, self.config)
        self.decoder = Decoder(self.encoder)
        self.readout = FactorizedReadout(
            self.encoder.output_shapes[self.mapping_layer - 1],
            self.n_neurons,
            self.config.readout_positive,
            mean_response,
            self.config,
        )

    @property
    def compression_ratio(self) -> float:
        """Pixels / numbers in h4 (as for :class:`DAE`)."""
        return compression_ratio(self.encoder)

    def forward(self, x: torch.Tensor) -> ModelOutput:
        """x : (batch, 1, H, W) -> dict with ``reconstruction`` (batch, 1, H, W) and ``responses`` (batch, neurons)."""
        features = self.encoder(self.normalize(x))
        return {
            "reconstruction": self.decoder(features[-1]),
            "responses": self.readout(features[self.mapping_layer - 1]),
            "features": features,
        }

    def init_kwargs(self) -> dict[str, Any]:
        return {**super().init_kwargs(), "mapping_layer": self.mapping_layer}

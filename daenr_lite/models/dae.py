"""`DAE`: the deep auto-encoder (paper Fig. 1a), trained to reconstruct its input image."""
from __future__ import annotations

from typing import Sequence

import torch

from ..config import ModelConfig
from .base import ModelOutput, NeuralModel
from .decoder import Decoder
from .encoder import Encoder

__all__ = ["DAE", "compression_ratio"]


def compression_ratio(encoder: Encoder) -> float:
    """Pixels per bottleneck number: ``H * W / numel(h4)`` (> 1 means the auto-encoder really compresses)."""
    c, h, w = encoder.output_shapes[-1]
    return encoder.image_shape[0] * encoder.image_shape[1] / (c * h * w)


class DAE(NeuralModel):
    """Deep auto-encoder: :class:`Encoder` (h1..h4) + mirrored :class:`Decoder`, sigmoid output in [0, 1].

    With the default :class:`ModelConfig` a 31x31 image (961 pixels) passes through h4 of 8x4x4 = 128
    numbers: ``compression_ratio`` 7.5.

    Parameters
    ----------
    image_shape : (height, width) of the images.
    config : architecture (``encoder_*`` fields).
    """

    reconstructs = True
    predicts_responses = False

    def __init__(self, image_shape: Sequence[int] = (31, 31), config: ModelConfig | None = None) -> None:
        super().__init__(image_shape, config)
        self.encoder = Encoder(self.image_shape, self.config)
        self.decoder = Decoder(self.encoder)

    @property
    def compression_ratio(self) -> float:
        """Pixels / numbers in h4 (7.5 for 31x31 images with the default config)."""
        return compression_ratio(self.encoder)

    def forward(self, x: torch.Tensor) -> ModelOutput:
        """x : (batch, 1, H, W) images in [0, 1] -> dict with ``reconstruction`` (batch, 1, H, W)."""
        features = self.encoder(self.normalize(x))
        return {"reconstruction": self.decoder(features[-1]), "responses": None, "features": features}

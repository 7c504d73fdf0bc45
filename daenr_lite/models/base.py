"""`NeuralModel`: what every daenr-lite model shares (input normalisation, the forward-dict contract)."""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from ..config import ModelConfig

__all__ = ["NeuralModel", "ModelOutput"]

ModelOutput = dict  # {"reconstruction": (B,1,H,W) | None, "responses": (B,neurons) | None, "features": [h1..h4]}


class NeuralModel(nn.Module):
    """Base class of :class:`DAE`, :class:`CNNFR` and :class:`DAENR`.

    Input normalisation lives inside the model: the buffers ``input_mean`` / ``input_std`` (scalars) are
    set once from the *training split* by :func:`daenr_lite.fit` (or :meth:`set_input_normalization`) and
    saved with the weights, so a loaded model takes raw images in [0, 1]. Until set they are 0 / 1.

    Subclasses set ``reconstructs``, ``predicts_responses`` and implement ``forward`` returning
    ``{"reconstruction": (B,1,H,W) or None, "responses": (B,neurons) or None, "features": [h1, h2, h3, h4]}``.
    """

    reconstructs: bool = False
    predicts_responses: bool = False

    def __init__(self, image_shape: Sequence[int], config: ModelConfig | None) -> None:
        super().__init__()
        if len(image_shape) != 2 or min(int(v) for v in image_shape) < 1:
            raise ValueError(f"image_shape must be (height, width); got {tuple(image_shape)}.")
        self.image_shape = (int(image_shape[0]), int(image_shape[1]))
        if config is not None and not isinstance(config, ModelConfig):
            raise TypeError(f"config must be a ModelConfig or None; got {type(config).__name__}.")
        self.config = config or ModelConfig()
        self.n_neurons: int | None = None
        self.register_buffer("input_mean", torch.tensor(0.0))
        self.register_buffer("input_std", torch.tensor(1.0))
        self.register_buffer("input_normalization_set", torch.tensor(False))

    # ------------------------------------------------------------------ normalisation
    def set_input_normalization(self, mean: float, std: float) -> None:
        """Standardise inputs as ``(x - mean) / std`` from now on (statistics of the training split)."""
        if not std > 0:
            raise ValueError(f"input std must be > 0; got {std}.")
        self.input_mean.fill_(float(mean))
        self.input_std.fill_(float(std))
        self.input_normalization_set.fill_(True)

    @property
    def has_input_normalization(self) -> bool:
        return bool(self.input_normalization_set.item())

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Check ``x`` is (batch, 1, H, W) for this model and standardise it."""
        if x.dim() != 4 or x.shape[1] != 1 or tuple(x.shape[2:]) != self.image_shape:
            if x.dim() == 4 and x.shape[1] in (3, 4):
                fix = "the models take grayscale images: convert them (x.mean(dim=1, keepdim=True)) or take one channel (x[:, :1])"
            elif x.dim() == 3 and tuple(x.shape[1:]) == self.image_shape:
                fix = "add the channel axis with x[:, None]"
            else:
                fix = "build the model for this image size"
            raise ValueError(
                f"{type(self).__name__} expects images of shape (batch, 1, {self.image_shape[0]}, "
                f"{self.image_shape[1]}); got {tuple(x.shape)}: {fix}."
            )
        return (x - self.input_mean) / self.input_std

    # ------------------------------------------------------------------ shared API
    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x : (batch, 1, H, W) raw images -> [h1, h2, h3, h4] feature maps."""
        return self.forward(x)["features"]

    def regularizer(self) -> torch.Tensor:
        """Penalty added to the response loss (the readout's L1); 0 for models without a readout."""
        readout = getattr(self, "readout", None)
        if readout is None:
            return self.input_mean.new_zeros(())
        return readout.regularizer()

    def init_kwargs(self) -> dict[str, Any]:
        """Constructor arguments as primitives (used by :func:`daenr_lite.save_model`)."""
        kwargs: dict[str, Any] = {"image_shape": list(self.image_shape), "config": self.config.to_dict()}
        if self.n_neurons is not None:
            kwargs["n_neurons"] = self.n_neurons
        return kwargs

    def n_parameters(self, trainable_only: bool = True) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

"""`Encoder`: four conv layers whose outputs h1..h4 are the representations compared with V1."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..config import ModelConfig
from .layers import conv_block, conv_output_size

__all__ = ["Encoder", "set_memory_format"]


class Encoder(nn.Module):
    """Four ``conv -> batch norm -> activation`` layers; ``forward`` returns ``[h1, h2, h3, h4]``.

    Parameters
    ----------
    image_shape : (height, width) of the input images.
    config : architecture; by default the auto-encoder layers ``config.encoder_*`` (padding ``kernel // 2``).
    channels, kernels, strides : override the config's encoder layers (the CNN-FR core uses this).
    padding : ``"same"`` (``kernel // 2``) or ``"valid"`` (no padding).
    settings : ``"encoder"`` or ``"core"``: which ``ModelConfig`` fields the layers come from (named in errors).
    channels_last : keep weights and activations in the channels-last (NHWC) memory format (default). The
        values computed are the same up to float rounding; only the layout in memory differs. On CPU it makes
        a training step 1.14-1.28x faster on 2 threads (``benchmarks/bench_models.py --variants``).
    Attributes
    ----------
    output_shapes : list of 4 ``(channels, height, width)`` tuples, the shapes of h1..h4 for one image.
    """

    def __init__(
        self,
        image_shape: Sequence[int] = (31, 31),
        config: ModelConfig | None = None,
        *,
        channels: Sequence[int] | None = None,
        kernels: Sequence[int] | None = None,
        strides: Sequence[int] | None = None,
        padding: str = "same",
        settings: str = "encoder",
        channels_last: bool = True,
    ) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        self.image_shape = (int(image_shape[0]), int(image_shape[1]))
        self.channels = tuple(channels or self.config.encoder_channels)
        self.kernels = tuple(kernels or self.config.encoder_kernels)
        self.strides = tuple(strides or self.config.encoder_strides)
        if not len(self.channels) == len(self.kernels) == len(self.strides) == 4:
            raise ValueError("the encoder needs exactly 4 channels, kernels and strides (layers h1..h4).")
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid'; got {padding!r}.")
        self.paddings = tuple(k // 2 if padding == "same" else 0 for k in self.kernels)

        shapes = []
        h, w = self.image_shape
        for c, k, s, p in zip(self.channels, self.kernels, self.strides, self.paddings):
            h, w = conv_output_size(h, k, s, p), conv_output_size(w, k, s, p)
            if h < 1 or w < 1:
                if settings == "core":  # the CNN-FR core: stride 1, kernels and padding from core_*
                    used = f"ModelConfig core_kernels={self.kernels}, core_padding={padding!r}"
                    fix = "smaller core_kernels, or core_padding='same'"
                else:
                    used = f"ModelConfig encoder_kernels={self.kernels}, encoder_strides={self.strides}"
                    fix = "smaller encoder_kernels / encoder_strides"
                raise ValueError(
                    f"images of {self.image_shape[0]}x{self.image_shape[1]} pixels are too small for the {settings} "
                    f"layers ({used}); use larger images or {fix}, e.g. build_model(..., "
                    f"{settings}_kernels=(3, 3, 3, 3))."
                )
            shapes.append((c, h, w))
        self.output_shapes: list[tuple[int, int, int]] = shapes

        in_channels = [1, *self.channels[:-1]]
        self.layers = nn.ModuleList(
            conv_block(i, o, k, s, p, self.config.activation, self.config.batch_norm)
            for i, o, k, s, p in zip(in_channels, self.channels, self.kernels, self.strides, self.paddings)
        )
        self.channels_last = bool(channels_last)
        self.memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        self.to(memory_format=self.memory_format)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x : (batch, 1, H, W) (already normalised) -> [h1, ..., h4], each (batch, C_i, H_i, W_i)."""
        features = []
        x = x.contiguous(memory_format=self.memory_format)
        for layer in self.layers:
            x = layer(x)
            features.append(x)
        return features


def set_memory_format(model: nn.Module, channels_last: bool) -> nn.Module:
    """Switch every conv stack of ``model`` (its :class:`~daenr_lite.models.Encoder` s and their decoders) to
    channels-last (NHWC) or channels-first (NCHW) weights and activations, in place; returns ``model``.

    The models are built channels-last (faster on CPU); the values are the same up to float rounding.
    """
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model.to(memory_format=fmt)
    for module in model.modules():
        if isinstance(module, Encoder):
            module.channels_last, module.memory_format = bool(channels_last), fmt
    return model

"""`Decoder`: transposed convolutions mirroring the encoder, back to exactly the input size."""
from __future__ import annotations

import torch
from torch import nn

from .encoder import Encoder
from .layers import make_activation

__all__ = ["Decoder"]


class Decoder(nn.Module):
    """Mirror of an :class:`Encoder`: h4 -> (batch, 1, H, W) reconstruction in [0, 1] (sigmoid output).

    Layer i of the decoder undoes encoder layer 5-i with a ``ConvTranspose2d`` of the same kernel,
    stride and padding; ``output_padding`` is chosen per layer so that every intermediate map has exactly
    the size of the matching encoder map, hence the output is exactly ``H x W`` for any image size
    (odd, even, non-square).

    Parameters
    ----------
    encoder : the encoder to mirror (only its shapes and settings are used, not its weights).
    """

    def __init__(self, encoder: Encoder) -> None:
        super().__init__()
        cfg = encoder.config
        self.image_shape = encoder.image_shape
        sizes = [encoder.image_shape] + [shape[1:] for shape in encoder.output_shapes]
        channels = [1, *encoder.channels]
        blocks = []
        for layer in reversed(range(4)):  # undo encoder layer `layer`: sizes[layer+1] -> sizes[layer]
            k, s, p = encoder.kernels[layer], encoder.strides[layer], encoder.paddings[layer]
            output_padding = []
            for axis in range(2):
                natural = (sizes[layer + 1][axis] - 1) * s - 2 * p + k
                extra = sizes[layer][axis] - natural
                if not 0 <= extra < s:  # PyTorch needs 0 <= output_padding < stride
                    raise ValueError(
                        f"cannot mirror encoder layer {layer + 1} (kernel {k}, stride {s}, padding {p}) back to "
                        f"size {sizes[layer][axis]}; use odd kernels with padding kernel // 2."
                    )
                output_padding.append(extra)
            is_output = layer == 0
            conv = nn.ConvTranspose2d(
                channels[layer + 1],
                channels[layer],
                k,
                stride=s,
                padding=p,
                output_padding=tuple(output_padding),
                bias=is_output or not cfg.batch_norm,
            )
            if is_output:
                blocks.append(nn.Sequential(conv, nn.Sigmoid()))
            elif cfg.batch_norm:
                blocks.append(nn.Sequential(conv, nn.BatchNorm2d(channels[layer]), make_activation(cfg.activation)))
            else:
                blocks.append(nn.Sequential(conv, make_activation(cfg.activation)))
        self.layers = nn.Sequential(*blocks)
        self.to(memory_format=encoder.memory_format)  # the encoder's layout (channels-last for the DAE)

    def forward(self, h4: torch.Tensor) -> torch.Tensor:
        """h4 : (batch, C4, H4, W4) -> reconstruction (batch, 1, H, W) in [0, 1]."""
        return self.layers(h4)

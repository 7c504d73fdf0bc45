"""Small building blocks shared by the encoder, decoder and CNN-FR core."""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["make_activation", "conv_output_size", "conv_block", "set_memory_format"]


def make_activation(name: str) -> nn.Module:
    """``"elu"`` | ``"softplus"`` | ``"relu"`` -> a fresh activation module."""
    if name == "elu":
        return nn.ELU()
    if name == "softplus":
        return nn.Softplus()
    if name == "relu":
        return nn.ReLU()
    raise ValueError(f"unknown activation {name!r}; use 'elu', 'softplus' or 'relu'.")


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Length of one spatial axis after a convolution (PyTorch's formula, dilation 1)."""
    return (size + 2 * padding - kernel) // stride + 1


def conv_block(
    in_channels: int,
    out_channels: int,
    kernel: int,
    stride: int,
    padding: int,
    activation: str,
    batch_norm: bool,
) -> nn.Sequential:
    """Conv2d -> (BatchNorm2d) -> activation. The conv has no bias when batch norm follows it."""
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding, bias=not batch_norm)
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(make_activation(activation))
    return nn.Sequential(*layers)


def set_memory_format(model: nn.Module, channels_last: bool) -> nn.Module:
    """Switch every conv stack of ``model`` (its :class:`~daenr_lite.models.Encoder` s and their decoders) to
    channels-last (NHWC) or channels-first (NCHW) weights and activations, in place; returns ``model``.

    The models are built channels-last (faster on CPU); the values are the same up to float rounding.
    """
    from .encoder import Encoder  # local: encoder imports this module

    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model.to(memory_format=fmt)
    for module in model.modules():
        if isinstance(module, Encoder):
            module.channels_last, module.memory_format = bool(channels_last), fmt
    return model

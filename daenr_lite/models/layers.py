"""Small building blocks shared by the encoder, decoder and CNN-FR core."""
from __future__ import annotations

from torch import nn

__all__ = ["make_activation", "conv_output_size", "conv_block"]


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


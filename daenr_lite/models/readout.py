"""`FactorizedReadout` (Klindt et al. 2017): per neuron a spatial mask times a feature vector."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..config import ModelConfig

__all__ = ["FactorizedReadout", "inverse_output_nonlinearity"]


def inverse_output_nonlinearity(rate: np.ndarray, nonlinearity: str) -> np.ndarray:
    """Pre-activation that produces ``rate`` (used to initialise the bias at the mean response)."""
    rate = np.maximum(np.asarray(rate, dtype=np.float64), 1e-3)
    if nonlinearity == "elu1":  # elu(z) + 1: z = r - 1 for r >= 1, log(r) below
        return np.where(rate >= 1.0, rate - 1.0, np.log(rate))
    if nonlinearity == "softplus":
        return np.log(np.expm1(rate))
    raise ValueError(f"unknown readout nonlinearity {nonlinearity!r}; use 'elu1' or 'softplus'.")


class _ChannelsLastGradient(torch.autograd.Function):
    """Identity whose backward hands on the gradient in channels-last layout.

    The readout's matmul returns its input gradient channels-first; summed with the encoder's channels-last
    gradient of the same map, it would make the batch-norm and ELU backward of that layer 2x slower.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return grad.contiguous(memory_format=torch.channels_last)


class FactorizedReadout(nn.Module):
    """Map a feature map to neural responses with one spatial mask and one feature vector per neuron.

    ``rate_n = f( sum_{c,y,x} input[c, y, x] * mask_n[y, x] * features_n[c] + bias_n )``

    The output nonlinearity ``f`` is ``ELU + 1`` by default: positive everywhere (a valid Poisson rate),
    exponential-like near zero and linear for large inputs, so the Poisson-loss gradients stay bounded
    (an exponential output makes them grow with the rate) and it does not saturate like a sigmoid; it is
    the standard choice of the Sinz-lab readouts (neuralpredictors). ``"softplus"`` is the alternative.

    Parameters
    ----------
    in_shape : (channels, height, width) of the input feature map (one image).
    n_neurons : number of neurons to predict.
    positive : constrain masks and feature weights to be non-negative (parametrised as absolute
        values of unconstrained weights, so no clipping step is needed). ``None``: ``config.readout_positive``.
    mean_response : (n_neurons,) mean training response; the bias is initialised so that the initial
        prediction equals it. ``None``: bias 0.
    config : supplies ``readout_l1``, ``readout_nonlinearity`` and ``readout_init_scale``.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        n_neurons: int,
        positive: bool | None = None,
        mean_response: np.ndarray | Sequence[float] | None = None,
        config: ModelConfig | None = None,
    ) -> None:
        super().__init__()
        if len(in_shape) != 3:
            raise ValueError(f"in_shape must be (channels, height, width); got {tuple(in_shape)}.")
        if int(n_neurons) < 1:
            raise ValueError(f"n_neurons must be >= 1; got {n_neurons}.")
        self.config = config or ModelConfig()
        self.in_shape = tuple(int(v) for v in in_shape)
        self.n_neurons = int(n_neurons)
        self.positive = self.config.readout_positive if positive is None else bool(positive)
        self.l1 = float(self.config.readout_l1)
        self.nonlinearity = self.config.readout_nonlinearity
        channels, height, width = self.in_shape

        self.raw_mask = nn.Parameter(torch.empty(self.n_neurons, height, width))
        self.raw_features = nn.Parameter(torch.empty(self.n_neurons, channels))
        self.bias = nn.Parameter(torch.zeros(self.n_neurons))
        self.reset_parameters(mean_response)

    def reset_parameters(self, mean_response: np.ndarray | Sequence[float] | None = None) -> None:
        """Small random mask/features (the mask sums to about 1 over space) and bias at the mean response."""
        channels, height, width = self.in_shape
        scale = self.config.readout_init_scale
        with torch.no_grad():
            self.raw_mask.normal_().mul_(1.0 / (height * width) if self.positive else 1.0 / math.sqrt(height * width))
            self.raw_features.normal_().mul_(scale / math.sqrt(channels))
            if mean_response is None:
                self.bias.zero_()
            else:
                mean = np.asarray(mean_response, dtype=np.float64).reshape(-1)
                if mean.shape != (self.n_neurons,):
                    raise ValueError(f"mean_response has shape {mean.shape}; expected ({self.n_neurons},).")
                bias = inverse_output_nonlinearity(mean, self.nonlinearity)
                self.bias.copy_(torch.as_tensor(bias, dtype=self.bias.dtype))

    @property
    def mask(self) -> torch.Tensor:
        """(neurons, height, width) spatial masks (non-negative when ``positive``)."""
        return self.raw_mask.abs() if self.positive else self.raw_mask

    @property
    def feature_weights(self) -> torch.Tensor:
        """(neurons, channels) feature weights (non-negative when ``positive``)."""
        return self.raw_features.abs() if self.positive else self.raw_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (batch, channels, height, width) -> rates (batch, neurons), all >= 0."""
        if x.shape[1:] != self.in_shape:
            raise ValueError(f"readout expects feature maps of shape {self.in_shape}; got {tuple(x.shape[1:])}.")
        if x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
            # channels-last maps (the DAE's encoder): read them as (batch, pixels, channels) without a copy
            pixels = _ChannelsLastGradient.apply(x).permute(0, 2, 3, 1).flatten(1, 2)  # (batch, height*width, channels)
            spatial = self.mask.flatten(1) @ pixels  # (batch, neurons, channels)
            drive = (spatial * self.feature_weights).sum(-1) + self.bias
        else:
            spatial = x.flatten(2) @ self.mask.flatten(1).T  # (batch, channels, neurons)
            drive = torch.einsum("bcn,nc->bn", spatial, self.feature_weights) + self.bias
        if self.nonlinearity == "elu1":
            return F.elu(drive) + 1.0
        return F.softplus(drive)

    def regularizer(self) -> torch.Tensor:
        """``readout_l1 * sum_n |mask_n|_1 * |features_n|_1`` — the L1 norm of each mask x feature outer product.

        The penalty is invariant to rescaling mask and features against each other (as the prediction is),
        so it shrinks the product, not just one factor.
        """
        per_neuron = self.mask.abs().flatten(1).sum(1) * self.feature_weights.abs().sum(1)
        return self.l1 * per_neuron.sum()

    def extra_repr(self) -> str:
        return (
            f"in_shape={self.in_shape}, n_neurons={self.n_neurons}, positive={self.positive}, "
            f"l1={self.l1}, nonlinearity={self.nonlinearity!r}"
        )

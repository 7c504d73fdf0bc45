"""`LayerProbe`: a factorized readout trained on top of a *frozen* model layer.

A plain DAE has no readout, so it cannot predict neurons by itself. To ask "how much neural information
is in DAE layer h_i?" we freeze the whole model (no gradients, eval mode: batch-norm statistics fixed)
and train only a new :class:`~daenr_lite.models.FactorizedReadout` from ``h_i`` to the neurons, with the
same Poisson objective and early stopping as the CNN-FR (:func:`daenr_lite.fit`). The probe is the same
mapping function that DAE-NR_i uses, so "DAE + probe on h_i" vs "DAE-NR_i" differ only in whether the
encoder was trained jointly with the neural responses.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["LayerProbe", "fit_probe"]


class LayerProbe(nn.Module):
    """Frozen ``model`` + trainable factorized readout from its encoder layer ``h_layer``.

    Follows the forward-dict contract of daenr-lite models (``reconstructs=False``,
    ``predicts_responses=True``), so :func:`daenr_lite.fit`, :func:`daenr_lite.evaluate` and
    :func:`daenr_lite.predict` work on it unchanged.

    Parameters
    ----------
    model : any daenr-lite model with ``features(x) -> [h1, h2, h3, h4]`` (e.g. a trained DAE). Its
        parameters are set to ``requires_grad=False`` and it is kept in eval mode for good.
    layer : 1..4, the encoder layer to read from.
    n_neurons : number of neurons to predict.
    positive : non-negative readout weights (default: ``model.config.readout_positive``).
    mean_response : (n_neurons,) mean training response; initialises the readout bias.
    config : :class:`~daenr_lite.ModelConfig` with the readout settings (default: ``model.config``).

    Attributes
    ----------
    backbone : the frozen model.
    readout : the trainable :class:`~daenr_lite.models.FactorizedReadout`.
    """

    reconstructs = False
    predicts_responses = True

    def __init__(
        self,
        model: nn.Module,
        layer: int,
        n_neurons: int,
        *,
        positive: bool | None = None,
        mean_response: np.ndarray | Sequence[float] | None = None,
        config: Any = None,
    ) -> None:
        from ..models import FactorizedReadout

        super().__init__()
        if layer not in (1, 2, 3, 4):
            raise ValueError(f"layer must be 1, 2, 3 or 4 (encoder layer h1..h4); got {layer!r}.")
        if not callable(getattr(model, "features", None)):
            raise ValueError(
                f"{type(model).__name__} has no features(x) method; a LayerProbe needs a daenr-lite model "
                "(DAE, DAENR, CNNFR) whose features(x) returns [h1, h2, h3, h4]."
            )
        self.backbone = model
        for param in model.parameters():
            param.requires_grad_(False)
        model.eval()
        self.layer = int(layer)
        self.n_neurons = int(n_neurons)
        self.config = config if config is not None else getattr(model, "config", None)
        self.image_shape = tuple(getattr(model, "image_shape", ()))
        in_shape = self._layer_shape()
        self.readout = FactorizedReadout(in_shape, self.n_neurons, positive, mean_response, self.config)

    def _layer_shape(self) -> tuple[int, int, int]:
        encoder = getattr(self.backbone, "encoder", None)
        shapes = getattr(encoder, "output_shapes", None)
        if shapes is not None:
            return tuple(int(v) for v in shapes[self.layer - 1])
        if len(self.image_shape) != 2:
            raise ValueError("cannot infer the layer shape: the model has neither encoder.output_shapes nor image_shape.")
        device = next((p.device for p in self.backbone.parameters()), torch.device("cpu"))
        with torch.no_grad():
            feats = self.backbone.features(torch.zeros(2, 1, *self.image_shape, device=device))
        return tuple(int(v) for v in feats[self.layer - 1].shape[1:])

    # the backbone stays frozen: eval mode whatever mode the probe is put in
    def train(self, mode: bool = True) -> "LayerProbe":
        super().train(mode)
        self.backbone.eval()
        return self

    # input normalisation belongs to the backbone (set when it was trained)
    @property
    def has_input_normalization(self) -> bool:
        return bool(getattr(self.backbone, "has_input_normalization", True))

    def set_input_normalization(self, mean: float, std: float) -> None:
        """Only used for a backbone that was never trained (no statistics yet): give it the training split's."""
        self.backbone.set_input_normalization(mean, std)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x : (batch, 1, H, W) raw images -> the frozen model's [h1, h2, h3, h4].

        For a model with an ``encoder`` (DAE, DAE-NR) only the encoder runs (the decoder's output is not
        needed), otherwise the model's own ``features(x)``.
        """
        with torch.no_grad():
            encoder = getattr(self.backbone, "encoder", None)
            normalize = getattr(self.backbone, "normalize", None)
            if encoder is not None and callable(normalize):
                return list(encoder(normalize(x)))
            return self.backbone.features(x)

    def forward(self, x: torch.Tensor) -> dict[str, Any]:
        """x : (batch, 1, H, W) raw images in [0, 1] -> dict with ``responses`` (batch, neurons) >= 0."""
        feats = self.features(x)
        return {"reconstruction": None, "responses": self.readout(feats[self.layer - 1]), "features": feats}

    def regularizer(self) -> torch.Tensor:
        """The readout's L1 penalty (added to the Poisson loss by :func:`daenr_lite.fit`)."""
        return self.readout.regularizer()

    def extra_repr(self) -> str:
        return f"layer=h{self.layer}, n_neurons={self.n_neurons}, backbone={type(self.backbone).__name__} (frozen)"


def fit_probe(
    model: nn.Module,
    dataset: Any,
    layer: int,
    config: Any = None,
    *,
    positive: bool | None = None,
    progress: bool = True,
    **train_overrides: Any,
) -> tuple[LayerProbe, Any]:
    """Train a :class:`LayerProbe` on ``dataset``'s training split (early stopping on its validation split).

    Parameters
    ----------
    model : the model to probe (frozen in place: its parameters get ``requires_grad=False``).
    dataset : NeuralDataset; the readout bias starts at the mean training response.
    layer : 1..4.
    config : :class:`~daenr_lite.TrainConfig` (default: the defaults); ``**train_overrides`` change
        single fields, e.g. ``max_epochs=5``.
    positive : non-negative readout weights (default: the model config's ``readout_positive``).
    progress : tqdm bar over epochs.

    Returns
    -------
    (probe, history) — evaluate the probe on the test images with :func:`daenr_lite.evaluate` or
    :func:`daenr_lite.predict`.
    """
    from ..training import fit

    probe = LayerProbe(
        model, layer, dataset.n_neurons, positive=positive, mean_response=np.asarray(dataset.train_responses).mean(axis=0)
    )
    history = fit(probe, dataset, config, progress=progress, **train_overrides)
    return probe, history

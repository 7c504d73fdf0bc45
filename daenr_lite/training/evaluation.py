"""`predict` (batched inference to numpy) and `evaluate` (test-set metrics)."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import metrics
from .device import get_device

__all__ = ["predict", "evaluate"]


def _model_device(model: nn.Module) -> torch.device:
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


@torch.no_grad()
def predict(
    model: nn.Module,
    images: Any,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    features: bool = False,
) -> dict[str, Any]:
    """Run ``model`` on ``images`` in eval mode, in batches.

    Parameters
    ----------
    images : (N, 1, H, W) or (N, H, W) array or tensor of grayscale images, values in [0, 1] (checked by
        :func:`check_images`: colour, empty or NaN/inf input is an error; 8-bit or out-of-range values a warning).
    batch_size : images per forward pass.
    device : where to run (default: where the model's weights already are).
    features : also return the encoder/core feature maps.

    Returns
    -------
    dict with ``"reconstruction"`` (N, 1, H, W) or None, ``"responses"`` (N, neurons) or None, and with
    ``features=True`` ``"features"``: list of 4 arrays (N, C_i, H_i, W_i). All float32 numpy arrays.
    """
    dev = _model_device(model) if device is None else get_device(device)
    model.to(dev)
    x = torch.as_tensor(check_images(images.detach().cpu() if hasattr(images, "detach") else images),
                        dtype=torch.float32).to(dev)
    was_training = model.training
    model.eval()
    chunks: dict[str, list[np.ndarray]] = {"reconstruction": [], "responses": []}
    feature_chunks: list[list[np.ndarray]] = []
    try:
        for start in range(0, x.shape[0], int(batch_size)):
            out = model(x[start : start + int(batch_size)])
            for key in chunks:
                if out.get(key) is not None:
                    chunks[key].append(out[key].float().cpu().numpy())
            if features:
                feature_chunks.append([f.float().cpu().numpy() for f in out["features"]])
    finally:
        model.train(was_training)
    result: dict[str, Any] = {key: (np.concatenate(v) if v else None) for key, v in chunks.items()}
    if features:
        result["features"] = [np.concatenate(layer) for layer in zip(*feature_chunks)]
    return result


def check_images(images: Any, name: str = "images") -> np.ndarray:
    """``images`` as an (N, 1, H, W) array for a model, or one line saying what is wrong and how to fix it.

    Errors: a colour image or batch (3 channels: grayscale expected), another shape, an empty batch, NaN/inf
    pixels. Warnings (the model still runs): 8-bit values (0..255) or pixels outside [0, 1], the range every
    dataset's images have and the models were trained on.
    """
    arr = np.asarray(images)
    shape = tuple(arr.shape)
    if arr.ndim == 3 and shape[-1] == 3:
        raise ValueError(f"{name} has shape {shape}: one colour image? The models take grayscale batches (N, 1, H, W) "
                         "or (N, H, W): convert it (image.mean(axis=-1)[None]) or take one channel (image[None, ..., 0]).")
    if arr.ndim == 4 and shape[1] != 1 and (shape[1] in (3, 4) or shape[-1] in (3, 4)):
        first = shape[1] in (3, 4)
        convert, one = ("images.mean(axis=1, keepdims=True)", "images[:, :1]") if first else \
            ("images.mean(axis=-1)", "images[..., 0]")
        raise ValueError(f"{name} has {shape[1] if first else shape[-1]} colour channels (shape {shape}), but the models "
                         f"take grayscale images (N, 1, H, W): convert them ({convert}) or take one channel ({one}).")
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4 or arr.shape[1] != 1:
        raise ValueError(f"{name} must be grayscale images (N, 1, H, W) or (N, H, W); got shape {shape}.")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} holds no images (shape {tuple(arr.shape)}); pass at least one image.")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers (pixel values in [0, 1]); got dtype {arr.dtype}.")
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            bad = np.flatnonzero(~finite.reshape(len(arr), -1).all(axis=1))
            raise ValueError(f"{name} has {int((~finite).sum())} NaN/inf pixel value(s) (in image {int(bad[0])}"
                             f"{f' and {bad.size - 1} more' if bad.size > 1 else ''}); the output would be NaN: "
                             "replace them (np.nan_to_num) or leave those images out.")
    lo, hi = float(arr.min()), float(arr.max())
    if arr.dtype.kind in "iu" and hi > 1:
        warnings.warn(f"{name} are {arr.dtype} (maximum {hi:g}), but the models expect pixel values in [0, 1] "
                      f"(as in every dataset): divide by 255 first (images / 255).", UserWarning, stacklevel=3)
    elif lo < -1e-6 or hi > 1 + 1e-6:
        warnings.warn(f"{name} has pixel values outside [0, 1]: minimum {lo:.6g}, maximum {hi:.6g}; the models were "
                      "trained on images in [0, 1]: rescale them (e.g. images / 255 for 8-bit images).",
                      UserWarning, stacklevel=3)
    return arr


def evaluate(
    model: nn.Module,
    dataset: Any,
    device: str | torch.device | None = None,
    feve_threshold: float = metrics.FEVE_THRESHOLD,
) -> dict[str, float]:
    """Test-set metrics of a trained model.

    Returns
    -------
    dict of floats:

    - reconstructing models: ``mse``, ``psnr``, ``ssim`` (definitions in :mod:`daenr_lite.metrics`) on the
      test images.
    - response models: ``test_corr`` (mean over neurons of the Pearson r with the trial-averaged test
      responses), ``single_trial_corr`` (mean), ``feve`` (mean over the *reliable* neurons: explainable-
      variance fraction, :func:`~daenr_lite.metrics.explainable_variance_fraction`, >= ``feve_threshold``,
      default 0.15), ``feve_n_neurons`` (how many neurons that mean kept), ``feve_all`` (nan-mean over every
      neuron with explainable variance; unreliable neurons give large negative FEVe) and ``oracle_corr``
      (mean; these need >= 2 repeats); on simulated data also ``ceiling`` (mean
      r of the noise-free rates with the trial-averaged responses) and ``fraction_of_ceiling``
      (``test_corr / ceiling``).
    - ``n_undefined_corr``: neurons whose test correlation is undefined (constant prediction or
      responses: NaN from :func:`~daenr_lite.metrics.per_neuron_corr`); the correlation means leave them out.
    """
    out = predict(model, dataset.test_images, device=device)
    result: dict[str, float] = {}
    if out["reconstruction"] is not None:
        result["mse"] = metrics.mse(out["reconstruction"], dataset.test_images)
        result["psnr"] = metrics.psnr(out["reconstruction"], dataset.test_images)
        result["ssim"] = metrics.ssim(out["reconstruction"], dataset.test_images)
    if out["responses"] is not None:
        pred = out["responses"]
        responses = dataset.test_responses
        corr = metrics.per_neuron_corr(pred, responses.mean(axis=0))
        result["test_corr"] = float(metrics._nanmean(corr))  # NaN (undefined) neurons are counted, not 0
        result["n_undefined_corr"] = int(np.isnan(corr).sum())
        result["single_trial_corr"] = float(metrics._nanmean(metrics.single_trial_corr(pred, responses)))
        if responses.shape[0] >= 2:
            fev = metrics.feve(pred, responses)
            reliable = np.isfinite(fev) & (metrics.explainable_variance_fraction(responses) >= feve_threshold)
            result["feve"] = float(fev[reliable].mean()) if reliable.any() else float("nan")
            result["feve_n_neurons"] = int(reliable.sum())
            result["feve_all"] = float(np.nanmean(fev)) if np.isfinite(fev).any() else float("nan")
            result["oracle_corr"] = float(metrics.oracle_corr(responses).mean())
        truth = getattr(dataset, "ground_truth", None)
        if truth is not None:
            ceiling = metrics.ground_truth_ceiling(truth.test_rates, responses)
            defined = np.isfinite(corr) & np.isfinite(ceiling)
            result["ceiling"] = float(metrics._nanmean(ceiling))
            result["fraction_of_ceiling"] = (
                metrics.fraction_of_ceiling(corr[defined], ceiling[defined]) if defined.any() else float("nan")
            )
    return result

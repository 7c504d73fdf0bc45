"""`NeuralDataset`: paired natural images and neural responses, the one data type of daenr-lite.

Layout (all float32 numpy arrays):

- ``train_images``     ``(N, 1, H, W)``             pixel values in [0, 1]
- ``train_responses``  ``(N, neurons)``             one (single-trial) response per image, >= 0
- ``test_images``      ``(M, 1, H, W)``             pixel values in [0, 1]
- ``test_responses``   ``(repeats, M, neurons)``    every presentation of every test image, >= 0
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = ["NeuralDataset", "GroundTruth", "DatasetError", "NormalizationStats", "TestSetShapes"]


class DatasetError(ValueError):
    """Raised when arrays handed to / loaded by daenr-lite are not a valid dataset.

    The message always says what was wrong and how to fix it.
    """


@dataclass
class GroundTruth:
    """Noise-free truth of a simulated population (``None`` on real recordings).

    Attributes
    ----------
    train_rates : (N, neurons) noise-free mean response to every training image.
    test_rates : (M, neurons) noise-free mean response to every test image.
    filters : (neurons, H, W) each neuron's (even-phase) receptive-field filter.
    params : per-neuron parameters, each an array of length ``neurons``
        (e.g. ``x``, ``y``, ``orientation``, ``spatial_frequency``, ``phase``, ``size``, ``is_complex``).
    """

    train_rates: np.ndarray
    test_rates: np.ndarray
    filters: np.ndarray
    params: dict[str, np.ndarray] = field(default_factory=dict)

    def subset_neurons(self, idx: np.ndarray) -> "GroundTruth":
        return GroundTruth(
            train_rates=self.train_rates[:, idx],
            test_rates=self.test_rates[:, idx],
            filters=self.filters[idx],
            params={k: np.asarray(v)[idx] for k, v in self.params.items()},
        )


@dataclass(frozen=True)
class NormalizationStats:
    """Statistics computed on the training split only (never on validation or test data).

    image_mean, image_std : scalars over all training pixels.
    response_mean, response_std : ``(neurons,)`` per-neuron statistics of the training responses.
    """

    image_mean: float
    image_std: float
    response_mean: np.ndarray
    response_std: np.ndarray


def _as_float_array(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"{name} could not be converted to a float array ({exc}); pass a numpy array.") from exc
    return arr


def _to_image_batch(name: str, images: Any) -> np.ndarray:
    arr = _as_float_array(name, images)
    if arr.ndim == 3:  # (N, H, W) -> (N, 1, H, W)
        arr = arr[:, None]
    if arr.ndim != 4 or arr.shape[1] != 1:
        raise DatasetError(
            f"{name} has shape {arr.shape}; expected (images, 1, height, width) or (images, height, width) "
            "grayscale images. Reshape flattened images with images.reshape(n, 1, height, width)."
        )
    if arr.shape[0] == 0 or arr.shape[2] < 4 or arr.shape[3] < 4:
        raise DatasetError(f"{name} has shape {arr.shape}; need at least one image of at least 4x4 pixels.")
    if not np.all(np.isfinite(arr)):
        raise DatasetError(f"{name} contains NaN or inf values; remove or replace those images.")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        outside = int(((arr < -1e-6) | (arr > 1 + 1e-6)).sum())
        raise DatasetError(
            f"{name} has {outside} pixel value(s) outside the expected [0, 1]: minimum {lo:.9g}, maximum {hi:.9g}. "
            "Rescale first, e.g. images / 255 for 8-bit images, or np.clip(images, 0, 1) for rounding errors."
        )
    return np.clip(arr, 0.0, 1.0)


def _check_responses(name: str, arr: np.ndarray) -> None:
    if arr.size == 0:
        raise DatasetError(f"{name} is empty (shape {arr.shape}).")
    if not np.all(np.isfinite(arr)):
        n_bad = int((~np.isfinite(arr)).sum())
        raise DatasetError(
            f"{name} contains {n_bad} NaN/inf values; drop the affected trials or neurons "
            "(e.g. with np.nan_to_num only if a missing value truly means zero)."
        )
    if float(arr.min()) < 0:
        raise DatasetError(
            f"{name} contains negative values (min {float(arr.min()):.4g}); responses must be non-negative "
            "(spike counts or inferred spiking activity). Subtract no baseline, or clip deconvolution artefacts at 0."
        )


class TestSetShapes:
    """Shape properties shared by every container of a test set: needs ``test_images (M, 1, H, W)`` and
    ``test_responses (repeats, M, neurons)`` attributes."""

    test_images: np.ndarray
    test_responses: np.ndarray

    @property
    def n_neurons(self) -> int:
        return int(self.test_responses.shape[2])

    @property
    def n_test(self) -> int:
        return int(self.test_images.shape[0])

    @property
    def n_repeats(self) -> int:
        return int(self.test_responses.shape[0])

    @property
    def image_shape(self) -> tuple[int, int]:
        """(height, width) of every image."""
        return int(self.test_images.shape[2]), int(self.test_images.shape[3])

    @property
    def test_mean_responses(self) -> np.ndarray:
        """(M, neurons) trial-averaged test responses."""
        return self.test_responses.mean(axis=0)


@dataclass
class NeuralDataset(TestSetShapes):
    """Images and neural responses of one recorded (or simulated) population.

    Build one with :func:`daenr_lite.load_dataset` or :meth:`NeuralDataset.from_arrays`.
    """

    train_images: np.ndarray
    train_responses: np.ndarray
    test_images: np.ndarray
    test_responses: np.ndarray
    neuron_ids: np.ndarray
    region: int | None = None
    source: str = "arrays"
    name: str = "custom"
    ground_truth: GroundTruth | None = None
    info: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        train_images: Any,
        train_responses: Any,
        test_images: Any,
        test_responses: Any,
        *,
        neuron_ids: Any = None,
        region: int | None = None,
        source: str = "arrays",
        name: str = "custom",
        ground_truth: GroundTruth | None = None,
        info: dict[str, Any] | None = None,
    ) -> "NeuralDataset":
        """Validate user-supplied arrays and build a dataset.

        train_images : (N, 1, H, W) or (N, H, W), values in [0, 1]
        train_responses : (N, neurons), non-negative
        test_images : (M, 1, H, W) or (M, H, W), same H, W as training
        test_responses : (repeats, M, neurons) or (M, neurons) for a single repeat
        """
        tr_img = _to_image_batch("train_images", train_images)
        te_img = _to_image_batch("test_images", test_images)
        if tr_img.shape[2:] != te_img.shape[2:]:
            raise DatasetError(
                f"train_images are {tr_img.shape[2]}x{tr_img.shape[3]} but test_images are "
                f"{te_img.shape[2]}x{te_img.shape[3]}; crop or resize both to the same size."
            )
        tr_resp = _as_float_array("train_responses", train_responses)
        if tr_resp.ndim == 1:
            tr_resp = tr_resp[:, None]
        if tr_resp.ndim != 2:
            raise DatasetError(f"train_responses has shape {tr_resp.shape}; expected (images, neurons).")
        if tr_resp.shape[0] != tr_img.shape[0]:
            raise DatasetError(
                f"train_responses has {tr_resp.shape[0]} rows but there are {tr_img.shape[0]} train_images; "
                "each training image needs exactly one response row (average repeats first if you have them)."
            )
        te_resp = _as_float_array("test_responses", test_responses)
        if te_resp.ndim == 2:
            te_resp = te_resp[None]
        if te_resp.ndim != 3:
            raise DatasetError(
                f"test_responses has shape {te_resp.shape}; expected (repeats, images, neurons)."
            )
        if te_resp.shape[1] != te_img.shape[0]:
            raise DatasetError(
                f"test_responses covers {te_resp.shape[1]} images but there are {te_img.shape[0]} test_images; "
                "the layout is (repeats, images, neurons) — transpose with np.moveaxis if yours is "
                "(images, repeats, neurons)."
            )
        if te_resp.shape[2] != tr_resp.shape[1]:
            raise DatasetError(
                f"train_responses has {tr_resp.shape[1]} neurons but test_responses has {te_resp.shape[2]}; "
                "both must hold the same neurons in the same order."
            )
        _check_responses("train_responses", tr_resp)
        _check_responses("test_responses", te_resp)
        n_neurons = tr_resp.shape[1]
        ids = np.arange(n_neurons) if neuron_ids is None else np.asarray(neuron_ids)
        if ids.shape != (n_neurons,):
            raise DatasetError(f"neuron_ids has shape {ids.shape}; expected ({n_neurons},), one id per neuron.")
        if region is not None and not isinstance(region, (int, np.integer)):
            raise DatasetError(f"region must be an int or None, got {region!r}.")
        if ground_truth is not None:
            if ground_truth.train_rates.shape != tr_resp.shape or ground_truth.test_rates.shape != te_resp.shape[1:]:
                raise DatasetError("ground_truth rates must match the shapes of train_responses and test_responses[0].")
        return cls(
            train_images=tr_img,
            train_responses=tr_resp,
            test_images=te_img,
            test_responses=te_resp,
            neuron_ids=ids,
            region=None if region is None else int(region),
            source=source,
            name=name,
            ground_truth=ground_truth,
            info=dict(info or {}),
        )

    # ------------------------------------------------------------------ shapes
    @property
    def n_train(self) -> int:
        return int(self.train_images.shape[0])

    # ------------------------------------------------------------------ splits & statistics
    def split_indices(self, val_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Seeded random split of the training images into (train_idx, val_idx)."""
        if not 0.0 < val_fraction < 1.0:
            raise DatasetError(f"val_fraction must be in (0, 1), got {val_fraction}.")
        n = self.n_train
        n_val = max(1, int(round(n * val_fraction)))
        if n_val >= n:
            raise DatasetError(f"val_fraction={val_fraction} leaves no training images out of {n}.")
        perm = np.random.default_rng(seed).permutation(n)
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])

    def normalization_stats(self, train_idx: np.ndarray | None = None) -> NormalizationStats:
        """Image and response statistics from the training split only (``train_idx``; all if None)."""
        idx = slice(None) if train_idx is None else np.asarray(train_idx)
        imgs = self.train_images[idx]
        resp = self.train_responses[idx]
        return NormalizationStats(
            image_mean=float(imgs.mean()),
            image_std=float(imgs.std() + 1e-8),
            response_mean=resp.mean(axis=0).astype(np.float32),
            response_std=(resp.std(axis=0) + 1e-8).astype(np.float32),
        )

    def subset_neurons(self, idx: Any) -> "NeuralDataset":
        """A copy holding only the neurons ``idx`` (indices or boolean mask) in the given order."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            if idx.shape != (self.n_neurons,):
                raise DatasetError(f"boolean neuron mask has shape {idx.shape}; expected ({self.n_neurons},).")
            idx = np.flatnonzero(idx)
        if idx.size == 0:
            raise DatasetError("subset_neurons got no neurons; select at least one.")
        if idx.min() < 0 or idx.max() >= self.n_neurons:
            raise DatasetError(f"neuron indices must be in [0, {self.n_neurons}); got {idx.min()}..{idx.max()}.")
        return replace(
            self,
            train_responses=self.train_responses[:, idx],
            test_responses=self.test_responses[:, :, idx],
            neuron_ids=self.neuron_ids[idx],
            ground_truth=None if self.ground_truth is None else self.ground_truth.subset_neurons(idx),
            info={**self.info, "neuron_subset": idx.tolist()},
        )

    def to_tensors(self, device: Any = "cpu") -> dict[str, Any]:
        """All arrays as float32 torch tensors on ``device`` (keys as the attribute names)."""
        import torch

        dev = torch.device(device)
        return {
            key: torch.as_tensor(getattr(self, key), dtype=torch.float32, device=dev)
            for key in ("train_images", "train_responses", "test_images", "test_responses")
        }

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        h, w = self.image_shape
        region = "-" if self.region is None else self.region
        gt = "yes" if self.ground_truth is not None else "no"
        return (
            f"NeuralDataset(name={self.name!r}, region={region}, source={self.source!r},\n"
            f"  train: {self.n_train} images {h}x{w}, responses {tuple(self.train_responses.shape)},\n"
            f"  test:  {self.n_test} images x {self.n_repeats} repeats, responses {tuple(self.test_responses.shape)},\n"
            f"  neurons={self.n_neurons}, ground_truth={gt})"
        )

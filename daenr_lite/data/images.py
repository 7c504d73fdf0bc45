"""Natural-image patches cut from the photographs bundled with scikit-image (no download needed).

Every patch is a square crop of a grayscale photograph, taken at a random scale and position, resized
to ``(height, width)``, contrast-stretched (nearly flat crops are redrawn), quantised to 8 bit and
divided by 255 — the same value grid
as the real Antolík et al. 2016 stimuli (8-bit crops of natural images).

Training and test patches never share pixels: every photograph is split into a training area (the left
part) and a test area (a vertical strip on the right, separated by a gap), and each crop lies wholly
inside one area. ``PatchSet.boxes`` records every crop so this can be checked.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["PHOTOGRAPHS", "PatchSet", "load_photograph", "sample_patches", "boxes_overlap"]

#: scikit-image photographs that ship inside the wheel (verified to load offline with skimage 0.2x).
#: Several other ``skimage.data`` images (brain, eagle, kidney, lily, skin, ...) need a download.
PHOTOGRAPHS: tuple[str, ...] = (
    "camera",
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "coins",
    "moon",
    "grass",
    "gravel",
    "brick",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "stereo_motorcycle",
    "clock",
    "cell",
)

#: fraction of each photograph's width (at the right) reserved for test patches
TEST_AREA_FRACTION = 0.22
#: pixels left unused between the training and the test area
AREA_GAP = 4
#: crop side lengths, as multiples of the output size (log-uniform between the two)
SCALE_RANGE = (1.0, 4.0)
#: percentiles mapped onto 0 and 1 by the contrast stretch
STRETCH_PERCENTILES = (1.0, 99.0)
#: crops whose (1st..99th percentile) intensity range is below this are nearly flat and redrawn
MIN_CONTRAST = 0.06
_MAX_TRIES = 1000


@dataclass(frozen=True)
class PatchSet:
    """Patches and where they came from.

    images : (patches, 1, H, W) float32 in [0, 1], multiples of 1/255.
    boxes : (patches, 4) int64 rows ``(photo_index, top, left, side)`` of the square crop.
    photos : names of the photographs indexed by ``boxes[:, 0]``.
    """

    images: np.ndarray
    boxes: np.ndarray
    photos: tuple[str, ...]


@lru_cache(maxsize=None)
def load_photograph(name: str) -> np.ndarray:
    """One bundled scikit-image photograph as a (rows, cols) float64 grayscale array in [0, 1]."""
    import skimage.data
    from skimage.color import rgb2gray

    if name not in PHOTOGRAPHS:
        raise ValueError(f"unknown photograph {name!r}; choose from {', '.join(PHOTOGRAPHS)}.")
    loader = getattr(skimage.data, name)
    image = loader()
    if isinstance(image, tuple):  # stereo_motorcycle returns (left, right, disparity)
        image = image[0]
    image = np.asarray(image)
    if image.ndim == 3:
        image = rgb2gray(image[..., :3])
    elif image.dtype == np.uint8:
        image = image / 255.0
    image = np.asarray(image, dtype=np.float64)
    image.setflags(write=False)
    return image


def _area(shape: tuple[int, int], split: str) -> tuple[int, int]:
    """Column range [start, stop) of the training or test area of a photograph of ``shape``."""
    cols = shape[1]
    test_start = int(round(cols * (1.0 - TEST_AREA_FRACTION)))
    if split == "train":
        return 0, test_start - AREA_GAP
    return test_start, cols


def _resize_stretch_quantise(crop: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray | None:
    """Resized, contrast-stretched, 8-bit-quantised patch; None for a nearly flat crop (no texture)."""
    from skimage.transform import resize

    small = resize(crop, out_shape, order=1, anti_aliasing=True, mode="reflect")
    lo, hi = np.percentile(small, STRETCH_PERCENTILES)
    if hi - lo < MIN_CONTRAST:
        return None
    stretched = np.clip((small - lo) / (hi - lo), 0.0, 1.0)
    return np.round(stretched * 255.0) / 255.0


def sample_patches(
    n_patches: int,
    split: str,
    rng: np.random.Generator,
    image_shape: tuple[int, int] = (31, 31),
    photos: tuple[str, ...] = PHOTOGRAPHS,
) -> PatchSet:
    """Cut ``n_patches`` random multi-scale patches from the ``split`` ("train" or "test") areas.

    Parameters
    ----------
    n_patches : number of patches.
    split : "train" (left part of every photograph) or "test" (right strip); the areas are disjoint.
    rng : random generator (the only source of randomness).
    image_shape : (H, W) of every patch; any size >= 4x4.

    Returns
    -------
    PatchSet with ``images`` (n_patches, 1, H, W).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    height, width = int(image_shape[0]), int(image_shape[1])
    if height < 4 or width < 4:
        raise ValueError(f"image_shape {image_shape} is too small; use at least (4, 4).")
    base = max(height, width)
    images = np.empty((n_patches, 1, height, width), dtype=np.float32)
    boxes = np.empty((n_patches, 4), dtype=np.int64)
    for i in range(n_patches):
        for _ in range(_MAX_TRIES):
            photo_index = int(rng.integers(0, len(photos)))
            photo = load_photograph(photos[photo_index])
            col0, col1 = _area(photo.shape, split)
            max_side = min(photo.shape[0], col1 - col0)
            scale = np.exp(rng.uniform(np.log(SCALE_RANGE[0]), np.log(SCALE_RANGE[1])))
            side = int(min(max_side, max(base, round(base * scale))))
            top = int(rng.random() * (photo.shape[0] - side + 1))
            left = col0 + int(rng.random() * (col1 - col0 - side + 1))
            patch = _resize_stretch_quantise(photo[top : top + side, left : left + side], (height, width))
            if patch is not None:
                break
        else:  # pragma: no cover - the bundled photographs have plenty of texture
            raise RuntimeError("could not find a textured patch; the photographs are too flat.")
        images[i, 0] = patch
        boxes[i] = (photo_index, top, left, side)
    return PatchSet(images=images, boxes=boxes, photos=tuple(photos))


def boxes_overlap(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) boolean matrix: do crop boxes ``(photo, top, left, side)`` share any pixel?"""
    a = np.asarray(boxes_a)[:, None, :]
    b = np.asarray(boxes_b)[None, :, :]
    same_photo = a[..., 0] == b[..., 0]
    rows = (a[..., 1] < b[..., 1] + b[..., 3]) & (b[..., 1] < a[..., 1] + a[..., 3])
    cols = (a[..., 2] < b[..., 2] + b[..., 3]) & (b[..., 2] < a[..., 2] + a[..., 3])
    return same_photo & rows & cols

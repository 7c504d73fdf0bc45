"""The real recordings: Antolík et al. 2016, mouse V1, three regions (PLoS Comput Biol S1, CC BY 4.0).

Files per region (in ``Data/region{r}/``; "validation" there means the held-out TEST set):

- ``training_inputs.npy``   (N, 961)  8-bit pixel values / 1e6  -> images (N, 1, 31, 31) in [0, 1]
- ``training_set.npy``      (N, neurons) single-trial responses
- ``validation_inputs.npy`` (50, 961) test images, same encoding
- ``raw_validation_set.npy`` (repeats, 50, neurons) every test presentation

Images are flattened row-major (``reshape(n, 31, 31)`` gives upright images).

``load_antolik2016(region, data_dir)`` needs all four files; :func:`load_antolik2016_test_set`
needs only the last three (the shared partial copy has no ``training_inputs.npy``) and returns a
:class:`RecordedTestSet`: test images and repeats plus the training responses, without training images.
Cite: Antolík J, Hofer SB, Bednar JA, Mrsic-Flogel TD (2016), PLoS Comput Biol 12(6): e1004927.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .dataset import DatasetError, NeuralDataset, TestSetShapes, _check_responses
from .paths import resolve_data_dir

__all__ = [
    "REGIONS",
    "MissingDataError",
    "RecordedTestSet",
    "find_antolik2016_folder",
    "load_antolik2016",
    "load_antolik2016_test_set",
]

REGIONS = (1, 2, 3)
IMAGE_SHAPE = (31, 31)
#: the files are stored as 8-bit values divided by this
_STORED_SCALE = 1e6
DOWNLOAD_COMMAND = "daenr-lite download antolik2016"
TRAIN_IMAGES = "training_inputs.npy"
TRAIN_RESPONSES = "training_set.npy"
TEST_IMAGES = "validation_inputs.npy"
TEST_RESPONSES = "raw_validation_set.npy"


class MissingDataError(DatasetError):
    """Data files are missing. ``missing`` lists their paths; the message says how to fetch them."""

    def __init__(self, message: str, missing: list[Path]):
        super().__init__(message)
        self.missing = list(missing)


@dataclass
class RecordedTestSet(TestSetShapes):
    """The parts of a recorded region that need no training images.

    test_images : (M, 1, 31, 31) float32 in [0, 1].
    test_responses : (repeats, M, neurons) float32.
    train_responses : (N, neurons) float32 single-trial responses (their images may be absent).
    neuron_ids : (neurons,) ints.
    """

    test_images: np.ndarray
    test_responses: np.ndarray
    train_responses: np.ndarray
    neuron_ids: np.ndarray
    region: int
    source: str = "antolik2016"
    name: str = "antolik2016"
    info: dict[str, Any] = field(default_factory=dict)


def _check_region(region: Any) -> int:
    if isinstance(region, bool) or not isinstance(region, (int, np.integer)) or int(region) not in REGIONS:
        raise DatasetError(f"region must be one of {list(REGIONS)} for 'antolik2016', got {region!r}.")
    return int(region)


def find_antolik2016_folder(data_dir: str | Path | None = None) -> Path:
    """The ``Data`` folder of the recordings.

    Accepts ``data_dir`` (default: :func:`default_data_dir`) as the daenr-lite data folder
    (``<data_dir>/antolik2016/Data``), a folder containing ``Data/`` (e.g. ``../shared/data/antolik2016_partial``),
    or the ``Data`` folder itself. Returns the first candidate that exists, else the standard location.
    """
    base = resolve_data_dir(data_dir)
    candidates = [base / "antolik2016" / "Data", base / "Data", base]
    for candidate in candidates:
        if any((candidate / f"region{r}").is_dir() for r in REGIONS):
            return candidate
    return candidates[0]


def _missing_message(region: int, folder: Path, missing: list[Path], data_dir: Any) -> str:
    names = "\n".join(f"  {p}" for p in missing)
    dest = "" if data_dir is None else f" --dest {data_dir}"
    text = (
        f"Antolík et al. 2016 region {region}: {len(missing)} file(s) missing in {folder}:\n{names}\n"
        f"Fetch the full data set with `{DOWNLOAD_COMMAND}{dest}` "
        f"(or `python -m daenr_lite.download antolik2016{dest}`)."
    )
    if missing and all(p.name == TRAIN_IMAGES for p in missing):
        text += (
            " Only the training images are missing (as in the partial shared copy): for the test set and the "
            f"training responses use daenr_lite.data.load_antolik2016_test_set(region={region}, data_dir=...)."
        )
    return text


def _load_npy(path: Path) -> np.ndarray:
    """``np.load(path)``; a DatasetError naming the file when it is not a readable numeric .npy array."""
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise DatasetError(
            f"{path} is not a readable .npy array ({type(exc).__name__}: {exc}); the file is damaged or not from "
            f"the Antolík et al. 2016 data set. Re-download with `{DOWNLOAD_COMMAND} --force`."
        ) from exc
    if not isinstance(arr, np.ndarray) or not np.issubdtype(arr.dtype, np.number):
        raise DatasetError(
            f"{path} does not hold a numeric array (got {getattr(arr, 'dtype', type(arr).__name__)}); "
            f"re-download with `{DOWNLOAD_COMMAND} --force`."
        )
    return arr


def _load_images(path: Path) -> np.ndarray:
    flat = _load_npy(path)
    if flat.ndim != 2 or flat.shape[1] != IMAGE_SHAPE[0] * IMAGE_SHAPE[1]:
        raise DatasetError(f"{path} has shape {flat.shape}; expected (images, {IMAGE_SHAPE[0] * IMAGE_SHAPE[1]}).")
    if not np.all(np.isfinite(flat)):
        raise DatasetError(
            f"{path} contains {int((~np.isfinite(flat)).sum())} NaN/inf pixel values; the file is not the original "
            f"Antolík et al. 2016 image file. Re-download with `{DOWNLOAD_COMMAND} --force`."
        )
    values = flat * _STORED_SCALE  # back to the 0..255 grid
    if np.abs(values - np.round(values)).max() > 1e-4 or values.min() < -1e-6 or values.max() > 255 + 1e-4:
        raise DatasetError(
            f"{path} does not hold 8-bit values / 1e6 (range {flat.min():.3g}..{flat.max():.3g}); "
            "the file is not the original Antolík et al. 2016 image file. Re-download with --force."
        )
    images = (np.round(values) / 255.0).astype(np.float32)
    return images.reshape(len(flat), 1, *IMAGE_SHAPE)  # row-major: upright images


def _verify(folder: Path, rel_paths: list[str]) -> None:
    from ..download.checksums import ANTOLIK2016_CHECKSUMS, verify_files

    problems = verify_files(folder, ANTOLIK2016_CHECKSUMS, only=[p for p in rel_paths if p in ANTOLIK2016_CHECKSUMS])
    if problems:
        listing = "\n".join(f"  {rel}: {why}" for rel, why in sorted(problems.items()))
        raise DatasetError(
            f"Antolík et al. 2016 files in {folder} do not match their published checksums:\n{listing}\n"
            f"Re-download them with `{DOWNLOAD_COMMAND} --force`, or pass verify=False to load them anyway."
        )


def _absent_folder_message(base: Path, data_dir: Any) -> str:
    if data_dir is None:
        return (
            f"Antolík et al. 2016: the daenr-lite data folder {base} does not exist yet, so the recordings were "
            f"never downloaded there. Fetch them with `{DOWNLOAD_COMMAND}`, or pass data_dir= (or set "
            "DAENR_DATA_DIR to) the folder that holds them."
        )
    where = "" if base.is_absolute() else f" (a relative path, resolved from {Path.cwd()} to {base.resolve()})"
    return (
        f"Antolík et al. 2016: the data folder {base} does not exist{where}. Pass the folder that holds the "
        "recordings (`../shared/...` is the course's shared folder beside a checkout, which your machine may "
        f"not have), or fetch them with `{DOWNLOAD_COMMAND} --dest DIR` and pass data_dir=DIR."
    )


def _paths(region: int, data_dir: Any, names: list[str], verify: bool) -> dict[str, Path]:
    base = resolve_data_dir(data_dir)
    if not base.is_dir():
        raise MissingDataError(_absent_folder_message(base, data_dir), [base])
    folder = find_antolik2016_folder(data_dir)
    paths = {name: folder / f"region{region}" / name for name in names}
    missing = [p for p in paths.values() if not p.is_file()]
    if missing:
        raise MissingDataError(_missing_message(region, folder, missing, data_dir), missing)
    if verify:
        _verify(folder, [f"region{region}/{name}" for name in names])
    return paths


def _load_test_parts(paths: dict[str, Path], region: int) -> dict[str, Any]:
    test_images = _load_images(paths[TEST_IMAGES])
    test_responses = _load_npy(paths[TEST_RESPONSES]).astype(np.float32)
    train_responses = _load_npy(paths[TRAIN_RESPONSES]).astype(np.float32)
    if test_responses.ndim != 3 or test_responses.shape[1] != len(test_images):
        raise DatasetError(
            f"{paths[TEST_RESPONSES]} has shape {test_responses.shape}; expected (repeats, {len(test_images)}, neurons)."
        )
    if train_responses.ndim != 2 or train_responses.shape[1] != test_responses.shape[2]:
        raise DatasetError(
            f"{paths[TRAIN_RESPONSES]} has shape {train_responses.shape}; expected (images, {test_responses.shape[2]})."
        )
    _check_responses(str(paths[TRAIN_RESPONSES]), train_responses)
    _check_responses(str(paths[TEST_RESPONSES]), test_responses)
    return {
        "test_images": test_images,
        "test_responses": test_responses,
        "train_responses": train_responses,
        "neuron_ids": np.arange(test_responses.shape[2]),
        "region": region,
        "info": {"folder": str(paths[TEST_IMAGES].parent), "citation": CITATION},
    }


CITATION = (
    "Antolík J, Hofer SB, Bednar JA, Mrsic-Flogel TD (2016). Model Constrained by Visual Hierarchy Improves "
    "Prediction of Neural Responses to Natural Scenes. PLoS Comput Biol 12(6): e1004927. CC BY 4.0."
)


def load_antolik2016_test_set(region: int = 1, data_dir: str | Path | None = None, verify: bool = True) -> RecordedTestSet:
    """Test images + repeats and training responses of a recorded region (training images not needed).

    Parameters
    ----------
    region : 1, 2 or 3.
    data_dir : see :func:`find_antolik2016_folder`.
    verify : check the files' SHA-256 against the published checksums (fast: < 0.1 s).
    """
    region = _check_region(region)
    paths = _paths(region, data_dir, [TRAIN_RESPONSES, TEST_IMAGES, TEST_RESPONSES], verify)
    return RecordedTestSet(**_load_test_parts(paths, region))


def load_antolik2016(region: int = 1, data_dir: str | Path | None = None, verify: bool = True) -> NeuralDataset:
    """A recorded region as a :class:`NeuralDataset` (``ground_truth`` is None).

    Raises :class:`MissingDataError` naming every missing file and the command that fetches them.
    """
    region = _check_region(region)
    paths = _paths(region, data_dir, [TRAIN_IMAGES, TRAIN_RESPONSES, TEST_IMAGES, TEST_RESPONSES], verify)
    parts = _load_test_parts(paths, region)
    train_images = _load_images(paths[TRAIN_IMAGES])
    return NeuralDataset.from_arrays(
        train_images,
        parts["train_responses"],
        parts["test_images"],
        parts["test_responses"],
        neuron_ids=parts["neuron_ids"],
        region=region,
        source="antolik2016",
        name=f"antolik2016-region{region}",
        info=parts["info"],
    )

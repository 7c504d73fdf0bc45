"""The simulated default dataset: real photographs, a V1-like population, calibrated noise.

``load_dataset("simulated", region=r, seed=s)`` mirrors the layout of the real Antolík et al. 2016
region ``r`` (neurons, training images, test images x repeats) and its response statistics
(:mod:`daenr_lite.data.calibration`), and adds the ground truth (noise-free rates, filters, parameters).

Pipeline (all seeded by ``(seed, region)``):

1. images — :mod:`daenr_lite.data.images`: multi-scale crops of bundled scikit-image photographs,
   test crops from areas disjoint from the training crops. Regions 1 and 2 share their test images
   (as in the recordings: same animal).
2. neurons — :mod:`daenr_lite.data.neurons`: simple and complex Gabor cells, noise-free rates.
3. noise — :mod:`daenr_lite.data.noise`: zero-inflated gamma single trials.

That is generator v1, the default. ``generator="2"`` (:mod:`daenr_lite.data.generator_v2`) adds shared
trial-to-trial variability, heterogeneous reliability, two-subunit receptive fields, divisive normalization,
a large-field oriented contrast response and test images with the real contrast and spectrum, calibrated on
the statistics of :mod:`daenr_lite.data.realism` (:data:`~daenr_lite.data.calibration.CALIBRATED_V2`).

Results are cached as ``<data_dir>/simulated/region{r}_seed{s}_<key>.npz`` where ``key`` hashes the
generator version, the source of the generator modules, the calibrated parameters and the options, so
any change to the generator invalidates old files. Each file also stores ``content_sha256``, a SHA-256
over every array's name, dtype, shape and bytes, checked on load, so an edited file is not trusted.
Files are written atomically with the permissions of an ordinary file (``0o666`` minus the umask, so a
cache shared by a course's group stays readable) and re-generated when unreadable or inconsistent.
"""
from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from . import generator_v2 as _v2
from . import images as _images
from . import neurons as _neurons
from . import noise as _noise
from . import realism as _realism
from .._atomic import atomic_write
from ..config import simulated_generator
from .calibration import CALIBRATED, CALIBRATED_V2, RegionParams
from .dataset import DatasetError, GroundTruth, NeuralDataset

__all__ = ["GENERATOR_VERSION", "GENERATOR_VERSIONS", "check_generator", "REGION_LAYOUTS", "region_layout", "simulate_region", "load_simulated", "cache_path"]

#: bump when the generator changes in a way the source hash would not catch
GENERATOR_VERSION = "1"
#: the generators ``simulate_region`` / ``load_simulated`` know (``generator=``); the default is ``config.DEFAULT_GENERATOR``
GENERATOR_VERSIONS: tuple[str, ...] = ("1", "2")

#: per region: neurons, training images, test repeats (test images: 50), as in the recordings
REGION_LAYOUTS: dict[int, dict[str, int]] = {
    1: {"n_neurons": 103, "n_train": 1800, "n_test": 50, "n_repeats": 10},
    2: {"n_neurons": 55, "n_train": 1260, "n_test": 50, "n_repeats": 8},
    3: {"n_neurons": 102, "n_train": 1800, "n_test": 50, "n_repeats": 12},
}
#: regions recorded in the same animal share their test images
_ANIMAL = {1: 0, 2: 0, 3: 1}


def check_generator(generator: Any) -> str:
    """The generator version as a string (``1`` / ``"1"`` / ``"2"``); a clear error for anything else."""
    text = str(generator).strip()
    if isinstance(generator, bool) or text not in GENERATOR_VERSIONS:
        raise DatasetError(
            f"unknown simulated-data generator {generator!r}; choose one of {', '.join(GENERATOR_VERSIONS)} "
            '("2" is the realism-calibrated one and the default, "1" the first, kept for reproducing older results).'
        )
    return text


def region_layout(region: int) -> dict[str, int]:
    """The real layout of ``region`` (1, 2 or 3): n_neurons, n_train, n_test, n_repeats."""
    if region not in REGION_LAYOUTS:
        raise DatasetError(f"region must be one of {sorted(REGION_LAYOUTS)} for 'simulated', got {region!r}.")
    return dict(REGION_LAYOUTS[region])


def _image_shape(image_size: Any) -> tuple[int, int]:
    if isinstance(image_size, (int, np.integer)):
        shape = (int(image_size), int(image_size))
    else:
        try:
            shape = tuple(int(v) for v in image_size)
        except TypeError:
            shape = ()
    if len(shape) != 2 or min(shape) < 4:
        raise DatasetError(f"image_size must be an int or (height, width) with both >= 4, got {image_size!r}.")
    return shape  # type: ignore[return-value]


def simulate_noise_free(
    region: int,
    seed: int,
    image_shape: tuple[int, int] = (31, 31),
    log_mean_rate: tuple[float, float] | None = None,
    n_neurons: int | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
) -> dict[str, Any]:
    """Images, population and mean-1 tuning (before baseline and noise) of one simulated region.

    Returns a dict with ``train`` / ``test`` (PatchSet), ``population``, ``train_tuning`` (N, neurons),
    ``test_tuning`` (M, neurons).
    """
    layout = region_layout(region)
    n_neurons = layout["n_neurons"] if n_neurons is None else int(n_neurons)
    n_train = layout["n_train"] if n_train is None else int(n_train)
    n_test = layout["n_test"] if n_test is None else int(n_test)
    for label, value in (("n_neurons", n_neurons), ("n_train", n_train), ("n_test", n_test)):
        if value < 1:
            raise DatasetError(f"{label} must be >= 1, got {value}.")
    if log_mean_rate is None:
        params = CALIBRATED[region]
        log_mean_rate = (params.log_mean_rate_mean, params.log_mean_rate_sd)
    train_rng = np.random.default_rng([seed, region, 1])
    test_rng = np.random.default_rng([seed, 100 + _ANIMAL[region], 2])
    pop_rng = np.random.default_rng([seed, region, 3])
    train = _images.sample_patches(n_train, "train", train_rng, image_shape)
    test = _images.sample_patches(n_test, "test", test_rng, image_shape)
    pop = _neurons.sample_population(n_neurons, image_shape, pop_rng, log_mean_rate)
    train_drive = _neurons.drives(pop, train.images)
    test_drive = _neurons.drives(pop, test.images)
    return {
        "train": train,
        "test": test,
        "population": pop,
        "train_tuning": _neurons.tuning(train_drive, train_drive),
        "test_tuning": _neurons.tuning(test_drive, train_drive),
    }


def noise_draws(
    region: int, seed: int, train_shape: tuple[int, int], test_shape: tuple[int, int, int]
) -> tuple[_noise.NoiseDraws, _noise.NoiseDraws]:
    """The random numbers behind the training (N, neurons) and test (repeats, M, neurons) noise."""
    rng = np.random.default_rng([seed, region, 4])
    return _noise.draw_noise(train_shape, rng), _noise.draw_noise(test_shape, rng)


def _generator_for(params: RegionParams | _v2.V2Params | None, generator: str | None) -> str:
    """The generator to run: ``generator`` if given, else the one ``params`` belongs to, else the configured one.

    Raises DatasetError when ``params`` belong to the other generator than the one asked for.
    """
    owner = {RegionParams: "1", _v2.V2Params: "2"}.get(type(params))
    if params is not None and owner is None:
        raise DatasetError(
            f"params must be RegionParams (generator '1') or V2Params (generator '2'), got {type(params).__name__}."
        )
    if generator is None:
        return check_generator(owner or simulated_generator())
    generator = check_generator(generator)
    if owner is not None and owner != generator:
        raise DatasetError(
            f"params are {type(params).__name__}, which belong to generator '{owner}', but generator='{generator}' "
            f"was asked for; pass generator='{owner}' (or leave it out), or parameters of generator '{generator}'."
        )
    return generator


def simulate_region(
    region: int = 1,
    seed: int = 0,
    image_size: int | tuple[int, int] = (31, 31),
    n_neurons: int | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    n_repeats: int | None = None,
    params: RegionParams | _v2.V2Params | None = None,
    generator: str | None = None,
) -> NeuralDataset:
    """Generate one simulated region (no caching; see :func:`load_simulated`).

    Parameters
    ----------
    region : 1, 2 or 3 — layout and calibrated statistics of that real region.
    seed : same seed -> identical arrays.
    image_size : int or (H, W); 31 like the recordings.
    n_neurons, n_train, n_test, n_repeats : override the region's layout (e.g. smaller for tests).
    params : override the calibrated parameters: :class:`RegionParams` for generator "1",
        :class:`~daenr_lite.data.generator_v2.V2Params` for generator "2".
    generator : "1" or "2" (:mod:`daenr_lite.data.generator_v2`); ``None``: the one ``params`` belongs to, else
        :func:`daenr_lite.config.simulated_generator` (``$DAENR_GENERATOR``, else
        :data:`~daenr_lite.config.DEFAULT_GENERATOR`).

    Returns
    -------
    NeuralDataset with ``ground_truth`` and ``info["patch_boxes"]`` / ``info["photos"]``.
    """
    generator = _generator_for(params, generator)
    shape = _image_shape(image_size)
    layout = region_layout(region)
    n_repeats = layout["n_repeats"] if n_repeats is None else int(n_repeats)
    if n_repeats < 1:
        raise DatasetError(f"n_repeats must be >= 1, got {n_repeats}.")
    if generator == "2":
        return _simulate_region_v2(region, seed, shape, n_neurons, n_train, n_test, n_repeats, params)
    params = CALIBRATED[region] if params is None else params
    truth = simulate_noise_free(
        region, seed, shape, (params.log_mean_rate_mean, params.log_mean_rate_sd), n_neurons, n_train, n_test
    )
    pop = truth["population"]
    train_rates = _neurons.noise_free_rates(pop, truth["train_tuning"], params.baseline)
    test_rates = _neurons.noise_free_rates(pop, truth["test_tuning"], params.baseline)
    train_draws, test_draws = noise_draws(region, seed, train_rates.shape, (n_repeats,) + test_rates.shape)
    train_responses = _noise.zero_inflated_gamma(train_rates, params.event_scale, train_draws)
    test_responses = _noise.zero_inflated_gamma(test_rates, params.event_scale, test_draws)
    ground_truth = GroundTruth(
        train_rates=train_rates.astype(np.float32),
        test_rates=test_rates.astype(np.float32),
        filters=_neurons.gabor_filters(pop, shape).astype(np.float32),
        params={k: np.asarray(v) for k, v in pop.params().items()},
    )
    return NeuralDataset.from_arrays(
        truth["train"].images,
        train_responses,
        truth["test"].images,
        test_responses,
        region=region,
        source="simulated",
        name=f"simulated-region{region}",
        ground_truth=ground_truth,
        info={
            "seed": int(seed),
            "params": params.as_dict(),
            "photos": list(truth["train"].photos),
            "train_patch_boxes": truth["train"].boxes,
            "test_patch_boxes": truth["test"].boxes,
            "generator_version": GENERATOR_VERSION,
        },
    )


def _simulate_region_v2(
    region: int,
    seed: int,
    shape: tuple[int, int],
    n_neurons: int | None,
    n_train: int | None,
    n_test: int | None,
    n_repeats: int,
    params: Any,
) -> NeuralDataset:
    """Generator v2 (:mod:`daenr_lite.data.generator_v2`) behind :func:`simulate_region`."""
    layout = region_layout(region)
    params = CALIBRATED_V2[region] if params is None else params
    if not isinstance(params, _v2.V2Params):
        raise DatasetError(f"generator 2 needs V2Params, got {type(params).__name__}; pass params=None for the calibrated ones.")
    sizes = {
        "n_neurons": layout["n_neurons"] if n_neurons is None else int(n_neurons),
        "n_train": layout["n_train"] if n_train is None else int(n_train),
        "n_test": layout["n_test"] if n_test is None else int(n_test),
    }
    for label, value in sizes.items():
        if value < 1:
            raise DatasetError(f"{label} must be >= 1, got {value}.")
    parts = _v2.simulate_parts(region, seed, _ANIMAL[region], shape, sizes["n_neurons"], sizes["n_train"], sizes["n_test"], params)
    draws = _v2.draws_for(
        region, seed, (sizes["n_train"], sizes["n_neurons"]), (n_repeats, sizes["n_test"], sizes["n_neurons"])
    )
    out = _v2.responses(parts, draws, params)
    pop, extras = parts["population"], parts["extras"]
    truth_params = {k: np.asarray(v) for k, v in pop.params().items()}
    truth_params.update(_v2.extra_params(extras, params))
    ground_truth = GroundTruth(
        train_rates=out["train_rates"].astype(np.float32),
        test_rates=out["test_rates"].astype(np.float32),
        filters=_neurons.gabor_filters(pop, shape).astype(np.float32),
        params=truth_params,
    )
    return NeuralDataset.from_arrays(
        parts["train_images"],
        out["train_responses"],
        parts["test_images"],
        out["test_responses"],
        region=region,
        source="simulated",
        name=f"simulated-region{region}",
        ground_truth=ground_truth,
        info={
            "seed": int(seed),
            "params": params.as_dict(),
            "photos": list(parts["train"].photos),
            "train_patch_boxes": parts["train"].boxes,
            "test_patch_boxes": parts["test"].boxes,
            "generator_version": "2",
        },
    )


# ---------------------------------------------------------------------------------------------- cache
def _source_digest(generator: str = GENERATOR_VERSION) -> str:
    digest = hashlib.sha256()
    modules = (_images, _neurons, _noise) if generator == "1" else (_images, _neurons, _noise, _v2, _realism)
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _cache_key(
    region: int, seed: int, options: dict[str, Any], params: Any, generator: str = GENERATOR_VERSION
) -> str:
    payload = json.dumps(
        {
            "version": GENERATOR_VERSION if generator == "1" else generator,
            "source": _source_digest(generator),
            "numpy": np.__version__.split(".")[0],
            "region": region,
            "seed": seed,
            "options": options,
            "params": params.as_dict(),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def cache_path(data_dir: str | Path, region: int, seed: int, key: str) -> Path:
    """Where the cache file of one simulated region lives."""
    return Path(data_dir) / "simulated" / f"region{region}_seed{seed}_{key}.npz"


_PARAM_PREFIX = "param__"


_CONTENT_HASH = "content_sha256"


def _content_digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the name, dtype, shape and bytes of every array (in name order)."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        if name == _CONTENT_HASH:
            continue
        arr = np.ascontiguousarray(arrays[name])
        digest.update(f"\0{name}\0{arr.dtype.str}\0{arr.shape}\0".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def _save(path: Path, dataset: NeuralDataset, key: str) -> None:
    gt = dataset.ground_truth
    assert gt is not None
    arrays = {
        "cache_key": np.array(key),
        "train_images": np.round(dataset.train_images * 255).astype(np.uint8),
        "test_images": np.round(dataset.test_images * 255).astype(np.uint8),
        "train_responses": dataset.train_responses,
        "test_responses": dataset.test_responses,
        "train_rates": gt.train_rates,
        "test_rates": gt.test_rates,
        "filters": gt.filters,
        "train_patch_boxes": dataset.info["train_patch_boxes"],
        "test_patch_boxes": dataset.info["test_patch_boxes"],
        "photos": np.array(dataset.info["photos"]),
        "info_params": np.array(json.dumps(dataset.info["params"])),
        **{_PARAM_PREFIX + k: np.asarray(v) for k, v in gt.params.items()},
    }
    arrays = {name: np.asarray(value) for name, value in arrays.items()}
    arrays[_CONTENT_HASH] = np.array(_content_digest(arrays))
    atomic_write(path, lambda handle: np.savez(handle, **arrays))  # umask-respecting, never half-written


def _load(path: Path, key: str, region: int, seed: int, generator: str = GENERATOR_VERSION) -> NeuralDataset:
    with np.load(path, allow_pickle=False) as z:
        if str(z["cache_key"]) != key:
            raise ValueError("cache key mismatch")
        data = {name: z[name] for name in z.files}  # reading every member checks its CRC
    if _CONTENT_HASH not in data or str(data[_CONTENT_HASH]) != _content_digest(data):
        raise ValueError("content hash mismatch: the arrays were changed after the file was written")
    params = {k[len(_PARAM_PREFIX) :]: v for k, v in data.items() if k.startswith(_PARAM_PREFIX)}
    gt = GroundTruth(
        train_rates=data["train_rates"], test_rates=data["test_rates"], filters=data["filters"], params=params
    )
    return NeuralDataset.from_arrays(
        data["train_images"].astype(np.float32) / 255.0,
        data["train_responses"],
        data["test_images"].astype(np.float32) / 255.0,
        data["test_responses"],
        region=region,
        source="simulated",
        name=f"simulated-region{region}",
        ground_truth=gt,
        info={
            "seed": int(seed),
            "params": json.loads(str(data["info_params"])),
            "photos": [str(p) for p in data["photos"]],
            "train_patch_boxes": data["train_patch_boxes"],
            "test_patch_boxes": data["test_patch_boxes"],
            "generator_version": generator,
        },
    )


def load_simulated(
    region: int = 1,
    seed: int = 0,
    data_dir: str | Path | None = None,
    cache: bool = True,
    image_size: int | tuple[int, int] = (31, 31),
    n_neurons: int | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    n_repeats: int | None = None,
    generator: str | None = None,
) -> NeuralDataset:
    """:func:`simulate_region`, cached on disk under ``<data_dir>/simulated/`` (``cache=False`` bypasses).

    generator : "1" or "2" (:mod:`daenr_lite.data.generator_v2`), ``None`` as :func:`simulate_region`; each
        generator has its own cache files.
    """
    generator = check_generator(simulated_generator() if generator is None else generator)
    region_layout(region)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise DatasetError(f"seed must be a non-negative int, got {seed!r}.")
    seed = int(seed)
    options = {
        "image_size": list(_image_shape(image_size)),
        "n_neurons": n_neurons,
        "n_train": n_train,
        "n_test": n_test,
        "n_repeats": n_repeats,
    }

    def generate() -> NeuralDataset:
        return simulate_region(region, seed, image_size, n_neurons, n_train, n_test, n_repeats, generator=generator)

    if not cache:
        return generate()
    from .paths import resolve_data_dir

    params = CALIBRATED[region] if generator == "1" else CALIBRATED_V2[region]
    key = _cache_key(region, seed, options, params, generator)
    path = cache_path(resolve_data_dir(data_dir), region, seed, key)
    if path.exists():
        try:
            dataset = _load(path, key, region, seed, generator)
            dataset.info["cache_file"] = str(path)
            return dataset
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # DatasetError is a ValueError
            warnings.warn(f"simulated-data cache file {path} is unreadable ({exc}); regenerating it.", stacklevel=2)
    dataset = generate()
    try:
        _save(path, dataset, key)
        dataset.info["cache_file"] = str(path)
    except OSError as exc:
        warnings.warn(
            f"could not write the simulated-data cache {path} ({exc}); continuing without a cache. "
            "Set DAENR_DATA_DIR or data_dir= to a writable folder.",
            stacklevel=2,
        )
    return dataset

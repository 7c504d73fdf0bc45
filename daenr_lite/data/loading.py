"""``load_dataset``: the one entry point to every dataset daenr-lite knows."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .dataset import DatasetError, NeuralDataset

__all__ = ["load_dataset", "available_datasets"]

_DATASETS: dict[str, dict[str, Any]] = {
    "simulated": {
        "regions": (1, 2, 3),
        "description": "natural-image patches (scikit-image photographs) and a simulated V1 population with "
        "ground truth, calibrated to the real regions; generated locally and cached",
    },
    "antolik2016": {
        "regions": (1, 2, 3),
        "description": "Antolík et al. 2016 mouse V1 two-photon recordings (real); fetch with "
        "`daenr-lite download antolik2016`",
    },
}


def available_datasets() -> dict[str, dict[str, Any]]:
    """``{name: {"regions": (...), "description": str}}`` of every dataset :func:`load_dataset` accepts."""
    return {name: dict(entry) for name, entry in _DATASETS.items()}


def _choices() -> str:
    return "; ".join(f"{name!r} (regions {', '.join(map(str, e['regions']))})" for name, e in _DATASETS.items())


def load_dataset(
    name: str = "simulated",
    region: int = 1,
    data_dir: str | Path | None = None,
    seed: int = 0,
    **kwargs: Any,
) -> NeuralDataset:
    """Load a dataset by name.

    Parameters
    ----------
    name : "simulated" (default; generated locally, with ground truth) or "antolik2016" (real recordings).
    region : 1, 2 or 3 (the recorded regions; the simulation copies their layout and statistics).
    data_dir : data folder; default ``$DAENR_DATA_DIR``, else the user cache dir (:func:`default_data_dir`).
        For "antolik2016" it may also be a folder containing ``Data/`` (e.g. ``../shared/data/antolik2016_partial``).
    seed : simulation seed (ignored for real data).
    **kwargs : "simulated": ``cache=True``, ``image_size=(31, 31)``, ``n_neurons``, ``n_train``, ``n_test``,
        ``n_repeats`` (override the layout), ``generator="1"`` (or ``"2"``, :mod:`daenr_lite.data.generator_v2`); "antolik2016": ``verify=True`` (check SHA-256 checksums).

    Returns
    -------
    NeuralDataset: ``train_images (N, 1, H, W)``, ``train_responses (N, neurons)``,
    ``test_images (M, 1, H, W)``, ``test_responses (repeats, M, neurons)``.

    Raises
    ------
    DatasetError : unknown name, region or option; MissingDataError (a DatasetError) when real files are missing.
    """
    key = str(name).strip().lower() if isinstance(name, str) else name
    if key not in _DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of: {_choices()}.")
    regions = _DATASETS[key]["regions"]
    if isinstance(region, bool) or not isinstance(region, int) or region not in regions:
        try:
            region_ok = not isinstance(region, bool) and int(region) == region and int(region) in regions
        except (TypeError, ValueError):
            region_ok = False
        if not region_ok:
            raise DatasetError(f"unknown region {region!r} for {key!r}; choose one of {list(regions)}.")
        region = int(region)
    if key == "simulated":
        allowed = {"cache", "image_size", "n_neurons", "n_train", "n_test", "n_repeats", "generator"}
        _check_kwargs(key, kwargs, allowed)
        from .simulated import load_simulated

        return load_simulated(region=region, seed=seed, data_dir=data_dir, **kwargs)
    _check_kwargs(key, kwargs, {"verify"})
    from .antolik2016 import load_antolik2016

    return load_antolik2016(region=region, data_dir=data_dir, **kwargs)


def _check_kwargs(name: str, kwargs: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise DatasetError(
            f"unknown option(s) {', '.join(unknown)} for {name!r}; valid options: {', '.join(sorted(allowed))}."
        )

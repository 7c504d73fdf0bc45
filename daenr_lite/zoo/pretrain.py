"""`pretrain` (the paper's grid of models per region and seed) and `load_pretrained`."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Sequence

from torch import nn

from ..config import ModelConfig, TrainConfig
from ..models.registry import model_spec
from .recipe import Recipe
from .store import SHIPPED_ZOO_DIR, ModelStore, read_entries

__all__ = ["grid_recipes", "pretrain", "load_pretrained", "available_pretrained"]

#: the models of one (region, seed) cell of the grid, in training order (probes after their DAE)
GRID_MODELS: tuple[str, ...] = (
    "dae", "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4", "cnn_fr",
    "dae_probe_1", "dae_probe_2", "dae_probe_3", "dae_probe_4",
)


def grid_recipes(
    dataset: str = "simulated",
    regions: Sequence[int] = (1, 2, 3),
    seeds: Sequence[int] = (0, 1, 2),
    models: Sequence[str] = GRID_MODELS,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
) -> list[Recipe]:
    """Recipes of the pretrained grid: for each region and seed (data seed = training seed), every model.

    The defaults (:class:`~daenr_lite.ModelConfig`, :class:`~daenr_lite.TrainConfig`) are the full training
    settings. On the simulated data, seed ``s`` means a different simulated population *and* a different
    initialisation, so the spread over seeds covers both.
    """
    mcfg, tcfg = model_config or ModelConfig(), train_config or TrainConfig()
    names = [model_spec(m).name for m in models]
    return [Recipe(name, dataset, region, data_seed=seed, seed=seed, model_config=mcfg, train_config=tcfg)
            for seed in seeds for region in regions for name in names]


def pretrain(
    dataset: str = "simulated",
    regions: Sequence[int] = (1, 2, 3),
    seeds: Sequence[int] = (0, 1, 2),
    *,
    models: Sequence[str] = GRID_MODELS,
    output: str | os.PathLike[str] | None = None,
    device: Any = None,
    data_dir: str | os.PathLike[str] | None = None,
    float16: bool = False,
    train_config: TrainConfig | None = None,
    progress: bool = True,
) -> ModelStore:
    """Train the grid into ``output`` (default: the user cache, ``<data dir>/models``) and write its manifest.

    Resumable: models already in ``output`` are skipped (checked against their sha256), so an interrupted run
    loses at most the model in progress. Returns the store (``store.log`` says what was trained, and how long).
    """
    from tqdm.auto import tqdm

    store = ModelStore(output, zoo_dirs=[], device=device, data_dir=data_dir, float16=float16, progress=False)
    recipes = grid_recipes(dataset, regions, seeds, models, train_config=train_config)
    bar = tqdm(recipes, desc=f"pretrain {dataset}", unit="model", disable=not progress)
    try:
        for recipe in bar:
            bar.set_postfix_str(f"{recipe.model} r{recipe.region} s{recipe.seed}")
            start = time.perf_counter()
            before = store.n_trained
            store.get(recipe)
            if progress and store.n_trained > before:
                bar.write(f"trained {recipe.describe()} in {time.perf_counter() - start:.1f} s")
    finally:
        bar.close()
        store.write_manifest()
    return store


def available_pretrained(dataset: str = "simulated", zoo_dirs: Sequence[Path] | None = None) -> list[dict[str, Any]]:
    """One dict per stored grid model with default settings (what :func:`load_pretrained` finds): ``name``,
    ``dataset``, ``region``, ``seed``."""
    found = set()
    for folder in zoo_dirs if zoo_dirs is not None else [SHIPPED_ZOO_DIR]:
        for entry in read_entries(Path(folder)).values():
            r = entry["recipe"]
            default = Recipe(r["model"], r["dataset"], r["region"], data_seed=r["seed"], seed=r["seed"])
            if r["dataset"] == dataset and default.to_dict() == r:
                found.add((r["model"], r["region"], r["seed"]))
    return [{"name": n, "dataset": dataset, "region": reg, "seed": s} for n, reg, s in sorted(found)]


def load_pretrained(
    name: str,
    region: int = 1,
    seed: int = 0,
    dataset: str = "simulated",
    *,
    store: ModelStore | None = None,
) -> nn.Module:
    """A converged model of the pretrained grid, ready for :func:`~daenr_lite.predict` / :func:`~daenr_lite.evaluate`.

    Parameters
    ----------
    name : ``"dae"``, ``"cnn_fr"``, ``"dae_nr_1"``..``"dae_nr_4"``, ``"dae_probe_1"``..``"dae_probe_4"``
        (a readout trained on the frozen DAE's layer h_i).
    region, seed : grid cell (on simulated data the seed is both the data seed and the training seed).
    dataset : ``"simulated"`` (shipped with the package) or ``"antolik2016"`` (after ``daenr-lite pretrain
        --dataset antolik2016``, from the user cache).
    store : where to look (default: the shipped zoo, then the user cache; never trains).
    """
    recipe = Recipe(model_spec(name).name, dataset, int(region), data_seed=int(seed), seed=int(seed))
    lookup = store or ModelStore(train=False, progress=False)
    try:
        return lookup.get(recipe)
    except LookupError:
        available = available_pretrained(dataset, lookup.zoo_dirs + [lookup.cache_dir])
        cells = sorted({(d["region"], d["seed"]) for d in available})
        listing = ", ".join(f"region {r} seed {s}" for r, s in cells) or "none"
        raise LookupError(
            f"no pretrained {model_spec(name).display} for {dataset} region {region} seed {seed}. Available for "
            f"{dataset}: {listing}. Train it with `daenr-lite pretrain --dataset {dataset} --regions {region} --seeds {seed}`."
        ) from None

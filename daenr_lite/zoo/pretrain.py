"""`pretrain` (the paper's grid of models per region and seed) and `load_pretrained`."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from torch import nn

from ..config import ZOO_SEEDS, ModelConfig, TrainConfig
from ..models.registry import model_spec
from ..reference import TABLE2_REGION
from .recipe import Recipe, whole_number
from .store import SHIPPED_ZOO_DIR, ModelStore, read_entries

__all__ = ["grid_recipes", "pretrain", "log_summary", "auto_jobs", "table2_entries", "load_pretrained", "available_pretrained"]

#: the models of one (region, seed) cell of the grid, in training order (probes after their DAE)
GRID_MODELS: tuple[str, ...] = (
    "dae", "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4", "cnn_fr",
    "dae_probe_1", "dae_probe_2", "dae_probe_3", "dae_probe_4",
)


def grid_recipes(
    dataset: str = "simulated",
    regions: Sequence[int] = (1, 2, 3),
    seeds: Sequence[int] = ZOO_SEEDS,
    models: Sequence[str] = GRID_MODELS,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    lams: Sequence[float] | None = None,
    layers: Sequence[int] | None = None,
) -> list[Recipe]:
    """Recipes of the pretrained grid: for each region and seed (data seed = training seed), every model.

    The defaults (:class:`~daenr_lite.ModelConfig`, :class:`~daenr_lite.TrainConfig`) are the full training
    settings. On the simulated data, seed ``s`` means a different simulated population *and* a different
    initialisation, so the spread over seeds covers both.

    Sweeps: ``lams`` trains every DAE-NR_i once per response weight λ (``train_config.lam``; the only models it
    changes: the DAE, the CNN-FR and the probes keep ``train_config``'s λ, so they are trained once);
    ``layers`` keeps only the DAE-NR_i and probes of those mapping layers (1..4).
    """
    mcfg, tcfg = model_config or ModelConfig(), train_config or TrainConfig()
    names = [model_spec(m).name for m in models]
    if layers is not None:
        wanted = [whole_number("a mapping layer", layer, 1) for layer in layers]
        if not wanted or any(layer > 4 for layer in wanted):
            raise ValueError(f"layers must be mapping layers 1, 2, 3 or 4; got {list(layers)!r}.")
        names = [n for n in names if model_spec(n).layer is None or model_spec(n).layer in wanted]
    lam_values = [tcfg.lam] if lams is None else list(dict.fromkeys(_lam(value) for value in lams))
    if not lam_values:
        raise ValueError("lams must name at least one response weight, e.g. [1e-4, 1e-3, 1e-2].")
    recipes = []
    for seed in seeds:
        for region in regions:
            for name in names:
                for lam in lam_values if model_spec(name).kind == "dae_nr" else [tcfg.lam]:
                    recipes.append(Recipe(name, dataset, region, data_seed=seed, seed=seed, model_config=mcfg,
                                          train_config=tcfg.replace(lam=lam)))
    return recipes


def _lam(value: Any) -> float:
    """A response weight λ as a float >= 0 (one line naming the value otherwise)."""
    try:
        lam = float(value)
    except (TypeError, ValueError):
        lam = float("nan")
    if isinstance(value, bool) or not np.isfinite(lam) or lam < 0:
        raise ValueError(f"each lam (the DAE-NR's response weight) must be a finite number >= 0; got {value!r}.")
    return lam


def pretrain(
    dataset: str = "simulated",
    regions: Sequence[int] = (1, 2, 3),
    seeds: Sequence[int] = ZOO_SEEDS,
    *,
    models: Sequence[str] = GRID_MODELS,
    output: str | os.PathLike[str] | None = None,
    device: Any = None,
    data_dir: str | os.PathLike[str] | None = None,
    float16: bool = False,
    train_config: TrainConfig | None = None,
    table2: bool = True,
    dataset_options: dict[str, Any] | None = None,
    progress: bool = True,
    jobs: int = 1,
    scheduler: Any = None,
    lams: Sequence[float] | None = None,
    layers: Sequence[int] | None = None,
) -> ModelStore:
    """Train the grid into ``output`` (default: the user cache, ``<data dir>/models``) and write its manifest.

    For region 3 (the paper's Table 2) each DAE-NR_i is also trained on only its significant (YES) and only
    its insignificant (NO) neurons (``table2=False`` skips them); the entries carry ``group`` and the group's
    held-out test r (``extra_metrics.heldout_test_corr``).

    ``jobs`` > 1 trains the grid's independent chains (a DAE and its probes, a DAE-NR_i and its Table 2 models, or
    a CNN-FR) as tasks of dask.distributed on a ``LocalCluster`` of ``jobs`` worker processes (at most one per
    chain) with ``cores // workers`` torch threads each; ``scheduler`` (an address such as ``"tcp://host:8786"``,
    a dask cluster such as dask-jobqueue's ``SLURMCluster``, or a ``Client``) runs them on that cluster instead.
    Workers need no shared filesystem: the checkpoints come back to this process, which verifies and writes them
    (:mod:`daenr_lite.zoo.distributed`: faults, resuming). A chain that fails raises
    :class:`~daenr_lite.zoo.distributed.ChainFailed` after the others have finished and been stored.
    ``jobs=1`` without a scheduler trains here, in this process. Every model is the same either way: each recipe
    is seeded by itself. The workers are spawned, so a script that calls ``pretrain(..., jobs=2)`` must do so
    under ``if __name__ == "__main__":``.

    ``lams``, ``layers``: a sweep of the DAE-NR's response weight λ and of the mapping layers
    (:func:`grid_recipes`); the store finds those models by their recipes (e.g. ``Recipe("dae_nr_2",
    train_config=TrainConfig(lam=1e-2))``) and :func:`daenr_lite.zoo.sweep.sweep_report` summarises them.

    Resumable: models already in ``output`` are skipped (checked against their sha256), so an interrupted run
    loses at most the models in progress. Returns the store (``store.log`` says what was trained, and how long).
    """
    from tqdm.auto import tqdm

    if int(jobs) < 1:
        raise ValueError(f"jobs must be >= 1; got {jobs}.")
    store = ModelStore(output, zoo_dirs=[], device=device, data_dir=data_dir, float16=float16, progress=False,
                       dataset_options=dataset_options)
    recipes = grid_recipes(dataset, regions, seeds, models, train_config=train_config, lams=lams, layers=layers)
    table2_models = sorted({r.model for r in recipes if r.spec.kind == "dae_nr"}) if table2 else []
    n_table2 = 2 * sum(1 for r in recipes if r.model in table2_models and r.region == TABLE2_REGION)
    bar = tqdm(total=len(recipes) + n_table2, desc=f"pretrain {dataset}", unit="model", disable=not progress)

    try:
        if int(jobs) == 1 and scheduler is None:
            for recipe in recipes:
                _train_one(store, recipe, table2_models, bar, progress)
        else:
            from .distributed import run_chains

            store.check_writable()  # before a cluster starts: an unwritable output would lose every model
            run_chains(store, _chains(recipes), table2_models, _train_one, jobs=int(jobs), scheduler=scheduler,
                       bar=bar, progress=progress)
    finally:
        bar.close()
        store.write_manifest()
    return store


def log_summary(log: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """``(trained, already there)``: the distinct models of a store's ``log`` that were trained by this run and
    those that were found stored. A model counts once however often it was looked up (a DAE is looked up again
    from memory by each probe and DAE-NR of its chain, and by a chain's worker as well as here), so the two
    numbers add up to the grid's models."""
    sources: dict[str, bool] = {}
    for item in log:
        sources[item["key"]] = sources.get(item["key"], False) or item["source"] == "trained"
    trained = sum(sources.values())
    return trained, len(sources) - trained


def auto_jobs(device: Any = None) -> int:
    """``daenr-lite pretrain``'s default ``jobs``: the available cores (at most 4) on the CPU, 1 on a GPU (one
    process keeps it busy). Pretraining is a batch job, so unlike the thread policy it leaves no core free."""
    from ..config import MAX_AUTO_THREADS
    from ..threads import available_cores
    from ..training import get_device

    if get_device(device).type != "cpu":
        return 1
    return max(1, min(available_cores(), MAX_AUTO_THREADS))


def _train_one(store: ModelStore, recipe: Recipe, table2_models: list[str], bar: Any, progress: bool) -> None:
    """Train (or find) ``recipe`` and, for a region-3 DAE-NR_i, its Table 2 models; update the progress bar."""
    bar.set_postfix_str(f"{recipe.model} r{recipe.region} s{recipe.seed}")
    start = time.perf_counter()
    before = store.n_trained
    store.get(recipe)
    if progress and store.n_trained > before:
        from .distributed import say

        say(bar, f"trained {recipe.describe()} in {time.perf_counter() - start:.1f} s")
    bar.update()
    if recipe.region == TABLE2_REGION and recipe.model in table2_models:
        table2_entries(store, recipe, before_each=lambda sub: bar.set_postfix_str(
            f"{sub.model} r{sub.region} s{sub.seed} subset"), after_each=lambda _sub: bar.update())


def _chains(recipes: list[Recipe]) -> list[list[Recipe]]:
    """Group the grid into chains that can train in parallel: a probe joins its DAE's chain; the rest train alone.
    Longest first (a DAE with probes, DAE-NRs with Table 2 models), so parallel workers finish together."""
    chains: dict[str, list[Recipe]] = {}
    for recipe in recipes:
        head = recipe.backbone() if recipe.spec.kind == "dae_probe" else recipe
        chains.setdefault(head.key(), []).append(recipe)

    def weight(chain: list[Recipe]) -> float:
        return len(chain) + (2.5 if chain[0].region == TABLE2_REGION and chain[0].spec.kind == "dae_nr" else 0.0)

    return sorted(chains.values(), key=weight, reverse=True)


def table2_entries(store: ModelStore, recipe: Recipe, dataset: Any = None, before_each: Any = None,
                   after_each: Any = None, may_train: bool = True) -> list[dict[str, Any]]:
    """Table 2 for the DAE-NR_i of ``recipe`` (trained on all neurons): the entries of the same recipe trained on
    only its significant ("YES") and only its insignificant ("NO") neurons, trained if not stored yet.

    Neurons are selected on half of the test images and each group's ``heldout_test_corr`` is measured on the
    other half (:func:`daenr_lite.experiments.split_test_images`). An empty group has no entry.
    ``may_train=False`` raises ``LookupError`` instead of training a missing group.
    """
    entries = []
    for sub_recipe, group, heldout in _table2_recipes(store, recipe, dataset):
        if sub_recipe is not None:
            if before_each is not None:
                before_each(sub_recipe)
            entry = store.entry(sub_recipe)
            if entry is None and not may_train:
                raise LookupError(f"the Table 2 model {sub_recipe.describe()} ({group}) is not stored; run "
                                  f"`daenr-lite pretrain --dataset {recipe.dataset} --regions {recipe.region} "
                                  f"--seeds {recipe.seed}` or use MODE = 'full'.")
            if entry is None or entry.get("group") != group:
                model = store.get(sub_recipe, dataset)
                entry = store.annotate(sub_recipe, group=group, extra_metrics={"heldout_test_corr": heldout(model)})
            entries.append(entry)
        if after_each is not None:
            after_each(sub_recipe)
    return entries


def _table2_recipes(store: ModelStore, recipe: Recipe, dataset: Any = None):
    """Table 2 for one DAE-NR_i: its own significant neurons (selected on half of the test images, see
    :func:`daenr_lite.experiments.split_test_images`) and the rest, each as a recipe; plus a function giving a
    trained group model's mean r on the other half of the test images (no selection bias)."""
    from .. import metrics
    from ..experiments import select_significant, split_test_images
    from ..training import predict

    data = store.dataset_for(recipe, dataset)
    selection, evaluation = split_test_images(data.n_test, recipe.seed)
    mask = select_significant(store.get(recipe, dataset), data, selection)
    for group, idx in (("YES", np.flatnonzero(mask)), ("NO", np.flatnonzero(~mask))):
        if idx.size == 0:
            yield None, group, None
            continue
        subset = data.subset_neurons(idx)

        def heldout(model, subset=subset) -> float:
            pred = predict(model, subset.test_images[evaluation])["responses"]
            return float(np.nanmean(metrics.per_neuron_corr(pred, subset.test_responses[:, evaluation].mean(axis=0))))

        yield recipe.replace(neurons=tuple(int(i) for i in idx)), group, heldout


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
    # Recipe checks region and seed (a whole number >= 0), before the advice below names them in a command
    recipe = Recipe(model_spec(name).name, dataset, region, data_seed=seed, seed=seed)
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

"""`setup`: every notebook's first code cell in one call, returning a small :class:`Session`.

::

    session = setup("03", MODE, SEED, DEVICE, DATASET, REGION, OUTPUT_DIR)
    data = session.data()                       # the dataset of REGION (data seed = SEED)
    dae = session.model("dae")                  # a trained model: shipped zoo -> user cache -> trained
    dae_nr = session.models("dae_nr_2")         # {seed: model} over the mode's seeds

The mode (:mod:`daenr_lite.config`, :data:`~daenr_lite.config.PRESETS`) decides which recipes the models come
from: ``"pretrained"`` (default) and ``"full"`` use the default training settings, i.e. the shipped zoo's
converged models (``"full"`` trains what is missing, e.g. for the real recordings); ``"quick"`` trains short
recipes once and caches them, so the next notebook (or a restarted kernel) reuses them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Preset, preset

__all__ = ["Session", "setup"]


@dataclass
class Session:
    """What a notebook needs: mode, seed, device, data and models.

    Attributes
    ----------
    notebook : two-digit id (``"03"``).
    preset : the mode's :class:`~daenr_lite.config.Preset`.
    seed : the featured seed (single-model figures); comparisons use ``preset.seeds``.
    device : torch device for training and inference.
    dataset : ``"simulated"`` or ``"antolik2016"``.
    region : the notebook's region.
    output_dir : where metrics and figures go (created).
    store : the :class:`~daenr_lite.zoo.ModelStore` models come from.
    threads : the torch thread count in force (see :mod:`daenr_lite.threads`).
    """

    notebook: str
    preset: Preset
    seed: int
    device: Any
    dataset: str
    region: int
    output_dir: Path
    store: Any
    threads: Any
    _data: dict[tuple[int, int, str | None], Any] = field(default_factory=dict, repr=False)

    @property
    def mode(self) -> str:
        return self.preset.mode

    @property
    def seeds(self) -> tuple[int, ...]:
        """Seeds of every comparison: the mode's seeds (quick: just :attr:`seed`)."""
        return (self.seed,) if self.preset.quick else self.preset.seeds

    def data(self, region: int | None = None, seed: int | None = None) -> Any:
        """The full dataset of ``region`` (default: the session's) with data seed ``seed`` (default: :attr:`seed`);
        simulated data come from the configured generator (:func:`daenr_lite.config.simulated_generator`)."""
        from .config import simulated_generator
        from .data import load_dataset

        # simulated data follow the configured generator ($DAENR_GENERATOR, as the session's recipes do)
        options = {"generator": simulated_generator()} if self.dataset == "simulated" else {}
        key = (int(region or self.region), int(self.seed if seed is None else seed), options.get("generator"))
        if key not in self._data:
            self._data[key] = load_dataset(self.dataset, region=key[0], seed=key[1], **options)
        return self._data[key]

    def train_data(self, region: int | None = None, seed: int | None = None) -> Any:
        """What the mode's models train on: the dataset, cut to the mode's ``n_train`` images in quick mode."""
        from .zoo.store import first_training_images

        data = self.data(region, seed)
        return data if self.preset.n_train is None else first_training_images(data, self.preset.n_train)

    def recipe(self, name: str, region: int | None = None, seed: int | None = None, **changes: Any) -> Any:
        """The :class:`~daenr_lite.zoo.Recipe` of model ``name`` in this mode (data seed = training seed)."""
        from .zoo import Recipe

        seed = self.seed if seed is None else int(seed)
        train_overrides = changes.pop("train", {})
        recipe = Recipe(name, self.dataset, int(region or self.region), data_seed=seed, seed=seed,
                        n_train=self.preset.n_train, train_config=self.preset.train.replace(**train_overrides))
        return recipe.replace(**changes) if changes else recipe

    def model(self, name: str, region: int | None = None, seed: int | None = None, *,
              train_missing: bool | None = None, **changes: Any) -> Any:
        """A trained model (eval mode): from memory, the shipped zoo, the user cache, or trained now.

        ``train_missing`` : train a model found nowhere (default: whether the mode may train; pretrained mode
        then says how to get it instead). ``**changes`` change the recipe, e.g. ``train={"lam": 1e-2}``.
        """
        recipe = self.recipe(name, region, seed, **changes)
        may_train = self.preset.may_train if train_missing is None else bool(train_missing)
        if not may_train and self.store.entry(recipe) is None:
            raise LookupError(
                f"{recipe.describe()} is not in the pretrained zoo or your cache. Train the grid once with "
                f"`daenr-lite pretrain --dataset {recipe.dataset} --regions {recipe.region} --seeds {recipe.seed}`, "
                "or run this notebook with MODE = 'full' (trains what is missing) or 'quick'."
            )
        stored = self.store.entry(recipe) is not None  # a stored model needs no data (loading it is enough)
        model = self.store.get(recipe, None if stored else self.data(recipe.region, recipe.data_seed))
        return model.to(self.device)

    def models(self, name: str, region: int | None = None, **changes: Any) -> dict[int, Any]:
        """``{seed: model}`` of ``name`` over :attr:`seeds`."""
        return {seed: self.model(name, region, seed, **changes) for seed in self.seeds}

    def entry(self, name: str, region: int | None = None, seed: int | None = None, **changes: Any) -> dict[str, Any]:
        """The store entry (recipe, ``metrics`` from :func:`~daenr_lite.evaluate`, ``significance``, training
        facts) of a model; a model that is stored nowhere yet is trained first (as :meth:`model`)."""
        recipe = self.recipe(name, region, seed, **{k: v for k, v in changes.items() if k != "train_missing"})
        entry = self.store.entry(recipe)
        if entry is not None:  # reading the entry needs no model: nothing is loaded
            return entry
        self.model(name, region, seed, **changes)
        entry = self.store.entry(recipe)
        if entry is None:  # pragma: no cover - get() always leaves an entry behind
            raise LookupError(f"the store kept no entry for {recipe.describe()}")
        return entry

    def rows(self, names: Any, regions: Any = None) -> list[dict[str, Any]]:
        """One :func:`~daenr_lite.zoo.results.entry_row` per model ``name``, region and seed of this mode (the
        input of :mod:`daenr_lite.zoo.results`' tables); models are loaded or trained as by :meth:`model`."""
        from .zoo.results import entry_row

        names = [names] if isinstance(names, str) else list(names)
        regions = [self.region] if regions is None else list(regions)
        return [entry_row(self.entry(name, region, seed)) for region in regions for name in names for seed in self.seeds]

    def table2_rows(self, layers: Any = (1, 2, 3, 4), region: int = 3) -> list[dict[str, Any]]:
        """The paper's Table 2 in this mode: per seed and mapping layer, the :func:`~daenr_lite.zoo.results.entry_row`
        of DAE-NR_i trained on only its significant ("YES") and only its insignificant ("NO") neurons (see
        :func:`daenr_lite.zoo.table2_entries`; stored in the zoo, or trained once and cached)."""
        from .zoo.pretrain import table2_entries
        from .zoo.results import entry_row

        rows = []
        for seed in self.seeds:
            for layer in layers:
                self.model(f"dae_nr_{layer}", region, seed)  # the all-neuron model selects the groups
                recipe = self.recipe(f"dae_nr_{layer}", region, seed)
                entries = table2_entries(self.store, recipe, self.data(region, seed), may_train=self.preset.may_train)
                rows += [entry_row(entry) for entry in entries]
        return rows

    def describe(self) -> str:
        """The setup line every notebook prints."""
        training = ("converged models from the pretrained zoo" if self.mode == "pretrained" else
                    f"quick training ({self.preset.train.max_epochs} epochs on {self.preset.n_train} images)"
                    if self.preset.quick else "full training where a model is not stored yet")
        seeds = ", ".join(map(str, self.seeds))
        return (f"mode {self.mode!r}: {training}; {self.dataset} region {self.region}; seeds {seeds}; "
                f"device {self.device}; torch threads {self.threads}")


def setup(
    notebook: str,
    mode: str | None = None,
    seed: int = 0,
    device: str = "auto",
    dataset: str = "simulated",
    region: int = 1,
    output_dir: str | os.PathLike[str] = "outputs",
    *,
    store: Any = None,
) -> Session:
    """Seed, thread policy, device, mode and model store for notebook ``notebook``; prints one setup line.

    ``mode`` : ``"pretrained"`` / ``"quick"`` / ``"full"``; ``None`` reads ``$DAENR_MODE`` (default pretrained).
    """
    from .threads import apply_thread_policy
    from .training import get_device, set_seed
    from .zoo import ModelStore

    chosen = preset(mode)
    set_seed(seed)
    threads = apply_thread_policy()
    folder = Path(output_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    session = Session(notebook=str(notebook), preset=chosen, seed=int(seed), device=get_device(device),
                      dataset=str(dataset), region=int(region), output_dir=folder,
                      store=store if store is not None else ModelStore(progress=False), threads=threads)
    print(session.describe())
    return session

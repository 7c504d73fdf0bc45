"""Retraining one shipped recipe on this machine, to compare it with its manifest entry (the test suite's
reproducibility check and ``benchmarks/cross_cpu_tolerance.py``; tolerances in :mod:`.reproducibility`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .recipe import Recipe
from .store import SHIPPED_ZOO_DIR, ModelStore, read_entries

__all__ = ["retrain_shipped_recipe"]


def retrain_shipped_recipe(key: str, workdir: str | Path, zoo_dir: str | Path | None = None) -> dict[str, Any]:
    """Retrain one shipped recipe (a probe or any model) into ``workdir`` and return the new entry.

    Only the recipe itself is trained: a probe's DAE is copied from the zoo into a zoo of its own, so that the
    comparison measures the probe's training alone.
    """
    zoo_dir = Path(zoo_dir) if zoo_dir is not None else SHIPPED_ZOO_DIR
    entries = read_entries(zoo_dir)
    if key not in entries:
        raise LookupError(f"{key!r} is not in {zoo_dir / 'manifest.json'}; list the keys with "
                          "daenr_lite.zoo.available_pretrained().")
    recipe = Recipe.from_dict(entries[key]["recipe"])
    workdir = Path(workdir)
    zoo = workdir / "zoo"
    zoo.mkdir(parents=True, exist_ok=True)
    kept = {}
    if recipe.spec.kind == "dae_probe":
        backbone = entries[recipe.backbone().key()]
        (zoo / backbone["file"]).write_bytes((zoo_dir / backbone["file"]).read_bytes())
        kept[backbone["key"]] = backbone
    (zoo / "manifest.json").write_text(json.dumps({"models": kept}))
    store = ModelStore(workdir / "cache", zoo_dirs=[zoo], progress=False)
    store.get(recipe)
    if store.n_trained != 1:
        raise RuntimeError(f"expected to train exactly {key}, trained {store.n_trained} models.")
    return store.entry(recipe)

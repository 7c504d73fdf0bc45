"""The model store and the pretrained zoo.

- :class:`Recipe` — everything that determines a trained model; its key names it in every store.
- :class:`ModelStore` — get a model by recipe: the shipped zoo, then the user cache, and only then trained
  (and cached), so no recipe is trained twice, in one run or across notebooks.
- :func:`pretrain` — the paper's grid per region and seed (``daenr-lite pretrain``), with a manifest.
- :func:`load_pretrained` — a converged model of the grid by name, region and seed.
"""
from .pretrain import GRID_MODELS, available_pretrained, grid_recipes, load_pretrained, pretrain
from .recipe import Recipe
from .store import SHIPPED_ZOO_DIR, ModelStore, ZooIntegrityError

__all__ = [
    "Recipe",
    "ModelStore",
    "ZooIntegrityError",
    "SHIPPED_ZOO_DIR",
    "GRID_MODELS",
    "grid_recipes",
    "pretrain",
    "load_pretrained",
    "available_pretrained",
]

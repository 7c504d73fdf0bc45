"""Training and evaluation: `fit`, `evaluate`, `predict`, checkpoints, seeding and device choice."""
from .checkpoint import load_model, save_model
from .device import get_device, set_seed
from .evaluation import evaluate, predict
from .fit import History, TrainingDiverged, fit
from .objective import loss_part_names, objective

__all__ = [
    "fit",
    "History",
    "TrainingDiverged",
    "evaluate",
    "predict",
    "set_seed",
    "get_device",
    "save_model",
    "load_model",
    "objective",
    "loss_part_names",
]

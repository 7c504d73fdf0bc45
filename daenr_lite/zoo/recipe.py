"""`Recipe`: everything that determines a trained model, and the store key derived from it."""
from __future__ import annotations

import hashlib
import json
import operator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..config import ModelConfig, TrainConfig, simulated_generator
from ..models.registry import MODEL_CODE_VERSION, ModelSpec, model_spec

__all__ = ["Recipe"]

_DATASETS = ("simulated", "antolik2016")


def whole_number(name: str, value: Any, minimum: int = 0) -> int:
    """``value`` as an ``int`` if it is a whole number >= ``minimum`` (``2``, ``2.0``, ``np.int64(2)``), else
    ``ValueError`` naming ``name``: ``int(0.5)`` would silently give another model."""
    number = None
    if not isinstance(value, (bool, np.bool_, str, bytes)):
        try:
            number = operator.index(value)
        except TypeError:
            if isinstance(value, (float, np.floating)) and float(value).is_integer():
                number = int(value)
    if number is None or number < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {value!r}.")
    return number


@dataclass(frozen=True)
class Recipe:
    """What to train: a registry model on one dataset region, with full model and training settings.

    Two equal recipes train bit-identical models on the CPU, so the model store never trains a recipe twice.

    Attributes
    ----------
    model : registry name (:mod:`daenr_lite.models.registry`), e.g. ``"dae_nr_2"`` or ``"dae_probe_3"``.
    dataset : ``"simulated"`` or ``"antolik2016"``.
    region : 1, 2 or 3.
    data_seed : seed of the simulated dataset (always 0 for real data).
    seed : training seed (initialisation, validation split, shuffling); it overrides ``train_config.seed``.
    neurons : indices of the neurons trained on (Table 2's YES/NO groups); ``None`` = all. A DAE never
        sees the responses, so its recipe always has ``None``.
    n_train : train on the first ``n_train`` training images only (the notebooks' quick mode); ``None`` = all.
    model_config, train_config : the full :class:`~daenr_lite.ModelConfig` / :class:`~daenr_lite.TrainConfig`.
    generator : simulated-data generator, "1" or "2" (:mod:`daenr_lite.data.generator_v2`); ``None`` takes
        :func:`daenr_lite.config.simulated_generator` (``$DAENR_GENERATOR``, else "1"). Always "1" for real data.
        It enters :meth:`to_dict` and the key only when it is not "1", so the keys of v1 recipes are unchanged.
    """

    model: str
    dataset: str = "simulated"
    region: int = 1
    data_seed: int = 0
    seed: int = 0
    neurons: tuple[int, ...] | None = None
    n_train: int | None = None
    model_config: ModelConfig = field(default_factory=ModelConfig)
    train_config: TrainConfig = field(default_factory=TrainConfig)
    generator: str | None = None

    def __post_init__(self) -> None:
        spec = model_spec(self.model)
        object.__setattr__(self, "model", spec.name)
        if self.dataset not in _DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r} in a recipe; choose one of {', '.join(_DATASETS)}.")
        if isinstance(self.region, bool) or self.region not in (1, 2, 3):
            raise ValueError(f"region must be 1, 2 or 3; got {self.region!r}.")
        if not isinstance(self.model_config, ModelConfig) or not isinstance(self.train_config, TrainConfig):
            raise TypeError("model_config must be a ModelConfig and train_config a TrainConfig.")
        if self.train_config.max_seconds is not None:
            raise ValueError("a recipe cannot have train_config.max_seconds: a time limit makes training irreproducible.")
        object.__setattr__(self, "region", int(self.region))
        object.__setattr__(self, "seed", whole_number("seed", self.seed))
        data_seed = whole_number("data_seed", self.data_seed)
        object.__setattr__(self, "data_seed", 0 if self.dataset == "antolik2016" else data_seed)
        generator = "1" if self.dataset == "antolik2016" else simulated_generator(self.generator)
        object.__setattr__(self, "generator", generator)
        object.__setattr__(self, "train_config", self.train_config.replace(seed=self.seed))
        neurons = self.neurons
        if spec.kind == "dae":
            neurons = None
        elif neurons is not None:
            neurons = tuple(sorted(int(i) for i in neurons))
            if not neurons or neurons[0] < 0 or len(set(neurons)) != len(neurons):
                raise ValueError("neurons must be a non-empty list of distinct, non-negative neuron indices (or None for all).")
        object.__setattr__(self, "neurons", neurons)
        if self.n_train is not None:
            if int(self.n_train) < 10:
                raise ValueError(f"n_train must be None (all images) or at least 10 training images; got {self.n_train}.")
            object.__setattr__(self, "n_train", int(self.n_train))

    @property
    def spec(self) -> ModelSpec:
        return model_spec(self.model)

    def backbone(self) -> "Recipe":
        """For a probe (``"dae_probe_i"``): the recipe of the DAE it reads from."""
        if self.spec.kind != "dae_probe":
            raise ValueError(f"{self.model!r} is not a probe; only dae_probe_1..4 have a backbone.")
        return replace(self, model="dae", neurons=None)

    def replace(self, **changes: Any) -> "Recipe":
        return replace(self, **changes)

    def dataset_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~daenr_lite.load_dataset` beyond name, region and seed (``generator``)."""
        return {} if self.generator == "1" else {"generator": self.generator}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (the manifest's ``recipe`` field); ``generator`` only when it is not "1"."""
        out = {
            "model": self.model,
            "dataset": self.dataset,
            "region": self.region,
            "data_seed": self.data_seed,
            "seed": self.seed,
            "neurons": None if self.neurons is None else list(self.neurons),
            "n_train": self.n_train,
            "model_config": self.model_config.to_dict(),
            "train_config": self.train_config.to_dict(),
        }
        if self.generator != "1":
            out["generator"] = self.generator
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Recipe":
        values = dict(values)
        values.setdefault("generator", "1")  # a stored recipe without the field was made with generator v1
        values["model_config"] = ModelConfig.from_dict(values.get("model_config", {}))
        values["train_config"] = TrainConfig.from_dict(values.get("train_config", {}))
        if values.get("neurons") is not None:
            values["neurons"] = tuple(values["neurons"])
        return cls(**values)

    def key(self) -> str:
        """Store key: readable prefix + 16 hex digits of sha256(recipe, model-code version)."""
        text = json.dumps({"recipe": self.to_dict(), "model_code_version": MODEL_CODE_VERSION}, sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        generator = "" if self.generator == "1" else f"-g{self.generator}"
        return f"{self.model}-{self.dataset}-r{self.region}-d{self.data_seed}{generator}-s{self.seed}-{digest}"

    def describe(self) -> str:
        subset = "" if self.neurons is None else f", {len(self.neurons)} neurons"
        subset += "" if self.n_train is None else f", first {self.n_train} training images"
        data = f"{self.dataset} region {self.region}" + (f" (data seed {self.data_seed})" if self.dataset == "simulated" else "")
        data += "" if self.generator == "1" else f", generator {self.generator}"
        return f"{self.spec.display} on {data}, training seed {self.seed}{subset}"

"""Default hyper-parameters of every model and of training: the ONE place where they live.

Two dataclasses:

- :class:`ModelConfig` — architecture (channels, kernels, strides, activation, readout settings).
- :class:`TrainConfig` — optimisation (learning rate, batch size, early stopping, loss weighting, ...).

Every field is overridable, either by building a config (``TrainConfig(lr=3e-3)``), with
:meth:`~TrainConfig.replace` (``cfg.replace(batch_size=32)``) or by keyword in the functions that take a
config (``fit(model, data, lr=3e-3)``, ``build_model("dae", data, encoder_channels=(8, 16, 16, 8))``).
An unknown keyword raises a ``ValueError`` that lists the valid names.

The paper (Ran et al. 2021) publishes none of these numbers; the defaults were tuned on simulated region 1
(``benchmarks/bench_models.py``): the CNN-FR reaches about 80% of the ground-truth ceiling correlation and
each model trains in about 40 epochs of ~3 CPU-seconds (31x31 images, 1440 training images).
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import os
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "ModelConfig",
    "TrainConfig",
    "Preset",
    "PRESETS",
    "preset",
    "parse_mode",
    "MODE_ENV",
    "DEFAULT_MODE",
    "THREADS_ENV",
    "MAX_AUTO_THREADS",
    "RUNNER_KERNEL_THREADS",
    "DEFAULT_GENERATOR",
    "GENERATOR_ENV",
    "simulated_generator",
    "ZOO_SEEDS",
    "CoursePath",
    "COURSE_PATHS",
    "SECTION_TIERS",
]

#: environment variable that sets torch's CPU thread count for daenr-lite (see :mod:`daenr_lite.threads`)
THREADS_ENV = "DAENR_THREADS"
#: without ``DAENR_THREADS`` / ``OMP_NUM_THREADS``: the cores available to the process minus one, at most this
#: many. The models are small (8-32 channels, 31x31 images, batch 64), so a step gains little from many
#: threads, while every extra thread is one more way to oversubscribe a machine that others share.
MAX_AUTO_THREADS = 4
#: torch threads per notebook kernel when ``daenr-lite run-notebooks`` executes the series (unless
#: ``DAENR_THREADS`` is set): one thread cannot oversubscribe a busy machine (``benchmarks/bench_threads.py``).
RUNNER_KERNEL_THREADS = 1

#: the simulated-data generator of every recipe that does not name one (:mod:`daenr_lite.data.simulated`):
#: "2" (:mod:`daenr_lite.data.generator_v2`, calibrated on the realism statistics: the shipped zoo's) or "1" (the
#: first generator, the zoo's until December 2026).
#: A recipe's store key names the generator only when it is not "1", so the v1 zoo's keys stay valid.
DEFAULT_GENERATOR = "2"
#: environment variable that overrides :data:`DEFAULT_GENERATOR` (e.g. ``DAENR_GENERATOR=2 daenr-lite pretrain``)
GENERATOR_ENV = "DAENR_GENERATOR"


def simulated_generator(value: Any = None) -> str:
    """The generator version: ``value`` if given, else ``$DAENR_GENERATOR``, else :data:`DEFAULT_GENERATOR`.

    Raises ``ValueError`` naming the valid versions ("1", "2") for anything else.
    """
    from_env = value is None or (isinstance(value, str) and not value.strip())
    if from_env:
        value = os.environ.get(GENERATOR_ENV, "").strip() or DEFAULT_GENERATOR
    text = str(value).strip()
    if isinstance(value, bool) or text not in ("1", "2"):
        source = f" (from ${GENERATOR_ENV})" if from_env else ""
        raise ValueError(f"unknown simulated-data generator {value!r}{source}; choose 1 or 2.")
    return text

_C = TypeVar("_C", bound="_ConfigMixin")


class _ConfigMixin:
    """Shared helpers: keyword overrides with validation, and dict round trips."""

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]

    @classmethod
    def _check_names(cls, names: Any) -> None:
        valid = cls.field_names()
        unknown = sorted(set(names) - set(valid))
        if unknown:
            raise ValueError(
                f"unknown {cls.__name__} option(s) {unknown}; valid options are: {', '.join(valid)}."
            )

    def replace(self: _C, **overrides: Any) -> _C:
        """A copy with the given fields changed (unknown names raise ``ValueError`` listing valid ones)."""
        self._check_names(overrides)
        return dataclasses.replace(self, **overrides)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of primitives (tuples become lists), safe for JSON and ``torch.load(weights_only=True)``."""
        out = {}
        for name in self.field_names():
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls: type[_C], values: dict[str, Any]) -> _C:
        """Inverse of :meth:`to_dict` (lists become tuples where the default is a tuple)."""
        cls._check_names(values)
        defaults = cls()
        kwargs = {}
        for name, value in values.items():
            if isinstance(getattr(defaults, name), tuple) and isinstance(value, list):
                value = tuple(value)
            kwargs[name] = value
        return cls(**kwargs)


@dataclass(frozen=True)
class ModelConfig(_ConfigMixin):
    """Architecture of the DAE / DAE-NR encoder+decoder, the CNN-FR core and the factorized readout.

    Attributes
    ----------
    encoder_channels, encoder_kernels, encoder_strides :
        Four conv layers h1..h4 of the auto-encoder (padding ``kernel // 2``). The defaults map a 31x31
        image to h1 16x31x31, h2 32x16x16, h3 32x8x8, h4 8x4x4 = 128 numbers (7.5x fewer than 961 pixels).
        The decoder mirrors them with transposed convolutions.
    core_channels, core_kernels, core_padding :
        Four conv layers of the CNN-FR core (stride 1). Klindt et al. 2017's sizes: a 13x13 first kernel, then
        3x3, 48 channels each; ``"valid"`` padding (31 -> 19 -> 17 -> 15 -> 13) keeps the maps at full
        resolution without zero-padded borders. (Chosen with ``benchmarks/bench_cnn_fr.py``: test r 0.697 on
        simulated region 1, seed 0, against 0.667 for the earlier 9x9 / 32-channel core, for 17 % more CPU time;
        measured channels-first, before the models were built channels-last: the zoo's model of that recipe
        now scores 0.700, and 0.711 ± 0.010 over three seeds, see ``docs/results.md``.)
    activation : ``"elu"``, ``"softplus"`` or ``"relu"``, after batch norm in every conv layer.
    batch_norm : batch normalisation after every conv layer (not on the reconstruction output).
    readout_positive : constrain readout masks and feature weights to be non-negative.
    readout_l1 : weight of the L1 penalty on each neuron's mask x feature outer product.
    readout_nonlinearity : ``"elu1"`` (ELU + 1) or ``"softplus"``; keeps predicted rates >= 0.
    readout_init_scale : scale of the random initial readout weights (small, so that the initial
        prediction is the bias = mean response).
    core_smoothness : weight of the smoothness penalty on the CNN-FR's first-layer kernels (Klindt et al.
        2017 regularise the first layer with a Laplacian): for each kernel w, ``||laplacian * w||^2 / ||w||^2``,
        summed over kernels. The ratio does not depend on the kernel's scale (batch norm follows the conv),
        so it penalises rough kernels, not large ones. 0 turns it off.
    """

    encoder_channels: tuple[int, ...] = (16, 32, 32, 8)
    encoder_kernels: tuple[int, ...] = (5, 3, 3, 3)
    encoder_strides: tuple[int, ...] = (1, 2, 2, 2)
    core_channels: tuple[int, ...] = (48, 48, 48, 48)
    core_kernels: tuple[int, ...] = (13, 3, 3, 3)
    core_padding: str = "valid"
    activation: str = "elu"
    batch_norm: bool = True
    readout_positive: bool = True
    readout_l1: float = 0.03
    readout_nonlinearity: str = "elu1"
    readout_init_scale: float = 0.1
    core_smoothness: float = 0.0

    def __post_init__(self) -> None:
        for prefix in ("encoder", "core"):
            lengths = {
                name: len(getattr(self, name))
                for name in self.field_names()
                if name.startswith(prefix) and isinstance(getattr(self, name), (tuple, list))
            }
            if set(lengths.values()) != {4}:
                raise ValueError(f"{prefix} layer settings must each list exactly 4 layers (h1..h4); got {lengths}.")
        for name in ("encoder_channels", "encoder_kernels", "encoder_strides", "core_channels", "core_kernels"):
            values = getattr(self, name)
            object.__setattr__(self, name, tuple(int(v) for v in values))
            if any(v < 1 for v in getattr(self, name)):
                raise ValueError(f"{name} must be positive integers; got {values}.")
        if any(k % 2 == 0 for k in self.encoder_kernels):
            raise ValueError(f"encoder_kernels must be odd (for symmetric padding); got {self.encoder_kernels}.")
        if self.core_padding not in ("valid", "same"):
            raise ValueError(f"core_padding must be 'valid' or 'same'; got {self.core_padding!r}.")
        if self.activation not in ("elu", "softplus", "relu"):
            raise ValueError(f"activation must be 'elu', 'softplus' or 'relu'; got {self.activation!r}.")
        if self.readout_nonlinearity not in ("elu1", "softplus"):
            raise ValueError(f"readout_nonlinearity must be 'elu1' or 'softplus'; got {self.readout_nonlinearity!r}.")
        if self.readout_l1 < 0:
            raise ValueError(f"readout_l1 must be >= 0; got {self.readout_l1}.")
        if self.core_smoothness < 0:
            raise ValueError(f"core_smoothness must be >= 0; got {self.core_smoothness}.")


@dataclass(frozen=True)
class TrainConfig(_ConfigMixin):
    """Optimisation settings of :func:`daenr_lite.fit`.

    Attributes
    ----------
    lr : initial Adam learning rate.
    weight_decay : Adam L2 weight decay.
    batch_size : images per optimisation step.
    max_epochs : hard cap on passes over the training split.
    patience : stop after this many epochs without a validation-loss improvement (best weights restored).
    min_delta : an improvement must lower the validation loss by more than this (relative, e.g. 1e-4).
    lr_decay_factor, lr_patience, min_lr : ``ReduceLROnPlateau`` on the validation loss.
    lam : weight of the response term in the DAE-NR objective ``MSE + lam * (Poisson + readout L1)``.
        The Poisson loss is summed over neurons and the MSE averaged over pixels, hence the small value.
    val_fraction : share of the training images held out for early stopping.
    seed : seeds the split, the initialisation-independent shuffling and (via :func:`set_seed`) torch.
    max_seconds : optional wall-clock budget; training stops (best weights restored) when exceeded.
    normalize_inputs : standardise input images with the training split's mean/std (stored in the model).
    divergence_factor : :func:`~daenr_lite.fit` raises ``TrainingDiverged`` when an epoch's training or
        validation loss exceeds ``L0 + divergence_factor * max(|L0|, 1)``, where ``L0`` is the validation
        loss of the model before training (losses can be negative: the Poisson term omits ``log(y!)``).
        NaN/inf losses always stop training. ``None`` turns the growth check off.
    """

    lr: float = 3e-3
    weight_decay: float = 0.0
    batch_size: int = 64
    max_epochs: int = 40
    patience: int = 5
    min_delta: float = 1e-4
    lr_decay_factor: float = 0.3
    lr_patience: int = 2
    min_lr: float = 1e-5
    lam: float = 1e-3
    val_fraction: float = 0.2
    seed: int = 0
    max_seconds: float | None = None
    normalize_inputs: bool = True
    divergence_factor: float | None = 100.0

    def __post_init__(self) -> None:
        self._check_types()
        checks = {
            "max_seconds": self.max_seconds is None or self.max_seconds > 0,
            "lr": self.lr > 0,
            "batch_size": int(self.batch_size) >= 1,
            "max_epochs": int(self.max_epochs) >= 1,
            "patience": int(self.patience) >= 1,
            "lr_decay_factor": 0 < self.lr_decay_factor < 1,
            "lr_patience": int(self.lr_patience) >= 0,
            "min_lr": self.min_lr >= 0,
            "lam": self.lam >= 0,
            "val_fraction": 0 < self.val_fraction < 1,
            "weight_decay": self.weight_decay >= 0,
            "min_delta": self.min_delta >= 0,
            "divergence_factor": self.divergence_factor is None or self.divergence_factor > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(
                "invalid TrainConfig value(s): "
                + ", ".join(f"{name}={getattr(self, name)!r}" for name in bad)
                + " (need lr, batch_size, max_epochs, patience > 0; 0 < lr_decay_factor < 1; "
                "0 < val_fraction < 1; lam, min_lr, weight_decay, min_delta >= 0; divergence_factor, max_seconds > 0 "
                "or None)."
            )

    def _check_types(self) -> None:
        """Whole numbers where a count is meant (``max_epochs=1.5`` used to fail deep inside :func:`fit`; ``2.0``
        becomes ``2``), finite real numbers elsewhere, True/False for ``normalize_inputs``."""
        bad = []
        for name in ("batch_size", "max_epochs", "patience", "lr_patience", "seed"):
            value = getattr(self, name)
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                object.__setattr__(self, name, int(value))
            elif isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
                object.__setattr__(self, name, int(value))
            else:
                bad.append(name)
        for name in ("lr", "weight_decay", "min_delta", "lr_decay_factor", "min_lr", "lam", "val_fraction",
                     "max_seconds", "divergence_factor"):
            value = getattr(self, name)
            if value is None and name in ("max_seconds", "divergence_factor"):
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                bad.append(name)
        if not isinstance(self.normalize_inputs, bool):
            if getattr(getattr(self.normalize_inputs, "dtype", None), "kind", "") != "b":
                bad.append("normalize_inputs")
            else:
                object.__setattr__(self, "normalize_inputs", bool(self.normalize_inputs))
        if bad:
            raise ValueError(
                "invalid TrainConfig value(s): " + ", ".join(f"{name}={getattr(self, name)!r}" for name in bad)
                + " (need whole numbers for batch_size, max_epochs, patience, lr_patience, seed; finite numbers for "
                "the rates, factors and lam; True or False for normalize_inputs)."
            )

    @classmethod
    def quick(cls, **overrides: Any) -> "TrainConfig":
        """The quick mode's training settings (:data:`PRESETS` ``["quick"]``): a few epochs at a higher learning
        rate, seconds per model on a CPU; far from converged but clearly better than chance."""
        return preset("quick").train.replace(**overrides)


# ------------------------------------------------------------------------------------------ notebook modes
#: environment variable that selects the notebooks' mode (``daenr-lite run-notebooks`` sets it for each kernel)
MODE_ENV = "DAENR_MODE"
#: the mode when nothing selects one
DEFAULT_MODE = "pretrained"


@dataclass(frozen=True)
class Preset:
    """One mode of the notebook series: the one definition of what it trains and shows.

    Attributes
    ----------
    mode : ``"pretrained"`` (default: converged models from the shipped zoo, nothing trained), ``"quick"``
        (short training, seconds per model: CI, or watching training happen) or ``"full"`` (the zoo's recipes,
        training whatever is missing, e.g. on the real recordings).
    train : training settings of every model the series uses (``pretrained`` / ``full``: the defaults, as the zoo).
    n_train : train on the first ``n_train`` training images (``None``: all).
    seeds : seeds every comparison is made over (mean ± sd, paired differences).
    regions : regions of the paper's tables (notebook 05).
    n_permutations : size of permutation nulls (similarity measures).
    may_train : whether a model missing from the zoo and the cache may be trained.
    """

    mode: str
    train: TrainConfig
    n_train: int | None
    seeds: tuple[int, ...]
    regions: tuple[int, ...]
    n_permutations: int
    may_train: bool

    @property
    def quick(self) -> bool:
        return self.mode == "quick"


#: the seeds of the shipped zoo: the pretrained and full modes compare every model over these, and ``daenr-lite
#: pretrain`` trains them by default (five: the effect rule's false-positive rate is 0.011, its power at 2 sd 0.91;
#: :mod:`daenr_lite.stats`)
ZOO_SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)

PRESETS: dict[str, Preset] = {
    "pretrained": Preset("pretrained", TrainConfig(), None, ZOO_SEEDS, (1, 2, 3), 200, may_train=False),
    "quick": Preset("quick", TrainConfig(lr=5e-3, batch_size=64, max_epochs=4, patience=3, lr_patience=1), 1500,
                    (0,), (1, 2, 3), 50, may_train=True),
    "full": Preset("full", TrainConfig(), None, ZOO_SEEDS, (1, 2, 3), 1000, may_train=True),
}


def parse_mode(value: Any = None) -> str:
    """The mode name: ``value`` if given, else ``$DAENR_MODE``, else :data:`DEFAULT_MODE` (the one parser).

    Raises ``ValueError`` naming the valid modes for anything else.
    """
    from_env = value is None or (isinstance(value, str) and not value.strip())
    if from_env:
        value = os.environ.get(MODE_ENV, "").strip() or DEFAULT_MODE
    mode = str(value).strip().lower()
    if mode not in PRESETS:
        source = f" (from ${MODE_ENV})" if from_env else ""
        raise ValueError(f"unknown mode {value!r}{source}; choose one of {', '.join(PRESETS)}.")
    return mode


def preset(mode: Any = None) -> Preset:
    """The :class:`Preset` of ``mode`` (see :func:`parse_mode`)."""
    return PRESETS[parse_mode(mode)]



# ------------------------------------------------------------------------------------------ course paths
@dataclass(frozen=True)
class CoursePath:
    """One way through the notebook series (:mod:`daenr_lite.course`; docs/course.md).

    ``tiers``: the section tiers it covers (every section heading of a notebook carries one: ``core``,
    ``extended``, ``bonus`` or ``discussion``); ``sessions``: the notebooks (two-digit prefixes) of each
    session, in order; ``discussion_minutes``: the closing discussion of each session (its prompts are the
    session's "Further questions"); ``session_minutes``: what each session must add up to (``None``: no limit).
    """

    name: str
    title: str
    tiers: tuple[str, ...]
    sessions: tuple[tuple[str, ...], ...]
    discussion_minutes: int
    session_minutes: int | None


#: section tiers, in order: the 90-minute path takes ``core``; the 3 x 90-minute path adds ``extended``; the
#: full series adds ``bonus`` and each notebook's own ``discussion``
SECTION_TIERS = ("core", "extended", "bonus", "discussion")
_ALL_NOTEBOOKS = ("00", "01", "02", "03", "04", "05")
#: the course paths, by the name ``daenr-lite make-student --path`` takes
COURSE_PATHS: dict[str, CoursePath] = {
    "90min": CoursePath("90min", "one 90-minute session", ("core",), (("00", "02", "03", "04", "05"),), 10, 90),
    "3x90": CoursePath("3x90", "three 90-minute sessions", ("core", "extended"),
                       (("00", "01"), ("02", "03"), ("04", "05")), 10, 90),
    "full": CoursePath("full", "the full series (homework or a self-paced module)",
                       ("core", "extended", "bonus", "discussion"), (_ALL_NOTEBOOKS,), 0, None),
}

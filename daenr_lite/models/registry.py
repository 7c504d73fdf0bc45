"""The one registry of model names: ``"dae"``, ``"cnn_fr"``, ``"dae_nr_1"``..``"dae_nr_4"``, ``"dae_probe_1"``..``"dae_probe_4"``.

Every part of daenr-lite that names a model (experiments, the model store and the pretrained zoo,
benchmarks, notebooks, the explorer widget) looks the name up here, so a model has one name, one display
label and one description.

``MODEL_CODE_VERSION`` is part of every model-store key (:mod:`daenr_lite.zoo`): bump it whenever a change
to the model, loss or training code can change what a recipe trains, so no stale checkpoint is reused.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ModelSpec", "MODEL_SPECS", "MODEL_CODE_VERSION", "model_spec", "model_names"]

#: bump when model/loss/training code changes what a recipe trains (invalidates cached and shipped models)
MODEL_CODE_VERSION = 2


@dataclass(frozen=True)
class ModelSpec:
    """One named model.

    Attributes
    ----------
    name : registry name, e.g. ``"dae_nr_2"``.
    kind : ``"dae"``, ``"cnn_fr"``, ``"dae_nr"`` (built by :func:`~daenr_lite.build_model`) or
        ``"dae_probe"`` (a :class:`~daenr_lite.LayerProbe` on a trained DAE).
    layer : the DAE-NR mapping layer or the probed DAE layer (1..4); ``None`` otherwise.
    display : label for tables and figures, e.g. ``"DAE-NR_2"``.
    description : one line for listings.
    """

    name: str
    kind: str
    layer: int | None
    display: str
    description: str

    @property
    def predicts_responses(self) -> bool:
        return self.kind != "dae"


def _build_specs() -> dict[str, ModelSpec]:
    specs = [
        ModelSpec("dae", "dae", None, "DAE", "deep auto-encoder (reconstruction only)"),
        ModelSpec("cnn_fr", "cnn_fr", None, "CNN-FR", "CNN core + factorized readout (responses only)"),
    ]
    specs += [
        ModelSpec(f"dae_nr_{i}", "dae_nr", i, f"DAE-NR_{i}", f"DAE + readout from encoder layer h{i}, trained jointly")
        for i in range(1, 5)
    ]
    specs += [
        ModelSpec(f"dae_probe_{i}", "dae_probe", i, f"DAE (probe h{i})", f"readout trained on the frozen DAE's layer h{i}")
        for i in range(1, 5)
    ]
    return {spec.name: spec for spec in specs}


#: every model name, in display order
MODEL_SPECS: dict[str, ModelSpec] = _build_specs()


def _normalise(name: str) -> str:
    return str(name).strip().lower().replace("-", "_").replace(" ", "_")


def model_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of ``name`` (case and ``-``/``_`` insensitive: ``"DAE-NR_2"`` works).

    Raises ``ValueError`` listing the valid names for an unknown one.
    """
    key = _normalise(name)
    spec = MODEL_SPECS.get(key)
    if spec is None:
        by_display = {_normalise(s.display): s for s in MODEL_SPECS.values()}
        spec = by_display.get(key)
    if spec is None:
        raise ValueError(f"unknown model name {name!r}; choose one of: {', '.join(MODEL_SPECS)}.")
    return spec


def model_names(kind: str | None = None) -> list[str]:
    """Registry names, optionally only those of one ``kind`` (``"dae"``, ``"cnn_fr"``, ``"dae_nr"``, ``"dae_probe"``)."""
    kinds = {spec.kind for spec in MODEL_SPECS.values()}
    if kind is not None and kind not in kinds:
        raise ValueError(f"unknown model kind {kind!r}; choose one of: {', '.join(sorted(kinds))}.")
    return [name for name, spec in MODEL_SPECS.items() if kind is None or spec.kind == kind]

"""Representation similarity between model layers and recorded neurons.

Arrays are ``(stimuli, units)`` throughout (responses with repeats: ``(repeats, stimuli, units)``).

- :func:`neuron_significance` — per-neuron Pearson r of a model's prediction with the trial-averaged
  responses and its p-value (the paper's Figure 3 analysis), optional FDR correction / permutation test.
- :func:`rdm`, :func:`rsa` — representational dissimilarity matrices and their Spearman comparison.
- :func:`linear_cka` — linear centred kernel alignment (optionally debiased).
- :func:`linear_predictivity` — cross-validated ridge regression from a representation to each unit.
- :func:`noise_ceiling`, :func:`compare` — every measure with a split-half noise ceiling and a
  permutation null ("above chance?", "how far below the ceiling?").
- :class:`LayerProbe`, :func:`fit_probe` — a trainable readout on a frozen model layer (for the DAE).
- :func:`best_unit_predictions`, :func:`best_unit_significance` — the probe-free alternative: per neuron
  the single unit of a layer that correlates best on the training images, tested on the test images.
- :func:`layer_profile` — a measure for each encoder layer h1..h4 (plot: :func:`daenr_lite.plotting.plot_layer_profile`).

The torch-dependent names (probe, profile) are imported on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

from .best_unit import best_unit_predictions, best_unit_significance
from .ceilings import noise_ceiling, split_half_reliability
from .cka import linear_cka
from .compare import compare
from .measures import MEASURES
from .predictivity import DEFAULT_ALPHAS, linear_predictivity
from .rsa import rdm, rsa
from .significance import NeuronSignificance, benjamini_hochberg, neuron_significance

_LAZY = {
    "LayerProbe": ".probe",
    "fit_probe": ".probe",
    "layer_features": ".profile",
    "layer_profile": ".profile",
}

__all__ = [
    "neuron_significance",
    "NeuronSignificance",
    "benjamini_hochberg",
    "rdm",
    "rsa",
    "linear_cka",
    "linear_predictivity",
    "DEFAULT_ALPHAS",
    "noise_ceiling",
    "split_half_reliability",
    "best_unit_predictions",
    "best_unit_significance",
    "compare",
    "MEASURES",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'daenr_lite.similarity' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

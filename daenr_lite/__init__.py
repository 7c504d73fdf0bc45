"""daenr-lite: deep auto-encoders that share representations with mouse V1 (DAE-NR), for teaching.

The public API is flat::

    from daenr_lite import load_dataset, DAENR, fit, evaluate

Names are imported lazily, so ``import daenr_lite`` stays fast (torch loads on first use of a model).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    # data
    "load_dataset": "daenr_lite.data",
    "NeuralDataset": "daenr_lite.data",
    "GroundTruth": "daenr_lite.data",
    "DatasetError": "daenr_lite.data",
    "available_datasets": "daenr_lite.data",
    "default_data_dir": "daenr_lite.data",
    "NormalizationStats": "daenr_lite.data",
    "MissingDataError": "daenr_lite.data",
    "load_antolik2016_test_set": "daenr_lite.data",
    # configuration
    "ModelConfig": "daenr_lite.config",
    "TrainConfig": "daenr_lite.config",
    # models
    "Encoder": "daenr_lite.models",
    "Decoder": "daenr_lite.models",
    "FactorizedReadout": "daenr_lite.models",
    "DAE": "daenr_lite.models",
    "CNNFR": "daenr_lite.models",
    "DAENR": "daenr_lite.models",
    "build_model": "daenr_lite.models",
    "compression_ratio": "daenr_lite.models",
    # losses
    "poisson_loss": "daenr_lite.losses",
    "reconstruction_loss": "daenr_lite.losses",
    "joint_loss": "daenr_lite.losses",
    "PoissonLoss": "daenr_lite.losses",
    # metrics
    "mse": "daenr_lite.metrics",
    "psnr": "daenr_lite.metrics",
    "ssim": "daenr_lite.metrics",
    "per_neuron_corr": "daenr_lite.metrics",
    "single_trial_corr": "daenr_lite.metrics",
    "oracle_corr": "daenr_lite.metrics",
    "feve": "daenr_lite.metrics",
    "ground_truth_ceiling": "daenr_lite.metrics",
    "fraction_of_ceiling": "daenr_lite.metrics",
    # training
    "fit": "daenr_lite.training",
    "evaluate": "daenr_lite.training",
    "predict": "daenr_lite.training",
    "set_seed": "daenr_lite.training",
    "get_device": "daenr_lite.training",
    "save_model": "daenr_lite.training",
    "load_model": "daenr_lite.training",
    "TrainingDiverged": "daenr_lite.training",
    "History": "daenr_lite.training",
    "thread_policy": "daenr_lite.threads",
    "apply_thread_policy": "daenr_lite.threads",
    # similarity
    "neuron_significance": "daenr_lite.similarity",
    "rsa": "daenr_lite.similarity",
    "linear_cka": "daenr_lite.similarity",
    "linear_predictivity": "daenr_lite.similarity",
    "layer_profile": "daenr_lite.similarity",
    "plot_layer_profile": "daenr_lite.plotting",
    "compare": "daenr_lite.similarity",
    "noise_ceiling": "daenr_lite.similarity",
    "rdm": "daenr_lite.similarity",
    "LayerProbe": "daenr_lite.similarity",
    "fit_probe": "daenr_lite.similarity",
    "NeuronSignificance": "daenr_lite.similarity",
    # experiments mirroring the paper
    "significant_neuron_counts": "daenr_lite.experiments",
    "significant_vs_insignificant": "daenr_lite.experiments",
    "plot_significant_counts": "daenr_lite.plotting",
    # model registry, store and pretrained zoo
    "model_spec": "daenr_lite.models",
    "model_names": "daenr_lite.models",
    "Recipe": "daenr_lite.zoo",
    "ModelStore": "daenr_lite.zoo",
    "load_pretrained": "daenr_lite.zoo",
    "pretrain": "daenr_lite.zoo",
    # modes and seed statistics
    "preset": "daenr_lite.config",
    "paired_comparison": "daenr_lite.stats",
    "mean_sd": "daenr_lite.stats",
    # notebooks
    "setup": "daenr_lite.session",
    "Session": "daenr_lite.session",
    "MappingLayerExplorer": "daenr_lite.widgets",
    "run_notebooks": "daenr_lite.runner",
}

if TYPE_CHECKING:  # the flat API as type checkers and editors see it (imports stay lazy at run time)
    from .config import ModelConfig, TrainConfig, preset
    from .data import (
        DatasetError,
        GroundTruth,
        MissingDataError,
        NeuralDataset,
        NormalizationStats,
        available_datasets,
        default_data_dir,
        load_antolik2016_test_set,
        load_dataset,
    )
    from .experiments import significant_neuron_counts, significant_vs_insignificant
    from .losses import PoissonLoss, joint_loss, poisson_loss, reconstruction_loss
    from .metrics import (
        feve,
        fraction_of_ceiling,
        ground_truth_ceiling,
        mse,
        oracle_corr,
        per_neuron_corr,
        psnr,
        single_trial_corr,
        ssim,
    )
    from .models import (
        CNNFR,
        DAE,
        DAENR,
        Decoder,
        Encoder,
        FactorizedReadout,
        build_model,
        compression_ratio,
        model_names,
        model_spec,
    )
    from .plotting import plot_layer_profile, plot_significant_counts
    from .runner import run_notebooks
    from .session import Session, setup
    from .similarity import (
        LayerProbe,
        NeuronSignificance,
        compare,
        fit_probe,
        layer_profile,
        linear_cka,
        linear_predictivity,
        neuron_significance,
        noise_ceiling,
        rdm,
        rsa,
    )
    from .stats import mean_sd, paired_comparison
    from .threads import apply_thread_policy, thread_policy
    from .training import (
        History,
        TrainingDiverged,
        evaluate,
        fit,
        get_device,
        load_model,
        predict,
        save_model,
        set_seed,
    )
    from .widgets import MappingLayerExplorer
    from .zoo import ModelStore, Recipe, load_pretrained, pretrain

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'daenr_lite' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

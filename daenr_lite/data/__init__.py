"""Data layer: the `NeuralDataset` type, the simulated default dataset and the real Antolík et al. 2016 recordings.

Entry point: :func:`load_dataset` (``"simulated"`` or ``"antolik2016"``, regions 1-3).
"""
from .antolik2016 import MissingDataError, RecordedTestSet, load_antolik2016, load_antolik2016_test_set
from .dataset import DatasetError, GroundTruth, NeuralDataset, NormalizationStats
from .loading import available_datasets, load_dataset
from .paths import default_data_dir, find_real_data

__all__ = [
    "load_dataset",
    "available_datasets",
    "default_data_dir",
    "find_real_data",
    "NeuralDataset",
    "GroundTruth",
    "NormalizationStats",
    "DatasetError",
    "MissingDataError",
    "RecordedTestSet",
    "load_antolik2016",
    "load_antolik2016_test_set",
]

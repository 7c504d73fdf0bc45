"""Data layer: the `NeuralDataset` type, the simulated default dataset and the real Antolík et al. 2016 recordings."""
from .dataset import DatasetError, GroundTruth, NeuralDataset, NormalizationStats

__all__ = ["NeuralDataset", "GroundTruth", "NormalizationStats", "DatasetError"]

"""`layer_profile`: a similarity measure for each encoder layer h1..h4 of a model
(plotted by :func:`daenr_lite.plotting.plot_layer_profile`)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .compare import compare

__all__ = ["layer_features", "layer_profile"]


def layer_features(model: Any, images: Any, batch_size: int = 256) -> list[np.ndarray]:
    """Each encoder layer's features flattened to ``(stimuli, units)``.

    model : a daenr-lite model (forward returns ``features`` [h1..h4]); images : (stimuli, 1, H, W).
    Returns a list of 4 arrays ``(stimuli, C_i * H_i * W_i)``.
    """
    from ..training import predict

    feats = predict(model, images, batch_size=batch_size, features=True)["features"]
    return [f.reshape(f.shape[0], -1) for f in feats]


def layer_profile(
    model: Any,
    dataset: Any,
    measure: str = "cka",
    layers: Sequence[int] = (1, 2, 3, 4),
    n_permutations: int = 1000,
    n_splits: int = 20,
    seed: int = 0,
    progress: bool = True,
    **measure_kwargs: Any,
) -> list[dict[str, Any]]:
    """The similarity between every encoder layer and the recorded neurons, with null and ceiling.

    Parameters
    ----------
    model : trained daenr-lite model (DAE, DAE-NR, CNN-FR, or a LayerProbe).
    dataset : NeuralDataset; features are computed on ``dataset.test_images`` and compared with
        ``dataset.test_responses`` (repeats used for the noise ceiling).
    measure : ``"cka"``, ``"rsa"`` or ``"predictivity"`` (see :func:`daenr_lite.similarity.compare`).
    layers : which of h1..h4 (1-based).
    n_permutations, n_splits, seed, **measure_kwargs : passed to :func:`~daenr_lite.similarity.compare`
        (the same seed for every layer, so the layers share folds and split-halves).
    progress : tqdm bar over layers.

    Cost: a CKA or RSA shuffle is O(stimuli^2); a predictivity shuffle refits the cross-validated ridge
    (about 10-20 ms for 50 stimuli), so ``n_permutations=1000`` takes ~15 s per layer for predictivity.

    Returns
    -------
    Tidy table, one dict per layer: ``layer`` ("h1".."h4"), ``layer_index`` (1..4), ``n_units``,
    ``value``, ``ceiling``, ``normalized``, ``null_mean``, ``null_95``, ``p_value``, ``measure``, ...
    (``pandas.DataFrame(table)`` turns it into a data frame).
    """
    from tqdm.auto import tqdm

    bad = [layer for layer in layers if layer not in (1, 2, 3, 4)]
    if bad or not len(layers):
        raise ValueError(f"layers must be a non-empty subset of 1, 2, 3, 4 (h1..h4); got {tuple(layers)}.")
    feats = layer_features(model, dataset.test_images)
    table = []
    for layer in tqdm(list(layers), desc=f"{measure} per layer", disable=not progress, leave=False):
        result = compare(
            feats[layer - 1], dataset.test_responses, measure, n_permutations=n_permutations,
            n_splits=n_splits, seed=seed, **measure_kwargs,
        )
        table.append({"layer": f"h{layer}", "layer_index": int(layer), "n_units": int(feats[layer - 1].shape[1]), **result})
    return table

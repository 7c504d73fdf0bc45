"""Experiments that mirror the paper's analyses (Ran et al. 2021), each returning a tidy table.

- :func:`significant_neuron_counts` — Figure 3: how many recorded neurons does each model predict
  significantly (Pearson r of prediction vs trial-averaged test response, p <= 0.05)?
- :func:`significant_vs_insignificant` — Table 2: DAE-NR_i trained on only the significant (YES) or only
  the insignificant (NO) neurons; image reconstruction quality (MSE, PSNR, SSIM) of each.

A table is a list of dicts, one per row (``pandas.DataFrame(table)`` makes a data frame). Training
uses :func:`daenr_lite.fit` with ``train_config``: ``None`` for the model helper's defaults
(:class:`~daenr_lite.TrainConfig`), ``"quick"`` for :meth:`TrainConfig.quick` (a few seconds per model,
for notebooks in CI), ``"auto"`` for :meth:`TrainConfig.auto` (quick when ``DAENR_QUICK=1``), or a
:class:`~daenr_lite.TrainConfig`. Every model is seeded with ``seed`` (initialisation, split, shuffling).
"""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from .similarity.significance import neuron_significance

__all__ = [
    "MODEL_NAMES",
    "significant_neuron_counts",
    "significant_vs_insignificant",
    "plot_significant_counts",
    "train_named_model",
]

#: the models of the paper's Figure 3, by name: kind and mapping layer
MODEL_NAMES: dict[str, tuple[str, int | None]] = {
    "dae": ("dae", None),
    "dae_nr_1": ("dae_nr", 1),
    "dae_nr_2": ("dae_nr", 2),
    "dae_nr_3": ("dae_nr", 3),
    "dae_nr_4": ("dae_nr", 4),
    "cnn_fr": ("cnn_fr", None),
}

_DISPLAY = {"dae": "DAE", "cnn_fr": "CNN-FR", **{f"dae_nr_{i}": f"DAE-NR_{i}" for i in range(1, 5)}}


def _train_config(train_config: Any, seed: int, overrides: dict[str, Any]) -> Any:
    from .config import TrainConfig

    if train_config is None:
        cfg = TrainConfig()
    elif train_config == "quick":
        cfg = TrainConfig.quick()
    elif train_config == "auto":
        cfg = TrainConfig.auto()
    elif isinstance(train_config, TrainConfig):
        cfg = train_config
    else:
        raise ValueError(
            f"train_config must be None (defaults), 'quick', 'auto' or a TrainConfig; got {train_config!r}."
        )
    return cfg.replace(seed=int(seed), **overrides)


def _check_model_names(models: Sequence[str]) -> list[str]:
    names = [str(m).lower().replace("-", "_") for m in models]
    unknown = [m for m in names if m not in MODEL_NAMES]
    if unknown or not names:
        raise ValueError(f"unknown model name(s) {unknown or models}; choose from {', '.join(MODEL_NAMES)}.")
    return names


def train_named_model(
    name: str,
    dataset: Any,
    train_config: Any = None,
    *,
    seed: int = 0,
    model_config: Any = None,
    device: Any = None,
    **train_overrides: Any,
) -> tuple[Any, Any]:
    """Build and train one model of :data:`MODEL_NAMES` (e.g. ``"dae_nr_2"``) on ``device`` (default: the
    best available, see :func:`~daenr_lite.get_device`); returns ``(model, history)``."""
    from .models import build_model
    from .training import fit, set_seed

    (key,) = _check_model_names([name])
    kind, layer = MODEL_NAMES[key]
    cfg = _train_config(train_config, seed, train_overrides)
    set_seed(seed)
    model = build_model(kind, dataset, mapping_layer=layer, config=model_config)
    history = fit(model, dataset, cfg, progress=False, device=device)
    return model, history


def _significance_row(
    model: Any, dataset: Any, *, name: str, kind: str, layer: int | None, readout: str, history: Any, seed: int,
    seconds: float, significance_kwargs: dict[str, Any],
) -> dict[str, Any]:
    from .training import evaluate, predict

    predictions = predict(model, dataset.test_images)["responses"]
    result = neuron_significance(predictions, dataset.test_responses, **significance_kwargs)
    metrics = evaluate(model, dataset)
    row: dict[str, Any] = {
        "model": name,
        "kind": kind,
        "layer": layer,
        "readout": readout,
        **result.summary(),
        "test_corr": metrics.get("test_corr", float("nan")),
        "mse": metrics.get("mse", float("nan")),
        "psnr": metrics.get("psnr", float("nan")),
        "ssim": metrics.get("ssim", float("nan")),
        "epochs": history.n_epochs,
        "seconds": round(seconds, 1),
        "seed": seed,
        "significant_mask": result.significant,
        "r": result.r,
        "p_value": result.p_value,
    }
    return row


def significant_neuron_counts(
    dataset: Any,
    models: Sequence[str] = ("dae", "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4", "cnn_fr"),
    train_config: Any = None,
    *,
    seed: int = 0,
    probe_layers: Sequence[int] = (1, 2, 3, 4),
    alpha: float = 0.05,
    alternative: str = "greater",
    correction: str | None = None,
    model_config: Any = None,
    device: Any = None,
    progress: bool = True,
    models_out: dict[str, Any] | None = None,
    **train_overrides: Any,
) -> list[dict[str, Any]]:
    """Paper Figure 3: the number of neurons each model predicts significantly.

    Each model is trained on ``dataset``'s training images; its predicted responses to the test images
    are correlated with the trial-averaged test responses, neuron by neuron, and tested with
    :func:`~daenr_lite.similarity.neuron_significance` (t-test on Pearson r, one-sided by default).

    The DAE has no readout, so it gets a :class:`~daenr_lite.similarity.LayerProbe` — the same
    factorized readout DAE-NR_i uses, trained with the Poisson loss on the *frozen* trained DAE — on
    each layer of ``probe_layers`` (one row per layer). "DAE + probe on h_i" vs "DAE-NR_i" then differ
    only in whether the encoder learned with the neural responses; probing all four layers gives the
    DAE the same four chances as the four DAE-NR variants.

    Parameters
    ----------
    dataset : NeuralDataset.
    models : names from :data:`MODEL_NAMES`.
    train_config : ``None`` | ``"quick"`` | ``"auto"`` | TrainConfig (see the module docstring);
        ``**train_overrides`` change single fields (e.g. ``max_epochs=3``).
    seed : seeds every model (initialisation, validation split, shuffling).
    probe_layers : DAE layers to probe (1..4).
    alpha, alternative, correction : significance settings.
    model_config : ModelConfig for every model (default: the defaults).
    device : torch device for training (default: the best available, see :func:`~daenr_lite.get_device`).
    progress : tqdm bar over the models.
    models_out : optional dict; if given, the trained models are stored in it by row name (e.g. for
        :func:`~daenr_lite.similarity.layer_profile` afterwards).

    Returns
    -------
    Table (list of dicts), one row per model (DAE: per probed layer), with ``model`` (display name),
    ``kind``, ``layer``, ``readout`` ("joint" / "probe"), ``n_neurons``, ``n_significant``,
    ``n_insignificant``, ``fraction_significant``, ``mean_r``, ``median_r``, ``test_corr``, ``mse``,
    ``psnr``, ``ssim`` (nan for models that do not reconstruct; a probe row carries its DAE's), ``epochs``,
    ``seconds`` (training time; for a probe row the probe's only), ``seed``, and
    per-neuron arrays ``significant_mask (neurons,)``, ``r (neurons,)``, ``p_value (neurons,)``.
    """
    from tqdm.auto import tqdm

    from .similarity.probe import fit_probe

    names = _check_model_names(models)
    bad_layers = [layer for layer in probe_layers if layer not in (1, 2, 3, 4)]
    if bad_layers or ("dae" in names and not len(probe_layers)):
        raise ValueError(f"probe_layers must be a non-empty subset of 1, 2, 3, 4; got {tuple(probe_layers)}.")
    cfg = _train_config(train_config, seed, train_overrides)
    sig_kwargs = {"alpha": alpha, "alternative": alternative, "correction": correction}
    n_steps = len(names) + (len(probe_layers) if "dae" in names else 0)
    bar = tqdm(total=n_steps, desc="significant neurons", unit="model", disable=not progress)
    table = []
    try:
        for name in names:
            kind, layer = MODEL_NAMES[name]
            bar.set_postfix_str(_DISPLAY[name])
            start = time.perf_counter()
            model, history = train_named_model(name, dataset, cfg, seed=seed, model_config=model_config, device=device)
            seconds = time.perf_counter() - start
            bar.update()
            if models_out is not None:
                models_out[_DISPLAY[name]] = model
            if kind != "dae":
                table.append(_significance_row(
                    model, dataset, name=_DISPLAY[name], kind=kind, layer=layer, readout="joint", history=history,
                    seed=seed, seconds=seconds, significance_kwargs=sig_kwargs,
                ))
                continue
            reconstruction = _metrics_of(model, dataset)
            for probe_layer in probe_layers:
                bar.set_postfix_str(f"DAE probe h{probe_layer}")
                start = time.perf_counter()
                probe, probe_history = fit_probe(model, dataset, probe_layer, cfg, progress=False, device=device)
                row = _significance_row(
                    probe, dataset, name=f"DAE (probe h{probe_layer})", kind="dae", layer=probe_layer, readout="probe",
                    history=probe_history, seed=seed, seconds=time.perf_counter() - start,
                    significance_kwargs=sig_kwargs,
                )
                row.update(reconstruction)
                table.append(row)
                if models_out is not None:
                    models_out[row["model"]] = probe
                bar.update()
    finally:
        bar.close()
    return table


def _metrics_of(model: Any, dataset: Any) -> dict[str, float]:
    from .training import evaluate

    metrics = evaluate(model, dataset)
    return {key: metrics[key] for key in ("mse", "psnr", "ssim") if key in metrics}


def significant_vs_insignificant(
    dataset: Any,
    significant_mask: Any = None,
    train_config: Any = None,
    *,
    reference: str = "cnn_fr",
    mapping_layers: Sequence[int] = (1, 2, 3, 4),
    seed: int = 0,
    balance: bool = False,
    alpha: float = 0.05,
    alternative: str = "greater",
    model_config: Any = None,
    device: Any = None,
    progress: bool = True,
    **train_overrides: Any,
) -> list[dict[str, Any]]:
    """Paper Table 2: DAE-NR_i trained with only the significant (YES) or only the insignificant (NO) neurons.

    Parameters
    ----------
    dataset : NeuralDataset with all neurons.
    significant_mask : (neurons,) bool, e.g. ``row["significant_mask"]`` of a
        :func:`significant_neuron_counts` row; or a dict ``{mapping_layer: mask}`` to give each DAE-NR_i
        its own mask (e.g. the one of the DAE-NR_i trained on all neurons). ``None``: derived by training
        ``reference`` on all neurons and testing it with :func:`~daenr_lite.similarity.neuron_significance`.
    train_config : ``None`` | ``"quick"`` | ``"auto"`` | TrainConfig; ``**train_overrides`` change fields.
    reference : model name (:data:`MODEL_NAMES`, not ``"dae"``) that defines the mask when none is given.
        The default CNN-FR is a pure response model, neutral with respect to the DAE-NR mapping layers.
    mapping_layers : DAE-NR variants to train.
    seed : seeds every model (and the subsampling of ``balance``).
    balance : subsample the larger group (seeded) to the size of the smaller one, so that YES and NO
        differ only in *which* neurons they hold. (The Poisson loss is summed over neurons, so with
        unequal groups the response term also differs in weight — the paper does not balance.)
    alpha, alternative : significance settings for the derived mask.
    model_config : ModelConfig for every model.
    device : torch device for training (default: the best available).
    progress : tqdm bar over the trainings.

    Returns
    -------
    Table, one row per (mapping layer, group): ``model`` ("DAE-NR_i"), ``layer``, ``neurons`` ("YES" /
    "NO"), ``n_neurons``, ``mse``, ``psnr``, ``ssim``, ``test_corr`` (on that group's neurons), ``epochs``,
    ``seconds``, ``seed``, ``mask_source``. A group with no neurons gives a row of nan metrics and
    ``note``.
    """
    from tqdm.auto import tqdm

    from .training import evaluate

    bad = [layer for layer in mapping_layers if layer not in (1, 2, 3, 4)]
    if bad or not len(mapping_layers):
        raise ValueError(f"mapping_layers must be a non-empty subset of 1, 2, 3, 4; got {tuple(mapping_layers)}.")
    cfg = _train_config(train_config, seed, train_overrides)
    if significant_mask is None:
        (ref,) = _check_model_names([reference])
        if MODEL_NAMES[ref][0] == "dae":
            raise ValueError("reference must predict responses (e.g. 'cnn_fr' or 'dae_nr_1'), not 'dae'.")
        if progress:
            print(f"deriving the significant neurons from {_DISPLAY[ref]} (trained on all {dataset.n_neurons} neurons)")
        ref_model, _ = train_named_model(ref, dataset, cfg, seed=seed, model_config=model_config, device=device)
        from .training import predict

        mask = neuron_significance(
            predict(ref_model, dataset.test_images)["responses"], dataset.test_responses, alpha=alpha, alternative=alternative
        ).significant
        mask_source = f"{_DISPLAY[ref]} (alpha={alpha}, {alternative})"
    elif isinstance(significant_mask, dict):
        missing = [layer for layer in mapping_layers if layer not in significant_mask]
        if missing:
            raise ValueError(f"significant_mask has no mask for mapping layer(s) {missing}; give one per layer in mapping_layers.")
        mask_source = "given per layer"
    else:
        mask_source = "given"
    masks = {
        layer: _check_mask(significant_mask[layer] if isinstance(significant_mask, dict) else (
            mask if significant_mask is None else significant_mask), dataset.n_neurons)
        for layer in mapping_layers
    }
    rng = np.random.default_rng(seed)

    table = []
    bar = tqdm(total=2 * len(mapping_layers), desc="YES / NO neurons", unit="model", disable=not progress)
    try:
        for layer in mapping_layers:
            groups = {"YES": np.flatnonzero(masks[layer]), "NO": np.flatnonzero(~masks[layer])}
            if balance and min(len(g) for g in groups.values()) > 0:
                size = min(len(g) for g in groups.values())
                groups = {k: np.sort(rng.choice(g, size=size, replace=False)) for k, g in groups.items()}
            for label, idx in groups.items():
                row: dict[str, Any] = {"model": f"DAE-NR_{layer}", "layer": int(layer), "neurons": label,
                                       "n_neurons": int(idx.size), "seed": seed, "mask_source": mask_source}
                bar.set_postfix_str(f"DAE-NR_{layer} {label}")
                if idx.size == 0:
                    row.update(mse=float("nan"), psnr=float("nan"), ssim=float("nan"), test_corr=float("nan"),
                               epochs=0, seconds=0.0, note=f"no {'significant' if label == 'YES' else 'insignificant'} neurons")
                else:
                    subset = dataset.subset_neurons(idx)
                    start = time.perf_counter()
                    model, history = train_named_model(f"dae_nr_{layer}", subset, cfg, seed=seed, model_config=model_config, device=device)
                    metrics = evaluate(model, subset)
                    row.update({key: metrics[key] for key in ("mse", "psnr", "ssim", "test_corr")},
                               epochs=history.n_epochs, seconds=round(time.perf_counter() - start, 1))
                table.append(row)
                bar.update()
    finally:
        bar.close()
    return table


def _check_mask(mask: Any, n_neurons: int) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.shape != (n_neurons,):
        raise ValueError(
            f"significant_mask must be a boolean array of shape ({n_neurons},), one entry per neuron; got dtype "
            f"{mask.dtype}, shape {mask.shape}. Use row['significant_mask'] from significant_neuron_counts."
        )
    return mask


def plot_significant_counts(table: Sequence[dict[str, Any]], ax: Any = None, title: str | None = None) -> Any:
    """Bar chart of significant / insignificant neurons per model (the paper's Figure 3 analogue).

    table : the list returned by :func:`significant_neuron_counts`. Returns the matplotlib axes.
    """
    import matplotlib.pyplot as plt

    if not table:
        raise ValueError("table is empty; pass the list returned by significant_neuron_counts.")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.75 * len(table), 3.5))
    labels = [row["model"] for row in table]
    sig = np.array([row["n_significant"] for row in table])
    insig = np.array([row["n_insignificant"] for row in table])
    x = np.arange(len(table))
    ax.bar(x, sig, color="tab:blue", label="significant")
    ax.bar(x, insig, bottom=sig, color="0.8", label="not significant")
    for xi, s in zip(x, sig):
        ax.text(xi, s / 2 if s > 0 else 0.5, str(int(s)), ha="center", va="center" if s > 0 else "bottom",
                color="white" if s > 4 else "black", fontsize="small")
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_ylabel("neurons")
    alpha = table[0].get("alpha", 0.05)
    ax.set_title(title or f"neurons predicted significantly (p <= {alpha})")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax

"""Experiments that mirror the paper's analyses (Ran et al. 2021), each returning a tidy table.

- :func:`significant_neuron_counts` — Figure 3: how many recorded neurons does each model predict
  significantly (Pearson r of prediction vs trial-averaged test response, p <= 0.05)?
- :func:`significant_vs_insignificant` — Table 2: DAE-NR_i trained on only the significant (YES) or only
  the insignificant (NO) neurons; image reconstruction quality (MSE, PSNR, SSIM) of each.

**Table 2's mask, one documented choice.** Each DAE-NR_i gets *its own* mask: the neurons that DAE-NR_i
trained on all neurons predicts significantly (``reference="own"``, the default; as the paper's Figure 3
counts per DAE-NR_i). The neurons are *selected on half of the test images* and the group's
``test_corr`` is measured on the *other half* (:func:`split_test_images`): selecting neurons for a high
correlation and reporting the correlation on the same images would inflate YES and deflate NO
(selection bias). Reconstruction metrics use all test images (the selection never looks at them).

A table is a list of dicts, one per row (``pandas.DataFrame(table)`` makes a data frame). Training
uses :func:`daenr_lite.fit` with ``train_config``: ``None`` for the model helper's defaults
(:class:`~daenr_lite.TrainConfig`), ``"quick"`` for :meth:`TrainConfig.quick` (a few seconds per model,
for notebooks in CI), or a
:class:`~daenr_lite.TrainConfig`. Every model is seeded with ``seed`` (initialisation, split, shuffling).
"""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from .models.registry import model_spec
from .similarity.best_unit import best_unit_significance
from .similarity.significance import neuron_significance

__all__ = [
    "MODEL_NAMES",
    "significant_neuron_counts",
    "significant_vs_insignificant",
    "split_test_images",
    "select_significant",
    "train_named_model",
]

#: the models of the paper's Figure 3 (names from the one registry, :mod:`daenr_lite.models.registry`)
MODEL_NAMES: tuple[str, ...] = ("dae", "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4", "cnn_fr")


def _display(name: str) -> str:
    return model_spec(name).display


def _train_config(train_config: Any, seed: int, overrides: dict[str, Any]) -> Any:
    from .config import TrainConfig

    if train_config is None:
        cfg = TrainConfig()
    elif train_config == "quick":
        cfg = TrainConfig.quick()
    elif isinstance(train_config, TrainConfig):
        cfg = train_config
    else:
        raise ValueError(
            f"train_config must be None (defaults), 'quick' or a TrainConfig; got {train_config!r}."
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
    kind, layer = model_spec(key).kind, model_spec(key).layer
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
        "trained_model": model,
    }
    return row


def significant_neuron_counts(
    dataset: Any,
    models: Sequence[str] = ("dae", "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4", "cnn_fr"),
    train_config: Any = None,
    *,
    seed: int = 0,
    probe_layers: Sequence[int] = (1, 2, 3, 4),
    best_unit: bool = True,
    alpha: float = 0.05,
    alternative: str = "greater",
    correction: str | None = None,
    model_config: Any = None,
    device: Any = None,
    progress: bool = True,
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
    DAE the same four chances as the four DAE-NR variants. With ``best_unit=True`` the DAE also gets a
    probe-free row per layer, "DAE (best unit h_i)": per neuron the single unit of h_i that correlates
    best on the training images, tested on the test images
    (:func:`~daenr_lite.similarity.best_unit_significance`), so the two counting methods can be compared.

    Parameters
    ----------
    dataset : NeuralDataset.
    models : names from :data:`MODEL_NAMES`.
    train_config : ``None`` | ``"quick"`` | TrainConfig (see the module docstring);
        ``**train_overrides`` change single fields (e.g. ``max_epochs=3``).
    seed : seeds every model (initialisation, validation split, shuffling).
    probe_layers : DAE layers to probe (1..4).
    best_unit : also count the DAE's neurons with the probe-free best single unit of each probed layer.
    alpha, alternative, correction : significance settings.
    model_config : ModelConfig for every model (default: the defaults).
    device : torch device for training (default: the best available, see :func:`~daenr_lite.get_device`).
    progress : tqdm bar over the models.

    Returns
    -------
    Table (list of dicts), one row per model (DAE: per probed layer), with ``model`` (display name),
    ``kind``, ``layer``, ``readout`` ("joint" / "probe" / "best_unit"), ``n_neurons``, ``n_significant``,
    ``n_insignificant``, ``fraction_significant``, ``mean_r``, ``median_r``, ``test_corr``, ``mse``,
    ``psnr``, ``ssim`` (nan for models that do not reconstruct; a probe row carries its DAE's), ``epochs``,
    ``seconds`` (training time; for a probe row the probe's only), ``seed``, and
    per-neuron arrays ``significant_mask (neurons,)``, ``r (neurons,)``, ``p_value (neurons,)``, and
    ``trained_model``: the model the row counts (a probe row: the :class:`~daenr_lite.LayerProbe`, whose
    ``backbone`` is the trained DAE; a best-unit row: the DAE), e.g. for
    :func:`~daenr_lite.similarity.layer_profile` afterwards.
    """
    from tqdm.auto import tqdm

    from .similarity.probe import fit_probe

    names = _check_model_names(models)
    bad_layers = [layer for layer in probe_layers if layer not in (1, 2, 3, 4)]
    if bad_layers or ("dae" in names and not len(probe_layers)):
        raise ValueError(f"probe_layers must be a non-empty subset of 1, 2, 3, 4; got {tuple(probe_layers)}.")
    cfg = _train_config(train_config, seed, train_overrides)
    sig_kwargs = {"alpha": alpha, "alternative": alternative, "correction": correction}
    n_steps = len(names) + ((1 + bool(best_unit)) * len(probe_layers) if "dae" in names else 0)
    bar = tqdm(total=n_steps, desc="significant neurons", unit="model", disable=not progress)
    table = []
    try:
        for name in names:
            kind, layer = model_spec(name).kind, model_spec(name).layer
            bar.set_postfix_str(_display(name))
            start = time.perf_counter()
            model, history = train_named_model(name, dataset, cfg, seed=seed, model_config=model_config, device=device)
            seconds = time.perf_counter() - start
            bar.update()
            if kind != "dae":
                table.append(_significance_row(
                    model, dataset, name=_display(name), kind=kind, layer=layer, readout="joint", history=history,
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
                bar.update()
            for probe_layer in probe_layers if best_unit else ():
                bar.set_postfix_str(f"DAE best unit h{probe_layer}")
                start = time.perf_counter()
                result, _ = best_unit_significance(model, dataset, probe_layer, **sig_kwargs)
                table.append({
                    "model": f"DAE (best unit h{probe_layer})", "kind": "dae", "layer": probe_layer,
                    "readout": "best_unit", **result.summary(), "test_corr": float(result.r.mean()),
                    **reconstruction, "epochs": 0, "seconds": round(time.perf_counter() - start, 1), "seed": seed,
                    "significant_mask": result.significant, "r": result.r, "p_value": result.p_value,
                    "trained_model": model,
                })
                bar.update()
    finally:
        bar.close()
    return table


def _metrics_of(model: Any, dataset: Any) -> dict[str, float]:
    from .training import evaluate

    metrics = evaluate(model, dataset)
    return {key: metrics[key] for key in ("mse", "psnr", "ssim") if key in metrics}


def split_test_images(n_test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split the test images at random (seeded) into a *selection* half and an *evaluation* half.

    Returns ``(selection, evaluation)``, sorted index arrays of ``n_test // 2`` and ``n_test - n_test // 2``
    images. Table 2 selects its neurons on the first and measures ``test_corr`` on the second.
    """
    n_test = int(n_test)
    if n_test < 6:
        raise ValueError(f"need at least 6 test images to select on one half and evaluate on the other; got {n_test}.")
    perm = np.random.default_rng([int(seed), 2]).permutation(n_test)
    return np.sort(perm[: n_test // 2]), np.sort(perm[n_test // 2 :])


def select_significant(
    model: Any, dataset: Any, images: Any = None, alpha: float = 0.05, alternative: str = "greater"
) -> np.ndarray:
    """(neurons,) bool: the neurons ``model`` predicts significantly on the test images ``images``.

    ``images`` : indices into ``dataset.test_images`` (e.g. the selection half of :func:`split_test_images`);
    ``None`` uses all test images. t-test on Pearson r (:func:`~daenr_lite.similarity.neuron_significance`).
    """
    from .training import predict

    idx = np.arange(dataset.n_test) if images is None else np.asarray(images, dtype=np.int64)
    predictions = predict(model, dataset.test_images[idx])["responses"]
    return neuron_significance(predictions, dataset.test_responses[:, idx], alpha=alpha, alternative=alternative).significant


def _held_out_corr(model: Any, dataset: Any, images: np.ndarray) -> float:
    """Mean over neurons of the Pearson r on the test images ``images`` only."""
    from . import metrics
    from .training import predict

    predictions = predict(model, dataset.test_images[images])["responses"]
    return float(metrics.per_neuron_corr(predictions, dataset.test_responses[:, images].mean(axis=0)).mean())


def significant_vs_insignificant(
    dataset: Any,
    significant_mask: Any = None,
    train_config: Any = None,
    *,
    reference: str = "own",
    selected_on: Any = None,
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

    Neurons are selected on one half of the test images and ``test_corr`` is measured on the other half
    (see the module docstring): selecting and evaluating on the same images biases ``test_corr``.

    Parameters
    ----------
    dataset : NeuralDataset with all neurons.
    significant_mask : ``None`` (default): derived here from ``reference`` on the selection half of
        :func:`split_test_images` (``seed``). Or a (neurons,) bool mask, or a dict ``{mapping_layer: mask}``
        (e.g. from :func:`select_significant`); then say in ``selected_on`` on which test images it was
        selected. A given mask with ``selected_on=None`` counts as selected on *all* test images: the
        rows then carry no ``test_corr`` (nan, with a ``note``).
    train_config : ``None`` | ``"quick"`` | TrainConfig; ``**train_overrides`` change fields.
    reference : which model's significant neurons define the mask when none is given: ``"own"`` (default,
        the documented choice) — each DAE-NR_i trained on all neurons defines the mask of DAE-NR_i; or a
        model name (:data:`MODEL_NAMES`, not ``"dae"``), e.g. ``"cnn_fr"``, one mask for every layer.
    selected_on : indices of the test images a given ``significant_mask`` was selected on;
        ``test_corr`` is measured on the remaining test images.
    mapping_layers : DAE-NR variants to train.
    seed : seeds every model, the split of the test images and the subsampling of ``balance``.
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
    "NO"), ``n_neurons``, ``mse``, ``psnr``, ``ssim`` (all test images), ``test_corr`` (that group's
    neurons, on the evaluation images only), ``n_selection_images``, ``n_evaluation_images``, ``epochs``,
    ``seconds``, ``seed``, ``mask_source``. A group with no neurons gives a row of nan metrics and ``note``.
    """
    from tqdm.auto import tqdm

    from .training import evaluate

    bad = [layer for layer in mapping_layers if layer not in (1, 2, 3, 4)]
    if bad or not len(mapping_layers):
        raise ValueError(f"mapping_layers must be a non-empty subset of 1, 2, 3, 4; got {tuple(mapping_layers)}.")
    cfg = _train_config(train_config, seed, train_overrides)
    all_images = np.arange(dataset.n_test)
    if significant_mask is None:
        selection, evaluation = split_test_images(dataset.n_test, seed)
        if reference == "own":
            refs = {layer: f"dae_nr_{layer}" for layer in mapping_layers}
            mask_source = f"each DAE-NR_i's own (all neurons; alpha={alpha}, {alternative}; {selection.size} selection images)"
        else:
            (ref,) = _check_model_names([reference])
            if model_spec(ref).kind == "dae":
                raise ValueError("reference must be 'own' or predict responses (e.g. 'cnn_fr' or 'dae_nr_1'), not 'dae'.")
            refs = {layer: ref for layer in mapping_layers}
            mask_source = f"{_display(ref)} (alpha={alpha}, {alternative}; {selection.size} selection images)"
        derived: dict[str, np.ndarray] = {}
        for name in dict.fromkeys(refs.values()):
            if progress:
                print(f"selecting neurons with {_display(name)} (trained on all {dataset.n_neurons} neurons)")
            ref_model, _ = train_named_model(name, dataset, cfg, seed=seed, model_config=model_config, device=device)
            derived[name] = select_significant(ref_model, dataset, selection, alpha=alpha, alternative=alternative)
        masks = {layer: derived[refs[layer]] for layer in mapping_layers}
    else:
        if isinstance(significant_mask, dict):
            missing = [layer for layer in mapping_layers if layer not in significant_mask]
            if missing:
                raise ValueError(f"significant_mask has no mask for mapping layer(s) {missing}; give one per layer in mapping_layers.")
            mask_source = "given per layer"
        else:
            mask_source = "given"
        masks = {
            layer: _check_mask(significant_mask[layer] if isinstance(significant_mask, dict) else significant_mask,
                               dataset.n_neurons)
            for layer in mapping_layers
        }
        selection = all_images if selected_on is None else np.unique(np.asarray(selected_on, dtype=np.int64))
        if selection.size and (selection.min() < 0 or selection.max() >= dataset.n_test):
            raise ValueError(f"selected_on must index the {dataset.n_test} test images (0..{dataset.n_test - 1}).")
        evaluation = np.setdiff1d(all_images, selection)
    held_out = evaluation.size >= 3
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
                                       "n_neurons": int(idx.size), "seed": seed, "mask_source": mask_source,
                                       "n_selection_images": int(selection.size),
                                       "n_evaluation_images": int(evaluation.size) if held_out else 0}
                bar.set_postfix_str(f"DAE-NR_{layer} {label}")
                if idx.size == 0:
                    row.update(mse=float("nan"), psnr=float("nan"), ssim=float("nan"), test_corr=float("nan"),
                               epochs=0, seconds=0.0, note=f"no {'significant' if label == 'YES' else 'insignificant'} neurons")
                else:
                    subset = dataset.subset_neurons(idx)
                    start = time.perf_counter()
                    model, history = train_named_model(f"dae_nr_{layer}", subset, cfg, seed=seed, model_config=model_config, device=device)
                    metrics = evaluate(model, subset)
                    row.update({key: metrics[key] for key in ("mse", "psnr", "ssim")},
                               test_corr=_held_out_corr(model, subset, evaluation) if held_out else float("nan"),
                               epochs=history.n_epochs, seconds=round(time.perf_counter() - start, 1))
                    if not held_out:
                        row["note"] = ("test_corr omitted: the mask was selected on (almost) all test images, so "
                                       "a correlation on them is biased; pass selected_on")
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

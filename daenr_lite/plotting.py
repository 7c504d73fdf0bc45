"""Figures for the teaching notebooks (matplotlib). Every function returns a ``matplotlib.figure.Figure``.

Inputs are numpy arrays (torch tensors are converted), with the shapes in each docstring. Functions
never call ``plt.show()``: notebooks display the figure (``daenr_lite.notebook_utils.show_figure``).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

__all__ = [
    "plot_images",
    "plot_response_distribution",
    "plot_repeats",
    "plot_reliability",
    "plot_receptive_fields",
    "plot_reconstructions",
    "plot_feature_maps",
    "plot_predicted_vs_recorded",
    "plot_readout_masks",
    "plot_training_curves",
    "plot_metric_table",
    "plot_layer_profiles",
    "plot_explorer_view",
    "plot_paper_comparison",
    "plot_seed_comparison",
]

LAYER_NAMES = ("h1", "h2", "h3", "h4")
#: display names of the similarity measures of :func:`daenr_lite.layer_profile`
MEASURE_LABELS = {"rsa": "RSA (Spearman of RDMs)", "cka": "linear CKA", "predictivity": "linear predictivity (r)"}


def _figure(width: float, height: float):
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(width, height), layout="constrained")


def _array(name: str, value: Any, ndim: Sequence[int]) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    arr = np.asarray(value, dtype=float)
    if arr.ndim not in ndim:
        raise ValueError(f"{name} has shape {arr.shape}; expected {' or '.join(f'{d}-D' for d in ndim)} (see docstring).")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one element.")
    return arr


def _images(name: str, images: Any) -> np.ndarray:
    """(N,1,H,W) or (N,H,W) -> (N,H,W)."""
    arr = _array(name, images, (3, 4))
    if arr.ndim == 4:
        if arr.shape[1] != 1:
            raise ValueError(f"{name} has shape {arr.shape}; expected grayscale (N, 1, H, W) or (N, H, W).")
        arr = arr[:, 0]
    return arr


def _blank(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


# ------------------------------------------------------------------------------------------- data
def plot_images(images: Any, n: int = 16, ncols: int = 8, titles: Sequence[str] | None = None,
                title: str | None = None):
    """A grid of the first ``n`` images ``(N, 1, H, W)`` or ``(N, H, W)`` with pixel values in [0, 1]."""
    imgs = _images("images", images)[:n]
    ncols = max(1, min(ncols, len(imgs)))
    nrows = int(np.ceil(len(imgs) / ncols))
    fig = _figure(1.3 * ncols, 1.3 * nrows + (0.4 if title else 0))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        _blank(ax)
        if i < len(imgs):
            ax.imshow(imgs[i], cmap="gray", vmin=0, vmax=1)
            ax.set_title(titles[i] if titles is not None else f"image {i}", fontsize=8)
        else:
            ax.axis("off")
    if title:
        fig.suptitle(title)
    return fig


def plot_response_distribution(responses: Any, title: str = "Responses to the training images"):
    """Histogram of all responses and, per neuron, the fraction of zero responses.

    responses : (images, neurons), non-negative.
    """
    resp = _array("responses", responses, (2,))
    fig = _figure(10, 3.4)
    ax_hist, ax_zero = fig.subplots(1, 2)
    ax_hist.hist(resp.ravel(), bins=60, color="tab:blue")
    ax_hist.set_yscale("log")
    ax_hist.set_xlabel("response (a.u., one trial)")
    ax_hist.set_ylabel("count (log scale)")
    ax_hist.set_title(f"all responses: {100 * np.mean(resp == 0):.0f}% are exactly 0")
    zero_fraction = np.mean(resp == 0, axis=0)
    ax_zero.hist(zero_fraction, bins=20, range=(0, 1), color="tab:orange")
    ax_zero.set_xlabel("fraction of images with zero response")
    ax_zero.set_ylabel("number of neurons")
    ax_zero.set_title("sparsity per neuron")
    fig.suptitle(title)
    return fig


def plot_repeats(test_responses: Any, neuron: int = 0, n_images: int = 20):
    """One neuron's responses to the first ``n_images`` test images on every repeat, with the mean.

    test_responses : (repeats, images, neurons).
    """
    resp = _array("test_responses", test_responses, (3,))
    if not 0 <= neuron < resp.shape[2]:
        raise ValueError(f"neuron {neuron} is out of range; the data has {resp.shape[2]} neurons (0..{resp.shape[2] - 1}).")
    trials = resp[:, :n_images, neuron]
    x = np.arange(trials.shape[1])
    fig = _figure(8, 3.2)
    ax = fig.subplots()
    for r in range(trials.shape[0]):
        ax.plot(x, trials[r], "o", color="0.6", ms=3, label="single trials" if r == 0 else None)
    ax.plot(x, trials.mean(0), "-", color="tab:red", lw=2, label=f"mean of {trials.shape[0]} repeats")
    ax.set_xlabel("test image")
    ax.set_ylabel("response (a.u.)")
    ax.set_title(f"neuron {neuron}: the same image gives different responses on each repeat")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def plot_reliability(oracle: Any, title: str = "How repeatable is each neuron?"):
    """Histogram of per-neuron oracle correlations ``(neurons,)`` (leave-one-repeat-out)."""
    r = _array("oracle", oracle, (1,))
    fig = _figure(6, 3.4)
    ax = fig.subplots()
    ax.hist(r[np.isfinite(r)], bins=20, color="tab:green")
    ax.axvline(np.nanmean(r), color="k", ls="--", label=f"mean {np.nanmean(r):.2f}")
    ax.set_xlabel("oracle correlation (single trial vs mean of the other repeats)")
    ax.set_ylabel("number of neurons")
    ax.set_title(title)
    ax.legend()
    return fig


def plot_receptive_fields(filters: Any, n: int = 16, ncols: int = 8, labels: Sequence[str] | None = None,
                          title: str = "Receptive fields"):
    """Signed spatial filters ``(neurons, H, W)`` on a symmetric blue-white-red scale (white = 0)."""
    rf = _array("filters", filters, (3,))[:n]
    ncols = max(1, min(ncols, len(rf)))
    nrows = int(np.ceil(len(rf) / ncols))
    fig = _figure(1.3 * ncols, 1.35 * nrows + 0.4)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        _blank(ax)
        if i < len(rf):
            lim = np.abs(rf[i]).max() or 1.0
            ax.imshow(rf[i], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(labels[i] if labels is not None else f"neuron {i}", fontsize=8)
        else:
            ax.axis("off")
    fig.suptitle(title)
    return fig


# ------------------------------------------------------------------------------------------- models
def plot_reconstructions(originals: Any, reconstructions: Any | Mapping[str, Any], n: int = 8,
                         title: str = "Test images and their reconstructions"):
    """Originals (top row) and one row per model of reconstructions.

    originals : (N, 1, H, W); reconstructions : (N, 1, H, W) or ``{model name: (N, 1, H, W)}``.
    """
    orig = _images("originals", originals)[:n]
    rows = reconstructions if isinstance(reconstructions, Mapping) else {"reconstruction": reconstructions}
    rows = {name: _images(f"reconstructions[{name!r}]", rec)[:n] for name, rec in rows.items()}
    for name, rec in rows.items():
        if rec.shape != orig.shape:
            raise ValueError(f"reconstructions[{name!r}] has shape {rec.shape} but originals {orig.shape}; pass matching images.")
    fig = _figure(1.25 * len(orig) + 1.2, 1.35 * (len(rows) + 1) + 0.4)
    axes = fig.subplots(len(rows) + 1, len(orig), squeeze=False)
    for j in range(len(orig)):
        for i, (label, data) in enumerate([("original", orig)] + list(rows.items())):
            ax = axes[i, j]
            ax.imshow(data[j], cmap="gray", vmin=0, vmax=1)
            _blank(ax)
            if j == 0:
                ax.set_ylabel(label, fontsize=9)
    fig.suptitle(title)
    return fig


def plot_feature_maps(features: Sequence[Any], max_channels: int = 6, layer_names: Sequence[str] = LAYER_NAMES,
                      title: str = "Encoder feature maps for one image"):
    """The first ``max_channels`` channels of each layer for ONE image.

    features : list of 4 arrays, each ``(C_i, H_i, W_i)`` (or ``(1, C_i, H_i, W_i)``).
    """
    maps = []
    for i, f in enumerate(features):
        arr = _array(f"features[{i}]", f, (3, 4))
        maps.append(arr[0] if arr.ndim == 4 else arr)
    ncols = min(max_channels, max(m.shape[0] for m in maps))
    fig = _figure(1.25 * ncols + 1.0, 1.4 * len(maps) + 0.4)
    axes = fig.subplots(len(maps), ncols, squeeze=False)
    for i, fmap in enumerate(maps):
        for j in range(ncols):
            ax = axes[i, j]
            _blank(ax)
            if j < fmap.shape[0]:
                ax.imshow(fmap[j], cmap="viridis")
                if i == 0:
                    ax.set_title(f"channel {j}", fontsize=8)
            else:
                ax.axis("off")
        name = layer_names[i] if i < len(layer_names) else f"layer {i + 1}"
        axes[i, 0].set_ylabel(f"{name}\n{fmap.shape[0]}x{fmap.shape[1]}x{fmap.shape[2]}", fontsize=8)
    fig.suptitle(title)
    return fig


def _per_neuron_r(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pearson r per neuron (:func:`daenr_lite.metrics.per_neuron_corr`), 0 where undefined (for sorting/labels)."""
    from .metrics import per_neuron_corr

    return np.nan_to_num(per_neuron_corr(pred, target), nan=0.0)


def plot_predicted_vs_recorded(predicted: Any, recorded: Any, neurons: Sequence[int] | None = None,
                               title: str = "Predicted vs recorded responses (test images)"):
    """Left: all neurons pooled (scatter); right: per-neuron correlation histogram; bottom: example traces.

    predicted, recorded : (images, neurons); ``recorded`` is usually the trial-averaged test response.
    neurons : which neurons to draw as traces (default: the 3 best predicted).
    """
    pred = _array("predicted", predicted, (2,))
    rec = _array("recorded", recorded, (2,))
    if pred.shape != rec.shape:
        raise ValueError(f"predicted has shape {pred.shape} but recorded {rec.shape}; both must be (images, neurons).")
    r = _per_neuron_r(pred, rec)
    if neurons is None:
        neurons = list(np.argsort(r)[::-1][:3])
    fig = _figure(11, 6.5)
    grid = fig.add_gridspec(2, len(neurons) if len(neurons) > 2 else 2)
    ax_scatter = fig.add_subplot(grid[0, : grid.ncols // 2])
    ax_hist = fig.add_subplot(grid[0, grid.ncols // 2:])
    ax_scatter.scatter(rec.ravel(), pred.ravel(), s=4, alpha=0.3)
    hi = float(max(rec.max(), pred.max()))
    ax_scatter.plot([0, hi], [0, hi], "k--", lw=1, label="identity")
    ax_scatter.set_xlabel("recorded (trial-averaged)")
    ax_scatter.set_ylabel("predicted")
    ax_scatter.set_title("every neuron x test image")
    ax_scatter.legend(fontsize=8)
    ax_hist.hist(r, bins=20, color="tab:purple")
    ax_hist.axvline(np.mean(r), color="k", ls="--", label=f"mean r = {np.mean(r):.2f}")
    ax_hist.set_xlabel("correlation r (per neuron, across test images)")
    ax_hist.set_ylabel("number of neurons")
    ax_hist.legend(fontsize=8)
    x = np.arange(rec.shape[0])
    for k, neuron in enumerate(neurons):
        ax = fig.add_subplot(grid[1, k])
        ax.plot(x, rec[:, neuron], "o-", ms=3, color="0.3", label="recorded")
        ax.plot(x, pred[:, neuron], "o-", ms=3, color="tab:red", label="predicted")
        ax.set_title(f"neuron {neuron} (r = {r[neuron]:.2f})", fontsize=9)
        ax.set_xlabel("test image")
        if k == 0:
            ax.set_ylabel("response")
            ax.legend(fontsize=7)
    fig.suptitle(title)
    return fig


def plot_readout_masks(masks: Any, true_filters: Any | None = None, n: int = 8,
                       labels: Sequence[Any] | None = None,
                       title: str = "Learned readout masks (where each neuron looks)"):
    """Each neuron's learned spatial mask ``(neurons, h, w)``; with ``true_filters (neurons, H, W)`` the
    ground-truth receptive field's envelope ``|filter|`` is drawn underneath for comparison.
    ``labels`` name the neurons in the titles (default: their position)."""
    m = _array("masks", masks, (3,))[:n]
    rows = 1 if true_filters is None else 2
    fig = _figure(1.35 * len(m) + 1.2, 1.45 * rows + 0.5)
    axes = fig.subplots(rows, len(m), squeeze=False)
    truth = None if true_filters is None else np.abs(_array("true_filters", true_filters, (3,))[:n])
    for j in range(len(m)):
        axes[0, j].imshow(m[j], cmap="magma")
        axes[0, j].set_title(f"neuron {labels[j] if labels is not None else j}", fontsize=8)
        _blank(axes[0, j])
        if truth is not None:
            axes[1, j].imshow(truth[j], cmap="magma")
            _blank(axes[1, j])
    axes[0, 0].set_ylabel("learned mask", fontsize=8)
    if truth is not None:
        axes[1, 0].set_ylabel("true |RF|", fontsize=8)
    fig.suptitle(title)
    return fig


def plot_training_curves(curves: Mapping[str, Sequence[float]], best_epoch: int | None = None,
                         title: str = "Training progress", ylabel: str = "loss"):
    """Line per curve (``{"train loss": [...], "val loss": [...]}``), one value per epoch."""
    if not curves:
        raise ValueError("curves is empty; pass e.g. {'train': history.train_loss}.")
    fig = _figure(6, 3.4)
    ax = fig.subplots()
    for name, values in curves.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, "o-", ms=3, label=name)
    if best_epoch is not None:
        ax.axvline(best_epoch, color="k", ls=":", label=f"best epoch {best_epoch}")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_metric_table(values: Mapping[str, float], reference: Mapping[str, float] | None = None,
                      metric: str = "PSNR (dB)", title: str | None = None):
    """Bar chart of one metric per model (``{"DAE": 21.0, "DAE-NR_1": 21.4}``), optionally beside the
    paper's value for the same model (hatched bars)."""
    if not values:
        raise ValueError("values is empty; pass {model name: metric value}.")
    names = list(values)
    x = np.arange(len(names))
    width = 0.38 if reference else 0.6
    fig = _figure(1.2 * len(names) + 2.5, 3.4)
    ax = fig.subplots()
    ours = ax.bar(x - (width / 2 if reference else 0), [values[k] for k in names], width, label="ours")
    ax.bar_label(ours, fmt="%.2f", fontsize=8)
    if reference:
        ref = [reference.get(k, np.nan) for k in names]
        ref_bars = ax.bar(x + width / 2, ref, width, hatch="//", color="0.8", edgecolor="0.4", label="paper")
        ax.bar_label(ref_bars, fmt="%.2f", fontsize=8)
    ax.set_xticks(x, names)
    ax.set_ylabel(metric)
    ax.set_title(title or metric)
    finite = [v for v in values.values() if np.isfinite(v)]
    if reference:
        finite += [v for v in reference.values() if np.isfinite(v)]
    if finite and min(finite) > 0:
        lo, hi = min(finite), max(finite)
        ax.set_ylim(max(0.0, lo - 0.25 * (hi - lo + 1e-9) - 0.05 * hi), hi + 0.1 * (hi - lo + 1e-9) + 0.02 * hi)
    ax.legend(fontsize=8)
    return fig


def plot_seed_comparison(values: Mapping[str, Sequence[float]], baseline: str | None = None,
                         metric: str = "PSNR (dB)", title: str | None = None,
                         paper_differences: Mapping[str, float] | None = None):
    """Seed spread of one metric per model, and each model's paired difference to ``baseline``.

    values : ``{model: [value per seed]}``, every model with the same seeds in the same order.
    baseline : model the differences are taken to (second panel; omitted when ``None``).
    paper_differences : optional ``{model: published difference to the baseline}`` (open diamonds).

    Left: bars from 0 at the mean with ± 1 sd error bars and one dot per seed (the axis starts at 0, so
    bar heights compare honestly). Right: per seed, model minus baseline (dots), mean ± 2 sd of the paired
    differences (the effect rule of :mod:`daenr_lite.stats`: an effect when the error bar misses 0).
    """
    if not values:
        raise ValueError("values is empty; pass {model: [value per seed]}.")
    names = list(values)
    arrays = {k: np.asarray(values[k], dtype=float) for k in names}
    n_seeds = {len(v) for v in arrays.values()}
    if len(n_seeds) != 1:
        raise ValueError(f"every model needs the same number of seeds; got { {k: len(v) for k, v in arrays.items()} }.")
    if baseline is not None and baseline not in arrays:
        raise ValueError(f"baseline {baseline!r} is not among the models {names}.")
    panels = 2 if baseline is not None and len(names) > 1 else 1
    fig = _figure(3.2 + 1.0 * len(names) * panels, 3.6)
    axes = np.atleast_1d(fig.subplots(1, panels))
    x = np.arange(len(names))
    ax = axes[0]
    means = np.array([arrays[k].mean() for k in names])
    sds = np.array([arrays[k].std(ddof=1) if arrays[k].size > 1 else 0.0 for k in names])
    ax.bar(x, means, 0.6, yerr=sds, capsize=4, color="tab:blue", alpha=0.6, label="mean ± sd over seeds")
    for i, k in enumerate(names):
        ax.plot(np.full(arrays[k].size, x[i]) + np.linspace(-0.12, 0.12, arrays[k].size), arrays[k], "k.", ms=5)
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_ylabel(metric)
    ax.set_ylim(0, max(means + sds) * 1.12 if np.all(np.isfinite(means + sds)) and max(means + sds) > 0 else None)
    ax.set_title(f"{metric}: {n_seeds.pop()} seed(s), dots = seeds", fontsize=9)
    if panels == 2:
        ax = axes[1]
        others = [k for k in names if k != baseline]
        xo = np.arange(len(others))
        for i, k in enumerate(others):
            diff = arrays[k] - arrays[baseline]
            ax.plot(np.full(diff.size, xo[i]) + np.linspace(-0.25, 0.0, diff.size), diff, "k.", ms=6)
            sd = diff.std(ddof=1) if diff.size > 1 else 0.0
            ax.errorbar(xo[i] + 0.25, diff.mean(), yerr=2 * sd, fmt="o", color="tab:red", capsize=4,
                        label="mean ± 2 sd" if i == 0 else None)
            if paper_differences and k in paper_differences:
                ax.plot(xo[i] + 0.25, paper_differences[k], "D", mfc="none", color="0.3",
                        label="paper" if i == 0 else None)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xticks(xo, others, rotation=30, ha="right")
        ax.set_ylabel(f"minus {baseline}")
        ax.set_title(f"paired difference to {baseline}", fontsize=9)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def plot_paper_comparison(ours: Mapping[Any, Mapping[str, float]], paper: Mapping[Any, Mapping[str, float]],
                          metric: str = "PSNR gain over the DAE (dB)", title: str = "Ours vs the paper"):
    """One panel per group (e.g. region), bars per model: our value beside the paper's.

    ours, paper : ``{group: {model: value}}`` (e.g. ``{1: {"DAE-NR_1": 0.12, ...}, 2: {...}}``); models
    missing from ``paper`` are drawn without a paper bar.
    """
    if not ours:
        raise ValueError("ours is empty; pass {group: {model: value}}.")
    groups = list(ours)
    fig = _figure(3.8 * len(groups), 3.6)
    axes = np.atleast_1d(fig.subplots(1, len(groups), sharey=True))
    for ax, group in zip(axes, groups):
        names = list(ours[group])
        x = np.arange(len(names))
        ax.bar(x - 0.2, [ours[group][k] for k in names], 0.4, label="ours")
        ax.bar(x + 0.2, [paper.get(group, {}).get(k, np.nan) for k in names], 0.4, hatch="//", color="0.8",
               edgecolor="0.4", label="paper")
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.set_title(f"region {group}" if isinstance(group, (int, np.integer)) else str(group))
    axes[0].set_ylabel(metric)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    return fig


# ------------------------------------------------------------------------------------------- similarity
def plot_layer_profiles(profiles: Mapping[str, Mapping[str, Sequence[float]]], ceiling: Mapping[str, float] | None = None,
                        null: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
                        layer_names: Sequence[str] = LAYER_NAMES, title: str = "Similarity to V1 across layers",
                        spread: Mapping[str, Mapping[str, Sequence[float]]] | None = None):
    """One panel per similarity measure, one line per model, layers on the x axis.

    profiles : ``{measure: {model: [value per layer]}}`` (e.g. measures "RSA", "CKA", "predictivity"); with
        several seeds, the mean over seeds.
    ceiling : ``{measure: noise ceiling}`` drawn as a dashed line.
    null : ``{measure: {model: [upper 95% of the permutation null per layer]}}`` drawn as a shaded band.
    spread : ``{measure: {model: [sd over seeds per layer]}}`` drawn as ± 1 sd error bars.
    """
    if not profiles:
        raise ValueError("profiles is empty; pass {measure: {model: values per layer}}.")
    fig = _figure(4.2 * len(profiles), 3.6)
    axes = np.atleast_1d(fig.subplots(1, len(profiles)))
    for ax, (measure, per_model) in zip(axes, profiles.items()):
        for k, (model, values) in enumerate(per_model.items()):
            values = np.asarray(values, dtype=float)
            x = np.arange(1, len(values) + 1)
            line, = ax.plot(x, values, "o-", label=model)
            if spread and measure in spread and model in spread[measure]:
                ax.errorbar(x, values, yerr=np.asarray(spread[measure][model], float), fmt="none",
                            ecolor=line.get_color(), capsize=3)
            if null and measure in null and model in null[measure]:
                ax.fill_between(x, 0, np.asarray(null[measure][model], float), color=line.get_color(), alpha=0.12)
        if ceiling and measure in ceiling and np.isfinite(ceiling[measure]):
            ax.axhline(ceiling[measure], color="k", ls="--", lw=1, label="noise ceiling")
        n_layers = max(len(v) for v in per_model.values())
        ax.set_xticks(np.arange(1, n_layers + 1), list(layer_names[:n_layers]))
        ax.set_xlabel("encoder layer")
        ax.set_ylabel(MEASURE_LABELS.get(measure, measure))
        ax.set_title(MEASURE_LABELS.get(measure, measure))
    axes[0].legend(fontsize=8)
    fig.suptitle(title + (" (shaded: 95% of the shuffled-stimulus null)" if null else "")
                 + ("; error bars: ± 1 sd over seeds" if spread else ""))
    return fig


# ------------------------------------------------------------------------------------------- widget
def plot_explorer_view(originals: Any, reconstructions: Any | None, predicted: Any | None, recorded: Any | None,
                       title: str, n_images: int = 5):
    """Compact figure for the mapping-layer explorer: originals above reconstructions, and the
    predicted-vs-recorded scatter of all test responses.

    originals, reconstructions : (N, 1, H, W); predicted, recorded : (N, neurons).
    """
    orig = _images("originals", originals)[:n_images]
    rec = None if reconstructions is None else _images("reconstructions", reconstructions)[:n_images]
    has_resp = predicted is not None and recorded is not None
    fig = _figure(1.2 * len(orig) + (3.8 if has_resp else 0.5), 3.2)
    grid = fig.add_gridspec(2, len(orig) + (3 if has_resp else 0))
    for j in range(len(orig)):
        for i, (label, data) in enumerate([("original", orig), ("reconstruction", rec)]):
            ax = fig.add_subplot(grid[i, j])
            _blank(ax)
            if data is not None:
                ax.imshow(data[j], cmap="gray", vmin=0, vmax=1)
            else:
                ax.axis("off")
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
    if has_resp:
        pred = _array("predicted", predicted, (2,))
        true = _array("recorded", recorded, (2,))
        ax = fig.add_subplot(grid[:, len(orig):])
        ax.scatter(true.ravel(), pred.ravel(), s=4, alpha=0.3)
        hi = float(max(true.max(), pred.max()))
        ax.plot([0, hi], [0, hi], "k--", lw=1)
        ax.set_xlabel("recorded (trial mean)")
        ax.set_ylabel("predicted")
        ax.set_title(f"test responses, mean r = {np.mean(_per_neuron_r(pred, true)):.2f}", fontsize=9)
    fig.suptitle(title, fontsize=10)
    return fig

"""Every figure of daenr-lite (matplotlib), in one module with one convention.

- Every function returns the ``matplotlib.figure.Figure`` it drew on.
- Single-panel plots take ``ax=None``: given an axes they draw into it (and return its figure), so they
  compose into your own layouts; multi-panel plots make their own figure.
- Inputs are numpy arrays (torch tensors are converted), with the shapes in each docstring; functions never
  call ``plt.show()``: notebooks display the figure (``daenr_lite.notebook_utils.show_figure``).
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
    "plot_model_schematic",
    "plot_layer_profile",
    "plot_significant_counts",
]

LAYER_NAMES = ("h1", "h2", "h3", "h4")
#: display names of the similarity measures of :func:`daenr_lite.layer_profile`
MEASURE_LABELS = {"rsa": "RSA (Spearman of RDMs)", "cka": "linear CKA", "predictivity": "linear predictivity (r)"}


def _figure(width: float, height: float):
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(width, height), layout="constrained")


def _axes(ax: Any, width: float, height: float):
    """``(figure, axes)``: the given axes and its figure, or a new single-panel figure."""
    if ax is not None:
        return ax.figure, ax
    fig = _figure(width, height)
    return fig, fig.subplots()


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


def _pixel_colorbar(fig: Any, image: Any, axes: Sequence[Any]) -> None:
    """The grey scale of image panels (pixel values 0 = black .. 1 = white), once for all ``axes``."""
    if image is not None:
        bar = fig.colorbar(image, ax=list(axes), fraction=0.02, pad=0.01, ticks=[0, 0.5, 1])
        bar.set_label("pixel value", fontsize=7)
        bar.ax.tick_params(labelsize=7)


# ------------------------------------------------------------------------------------------- data
def plot_images(images: Any, n: int = 16, ncols: int = 8, titles: Sequence[str] | None = None,
                title: str | None = None):
    """A grid of the first ``n`` images ``(N, 1, H, W)`` or ``(N, H, W)`` with pixel values in [0, 1], and the
    grey scale's colour bar."""
    imgs = _images("images", images)[:n]
    ncols = max(1, min(ncols, len(imgs)))
    nrows = int(np.ceil(len(imgs) / ncols))
    fig = _figure(1.3 * ncols + 0.7, 1.3 * nrows + (0.4 if title else 0))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    shown = None
    for i, ax in enumerate(axes.flat):
        _blank(ax)
        if i < len(imgs):
            shown = ax.imshow(imgs[i], cmap="gray", vmin=0, vmax=1)
            ax.set_title(titles[i] if titles is not None else f"image {i}", fontsize=8)
        else:
            ax.axis("off")
    _pixel_colorbar(fig, shown, list(axes.flat))
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


def plot_repeats(test_responses: Any, neuron: int = 0, n_images: int = 20, ax: Any = None):
    """One neuron's responses to the first ``n_images`` test images on every repeat, with the mean.

    test_responses : (repeats, images, neurons). The title says how many of the test images are shown; the
    x axis is the test image's index (integer ticks).
    """
    from matplotlib.ticker import MaxNLocator

    resp = _array("test_responses", test_responses, (3,))
    if not 0 <= neuron < resp.shape[2]:
        raise ValueError(f"neuron {neuron} is out of range; the data has {resp.shape[2]} neurons (0..{resp.shape[2] - 1}).")
    trials = resp[:, :n_images, neuron]
    shown, total = trials.shape[1], resp.shape[1]
    x = np.arange(shown)
    fig, ax = _axes(ax, 8, 3.2)
    for r in range(trials.shape[0]):
        ax.plot(x, trials[r], "o", color="0.6", ms=3, label="single trials" if r == 0 else None)
    ax.plot(x, trials.mean(0), "-", color="tab:red", lw=2, label=f"mean of {trials.shape[0]} repeats")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("test image (index)")
    ax.set_ylabel("response (a.u.)")
    which = f"all {total} test images" if shown == total else f"the first {shown} of the {total} test images"
    ax.set_title(f"neuron {neuron}, {which}: the same image gives different responses on each repeat", fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    return fig


def plot_reliability(oracle: Any, title: str = "How repeatable is each neuron?", ax: Any = None):
    """Histogram of per-neuron oracle correlations ``(neurons,)`` (leave-one-repeat-out)."""
    r = _array("oracle", oracle, (1,))
    fig, ax = _axes(ax, 6, 3.4)
    ax.hist(r[np.isfinite(r)], bins=20, color="tab:green")
    ax.axvline(np.nanmean(r), color="k", ls="--", label=f"mean {np.nanmean(r):.2f}")
    ax.set_xlabel("oracle correlation (single trial vs mean of the other repeats)")
    ax.set_ylabel("number of neurons")
    ax.set_title(title)
    ax.legend()
    return fig


def plot_receptive_fields(filters: Any, n: int = 16, ncols: int = 8, labels: Sequence[str] | None = None,
                          title: str = "Receptive fields", shared_scale: bool = True):
    """Signed spatial filters ``(neurons, H, W)`` on a symmetric blue-white-red scale (white = 0), with its
    colour scale.

    shared_scale : one scale for every panel, ± the largest ``|weight|`` shown (amplitudes compare across
        neurons); ``False`` scales each panel to its own largest ``|weight|`` (shapes of weak filters are
        easier to see) and the colour bar then reads "weight / that filter's max |weight|".
    """
    rf = _array("filters", filters, (3,))[:n]
    ncols = max(1, min(ncols, len(rf)))
    nrows = int(np.ceil(len(rf) / ncols))
    fig = _figure(1.3 * ncols + 0.9, 1.35 * nrows + 0.4)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    shared = float(np.abs(rf).max()) or 1.0
    image = None
    for i, ax in enumerate(axes.flat):
        _blank(ax)
        if i < len(rf):
            lim = shared if shared_scale else (float(np.abs(rf[i]).max()) or 1.0)
            image = ax.imshow(rf[i] / (1.0 if shared_scale else lim), cmap="RdBu_r",
                              vmin=-(lim if shared_scale else 1.0), vmax=lim if shared_scale else 1.0)
            ax.set_title(labels[i] if labels is not None else f"neuron {i}", fontsize=8)
        else:
            ax.axis("off")
    if image is not None:
        bar = fig.colorbar(image, ax=list(axes.flat), fraction=0.02, pad=0.01)
        bar.set_label("filter weight (red: light, blue: dark)" if shared_scale
                      else "weight / that filter's max |weight|", fontsize=8)
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
    fig = _figure(1.25 * len(orig) + 1.9, 1.35 * (len(rows) + 1) + 0.4)
    axes = fig.subplots(len(rows) + 1, len(orig), squeeze=False)
    shown = None
    for j in range(len(orig)):
        for i, (label, data) in enumerate([("original", orig)] + list(rows.items())):
            ax = axes[i, j]
            shown = ax.imshow(data[j], cmap="gray", vmin=0, vmax=1)
            _blank(ax)
            if j == 0:
                ax.set_ylabel(label, fontsize=9)
    _pixel_colorbar(fig, shown, list(axes.flat))
    fig.suptitle(title)
    return fig


def plot_feature_maps(features: Sequence[Any], max_channels: int = 6, layer_names: Sequence[str] = LAYER_NAMES,
                      title: str = "Encoder feature maps for one image", image: Any | None = None):
    """The first ``max_channels`` channels of each layer for ONE image, one colour scale (and colorbar) per layer.

    features : list of 4 arrays, each ``(C_i, H_i, W_i)`` (or ``(1, C_i, H_i, W_i)``).
    image : optional input image ``(H, W)`` / ``(1, H, W)``, drawn in a first column so the maps can be
        compared with what they encode.
    """
    maps = []
    for i, f in enumerate(features):
        arr = _array(f"features[{i}]", f, (3, 4))
        maps.append(arr[0] if arr.ndim == 4 else arr)
    ncols = min(max_channels, max(m.shape[0] for m in maps))
    offset = 1 if image is not None else 0
    fig = _figure(1.25 * (ncols + offset) + 1.6, 1.4 * len(maps) + 0.4)
    axes = fig.subplots(len(maps), ncols + offset, squeeze=False)
    for i, fmap in enumerate(maps):
        if image is not None:
            ax = axes[i, 0]
            _blank(ax)
            if i == 0:
                shown_input = ax.imshow(np.squeeze(np.asarray(image, dtype=float)), cmap="gray", vmin=0, vmax=1)
                ax.set_title("input", fontsize=8)
            else:
                ax.axis("off")
            if i == 1:  # the input's grey scale, in the empty cell below it
                cax = ax.inset_axes((0.1, 0.75, 0.8, 0.08), label="<colorbar>")
                bar = fig.colorbar(shown_input, cax=cax, orientation="horizontal", ticks=[0, 0.5, 1])
                bar.set_label("pixel value", fontsize=7)
                bar.ax.tick_params(labelsize=7)
        shown = fmap[:ncols]
        vmin, vmax = float(shown.min()), float(shown.max())
        last = None
        for j in range(ncols):
            ax = axes[i, j + offset]
            _blank(ax)
            if j < fmap.shape[0]:
                last = ax.imshow(fmap[j], cmap="viridis", vmin=vmin, vmax=vmax)
                if i == 0:
                    ax.set_title(f"channel {j}", fontsize=8)
            else:
                ax.axis("off")
        if last is not None:
            bar = fig.colorbar(last, ax=list(axes[i, offset:]), fraction=0.02, pad=0.01)
            bar.set_label("activation", fontsize=7)
        name = layer_names[i] if i < len(layer_names) else f"layer {i + 1}"
        axes[i, offset].set_ylabel(f"{name}\n{fmap.shape[0]}x{fmap.shape[1]}x{fmap.shape[2]}", fontsize=8)
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
                       title: str = "Learned readout masks (where each neuron looks)",
                       image_shape: Sequence[int] | None = None, levels: Sequence[float] = (0.5, 0.8)):
    """Each neuron's learned spatial mask ``(neurons, h, w)``, drawn on the image's pixel grid.

    The readout's map is smaller than the image ("valid" convolutions): unit ``(y, x)`` is centred on image
    pixel ``(y + dy, x + dx)`` with ``dy = (H - h) / 2``, ``dx = (W - w) / 2``, so the mask is placed there and
    both panels share the image's extent. Each mask is drawn relative to its own peak ``max |mask|`` (colour
    bar "mask / its peak"; a signed mask on a blue-white-red scale). With ``true_filters (neurons, H, W)`` the
    top row shows the ground-truth receptive field's envelope ``|filter|`` relative to its peak (grey, with
    its colour bar) and the mask's contours on top at ``levels`` (default 50 % and 80 %) of the mask's peak,
    named in the legend and marked on the mask's colour bar. ``labels`` name the neurons (default: their
    position); ``image_shape`` (H, W) is needed only without ``true_filters``.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    m = _array("masks", masks, (3,))[:n]
    truth = None if true_filters is None else np.abs(_array("true_filters", true_filters, (3,))[:n])
    if truth is not None:
        height, width = truth.shape[1:]
    elif image_shape is not None:
        height, width = (int(v) for v in image_shape)
    else:
        height, width = m.shape[1:]
    dy, dx = (height - m.shape[1]) / 2, (width - m.shape[2]) / 2
    extent = (dx - 0.5, dx + m.shape[2] - 0.5, dy + m.shape[1] - 0.5, dy - 0.5)
    levels = sorted(float(v) for v in levels)
    colours = ["tab:orange", "tab:red", "tab:green", "tab:cyan"][: len(levels)] or ["tab:red"]
    signed = bool((m < 0).any())
    peaks = np.abs(m).reshape(len(m), -1).max(1)
    relative = m / np.where(peaks > 0, peaks, 1.0)[:, None, None]
    rows = 1 if truth is None else 2
    fig = _figure(1.35 * len(m) + 2.2, 1.45 * rows + 0.9)
    axes = fig.subplots(rows, len(m), squeeze=False)
    truth_image = mask_image = None
    for j in range(len(m)):
        name = f"neuron {labels[j] if labels is not None else j}"
        if truth is not None:
            ax = axes[0, j]
            top = float(truth[j].max()) or 1.0
            truth_image = ax.imshow(truth[j] / top, cmap="gray_r", vmin=0, vmax=1)
            if peaks[j] > 0 and levels:
                ys = np.arange(m.shape[1]) + dy
                xs = np.arange(m.shape[2]) + dx
                ax.contour(xs, ys, relative[j], levels=levels, colors=colours, linewidths=1)
            ax.set_title(name, fontsize=8)
            _blank(ax)
        ax = axes[rows - 1, j]
        mask_image = ax.imshow(relative[j], cmap="RdBu_r" if signed else "magma", extent=extent,
                               vmin=-1.0 if signed else 0.0, vmax=1.0)
        ax.set_xlim(-0.5, width - 0.5)
        ax.set_ylim(height - 0.5, -0.5)
        ax.add_patch(Rectangle((extent[0], extent[3]), m.shape[2], m.shape[1], fill=False, ec="0.6", lw=0.6, ls=":"))
        if truth is None:
            ax.set_title(name, fontsize=8)
        _blank(ax)
    if truth is not None:
        axes[0, 0].set_ylabel("true |RF| +\nmask contours", fontsize=8)
        bar = fig.colorbar(truth_image, ax=list(axes[0]), fraction=0.02, pad=0.01)
        bar.set_label("|true RF| / its peak", fontsize=7)
        handles = [Line2D([], [], color=c, lw=1.5) for c in colours]
        fig.legend(handles, [f"mask contour at {100 * v:.0f} % of its peak" for v in levels], fontsize=7,
                   loc="outside lower center", ncols=len(levels), frameon=False)
    axes[rows - 1, 0].set_ylabel("learned mask\n(image grid)", fontsize=8)
    bar = fig.colorbar(mask_image, ax=list(axes[rows - 1]), fraction=0.02, pad=0.01)
    bar.set_label("mask / its peak", fontsize=7)
    if truth is not None and levels:
        bar.add_lines(levels, colours, [3.0] * len(levels))
    contours = ", ".join(f"{100 * v:.0f} %" for v in levels)
    fig.suptitle(title + (f" (contours: mask at {contours} of its peak)" if truth is not None and levels else ""))
    return fig


def plot_training_curves(curves: Mapping[str, Sequence[float]], best_epoch: int | None = None,
                         title: str = "Training progress", ylabel: str = "loss", ax: Any = None):
    """Line per curve (``{"train loss": [...], "val loss": [...]}``), one value per epoch."""
    if not curves:
        raise ValueError("curves is empty; pass e.g. {'train': history.train_loss}.")
    fig, ax = _axes(ax, 6, 3.4)
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
                      metric: str = "PSNR (dB)", title: str | None = None, ax: Any = None):
    """Bar chart of one metric per model (``{"DAE": 21.0, "DAE-NR_1": 21.4}``), optionally beside the
    paper's value for the same model (hatched bars)."""
    if not values:
        raise ValueError("values is empty; pass {model name: metric value}.")
    names = list(values)
    x = np.arange(len(names))
    width = 0.38 if reference else 0.6
    fig, ax = _axes(ax, 1.2 * len(names) + 2.5, 3.4)
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


def plot_model_schematic(mapping_layer: int = 2, title: str = "The three models (the paper's Figure 1)"):
    """The paper's Figure 1, drawn: (a) DAE, (b) CNN-FR, (c) DAE-NR_i with its readout on ``mapping_layer``.

    Boxes are layers (height ~ spatial size), arrows the data flow; orange = trained on neural responses
    (Poisson loss), blue = trained on the image (MSE).
    """
    from matplotlib.patches import FancyArrowPatch, Rectangle

    if mapping_layer not in (1, 2, 3, 4):
        raise ValueError(f"mapping_layer must be 1, 2, 3 or 4; got {mapping_layer!r}.")
    fig = _figure(11.0, 3.4)
    axes = fig.subplots(1, 3)
    heights = [1.0, 0.8, 0.6, 0.4, 0.25]  # image, h1..h4: the maps shrink

    def box(ax, x, h, label, color="0.85"):
        ax.add_patch(Rectangle((x - 0.16, 1.5 - h / 2), 0.32, h, fc=color, ec="0.3"))
        ax.text(x, 1.5 - h / 2 - 0.12, label, ha="center", va="top", fontsize=8)

    def arrow(ax, a, b, color="0.3"):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=10, color=color, lw=1))

    def encoder(ax, names, color):
        box(ax, 0.0, heights[0], "image x")
        for i, name in enumerate(names, start=1):
            box(ax, 0.55 * i, heights[i], name, color)
            arrow(ax, (0.55 * (i - 1) + 0.17, 1.5), (0.55 * i - 0.17, 1.5))

    panels = [("(a) DAE: reconstruct the image", "MSE"), ("(b) CNN-FR: predict the neurons", "Poisson"),
              (f"(c) DAE-NR_{mapping_layer}: both, from one encoder", "MSE + lambda Poisson")]
    for ax, (name, loss) in zip(axes, panels):
        ax.set_xlim(-0.35, 4.6)
        ax.set_ylim(0.2, 2.8)
        ax.axis("off")
        ax.set_title(name, fontsize=9)
        ax.text(2.1, 0.25, f"loss: {loss}", ha="center", fontsize=8, style="italic")
    blue, orange = "#9ecae1", "#fdae6b"
    # (a) DAE: encoder, bottleneck, mirrored decoder
    encoder(axes[0], ["h1", "h2", "h3", "h4"], blue)
    box(axes[0], 3.0, 0.6, "decoder", blue)
    box(axes[0], 3.75, heights[0], "x̂")
    arrow(axes[0], (2.37, 1.5), (2.83, 1.5))
    arrow(axes[0], (3.17, 1.5), (3.58, 1.5))
    # (b) CNN-FR: core, factorized readout, responses
    encoder(axes[1], ["c1", "c2", "c3", "c4"], orange)
    box(axes[1], 3.0, 0.6, "readout\nmask x w", orange)
    box(axes[1], 3.75, 0.9, "rates r̂")
    arrow(axes[1], (2.37, 1.5), (2.83, 1.5))
    arrow(axes[1], (3.17, 1.5), (3.58, 1.5))
    # (c) DAE-NR_i: the DAE plus a readout branching off h_i
    ax = axes[2]
    encoder(ax, ["h1", "h2", "h3", "h4"], blue)
    box(ax, 3.0, 0.6, "decoder", blue)
    box(ax, 3.75, heights[0], "x̂")
    arrow(ax, (2.37, 1.5), (2.83, 1.5))
    arrow(ax, (3.17, 1.5), (3.58, 1.5))
    x_i = 0.55 * mapping_layer
    ax.add_patch(Rectangle((2.55, 2.2), 0.6, 0.4, fc=orange, ec="0.3"))
    ax.text(2.85, 2.4, "readout", ha="center", va="center", fontsize=8)
    ax.text(3.75, 2.4, "rates r̂", ha="center", va="center", fontsize=8)
    arrow(ax, (x_i, 1.5 + heights[mapping_layer] / 2), (2.55, 2.4), color="#e6550d")
    arrow(ax, (3.15, 2.4), (3.5, 2.4))
    ax.text(x_i, 1.5 + heights[mapping_layer] / 2 + 0.05, "mapping\nlayer", ha="center", va="bottom",
            fontsize=7, color="#e6550d")
    fig.legend([Rectangle((0, 0), 1, 1, fc=blue, ec="0.3"), Rectangle((0, 0), 1, 1, fc=orange, ec="0.3")],
               ["trained on the image (MSE)", "trained on the neural responses (Poisson)"], fontsize=8,
               loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(title)
    return fig


def plot_seed_comparison(values: Mapping[str, Sequence[float]], baseline: str | None = None,
                         metric: str = "PSNR (dB)", title: str | None = None,
                         paper_differences: Mapping[str, float] | None = None,
                         chance: float | None = None, chance_label: str | None = None):
    """Seed spread of one metric per model, and each model's paired difference to ``baseline``.

    values : ``{model: [value per seed]}``, every model with the same seeds in the same order.
    baseline : model the differences are taken to (second panel; omitted when ``None``).
    paper_differences : optional ``{model: published difference to the baseline}`` (open diamonds).

    Left: bars from 0 at the mean with ± 1 sd error bars and one dot per seed (the axis starts at 0, so
    bar heights compare honestly). Right: per seed, model minus baseline (dots), mean ± 2 sd of the paired
    differences (the effect rule of :mod:`daenr_lite.stats`: an effect when the error bar misses 0).
    chance : optional value expected by chance (e.g. ``0.05 * n_neurons`` false positives for a count of
        neurons significant at p <= 0.05), drawn as a dotted line on the left panel with ``chance_label``.
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
    if chance is not None and np.isfinite(chance):
        ax.axhline(chance, color="tab:red", ls=":", lw=1.5,
                   label=chance_label or f"expected by chance ({chance:.3g})")
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_ylabel(metric)
    ax.set_ylim(0, max(means + sds) * 1.12 if np.all(np.isfinite(means + sds)) and max(means + sds) > 0 else None)
    ax.set_title(f"{metric}: {n_seeds.pop()} seed(s), dots = seeds", fontsize=9)
    if chance is not None:
        ax.legend(fontsize=7, loc="best")
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


def _seed_values(value: Any) -> np.ndarray:
    """One model's entry of :func:`plot_paper_comparison`: a number, per-seed values, or an object with
    ``differences`` (a :class:`daenr_lite.stats.PairedComparison`) -> a 1-D array of values."""
    if hasattr(value, "differences"):
        value = value.differences
    return np.atleast_1d(np.asarray(value, dtype=float)).ravel()


def plot_paper_comparison(ours: Mapping[Any, Mapping[str, Any]], paper: Mapping[Any, Mapping[str, float]],
                          metric: str = "PSNR gain over the DAE (dB)", title: str = "Ours vs the paper"):
    """One panel per group (e.g. region), bars per model: our value beside the paper's.

    ours : ``{group: {model: value}}``; a value is one number, the values per seed, or a
        :class:`daenr_lite.stats.PairedComparison` (its per-seed ``differences``). With several seeds the bar
        is their mean, the error bar ± 2 sd (the effect rule of :mod:`daenr_lite.stats`: an effect when it
        misses 0) and the dots the seeds.
    paper : ``{group: {model: value}}`` (e.g. ``{1: {"DAE-NR_1": 0.12, ...}, 2: {...}}``); models missing from
        ``paper`` are drawn without a paper bar.
    """
    from .stats import EFFECT_SD_FACTOR

    if not ours:
        raise ValueError("ours is empty; pass {group: {model: value}}.")
    groups = list(ours)
    fig = _figure(3.8 * len(groups), 3.8)
    axes = np.atleast_1d(fig.subplots(1, len(groups), sharey=True))
    with_spread = False
    for ax, group in zip(axes, groups):
        names = list(ours[group])
        x = np.arange(len(names))
        seeds = [_seed_values(ours[group][k]) for k in names]
        means = np.array([v.mean() for v in seeds])
        sds = np.array([v.std(ddof=1) if v.size > 1 else np.nan for v in seeds])
        ax.bar(x - 0.2, means, 0.4, alpha=0.7, label="ours (mean over seeds)" if np.isfinite(sds).any() else "ours")
        if np.isfinite(sds).any():
            with_spread = True
            ax.errorbar(x - 0.2, means, yerr=EFFECT_SD_FACTOR * np.nan_to_num(sds), fmt="none", ecolor="k",
                        capsize=3, lw=1, label=f"ours ± {EFFECT_SD_FACTOR:g} sd over seeds")
            for xi, v in zip(x, seeds):
                ax.plot(np.full(v.size, xi - 0.2) + np.linspace(-0.08, 0.08, v.size), v, ".", color="0.2", ms=4,
                        label="seeds" if xi == 0 else None)
        ax.bar(x + 0.2, [paper.get(group, {}).get(k, np.nan) for k in names], 0.4, hatch="//", color="0.8",
               edgecolor="0.4", label="paper")
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.set_title(f"region {group}" if isinstance(group, (int, np.integer)) else str(group))
    axes[0].set_ylabel(metric)
    axes[0].legend(fontsize=7)
    fig.suptitle(title + (f"\n(error bars: ± {EFFECT_SD_FACTOR:g} sd of the paired differences over seeds; an "
                          "effect when the bar misses 0)" if with_spread else ""), fontsize=10 if with_spread else None)
    return fig


# ------------------------------------------------------------------------------------------- similarity
def _is_core_model(name: Any) -> bool:
    """Whether a model label names a CNN-FR, whose h1..h4 are the layers of its *core* (it has no encoder)."""
    text = str(name).lower().replace("_", "-")
    return "cnn-fr" in text or text.startswith("cnn")


def _layer_axis_label(models: Sequence[Any]) -> str:
    """'encoder layer', 'core layer' or both, for the models drawn on one layer axis."""
    core = [m for m in models if _is_core_model(m)]
    if not core:
        return "encoder layer"
    if len(core) == len(models):
        return "core layer"
    return "layer (encoder of the DAEs, core of the CNN-FR)"


def plot_layer_profile(table: Sequence[Mapping[str, Any]], ax: Any = None, label: str | None = None) -> Any:
    """Plot a :func:`layer_profile` table: the measure per layer, the noise ceiling, and chance.

    The grey band reaches from the bottom of the axis to the 95th percentile of the permutation null
    (values inside it are not above chance); the dashed line is the noise ceiling. Returns the figure.
    """
    if not table:
        raise ValueError("table is empty; pass the list returned by layer_profile.")
    fig, ax = _axes(ax, 4.5, 3.2)
    x = np.array([row["layer_index"] for row in table])
    value = np.array([row["value"] for row in table])
    ceiling = np.array([row["ceiling"] for row in table])
    null_95 = np.array([row["null_95"] for row in table])
    measure = table[0].get("measure", "value")
    bottom = min(0.0, float(np.nanmin(np.r_[value, null_95])) - 0.05)
    if np.isfinite(null_95).any():
        ax.fill_between(x, bottom, null_95, color="0.85", label="chance (95% of shuffles)", zorder=0)
    if np.isfinite(ceiling).any():
        ax.plot(x, ceiling, "--", color="0.3", label="noise ceiling")
    line = ax.plot(x, value, "o-", label=label or measure)[0]
    for xi, vi, row in zip(x, value, table):
        if row.get("p_value", 1.0) <= 0.05:
            ax.annotate("*", (xi, vi), textcoords="offset points", xytext=(0, 5), ha="center", color=line.get_color())
    ax.set_xticks(x, [row["layer"] for row in table])
    axis_label = _layer_axis_label([label or table[0].get("model", "")])
    if ax.get_xlabel() and ax.get_xlabel() != axis_label:  # several models drawn into one axes
        axis_label = ("layer (encoder of the DAEs, core of the CNN-FR)"
                      if {ax.get_xlabel(), axis_label} <= {"encoder layer", "core layer",
                                                            "layer (encoder of the DAEs, core of the CNN-FR)"}
                      else axis_label)
    ax.set_xlabel(axis_label)
    ax.set_ylabel(measure)
    top = float(np.nanmax(np.r_[value, ceiling, null_95]))
    ax.set_ylim(bottom, max(1.0, top + 0.05) if measure != "predictivity" else top + 0.1)
    ax.legend(fontsize="small", loc="best")
    return fig


def plot_significant_counts(table: Sequence[Mapping[str, Any]], ax: Any = None, title: str | None = None,
                            chance: bool = True) -> Any:
    """Bar chart of significant / insignificant neurons per model (the paper's Figure 3 analogue), one seed.

    table : the list returned by :func:`daenr_lite.experiments.significant_neuron_counts`. Returns the figure.
    chance : draw the count expected by chance, ``alpha x n neurons`` (the false positives of a test at level
        alpha when no neuron is predicted), as a dotted line. (Over seeds: :func:`plot_seed_comparison`.)
    """
    if not table:
        raise ValueError("table is empty; pass the list returned by significant_neuron_counts.")
    fig, ax = _axes(ax, 1.0 + 0.75 * len(table), 3.5)
    labels = [row["model"] for row in table]
    sig = np.array([row["n_significant"] for row in table])
    insig = np.array([row["n_insignificant"] for row in table])
    x = np.arange(len(table))
    ax.bar(x, sig, color="tab:blue", label="significant")
    ax.bar(x, insig, bottom=sig, color="0.8", label="not significant")
    for xi, s in zip(x, sig):
        ax.text(xi, s / 2 if s > 0 else 0.5, str(int(s)), ha="center", va="center" if s > 0 else "bottom",
                color="white" if s > 4 else "black", fontsize="small")
    alpha = table[0].get("alpha", 0.05)
    if chance:
        n_neurons = int(sig[0] + insig[0])
        ax.axhline(alpha * n_neurons, color="tab:red", ls=":", lw=1.5,
                   label=f"expected by chance: {alpha} x {n_neurons} = {alpha * n_neurons:.1f}")
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_ylabel("neurons")
    ax.set_title(title or f"neurons predicted significantly (p <= {alpha})")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def plot_layer_profiles(profiles: Mapping[str, Mapping[str, Sequence[float]]], ceiling: Mapping[str, float] | None = None,
                        null: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
                        layer_names: Sequence[str] = LAYER_NAMES, title: str = "Similarity to V1 across layers",
                        spread: Mapping[str, Mapping[str, Sequence[float]]] | None = None):
    """One panel per similarity measure, one line per model, layers on the x axis.

    profiles : ``{measure: {model: [value per layer]}}`` (e.g. measures "RSA", "CKA", "predictivity"); with
        several seeds, the mean over seeds.
    ceiling : ``{measure: noise ceiling}`` drawn as a dashed line.
    null : ``{measure: {model: [upper 95% of the permutation null per layer]}}`` drawn as a dotted line in the
        model's colour (values above it are above chance).
    spread : ``{measure: {model: [sd over seeds per layer]}}`` drawn as ± 1 sd error bars.

    The x axis says "encoder layer", or "core layer" for a CNN-FR (a model whose label names one).
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
            if null and measure in null and model in null[measure]:  # a dotted line per model: bands would hide each other
                ax.plot(x, np.asarray(null[measure][model], float), ":", color=line.get_color(), lw=1.2,
                        label="95% of its null" if k == 0 else None)
        if ceiling and measure in ceiling and np.isfinite(ceiling[measure]):
            ax.axhline(ceiling[measure], color="k", ls="--", lw=1, label="noise ceiling")
        n_layers = max(len(v) for v in per_model.values())
        ax.set_xticks(np.arange(1, n_layers + 1), list(layer_names[:n_layers]))
        ax.set_xlabel(_layer_axis_label(list(per_model)))
        ax.set_ylabel(MEASURE_LABELS.get(measure, measure))
        ax.set_title(MEASURE_LABELS.get(measure, measure))
    axes[0].legend(fontsize=8)
    fig.suptitle(title + (" (dotted: 95th percentile of each model's shuffled-stimulus null)" if null else "")
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
    shown, image_axes = None, []
    for j in range(len(orig)):
        for i, (label, data) in enumerate([("original", orig), ("reconstruction", rec)]):
            ax = fig.add_subplot(grid[i, j])
            image_axes.append(ax)
            _blank(ax)
            if data is not None:
                shown = ax.imshow(data[j], cmap="gray", vmin=0, vmax=1)
            else:
                ax.axis("off")
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
    _pixel_colorbar(fig, shown, image_axes)
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


#: one marker shape per λ value of a sweep, in increasing λ
_LAM_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def plot_lam_sweep(table: Sequence[Mapping[str, Any]], ax: Any = None,
                   title: str = "DAE-NR: reconstruction against prediction over λ",
                   references: Sequence[Mapping[str, Any]] = ()):
    """PSNR (y) against test r (x) of a λ sweep: one line (colour) per mapping layer through its λ values (one
    marker shape per λ, in a second legend), error bars ± 1 sd over seeds; one panel per region.

    ``table``: rows with ``region``, ``layer``, ``lam``, ``psnr``, ``test_corr`` and optionally ``psnr_sd``,
    ``test_corr_sd`` (:func:`daenr_lite.zoo.sweep.sweep_table`). ``references``
    (:func:`daenr_lite.zoo.sweep.sweep_references`, optional): the DAE's PSNR as a dashed line, the CNN-FR's
    test r as a dotted line, and each layer's line starts at its λ = 0 end (hollow marker at the frozen DAE
    probe's test r and the DAE's PSNR). ``ax`` only for a table of one region.
    """
    rows = list(table)
    if not rows:
        raise ValueError("the sweep table is empty; make it with daenr_lite.zoo.sweep.sweep_table(sweep_rows(folder)).")
    regions = sorted({int(r["region"]) for r in rows})
    if ax is not None and len(regions) > 1:
        raise ValueError(f"ax= draws one region, but the table has regions {regions}; leave ax=None for one panel each.")
    if ax is not None:
        fig, axes = ax.figure, [ax]
    else:
        fig = _figure(4.6 * len(regions) + 2.2, 4.0)
        axes = list(np.atleast_1d(fig.subplots(1, len(regions), squeeze=False)[0]))
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    colours = plt.get_cmap("tab10")
    layers = sorted({int(r["layer"]) for r in rows})
    lams = sorted({float(r["lam"]) for r in rows})
    marker = {lam: _LAM_MARKERS[i % len(_LAM_MARKERS)] for i, lam in enumerate(lams)}
    refs = list(references)
    for panel, region in zip(axes, regions):
        dae = next((r for r in refs if int(r["region"]) == region and r["kind"] == "dae"), None)
        cnn = next((r for r in refs if int(r["region"]) == region and r["kind"] == "cnn_fr"), None)
        dae_psnr = float(dae["psnr"]) if dae is not None else float("nan")
        if np.isfinite(dae_psnr):
            panel.axhline(dae_psnr, color="0.4", ls="--", lw=1)
        if cnn is not None and np.isfinite(float(cnn["test_corr"])):
            panel.axvline(float(cnn["test_corr"]), color="0.4", ls=":", lw=1.2)
        for i, layer in enumerate(layers):
            points = sorted((r for r in rows if int(r["region"]) == region and int(r["layer"]) == layer),
                            key=lambda r: float(r["lam"]))
            if not points:
                continue
            colour = colours(i % 10)
            x = np.array([float(r["test_corr"]) for r in points])
            y = np.array([float(r["psnr"]) for r in points])
            xerr = np.nan_to_num(np.array([float(r.get("test_corr_sd", np.nan)) for r in points]))
            yerr = np.nan_to_num(np.array([float(r.get("psnr_sd", np.nan)) for r in points]))
            probe = next((r for r in refs if int(r["region"]) == region and r["kind"] == "dae_probe"
                          and int(r["layer"]) == layer), None)
            if probe is not None and np.isfinite(dae_psnr) and np.isfinite(float(probe["test_corr"])):
                panel.plot([float(probe["test_corr"]), x[0]], [dae_psnr, y[0]], color=colour, ls=":", lw=1.2)
                panel.plot(float(probe["test_corr"]), dae_psnr, ls="none", marker="o", ms=6, mfc="white",
                           mec=colour, mew=1.5)
            panel.plot(x, y, color=colour, lw=1.4)
            if xerr.any() or yerr.any():
                panel.errorbar(x, y, xerr=xerr, yerr=yerr, color=colour, ls="none", capsize=2, lw=1)
            for r, xi, yi in zip(points, x, y):
                panel.plot(xi, yi, ls="none", marker=marker[float(r["lam"])], ms=6, color=colour, mec="black",
                           mew=0.4)
        panel.set_xlabel("test r (mean over neurons)")
        panel.set_ylabel("PSNR (dB)")
        panel.set_title(f"region {region}", fontsize=9)
        panel.grid(alpha=0.3)
    layer_handles = [Line2D([], [], color=colours(i % 10), lw=1.4, label=f"DAE-NR_{layer} (h{layer})")
                     for i, layer in enumerate(layers)]
    lam_handles = [Line2D([], [], ls="none", marker=marker[lam], ms=6, color="0.6", mec="black", mew=0.4,
                          label=f"λ = {lam:g}") for lam in lams]
    extra = []
    if any(r["kind"] == "dae_probe" for r in refs):
        extra.append(Line2D([], [], ls="none", marker="o", ms=6, mfc="white", mec="0.3", mew=1.5,
                            label="λ = 0: readout on the frozen DAE"))
    if any(r["kind"] == "dae" for r in refs):
        extra.append(Line2D([], [], color="0.4", ls="--", lw=1, label="DAE's PSNR"))
    if any(r["kind"] == "cnn_fr" for r in refs):
        extra.append(Line2D([], [], color="0.4", ls=":", lw=1.2, label="CNN-FR's test r"))
    axes[-1].legend(handles=layer_handles + lam_handles + extra, fontsize=7, loc="upper left",
                    bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, title="mapping layer · λ", title_fontsize=7)
    fig.suptitle(title, fontsize=10)
    return fig


__all__ += ["plot_lam_sweep"]

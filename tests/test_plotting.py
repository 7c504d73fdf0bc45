"""Plotting helpers: right shapes in, labelled figures out, clear errors for wrong input."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from daenr_lite import plotting  # noqa: E402
from daenr_lite.notebook_utils import figure_png  # noqa: E402

rng = np.random.default_rng(0)
IMAGES = rng.random((10, 1, 12, 12))
RESPONSES = rng.poisson(1.0, (10, 6)).astype(float)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _colorbars(fig):
    every = [a for ax in fig.axes for a in [ax, *ax.child_axes]]  # an inset colour bar is a child axes
    return [ax for ax in every if ax.get_label() == "<colorbar>"]


def _colorbar_labels(fig) -> list[str]:
    return [ax.get_ylabel() or ax.get_xlabel() for ax in _colorbars(fig)]


def _panels(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def _labelled(fig) -> bool:
    """At least one axes has an x label or title, and the figure renders to a PNG."""
    assert figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    return any(ax.get_xlabel() or ax.get_title() for ax in fig.axes) or bool(fig._suptitle)


def test_image_grids():
    assert _labelled(plotting.plot_images(IMAGES, n=6, ncols=3, title="t"))
    fig = plotting.plot_images(IMAGES[:, 0], n=5, ncols=5)
    assert len(_panels(fig)) == 5 and _colorbar_labels(fig) == ["pixel value"]
    fig = plotting.plot_reconstructions(IMAGES[:4], {"A": IMAGES[:4], "B": IMAGES[:4] * 0.5})
    assert len(_panels(fig)) == 3 * 4 and _colorbar_labels(fig) == ["pixel value"]
    assert fig.axes[0].get_ylabel() == "original"


def test_response_figures_have_axis_labels():
    fig = plotting.plot_response_distribution(RESPONSES)
    assert fig.axes[0].get_xlabel().startswith("response") and fig.axes[1].get_ylabel() == "number of neurons"
    assert _labelled(plotting.plot_repeats(rng.poisson(1.0, (4, 10, 6)), neuron=2))
    assert _labelled(plotting.plot_reliability(rng.random(6)))
    assert _labelled(plotting.plot_receptive_fields(rng.normal(size=(6, 12, 12)), n=6, ncols=3))


def test_prediction_and_readout_figures():
    fig = plotting.plot_predicted_vs_recorded(RESPONSES + rng.random(RESPONSES.shape), RESPONSES)
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("neuron") and "r =" in t for t in titles)
    fig = plotting.plot_readout_masks(rng.random((4, 5, 5)), rng.normal(size=(4, 12, 12)), labels=[7, 3, 9, 1])
    top, bottom = fig.axes[0], fig.axes[4]
    assert top.get_title() == "neuron 7" and top.get_ylabel().startswith("true |RF|")
    assert bottom.get_ylabel().startswith("learned mask")
    # a 5x5 readout grid on a 12x12 image is centred: its pixels sit at image pixels 3.5 .. 7.5
    assert bottom.images[0].get_extent() == [3.0, 8.0, 8.0, 3.0]
    assert bottom.get_xlim() == (-0.5, 11.5)


def test_feature_maps_one_row_per_layer():
    feats = [rng.random((1, c, s, s)) for c, s in [(4, 12), (8, 6), (8, 3), (2, 2)]]
    fig = plotting.plot_feature_maps(feats, max_channels=3)
    maps = [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]
    assert len(maps) == 4 * 3 - 1  # h4 has only 2 channels
    assert len([ax for ax in fig.axes if ax.get_label() == "<colorbar>"]) == 4  # one colour scale per layer
    assert fig.axes[0].get_ylabel().startswith("h1")
    assert _colorbar_labels(fig) == ["activation"] * 4
    with_input = plotting.plot_feature_maps(feats, max_channels=3, image=rng.random((12, 12)))
    assert with_input.axes[0].get_title() == "input"
    assert sorted(_colorbar_labels(with_input)) == ["activation"] * 4 + ["pixel value"]


def test_summary_figures():
    assert _labelled(plotting.plot_training_curves({"train": [3, 2, 1], "val": [3, 2.5, 2]}, best_epoch=3))
    fig = plotting.plot_metric_table({"DAE": 20.0, "DAE-NR_1": 21.0}, reference={"DAE": 23.7, "DAE-NR_1": 23.8})
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["DAE", "DAE-NR_1"]
    fig = plotting.plot_layer_profiles({"cka": {"DAE": [0.1, 0.2, 0.3, 0.2]}}, ceiling={"cka": 0.9},
                                       null={"cka": {"DAE": [0.05] * 4}})
    assert fig.axes[0].get_xlabel() == "encoder layer"
    fig = plotting.plot_paper_comparison({1: {"DAE-NR_1": 0.1}, 3: {"DAE-NR_1": 2.0}}, {1: {"DAE-NR_1": 0.12}})
    assert [ax.get_title() for ax in fig.axes] == ["region 1", "region 3"]
    fig = plotting.plot_explorer_view(IMAGES[:3], IMAGES[:3], RESPONSES, RESPONSES, title="DAE-NR_2 (h2)")
    assert fig._suptitle.get_text() == "DAE-NR_2 (h2)" and _colorbar_labels(fig) == ["pixel value"]
    fig = plotting.plot_model_schematic()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["trained on the image (MSE)",
                                                                  "trained on the neural responses (Poisson)"]


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match="grayscale"):
        plotting.plot_images(rng.random((2, 3, 8, 8)))
    with pytest.raises(ValueError, match="must be \\(images, neurons\\)"):
        plotting.plot_predicted_vs_recorded(RESPONSES, RESPONSES[:, :3])
    with pytest.raises(ValueError, match="out of range"):
        plotting.plot_repeats(rng.random((2, 5, 3)), neuron=7)
    with pytest.raises(ValueError, match="matching images"):
        plotting.plot_reconstructions(IMAGES[:4], IMAGES[:3])
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_metric_table({})


# ------------------------------------------------------------------ issue 21: figures that say what they show
def test_repeats_have_integer_image_ticks_and_say_how_many_images_they_show():
    fig = plotting.plot_repeats(rng.poisson(1.0, (4, 50, 3)), neuron=1)
    ax = fig.axes[0]
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert "the first 20 of the 50 test images" in ax.get_title() and ax.get_xlabel() == "test image (index)"
    assert "all 12 test images" in plotting.plot_repeats(rng.poisson(1.0, (4, 12, 3))).axes[0].get_title()


def test_receptive_fields_have_one_colour_scale():
    filters = rng.normal(size=(6, 12, 12)) * np.arange(1, 7)[:, None, None]
    fig = plotting.plot_receptive_fields(filters, n=6, ncols=3)
    assert _colorbar_labels(fig) == ["filter weight (red: light, blue: dark)"]
    lim = np.abs(filters).max()
    assert all(ax.images[0].get_clim() == (-lim, lim) for ax in _panels(fig) if ax.images)
    fig = plotting.plot_receptive_fields(filters, n=6, ncols=3, shared_scale=False)
    assert _colorbar_labels(fig) == ["weight / that filter's max |weight|"]
    assert all(ax.images[0].get_clim() == (-1.0, 1.0) for ax in _panels(fig) if ax.images)


def test_masks_have_colour_scales_and_name_their_contour_levels():
    masks = rng.random((3, 5, 5))
    fig = plotting.plot_readout_masks(masks, rng.normal(size=(3, 12, 12)))
    assert _colorbar_labels(fig) == ["|true RF| / its peak", "mask / its peak"]
    assert "contours: mask at 50 %, 80 % of its peak" in fig._suptitle.get_text()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["mask contour at 50 % of its peak",
                                                                  "mask contour at 80 % of its peak"]
    bottom = _panels(fig)[3]
    assert bottom.images[0].get_clim() == (0.0, 1.0)
    assert np.isclose(bottom.images[0].get_array().max(), 1.0)  # each mask relative to its own peak
    fig = plotting.plot_readout_masks(masks - 0.5, image_shape=(12, 12), levels=(0.3,))
    assert _colorbar_labels(fig) == ["mask / its peak"] and fig.axes[0].images[0].get_clim() == (-1.0, 1.0)


def test_layer_axes_name_core_layers_for_the_cnn_fr():
    one = {"cka": {"DAE": [0.1, 0.2, 0.3, 0.2]}}
    assert plotting.plot_layer_profiles(one).axes[0].get_xlabel() == "encoder layer"
    both = {"cka": {"DAE": [0.1] * 4, "CNN-FR": [0.5] * 4}}
    assert plotting.plot_layer_profiles(both).axes[0].get_xlabel() == "layer (encoder of the DAEs, core of the CNN-FR)"
    assert plotting.plot_layer_profiles({"cka": {"CNN-FR": [0.5] * 4}}).axes[0].get_xlabel() == "core layer"
    table = [{"layer": f"h{i}", "layer_index": i, "value": 0.3, "ceiling": 0.8, "null_95": 0.1, "p_value": 0.01,
              "measure": "cka"} for i in range(1, 5)]
    fig = plotting.plot_layer_profile(table, label="CNN-FR")
    assert fig.axes[0].get_xlabel() == "core layer"
    plotting.plot_layer_profile(table, ax=fig.axes[0], label="DAE")
    assert fig.axes[0].get_xlabel() == "layer (encoder of the DAEs, core of the CNN-FR)"


def _hlines(ax):
    lines = [(np.asarray(line.get_ydata(), dtype=float), line) for line in ax.get_lines()]
    return {round(float(y[0]), 6): line.get_label() for y, line in lines if y.size == 2 and y[0] == y[1]}


def test_significance_counts_have_a_chance_line():
    table = [{"model": m, "n_significant": k, "n_insignificant": 103 - k, "alpha": 0.05} for m, k in
             [("DAE", 30), ("CNN-FR", 100)]]
    lines = _hlines(plotting.plot_significant_counts(table).axes[0])
    assert lines[round(0.05 * 103, 6)] == "expected by chance: 0.05 x 103 = 5.2"
    fig = plotting.plot_seed_comparison({"DAE": [30, 35, 33], "CNN-FR": [100, 99, 101]}, metric="significant neurons",
                                        chance=0.05 * 103, chance_label="expected by chance: 0.05 x 103 neurons")
    assert _hlines(fig.axes[0])[round(5.15, 6)] == "expected by chance: 0.05 x 103 neurons"
    assert not _hlines(plotting.plot_seed_comparison({"DAE": [1, 2, 3]}).axes[0])


def test_the_table1_figure_has_error_bars_from_the_seed_spread():
    from daenr_lite.stats import paired_comparison

    diffs = {"DAE-NR_1": [0.1, -0.2, 0.05], "DAE-NR_4": [-1.0, -0.9, -1.1]}
    ours = {1: {"DAE-NR_1": diffs["DAE-NR_1"], "DAE-NR_4": paired_comparison([0, 0, 0], diffs["DAE-NR_4"])}}
    fig = plotting.plot_paper_comparison(ours, {1: {"DAE-NR_1": 0.12}})
    ax = fig.axes[0]
    bars = [c for c in ax.containers if c.__class__.__name__ == "ErrorbarContainer"]
    assert len(bars) == 1
    segments = bars[0].lines[2][0].get_segments()
    half_widths = [abs(seg[1][1] - seg[0][1]) / 2 for seg in segments]
    assert np.allclose(half_widths, [2 * np.std(diffs[k], ddof=1) for k in ("DAE-NR_1", "DAE-NR_4")])
    assert "± 2 sd" in fig._suptitle.get_text()
    plain = plotting.plot_paper_comparison({1: {"DAE-NR_1": 0.1}}, {1: {"DAE-NR_1": 0.12}})
    assert not [c for c in plain.axes[0].containers if c.__class__.__name__ == "ErrorbarContainer"]

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


def _labelled(fig) -> bool:
    """At least one axes has an x label or title, and the figure renders to a PNG."""
    assert figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    return any(ax.get_xlabel() or ax.get_title() for ax in fig.axes) or bool(fig._suptitle)


def test_image_grids():
    assert _labelled(plotting.plot_images(IMAGES, n=6, ncols=3, title="t"))
    assert len(plotting.plot_images(IMAGES[:, 0], n=5, ncols=5).axes) == 5
    fig = plotting.plot_reconstructions(IMAGES[:4], {"A": IMAGES[:4], "B": IMAGES[:4] * 0.5})
    assert len(fig.axes) == 3 * 4
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
    with_input = plotting.plot_feature_maps(feats, max_channels=3, image=rng.random((12, 12)))
    assert with_input.axes[0].get_title() == "input"


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
    assert fig._suptitle.get_text() == "DAE-NR_2 (h2)"


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

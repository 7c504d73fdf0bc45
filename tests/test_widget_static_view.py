"""The explorer's last output survives an HTML export as a static image (issue 22, item 5): an executed
notebook keeps a plain display_data copy of the explorer's figure, updated on every click, that nbconvert
exports as an ordinary <img>; the live widget hides it."""
from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat
import pytest

from daenr_lite.widgets import STATIC_VIEW_CLASS, static_view_bundle

SETUP = '''
import numpy as np
from daenr_lite.data import NeuralDataset
from daenr_lite.widgets import ExplorerResult, MappingLayerExplorer

def data(region):
    rng = np.random.default_rng(region)
    return NeuralDataset.from_arrays(rng.random((20, 1, 12, 12)), rng.poisson(1.0, (20, 5)),
                                     rng.random((6, 1, 12, 12)), rng.poisson(1.0, (3, 6, 5)), region=region)

def fake_train(dataset, layer, lam, **_kw):
    return ExplorerResult(layer=layer, lam=lam, region=dataset.region,
                          metrics={"psnr": 20.0 + layer, "ssim": 0.5, "test_corr": 0.1 * layer},
                          originals=dataset.test_images[:3], reconstructions=dataset.test_images[:3] * 0.9,
                          predicted=dataset.test_mean_responses + 0.1, recorded=dataset.test_mean_responses)

explorer = MappingLayerExplorer(data, regions=(1, 2), train_fn=fake_train, lam=1e-3, layer=2).show_default()
explorer
'''
CLICK = "explorer.layer.value = 4\nexplorer.train_and_show()\nprint(explorer.metrics.value)"


def executed_explorer_notebook(folder: Path) -> Path:
    """A two-cell notebook (explorer shown, then a click on h4), executed with a real kernel; its path."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(CLICK)]
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    path = folder / "explorer.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_the_static_bundle_holds_the_figure_and_the_line():
    bundle = static_view_bundle(b"\x89PNG fake", "DAE-NR_2 (h2), lambda=0.001, region 1: PSNR 22.0 dB")
    assert bundle["image/png"] == base64.b64encode(b"\x89PNG fake").decode()
    assert f'class="{STATIC_VIEW_CLASS}"' in bundle["text/html"] and bundle["image/png"] in bundle["text/html"]
    assert "PSNR 22.0 dB" in bundle["text/plain"]
    assert "<img" not in static_view_bundle(None, "no model trained yet")["text/html"]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    return executed_explorer_notebook(tmp_path_factory.mktemp("explorer"))


def test_the_executed_notebook_keeps_the_explorers_last_figure_as_a_plain_image(executed):
    cell = nbformat.read(str(executed), as_version=4).cells[0]
    kinds = [sorted(o.get("data", {})) for o in cell.outputs]
    assert ["application/vnd.jupyter.widget-view+json", "text/plain"] in kinds  # the live widget
    (static,) = [o for o in cell.outputs if "image/png" in o.get("data", {})]
    # updated by the click in the next cell: the explorer's LAST output (h4), not the first one (h2)
    assert static["data"]["text/plain"].startswith("DAE-NR_4 (h4)")
    assert base64.b64decode(static["data"]["image/png"]).startswith(b"\x89PNG")


def test_the_html_export_shows_it_as_an_ordinary_image(executed, tmp_path):
    from daenr_lite.runner import export_html

    page = export_html(executed, tmp_path / "explorer.html").read_text()
    static = re.search(rf'<div class="{STATIC_VIEW_CLASS}">(.*?)</div>', page, re.S)
    assert static and "DAE-NR_4 (h4)" in static.group(1) and re.search(r'<img [^>]*src="data:image/png;base64,', static.group(1))
    assert "application/vnd.jupyter.widget-state+json" in page  # the live widget is still there for online viewers


def test_the_live_widget_carries_the_style_that_hides_the_static_copy():
    import ipywidgets as widgets

    from daenr_lite.widgets import MappingLayerExplorer

    explorer = MappingLayerExplorer(lambda region: None, regions=(1,), train_fn=lambda *a, **k: None, lam=1e-3)
    styles = [c.value for c in explorer.children if isinstance(c, widgets.HTML) and "<style>" in c.value]
    assert styles == [f"<style>.{STATIC_VIEW_CLASS} {{ display: none !important; }}</style>"]

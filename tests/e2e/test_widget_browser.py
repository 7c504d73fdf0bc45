"""End to end: a person's JupyterLab shows and runs the mapping-layer widget of ``03_dae_nr.ipynb``.

A real ``jupyter lab`` server (quick mode) and headless Chromium: open the notebook, Run > Run All
Cells, wait for the kernel, then check what a person sees -- the explorer's controls render, no cell
ends in an error, no widget fails to display, and choosing another mapping layer + pressing *Train*
redraws the figure and the metrics for that layer. Screenshots before/after go to the artifacts folder.

``test_harness_detects_errors_and_widget_updates`` checks the harness itself on a small generated
notebook (fast, independent of the library): it must report a failing cell and see a widget update.
"""
from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from lab_harness import (LabError, LabNotebook, choose_option, format_problems, image_src, saved_errors,
                         wait_until)

pytestmark = pytest.mark.e2e

NOTEBOOK = "03_dae_nr.ipynb"
# CSS classes the MappingLayerExplorer puts on its parts (daenr_lite/widgets.py)
EXPLORER_CLASSES = ("daenr-layer", "daenr-lambda", "daenr-region", "daenr-train", "daenr-figure",
                    "daenr-metrics", "daenr-status")
LAYER_PREFERENCE = ["h3", "h2", "h4", "h1"]  # first one not already selected is chosen
# Generous limits: they only bound how long a broken run can hang (not speed checks). Measured on a
# busy 2-core machine: Run All of 03 in quick mode 3-4 min, one Train click 35-40 s.
RUN_ALL_TIMEOUT_S = 420
TRAIN_TIMEOUT_S = 240


def _text(page, css_class: str) -> str:
    loc = page.locator(f".{css_class}")
    return loc.first.inner_text().strip() if loc.count() else ""


def _run_notebook(nb: LabNotebook) -> dict:
    """Open, Run All, and return the run state; fails the test on an error cell or undisplayed widget."""
    state, problem = {}, None
    try:
        nb.open()
        state = nb.run_all(timeout=RUN_ALL_TIMEOUT_S)
    except LabError as err:
        problem = f"{nb.name}: {err}"
    if problem:  # outside the except block: no chained traceback around the message
        pytest.fail(problem, pytrace=False)
    # what the page shows (tracebacks, widgets that cannot display) + the saved file's exact outputs
    problems = nb.problems()
    saved = nb.save_and_read()
    problems += saved_errors(saved)  # exact "ename: evalue" of each error output
    if problems:
        pytest.fail(f"{nb.name}: after Run All Cells the notebook shows problems:\n"
                    f"{format_problems(problems)}{nb.diagnostics()}", pytrace=False)
    not_run = [i for i, c in enumerate(saved.cells)
               if c.cell_type == "code" and c.source.strip() and c.execution_count is None]
    assert not not_run and state["notRun"] == 0, \
        f"{nb.name}: code cells {not_run} have no execution count after Run All ({state})"
    return state


def exercise_explorer(nb: LabNotebook, artifacts: Path, prefix: str) -> dict:
    """Check the explorer renders, switch the mapping layer, press Train, check the redraw.

    Returns
    -------
    dict
        ``layer`` chosen, ``metrics_before/after``, ``status_after``, ``screenshots`` (paths).
    """
    page = nb.page
    known_problems = nb.problems()  # empty for 03_dae_nr (checked before); the self-check has one
    page.locator(".daenr-train").first.scroll_into_view_if_needed()
    missing = []
    for css_class in EXPLORER_CLASSES:
        try:
            page.locator(f".{css_class}").first.wait_for(state="visible", timeout=10_000)
        except Exception:  # playwright TimeoutError
            missing.append(css_class)
    if missing:
        page.screenshot(path=str(artifacts / f"{prefix}_missing_controls.png"), full_page=True)
        pytest.fail(f"{nb.name}: explorer controls not visible: {missing} (expected all of "
                    f"{list(EXPLORER_CLASSES)}); screenshot in {artifacts}.{nb.diagnostics()}",
                    pytrace=False)

    # what a person looks at: the explorer widget (else the whole output holding its controls)
    explorer = page.locator(".daenr-explorer")
    if not explorer.count():
        explorer = page.locator(".jp-OutputArea-output").filter(has=page.locator(".daenr-train"))
    explorer = explorer.first
    src_before = image_src(page, "daenr-figure")
    metrics_before = _text(page, "daenr-metrics")
    assert src_before, f"{nb.name}: the explorer shows no figure image before training"
    shots = {"before": artifacts / f"{prefix}_before.png", "after": artifacts / f"{prefix}_after.png"}
    explorer.screenshot(path=str(shots["before"]))

    layer_label = choose_option(page.locator(".daenr-layer").first, LAYER_PREFERENCE)
    layer = re.search(r"h[1-4]", layer_label)
    layer_name = layer.group(0) if layer else layer_label
    page.locator(".daenr-train").first.locator("xpath=descendant-or-self::button").first.click()

    def updated() -> bool | str:
        if _text(page, "daenr-status").lower().startswith("error"):
            return "error"  # the widget reports a failed training: stop waiting
        metrics = _text(page, "daenr-metrics")
        return (image_src(page, "daenr-figure") not in (None, src_before)
                and metrics != metrics_before and layer_name in metrics)

    clicked = time.perf_counter()
    wait_until(updated, timeout=TRAIN_TIMEOUT_S)
    waited = time.perf_counter() - clicked
    ok = updated() is True
    metrics_after, status_after = _text(page, "daenr-metrics"), _text(page, "daenr-status")
    explorer.screenshot(path=str(shots["after"]))
    page.screenshot(path=str(artifacts / f"{prefix}_after_page.png"), full_page=True)
    if not ok:
        src_after = image_src(page, "daenr-figure")
        pytest.fail(
            f"{nb.name}: after choosing mapping layer {layer_label!r} and pressing Train, the explorer "
            f"did not update (watched it for {waited:.0f} s, limit {TRAIN_TIMEOUT_S} s):\n"
            f"  figure changed: {src_after not in (None, src_before)}\n"
            f"  metrics before: {metrics_before!r}\n  metrics after:  {metrics_after!r} "
            f"(must differ and name {layer_name!r})\n  status: {status_after!r}\n"
            f"Screenshots in {artifacts}.{nb.diagnostics()}", pytrace=False)
    problems = [p for p in nb.problems() if p not in known_problems]
    assert not problems, f"{nb.name}: problems after training:\n{format_problems(problems)}"
    assert not status_after.lower().startswith("error") and "Traceback" not in status_after, \
        f"{nb.name}: the status shows an error: {status_after!r}"
    return {"layer": layer_label, "metrics_before": metrics_before, "metrics_after": metrics_after,
            "status_after": status_after, "screenshots": shots}


def test_mapping_layer_explorer_in_jupyterlab(lab_page, lab_server, artifacts_dir):
    """03_dae_nr runs cleanly in JupyterLab and its explorer retrains on another mapping layer."""
    if not (lab_server.root_dir / NOTEBOOK).exists():
        pytest.fail(f"notebooks/{NOTEBOOK} does not exist: the widget test has nothing to open "
                    "(it is written from notebooks/03_dae_nr.py with jupytext).", pytrace=False)
    nb = LabNotebook(lab_page, lab_server, NOTEBOOK)
    start = time.perf_counter()
    _run_notebook(nb)
    ran = time.perf_counter()
    result = exercise_explorer(nb, artifacts_dir, prefix="03_dae_nr")
    done = time.perf_counter()
    print(f"chose {result['layer']}: metrics {result['metrics_before']!r} -> {result['metrics_after']!r}; "
          f"status {result['status_after']!r}")
    print(f"timings: open + run all + save {ran - start:.1f} s, choose layer + train {done - ran:.1f} s")


# --------------------------------------------------------------------------- harness self-check
_SELFCHECK_WIDGET = textwrap.dedent('''
    import io
    import ipywidgets as w
    import numpy as np
    from matplotlib.figure import Figure

    def render(layer):
        fig = Figure(figsize=(3, 2), dpi=60)
        ax = fig.subplots()
        ax.plot(np.arange(10) ** (1 + int(layer[1]) / 4))
        ax.set_title(layer)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()

    layer = w.Dropdown(options=["h1", "h2", "h3", "h4"], value="h1", description="layer")
    lam = w.FloatLogSlider(value=1.0, min=-2, max=2, description="lambda")
    region = w.Dropdown(options=[1, 2, 3], value=1, description="region")
    train_button = w.Button(description="Train")
    figure = w.Image(format="png")
    metrics = w.HTML()
    status = w.Label("ready")
    for widget, css in [(layer, "daenr-layer"), (lam, "daenr-lambda"), (region, "daenr-region"),
                        (train_button, "daenr-train"), (figure, "daenr-figure"),
                        (metrics, "daenr-metrics"), (status, "daenr-status")]:
        widget.add_class(css)

    def train(_=None):
        status.value = "training"
        figure.value = render(layer.value)
        metrics.value = f"mapping layer {layer.value}: corr {0.1 * int(layer.value[1]):.2f}"
        status.value = "done"

    train_button.on_click(train)
    train()
    w.VBox([w.HBox([layer, lam, region, train_button]), figure, metrics, status])
''')


def test_harness_detects_errors_and_widget_updates(lab_page, lab_server, artifacts_dir):
    """The harness reports a failing cell, and sees a stand-in explorer render and update."""
    nb_json = nbformat.v4.new_notebook()
    nb_json.cells = [nbformat.v4.new_code_cell(_SELFCHECK_WIDGET),
                     nbformat.v4.new_code_cell('raise RuntimeError("deliberate self-check error")'),
                     nbformat.v4.new_code_cell("print('never reached')")]
    nb_json.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    name = "harness_selfcheck.ipynb"
    nbformat.write(nb_json, lab_server.root_dir / name)

    nb = LabNotebook(lab_page, lab_server, name)
    nb.open()
    state = nb.run_all(timeout=RUN_ALL_TIMEOUT_S)
    problems = nb.problems()
    assert [p["cell"] for p in problems] == [1], f"expected exactly the error of cell 1, got {problems}"
    assert "deliberate self-check error" in problems[0]["text"]
    assert state["notRun"] == 1, f"Run All must stop at the failing cell: {state}"
    saved = saved_errors(nb.save_and_read())
    assert saved == [{"cell": 1, "kind": "error output (saved notebook)",
                      "text": "RuntimeError: deliberate self-check error"}], saved

    result = exercise_explorer(nb, artifacts_dir, prefix="harness_selfcheck")
    assert result["metrics_after"].startswith(f"mapping layer {result['layer']}")

"""Interactive widgets for the notebooks (ipywidgets).

:class:`MappingLayerExplorer` lets a student pick the DAE-NR mapping layer (h1..h4), the response-loss
weight lambda and the recording region, train that model with one click and see its reconstructions,
its predicted-vs-recorded responses and its metrics.

The CSS classes below are a contract with the browser test (``tests/e2e``); keep them stable:

=====================  ============================================================
``daenr-layer``        ToggleButtons, mapping layer (labels h1..h4, values 1..4)
``daenr-lambda``       FloatLogSlider, lambda
``daenr-region``       Dropdown, recording region
``daenr-train``        Button "Train & show"
``daenr-figure``       Output holding the figure (a PNG image)
``daenr-metrics``      HTML with e.g. "DAE-NR_2 (h2), lambda=0.001, region 1: PSNR 21.3 dB, SSIM 0.71, test r 0.41"
``daenr-status``       Label: "training…", "done in 4.2 s", "cached" or the error text
``daenr-static-view``  the static copy below the widget (see below); hidden while the widget is live
=====================  ============================================================

Static copy for exports without a widget renderer: displaying the explorer also displays, right after the
widget, a plain ``display_data`` output (``text/html`` + ``image/png`` + ``text/plain``) holding the
explorer's last figure and metrics line, updated through its display id on every "Train & show". An HTML
export (nbconvert) keeps it as an ordinary image, so the page shows the explorer's last output even where
the widget's JavaScript cannot load (offline; the widget renderer comes from a CDN). Wherever the widget
itself renders (JupyterLab, an online export) it carries a ``<style>`` that hides the static copy, so nothing
shows twice.
"""
from __future__ import annotations

import base64
import html
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import ipywidgets as widgets
import numpy as np

__all__ = ["MappingLayerExplorer", "ExplorerResult", "train_dae_nr", "session_trainer", "format_result"]

logger = logging.getLogger(__name__)


@dataclass
class ExplorerResult:
    """What one "Train & show" click produced.

    metrics : at least ``psnr``, ``ssim`` and ``test_corr`` (see :func:`daenr_lite.evaluate`).
    originals, reconstructions : (n, 1, H, W) test images and their reconstructions.
    predicted, recorded : (n_test, neurons) predicted and trial-averaged recorded test responses.
    """

    layer: int
    lam: float
    region: int
    metrics: dict[str, float]
    originals: np.ndarray
    reconstructions: np.ndarray | None
    predicted: np.ndarray | None
    recorded: np.ndarray | None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model_name(self) -> str:
        return f"DAE-NR_{self.layer}"


TrainFn = Callable[..., ExplorerResult]


def _result(model: Any, dataset: Any, layer: int, lam: float, n_images: int, seconds: float,
            extra: dict[str, Any]) -> ExplorerResult:
    from . import evaluate, predict

    out = predict(model, dataset.test_images)
    return ExplorerResult(
        layer=int(layer), lam=float(lam), region=int(dataset.region or 0), metrics=evaluate(model, dataset),
        originals=dataset.test_images[:n_images], reconstructions=out["reconstruction"][:n_images],
        predicted=out["responses"], recorded=dataset.test_mean_responses, seconds=seconds, extra=extra,
    )


def train_dae_nr(dataset: Any, layer: int, lam: float, *, quick: bool = True, seed: int = 0,
                 device: str = "auto", n_images: int = 6) -> ExplorerResult:
    """Train a DAE-NR with mapping layer ``layer`` (1..4) and response weight ``lam`` on ``dataset`` (no
    store: every call trains); evaluate it on the test set. ``quick`` uses the quick mode's settings
    (:data:`daenr_lite.config.PRESETS`)."""
    from . import build_model, fit, get_device, set_seed
    from .config import preset
    from .zoo.store import first_training_images

    chosen = preset("quick" if quick else "full")
    set_seed(seed)
    model = build_model("dae_nr", dataset, mapping_layer=int(layer))
    start = time.perf_counter()
    train_data = dataset if chosen.n_train is None else first_training_images(dataset, chosen.n_train)
    history = fit(model, train_data, chosen.train.replace(seed=int(seed), lam=float(lam)), progress=False,
                  device=get_device(device))
    return _result(model, dataset, layer, lam, n_images, time.perf_counter() - start, {"epochs": history.n_epochs})


def session_trainer(session: Any, n_images: int = 6) -> TrainFn:
    """A ``train_fn`` that gets DAE-NR_i through ``session``'s model store (:class:`daenr_lite.session.Session`):
    a setting already in the pretrained zoo or the cache shows at once (also after a kernel restart); a new
    one is trained with the session's mode settings and cached."""

    def train(dataset: Any, layer: int, lam: float, **_ignored: Any) -> ExplorerResult:
        start = time.perf_counter()
        region = int(dataset.region or session.region)
        recipe = session.recipe(f"dae_nr_{int(layer)}", region, train={"lam": float(lam)})
        stored = session.store.entry(recipe) is not None
        model = session.model(f"dae_nr_{int(layer)}", region, train={"lam": float(lam)}, train_missing=True)
        entry = session.store.entry(recipe) or {}
        return _result(model, dataset, layer, lam, n_images, time.perf_counter() - start,
                       {"epochs": entry.get("epochs"), "stored": stored})

    return train


def format_result(result: ExplorerResult) -> str:
    """One line: "DAE-NR_2 (h2), lambda=0.001, region 1: PSNR 21.3 dB, SSIM 0.71, test r 0.41"."""
    m = result.metrics
    parts = []
    if "psnr" in m:
        parts.append(f"PSNR {m['psnr']:.1f} dB")
    if "ssim" in m:
        parts.append(f"SSIM {m['ssim']:.2f}")
    if "test_corr" in m:
        parts.append(f"test r {m['test_corr']:.2f}")
    return (f"{result.model_name} (h{result.layer}), lambda={result.lam:.3g}, region {result.region}: "
            + ", ".join(parts))


#: class of the static copy's element (hidden by the live widget's own style)
STATIC_VIEW_CLASS = "daenr-static-view"
_HIDE_STATIC_VIEW = f"<style>.{STATIC_VIEW_CLASS} {{ display: none !important; }}</style>"


def static_view_bundle(png: bytes | None, text: str) -> dict[str, str]:
    """The static copy's mime bundle: ``text/html`` (figure and metrics line in a ``daenr-static-view``
    element), ``image/png`` and ``text/plain`` (``text``); without a figure yet, the text alone."""
    caption = html.escape(text)
    if png is None:
        return {"text/html": f'<div class="{STATIC_VIEW_CLASS}"><i>{caption}</i></div>', "text/plain": text}
    encoded = base64.b64encode(png).decode("ascii")
    return {
        "text/html": (f'<div class="{STATIC_VIEW_CLASS}"><p><b>{caption}</b></p>'
                      f'<img src="data:image/png;base64,{encoded}" alt="{caption}"/></div>'),
        "image/png": encoded,
        "text/plain": text,
    }


def _png_output(png: bytes, alt: str) -> dict[str, Any]:
    return {"output_type": "display_data",
            "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": alt},
            "metadata": {}}


class MappingLayerExplorer(widgets.VBox):
    """Pick a mapping layer, lambda and region; "Train & show" trains (or reuses) that DAE-NR.

    Parameters
    ----------
    load_dataset : ``region -> NeuralDataset`` (default: ``daenr_lite.load_dataset("simulated", region)``).
    regions : regions offered in the dropdown.
    quick : passed to ``train_fn`` (short training for CPUs / CI).
    seed, device : passed to ``train_fn``.
    train_fn : ``train_fn(dataset, layer, lam, quick=..., seed=..., device=...) -> ExplorerResult``
        (default :func:`train_dae_nr`); inject a fake one in tests.
    layer, lam, region : initial setting (the one :meth:`show_default` trains).
    lam_range : (min, max) exponents of 10 for the lambda slider.

    Training runs only when the button is clicked (never on slider moves), synchronously in the
    callback; results are cached in memory per (layer, lambda, region).
    """

    @classmethod
    def for_session(cls, session: Any, **kwargs: Any) -> "MappingLayerExplorer":
        """An explorer whose models come from ``session``'s store (zoo -> cache -> trained once and cached), so
        settings you trained survive a kernel restart. ``kwargs``: ``layer``, ``lam``, ``regions``, ..."""
        kwargs.setdefault("region", session.region)
        return cls(session.data, quick=session.preset.quick, seed=session.seed, device=str(session.device),
                   train_fn=session_trainer(session), **kwargs)

    def __init__(self, load_dataset: Callable[[int], Any] | None = None, *, regions: tuple[int, ...] = (1, 2, 3),
                 quick: bool = True, seed: int = 0, device: str = "auto", train_fn: TrainFn | None = None,
                 layer: int = 2, lam: float | None = None, region: int | None = None,
                 lam_range: tuple[float, float] = (-5.0, -1.0)) -> None:
        if layer not in (1, 2, 3, 4):
            raise ValueError(f"layer must be 1, 2, 3 or 4 (h1..h4), got {layer!r}.")
        regions = tuple(int(r) for r in regions)
        if not regions:
            raise ValueError("regions is empty; offer at least one region, e.g. regions=(1,).")
        region = regions[0] if region is None else int(region)
        if region not in regions:
            raise ValueError(f"region {region} is not among the offered regions {regions}.")
        if lam is None:
            from .config import TrainConfig

            lam = TrainConfig().lam
        if lam <= 0:
            raise ValueError(f"lam must be > 0 (the slider is logarithmic), got {lam}.")
        self._load_dataset = load_dataset or _default_loader
        self._train_fn: TrainFn = train_fn or train_dae_nr
        self.quick, self.seed, self.device = bool(quick), int(seed), str(device)
        self.cache: dict[tuple[int, float, int], ExplorerResult] = {}
        self._datasets: dict[int, Any] = {}
        self.train_count = 0

        self.layer = widgets.ToggleButtons(options=[(f"h{i}", i) for i in (1, 2, 3, 4)], value=layer,
                                           description="mapping layer", style={"button_width": "48px"})
        self.layer.add_class("daenr-layer")
        self.lam = widgets.FloatLogSlider(value=lam, base=10, min=lam_range[0], max=lam_range[1], step=0.25,
                                          description="lambda", readout_format=".1e", continuous_update=False)
        self.lam.add_class("daenr-lambda")
        self.region = widgets.Dropdown(options=[(f"region {r}", r) for r in regions], value=region,
                                       description="region")
        self.region.add_class("daenr-region")
        self.button = widgets.Button(description="Train & show", button_style="primary", icon="play",
                                     tooltip="train this DAE-NR (or reuse it if already trained) and show it")
        self.button.add_class("daenr-train")
        self.status = widgets.Label(value="choose a setting and click Train & show")
        self.status.add_class("daenr-status")
        self.metrics = widgets.HTML(value="<i>no model trained yet</i>")
        self.metrics.add_class("daenr-metrics")
        self.figure = widgets.Output(layout=widgets.Layout(min_height="240px"))
        self.figure.add_class("daenr-figure")
        self.button.on_click(self._on_click)
        #: the last figure (PNG bytes) and metrics line: what the static copy shows
        self.last_png: bytes | None = None
        self.last_text = "no model trained yet"
        self._static_handles: list[Any] = []
        hide_static = widgets.HTML(value=_HIDE_STATIC_VIEW, layout=widgets.Layout(display="none"))
        super().__init__(children=[
            widgets.HBox([self.layer, self.region]),
            widgets.HBox([self.lam, self.button, self.status]),
            self.metrics,
            self.figure,
            hide_static,
        ])
        self.add_class("daenr-explorer")

    # ------------------------------------------------------------------ state
    @property
    def setting(self) -> tuple[int, float, int]:
        """The (layer, lambda, region) currently selected; lambda rounded to 6 significant digits."""
        return int(self.layer.value), float(f"{self.lam.value:.6g}"), int(self.region.value)

    def dataset(self, region: int) -> Any:
        """The dataset of ``region`` (loaded once, then kept)."""
        if region not in self._datasets:
            self._datasets[region] = self._load_dataset(region)
        return self._datasets[region]

    # ------------------------------------------------------------------ actions
    def train_and_show(self) -> ExplorerResult:
        """Train (or reuse from the cache) the selected setting and render its figure and metrics."""
        key = self.setting
        layer, lam, region = key
        cached = key in self.cache
        if cached:
            result = self.cache[key]
            self.status.value = f"cached (trained earlier in {result.seconds:.1f} s)"
        else:
            self.status.value = "training…"
            self.button.disabled = True
            try:
                start = time.perf_counter()
                result = self._train_fn(self.dataset(region), layer, lam, quick=self.quick, seed=self.seed,
                                        device=self.device)
                result.seconds = time.perf_counter() - start
            finally:
                self.button.disabled = False
            self.cache[key] = result
            self.train_count += 1
            stored = result.extra.get("stored")
            self.status.value = (f"loaded in {result.seconds:.1f} s (trained before)" if stored else
                                 f"done in {result.seconds:.1f} s")
        self._render(result)
        return result

    def show_default(self) -> "MappingLayerExplorer":
        """Train the initial setting once so figure and metrics are filled in without a click
        (what papermill / nbval and static HTML exports show). Returns ``self`` for display."""
        self._on_click(self.button)
        return self

    def _on_click(self, _button: Any) -> None:
        try:
            self.train_and_show()
        except Exception as exc:  # show it in the widget AND log it: a broken callback must be visible
            self.status.value = f"error: {type(exc).__name__}: {exc}"
            logger.exception("MappingLayerExplorer: training/plotting failed for setting %s", self.setting)

    def _render(self, result: ExplorerResult) -> None:
        import matplotlib.pyplot as plt

        from .notebook_utils import figure_png
        from .plotting import plot_explorer_view

        text = format_result(result)
        fig = plot_explorer_view(result.originals, result.reconstructions, result.predicted, result.recorded,
                                 title=text.split(":")[0])
        try:
            png = figure_png(fig)
        finally:
            plt.close(fig)
        # set the Output's outputs directly: works with and without a front end (no message routing needed)
        self.figure.outputs = (_png_output(png, f"<figure: {text}>"),)
        self.metrics.value = f"<b>{html.escape(text)}</b>"
        self.last_png, self.last_text = png, text
        for handle in self._static_handles:  # the static copies follow the explorer's last output
            handle.update(static_view_bundle(png, text), raw=True)

    # ------------------------------------------------------------------ display
    def _ipython_display_(self) -> None:
        """Display the live widget, then its static copy (kept by HTML exports; see the module docstring)."""
        from IPython.display import display

        bundle = self._repr_mimebundle_()
        if bundle:
            display(bundle, raw=True)
        handle = display(static_view_bundle(self.last_png, self.last_text), raw=True, display_id=True)
        if handle is not None:
            self._static_handles.append(handle)


def _default_loader(region: int) -> Any:
    from . import load_dataset

    return load_dataset("simulated", region=region)

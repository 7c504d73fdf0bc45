"""Small helpers the teaching notebooks share: recording key metrics and reading them back.

Every notebook writes the numbers it wants checked (by the tests, and by ``daenr-lite run-notebooks``'
summary table) into ``OUTPUT_DIR/metrics_NN.json`` with :func:`record_metrics`. The files are plain JSON
so a student can open them, and the runner can collect them without importing anything from the kernel.
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

__all__ = [
    "record_metrics",
    "load_metrics",
    "metrics_path",
    "output_dir",
    "figure_png",
    "show_figure",
    "show_markdown",
    "describe_training",
    "format_table",
]

_NOTEBOOK_ID = re.compile(r"^[0-9]{2}$")


def output_dir(path: str | os.PathLike[str]) -> Path:
    """Create (if needed) and return the folder a notebook writes its metrics and figures to."""
    folder = Path(path).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def metrics_path(output_dir: str | os.PathLike[str], notebook: str | int) -> Path:
    """``output_dir/metrics_NN.json`` for notebook ``NN`` (an int or a two-digit string)."""
    notebook_id = f"{int(notebook):02d}" if isinstance(notebook, int) else str(notebook)
    if not _NOTEBOOK_ID.match(notebook_id):
        raise ValueError(
            f"notebook id {notebook!r} is not a two-digit number; pass the notebook's prefix, e.g. '01' or 1."
        )
    return Path(output_dir) / f"metrics_{notebook_id}.json"


def _to_json(value: Any, key: str) -> Any:
    """numpy / torch scalars and arrays -> plain Python; NaN/inf -> None (JSON has no NaN)."""
    if hasattr(value, "detach"):  # torch tensor
        value = value.detach().cpu().numpy()
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _to_json(v, f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v, key) for v in value]
    raise ValueError(
        f"metric {key!r} has type {type(value).__name__}, which cannot be stored as JSON; "
        "record numbers, strings, lists or dicts of those (e.g. float(x) or x.tolist())."
    )


def record_metrics(output_dir: str | os.PathLike[str], notebook: str | int, /, **metrics: Any) -> Path:
    """Merge ``metrics`` into ``output_dir/metrics_NN.json`` and return the file's path.

    Calling it several times from one notebook adds keys (later values replace earlier ones).

    Examples
    --------
    >>> record_metrics(OUTPUT_DIR, "01", psnr=21.3, ssim=0.71)  # doctest: +SKIP
    """
    if not metrics:
        raise ValueError("record_metrics got no metrics; pass them as keywords, e.g. record_metrics(d, '01', psnr=21.3).")
    path = metrics_path(output_dir, notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    current = read_metrics_file(path)
    current.update({key: _to_json(value, key) for key, value in metrics.items()})
    from ._atomic import atomic_write_text

    atomic_write_text(path, json.dumps(current, indent=2, sort_keys=True) + "\n")  # never half-written
    return path


def read_metrics_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metrics in one ``metrics_NN.json`` (``{}`` if it does not exist); a ``ValueError`` naming the
    file when it is not a JSON object."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the metrics file {path} is corrupt ({exc}); delete it and re-run its notebook.") from exc
    if not isinstance(value, dict):
        raise ValueError(f"the metrics file {path} holds a {type(value).__name__}, not a JSON object; "
                         "delete it and re-run its notebook.")
    return value


def load_metrics(output_dir: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """All ``metrics_NN.json`` files in ``output_dir`` as ``{"NN": {name: value}}`` (sorted by NN)."""
    folder = Path(output_dir)
    result: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("metrics_*.json")):
        notebook_id = path.stem.removeprefix("metrics_")
        if _NOTEBOOK_ID.match(notebook_id):
            result[notebook_id] = read_metrics_file(path)
    return result


def figure_png(fig: Any, dpi: int = 100) -> bytes:
    """Render a matplotlib figure to PNG bytes (works with any backend, including Agg)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def show_markdown(text: str) -> None:
    """Display Markdown (e.g. a table from :func:`daenr_lite.zoo.results.format_markdown`) in the notebook; plain
    text where no front end renders it (papermill outputs keep both)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def show_figure(fig: Any, name: str | None = None, output_dir: str | os.PathLike[str] | None = None) -> None:
    """Display ``fig`` in the notebook, save it as ``output_dir/figures/name.png`` (when both are given)
    and close it. (Returns None, so a trailing call prints nothing extra.)

    Rendering the PNG ourselves makes figures appear whatever the matplotlib backend (``MPLBACKEND=Agg``
    in CI included) and avoids the inline backend showing the same figure twice.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    png = figure_png(fig)
    if name is not None and output_dir is not None:
        folder = Path(output_dir) / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.png").write_bytes(png)
    display(Image(data=png))
    plt.close(fig)


def describe_training(data: Any, config: Any) -> str:
    """One line: how many images and epochs a training run uses (for the notebooks' printouts)."""
    n_val = max(1, int(round(data.n_train * config.val_fraction)))
    return (f"training on {data.n_train - n_val} images (validation {n_val}), up to {config.max_epochs} epochs, "
            f"batch {config.batch_size}, learning rate {config.lr:g}")


def format_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], digits: int = 3) -> str:
    """A plain-text table of ``rows`` (dicts) restricted to ``columns``; floats get ``digits`` decimals,
    missing values and NaN print as ``-``."""
    if not rows:
        raise ValueError("format_table got no rows.")

    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "-"
        if isinstance(value, float):
            return f"{value:.{digits}f}"
        return str(value)

    body = [[cell(row.get(col)) for col in columns] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in body)) for i, col in enumerate(columns)]
    lines = ["  ".join(col.rjust(w) for col, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in body]
    return "\n".join(lines)

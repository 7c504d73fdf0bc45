"""Execute the teaching notebooks end to end (the project's main job) and keep them in sync.

The notebook series lives in ``notebooks/NN_name.py`` (jupytext percent format, the source of truth)
paired with ``notebooks/NN_name.ipynb`` (what students open). :func:`run_notebooks` executes the
``.ipynb`` files with papermill, injecting the parameters every notebook declares in its
``parameters``-tagged cell (``SEED, DEVICE, DATASET, REGION, OUTPUT_DIR``; the mode reaches every kernel as
``$DAENR_MODE``, read by ``MODE = None``), exports each executed
notebook to HTML and collects the metrics the notebooks record into ``summary.json``.
Keeping the ``.py``/``.ipynb`` pairs in sync is :mod:`daenr_lite.pairing` (a developer tool).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ._atomic import atomic_write_text
from .config import RUNNER_KERNEL_THREADS, THREADS_ENV
from .notebook_utils import metrics_path, read_metrics_file

__all__ = [
    "NotebookFailure",
    "NotebookResult",
    "SeriesResult",
    "find_notebooks_dir",
    "list_notebooks",
    "run_notebooks",
    "KERNEL_ARGUMENTS",
]

_NOTEBOOK_NAME = re.compile(r"^(\d{2})_[A-Za-z0-9_]+$")
_SOURCE_LINES_SHOWN = 6
#: arguments for every kernel the runner starts. ipykernel >= 7 logs "Kernel is running over TCP without
#: encryption" at start-up: the kernel listens on 127.0.0.1 only and every message is signed with the
#: connection file's key (as with any local Jupyter), so the warning says nothing about this run; kernel
#: errors are still logged, and warnings raised by notebook code still appear in the cells' outputs.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]


# ---------------------------------------------------------------------------------------- discovery
def find_notebooks_dir(notebooks_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the ``NN_name.ipynb`` notebooks.

    Looks at ``notebooks_dir`` if given, else ``./notebooks`` (run from a checkout, or notebooks copied out
    with ``daenr-lite notebooks notebooks``), else the ``notebooks/`` folder beside the installed package
    (editable install), else the copy a wheel installs (:data:`daenr_lite.bundled.BUNDLED_DIR`).
    """
    from .bundled import BUNDLED_DIR

    if notebooks_dir is not None:
        candidates = [Path(notebooks_dir)]
    else:
        candidates = [Path.cwd() / "notebooks", Path(__file__).resolve().parent.parent / "notebooks", BUNDLED_DIR]
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("[0-9][0-9]_*.ipynb")):
            return folder.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"no notebooks (NN_name.ipynb) found in {tried}; pass the folder explicitly (--notebooks DIR / "
        "notebooks_dir=...), or reinstall daenr-lite (a wheel ships them) and check `daenr-lite notebooks DEST`."
    )


def list_notebooks(notebooks_dir: str | os.PathLike[str], only: Iterable[str | int] | None = None) -> list[Path]:
    """The series' ``.ipynb`` files in order; ``only`` keeps the given prefixes (e.g. ``["00", "03"]``)."""
    folder = Path(notebooks_dir)
    notebooks = sorted(p for p in folder.glob("*.ipynb") if _NOTEBOOK_NAME.match(p.stem))
    if not notebooks:
        raise FileNotFoundError(
            f"no NN_name.ipynb notebooks in {folder}; pass the folder that holds them (--notebooks DIR)."
        )
    if only is None:
        return notebooks
    wanted = {f"{int(x):02d}" if str(x).strip().isdigit() else str(x).strip() for x in only}
    available = {p.stem[:2]: p for p in notebooks}
    unknown = sorted(wanted - set(available))
    if unknown:
        raise ValueError(
            f"unknown notebook number(s) {', '.join(unknown)}; available: {', '.join(sorted(available))} "
            "(pass e.g. --only 00,03)."
        )
    return [p for p in notebooks if p.stem[:2] in wanted]


# ---------------------------------------------------------------------------------------- results
@dataclass
class NotebookFailure:
    """Where and why a notebook failed.

    ``cell_index`` counts code and markdown cells from 0 in the *executed* notebook (which has papermill's
    injected-parameters cell right after the ``parameters`` cell); ``source`` is that cell's code.
    """

    notebook: str
    cell_index: int | None
    execution_count: int | None
    ename: str
    evalue: str
    source: str

    def describe(self) -> str:
        where = f"cell {self.cell_index}" if self.cell_index is not None else "before any cell ran"
        if self.execution_count is not None:
            where += f" (In [{self.execution_count}])"
        lines = self.source.strip("\n").splitlines()
        shown = "\n".join("    " + line for line in lines[:_SOURCE_LINES_SHOWN])
        if len(lines) > _SOURCE_LINES_SHOWN:
            shown += f"\n    ... ({len(lines) - _SOURCE_LINES_SHOWN} more lines)"
        text = f"{self.notebook} failed at {where}: {self.ename}: {self.evalue}"
        return text + (f"\n  cell source:\n{shown}" if shown else "")


@dataclass
class NotebookResult:
    """One executed notebook: status ``"ok"`` or ``"failed"``, wall time, outputs and recorded metrics."""

    name: str
    status: str
    seconds: float
    executed: Path | None
    html: Path | None
    metrics: dict[str, Any] = field(default_factory=dict)
    failure: NotebookFailure | None = None


@dataclass
class SeriesResult:
    """A run of the notebook series (see :func:`run_notebooks`)."""

    output_dir: Path
    parameters: dict[str, Any]
    notebooks: list[NotebookResult]
    seconds: float

    @property
    def failure(self) -> NotebookFailure | None:
        return next((r.failure for r in self.notebooks if r.failure is not None), None)

    #: False while the run is in progress or after it was interrupted (then ``ok`` is False too)
    finished: bool = True

    @property
    def ok(self) -> bool:
        return self.finished and all(r.status == "ok" for r in self.notebooks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "finished": self.finished,
            "seconds": round(self.seconds, 2),
            "parameters": self.parameters,
            "notebooks": [
                {
                    "name": r.name,
                    "status": r.status,
                    "seconds": round(r.seconds, 2),
                    "executed": None if r.executed is None else r.executed.name,
                    "html": None if r.html is None else r.html.name,
                    "metrics": r.metrics,
                    "failure": None if r.failure is None else r.failure.describe(),
                }
                for r in self.notebooks
            ],
        }

    def table(self) -> str:
        """A plain-text table: notebook, status, seconds and its key metrics."""
        rows = [("notebook", "status", "time", "key metrics")]
        for r in self.notebooks:
            shown = ", ".join(f"{k}={_format_value(v)}" for k, v in r.metrics.items() if _is_scalar(v))
            rows.append((r.name, r.status, f"{r.seconds:.1f} s", shown or "-"))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = ["  ".join(row[i].ljust(widths[i]) for i in range(3)) + "  " + row[3] for row in rows]
        lines.insert(1, "-" * min(100, max(len(line) for line in lines)))
        verdict = "all notebooks ran" if self.ok else ("FAILED" if self.finished else "INTERRUPTED")
        lines.append(f"total {self.seconds:.1f} s — {verdict}")
        return "\n".join(lines)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool)) or value is None


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


# ---------------------------------------------------------------------------------------- running
def _default_run_dir() -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / stamp


def _failure_from_exception(notebook: str, exc: BaseException) -> NotebookFailure:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return NotebookFailure(
            notebook=notebook,
            cell_index=exc.cell_index,
            execution_count=exc.exec_count,
            ename=exc.ename,
            evalue=str(exc.evalue),
            source=exc.source or "",
        )
    return NotebookFailure(notebook, None, None, type(exc).__name__, str(exc), "")


def export_html(executed: Path, html_path: Path) -> Path:
    """Write an HTML rendering of an executed notebook (nbconvert's HTMLExporter)."""
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(executed), as_version=4))
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _refuse_notebooks_folder(run_dir: Path, source_dir: Path) -> None:
    """One line when the run folder is, or contains, the folder of the notebooks being run: the executed
    copies would replace the originals (a student's work)."""
    target, source = run_dir.resolve(), source_dir.resolve()
    if target == source or target in source.parents:
        what = "is" if target == source else "contains"
        raise FileExistsError(
            f"the output folder {run_dir} {what} the notebooks being run ({source}); the executed copies would "
            "replace them: pass another folder (--output DIR, e.g. runs/today)."
        )


#: the run folder's record of the files daenr-lite runs wrote there (only those are ever replaced or deleted)
RUN_LEDGER = ".daenr-run-files.json"
_LEDGER_FORMAT = "daenr-lite-run-files"


def _owned_files(run_dir: Path) -> set[str]:
    """Names of the files earlier runs wrote in ``run_dir``: the ledger's list, or (a folder from a version
    without the ledger) what its runner ``summary.json`` names."""
    owned: set[str] = set()
    try:
        ledger = json.loads((run_dir / RUN_LEDGER).read_text(encoding="utf-8"))
        if isinstance(ledger, dict) and ledger.get("format") == _LEDGER_FORMAT:
            owned.update(str(name) for name in ledger.get("files", []) if isinstance(name, str))
    except (OSError, ValueError):
        pass
    try:
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = None
    if isinstance(summary, dict) and {"ok", "finished", "parameters", "notebooks"} <= set(summary):
        owned.add("summary.json")
        for entry in summary.get("notebooks") or []:
            if isinstance(entry, dict):
                owned.update(str(entry[k]) for k in ("executed", "html") if isinstance(entry.get(k), str))
                name = entry.get("name")
                if isinstance(name, str) and _NOTEBOOK_NAME.match(name):
                    owned.add(metrics_path(run_dir, name[:2]).name)
                    # that version's runs saved the notebook's figures as figures/NN_*.png
                    owned.update(f"{_FIGURES}/{p.name}" for p in (run_dir / _FIGURES).glob(f"{name[:2]}_*.png"))
    return {name for name in owned if _is_run_file_name(name)}


#: the subfolder the notebooks save their figures in (``show_figure(fig, "NN_name", OUTPUT_DIR)``)
_FIGURES = "figures"


def _is_run_file_name(name: str) -> bool:
    """A name the ledger may hold: a file of the run folder itself or of its ``figures/`` folder."""
    parts = name.split("/")
    return ("\\" not in name and all(part not in ("", ".", "..") for part in parts)
            and (len(parts) == 1 or (len(parts) == 2 and parts[0] == _FIGURES)))


def _run_files(run_dir: Path) -> set[str]:
    """The files of the run folder and of its ``figures/`` folder, as ledger names."""
    names = {p.name for p in run_dir.iterdir() if not p.is_dir()}
    if (run_dir / _FIGURES).is_dir():
        names |= {f"{_FIGURES}/{p.name}" for p in (run_dir / _FIGURES).iterdir() if not p.is_dir()}
    return names


def _planned_outputs(notebook: Path) -> list[str]:
    """The files the runner itself writes for ``notebook`` (executed copy, HTML, the metrics it reads)."""
    return [notebook.name, f"{notebook.stem}.html", f"metrics_{notebook.stem[:2]}.json"]


def _refuse_foreign_files(run_dir: Path, notebooks: Sequence[Path], owned: set[str]) -> None:
    """One line, before anything runs, when the run would replace a file that no daenr-lite run wrote: one of
    the runner's own outputs, or a file named like a figure of a notebook being run (``figures/NN_*``)."""
    planned = ["summary.json"] + [name for nb in notebooks for name in _planned_outputs(nb)]
    foreign = [name for name in planned if name not in owned and os.path.lexists(run_dir / name)]
    prefixes = tuple(f"{_FIGURES}/{nb.stem[:2]}_" for nb in notebooks)
    foreign += sorted(name for name in _run_files(run_dir) if name.startswith(prefixes) and name not in owned)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise FileExistsError(
            f"the output folder {run_dir} already holds {shown}, which no daenr-lite run wrote; the run would "
            "replace it: pass a new or empty folder (--output DIR)."
        )


def _write_ledger(run_dir: Path, owned: set[str]) -> None:
    atomic_write_text(run_dir / RUN_LEDGER,
                      json.dumps({"format": _LEDGER_FORMAT, "files": sorted(owned)}, indent=1) + "\n")


def _prepare_run_dir(run_dir: Path) -> Path:
    """Create the run folder; a clear error when the path is a file or cannot be written."""
    if run_dir.exists() and not run_dir.is_dir():
        raise NotADirectoryError(f"the output folder {run_dir} is a file; pass a folder (--output DIR).")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:  # a parent is a file
        blocker = next((p for p in run_dir.parents if p.exists() and not p.is_dir()), exc.filename)
        raise NotADirectoryError(f"cannot create the output folder {run_dir}: {blocker} is a file; "
                                 "pass another folder (--output DIR).") from exc
    except PermissionError as exc:
        raise PermissionError(f"cannot create the output folder {run_dir} (permission denied); "
                              "pass a writable folder (--output DIR).") from exc
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise PermissionError(f"the output folder {run_dir} is not writable; pass a writable folder (--output DIR).")
    return run_dir.resolve()


def _clear_previous_outputs(run_dir: Path, notebook: Path, owned: set[str]) -> None:
    """Remove what an earlier run left for ``notebook`` (executed copy, HTML, metrics), so that a failed
    or interrupted run never reports the old results as its own. Only files a daenr-lite run wrote
    (``owned``) are removed; anything else was refused before the run started."""
    for name in _planned_outputs(notebook):
        stale = run_dir / name
        if name in owned and (stale.is_file() or stale.is_symlink()):
            stale.unlink(missing_ok=True)


def _write_summary(series: "SeriesResult") -> None:
    atomic_write_text(series.output_dir / "summary.json", json.dumps(series.to_dict(), indent=2) + "\n")


def run_notebooks(
    *,
    mode: str | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    only: Sequence[str | int] | None = None,
    device: str = "auto",
    seed: int = 0,
    dataset: str = "simulated",
    region: int | None = None,
    notebooks_dir: str | os.PathLike[str] | None = None,
    html: bool = True,
    stop_on_error: bool = True,
    kernel_name: str = "python3",
    progress: bool = True,
    echo: Callable[[str], None] | None = print,
    threads: int | None = None,
) -> SeriesResult:
    """Execute the notebook series with papermill into one run folder.

    Parameters
    ----------
    mode : ``"pretrained"`` (converged models from the shipped zoo; the default), ``"quick"`` (short training,
        seconds per model) or ``"full"`` (trains what the zoo and cache lack); ``None`` reads ``$DAENR_MODE``.
        Every kernel gets it as ``DAENR_MODE`` (:data:`daenr_lite.config.PRESETS`).
    output_dir : run folder; default ``runs/<timestamp>/``. Gets ``NN_name.ipynb`` (executed),
        ``NN_name.html``, the notebooks' ``metrics_NN.json`` and figures, and ``summary.json``. A folder
        holding an earlier run may be reused: each notebook's previous executed copy, HTML and metrics are
        deleted before it runs, and ``summary.json`` says ``"finished": false, "ok": false`` until the
        run completes (also after an interrupt). It is rewritten atomically after every notebook.
        Nothing the runs did not write is ever replaced or deleted: the folder's ``.daenr-run-files.json``
        lists what they wrote, and a folder that already holds another file of the same name (e.g. a
        student's ``00_setup_and_data.ipynb``), or that is or contains ``notebooks_dir``, is refused with
        ``FileExistsError`` before any notebook runs.
    only : notebook prefixes to run (``["00", "03"]``); default all.
    device, seed, dataset, region : injected as ``DEVICE, SEED, DATASET, REGION``; ``region=None`` keeps each
        notebook's own default (1; notebook 05: 3, the region of the paper's Figure 3 and Table 2).
    notebooks_dir : folder of ``NN_name.ipynb`` files (see :func:`find_notebooks_dir`).
    html : also export each executed notebook to HTML.
    stop_on_error : stop at the first failing notebook (later ones are not run).
    echo : where progress lines go (``None`` for silence).
    threads : torch threads of each notebook kernel, passed as ``DAENR_THREADS`` in the kernel's
        environment; default ``$DAENR_THREADS`` if set, else 1 (``config.RUNNER_KERNEL_THREADS``), which
        keeps a busy or shared machine from being oversubscribed (see :mod:`daenr_lite.threads`).

    Returns
    -------
    SeriesResult; check ``.ok`` and ``.failure`` (the failing notebook and cell).
    """
    import papermill as pm

    if dataset not in {"simulated", "antolik2016"}:
        raise ValueError(f"dataset must be 'simulated' or 'antolik2016', got {dataset!r}.")
    if region is not None and int(region) not in (1, 2, 3):
        raise ValueError(f"region must be 1, 2 or 3, got {region!r}.")
    from .training.device import get_device

    get_device(device)  # an unknown or missing device: one line now, not a traceback in a kernel's cell
    say = echo if (progress and echo is not None) else (lambda _msg: None)
    source_dir = find_notebooks_dir(notebooks_dir)
    notebooks = list_notebooks(source_dir, only)
    requested = Path(output_dir) if output_dir is not None else _default_run_dir()
    _refuse_notebooks_folder(requested, source_dir)
    if requested.is_dir():
        _refuse_foreign_files(requested, notebooks, _owned_files(requested))
    run_dir = _prepare_run_dir(requested)
    from .config import MODE_ENV, parse_mode

    mode = parse_mode(mode)
    parameters = {
        "SEED": int(seed),
        "DEVICE": str(device),
        "DATASET": str(dataset),
        "OUTPUT_DIR": str(run_dir),
    }
    if region is not None:
        parameters["REGION"] = int(region)
    if threads is None:
        from .threads import parse_threads

        preset = os.environ.get(THREADS_ENV, "").strip()
        kernel_threads = parse_threads(preset) if preset else RUNNER_KERNEL_THREADS
    else:
        kernel_threads = int(threads)
        if kernel_threads < 1:
            raise ValueError(f"threads must be a positive whole number, got {threads!r}.")
    say(f"Running {len(notebooks)} notebook(s) from {source_dir} into {run_dir} "
        f"({mode} mode, device={device}, seed={seed}, {dataset}"
        f"{'' if region is None else f' region {region}'}, "
        f"{kernel_threads} torch thread(s) per kernel)")
    # kernels inherit this process's environment: the one way mode and threads reach them
    with _environment({THREADS_ENV: str(kernel_threads), MODE_ENV: mode}):
        series = _run_series(pm, notebooks, run_dir, source_dir, parameters, kernel_name, html,
                             stop_on_error, say)
    return series


class _environment:
    """Set environment variables for the duration of a ``with`` block, then restore them."""

    def __init__(self, values: dict[str, str]):
        self.values = values
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for key, value in self.values.items():
            self.saved[key] = os.environ.get(key)
            os.environ[key] = value

    def __exit__(self, *exc: Any) -> None:
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run_series(pm: Any, notebooks: list[Path], run_dir: Path, source_dir: Path, parameters: dict[str, Any],
                kernel_name: str, html: bool, stop_on_error: bool, say: Callable[[str], None]) -> SeriesResult:
    results: list[NotebookResult] = []
    series_start = time.perf_counter()
    series = SeriesResult(run_dir, parameters, results, 0.0, finished=False)
    owned = _owned_files(run_dir)
    _refuse_foreign_files(run_dir, notebooks, owned)  # checked again: the folder may have been created meanwhile
    owned.update(["summary.json"] + [name for nb in notebooks for name in _planned_outputs(nb)])
    _write_ledger(run_dir, owned)  # before anything is written: an interrupted run's files stay its own
    _write_summary(series)  # replaces an earlier run's summary at once; stays "finished": false if interrupted
    for number, notebook in enumerate(notebooks, start=1):
        executed = run_dir / notebook.name
        _clear_previous_outputs(run_dir, notebook, owned)
        before = _run_files(run_dir)
        say(f"[{number}/{len(notebooks)}] {notebook.stem} ...")
        start = time.perf_counter()
        failure = None
        try:
            pm.execute_notebook(
                str(notebook),
                str(executed),
                parameters=parameters,
                kernel_name=kernel_name,
                cwd=str(source_dir),
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                extra_arguments=list(KERNEL_ARGUMENTS),
            )
        except Exception as exc:  # papermill raises on the first failing cell
            failure = _failure_from_exception(notebook.stem, exc)
        seconds = time.perf_counter() - start
        html_path = None
        if html and executed.exists():
            try:
                html_path = export_html(executed, run_dir / f"{notebook.stem}.html")
            except Exception as exc:  # an export problem must not hide the notebook's own result
                say(f"    (HTML export of {notebook.name} failed: {type(exc).__name__}: {exc})")
        try:
            metrics = read_metrics_file(metrics_path(run_dir, notebook.stem[:2]))
        except ValueError as exc:  # a corrupt metrics file fails the notebook, naming the file
            metrics = {}
            failure = failure or NotebookFailure(notebook.stem, None, None, "ValueError", str(exc), "")
        created = _run_files(run_dir) - before  # the notebook's figures: this run's own files
        if created - owned:
            owned.update(name for name in created if not name.endswith(".tmp") and _is_run_file_name(name))
            _write_ledger(run_dir, owned)
        status = "ok" if failure is None else "failed"
        results.append(NotebookResult(notebook.stem, status, seconds, executed if executed.exists() else None,
                                      html_path, metrics, failure))
        say(f"[{number}/{len(notebooks)}] {notebook.stem} {status} in {seconds:.1f} s")
        series.seconds = time.perf_counter() - series_start
        _write_summary(series)
        if failure is not None:
            say("    " + failure.describe().replace("\n", "\n    "))
            if stop_on_error:
                break
    series.seconds, series.finished = time.perf_counter() - series_start, True
    _write_summary(series)
    return series

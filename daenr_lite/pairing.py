"""Developer tool: the ``.py`` (jupytext percent, the source of truth) / ``.ipynb`` pairs of the notebooks.

- :func:`sync_notebooks` regenerates each ``NN_name.ipynb`` from its ``.py`` with jupytext's reader, strips the
  outputs (keeping those of the cells nbval checks, refreshed by one quick-mode run) and keeps cell ids;
- :func:`check_pairing` says where a pair drifted (the tests call it);
- :func:`strip_outputs` empties code cells' outputs.

``daenr-lite sync-notebooks`` runs :func:`sync_notebooks`.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

from .runner import KERNEL_ARGUMENTS

__all__ = ["CHECK_OUTPUT_MARK", "sync_notebooks", "check_pairing", "strip_outputs"]

#: nbval compares the stored output of cells whose source contains this comment (also in lax mode).
CHECK_OUTPUT_MARK = "# NBVAL_CHECK_OUTPUT"
_NOTEBOOK_NAME = re.compile(r"^(\d{2})_[A-Za-z0-9_]+$")


def _cell_key(cell: Any) -> tuple[str, str, tuple[str, ...], str]:
    metadata = cell.get("metadata", {})
    tags = tuple(sorted(t for t in metadata.get("tags", []) if t == "parameters"))
    # nbgrader's cell metadata (and the locks its release sets) must survive the pairing
    grading = json.dumps({k: metadata[k] for k in ("nbgrader", "editable", "deletable") if k in metadata}, sort_keys=True)
    return cell["cell_type"], cell["source"].strip(), tags, grading


def check_pairing(py_path: str | os.PathLike[str], ipynb_path: str | os.PathLike[str]) -> list[str]:
    """Differences between a jupytext ``.py`` notebook and its paired ``.ipynb`` (empty list: in sync).

    Compares cell types, sources, the ``parameters`` tag and nbgrader's cell metadata, cell by cell.
    """
    import jupytext
    import nbformat

    py_cells = [_cell_key(c) for c in jupytext.read(str(py_path)).cells]
    nb_cells = [_cell_key(c) for c in nbformat.read(str(ipynb_path), as_version=4).cells]
    problems = []
    if len(py_cells) != len(nb_cells):
        problems.append(f"{len(py_cells)} cells in {Path(py_path).name} but {len(nb_cells)} in {Path(ipynb_path).name}")
    for index, (a, b) in enumerate(zip(py_cells, nb_cells)):
        if a != b:
            first = a[1].splitlines()[0] if a[1] else "(empty)"
            problems.append(f"cell {index} differs (.py cell starts {first!r})")
    return problems


def strip_outputs(notebook: Any) -> Any:
    """Remove outputs, execution counts and run metadata, except the outputs of ``# NBVAL_CHECK_OUTPUT``
    cells (which keep an execution count equal to their position among code cells, as nbval needs)."""
    code_number = 0
    for cell in notebook.cells:
        if cell["cell_type"] != "code":
            continue
        code_number += 1
        for key in ("execution", "papermill", "collapsed", "scrolled"):
            cell["metadata"].pop(key, None)
        if CHECK_OUTPUT_MARK in cell["source"] and cell.get("outputs"):
            # nbval only compares cells that were run: keep a (deterministic) execution count
            cell["execution_count"] = code_number
            for output in cell["outputs"]:
                if "execution_count" in output:
                    output["execution_count"] = code_number
                if isinstance(output.get("metadata"), dict):
                    output["metadata"].clear()
        else:
            cell["execution_count"] = None
            cell["outputs"] = []
    notebook.metadata.pop("widgets", None)
    notebook.metadata.pop("papermill", None)
    return notebook


def _keep_cell_ids(new: Any, old: Any) -> None:
    """Give unchanged cells (same type and source) of ``new`` the ids they have in ``old``, so that
    regenerating a notebook only changes the cells that changed (small, reviewable git diffs)."""
    available: dict[tuple[str, str], list[str]] = {}
    for cell in old.cells:
        if cell.get("id"):
            available.setdefault((cell.cell_type, cell.source), []).append(cell["id"])
    for cell in new.cells:
        ids = available.get((cell.cell_type, cell.source))
        if ids:
            cell["id"] = ids.pop(0)


def sync_notebooks(
    notebooks_dir: str | os.PathLike[str] | None = None,
    *,
    only: Sequence[str | int] | None = None,
    execute_checked: bool = True,
    echo: Callable[[str], None] | None = print,
) -> list[Path]:
    """Regenerate ``NN_name.ipynb`` from ``NN_name.py`` (the source of truth) and strip outputs.

    With ``execute_checked``, notebooks containing ``# NBVAL_CHECK_OUTPUT`` cells are executed once in
    quick mode (``DAENR_MODE=quick``, as nbval runs them) so those cells' (deterministic) outputs are stored
    for nbval to compare against.
    Returns the written ``.ipynb`` paths.
    """
    import jupytext
    import nbformat

    say = echo or (lambda _msg: None)
    folder = Path(notebooks_dir) if notebooks_dir is not None else Path.cwd() / "notebooks"
    sources = sorted(p for p in folder.glob("*.py") if _NOTEBOOK_NAME.match(p.stem))
    if only is not None:
        wanted = {f"{int(x):02d}" for x in only}
        sources = [p for p in sources if p.stem[:2] in wanted]
    if not sources:
        raise FileNotFoundError(f"no NN_name.py notebooks in {folder}; pass the notebooks folder.")
    written = []
    for source in sources:
        notebook = jupytext.read(str(source))
        notebook.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"})
        target = source.with_suffix(".ipynb")
        needs_outputs = execute_checked and any(
            c["cell_type"] == "code" and CHECK_OUTPUT_MARK in c["source"] for c in notebook.cells
        )
        if needs_outputs:
            notebook = _execute_quick(notebook, folder)
        strip_outputs(notebook)
        if target.exists():
            _keep_cell_ids(notebook, nbformat.read(str(target), as_version=4))
        nbformat.write(notebook, str(target))
        written.append(target)
        say(f"wrote {target}" + (" (checked outputs refreshed)" if needs_outputs else ""))
    return written


def _execute_quick(notebook: Any, cwd: Path) -> Any:
    """Run a notebook in quick mode (outputs to a temporary folder) and return it with outputs."""
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as tmp:
        previous = {k: os.environ.get(k) for k in ("DAENR_MODE", "DAENR_OUTPUT_DIR")}
        os.environ["DAENR_MODE"] = "quick"
        os.environ["DAENR_OUTPUT_DIR"] = tmp
        try:
            NotebookClient(notebook, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                           extra_arguments=list(KERNEL_ARGUMENTS)).execute()
        finally:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return notebook

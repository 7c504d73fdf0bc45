"""The notebook series that ships with the package, for pip users without a checkout.

A wheel carries the series as ``daenr_lite/_notebooks/`` (copied from the repository's ``notebooks/`` at
build time by ``setup.py``, so git holds one copy): the instructor notebooks ``NN_name.ipynb`` with their
paired ``NN_name.py`` and ``jupytext.toml``, and the student versions in ``student/``. In a checkout (or an
editable install) the same files are the repository's ``notebooks/`` beside the package.

``daenr-lite notebooks DEST [--student]`` (:func:`copy_notebooks`) copies them out to work on;
``run-notebooks`` and ``make-student`` fall back to them when the current folder has no ``notebooks/``.
"""
from __future__ import annotations

import filecmp
import os
import re
import shutil
from pathlib import Path
from typing import Callable

__all__ = ["BUNDLED_DIR", "bundled_notebooks_dir", "notebook_files", "copy_notebooks"]

#: where a wheel installs the series (absent in a checkout, where ``notebooks/`` beside the package is used)
BUNDLED_DIR = Path(__file__).resolve().parent / "_notebooks"
_CHECKOUT_DIR = Path(__file__).resolve().parent.parent / "notebooks"
_NAME = re.compile(r"^[0-9]{2}_[A-Za-z0-9_]+\.(ipynb|py)$")


def _has_series(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("[0-9][0-9]_*.ipynb"))


def bundled_notebooks_dir(student: bool = False) -> Path:
    """The installed series' folder (``student=True``: the student versions).

    The wheel's ``daenr_lite/_notebooks`` if present, else the checkout's ``notebooks/`` beside the package.
    ``FileNotFoundError`` (one line) when neither holds the notebooks.
    """
    for base in (BUNDLED_DIR, _CHECKOUT_DIR):
        folder = base / "student" if student else base
        if _has_series(folder):
            return folder
    raise FileNotFoundError(
        f"this daenr-lite installation has no notebooks (looked in {BUNDLED_DIR} and {_CHECKOUT_DIR}); reinstall "
        "it from a wheel or sdist of daenr-lite >= 0.1.0, or pass the notebooks folder (--notebooks DIR)."
    )


def notebook_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The series' files in ``folder``: ``NN_name.ipynb`` / ``.py`` (and ``jupytext.toml`` if present), sorted."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and _NAME.match(p.name))
    if (folder / "jupytext.toml").is_file():
        files.append(folder / "jupytext.toml")
    return files


def copy_notebooks(dest: str | os.PathLike[str], student: bool = False,
                   echo: Callable[[str], None] | None = print) -> list[Path]:
    """Copy the installed notebooks into ``dest`` (created if needed) and return the copied paths.

    ``student=True`` copies the student versions (exercises to solve) instead of the instructor notebooks
    (with solutions). Nothing is ever overwritten: a file already in ``dest`` with the same content is left
    as it is, and if any differs (e.g. a student's work) nothing is copied and ``FileExistsError`` names it.
    The instructor set includes ``jupytext.toml`` (the ``.ipynb``/``.py`` pairing); the student set gets it
    too, so that both open the same way in Jupyter.
    """
    say = echo or (lambda _msg: None)
    source = bundled_notebooks_dir(student)
    files = notebook_files(source)
    if student and not (source / "jupytext.toml").is_file() and (source.parent / "jupytext.toml").is_file():
        files.append(source.parent / "jupytext.toml")
    target = Path(dest).expanduser()
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} is a file; pass a folder to copy the notebooks into (DEST).")
    if target.is_dir() and target.resolve() in (source.resolve(), source.resolve().parent):
        raise FileExistsError(f"{target} is the installed notebooks' own folder; pass another DEST.")
    clashes = [f.name for f in files if (target / f.name).exists() and
               not ((target / f.name).is_file() and filecmp.cmp(f, target / f.name, shallow=False))]
    if clashes:
        shown = ", ".join(clashes[:3]) + (f" and {len(clashes) - 3} more" if len(clashes) > 3 else "")
        raise FileExistsError(f"{target} already holds a different {shown}; nothing was copied (your files are "
                              "kept): pass another DEST or move those files away.")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise NotADirectoryError(f"cannot create {target}: a parent is a file; pass another DEST.") from exc
    copied = []
    for f in files:
        if not (target / f.name).exists():
            shutil.copyfile(f, target / f.name)
            copied.append(target / f.name)
    kind = "student" if student else "instructor"
    say(f"copied {len(copied)} file(s) of the {kind} notebooks to {target}"
        + (f" ({len(files) - len(copied)} identical one(s) already there)" if len(copied) < len(files) else ""))
    return copied

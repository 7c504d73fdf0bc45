"""Where daenr-lite keeps data: ``data_dir`` argument > ``DAENR_DATA_DIR`` > the user cache folder."""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_data_dir", "resolve_data_dir", "find_real_data", "DATA_DIR_ENV", "SHARED_DATA_ENV"]

#: environment variable that overrides the default data folder
DATA_DIR_ENV = "DAENR_DATA_DIR"
#: environment variable naming a folder with (a partial copy of) the real recordings, e.g. a course's shared copy
SHARED_DATA_ENV = "DAENR_SHARED_DATA"


def default_data_dir() -> Path:
    """The data folder used when no ``data_dir`` is given.

    ``$DAENR_DATA_DIR`` if set (and non-empty), else ``platformdirs.user_cache_dir("daenr-lite")``
    (e.g. ``~/.cache/daenr-lite`` on Linux). The folder is not created here.
    """
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("daenr-lite"))


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """``data_dir`` if given (``~`` expanded), else :func:`default_data_dir`."""
    if data_dir is None:
        return default_data_dir()
    return Path(data_dir).expanduser()


#: where the partial copy of the real recordings sits relative to the repository root (CI and the course
#: machines put ``shared/`` beside the checkout)
SHARED_REAL_DATA = Path("..") / "shared" / "data" / "antolik2016_partial"


def find_real_data(start: str | os.PathLike[str] | None = None) -> Path | None:
    """A folder with the real Antolík et al. 2016 recordings, or None.

    Prefers a full download (``daenr-lite download antolik2016`` -> ``<data dir>/antolik2016``), then the folder
    named by ``$DAENR_SHARED_DATA``, then the course's partial shared copy ``../shared/data/antolik2016_partial``
    next to the repository (looked up from ``start``, default the current folder, and its parents: notebooks
    run inside ``notebooks/``).
    The result can be passed as ``data_dir`` to the ``antolik2016`` loaders.
    """
    downloaded = Path(default_data_dir()) / "antolik2016"
    if (downloaded / "Data").is_dir():
        return downloaded
    named = os.environ.get(SHARED_DATA_ENV, "").strip()
    if named and (Path(named).expanduser() / "Data").is_dir():
        return Path(named).expanduser()
    here = Path(start) if start is not None else Path.cwd()
    for folder in [here, *here.resolve().parents][:4]:
        candidate = folder / SHARED_REAL_DATA
        if (candidate / "Data").is_dir():
            return candidate.resolve()
    return None

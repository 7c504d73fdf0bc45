"""Where daenr-lite keeps data: ``data_dir`` argument > ``DAENR_DATA_DIR`` > the user cache folder."""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_data_dir", "resolve_data_dir", "DATA_DIR_ENV"]

#: environment variable that overrides the default data folder
DATA_DIR_ENV = "DAENR_DATA_DIR"


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

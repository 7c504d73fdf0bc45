"""Download and verify the real data used by daenr-lite.

Formerly the top-level package ``data_download``; it lives in daenr-lite's own namespace so that its name
cannot clash with another installed package.

Public API::

    from daenr_lite.download import download_antolik2016, main
    download_antolik2016(dest="~/data")          # -> Path to <dest>/antolik2016/Data
    main(["antolik2016", "--dest", "~/data"])    # the CLI (`python -m daenr_lite.download ...`), returns an exit code
"""
from __future__ import annotations

from .antolik2016 import DEFAULT_URL, ChecksumError, DownloadError, download_antolik2016
from .checksums import ANTOLIK2016_CHECKSUMS, file_digest, verify_files
from .cli import main

__all__ = [
    "download_antolik2016",
    "main",
    "DownloadError",
    "ChecksumError",
    "DEFAULT_URL",
    "ANTOLIK2016_CHECKSUMS",
    "file_digest",
    "verify_files",
]

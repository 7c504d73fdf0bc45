"""Command line: ``python -m daenr_lite.download antolik2016 [--dest DIR] [--force] [--quiet] [--url URL | --archive ZIP]``.

``daenr-lite download antolik2016 ...`` calls :func:`main` with the same arguments.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

__all__ = ["main", "build_parser", "DATASETS"]

#: dataset name -> one-line description
DATASETS = {"antolik2016": "Antolík et al. 2016 mouse V1 recordings (PLoS Comput Biol S1, CC BY 4.0)"}


def build_parser(prog: str = "python -m daenr_lite.download") -> argparse.ArgumentParser:
    """The argument parser (reusable by ``daenr-lite download``)."""
    from .antolik2016 import DEFAULT_URL, URL_ENV

    parser = argparse.ArgumentParser(prog=prog, description="Download and verify real data for daenr-lite.")
    parser.add_argument("dataset", choices=sorted(DATASETS), help="what to download: " + "; ".join(
        f"{k}: {v}" for k, v in DATASETS.items()))
    parser.add_argument("--dest", default=None, help="destination folder (default: $DAENR_DATA_DIR or the user cache dir); "
                        "files go to DEST/antolik2016/Data")
    parser.add_argument("--force", action="store_true", help="download again even if a verified copy exists")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--url", default=None,
                        help=f"archive address: a mirror's http(s)://, or a local copy as file:// or a path "
                        f"(default: ${URL_ENV} if set, else {DEFAULT_URL})")
    source.add_argument("--archive", default=None, help="use an S1 zip you downloaded by hand instead of downloading")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "python -m daenr_lite.download") -> int:
    """Run the download command line; returns the exit code (0 ok, 1 failure, 2 usage error)."""
    from .antolik2016 import DownloadError, download_antolik2016

    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help / usage errors
        return int(exc.code or 0)
    try:
        path = download_antolik2016(
            dest=args.dest, url=args.url, force=args.force, progress=not args.quiet, archive=args.archive
        )
    except DownloadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # disk full, permissions while unpacking, ...: one line, not a traceback
        print(f"error: the download could not be written ({type(exc).__name__}: {exc}); free space or pass "
              "another folder with --dest DIR. Any existing copy was left untouched.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: download interrupted; any existing copy was left untouched. Run it again.", file=sys.stderr)
        return 130
    if args.quiet:
        print(path)
    return 0

"""Download the Antolík et al. 2016 mouse V1 recordings (PLoS Comput Biol supporting file S1).

``download_antolik2016(dest)`` fetches the S1 zip archive with pooch, unpacks it into a temporary
folder next to the destination, checks EVERY expected file against the packaged checksums, and only
then moves the ``Data/`` folder into place as ``<dest>/antolik2016/Data`` with an atomic rename.
Nothing is lost on failure:

- transfer interrupted / truncated: pooch downloads to a temporary file and only renames it when the
  transfer completed; the archive is then tested (zip CRCs) before use;
- checksum mismatch or files missing from the archive: the bad download is deleted, an earlier good
  copy stays untouched, and the error lists every bad file;
- an existing copy that already verifies is kept (``force=True`` re-downloads and replaces it only
  after the new copy verified).
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import Mapping

from .checksums import ANTOLIK2016_CHECKSUMS, Checksum, verify_files

__all__ = ["DEFAULT_URL", "DownloadError", "ChecksumError", "download_antolik2016", "dataset_folder"]

#: DOI address of supporting file S1 (a zip); doi.org redirects to the journal's file server
DEFAULT_URL = "https://doi.org/10.1371/journal.pcbi.1004927.s001"
#: environment variable naming a mirror of the S1 zip, used when no ``url`` is passed
URL_ENV = "DAENR_DOWNLOAD_URL"
#: prefix of the temporary work folders beside the destination; one left by a killed download is
#: removed by the next download (its owner process is gone, or it is older than STALE_SECONDS)
WORKDIR_PREFIX = ".download-"
_OWNER_FILE = "owner"
STALE_SECONDS = 24 * 3600
ARCHIVE_NAME = "antolik2016_S1.zip"
#: folder inside ``dest`` that receives the archive's ``Data/`` folder
DATASET_SUBDIR = "antolik2016"


class DownloadError(RuntimeError):
    """The download or unpacking failed; the message says why and what to do."""


class ChecksumError(DownloadError):
    """Downloaded files are missing or do not match the expected checksums.

    problems : ``{relative path: description}`` for every bad file.
    """

    def __init__(self, message: str, problems: Mapping[str, str]):
        super().__init__(message)
        self.problems = dict(problems)


def default_dest() -> Path:
    """daenr-lite's data folder (``$DAENR_DATA_DIR`` or the user cache dir)."""
    from ..data.paths import default_data_dir

    return default_data_dir()


def dataset_folder(dest: str | Path | None = None) -> Path:
    """``<dest>/antolik2016/Data``, where :func:`download_antolik2016` puts the files."""
    return (default_dest() if dest is None else Path(dest).expanduser()) / DATASET_SUBDIR / "Data"


def default_url() -> str:
    """``$DAENR_DOWNLOAD_URL`` (a mirror) if set, else :data:`DEFAULT_URL`.

    Raises DownloadError when the variable is set but blank (a mistyped export would otherwise fall back to
    the DOI address without saying so).
    """
    value = os.environ.get(URL_ENV)
    if value is None:
        return DEFAULT_URL
    if not value.strip():
        raise DownloadError(
            f"${URL_ENV} is set but blank; set it to the address of an S1 zip mirror (http(s)://, file:// or a "
            f"local path), or unset {URL_ENV} to download from the DOI address {DEFAULT_URL}."
        )
    return value.strip()


def _resolve_url(url: str | None) -> tuple[str, str]:
    """``(address, origin)``: the address to fetch and ``" (from $DAENR_DOWNLOAD_URL)"`` when the variable
    chose it (every error then names it as the source), else ``""``."""
    if url is not None:
        if not str(url).strip():
            raise DownloadError(
                "--url is blank; pass the address of the S1 zip (http(s)://, file:// or a local path), or leave "
                f"--url out to use ${URL_ENV} or the DOI address {DEFAULT_URL}."
            )
        return str(url).strip(), ""
    chosen = default_url()
    return chosen, (f" (from ${URL_ENV})" if os.environ.get(URL_ENV) is not None else "")


def _fix_hint(origin: str) -> str:
    """What to change about the address: the variable when it chose it, else the option."""
    if origin:
        return (f"Fix or unset {URL_ENV} (unset, the DOI address is used), pass another address with --url URL, "
                "or download the S1 zip by hand and pass it with --archive PATH")
    return (f"Pass another address with --url URL (or set {URL_ENV}), or download the S1 zip by hand and pass "
            "it with --archive PATH")


def _local_archive(url: str, origin: str) -> Path | None:
    """The local file a ``file://`` URL or a plain path names (None for http(s) addresses); DownloadError
    for a missing file or an unsupported scheme."""
    import urllib.parse
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return None
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise DownloadError(
                f"{url}{origin} names a file on another host ({parts.netloc}); use file:///path on this machine "
                f"or a local path. {_fix_hint(origin)}."
            )
        path = Path(urllib.request.url2pathname(parts.path))
    elif scheme == "" or (len(scheme) == 1 and os.name == "nt"):  # a plain path (C:\... on Windows)
        path = Path(url).expanduser()
    else:
        raise DownloadError(
            f"{url}{origin}: {scheme!r} addresses are not supported; use an http(s):// address, a file:// URL or "
            f"a local path. {_fix_hint(origin)}."
        )
    if not path.is_file():
        raise DownloadError(
            f"the archive {path}{origin} does not exist{' (it is a folder)' if path.is_dir() else ''}; "
            f"pass the path of the downloaded S1 zip. {_fix_hint(origin)}."
        )
    return path


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _remove_stale_workdirs(parent: Path) -> None:
    """Delete ``.download-*`` folders left in ``parent`` by downloads that were killed.

    A work folder records ``host pid`` of its download; it is stale when that process no longer exists on
    this host, or (unknown owner, e.g. another host) when it was last modified over STALE_SECONDS ago.
    """
    host = socket.gethostname()
    for folder in parent.glob(WORKDIR_PREFIX + "*"):
        if not folder.is_dir():
            continue
        try:
            owner_host, pid_text = (folder / _OWNER_FILE).read_text().split()
            stale = owner_host == host and not _process_alive(int(pid_text))
        except (OSError, ValueError):
            try:
                stale = time.time() - folder.stat().st_mtime > STALE_SECONDS
            except OSError:
                continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)


def _make_workdir(target: Path) -> Path:
    """A fresh ``.download-*`` folder beside ``target``; DownloadError when the destination is unusable."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise DownloadError(
            f"cannot use the destination {parent.parent}: {exc.filename or parent} is a file, not a folder; "
            "pass a folder with --dest DIR."
        ) from exc
    except PermissionError as exc:
        raise DownloadError(
            f"cannot create {parent} (permission denied); pass a writable folder with --dest DIR "
            "or set DAENR_DATA_DIR."
        ) from exc
    _remove_stale_workdirs(parent)
    try:
        workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX, dir=parent))
        (workdir / _OWNER_FILE).write_text(f"{socket.gethostname()} {os.getpid()}\n")
    except PermissionError as exc:
        raise DownloadError(
            f"the destination {parent} is not writable (permission denied); pass a writable folder with "
            "--dest DIR or set DAENR_DATA_DIR."
        ) from exc
    return workdir


def _find_data_root(unpacked: Path, expected: Mapping[str, Checksum]) -> Path:
    """The folder inside the unpacked archive that holds the expected relative paths (e.g. ``.../Data``)."""
    probe = PurePosixPath(sorted(expected)[0])
    for candidate in sorted(unpacked.rglob(probe.name)):
        root = candidate
        for _ in probe.parts:
            root = root.parent
        if (root / Path(*probe.parts)).is_file():
            return root
    return unpacked / "Data"


def _unpack(archive: Path, into: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise DownloadError(
                    f"the downloaded archive is corrupt (CRC error in {bad}); the transfer was probably "
                    "damaged. Run the download again."
                )
            root = into.resolve()
            for member in zf.infolist():
                target = (into / member.filename).resolve()
                if target != root and root not in target.parents:  # not a string prefix: unpacked2/ is outside
                    raise DownloadError(f"the archive contains an unsafe path {member.filename!r}; refusing to unpack it.")
            zf.extractall(into)
    except zipfile.BadZipFile as exc:
        raise DownloadError(
            f"the downloaded file is not a complete zip archive ({exc}); the transfer was probably "
            "interrupted or the server returned an error page. Run the download again."
        ) from exc


def _fetch(url: str, workdir: Path, progress: bool, origin: str = "") -> Path:
    import pooch
    import requests

    logger = pooch.get_logger()  # silence pooch's "use this known_hash" advice: every file is verified below
    level = logger.level
    logger.setLevel("WARNING")
    if progress:
        print(f"Downloading {url}")
    try:
        path = pooch.retrieve(
            url,
            known_hash=None,
            fname=ARCHIVE_NAME,
            path=workdir,
            downloader=pooch.HTTPDownloader(progressbar=progress, timeout=60),
            progressbar=progress,
        )
    except Exception as exc:  # requests/urllib3 raise many types (ConnectionError, ChunkedEncodingError, ...)
        if isinstance(exc, requests.TooManyRedirects):  # carries the last 30x response: not an HTTP status error
            raise DownloadError(
                f"{url}{origin} redirects in a loop (more than {requests.models.DEFAULT_REDIRECT_LIMIT} redirects); "
                f"the address is not a direct link to the zip (a broken mirror, or a page that needs a login). "
                f"{_fix_hint(origin)}; any existing copy was left untouched."
            ) from exc
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status is not None:
            reason = getattr(exc.response, "reason", "") or ""
            raise DownloadError(
                f"the server answered HTTP {status}{' ' + reason if reason else ''} for {url}{origin}; the address "
                f"is wrong or the file moved. {_fix_hint(origin)}; any existing copy was left untouched."
            ) from exc
        raise DownloadError(
            f"downloading {url}{origin} failed ({type(exc).__name__}: {exc}). Check the network connection and run "
            f"the download again, use a mirror with --url URL (or {URL_ENV}), or download the S1 zip by hand "
            "and pass it with --archive PATH; any existing copy was left untouched."
        ) from exc
    finally:
        logger.setLevel(level)
    return Path(path)


def download_antolik2016(
    dest: str | Path | None = None,
    url: str | None = None,
    force: bool = False,
    progress: bool = True,
    expected: Mapping[str, Checksum] | None = None,
    archive: str | Path | None = None,
) -> Path:
    """Download, verify and install the Antolík et al. 2016 data as ``<dest>/antolik2016/Data``.

    Parameters
    ----------
    dest : destination folder (default: daenr-lite's data dir, ``$DAENR_DATA_DIR`` or the user cache).
    url : address of the S1 zip archive: ``http(s)://``, or a local copy as a ``file://`` URL or a plain path
        (installed like ``archive``, never deleted); default: ``$DAENR_DOWNLOAD_URL`` if set, else
        :data:`DEFAULT_URL`. A blank ``url`` or a set-but-blank variable is an error, and errors about an
        address the variable chose say so.
    force : download even if a verified copy exists (it is replaced only after the new one verified).
    progress : show a progress bar.
    expected : ``{path relative to Data/: (algorithm, digest)}``; default: the packaged table
        :data:`~daenr_lite.download.checksums.ANTOLIK2016_CHECKSUMS` (15 files).
    archive : a local copy of the S1 zip (downloaded by hand); used instead of ``url``.

    Returns
    -------
    Path to the installed ``Data`` folder.

    Raises
    ------
    DownloadError : transfer failed, or the file is not a complete zip.
    ChecksumError : files missing from the archive or not matching their checksums.
    """
    expected = ANTOLIK2016_CHECKSUMS if expected is None else dict(expected)
    origin = ""
    if archive is None:
        url, origin = _resolve_url(url)
        local = _local_archive(url, origin)
        if local is not None:
            archive = local
    target = dataset_folder(dest)
    if target.is_dir() and not force and not verify_files(target, expected):
        if progress:
            print(f"Antolík et al. 2016 data already present and verified: {target}")
        return target
    workdir = _make_workdir(target)
    try:
        source = str(archive) if archive is not None else f"{url}{origin}"
        if archive is None:
            zip_path = _fetch(url, workdir, progress, origin)
        else:
            zip_path = Path(archive).expanduser()
            if not zip_path.is_file():
                raise DownloadError(f"archive {zip_path} does not exist; pass the path of the downloaded S1 zip.")
        unpacked = workdir / "unpacked"
        unpacked.mkdir()
        _unpack(zip_path, unpacked)
        if archive is None:
            zip_path.unlink()
        data_root = _find_data_root(unpacked, expected)
        problems = verify_files(data_root, expected)
        if problems:
            listing = "\n".join(f"  {rel}: {why}" for rel, why in sorted(problems.items()))
            kept = f" The existing copy in {target} was left untouched." if target.exists() else ""
            raise ChecksumError(
                f"the download from {source} failed verification ({len(problems)} of {len(expected)} files):\n"
                f"{listing}\nThe bad download was deleted.{kept} Try again later, or download the S1 archive "
                "by hand from the paper's page and pass it with --archive PATH.",
                problems,
            )
        backup = None
        if target.exists():
            backup = workdir / "previous-Data"
            target.rename(backup)
        try:
            data_root.rename(target)
        except OSError:
            if backup is not None:
                backup.rename(target)
            raise
        if progress:
            print(f"Antolík et al. 2016 data verified ({len(expected)} files) and installed in {target}")
        return target
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

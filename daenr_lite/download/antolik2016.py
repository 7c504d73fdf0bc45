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
    """``$DAENR_DOWNLOAD_URL`` (a mirror) if set, else :data:`DEFAULT_URL`."""
    return os.environ.get(URL_ENV, "").strip() or DEFAULT_URL


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


def _fetch(url: str, workdir: Path, progress: bool) -> Path:
    import pooch

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
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status is not None:
            reason = getattr(exc.response, "reason", "") or ""
            raise DownloadError(
                f"the server answered HTTP {status}{' ' + reason if reason else ''} for {url}; the address is wrong "
                f"or the file moved. Pass another address with --url URL (or set {URL_ENV}), or download the S1 "
                "zip by hand and pass it with --archive PATH; any existing copy was left untouched."
            ) from exc
        raise DownloadError(
            f"downloading {url} failed ({type(exc).__name__}: {exc}). Check the network connection and run "
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
    url : address of the S1 zip archive (default: ``$DAENR_DOWNLOAD_URL`` if set, else :data:`DEFAULT_URL`).
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
    url = url or default_url()
    target = dataset_folder(dest)
    if target.is_dir() and not force and not verify_files(target, expected):
        if progress:
            print(f"Antolík et al. 2016 data already present and verified: {target}")
        return target
    workdir = _make_workdir(target)
    try:
        source = str(archive) if archive is not None else url
        if archive is None:
            zip_path = _fetch(url, workdir, progress)
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

"""Expected checksums of the Antolík et al. 2016 ``Data/`` folder and the code that checks them.

The table (``antolik2016_checksums.txt``, shipped as package data) lists one file per line:
``algorithm digest path`` with ``algorithm`` either ``sha256`` or ``git-sha1`` (git blob SHA-1,
``sha1(b"blob <size>\\0" + content)``, i.e. ``git hash-object FILE``) and ``path`` relative to ``Data/``.
"""
from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Mapping

__all__ = ["Checksum", "ChecksumTable", "ANTOLIK2016_CHECKSUMS", "load_checksum_table", "file_digest", "verify_files"]

#: (algorithm, hex digest)
Checksum = tuple[str, str]
#: relative path (posix, inside Data/) -> Checksum
ChecksumTable = Mapping[str, Checksum]

ALGORITHMS = ("sha256", "git-sha1")
_CHUNK = 1 << 20


def load_checksum_table(text: str) -> dict[str, Checksum]:
    """Parse ``algorithm digest path`` lines (``#`` comments and blank lines ignored)."""
    table: dict[str, Checksum] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3 or parts[0] not in ALGORITHMS:
            raise ValueError(f"checksum table line {number} is not 'algorithm digest path': {line!r}")
        table[parts[2]] = (parts[0], parts[1].lower())
    return table


def _packaged_table() -> dict[str, Checksum]:
    text = resources.files(__package__).joinpath("antolik2016_checksums.txt").read_text(encoding="utf-8")
    return load_checksum_table(text)


#: the 15 data files of the S1 archive's Data/ folder (12 SHA-256, 3 git blob SHA-1)
ANTOLIK2016_CHECKSUMS: dict[str, Checksum] = _packaged_table()


def file_digest(path: str | Path, algorithm: str) -> str:
    """Hex digest of ``path`` with ``algorithm`` ("sha256" or "git-sha1")."""
    path = Path(path)
    if algorithm == "sha256":
        digest = hashlib.sha256()
    elif algorithm == "git-sha1":
        digest = hashlib.sha1()
        digest.update(b"blob %d\0" % path.stat().st_size)
    else:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}; use one of {ALGORITHMS}.")
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_files(root: str | Path, expected: ChecksumTable, only: list[str] | None = None) -> dict[str, str]:
    """Check files under ``root`` against ``expected``; returns ``{relative path: problem}`` (empty = all good).

    only : check just these relative paths (default: every path in ``expected``).
    """
    root = Path(root)
    problems: dict[str, str] = {}
    for rel in expected if only is None else only:
        algorithm, digest = expected[rel]
        path = root / rel
        if not path.is_file():
            problems[rel] = "missing"
            continue
        actual = file_digest(path, algorithm)
        if actual != digest:
            problems[rel] = f"{algorithm} mismatch (expected {digest}, got {actual})"
    return problems

"""Add the record hash (``record_sha256``) to every entry of a model-store manifest, without retraining.

Usage::

    python benchmarks/seal_manifest.py daenr_lite/zoo/shipped

Every entry the store writes carries ``record_sha256``, the sha256 of its own canonical JSON, and a read checks
it (issue 23: an edited metric in the shipped manifest was shown as if measured). Manifests written before the
hash existed, such as the shipped zoo built for MODEL_CODE_VERSION 2, get it here once: the checkpoints are
unchanged (each is checked against its entry's sha256 first; a mismatch seals nothing) and the entries are
exactly what ``ModelStore.save`` wrote (``git log -p daenr_lite/zoo/shipped/manifest.json``). Run it again
after any deliberate edit of a manifest; never to make an accidental edit pass.
"""
from __future__ import annotations

import argparse
import sys

from daenr_lite.zoo.store import ZooIntegrityError, seal_manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="a store folder with a manifest.json (e.g. daenr_lite/zoo/shipped)")
    args = parser.parse_args(argv)
    try:
        changed = seal_manifest(args.folder)
    except (OSError, ZooIntegrityError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{changed} entr{'y' if changed == 1 else 'ies'} sealed in {args.folder}/manifest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build hook: the notebooks ship in the wheel without a second copy in git.

``pyproject.toml`` holds all metadata; this file only extends ``build_py`` so that a (non-editable) build
copies the series from the repository's ``notebooks/`` folder (the one source of truth:
``NN_name.ipynb`` + ``NN_name.py`` pairs, ``jupytext.toml`` and ``student/``) into the built package as
``daenr_lite/_notebooks/``. ``daenr-lite notebooks DEST``, ``run-notebooks`` and ``make-student`` use that
copy outside a checkout (:mod:`daenr_lite.bundled`). An editable install needs no copy: there the
package finds ``notebooks/`` beside itself. The sdist carries ``notebooks/`` (MANIFEST.in), so a wheel built
from the sdist has them too; a build from a tree without them fails instead of shipping a wheel without
notebooks.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "notebooks"
BUNDLE = Path("daenr_lite") / "_notebooks"
_NAME = re.compile(r"^[0-9]{2}_[A-Za-z0-9_]+\.(ipynb|py)$")


def notebook_files() -> list[Path]:
    """The files that ship, relative to ``notebooks/``: the series' pairs, jupytext.toml and student/."""
    files = [Path("jupytext.toml")] if (SOURCE / "jupytext.toml").is_file() else []
    for folder in (Path("."), Path("student")):
        files += sorted(folder / p.name for p in (SOURCE / folder).glob("*") if p.is_file() and _NAME.match(p.name))
    return files


class build_py_with_notebooks(build_py):
    """``build_py`` that also copies the notebook series into ``<build_lib>/daenr_lite/_notebooks``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        files = notebook_files()
        if not any(f.parent == Path("student") for f in files) or not any(f.parent == Path(".") and
                                                                           f.suffix == ".ipynb" for f in files):
            raise SystemExit(f"error: no notebooks (NN_name.ipynb and student/) in {SOURCE}; build from a "
                             "checkout or from the sdist, which carries them.")
        target = Path(self.build_lib) / BUNDLE
        if target.exists():
            shutil.rmtree(target)
        for rel in files:
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SOURCE / rel, target / rel)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            outputs += [str(Path(self.build_lib) / BUNDLE / rel) for rel in notebook_files()]
        return outputs


setup(cmdclass={"build_py": build_py_with_notebooks})

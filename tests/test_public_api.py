"""The flat public API: every advertised name resolves from `daenr_lite` directly."""
import subprocess
import sys

import pytest

import daenr_lite


@pytest.mark.parametrize("name", sorted(daenr_lite._EXPORTS))
def test_every_public_name_resolves(name):
    value = getattr(daenr_lite, name)
    assert getattr(value, "__name__", name) == name or not callable(value)


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        daenr_lite.nope  # noqa: B018


def test_import_is_lazy():
    """`import daenr_lite` alone must not import torch (fast start in notebooks and the CLI)."""
    code = "import sys, daenr_lite; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

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


def test_type_checkers_see_every_public_name_from_its_module():
    """The ``if TYPE_CHECKING:`` block imports exactly the lazily exported names, each from its module."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(daenr_lite.__file__).read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING")
    seen = {alias.name: "daenr_lite." + node.module for node in block.body if isinstance(node, ast.ImportFrom)
            for alias in node.names}
    assert seen == daenr_lite._EXPORTS


def test_the_names_the_notebooks_import_from_daenr_lite_are_public():
    import ast
    from pathlib import Path

    notebooks = Path(daenr_lite.__file__).resolve().parents[1] / "notebooks"
    used = set()
    for path in notebooks.glob("0*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "daenr_lite":
                used |= {alias.name for alias in node.names}
    submodules = {"plotting", "reference"}
    assert used - submodules <= set(daenr_lite._EXPORTS), used - submodules - set(daenr_lite._EXPORTS)

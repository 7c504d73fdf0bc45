"""A device that does not exist is refused up front in one line (issue 23, item 6), before any training or
kernel starts, by the library, `pretrain` and `run-notebooks`."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import torch

from daenr_lite import cli
from daenr_lite.runner import run_notebooks
from daenr_lite.training import get_device


@pytest.mark.parametrize("name", ["nosuch", "cuda:x", "", " cpu"])
def test_an_unknown_device_string_gets_one_line_naming_it_and_the_choices(name):
    with pytest.raises(ValueError) as info:
        get_device(name)
    message = str(info.value)
    assert "\n" not in message and repr(name) in message and "'auto'" in message and "'cpu'" in message


def test_a_cuda_index_beyond_the_gpus_is_refused():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA here: 'cuda:7' is refused as 'CUDA is not available' (test_training)")
    with pytest.raises(ValueError, match=r"cuda:\d+.*GPU"):
        get_device(f"cuda:{torch.cuda.device_count()}")


def test_pretrain_refuses_an_unknown_device_before_training(tmp_path, capsys):
    status = cli.main(["pretrain", "--regions", "1", "--seeds", "0", "--device", "nosuch",
                       "--output", str(tmp_path / "zoo")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.strip().count("\n") == 0 and "'nosuch'" in err and "Traceback" not in err
    assert not (tmp_path / "zoo").exists() or not any((tmp_path / "zoo").iterdir())


def _one_notebook(folder: Path) -> Path:
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('DEVICE = "auto"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import daenr_lite; daenr_lite.get_device(DEVICE)")]
    nbformat.write(nb, str(folder / "00_x.ipynb"))
    return folder


def test_run_notebooks_refuses_an_unknown_device_before_starting_a_kernel(tmp_path, monkeypatch, capsys):
    notebooks = _one_notebook(tmp_path / "nbs")
    import papermill

    def no_kernel(*_args, **_kwargs):  # pragma: no cover - reached only when the check is missing
        raise AssertionError("a kernel was started for an unknown device")

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    with pytest.raises(ValueError, match="'nosuch'"):
        run_notebooks(device="nosuch", notebooks_dir=notebooks, output_dir=tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()
    status = cli.main(["run-notebooks", "--notebooks", str(notebooks), "--device", "nosuch",
                       "--output", str(tmp_path / "run2")])
    err = capsys.readouterr().err
    assert status == 2 and err.strip().count("\n") == 0 and "'nosuch'" in err

"""The torch thread policy: DAENR_THREADS, OMP_NUM_THREADS, the available cores; fit, info and the runner."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from daenr_lite import cli, threads
from daenr_lite.config import MAX_AUTO_THREADS
from daenr_lite.data import NeuralDataset
from daenr_lite.models import build_model
from daenr_lite.runner import run_notebooks
from daenr_lite.training import fit


@pytest.fixture(autouse=True)
def restore_torch_threads():
    before, applied = torch.get_num_threads(), threads._applied
    yield
    torch.set_num_threads(before)
    threads._applied = applied


@pytest.mark.parametrize("cores, expected", [(1, 1), (2, 1), (3, 2), (4, 3), (5, 4), (64, MAX_AUTO_THREADS)])
def test_auto_policy_leaves_one_core_free_and_is_capped(monkeypatch, cores, expected):
    monkeypatch.setattr(threads, "available_cores", lambda: cores)
    policy = threads.thread_policy({})
    assert policy.threads == expected
    assert f"{cores} core" in policy.source and "DAENR_THREADS" in policy.source


def test_daenr_threads_wins_over_omp_num_threads_which_wins_over_cores(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    assert threads.thread_policy({"DAENR_THREADS": "3", "OMP_NUM_THREADS": "1"}).threads == 3
    assert threads.thread_policy({"OMP_NUM_THREADS": "2"}) == threads.ThreadPolicy(2, "OMP_NUM_THREADS=2")
    assert threads.thread_policy({"OMP_NUM_THREADS": "lots"}).threads == 4  # invalid: torch ignores it too
    assert str(threads.thread_policy({"DAENR_THREADS": " 1 "})) == "1 (DAENR_THREADS=1)"


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_invalid_daenr_threads_is_one_clear_error(value):
    with pytest.raises(ValueError, match=r"DAENR_THREADS must be a positive whole number.*e\.g\. DAENR_THREADS=1"):
        threads.thread_policy({"DAENR_THREADS": value})


def test_available_cores_follows_the_affinity_mask():
    import os

    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    assert threads.available_cores() == len(os.sched_getaffinity(0))


def test_apply_sets_torch_threads_but_never_overrides_the_users_choice(monkeypatch):
    monkeypatch.setenv("DAENR_THREADS", "2")
    assert threads.apply_thread_policy().threads == 2 and torch.get_num_threads() == 2
    monkeypatch.setenv("DAENR_THREADS", "1")
    assert threads.apply_thread_policy().threads == 1 and torch.get_num_threads() == 1  # follows the policy
    torch.set_num_threads(3)  # the user's own choice
    policy = threads.apply_thread_policy()
    assert policy == threads.ThreadPolicy(3, "your torch.set_num_threads") and torch.get_num_threads() == 3
    start = threads._TORCH_START_THREADS
    threads._applied = None
    torch.set_num_threads(start)
    monkeypatch.setenv("DAENR_THREADS", str(start + 1))
    assert threads.apply_thread_policy().threads == start + 1  # daenr-lite's own setting
    torch.set_num_threads(start)  # the user goes back to torch's own default: still the user's choice
    monkeypatch.setenv("DAENR_THREADS", str(start + 2))
    assert threads.apply_thread_policy().source == "your torch.set_num_threads"
    assert torch.get_num_threads() == start


def _tiny_dataset() -> NeuralDataset:
    rng = np.random.default_rng(0)
    return NeuralDataset.from_arrays(
        rng.random((40, 1, 12, 12), dtype=np.float32), rng.poisson(1.0, (40, 5)).astype(np.float32),
        rng.random((6, 1, 12, 12), dtype=np.float32), rng.poisson(1.0, (2, 6, 5)).astype(np.float32), name="tiny",
    )


def test_fit_applies_the_policy(monkeypatch):
    data = _tiny_dataset()
    torch.set_num_threads(1)
    threads._applied = 1  # as if daenr-lite had set it: not the user's choice
    monkeypatch.setenv("DAENR_THREADS", "2")
    fit(build_model("dae", data), data, max_epochs=1, progress=False, device="cpu")
    assert torch.get_num_threads() == 2


def test_info_shows_the_thread_policy(monkeypatch, capsys):
    monkeypatch.setenv("DAENR_THREADS", "3")
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "torch threads" in out and "3 (DAENR_THREADS=3)" in out
    assert "cpu cores available" in out


def test_bad_threads_option_is_rejected(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run-notebooks", "--threads", "0"])
    assert "--threads: expects a positive whole number" in capsys.readouterr().err


def _probe_notebook(folder: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('OUTPUT_DIR = "outputs"')
    params.metadata["tags"] = ["parameters"]
    probe = nbformat.v4.new_code_cell(
        "import os\n"
        "from daenr_lite import apply_thread_policy\n"
        "from daenr_lite.notebook_utils import record_metrics\n"
        "policy = apply_thread_policy()\n"
        "import torch\n"
        "record_metrics(OUTPUT_DIR, '00', env=os.environ.get('DAENR_THREADS'), torch=torch.get_num_threads())"
    )
    nb.cells = [params, probe]
    nbformat.write(nb, str(folder / "00_probe.ipynb"))


@pytest.mark.slow
def test_runner_gives_each_kernel_one_thread_and_no_tcp_warning(tmp_path, monkeypatch, capfd):
    folder = tmp_path / "nbs"
    folder.mkdir()
    _probe_notebook(folder)
    monkeypatch.delenv("DAENR_THREADS", raising=False)
    series = run_notebooks(notebooks_dir=folder, output_dir=tmp_path / "run", html=False, progress=False)
    assert series.ok, series.failure and series.failure.describe()
    assert series.notebooks[0].metrics == {"env": "1", "torch": 1}
    assert "without encryption" not in capfd.readouterr().err  # the kernel's start-up warning is silenced
    series = run_notebooks(notebooks_dir=folder, output_dir=tmp_path / "run2", html=False, progress=False, threads=2)
    assert series.notebooks[0].metrics == {"env": "2", "torch": 2}
    summary = json.loads((tmp_path / "run2" / "summary.json").read_text())
    assert summary["ok"] is True
    import os

    assert "DAENR_THREADS" not in os.environ  # the runner restored this process's environment

"""docs/benchmarks.md is built from the recorded benchmark runs (benchmarks/results/), never edited by hand."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def test_benchmarks_doc_is_generated_from_the_recordings():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "record.py"), "docs", "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = (REPO / "docs" / "benchmarks.md").read_text()
    for name in ("cnn_fr_candidates", "notebooks_pretrained", "training_step_speed", "threads"):
        assert f"## {name}" in text


def _load_benchmark(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cuda_check_rehearses_on_cpu_and_compares_with_the_shipped_zoo(tmp_path, monkeypatch):
    """The GPU check (issue 14) is one prepared script; a CPU rehearsal keeps it from rotting where no GPU is."""
    monkeypatch.setenv("DAENR_THREADS", "1")
    cuda_check = _load_benchmark("cuda_check")
    status = cuda_check.main(["--device", "cpu", "--regions", "1", "--models", "cnn_fr", "--max-epochs", "1",
                              "--no-notebooks", "--no-table2", "--output", str(tmp_path)])
    report = (tmp_path / "cuda_check.md").read_text()
    assert status == 0, report
    # the shipped CNN-FR of region 1, seed 0 evaluated again on this device: identical arithmetic, so "ok"
    inference = report.split("### 1. Inference")[1].split("### 2.")[0]
    assert "0 of 1 models over it" in inference and "| ok |" in inference
    # the one-epoch model has no shipped counterpart (its recipe differs), and says so
    assert "no shipped model of this recipe" in report.split("### 2. Training")[1]


def test_cuda_check_flags_differences_over_its_tolerance():
    cuda_check = _load_benchmark("cuda_check")
    shipped = {"m": {"test_corr": 0.60, "psnr": 20.0}}
    text, failures = cuda_check.compare_to_shipped({"m": {"test_corr": 0.62, "psnr": 20.01}}, shipped,
                                                   {"test_corr": 0.03, "psnr": 0.5}, "t")
    assert failures == 0 and "| ok |" in text
    text, failures = cuda_check.compare_to_shipped({"m": {"test_corr": 0.50, "psnr": 20.01}}, shipped,
                                                   {"test_corr": 0.03, "psnr": 0.5}, "t")
    assert failures == 1 and "FAIL" in text and "over 0.03" in text


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_check_says_in_one_line_when_the_device_is_missing(capsys):
    cuda_check = _load_benchmark("cuda_check")
    assert cuda_check.main(["--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "CUDA is not available" in err[0]

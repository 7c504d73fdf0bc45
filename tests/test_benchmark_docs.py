"""docs/benchmarks.md is built from the recorded benchmark runs (benchmarks/results/), never edited by hand."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_benchmarks_doc_is_generated_from_the_recordings():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "record.py"), "docs", "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = (REPO / "docs" / "benchmarks.md").read_text()
    for name in ("cnn_fr_candidates", "notebooks_pretrained", "training_step_speed", "threads"):
        assert f"## {name}" in text

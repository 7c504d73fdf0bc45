"""What a stored entry records of the machine that trained it, and the tolerance a retrain is held to: exact on
the same kernels, the measured cross-kernel tolerance elsewhere (issue 23, item 0)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from daenr_lite.config import TrainConfig
from daenr_lite.zoo import ModelStore, Recipe
from daenr_lite.zoo.reproducibility import (
    DEVICE_INFERENCE_TOLERANCE,
    INFERENCE_TOLERANCE,
    RETRAIN_TOLERANCE,
    SAME_KERNELS_TOLERANCE,
    TRAINING_TOLERANCE,
    inference_tolerance,
    machine_fingerprint,
    retrain_tolerance,
    same_kernels,
)

METRICS = {"ceiling": 0.75, "feve_n_neurons": 34, "n_undefined_corr": 0, "test_corr": 0.08,
           "fraction_of_ceiling": 0.1, "oracle_corr": 0.3, "single_trial_corr": 0.04, "feve": -0.05, "feve_all": -0.1}


def test_the_fingerprint_names_the_kernels_and_is_json():
    here = machine_fingerprint()
    assert set(here) == {"cpu", "machine", "cpu_capability", "onednn_isa", "torch", "device"}
    assert json.loads(json.dumps(here)) == here and here["device"] == "cpu"


def test_a_capped_kernel_family_shows_in_the_fingerprint():
    """What another CPU would select is what the caps select here: the fingerprint must tell them apart."""
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41"}
    done = subprocess.run([sys.executable, "-c", "import json; from daenr_lite.zoo.reproducibility import "
                           "machine_fingerprint as f; print(json.dumps(f()))"], env=env, capture_output=True,
                          text=True, check=True)
    capped = json.loads(done.stdout)
    assert capped["cpu_capability"] == "DEFAULT" and capped["onednn_isa"] == "SSE41"
    assert not same_kernels(capped, machine_fingerprint()) or machine_fingerprint()["cpu_capability"] == "DEFAULT"


def test_same_kernels_needs_a_recorded_machine_and_every_field_equal():
    here = machine_fingerprint()
    assert same_kernels(here) and same_kernels(dict(here))
    assert not same_kernels(None) and not same_kernels({})
    for field in here:
        assert not same_kernels({**here, field: "something else"}, here), field


@pytest.mark.parametrize("tolerance_of, measured", [(retrain_tolerance, RETRAIN_TOLERANCE),
                                                     (inference_tolerance, INFERENCE_TOLERANCE)])
def test_same_kernels_are_held_to_rounding_and_other_ones_to_the_measured_tolerance(tolerance_of, measured):
    same = tolerance_of({"metrics": METRICS, "machine": machine_fingerprint()})
    assert set(same) == set(METRICS) and all(v == SAME_KERNELS_TOLERANCE for v in same.values())
    other = tolerance_of({"metrics": METRICS, "machine": {**machine_fingerprint(), "cpu": "another CPU"}})
    unrecorded = tolerance_of({"metrics": METRICS})
    assert other == unrecorded
    for name in ("ceiling", "feve_n_neurons"):  # the data's, not the model's
        assert other[name] == SAME_KERNELS_TOLERANCE
    for name in ("test_corr", "fraction_of_ceiling", "single_trial_corr", "feve", "feve_all", "n_undefined_corr"):
        assert other[name] == max(measured[name], SAME_KERNELS_TOLERANCE) and other[name] >= SAME_KERNELS_TOLERANCE, name
    with pytest.raises(KeyError, match="no measured cross-machine tolerance for n_significant.*cross_cpu_tolerance.py"):
        tolerance_of({"metrics": {"n_significant": 20}})


def test_tolerances_are_ordered_inference_below_retrain_below_whole_training():
    assert set(INFERENCE_TOLERANCE) == set(DEVICE_INFERENCE_TOLERANCE)
    for name, value in INFERENCE_TOLERANCE.items():
        assert 0 < value <= DEVICE_INFERENCE_TOLERANCE[name], name
        if name in TRAINING_TOLERANCE:
            assert DEVICE_INFERENCE_TOLERANCE[name] <= TRAINING_TOLERANCE[name], name
    for name in ("test_corr", "fraction_of_ceiling", "single_trial_corr", "feve"):
        assert INFERENCE_TOLERANCE[name] <= RETRAIN_TOLERANCE[name], name


def test_every_stored_entry_records_its_machine(tmp_path):
    store = ModelStore(tmp_path / "cache", zoo_dirs=[], progress=False)
    recipe = Recipe("dae", train_config=TrainConfig(max_epochs=1, batch_size=128))
    store.get(recipe)
    entry = store.entry(recipe)
    assert entry["machine"] == machine_fingerprint("cpu")
    assert retrain_tolerance(entry)["psnr"] == SAME_KERNELS_TOLERANCE


def test_the_tolerances_are_the_recorded_measurement():
    """RETRAIN/INFERENCE/DEVICE_INFERENCE_TOLERANCE are what benchmarks/cross_cpu_tolerance.py printed, not numbers typed in."""
    import re
    from pathlib import Path

    from daenr_lite.zoo import reproducibility

    recording = (Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "cross_cpu_tolerance.md").read_text()
    for name in ("RETRAIN_TOLERANCE", "INFERENCE_TOLERANCE", "DEVICE_INFERENCE_TOLERANCE"):
        found = re.search(rf"^{name} = (\{{.*\}})$", recording, flags=re.M)
        assert found, f"{name} is not in the recording"
        assert json.loads(found.group(1)) == getattr(reproducibility, name), name

"""Every exercise check accepts the solution, names each typical mistake, and never raises."""
from __future__ import annotations

import numpy as np
import pytest

from daenr_lite import exercises
from daenr_lite.exercises import EXERCISES, check, solution


def test_there_are_at_least_twelve_exercises_in_every_notebook():
    assert len(EXERCISES) >= 12
    per_notebook = {}
    for ex in EXERCISES.values():
        per_notebook.setdefault(ex.notebook, []).append(ex.name)
    assert set(per_notebook) == {"00", "01", "02", "03", "04", "05"}
    for name in EXERCISES:
        assert callable(getattr(exercises, f"check_{name}"))


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_solution_passes(name, capsys):
    assert check(name, solution(name)) is True
    assert capsys.readouterr().out.startswith(f"✓ {name}: correct")


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_typical_mistake_gets_its_own_message(name, capsys):
    mistakes = EXERCISES[name].mistakes
    assert len(mistakes) >= 2, "each check must recognise at least two typical wrong implementations"
    for wrong, message in mistakes:
        assert check(name, wrong) is False
        assert capsys.readouterr().out.strip() == f"✗ {name}: {message}"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_unsolved_says_not_implemented_yet(name, capsys):
    def unsolved(*args):
        raise NotImplementedError(f"Exercise: {name}")

    assert check(name, unsolved) is False
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "continues with daenr-lite's implementation" in out


def test_generic_diagnoses_sign_factor_shape_and_errors(capsys):
    ref = solution("spearman_brown")
    assert not check("spearman_brown", lambda r, f: -ref(r, f))
    assert "wrong sign" in capsys.readouterr().out
    assert not check("spearman_brown", lambda r, f: 0.5 * ref(r, f))
    assert "constant factor: 0.5 times" in capsys.readouterr().out
    assert not check("oracle_correlation", lambda resp: solution("oracle_correlation")(resp).mean())
    assert "returns shape ()" in capsys.readouterr().out
    assert not check("linear_cka", lambda x, y: x @ y)  # a shape error inside the student's code
    assert "raised ValueError" in capsys.readouterr().out
    assert not check("paired_difference", lambda a, b: (np.mean(b) - np.mean(a), 0.0))
    assert "returns 2 value(s); expected 3" in capsys.readouterr().out


def test_a_check_leaves_the_global_random_state_alone():
    import torch

    torch.manual_seed(3)
    np.random.seed(3)
    expected = (torch.rand(2), np.random.rand(2))
    torch.manual_seed(3)
    np.random.seed(3)
    check("factorized_readout", solution("factorized_readout"), verbose=False)  # builds a torch readout inside
    assert torch.equal(torch.rand(2), expected[0]) and np.array_equal(np.random.rand(2), expected[1])

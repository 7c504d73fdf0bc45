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
def test_the_solution_takes_float32_inputs(name):
    """The notebooks continue with solution(name) on a model's float32 outputs (e.g. notebook 02's feature maps)."""
    ex = EXERCISES[name]
    args = ex.make_inputs(np.random.default_rng(0), 0)
    single = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a for a in args)
    expected, got = ex.reference(*args), solution(name)(*single)
    for e, g in zip(expected if isinstance(expected, tuple) else (expected,), got if isinstance(got, tuple) else (got,)):
        np.testing.assert_allclose(np.asarray(g, dtype=float), np.asarray(e, dtype=float), rtol=1e-3, atol=1e-5)


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
    assert "returns one number; expected an array of shape (5,)" in capsys.readouterr().out
    assert not check("linear_cka", lambda x, y: x @ y)  # a shape error inside the student's code
    assert "raised ValueError" in capsys.readouterr().out
    assert not check("paired_difference", lambda a, b: (np.mean(b) - np.mean(a), 0.0))
    assert "returned 2 values; expected a tuple of 3 values (one number, one number, True/False)" in capsys.readouterr().out


def test_a_check_leaves_the_global_random_state_alone():
    import torch

    torch.manual_seed(3)
    np.random.seed(3)
    expected = (torch.rand(2), np.random.rand(2))
    torch.manual_seed(3)
    np.random.seed(3)
    check("factorized_readout", solution("factorized_readout"), verbose=False)  # builds a torch readout inside
    assert torch.equal(torch.rand(2), expected[0]) and np.array_equal(np.random.rand(2), expected[1])


# ---------------------------------------------------------------- issue 21: checks that diagnose the mistake
def _student_paired_no_abs(a, b):
    d = np.asarray(b) - np.asarray(a)
    mean, sd = d.mean(), d.std(ddof=1)
    return mean, sd, mean > 2 * sd


def _student_poisson_swapped(pred, target):
    return np.mean(np.sum(target - pred * np.log(target + 1e-8), axis=1))


def _student_cka_row_centred(x, y):
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    return np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def _student_psnr_per_pixel_mse(recon, images):
    mse = np.mean((recon - images) ** 2, axis=0)  # one MSE per pixel
    return np.mean(10 * np.log10(1 / mse))


def _student_psnr_of_mean_mse(recon, images):
    return 10 * np.log10(1 / np.mean((recon - images) ** 2))


def _student_paired_ddof0(a, b):
    d = np.asarray(b) - np.asarray(a)
    return d.mean(), d.std(), abs(d.mean()) > 2 * d.std()


def _student_two_sided(r, n):
    from scipy import stats

    t = r * np.sqrt((n - 2) / (1 - r**2))
    return t, 2 * stats.t.sf(np.abs(t), n - 2)


def _student_abs_t(r, n):
    from scipy import stats

    t = r * np.sqrt((n - 2) / (1 - r**2))
    return t, stats.t.sf(abs(t), n - 2)


def _student_sd_of_values(a, b):
    mean = np.mean(b) - np.mean(a)
    sd = np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
    return mean, sd, abs(mean) > 2 * sd


def _student_torch_poisson_default(pred, target):
    import torch

    return torch.nn.PoissonNLLLoss()(torch.as_tensor(pred), torch.as_tensor(target))


ISSUE_WRONG_ANSWERS = [  # (exercise, a student's wrong function, the start of the message it must get)
    ("paired_difference", _student_paired_no_abs, "the effect test misses negative differences"),
    ("poisson_loss", _student_poisson_swapped, "the arguments are swapped"),
    ("linear_cka", _student_cka_row_centred, "centres each stimulus (row) over the units"),
    ("psnr_per_image", _student_psnr_per_pixel_mse, "the squared error is averaged over images (an MSE per pixel)"),
    ("psnr_per_image", _student_psnr_of_mean_mse, "this is the PSNR of the mean MSE"),
    ("paired_difference", _student_paired_ddof0, "the sd uses ddof=0"),
    ("paired_difference", _student_sd_of_values, "the sd is of the values, not of the paired differences"),
    ("significance_test", _student_two_sided, "this p-value is two-sided"),
    ("significance_test", _student_abs_t, "the p-value uses |t|"),
    ("poisson_loss", _student_torch_poisson_default, "treats pred as a log-rate"),
]


@pytest.mark.parametrize("name, wrong, message", ISSUE_WRONG_ANSWERS,
                         ids=[f"{n}-{f.__name__}" for n, f, _ in ISSUE_WRONG_ANSWERS])
def test_the_wrong_answers_of_issue_21_get_their_diagnosis(name, wrong, message, capsys):
    assert check(name, wrong) is False
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"✗ {name}: {message}"), out
    assert "constant factor" not in out and "\n" not in out


def test_a_scalar_factor_is_only_claimed_when_it_holds_on_every_input(capsys):
    ref = solution("poisson_loss")
    assert not check("poisson_loss", lambda p, t: 2 * ref(p, t))
    assert "constant factor: 2 times the expected values on every test input" in capsys.readouterr().out
    assert not check("poisson_loss", lambda p, t: ref(p, t) ** 2)  # a wrong number, no common factor
    out = capsys.readouterr().out
    assert "constant" not in out and " where " in out and "was expected" in out


def test_the_paired_cases_have_both_signs_and_mixed():
    ex = EXERCISES["paired_difference"]
    rng = np.random.default_rng(0)
    diffs = [np.subtract(*ex.make_inputs(rng, k)[::-1]) for k in range(ex.n_inputs)]
    assert any((d > 0).all() for d in diffs) and any((d < 0).all() for d in diffs)
    assert any((d > 0).any() and (d < 0).any() for d in diffs)
    effects = [solution("paired_difference")(*ex.make_inputs(np.random.default_rng(k), k))[2] for k in range(4)]
    assert effects == [True, True, False, False]  # a positive and a negative effect, two without
    r, _ = EXERCISES["significance_test"].make_inputs(rng, 0)
    assert (r < 0).any() and (r > 0).any()


def _paired_alternative(a, b):
    import statistics

    d = [y - x for x, y in zip(a, b)]
    mean, sd = statistics.mean(d), statistics.stdev(d)
    return [mean, sd, not -2 * sd <= mean <= 2 * sd]  # a list is as good as a tuple


def _poisson_torch(pred, target):
    import torch

    p, t = torch.as_tensor(pred), torch.as_tensor(target)
    return torch.nn.PoissonNLLLoss(log_input=False, reduction="sum", eps=1e-8)(p, t) / p.shape[0]


def _cka_gram(x, y):
    n = len(x)
    h = np.eye(n) - 1 / n
    k, l_ = h @ x @ x.T @ h, h @ y @ y.T @ h
    return float(np.sum(k * l_) / np.sqrt(np.sum(k * k) * np.sum(l_ * l_)))


def _psnr_loop(recon, images):
    values = []
    for r, i in zip(recon, images):
        values.append(10 * np.log10(1 / ((r - i) ** 2).mean()))
    return sum(values) / len(values)


def _significance_scipy(r, n):
    from scipy import stats

    t = r * np.sqrt(n - 2) / np.sqrt(1 - r**2)
    return t, 1 - stats.t.cdf(t, n - 2)


@pytest.mark.parametrize("name, fn", [("paired_difference", _paired_alternative), ("poisson_loss", _poisson_torch),
                                      ("linear_cka", _cka_gram), ("psnr_per_image", _psnr_loop),
                                      ("significance_test", _significance_scipy)])
def test_correct_alternative_implementations_still_pass(name, fn, capsys):
    assert check(name, fn) is True, capsys.readouterr().out


class _Weird:
    pass


def _ragged(*args):
    return [[1.0, 2.0], [3.0]]


BAD_RETURNS = {"a dict": lambda *a: {"value": 1.0}, "an object": lambda *a: object(), "a ragged list": _ragged,
               "a string": lambda *a: "0.5", "a generator": lambda *a: (x for x in range(3)),
               "a custom object": lambda *a: _Weird(), "a 4-tuple": lambda *a: (1.0, 2.0, 3.0, 4.0)}


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_any_return_value_gets_one_line_and_never_an_exception(name, capsys):
    assert check(name, lambda *args: None) is False
    assert capsys.readouterr().out.strip().startswith(f"✗ {name} returned None: is a `return` missing?")
    for what, bad in BAD_RETURNS.items():
        assert check(name, bad) is False, what
        out = capsys.readouterr().out
        assert out.count("\n") == 1 and out.startswith(f"✗ {name}"), (what, out)
    expected = solution(name)(*EXERCISES[name].make_inputs(np.random.default_rng(0), 0))
    if isinstance(expected, tuple):  # one value of the tuple missing
        assert check(name, lambda *args: (None,) + tuple(solution(name)(*args))[1:]) is False
        assert "returned None as value 1 of" in capsys.readouterr().out


def test_a_multi_line_error_is_reported_in_one_line(capsys):
    def broken(*args):
        raise RuntimeError("first line\nsecond line")

    assert check("linear_cka", broken) is False
    assert capsys.readouterr().out == "✗ linear_cka raised RuntimeError: first line second line\n"

    def leaves(*args):
        raise SystemExit(3)  # exit() in a student's function must not end the check (or the kernel)

    assert check("linear_cka", leaves) is False
    assert capsys.readouterr().out == "✗ linear_cka raised SystemExit: 3\n"


def test_an_endless_loop_is_stopped_on_the_main_thread(capsys):
    def endless(*args):
        while True:
            try:
                pass
            except Exception:  # a student's catch-all must not swallow the time limit
                pass

    assert check("spearman_brown", endless, time_limit=0.2) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ spearman_brown did not finish within 0.2 s") and "endless loop" in out
    assert "still be running" not in out  # interrupted, not left behind
    assert check("spearman_brown", solution("spearman_brown")) is True  # the alarm is gone afterwards


def test_an_endless_loop_off_the_main_thread_stops_the_wait(capsys):
    import threading

    stop = threading.Event()

    def endless(*args):
        while not stop.is_set():  # stopped by the test afterwards, so no thread spins on
            stop.wait(0.01)

    result = []
    checker = threading.Thread(target=lambda: result.append(check("spearman_brown", endless, time_limit=0.2)))
    checker.start()
    checker.join(30)
    stop.set()
    assert result == [False]
    out = capsys.readouterr().out
    assert "did not finish within 0.2 s" in out and "may still be running" in out

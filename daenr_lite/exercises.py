"""Coding exercises of the notebook series, with instant feedback.

Each exercise is a small function the student writes in a notebook; ``check_<name>(student_function)`` runs it
on several seeded inputs (cases of both signs, and mixed, wherever the sign matters), compares it with
daenr-lite's own implementation and says in one line what is wrong: a known mistake, named by computing the
likely wrong variants (arguments swapped, centred along the wrong axis, the PSNR of the mean MSE, ``ddof=0``,
a two-sided p-value, ...) and comparing; otherwise a wrong shape, a flipped sign, a factor or offset that is
the same on every test input, or the value it returned against the expected one. It never raises and never
hangs: ``None`` gets "is a `return` missing?", a value of the wrong type (a dict, a ragged list) is named, and
each check has a time limit (``time_limit`` seconds for all calls of the student's function; an endless loop
is stopped on the main thread of Unix, elsewhere the check stops waiting). An unsolved exercise
(``raise NotImplementedError``) prints "not implemented yet" and the notebook goes on with the library's
implementation. Every check returns ``True`` when the function is right.

=====================  ==========  ======================================================================
exercise               notebook    the library's implementation
=====================  ==========  ======================================================================
oracle_correlation     00          :func:`daenr_lite.metrics.oracle_corr`
spearman_brown         00          :func:`daenr_lite.similarity._arrays.spearman_brown`
psnr_per_image         01          :func:`daenr_lite.metrics.psnr`
compression_ratio      01          :func:`daenr_lite.models.compression_ratio`
poisson_loss           02          :func:`daenr_lite.losses.poisson_loss`
factorized_readout     02          :class:`daenr_lite.models.FactorizedReadout`
joint_objective        03          :func:`daenr_lite.losses.joint_loss`
readout_l1_penalty     03          :meth:`daenr_lite.models.FactorizedReadout.regularizer`
significance_test      04          :func:`daenr_lite.similarity.neuron_significance`
linear_cka             04          :func:`daenr_lite.similarity.linear_cka`
benjamini_hochberg     04          :func:`daenr_lite.similarity.significance.benjamini_hochberg`
paired_difference      05          :func:`daenr_lite.stats.paired_comparison`
=====================  ==========  ======================================================================
"""
from __future__ import annotations

import copy
import signal
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Exercise", "EXERCISES", "DEFAULT_TIME_LIMIT", "check", "solution"]

Mistake = tuple[Callable[..., Any], str]

#: seconds that one check gives the student's function, over all its test inputs (they are tiny: a correct
#: solution takes milliseconds)
DEFAULT_TIME_LIMIT = 10.0


@dataclass(frozen=True)
class Exercise:
    """One exercise: what to write, how to make test inputs, the reference answer and the typical mistakes.

    ``make_inputs(rng, k)`` returns the arguments of test input ``k`` (``k = 0 .. n_inputs - 1``), so that the
    cases can be chosen to cover both signs; ``mistakes`` are ``(wrong_function, message)`` pairs, tried in
    order on the first input where the student's answer differs from ``reference``.
    """

    name: str
    notebook: str
    task: str
    make_inputs: Callable[[np.random.Generator, int], tuple]
    reference: Callable[..., Any]
    mistakes: Sequence[Mistake] = field(default_factory=tuple)
    rtol: float = 1e-5
    atol: float = 1e-8
    n_inputs: int = 3


# ------------------------------------------------------------------------------------------ helpers
class _TimeUp(BaseException):
    """Raised inside the student's function when the check's time is up (a BaseException, so that a student's
    ``except Exception`` cannot swallow it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise _TimeUp


def _can_use_alarm() -> bool:
    """SIGALRM can interrupt the call: Unix, main thread, and no one else's alarm handler or timer is set."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    try:
        return signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None) \
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    except (ValueError, OSError):
        return False


def _call(fn: Callable[..., Any], args: tuple, seconds: float) -> tuple[str, Any]:
    """Call ``fn(*args)`` for at most ``seconds``: ``("ok", value)``, ``("raised", exception)``,
    ``("timeout", None)`` (interrupted) or ``("timeout-running", None)`` (a thread that may still be running)."""
    if seconds <= 0:
        return "timeout", None
    if _can_use_alarm():
        previous = signal.signal(signal.SIGALRM, _alarm)
        try:
            try:
                signal.setitimer(signal.ITIMER_REAL, seconds)
                return "ok", fn(*args)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        except _TimeUp:
            return "timeout", None
        except (Exception, SystemExit) as exc:  # a student's bug (or exit()): report it, never stop the notebook
            return "raised", exc
    outcome: list[tuple[str, Any]] = []

    def run() -> None:
        try:
            outcome.append(("ok", fn(*args)))
        except BaseException as exc:  # noqa: BLE001 - reported to the student, not re-raised
            outcome.append(("raised", exc))

    worker = threading.Thread(target=run, name="daenr-lite exercise check", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive() or not outcome:
        return "timeout-running", None
    return outcome[0]


def _one_line(text: str, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _kind(value: Any) -> str:
    """How to describe an expected answer: 'one number', 'True/False', 'an array of shape (5,)', a tuple of them."""
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} values ({', '.join(_kind(v) for v in value)})"
    if _is_bool(value):
        return "True/False"
    shape = np.shape(value)
    return "one number" if shape == () else f"an array of shape {shape}"


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _to_array(value: Any) -> np.ndarray | str:
    """``value`` as a float array, or a description of why it is not one (e.g. 'a dict')."""
    if value is None:
        return "None"
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, (dict, set, frozenset, str, bytes)):
        return _a(type(value).__name__)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        if isinstance(value, (list, tuple)):
            return (f"{_a(type(value).__name__)} that is not a rectangular array of numbers (items of different "
                    "lengths, or not numbers)")
        return f"a value of type {type(value).__name__}, not numbers"
    return arr


def _answer(got: Any, expected: Any) -> list[np.ndarray] | str:
    """The student's answer as one float array per expected value, or a one-line description of its problem."""
    if got is None:
        return "returned None: is a `return` missing?"
    if isinstance(expected, tuple):
        if isinstance(got, list) and len(got) == len(expected):
            got = tuple(got)  # [mean, sd, effect] is as good as (mean, sd, effect)
        if not isinstance(got, tuple):
            what = _to_array(got)
            shown = what if isinstance(what, str) else _kind(got if _is_bool(got) else what)
            return f"returned {shown}; expected {_kind(expected)}."
        if len(got) != len(expected):
            return f"returned {len(got)} values; expected {_kind(expected)}."
        items, refs = got, expected
    else:
        if isinstance(got, tuple):
            return f"returned a tuple of {len(got)} values; expected {_kind(expected)}."
        items, refs = (got,), (expected,)
    arrays = []
    for k, (item, ref) in enumerate(zip(items, refs)):
        which = "" if len(refs) == 1 else f" as value {k + 1} of {len(refs)}"
        if item is None:
            return f"returned None{which}: is that value computed and put in the `return`?"
        arr = _to_array(item)
        if isinstance(arr, str):
            return f"returned {arr}{which}; expected {_kind(ref)}."
        arrays.append(arr)
    return arrays


def _as_arrays(value: Any) -> list[np.ndarray]:
    """A reference (or mistake-model) answer as a list of float arrays."""
    values = value if isinstance(value, tuple) else (value,)
    out = []
    for v in values:
        arr = _to_array(v)
        if isinstance(arr, str):
            raise TypeError(f"not an array: {arr}")
        out.append(arr)
    return out


def _close(xs: list[np.ndarray], ys: list[np.ndarray], rtol: float, atol: float) -> bool:
    return len(xs) == len(ys) and all(x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
                                      for x, y in zip(xs, ys))


def _show(value: float, boolean: bool) -> str:
    return str(bool(value)) if boolean else f"{value:.6g}"


def _generic_hint(outs: list[np.ndarray], refs: list[np.ndarray], expected: Any, rtol: float, atol: float,
                  other_cases: Callable[[], list[tuple[list[np.ndarray], list[np.ndarray]]]] | None = None) -> str:
    """What differs between the student's ``outs`` and the expected ``refs`` (one test input).

    A factor or offset is only reported when it is the same everywhere: over the elements of an array of at
    least 3 values, or, for single numbers, over every test input (``other_cases()`` gives the student's and
    the expected answers on all of them); otherwise a single number is shown against the expected one.
    """
    originals = expected if isinstance(expected, tuple) else (expected,)
    for k, (o, r) in enumerate(zip(outs, refs)):
        which = "" if len(refs) == 1 else f" (value {k + 1} of {len(refs)})"
        if o.shape != r.shape:
            if o.ndim == 0:
                return f"returns one number{which}; expected an array of shape {r.shape}."
            if r.ndim == 0:
                return f"returns shape {o.shape}{which}; expected one number (e.g. float(...) or .item())."
            return f"returns shape {o.shape}{which}; expected {r.shape}."
        if np.allclose(o, r, rtol=rtol, atol=atol, equal_nan=True):
            continue
        if np.isnan(o).any() and not np.isnan(r).any():
            return f"returns NaN where the expected values are finite{which}."
        boolean = _is_bool(originals[k]) if k < len(originals) else False
        if boolean:
            return f"returns {_show(float(o), True)} where {_show(float(r), True)} was expected{which}."
        if np.allclose(o, -r, rtol=rtol, atol=atol) and np.any(np.abs(r) > atol):
            return f"has the wrong sign{which}: it returns minus the expected values."
        os_, rs_ = o.ravel(), r.ravel()
        if o.size < 3 and other_cases is not None:
            try:
                pairs = [(g[k].ravel(), e[k].ravel()) for g, e in other_cases()
                         if len(g) > k and g[k].shape == e[k].shape]
            except Exception:  # noqa: BLE001 - the cross-input view is only a refinement of the hint
                pairs = []
            if len(pairs) >= 2:
                os_ = np.concatenate([p[0] for p in pairs])
                rs_ = np.concatenate([p[1] for p in pairs])
        finite = np.isfinite(os_) & np.isfinite(rs_) & (np.abs(rs_) > 1e-12)
        if finite.sum() >= 3:
            ratio = os_[finite] / rs_[finite]
            if np.allclose(ratio, ratio[0], rtol=1e-4) and not np.isclose(ratio[0], 1.0):
                where = "on every test input" if os_.size > o.size else "everywhere"
                return f"is off by a constant factor{which}: {ratio[0]:.4g} times the expected values {where}."
            offset = os_[finite] - rs_[finite]
            if np.allclose(offset, offset[0], rtol=1e-4, atol=1e-9):
                where = "on every test input" if os_.size > o.size else "everywhere"
                return f"is off by a constant{which}: {offset[0]:+.4g} from the expected values {where}."
        if o.size == 1:
            return f"returns {_show(float(o.ravel()[0]), False)} where {_show(float(r.ravel()[0]), False)} was expected{which}."
        worst = float(np.nanmax(np.abs(o - r))) if np.isfinite(o - r).any() else float("nan")
        return f"differs from the expected values{which} (largest difference {worst:.3g})."
    return "differs from the expected values."


def check(exercise: Exercise | str, fn: Callable[..., Any], seed: int = 0, verbose: bool = True,
          time_limit: float = DEFAULT_TIME_LIMIT) -> bool:
    """Run ``fn`` on ``exercise``'s test inputs; print in one line what is right or wrong; return whether it is right.

    Never raises (whatever ``fn`` returns or raises) and never waits longer than ``time_limit`` seconds for
    ``fn`` (all test inputs together). The global random states of numpy and torch are left as they were, so
    a check cell never changes what the notebook's later (seeded) cells compute.
    """
    import torch

    ex = EXERCISES[exercise] if isinstance(exercise, str) else exercise
    say = print if verbose else (lambda *_a, **_k: None)
    numpy_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        try:
            return _check(ex, fn, seed, say, float(time_limit))
        except Exception as exc:  # noqa: BLE001 - a check must never stop the notebook
            say(f"✗ {ex.name}: the check could not judge this answer ({type(exc).__name__}: {_one_line(exc)}).")
            return False
        finally:
            np.random.set_state(numpy_state)


def _check(ex: Exercise, fn: Callable[..., Any], seed: int, say: Callable[..., None], time_limit: float) -> bool:
    import time

    rng = np.random.default_rng(seed)
    cases = [ex.make_inputs(rng, k) for k in range(ex.n_inputs)]
    deadline = time.monotonic() + time_limit
    answers: dict[int, Any] = {}

    def student(k: int) -> tuple[str, Any]:
        if k not in answers:
            answers[k] = _call(fn, copy.deepcopy(cases[k]), deadline - time.monotonic())
        return answers[k]

    def all_cases() -> list[tuple[list[np.ndarray], list[np.ndarray]]]:
        pairs = []
        for j in range(ex.n_inputs):
            status, value = student(j)
            got = _answer(value, ex.reference(*copy.deepcopy(cases[j]))) if status == "ok" else "failed"
            if isinstance(got, str):
                continue
            pairs.append((got, _as_arrays(ex.reference(*copy.deepcopy(cases[j])))))
        return pairs

    for k, args in enumerate(cases):
        expected = ex.reference(*copy.deepcopy(args))
        status, value = student(k)
        if status.startswith("timeout"):
            still = (" It may still be running in the background: interrupt or restart the kernel."
                     if status == "timeout-running" else "")
            say(f"✗ {ex.name} did not finish within {time_limit:g} s on small test inputs (test input {k + 1} of "
                f"{ex.n_inputs}): an endless loop, e.g. a `while` whose condition never changes?{still}")
            return False
        if status == "raised":
            if isinstance(value, NotImplementedError):
                say(f"⏳ {ex.name}: not implemented yet. Write it (the task: {ex.task}); until then the notebook "
                    "continues with daenr-lite's implementation.")
            else:
                say(f"✗ {ex.name} raised {type(value).__name__}: {_one_line(value)}")
            return False
        got = _answer(value, expected)
        if isinstance(got, str):
            say(f"✗ {ex.name} {got} (test input {k + 1} of {ex.n_inputs})")
            return False
        refs = _as_arrays(expected)
        if _close(got, refs, ex.rtol, ex.atol):
            continue
        for mistake, message in ex.mistakes:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    wrong = _as_arrays(mistake(*copy.deepcopy(args)))
            except Exception:  # noqa: BLE001 - a mistake model that does not apply to these inputs
                continue
            if _close(got, wrong, ex.rtol, ex.atol):
                say(f"✗ {ex.name}: {message}")
                return False
        hint = _generic_hint(got, refs, expected, ex.rtol, ex.atol, all_cases)
        say(f"✗ {ex.name} {hint} (test input {k + 1} of {ex.n_inputs})")
        return False
    say(f"✓ {ex.name}: correct on {ex.n_inputs} test inputs.")
    return True


def solution(name: str) -> Callable[..., Any]:
    """daenr-lite's implementation of exercise ``name`` (what the notebooks use while it is unsolved)."""
    return EXERCISES[name].reference


# ------------------------------------------------------------------------------------------ 00
def _responses(rng: np.random.Generator, repeats: int = 6, images: int = 30, neurons: int = 5) -> np.ndarray:
    signal = rng.gamma(2.0, 1.0, size=(images, neurons))
    return signal[None] + rng.normal(0.0, 1.0, size=(repeats, images, neurons)) * rng.uniform(0.3, 2.0, size=neurons)


def _oracle_reference(responses: np.ndarray) -> np.ndarray:
    from .metrics import oracle_corr

    return oracle_corr(responses)


def _pearson_cols(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a - a.mean(0), b - b.mean(0)
    return (a * b).sum(0) / np.sqrt((a**2).sum(0) * (b**2).sum(0))


def _oracle_with_self(responses: np.ndarray) -> np.ndarray:
    mean = responses.mean(0)
    return np.mean([_pearson_cols(trial, mean) for trial in responses], axis=0)


def _oracle_first_trial(responses: np.ndarray) -> np.ndarray:
    return _pearson_cols(responses[0], responses[1:].mean(0))


def _oracle_over_neurons(responses: np.ndarray) -> np.ndarray:
    """Correlates over neurons (per image) instead of over images (per neuron): one value per image."""
    n = len(responses)
    return np.mean([_pearson_cols(responses[k].T, np.delete(responses, k, 0).mean(0).T) for k in range(n)], axis=0)


def _spearman_brown_reference(r: np.ndarray, factor: float) -> np.ndarray:
    return factor * r / (1.0 + (factor - 1.0) * r)


def _sb_inputs(rng: np.random.Generator, k: int) -> tuple[np.ndarray, float]:
    return rng.uniform(-0.2, 0.9, size=5), (2.0, 3.0, 0.5)[k % 3]


# ------------------------------------------------------------------------------------------ 01
def _image_pair(rng: np.random.Generator, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    images = rng.uniform(0, 1, size=(6, 1, 9, 9))
    noise = rng.normal(0, 1, size=images.shape) * rng.uniform(0.02, 0.3, size=(6, 1, 1, 1))
    return np.clip(images + noise, 0, 1), images


def _psnr_reference(reconstructions: np.ndarray, images: np.ndarray) -> float:
    from .metrics import psnr

    return psnr(reconstructions, images)


def _per_image_mse(reconstructions: np.ndarray, images: np.ndarray) -> np.ndarray:
    return np.mean((reconstructions - images) ** 2, axis=(1, 2, 3))


def _psnr_of_mean_mse(reconstructions: np.ndarray, images: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((reconstructions - images) ** 2)))


def _psnr_per_pixel_mse(reconstructions: np.ndarray, images: np.ndarray) -> float:
    """The MSE averaged over images (one per pixel), a PSNR per pixel, then the mean."""
    return float(np.mean(10 * np.log10(1.0 / np.mean((reconstructions - images) ** 2, axis=0))))


def _psnr_20log(reconstructions: np.ndarray, images: np.ndarray) -> float:
    return float(np.mean(20 * np.log10(1.0 / _per_image_mse(reconstructions, images))))


def _psnr_peak_255(reconstructions: np.ndarray, images: np.ndarray) -> float:
    return float(np.mean(10 * np.log10(255.0**2 / _per_image_mse(reconstructions, images))))


def _psnr_rmse(reconstructions: np.ndarray, images: np.ndarray) -> float:
    return float(np.mean(10 * np.log10(1.0 / np.sqrt(_per_image_mse(reconstructions, images)))))


def _psnr_natural_log(reconstructions: np.ndarray, images: np.ndarray) -> float:
    return float(np.mean(10 * np.log(1.0 / _per_image_mse(reconstructions, images))))


def _psnr_abs_error(reconstructions: np.ndarray, images: np.ndarray) -> float:
    return float(np.mean(10 * np.log10(1.0 / np.mean(np.abs(reconstructions - images), axis=(1, 2, 3)))))


def _shapes(rng: np.random.Generator, k: int = 0) -> tuple[tuple[int, int], tuple[int, int, int]]:
    side = int(rng.integers(16, 64))
    return (side, side + int(rng.integers(0, 5))), (int(rng.integers(2, 16)), int(rng.integers(2, 6)), int(rng.integers(2, 6)))


def _compression_reference(image_shape: Sequence[int], code_shape: Sequence[int]) -> float:
    return float(np.prod(image_shape) / np.prod(code_shape))


# ------------------------------------------------------------------------------------------ 02
def _rates(rng: np.random.Generator, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    pred = rng.gamma(2.0, 0.5, size=(8, 5)) + 0.05
    target = rng.poisson(pred).astype(float)
    return pred, target


def _poisson_reference(pred: np.ndarray, target: np.ndarray) -> float:
    import torch

    from .losses import poisson_loss

    return float(poisson_loss(torch.as_tensor(pred), torch.as_tensor(target)))


def _poisson_swapped(pred: np.ndarray, target: np.ndarray) -> float:
    return _poisson_reference(target, pred)


def _poisson_mean_over_neurons(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.mean(pred - target * np.log(pred + 1e-8)))


def _poisson_sum_over_images(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.sum(pred - target * np.log(pred + 1e-8)))


def _poisson_log_input(pred: np.ndarray, target: np.ndarray) -> float:
    """torch.nn.PoissonNLLLoss() with its defaults: pred taken as a log-rate, mean over everything."""
    return float(np.mean(np.exp(pred) - target * pred))


def _poisson_log_input_summed(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.mean(np.sum(np.exp(pred) - target * pred, axis=1)))


def _poisson_full(pred: np.ndarray, target: np.ndarray) -> float:
    from scipy.special import gammaln

    return float(np.mean(np.sum(pred - target * np.log(pred + 1e-8) + gammaln(target + 1), axis=1)))


def _poisson_squared(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.mean(np.sum((pred - target) ** 2, axis=1)))


def _readout_inputs(rng: np.random.Generator, k: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    b, c, h, w, n = 4, 3, 5, 6, 7
    return (rng.normal(size=(b, c, h, w)), np.abs(rng.normal(size=(n, h, w))) / (h * w),
            np.abs(rng.normal(size=(n, c))), rng.normal(size=n) * 0.3)


def _elu1(u: np.ndarray) -> np.ndarray:
    return np.where(u > 0, u, np.expm1(np.minimum(u, 0))) + 1.0


def _readout_reference(features: np.ndarray, mask: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    import torch

    from .config import ModelConfig
    from .models import FactorizedReadout

    c, h, w = features.shape[1:]
    readout = FactorizedReadout((c, h, w), mask.shape[0], positive=False, config=ModelConfig()).double()
    with torch.no_grad():  # float64 whatever the inputs' dtype (a model's float32 feature maps, as notebook 02's)
        readout.raw_mask.copy_(torch.as_tensor(mask, dtype=torch.float64))
        readout.raw_features.copy_(torch.as_tensor(weights, dtype=torch.float64))
        readout.bias.copy_(torch.as_tensor(bias, dtype=torch.float64))
        return readout(torch.as_tensor(features, dtype=torch.float64)).numpy()


def _readout_drive(features, mask, weights):
    return np.einsum("bchw,nhw,nc->bn", features, mask, weights)


def _readout_no_bias(features, mask, weights, bias):
    return _elu1(_readout_drive(features, mask, weights))


def _readout_no_nonlinearity(features, mask, weights, bias):
    return _readout_drive(features, mask, weights) + bias


def _readout_no_plus_one(features, mask, weights, bias):
    return _elu1(_readout_drive(features, mask, weights) + bias) - 1.0


def _readout_relu(features, mask, weights, bias):
    return np.maximum(_readout_drive(features, mask, weights) + bias, 0.0)


# ------------------------------------------------------------------------------------------ 03
def _joint_inputs(rng: np.random.Generator, k: int = 0):
    recon, image = _image_pair(rng)
    pred, target = _rates(rng)
    return recon, image, pred, target, float(rng.choice([1e-3, 1e-2, 0.1])), float(rng.uniform(0.5, 3.0))


def _joint_reference(recon, image, pred, target, lam, penalty) -> float:
    import torch

    from .losses import joint_loss

    total, _ = joint_loss(torch.as_tensor(recon), torch.as_tensor(image), torch.as_tensor(pred),
                          torch.as_tensor(target), lam, penalty=penalty)
    return float(total)


def _joint_lam_on_mse(recon, image, pred, target, lam, penalty) -> float:
    return lam * float(np.mean((recon - image) ** 2)) + _poisson_reference(pred, target) + penalty


def _joint_no_penalty(recon, image, pred, target, lam, penalty) -> float:
    return float(np.mean((recon - image) ** 2)) + lam * _poisson_reference(pred, target)


def _joint_penalty_unweighted(recon, image, pred, target, lam, penalty) -> float:
    return float(np.mean((recon - image) ** 2)) + lam * _poisson_reference(pred, target) + penalty


def _joint_poisson_swapped(recon, image, pred, target, lam, penalty) -> float:
    return float(np.mean((recon - image) ** 2)) + lam * (_poisson_reference(target, pred) + penalty)


def _joint_summed_mse(recon, image, pred, target, lam, penalty) -> float:
    return float(np.sum((recon - image) ** 2)) + lam * (_poisson_reference(pred, target) + penalty)


def _l1_inputs(rng: np.random.Generator, k: int = 0):
    return np.abs(rng.normal(size=(6, 4, 5))), np.abs(rng.normal(size=(6, 3))), float(rng.uniform(0.01, 0.1))


def _l1_reference(mask: np.ndarray, weights: np.ndarray, gamma: float) -> float:
    return float(gamma * np.sum(np.abs(mask).reshape(len(mask), -1).sum(1) * np.abs(weights).sum(1)))


def _l1_additive(mask, weights, gamma) -> float:
    return float(gamma * (np.abs(mask).sum() + np.abs(weights).sum()))


def _l1_squared(mask, weights, gamma) -> float:
    return float(gamma * np.sum((mask.reshape(len(mask), -1) ** 2).sum(1) * (weights**2).sum(1)))


def _l1_no_gamma(mask, weights, gamma) -> float:
    return _l1_reference(mask, weights, 1.0)


def _l1_product_of_totals(mask, weights, gamma) -> float:
    return float(gamma * np.abs(mask).sum() * np.abs(weights).sum())


# ------------------------------------------------------------------------------------------ 04
def _r_inputs(rng: np.random.Generator, k: int = 0):
    """Correlations of both signs (always some negative and some positive), n_images 20..80."""
    r = rng.uniform(-0.5, 0.8, size=10)
    r[:2] = -np.abs(r[:2]) - 0.05
    r[2:4] = np.abs(r[2:4]) + 0.05
    return r, int(rng.integers(20, 80))


def _t_test(r: np.ndarray, dof: int, two_sided: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """t = r sqrt(dof / (1 - r^2)) and its p-value with ``dof`` degrees of freedom."""
    from scipy import stats

    t = r * np.sqrt(dof / (1 - r**2))
    return t, (2 * stats.t.sf(np.abs(t), df=dof) if two_sided else stats.t.sf(t, df=dof))


def _significance_reference(r: np.ndarray, n_images: int) -> tuple[np.ndarray, np.ndarray]:
    return _t_test(r, n_images - 2)


def _significance_two_sided(r, n_images):
    return _t_test(r, n_images - 2, two_sided=True)


def _significance_abs_t(r, n_images):
    from scipy import stats

    t, _ = _t_test(r, n_images - 2)
    return t, stats.t.sf(np.abs(t), df=n_images - 2)


def _significance_lower_tail(r, n_images):
    from scipy import stats

    t, _ = _t_test(r, n_images - 2)
    return t, stats.t.cdf(t, df=n_images - 2)


def _significance_wrong_dof(r, n_images):
    return _t_test(r, n_images - 1)


def _significance_dof_n(r, n_images):
    return _t_test(r, n_images)


def _significance_no_denominator(r, n_images):
    from scipy import stats

    t = r * np.sqrt(n_images - 2)
    return t, stats.t.sf(t, df=n_images - 2)


def _cka_inputs(rng: np.random.Generator, k: int = 0):
    x = rng.normal(size=(20, 6)) + rng.normal(size=6) * 3
    return x, x @ rng.normal(size=(6, 4)) + rng.normal(size=(20, 4)) + 5.0


def _cka_reference(x: np.ndarray, y: np.ndarray) -> float:
    from .similarity import linear_cka

    return float(linear_cka(x, y))


def _cka_formula(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))


def _cka_uncentred(x, y) -> float:
    return _cka_formula(x, y)


def _cka_row_centred(x, y) -> float:
    return _cka_formula(x - x.mean(1, keepdims=True), y - y.mean(1, keepdims=True))


def _cka_x_only_centred(x, y) -> float:
    return _cka_formula(x - x.mean(0), y)


def _cka_y_only_centred(x, y) -> float:
    return _cka_formula(x, y - y.mean(0))


def _cka_standardised(x, y) -> float:
    return _cka_formula((x - x.mean(0)) / x.std(0), (y - y.mean(0)) / y.std(0))


def _cka_frobenius_denominator(x, y) -> float:
    x, y = x - x.mean(0), y - y.mean(0)
    return float(np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x) ** 2 * np.linalg.norm(y) ** 2))


def _cka_unsquared(x, y) -> float:
    x, y = x - x.mean(0), y - y.mean(0)
    return float(np.linalg.norm(y.T @ x) / np.sqrt(np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))


def _p_inputs(rng: np.random.Generator, k: int = 0):
    return (np.concatenate([rng.uniform(0, 0.02, size=4), rng.uniform(0, 1, size=12)]),)


def _bh_reference(p: np.ndarray) -> np.ndarray:
    from .similarity.significance import benjamini_hochberg

    return benjamini_hochberg(p)


def _bonferroni(p: np.ndarray) -> np.ndarray:
    return np.minimum(p * p.size, 1.0)


def _bh_not_monotone(p: np.ndarray) -> np.ndarray:
    ranks = np.argsort(np.argsort(p)) + 1
    return np.minimum(p * p.size / ranks, 1.0)


def _bh_sorted_order(p: np.ndarray) -> np.ndarray:
    return np.sort(_bh_reference(p))


def _bh_cummin_upwards(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    scaled = p[order] * p.size / np.arange(1, p.size + 1)
    out = np.empty_like(p)
    out[order] = np.minimum(np.minimum.accumulate(scaled), 1.0)
    return out


def _bh_ranks_from_zero(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    with np.errstate(divide="ignore"):
        scaled = p[order] * p.size / np.arange(0, p.size)
    out = np.empty_like(p)
    out[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return out


# ------------------------------------------------------------------------------------------ 05
#: (mean, sd) of the paired differences b - a of each test input: a clear positive effect, a clear negative
#: one (about -1 dB, like DAE-NR_4 in notebook 05), differences of both signs, and a negative difference
#: between 2 standard errors and 2 sd (no effect by the rule; an effect if compared with the standard error)
_PAIRED_CASES = ((0.5, 0.1), (-0.9, 0.2), (0.05, 0.3), (-0.15, 0.1))


def _seed_inputs(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    mean, sd = _PAIRED_CASES[k % len(_PAIRED_CASES)]
    z = rng.normal(size=3)
    z = (z - z.mean()) / z.std(ddof=1)
    base = rng.normal(20, 1.0, size=3)
    return base, base + mean + sd * z


def _paired_reference(a: np.ndarray, b: np.ndarray) -> tuple[float, float, bool]:
    from .stats import paired_comparison

    result = paired_comparison(a, b)
    return result.mean, result.sd, result.effect


def _paired_unpaired_sd(a, b):
    sd = float(np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2))
    mean = float(np.mean(b) - np.mean(a))
    return mean, sd, abs(mean) > 2 * sd


def _paired_ddof0(a, b):
    d = np.asarray(b) - np.asarray(a)
    return float(d.mean()), float(d.std()), bool(abs(d.mean()) > 2 * d.std())


def _paired_no_abs(a, b):
    mean, sd, _ = _paired_reference(a, b)
    return mean, sd, mean > 2 * sd


def _paired_a_minus_b(a, b):
    mean, sd, effect = _paired_reference(a, b)
    return -mean, sd, effect


def _paired_standard_error(a, b):
    mean, sd, _ = _paired_reference(a, b)
    return mean, sd, abs(mean) > 2 * sd / np.sqrt(len(a))


def _any_k(make: Callable[[np.random.Generator], tuple]) -> Callable[[np.random.Generator, int], tuple]:
    return lambda rng, k: make(rng)


EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in [
    Exercise("oracle_correlation", "00",
             "(repeats, images, neurons) -> (neurons,): per neuron, the mean over repeats k of Pearson r over images "
             "between trial k and the mean of the OTHER repeats",
             _any_k(lambda rng: (_responses(rng),)), _oracle_reference,
             [(_oracle_with_self, "the mean each trial is correlated with includes that trial itself: use the mean "
                                  "of the *other* repeats (leave one out), or the oracle is inflated."),
              (_oracle_first_trial, "only the first repeat is correlated with the others: average the correlation "
                                    "over every repeat k."),
              (_oracle_over_neurons, "correlates over neurons (one value per image); the oracle correlates over "
                                     "images, one value per neuron (axis 1 of (repeats, images, neurons)).")]),
    Exercise("spearman_brown", "00",
             "the reliability of a mean over `factor` times as many repeats: factor r / (1 + (factor - 1) r)",
             _sb_inputs, _spearman_brown_reference,
             [(lambda r, factor: factor * r, "the denominator 1 + (factor - 1) r is missing: reliability cannot grow "
                                             "linearly with the number of repeats (it stays below 1)."),
              (lambda r, factor: 2 * r / (1 + r), "the `factor` argument is ignored (that is the split-half case, factor 2)."),
              (lambda r, factor: _spearman_brown_reference(factor, r),
               "the arguments are used in the wrong order: the function is spearman_brown(r, factor), the "
               "reliability first."),
              (lambda r, factor: _spearman_brown_reference(r, 1.0 / factor),
               "the factor is inverted: `factor` is how many times as many repeats (2 = twice as many, 0.5 = half), "
               "so factor r / (1 + (factor - 1) r) with the factor itself.")]),
    Exercise("psnr_per_image", "01",
             "mean over images of 10 log10(1 / MSE_image) for (images, 1, H, W) arrays in [0, 1]",
             _image_pair, _psnr_reference,
             [(_psnr_of_mean_mse, "this is the PSNR of the mean MSE; compute one PSNR per image and average those "
                                  "(the log makes the two differ)."),
              (_psnr_per_pixel_mse, "the squared error is averaged over images (an MSE per pixel) and a PSNR taken "
                                    "per pixel; average over each image's pixels instead (axis=(1, 2, 3)), one PSNR "
                                    "per image, then the mean over images."),
              (_psnr_20log, "uses 20 log10: that is for amplitudes; the MSE is already a squared error, so 10 log10."),
              (_psnr_peak_255, "uses a peak of 255 (8-bit images); these images are in [0, 1], so the peak is 1: "
                               "10 log10(1 / MSE)."),
              (_psnr_rmse, "uses the root of the MSE inside 10 log10; PSNR is 10 log10(1 / MSE) (or 20 log10(1 / RMSE))."),
              (_psnr_natural_log, "uses the natural log (np.log); decibels need log10."),
              (_psnr_abs_error, "uses the mean absolute error; PSNR uses the mean squared error.")]),
    Exercise("compression_ratio", "01",
             "numbers in the image / numbers in the code, e.g. (31, 31) and (8, 4, 4) -> 961 / 128",
             _shapes, _compression_reference,
             [(lambda image_shape, code_shape: float(np.prod(code_shape) / np.prod(image_shape)),
               "the ratio is upside down: pixels per code number, not code numbers per pixel."),
              (lambda image_shape, code_shape: float(np.prod(image_shape) / code_shape[0]),
               "only the channels of the code are counted: the code has channels x height x width numbers.")]),
    Exercise("poisson_loss", "02",
             "(images, neurons) rates and responses -> sum over neurons of (pred - target log(pred + 1e-8)), "
             "averaged over images",
             _rates, _poisson_reference,
             [(_poisson_swapped, "the arguments are swapped: this is target - pred log(target); the loss is "
                                 "pred - target log(pred + 1e-8), with the prediction `pred` first."),
              (_poisson_mean_over_neurons, "averages over neurons too: the loss sums over neurons and averages over images."),
              (_poisson_sum_over_images, "sums over images too: the loss sums over neurons and averages over images "
                                         "(so it does not grow with the batch size)."),
              (_poisson_log_input, "treats pred as a log-rate (torch's PoissonNLLLoss default log_input=True) and "
                                   "averages over everything: pred is a rate, so pred - target log(pred), summed "
                                   "over neurons."),
              (_poisson_log_input_summed, "treats pred as a log-rate (exp(pred) - target pred, torch's "
                                          "PoissonNLLLoss default log_input=True): pred is a rate, so pred - target log(pred)."),
              (_poisson_full, "includes log(target!): that term does not depend on the prediction, and this loss "
                              "leaves it out (pred - target log(pred + 1e-8) only)."),
              (_poisson_squared, "this is a squared error, not the Poisson negative log-likelihood pred - target log(pred).")],
             rtol=1e-6),
    Exercise("factorized_readout", "02",
             "features (B, C, H, W), mask (N, H, W), weights (N, C), bias (N,) -> rates (B, N) = "
             "ELU(sum_{c,y,x} features * mask_n * weights_n + bias_n) + 1",
             _readout_inputs, _readout_reference,
             [(_readout_no_bias, "the bias b_n is missing."),
              (_readout_no_nonlinearity, "the output nonlinearity f(u) = ELU(u) + 1 is missing (rates must be positive)."),
              (_readout_no_plus_one, "the + 1 after the ELU is missing: ELU(u) > -1, so ELU(u) + 1 keeps the rates positive."),
              (_readout_relu, "uses ReLU; the readout's nonlinearity is ELU(u) + 1 (smooth, positive, and with a "
                              "gradient for negative u).")]),
    Exercise("joint_objective", "03",
             "MSE(recon, image) + lam * (Poisson(pred, target) + penalty), with the Poisson loss of exercise 02",
             _joint_inputs, _joint_reference,
             [(_joint_lam_on_mse, "lambda weighs the reconstruction term; it belongs to the response term."),
              (_joint_no_penalty, "the readout penalty is missing from the response term."),
              (_joint_penalty_unweighted, "the penalty is added outside lambda; it is part of the response term "
                                          "lam * (Poisson + penalty)."),
              (_joint_summed_mse, "the reconstruction error is summed over pixels; it is the mean squared error."),
              (_joint_poisson_swapped, "the Poisson term has its arguments swapped: Poisson(pred, target) = "
                                       "pred - target log(pred + 1e-8), the prediction first.")]),
    Exercise("readout_l1_penalty", "03",
             "gamma * sum over neurons of |mask_n|_1 * |weights_n|_1 (the L1 norm of each mask x weight outer product)",
             _l1_inputs, _l1_reference,
             [(_l1_additive, "mask and weights are penalised separately (a sum); the penalty multiplies each neuron's "
                             "two L1 norms."),
              (_l1_squared, "uses squared (L2) norms; the readout penalty is an L1 penalty."),
              (_l1_no_gamma, "the weight gamma is missing: gamma * sum_n |mask_n|_1 |weights_n|_1."),
              (_l1_product_of_totals, "multiplies the total |mask| of all neurons by the total |weights|; the "
                                      "product is per neuron, then summed: sum_n |mask_n|_1 |weights_n|_1.")]),
    Exercise("significance_test", "04",
             "r (neurons,), n_images -> (t, one-sided p): t = r sqrt((n-2)/(1-r^2)), p = P(T_{n-2} >= t)",
             _r_inputs, _significance_reference,
             [(_significance_two_sided, "this p-value is two-sided; the test asks whether the prediction is better "
                                        "than chance, one-sided (H0: rho <= 0)."),
              (_significance_abs_t, "the p-value uses |t|: a negative r then looks significant; the one-sided p is "
                                    "P(T >= t) with the signed t (stats.t.sf(t, dof))."),
              (_significance_lower_tail, "this is P(T <= t), the lower tail; 'better than chance' is the upper tail "
                                         "P(T >= t) = stats.t.sf(t, dof)."),
              (_significance_wrong_dof, "a correlation over n images has n - 2 degrees of freedom, not n - 1."),
              (_significance_dof_n, "a correlation over n images has n - 2 degrees of freedom, not n."),
              (_significance_no_denominator, "t is missing the 1 - r^2: t = r sqrt((n - 2) / (1 - r^2)).")]),
    Exercise("linear_cka", "04",
             "CKA(X, Y) = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F) for column-centred (stimuli, units) X and Y",
             _cka_inputs, _cka_reference,
             [(_cka_uncentred, "the columns are not centred: subtract each unit's mean over stimuli first."),
              (_cka_row_centred, "centres each stimulus (row) over the units; centre each unit (column) over the "
                                 "stimuli: X - X.mean(axis=0)."),
              (_cka_x_only_centred, "only X is centred; centre both: X - X.mean(axis=0) and Y - Y.mean(axis=0)."),
              (_cka_y_only_centred, "only Y is centred; centre both: X - X.mean(axis=0) and Y - Y.mean(axis=0)."),
              (_cka_standardised, "divides each unit by its sd (z-scores); linear CKA only centres, and scaling "
                                  "units changes it."),
              (_cka_frobenius_denominator, "the denominator is ||X||_F^2 ||Y||_F^2; it is ||X^T X||_F ||Y^T Y||_F."),
              (_cka_unsquared, "the numerator must be the squared Frobenius norm ||Y^T X||_F^2 (and the denominator "
                               "is not square-rooted).")]),
    Exercise("benjamini_hochberg", "04",
             "Benjamini-Hochberg adjusted p-values: p_(k) m / k, made monotone (cumulative minimum from the largest "
             "p down), at most 1",
             _p_inputs, _bh_reference,
             [(_bonferroni, "this is the Bonferroni correction (p m); BH divides by the rank: p_(k) m / k."),
              (_bh_not_monotone, "the step-up is missing: adjusted p-values must not decrease with p (take the "
                                 "cumulative minimum from the largest p downwards)."),
              (_bh_cummin_upwards, "the cumulative minimum runs from the smallest p upwards; it must run from the "
                                   "largest p downwards (reverse, np.minimum.accumulate, reverse back)."),
              (_bh_sorted_order, "returns the adjusted p-values in sorted order; return them in the order of the input p."),
              (_bh_ranks_from_zero, "the ranks start at 0; the smallest p has rank k = 1 (np.arange(1, m + 1)).")]),
    Exercise("paired_difference", "05",
             "values per seed a, b -> (mean of b - a, sample sd of the paired differences, effect: |mean| > 2 sd)",
             _seed_inputs, _paired_reference,
             [(_paired_no_abs, "the effect test misses negative differences: `mean > 2 * sd` is one-sided; an effect "
                               "in either direction is abs(mean) > 2 * sd."),
              (_paired_a_minus_b, "the difference is a - b; it is b - a (the second minus the first), so a positive "
                                  "mean says b is higher."),
              (_paired_unpaired_sd, "the sd is of the values, not of the paired differences b - a: pairing by seed "
                                    "removes the variation the two models share."),
              (_paired_ddof0, "the sd uses ddof=0; with 3 seeds the sample sd (ddof=1) is the honest spread."),
              (_paired_standard_error, "the effect compares the mean with 2 standard errors (sd / sqrt(n)); the rule "
                                       "is abs(mean) > 2 sd of the paired differences.")],
             n_inputs=len(_PAIRED_CASES)),
]}


def _make_check(name: str) -> Callable[..., bool]:
    def check_exercise(fn: Callable[..., Any], seed: int = 0, time_limit: float = DEFAULT_TIME_LIMIT) -> bool:
        return check(name, fn, seed, time_limit=time_limit)

    check_exercise.__name__ = f"check_{name}"
    check_exercise.__doc__ = (f"Check your ``{name}``: {EXERCISES[name].task}. Prints what is wrong in one line; "
                              "returns True when right.")
    return check_exercise


check_oracle_correlation = _make_check("oracle_correlation")
check_spearman_brown = _make_check("spearman_brown")
check_psnr_per_image = _make_check("psnr_per_image")
check_compression_ratio = _make_check("compression_ratio")
check_poisson_loss = _make_check("poisson_loss")
check_factorized_readout = _make_check("factorized_readout")
check_joint_objective = _make_check("joint_objective")
check_readout_l1_penalty = _make_check("readout_l1_penalty")
check_significance_test = _make_check("significance_test")
check_linear_cka = _make_check("linear_cka")
check_benjamini_hochberg = _make_check("benjamini_hochberg")
check_paired_difference = _make_check("paired_difference")

__all__ += [f"check_{name}" for name in EXERCISES]

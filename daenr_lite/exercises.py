"""Coding exercises of the notebook series, with instant feedback.

Each exercise is a small function the student writes in a notebook; ``check_<name>(student_function)`` runs it
on several seeded inputs, compares it with daenr-lite's own implementation and says in words what is wrong:
a known mistake (e.g. "the mean includes the trial itself"), a wrong shape, a flipped sign, a constant factor
or offset. It never raises: an unsolved exercise (``raise NotImplementedError``) prints "not implemented yet"
and the notebook goes on with the library's implementation. Every check returns ``True`` when the function
is right.

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
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Exercise", "EXERCISES", "check", "solution"]

Mistake = tuple[Callable[..., Any], str]


@dataclass(frozen=True)
class Exercise:
    """One exercise: what to write, how to make test inputs, the reference answer and the typical mistakes."""

    name: str
    notebook: str
    task: str
    make_inputs: Callable[[np.random.Generator], tuple]
    reference: Callable[..., Any]
    mistakes: Sequence[Mistake] = field(default_factory=tuple)
    rtol: float = 1e-5
    atol: float = 1e-8
    n_inputs: int = 3


# ------------------------------------------------------------------------------------------ helpers
def _as_arrays(value: Any) -> list[np.ndarray]:
    if isinstance(value, tuple):
        return [np.asarray(v, dtype=float) for v in value]
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return [np.asarray(value, dtype=float)]


def _close(a: Any, b: Any, rtol: float, atol: float) -> bool:
    xs, ys = _as_arrays(a), _as_arrays(b)
    return len(xs) == len(ys) and all(x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
                                      for x, y in zip(xs, ys))


def _generic_hint(out: Any, ref: Any, rtol: float, atol: float) -> str:
    outs, refs = _as_arrays(out), _as_arrays(ref)
    if len(outs) != len(refs):
        return f"returns {len(outs)} value(s); expected {len(refs)}."
    for k, (o, r) in enumerate(zip(outs, refs)):
        which = "" if len(refs) == 1 else f" (value {k + 1} of {len(refs)})"
        if o.shape != r.shape:
            return f"returns shape {o.shape}{which}; expected {r.shape}."
        if np.allclose(o, r, rtol=rtol, atol=atol, equal_nan=True):
            continue
        if np.allclose(o, -r, rtol=rtol, atol=atol):
            return f"has the wrong sign{which}: it returns minus the expected values."
        finite = np.isfinite(o) & np.isfinite(r) & (np.abs(r) > 1e-12)
        if finite.any():
            ratio = o[finite] / r[finite]
            if np.allclose(ratio, ratio.flat[0], rtol=1e-4) and not np.isclose(ratio.flat[0], 1.0):
                return f"is off by a constant factor{which}: {ratio.flat[0]:.4g} times the expected values (a missing mean, sum or weight?)."
            offset = o[finite] - r[finite]
            if np.allclose(offset, offset.flat[0], rtol=1e-4, atol=1e-9):
                return f"is off by a constant{which}: {offset.flat[0]:+.4g} from the expected values."
        if np.isnan(o).any() and not np.isnan(r).any():
            return f"returns NaN where the expected values are finite{which}."
        worst = float(np.nanmax(np.abs(o - r))) if np.isfinite(o - r).any() else float("nan")
        return f"differs from the expected values{which} (largest difference {worst:.3g})."
    return "differs from the expected values."


def check(exercise: Exercise | str, fn: Callable[..., Any], seed: int = 0, verbose: bool = True) -> bool:
    """Run ``fn`` on ``exercise``'s test inputs; print what is right or wrong; return whether it is right.

    The global random states of numpy and torch are left as they were, so a check cell never changes what the
    notebook's later (seeded) cells compute.
    """
    import torch

    numpy_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        try:
            return _check(exercise, fn, seed, verbose)
        finally:
            np.random.set_state(numpy_state)


def _check(exercise: Exercise | str, fn: Callable[..., Any], seed: int, verbose: bool) -> bool:
    ex = EXERCISES[exercise] if isinstance(exercise, str) else exercise
    say = print if verbose else (lambda *_a, **_k: None)
    rng = np.random.default_rng(seed)
    for k in range(ex.n_inputs):
        args = ex.make_inputs(rng)
        expected = ex.reference(*copy.deepcopy(args))
        try:
            got = fn(*copy.deepcopy(args))
        except NotImplementedError:
            say(f"⏳ {ex.name}: not implemented yet. Write it (the task: {ex.task}); until then the notebook "
                "continues with daenr-lite's implementation.")
            return False
        except Exception as exc:  # a student's bug: report it, never stop the notebook
            say(f"✗ {ex.name} raised {type(exc).__name__}: {exc}")
            return False
        if _close(got, expected, ex.rtol, ex.atol):
            continue
        for mistake, message in ex.mistakes:
            try:
                if _close(got, mistake(*copy.deepcopy(args)), ex.rtol, ex.atol):
                    say(f"✗ {ex.name}: {message}")
                    return False
            except Exception:  # a mistake model that does not apply to these inputs
                continue
        say(f"✗ {ex.name} {_generic_hint(got, expected, ex.rtol, ex.atol)} (test input {k + 1} of {ex.n_inputs})")
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


def _spearman_brown_reference(r: np.ndarray, factor: float) -> np.ndarray:
    return factor * r / (1.0 + (factor - 1.0) * r)


# ------------------------------------------------------------------------------------------ 01
def _image_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    images = rng.uniform(0, 1, size=(6, 1, 9, 9))
    noise = rng.normal(0, 1, size=images.shape) * rng.uniform(0.02, 0.3, size=(6, 1, 1, 1))
    return np.clip(images + noise, 0, 1), images


def _psnr_reference(reconstructions: np.ndarray, images: np.ndarray) -> float:
    from .metrics import psnr

    return psnr(reconstructions, images)


def _psnr_of_mean_mse(reconstructions: np.ndarray, images: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((reconstructions - images) ** 2)))


def _psnr_20log(reconstructions: np.ndarray, images: np.ndarray) -> float:
    per_image = np.mean((reconstructions - images) ** 2, axis=(1, 2, 3))
    return float(np.mean(20 * np.log10(1.0 / per_image)))


def _shapes(rng: np.random.Generator) -> tuple[tuple[int, int], tuple[int, int, int]]:
    side = int(rng.integers(16, 64))
    return (side, side + int(rng.integers(0, 5))), (int(rng.integers(2, 16)), int(rng.integers(2, 6)), int(rng.integers(2, 6)))


def _compression_reference(image_shape: Sequence[int], code_shape: Sequence[int]) -> float:
    return float(np.prod(image_shape) / np.prod(code_shape))


# ------------------------------------------------------------------------------------------ 02
def _rates(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pred = rng.gamma(2.0, 0.5, size=(8, 5)) + 0.05
    target = rng.poisson(pred).astype(float)
    return pred, target


def _poisson_reference(pred: np.ndarray, target: np.ndarray) -> float:
    import torch

    from .losses import poisson_loss

    return float(poisson_loss(torch.as_tensor(pred), torch.as_tensor(target)))


def _poisson_mean_over_neurons(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.mean(pred - target * np.log(pred + 1e-8)))


def _poisson_squared(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.mean(np.sum((pred - target) ** 2, axis=1)))


def _readout_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
    with torch.no_grad():
        readout.raw_mask.copy_(torch.as_tensor(mask))
        readout.raw_features.copy_(torch.as_tensor(weights))
        readout.bias.copy_(torch.as_tensor(bias))
        return readout(torch.as_tensor(features)).numpy()


def _readout_no_bias(features, mask, weights, bias):
    return _elu1(np.einsum("bchw,nhw,nc->bn", features, mask, weights))


def _readout_no_nonlinearity(features, mask, weights, bias):
    return np.einsum("bchw,nhw,nc->bn", features, mask, weights) + bias


# ------------------------------------------------------------------------------------------ 03
def _joint_inputs(rng: np.random.Generator):
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


def _l1_inputs(rng: np.random.Generator):
    return np.abs(rng.normal(size=(6, 4, 5))), np.abs(rng.normal(size=(6, 3))), float(rng.uniform(0.01, 0.1))


def _l1_reference(mask: np.ndarray, weights: np.ndarray, gamma: float) -> float:
    return float(gamma * np.sum(np.abs(mask).reshape(len(mask), -1).sum(1) * np.abs(weights).sum(1)))


def _l1_additive(mask, weights, gamma) -> float:
    return float(gamma * (np.abs(mask).sum() + np.abs(weights).sum()))


def _l1_squared(mask, weights, gamma) -> float:
    return float(gamma * np.sum((mask.reshape(len(mask), -1) ** 2).sum(1) * (weights**2).sum(1)))


# ------------------------------------------------------------------------------------------ 04
def _r_inputs(rng: np.random.Generator):
    return rng.uniform(-0.5, 0.8, size=10), int(rng.integers(20, 80))


def _t_test(r: np.ndarray, dof: int, two_sided: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """t = r sqrt(dof / (1 - r^2)) and its p-value with ``dof`` degrees of freedom."""
    from scipy import stats

    t = r * np.sqrt(dof / (1 - r**2))
    return t, (2 * stats.t.sf(np.abs(t), df=dof) if two_sided else stats.t.sf(t, df=dof))


def _significance_reference(r: np.ndarray, n_images: int) -> tuple[np.ndarray, np.ndarray]:
    return _t_test(r, n_images - 2)


def _significance_two_sided(r, n_images):
    return _t_test(r, n_images - 2, two_sided=True)


def _significance_wrong_dof(r, n_images):
    return _t_test(r, n_images - 1)


def _cka_inputs(rng: np.random.Generator):
    x = rng.normal(size=(20, 6)) + rng.normal(size=6) * 3
    return x, x @ rng.normal(size=(6, 4)) + rng.normal(size=(20, 4)) + 5.0


def _cka_reference(x: np.ndarray, y: np.ndarray) -> float:
    from .similarity import linear_cka

    return float(linear_cka(x, y))


def _cka_uncentred(x, y) -> float:
    return float(np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))


def _cka_unsquared(x, y) -> float:
    x, y = x - x.mean(0), y - y.mean(0)
    return float(np.linalg.norm(y.T @ x) / np.sqrt(np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))


def _p_inputs(rng: np.random.Generator):
    return (np.concatenate([rng.uniform(0, 0.02, size=4), rng.uniform(0, 1, size=12)]),)


def _bh_reference(p: np.ndarray) -> np.ndarray:
    from .similarity.significance import benjamini_hochberg

    return benjamini_hochberg(p)


def _bonferroni(p: np.ndarray) -> np.ndarray:
    return np.minimum(p * p.size, 1.0)


def _bh_not_monotone(p: np.ndarray) -> np.ndarray:
    ranks = np.argsort(np.argsort(p)) + 1
    return np.minimum(p * p.size / ranks, 1.0)


# ------------------------------------------------------------------------------------------ 05
def _seed_inputs(rng: np.random.Generator):
    base = rng.normal(20, 1.0, size=3)
    return base, base + rng.choice([0.5, 0.05]) + rng.normal(0, 0.1, size=3)


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


EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in [
    Exercise("oracle_correlation", "00",
             "(repeats, images, neurons) -> (neurons,): per neuron, the mean over repeats k of Pearson r over images "
             "between trial k and the mean of the OTHER repeats",
             lambda rng: (_responses(rng),), _oracle_reference,
             [(_oracle_with_self, "the mean each trial is correlated with includes that trial itself: use the mean "
                                  "of the *other* repeats (leave one out), or the oracle is inflated."),
              (_oracle_first_trial, "only the first repeat is correlated with the others: average the correlation "
                                    "over every repeat k.")]),
    Exercise("spearman_brown", "00",
             "the reliability of a mean over `factor` times as many repeats: factor r / (1 + (factor - 1) r)",
             lambda rng: (rng.uniform(-0.2, 0.9, size=5), float(rng.choice([2.0, 3.0, 0.5]))), _spearman_brown_reference,
             [(lambda r, factor: factor * r, "the denominator 1 + (factor - 1) r is missing: reliability cannot grow "
                                             "linearly with the number of repeats (it stays below 1)."),
              (lambda r, factor: 2 * r / (1 + r), "the `factor` argument is ignored (that is the split-half case, factor 2).")]),
    Exercise("psnr_per_image", "01",
             "mean over images of 10 log10(1 / MSE_image) for (images, 1, H, W) arrays in [0, 1]",
             _image_pair, _psnr_reference,
             [(_psnr_of_mean_mse, "this is the PSNR of the mean MSE; compute one PSNR per image and average those "
                                  "(the log makes the two differ)."),
              (_psnr_20log, "uses 20 log10: that is for amplitudes; the MSE is already a squared error, so 10 log10.")]),
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
             [(_poisson_mean_over_neurons, "averages over neurons too: the loss sums over neurons and averages over images."),
              (_poisson_squared, "this is a squared error, not the Poisson negative log-likelihood pred - target log(pred).")],
             rtol=1e-6),
    Exercise("factorized_readout", "02",
             "features (B, C, H, W), mask (N, H, W), weights (N, C), bias (N,) -> rates (B, N) = "
             "ELU(sum_{c,y,x} features * mask_n * weights_n + bias_n) + 1",
             _readout_inputs, _readout_reference,
             [(_readout_no_bias, "the bias b_n is missing."),
              (_readout_no_nonlinearity, "the output nonlinearity f(u) = ELU(u) + 1 is missing (rates must be positive).")]),
    Exercise("joint_objective", "03",
             "MSE(recon, image) + lam * (Poisson(pred, target) + penalty), with the Poisson loss of exercise 02",
             _joint_inputs, _joint_reference,
             [(_joint_lam_on_mse, "lambda weighs the reconstruction term; it belongs to the response term."),
              (_joint_no_penalty, "the readout penalty is missing from the response term."),
              (_joint_penalty_unweighted, "the penalty is added outside lambda; it is part of the response term "
                                          "lam * (Poisson + penalty).")]),
    Exercise("readout_l1_penalty", "03",
             "gamma * sum over neurons of |mask_n|_1 * |weights_n|_1 (the L1 norm of each mask x weight outer product)",
             _l1_inputs, _l1_reference,
             [(_l1_additive, "mask and weights are penalised separately (a sum); the penalty multiplies each neuron's "
                             "two L1 norms."),
              (_l1_squared, "uses squared (L2) norms; the readout penalty is an L1 penalty.")]),
    Exercise("significance_test", "04",
             "r (neurons,), n_images -> (t, one-sided p): t = r sqrt((n-2)/(1-r^2)), p = P(T_{n-2} >= t)",
             _r_inputs, _significance_reference,
             [(_significance_two_sided, "this p-value is two-sided; the test asks whether the prediction is better "
                                        "than chance, one-sided (H0: rho <= 0)."),
              (_significance_wrong_dof, "a correlation over n images has n - 2 degrees of freedom, not n - 1.")]),
    Exercise("linear_cka", "04",
             "CKA(X, Y) = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F) for column-centred (stimuli, units) X and Y",
             _cka_inputs, _cka_reference,
             [(_cka_uncentred, "the columns are not centred: subtract each unit's mean over stimuli first."),
              (_cka_unsquared, "the numerator must be the squared Frobenius norm ||Y^T X||_F^2 (and the denominator "
                               "is not square-rooted).")]),
    Exercise("benjamini_hochberg", "04",
             "Benjamini-Hochberg adjusted p-values: p_(k) m / k, made monotone (cumulative minimum from the largest "
             "p down), at most 1",
             _p_inputs, _bh_reference,
             [(_bonferroni, "this is the Bonferroni correction (p m); BH divides by the rank: p_(k) m / k."),
              (_bh_not_monotone, "the step-up is missing: adjusted p-values must not decrease with p (take the "
                                 "cumulative minimum from the largest p downwards).")]),
    Exercise("paired_difference", "05",
             "values per seed a, b -> (mean of b - a, sample sd of the paired differences, effect: |mean| > 2 sd)",
             _seed_inputs, _paired_reference,
             [(_paired_unpaired_sd, "the sd is of the values, not of the paired differences b - a: pairing by seed "
                                    "removes the variation the two models share."),
              (_paired_ddof0, "the sd uses ddof=0; with 3 seeds the sample sd (ddof=1) is the honest spread.")]),
]}


def _make_check(name: str) -> Callable[..., bool]:
    def check_exercise(fn: Callable[..., Any], seed: int = 0) -> bool:
        return check(name, fn, seed)

    check_exercise.__name__ = f"check_{name}"
    check_exercise.__doc__ = f"Check your ``{name}``: {EXERCISES[name].task}. Prints what is wrong; returns True when right."
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

"""How realistic is a dataset? The statistics of a test set that the simulation is calibrated against.

Every statistic is computed from a test set alone: ``test_responses`` (repeats R, images M, neurons N) and
``test_images`` (M, 1, H, W); the same code runs on the recordings and on the simulation, so a "real vs
simulated" comparison (:func:`realism_table`) compares like with like. Definitions (``r`` the single trials,
``m = r.mean(0)`` the trial average, ``e = r - m`` the residuals):

- ``ceiling`` — per neuron the expected Pearson r between the true mean rate and the R-repeat average,
  ``sqrt(max(0, (Var(m) - s2 / R) / Var(m)))`` with ``Var(m)`` over the images (ddof 1) and ``s2`` the mean
  over images of the across-repeat variance (ddof 1); averaged over neurons (:func:`ceiling_per_neuron`).
- ``low_ceiling_neurons`` — number of neurons whose ceiling is below 0.5.
- ``oracle`` / ``oracle_sd`` — mean and SD (ddof 0) over neurons of the leave-one-out oracle correlation
  (:func:`daenr_lite.metrics.oracle_corr`).
- ``noise_corr`` — mean over neuron pairs of the Pearson r of the residuals over all repeats x images;
  ``noise_corr_pairs`` — fraction of those pairs with r > 0.1 (neurons without residual variance are left out).
- ``population_gain`` — SD over repeats x images of the population-mean residual ``e.mean(neurons)``, divided
  by what independent neurons would give, ``sqrt(sum_n mean(e_n ** 2)) / N``; 1 for independent noise, larger
  when the neurons' trial-to-trial fluctuations share a gain.
- ``participation_ratio`` / ``top3_share`` — eigenvalues ``l`` of the split-half signal covariance: for each of
  50 random splits of the repeats into two halves (``R // 2`` each), the cross-covariance over images of the
  two half-averages, symmetrised ``(C + C.T) / 2``; the 50 matrices are averaged, its negative eigenvalues
  (noise) set to 0; ``PR = sum(l) ** 2 / sum(l ** 2)`` (the effective number of signal dimensions) and the
  share of the three largest in ``sum(l)``. Noise is independent across halves, so ``C`` estimates the
  covariance of the stimulus-driven responses without the noise.
- ``skew`` — mean over neurons of the (biased) skewness over images of ``m``.
- ``tail_p999`` — the 99.9th percentile of all single trials ``r`` divided by their mean: how heavy the tail of
  the single-trial responses is, free of the response units. ``peak_ratio`` — per neuron its largest single trial
  over its mean single trial, the median over the neurons that respond at all (:func:`response_tail`). Both are
  reported, not calibrated on: generator v2's tail is heavier than the recordings' (docs/realism.md).
- ``contrast`` — mean over test images of the RMS contrast, SD / mean of the pixels.
- ``spectrum_slope`` — slope of a log-log least-squares line through the power spectrum ``|FFT(x - mean x)|^2``
  averaged over the test images, at every frequency whose radius lies in [2, 12] cycles per image.

On ``../shared/data/antolik2016_partial`` these give, for regions 1 / 2 / 3: ceiling 0.808 / 0.689 / 0.783,
noise correlation 0.047 / 0.072 / 0.021, pairs > 0.1 0.19 / 0.32 / 0.08, population gain 2.39 / 2.19 / 1.75,
oracle SD 0.19 / 0.21 / 0.20, ceiling < 0.5 5 / 10 / 12 neurons, participation ratio 9.7 / 8.4 / 12.7, top-3
share 0.50 / 0.48 / 0.40, skew 2.3 / 2.0 / 2.2, 99.9th percentile / mean 15.8 / 16.6 / 19.4, peak ratio
13.2 / 12.3 / 14.5, contrast 0.62 / 0.62 / 0.53, slope -2.36 / -2.36 / -2.29
(``tests/test_data_realism.py``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ..metrics import oracle_corr

__all__ = [
    "STATISTICS",
    "LABELS",
    "ceiling_per_neuron",
    "noise_correlations",
    "population_gain",
    "signal_spectrum",
    "response_tail",
    "image_contrast",
    "spectrum_slope",
    "response_realism",
    "image_realism",
    "realism_statistics",
    "real_realism",
    "realism_table",
    "realism_markdown",
    "realism_report",
]

#: the statistics, in table order
STATISTICS: tuple[str, ...] = (
    "ceiling",
    "oracle",
    "noise_corr",
    "noise_corr_pairs",
    "population_gain",
    "oracle_sd",
    "low_ceiling_neurons",
    "participation_ratio",
    "top3_share",
    "skew",
    "tail_p999",
    "peak_ratio",
    "contrast",
    "spectrum_slope",
)
#: short descriptions for tables
LABELS: dict[str, str] = {
    "ceiling": "noise ceiling (mean over neurons)",
    "oracle": "leave-one-out oracle correlation (mean)",
    "noise_corr": "mean pairwise noise correlation",
    "noise_corr_pairs": "fraction of pairs with noise correlation > 0.1",
    "population_gain": "population gain (SD of the population-mean residual / independent)",
    "oracle_sd": "SD over neurons of the oracle correlation",
    "low_ceiling_neurons": "neurons with ceiling < 0.5",
    "participation_ratio": "signal participation ratio (split-half)",
    "top3_share": "share of the top 3 signal eigenvalues",
    "skew": "mean skew of the trial-averaged responses",
    "tail_p999": "single trials: 99.9th percentile / mean",
    "peak_ratio": "median over neurons of its largest single trial / its mean",
    "contrast": "test images: mean RMS contrast",
    "spectrum_slope": "test images: power-spectrum slope (radii 2-12)",
}
#: frequency radii (cycles per image) of the spectrum-slope fit
SLOPE_RADII = (2.0, 12.0)
#: random repeat splits of the signal spectrum
N_SPLITS = 50


def _repeats(responses: Any) -> np.ndarray:
    r = np.asarray(responses, dtype=np.float64)
    if r.ndim != 3 or r.shape[0] < 2 or r.shape[1] < 3:
        raise ValueError(
            f"test responses must be (repeats >= 2, images >= 3, neurons), got shape {r.shape}; "
            "pass dataset.test_responses, not the trial average."
        )
    return r


def ceiling_per_neuron(responses: Any) -> np.ndarray:
    """(neurons,) expected r of the true mean with the R-repeat average; responses (R, M, N)."""
    r = _repeats(responses)
    m = r.mean(axis=0)
    signal_plus_noise = m.var(axis=0, ddof=1)
    noise = r.var(axis=0, ddof=1).mean(axis=0) / r.shape[0]
    out = np.zeros(r.shape[2])
    ok = signal_plus_noise > 1e-12
    out[ok] = np.sqrt(np.maximum(0.0, (signal_plus_noise[ok] - noise[ok]) / signal_plus_noise[ok]))
    return out


def noise_correlations(responses: Any) -> np.ndarray:
    """(pairs,) Pearson r of the residuals ``r - m`` over repeats x images, for every pair of neurons with noise."""
    r = _repeats(responses)
    resid = (r - r.mean(axis=0)).reshape(-1, r.shape[2])
    keep = resid.std(axis=0) > 1e-12
    resid = resid[:, keep]
    if resid.shape[1] < 2:
        return np.zeros(0)
    corr = np.corrcoef(resid.T)
    return corr[np.triu_indices(corr.shape[0], 1)]


def population_gain(responses: Any) -> float:
    """SD of the population-mean residual over repeats x images / its value for independent neurons."""
    r = _repeats(responses)
    resid = r - r.mean(axis=0)
    independent = np.sqrt((resid**2).mean(axis=(0, 1)).sum()) / r.shape[2]
    if independent <= 0:
        return float("nan")
    return float(resid.mean(axis=2).std() / independent)


def signal_spectrum(responses: Any, n_splits: int = N_SPLITS, seed: int = 0) -> np.ndarray:
    """Eigenvalues (descending, negatives set to 0) of the mean symmetrised split-half cross-covariance (N,)."""
    r = _repeats(responses)
    n_rep, n_img, _ = r.shape
    half = n_rep // 2
    rng = np.random.default_rng(seed)
    cov = np.zeros((r.shape[2], r.shape[2]))
    for _ in range(int(n_splits)):
        perm = rng.permutation(n_rep)
        a = r[perm[:half]].mean(axis=0)
        b = r[perm[half : 2 * half]].mean(axis=0)
        a = a - a.mean(axis=0)
        b = b - b.mean(axis=0)
        c = a.T @ b / (n_img - 1)
        cov += (c + c.T) / 2
    eig = np.linalg.eigvalsh(cov / n_splits)[::-1]
    return np.maximum(eig, 0.0)


def response_tail(responses: Any) -> dict[str, float]:
    """``tail_p999`` and ``peak_ratio`` of test responses (R, M, N); see the module docstring (NaN without responses)."""
    r = _repeats(responses)
    trials = r.reshape(-1)
    mean = float(trials.mean())
    per_neuron_mean = r.mean(axis=(0, 1))
    responding = per_neuron_mean > 0
    peaks = r.max(axis=(0, 1))[responding] / per_neuron_mean[responding]
    return {
        "tail_p999": float(np.quantile(trials, 0.999) / mean) if mean > 0 else float("nan"),
        "peak_ratio": float(np.median(peaks)) if peaks.size else float("nan"),
    }


def image_contrast(images: Any) -> np.ndarray:
    """(M,) RMS contrast SD / mean of every image; images (M, 1, H, W) or (M, H, W)."""
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    return x.std(axis=1) / np.maximum(x.mean(axis=1), 1e-12)


def spectrum_slope(images: Any, radii: tuple[float, float] = SLOPE_RADII) -> float:
    """Log-log slope of the image-averaged power spectrum at the frequencies with radius in ``radii``."""
    x = np.asarray(images, dtype=np.float64)
    x = x.reshape((len(x),) + x.shape[-2:])
    height, width = x.shape[1:]
    x = x - x.mean(axis=(1, 2), keepdims=True)
    power = (np.abs(np.fft.fftshift(np.fft.fft2(x), axes=(1, 2))) ** 2).mean(axis=0)
    rows, cols = np.mgrid[0:height, 0:width]
    radius = np.hypot(rows - height // 2, cols - width // 2)
    mask = (radius >= radii[0]) & (radius <= radii[1]) & (power > 0)
    return float(np.polyfit(np.log(radius[mask]), np.log(power[mask]), 1)[0])


def response_realism(responses: Any, seed: int = 0) -> dict[str, float]:
    """The response statistics of :data:`STATISTICS` from test responses (R, M, N); see the module docstring."""
    r = _repeats(responses)
    ceilings = ceiling_per_neuron(r)
    oracles = oracle_corr(r)
    pairs = noise_correlations(r)
    eig = signal_spectrum(r, seed=seed)
    total = eig.sum()
    m = r.mean(axis=0)
    centred = m - m.mean(axis=0)
    sd = centred.std(axis=0)
    ok = sd > 1e-12
    skew = (centred[:, ok] ** 3).mean(axis=0) / sd[ok] ** 3
    return {
        **response_tail(r),
        "ceiling": float(ceilings.mean()),
        "oracle": float(oracles.mean()),
        "noise_corr": float(pairs.mean()) if pairs.size else float("nan"),
        "noise_corr_pairs": float((pairs > 0.1).mean()) if pairs.size else float("nan"),
        "population_gain": population_gain(r),
        "oracle_sd": float(oracles.std()),
        "low_ceiling_neurons": float((ceilings < 0.5).sum()),
        "participation_ratio": float(total**2 / (eig**2).sum()) if total > 0 else float("nan"),
        "top3_share": float(eig[:3].sum() / total) if total > 0 else float("nan"),
        "skew": float(skew.mean()) if skew.size else float("nan"),
    }


def image_realism(images: Any) -> dict[str, float]:
    """``contrast`` and ``spectrum_slope`` of test images (M, 1, H, W)."""
    return {"contrast": float(image_contrast(images).mean()), "spectrum_slope": spectrum_slope(images)}


def realism_statistics(test_set: Any, seed: int = 0) -> dict[str, float]:
    """Every statistic of :data:`STATISTICS` for anything with ``test_responses`` and ``test_images``
    (a :class:`~daenr_lite.data.NeuralDataset` or a recorded test set)."""
    out = response_realism(test_set.test_responses, seed=seed)
    out.update(image_realism(test_set.test_images))
    return {name: out[name] for name in STATISTICS}


def real_realism(region: int, data_dir: str | Path | None = None) -> dict[str, float]:
    """:func:`realism_statistics` of a recorded region (needs only the test files, not the training images)."""
    from .antolik2016 import load_antolik2016_test_set

    return realism_statistics(load_antolik2016_test_set(region, data_dir=data_dir))


def realism_table(
    real: dict[int, dict[str, float]], simulated: dict[int, Sequence[dict[str, float]]]
) -> list[dict[str, Any]]:
    """Rows ``{statistic, region, real, sim_mean, sim_sd, sim_min, sim_max}`` (one per statistic and region).

    real : ``{region: statistics}`` (e.g. :func:`real_realism`; a region may be missing: ``real`` is NaN).
    simulated : ``{region: [statistics of each seed]}`` (:func:`daenr_lite.data.calibrate.simulated_realism`).
    """
    rows = []
    for name in STATISTICS:
        for region in sorted(simulated):
            values = np.array([s[name] for s in simulated[region]], dtype=np.float64)
            rows.append(
                {
                    "statistic": name,
                    "region": int(region),
                    "real": float(real[region][name]) if region in real else float("nan"),
                    "sim_mean": float(values.mean()),
                    "sim_sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                    "sim_min": float(values.min()),
                    "sim_max": float(values.max()),
                    "n_seeds": int(len(values)),
                }
            )
    return rows


def _fmt(value: float, name: str) -> str:
    if not np.isfinite(value):
        return "-"
    if name == "low_ceiling_neurons":
        return f"{value:.1f}" if value != round(value) else f"{value:.0f}"
    if name == "noise_corr":
        return f"{value:.3f}"
    if name in ("participation_ratio", "tail_p999", "peak_ratio"):
        return f"{value:.1f}"
    return f"{value:.2f}"


def realism_markdown(rows: list[dict[str, Any]], tolerances: dict[str, float] | None = None) -> str:
    """A markdown table of :func:`realism_table` rows: per statistic, per region ``real`` and
    ``simulated mean ± sd [min .. max]``; with ``tolerances`` a column says whether |mean - real| is within it."""
    regions = sorted({row["region"] for row in rows})
    header = "| statistic | " + " | ".join(f"r{r} real | r{r} simulated" for r in regions) + " |"
    if tolerances:
        header += " tolerance | within |"
    cols = 1 + 2 * len(regions) + (2 if tolerances else 0)
    lines = [header, "|" + "---|" * cols]
    for name in STATISTICS:
        cells = [LABELS[name]]
        inside = []
        for region in regions:
            row = next((x for x in rows if x["statistic"] == name and x["region"] == region), None)
            if row is None:
                cells += ["-", "-"]
                continue
            cells.append(_fmt(row["real"], name))
            cells.append(
                f"{_fmt(row['sim_mean'], name)} ± {_fmt(row['sim_sd'], name)} "
                f"[{_fmt(row['sim_min'], name)} .. {_fmt(row['sim_max'], name)}]"
            )
            if tolerances and name in tolerances and np.isfinite(row["real"]):
                inside.append(abs(row["sim_mean"] - row["real"]) <= tolerances[name])
        if tolerances:
            tol = tolerances.get(name)
            cells.append("-" if tol is None else f"± {tol:g}")
            cells.append("-" if not inside else ("yes" if all(inside) else "no"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(values: Sequence[float], name: str) -> str:
    arr = np.asarray(values, dtype=np.float64)
    if len(arr) == 1:
        return _fmt(float(arr[0]), name)
    return f"{_fmt(float(arr.mean()), name)} ± {_fmt(float(arr.std(ddof=1)), name)} [{_fmt(float(arr.min()), name)} .. {_fmt(float(arr.max()), name)}]"


def realism_report(
    real: dict[int, dict[str, float]],
    simulated: dict[str, dict[int, Sequence[dict[str, float]]]],
    tolerances: dict[str, float] | None = None,
    judged: str | None = None,
) -> str:
    """Markdown tables, one per region: every statistic of :data:`STATISTICS` (plus ``zero_fraction`` where the
    statistics have it), the real value and each simulated generator's ``mean ± sd [min .. max]`` over seeds.

    real : ``{region: statistics}``; simulated : ``{label: {region: [statistics per seed]}}``;
    tolerances / judged : with both, two more columns: the tolerance and whether the ``judged`` generator's mean
    over seeds is within it of the real value.
    """
    lines: list[str] = []
    labels = list(simulated)
    regions = sorted({region for sims in simulated.values() for region in sims})
    for region in regions:
        names = [n for n in STATISTICS + ("zero_fraction",) if all(n in s for sims in simulated.values() for s in sims.get(region, []))]
        seeds = {label: len(simulated[label].get(region, [])) for label in labels}
        lines.append(f"### Region {region}\n")
        header = ["statistic", "real"] + [f"{label} ({seeds[label]} seeds)" for label in labels]
        if tolerances and judged:
            header += ["tolerance", f"{judged} within"]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for name in names:
            value = real.get(region, {}).get(name, float("nan"))
            cells = [LABELS.get(name, "zero fraction (training trials)"), _fmt(value, name)]
            for label in labels:
                per_seed = [s[name] for s in simulated[label].get(region, [])]
                cells.append(_cell(per_seed, name) if per_seed else "-")
            if tolerances and judged:
                tol = tolerances.get(name)
                per_seed = [s[name] for s in simulated[judged].get(region, [])]
                inside = "-" if tol is None or not per_seed or not np.isfinite(value) else (
                    "yes" if abs(np.mean(per_seed) - value) <= tol else "**no**")
                cells += ["-" if tol is None else f"± {tol:g}", inside]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)

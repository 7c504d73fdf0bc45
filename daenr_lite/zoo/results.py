"""The paper's tables and claims, computed from a pretrained grid's manifest with seed spread.

Everything here reads the entries that :func:`~daenr_lite.zoo.pretrain` wrote (recipe + ``evaluate()``
metrics + significance per model), so notebooks and ``benchmarks/zoo_report.py`` show the same numbers
without training. Spread is mean ± sd over seeds; differences are paired over seeds and judged with the
rule of :mod:`daenr_lite.stats`.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .. import reference
from ..models.registry import model_spec
from ..stats import EFFECT_SD_FACTOR, format_mean_sd, mean_sd, paired_comparison
from .recipe import Recipe
from .store import SHIPPED_ZOO_DIR, read_entries

__all__ = ["entry_row", "grid_rows", "table1", "figure3_counts", "table2", "claim_verdicts", "format_markdown"]

RECONSTRUCTING = ("dae", "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4")
FIGURE3_MODELS = ("dae_probe_1", "dae_probe_2", "dae_probe_3", "dae_probe_4",
                  "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4", "cnn_fr")


def entry_row(entry: dict[str, Any], metrics: str = "metrics") -> dict[str, Any]:
    """One flat row of a store entry: ``model``, ``display``, ``region``, ``seed``, ``group`` ("all", or
    "YES"/"NO" for Table 2 models), ``n_neurons``, ``n_significant``, training facts and every metric.

    ``metrics="metrics_float32"``: the metrics of the float32 weights before float16 storage, where recorded
    (else the stored model's), e.g. to compare builds without the storage rounding.
    """
    r = entry["recipe"]
    sig = entry.get("significance") or {}
    return {
        "model": r["model"], "display": model_spec(r["model"]).display, "region": r["region"],
        "seed": r["seed"], "group": entry.get("group", "all" if r.get("neurons") is None else "subset"),
        "n_neurons": sig.get("n_neurons"), "n_significant": sig.get("n_significant"),
        "epochs": entry.get("epochs"), "best_epoch": entry.get("best_epoch"), "train_seconds": entry.get("train_seconds"),
        "recipe": Recipe.from_dict(r), **(entry.get(metrics) or entry.get("metrics") or {}),
        **entry.get("extra_metrics", {}),
    }


def grid_rows(zoo_dirs: Iterable[str | Path] | None = None, dataset: str = "simulated") -> list[dict[str, Any]]:
    """One :func:`entry_row` per stored model of ``dataset`` with default settings (the pretrained grid)."""
    rows = []
    for folder in zoo_dirs if zoo_dirs is not None else [SHIPPED_ZOO_DIR]:
        for entry in read_entries(Path(folder)).values():
            if entry["recipe"]["dataset"] == dataset:
                rows.append(entry_row(entry))
    return rows


def _values(rows: Sequence[dict[str, Any]], model: str, region: int, key: str, group: str = "all") -> dict[int, float]:
    return {row["seed"]: row[key] for row in rows
            if row["model"] == model and row["region"] == region and row["group"] == group and key in row}


def _paired(a: dict[int, float], b: dict[int, float]):
    seeds = sorted(set(a) & set(b))
    return paired_comparison([a[s] for s in seeds], [b[s] for s in seeds]) if seeds else None


def table1(rows: Sequence[dict[str, Any]], regions: Sequence[int] = (1, 2, 3)) -> list[dict[str, Any]]:
    """Table 1: reconstruction (MSE, PSNR, SSIM, mean ± sd over seeds) of DAE and DAE-NR_1..4 per region,
    with the paired PSNR difference to the DAE and the paper's numbers."""
    table = []
    for region in regions:
        dae_psnr = _values(rows, "dae", region, "psnr")
        for model in RECONSTRUCTING:
            psnr = _values(rows, model, region, "psnr")
            if not psnr:
                continue
            display = model_spec(model).display
            row = {"region": region, "model": display, "n_seeds": len(psnr)}
            for key in ("mse", "psnr", "ssim"):
                row[key] = mean_sd(list(_values(rows, model, region, key).values()))
            row["paper_psnr"] = reference.TABLE1[display][region]["psnr"]
            row["paper_ssim"] = reference.TABLE1[display][region]["ssim"]
            row["psnr_vs_dae"] = None if model == "dae" else _paired(dae_psnr, psnr)
            row["paper_psnr_vs_dae"] = None if model == "dae" else row["paper_psnr"] - reference.TABLE1["DAE"][region]["psnr"]
            table.append(row)
    return table


def figure3_counts(rows: Sequence[dict[str, Any]], regions: Sequence[int] = (1, 2, 3)) -> list[dict[str, Any]]:
    """Figure 3: neurons predicted significantly (p <= 0.05, one-sided t-test on r), mean ± sd over seeds."""
    table = []
    for region in regions:
        for model in FIGURE3_MODELS:
            counts = _values(rows, model, region, "n_significant")
            if not counts:
                continue
            n = next(row["n_neurons"] for row in rows
                     if row["model"] == model and row["region"] == region and row["group"] == "all")
            table.append({"region": region, "model": model_spec(model).display, "key": model, "n_neurons": n,
                          "n_seeds": len(counts), "n_significant": mean_sd(list(counts.values())),
                          "per_seed": [counts[s] for s in sorted(counts)],
                          "test_corr": _mean_sd_or_nan(_values(rows, model, region, "test_corr")),
                          "n_undefined_corr": _mean_sd_or_nan(_values(rows, model, region, "n_undefined_corr"))})
    return table


def _mean_sd_or_nan(values_by_seed: dict[int, float]) -> tuple[float, float]:
    values = [v for v in values_by_seed.values() if v is not None]
    return mean_sd(values) if values else (math.nan, math.nan)


def table2(rows: Sequence[dict[str, Any]], region: int = reference.TABLE2_REGION) -> list[dict[str, Any]]:
    """Table 2: DAE-NR_i trained on only its significant (YES) or insignificant (NO) neurons, mean ± sd over
    seeds, with the paired PSNR difference YES - NO and the held-out test r of each group."""
    table = []
    for layer in (1, 2, 3, 4):
        model = f"dae_nr_{layer}"
        display = model_spec(model).display
        groups = {g: _values(rows, model, region, "psnr", g) for g in ("YES", "NO")}
        if not all(groups.values()):
            continue
        row: dict[str, Any] = {"model": display, "region": region}
        for g in ("YES", "NO"):
            for key in ("psnr", "ssim", "mse", "heldout_test_corr"):
                values = list(_values(rows, model, region, key, g).values())
                row[f"{key}_{g}"] = mean_sd(values) if values else (math.nan, math.nan)
            row[f"n_neurons_{g}"] = mean_sd([r["n_neurons"] for r in rows if r["model"] == model and
                                             r["region"] == region and r["group"] == g])
        row["psnr_yes_minus_no"] = _paired(groups["NO"], groups["YES"])
        paper = reference.TABLE2[display]
        row["paper_psnr_YES"], row["paper_psnr_NO"] = paper["yes"]["psnr"], paper["no"]["psnr"]
        table.append(row)
    return table


def _verdict(comparison, claimed_sign: int, claimed_size: float | None = None) -> str:
    """supported: an effect in the claimed direction; not supported: an effect against it, or no effect although
    the claimed size lies outside mean ± 2 sd; inconclusive otherwise."""
    if comparison is None or comparison.n < 3:
        return "inconclusive"
    if comparison.effect:
        return "supported" if np.sign(comparison.mean) == claimed_sign else "not supported"
    if claimed_size is not None and abs(claimed_size - comparison.mean) > EFFECT_SD_FACTOR * comparison.sd:
        return "not supported"
    return "inconclusive"


def claim_verdicts(rows: Sequence[dict[str, Any]], regions: Sequence[int] = (1, 2, 3)) -> list[dict[str, Any]]:
    """One verdict per testable claim of the paper and region: ``claim``, ``region``, ``verdict``
    ("supported" / "not supported" / "inconclusive") and ``evidence`` (the numbers, in words)."""
    out = []
    for region in regions:
        dae_psnr = _values(rows, "dae", region, "psnr")
        if not dae_psnr:
            continue
        # claim 2: joint learning improves reconstruction (DAE-NR_i vs DAE, best mapping layer of the paper)
        evidence, verdicts = [], []
        for layer in (1, 2, 3, 4):
            comp = _paired(dae_psnr, _values(rows, f"dae_nr_{layer}", region, "psnr"))
            claimed = reference.TABLE1[f"DAE-NR_{layer}"][region]["psnr"] - reference.TABLE1["DAE"][region]["psnr"]
            verdicts.append(_verdict(comp, +1, claimed))
            if comp is not None:
                evidence.append(f"DAE-NR_{layer} - DAE: {_pm(comp, 2)} dB (paper {claimed:+.2f})")
        out.append({"claim": "DAE-NR_i reconstructs better than the DAE (PSNR)", "region": region,
                    "verdict": _combine(verdicts), "evidence": "; ".join(evidence)})
        # claim: more significant neurons with DAE-NR_i than with the DAE (probe on the same layer)
        evidence, verdicts = [], []
        for layer in (1, 2, 3, 4):
            comp = _paired(_values(rows, f"dae_probe_{layer}", region, "n_significant"),
                           _values(rows, f"dae_nr_{layer}", region, "n_significant"))
            verdicts.append(_verdict(comp, +1))
            if comp is not None:
                evidence.append(f"h{layer}: {_pm(comp, 1)} neurons")
        out.append({"claim": "DAE-NR_i: more significant neurons than the DAE (probe on h_i)", "region": region,
                    "verdict": _combine(verdicts), "evidence": "DAE-NR_i - DAE probe: " + "; ".join(evidence)})
        # claim 3: DAE-NR more similar than CNN-FR (significant neurons, best DAE-NR_i per seed)
        cnn = _values(rows, "cnn_fr", region, "n_significant")
        best = {}
        for seed in cnn:
            layer_counts = [_values(rows, f"dae_nr_{l}", region, "n_significant").get(seed) for l in (1, 2, 3, 4)]
            if all(c is not None for c in layer_counts):
                best[seed] = max(layer_counts)
        comp = _paired(cnn, best)
        out.append({"claim": "DAE-NR: more significant neurons than CNN-FR", "region": region,
                    "verdict": _verdict(comp, +1),
                    "evidence": "" if comp is None else f"best DAE-NR_i - CNN-FR: {_pm(comp, 1)} neurons "
                                f"(CNN-FR {format_mean_sd(list(cnn.values()), 1)})"})
    t2 = table2(rows)
    if t2:
        verdicts, evidence = [], []
        for row in t2:
            comp = row["psnr_yes_minus_no"]
            claimed = row["paper_psnr_YES"] - row["paper_psnr_NO"]
            verdicts.append(_verdict(comp, +1, claimed))
            if comp is not None:
                evidence.append(f"{row['model']}: {_pm(comp, 2)} dB (paper {claimed:+.2f})")
        out.append({"claim": "Table 2: training on significant (YES) neurons reconstructs better than on NO",
                    "region": reference.TABLE2_REGION, "verdict": _combine(verdicts), "evidence": "YES - NO: " + "; ".join(evidence)})
    return out


def _pm(comparison, digits: int) -> str:
    """``+0.12 ± 0.05`` (``+0.12 (1 seed)`` without a spread)."""
    if math.isnan(comparison.sd):
        return f"{comparison.mean:+.{digits}f} (1 seed)"
    return f"{comparison.mean:+.{digits}f} ± {comparison.sd:.{digits}f}"


def _combine(verdicts: Sequence[str]) -> str:
    """The claim as the paper states it holds for the mapping layers generally: supported if most layers support
    it and none contradicts it; not supported if most layers contradict it; otherwise inconclusive."""
    n = len(verdicts)
    if verdicts.count("supported") > n / 2 and "not supported" not in verdicts:
        return "supported"
    if verdicts.count("not supported") > n / 2:
        return "not supported"
    return "inconclusive"


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, tuple):
        mean, sd = value
        if math.isnan(mean):
            return "-"
        return f"{mean:.{digits}f}" if math.isnan(sd) else f"{mean:.{digits}f} ± {sd:.{digits}f}"
    if value is None:
        return "-"
    if hasattr(value, "mean") and hasattr(value, "effect"):
        if math.isnan(value.sd):
            return f"{value.mean:+.{digits}f} (1 seed)"
        flag = " (effect)" if value.effect else ""
        return f"{value.mean:+.{digits}f} ± {value.sd:.{digits}f}{flag}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_markdown(table: Sequence[dict[str, Any]], columns: Sequence[str], digits: dict[str, int] | None = None) -> str:
    """A Markdown table of ``columns`` (mean ± sd cells, paired differences marked "(effect)")."""
    digits = digits or {}
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in table:
        lines.append("| " + " | ".join(_fmt(row.get(c), digits.get(c, 3)) for c in columns) + " |")
    return "\n".join(lines)

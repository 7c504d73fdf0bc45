"""The paper's tables and claims, computed from a pretrained grid's manifest with seed spread.

Everything here reads the entries that :func:`~daenr_lite.zoo.pretrain` wrote (recipe + ``evaluate()``
metrics + significance per model), so notebooks and ``benchmarks/zoo_report.py`` show the same numbers
without training. Spread is mean ± sd over seeds; differences are paired over seeds and judged with the
rule of :mod:`daenr_lite.stats`.

Pairing: a row's cell is ``(data_seed, seed)``; two models are compared on the cells both have, and the rows
of one model, region and group must share one setting (the recipe without its seeds), else the tables raise
``ValueError`` instead of silently keeping one of two values. :func:`grid_rows` keeps the default recipes only.

Verdicts (:func:`claim_verdicts`) are decided on a continuous paired measure (PSNR for reconstruction, the
test r for prediction); the paper's significance count stands beside, or "saturated" where the count had no
room to show the claim (see :func:`count_saturated`).
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .. import reference
from ..models.registry import model_spec
from ..stats import (EFFECT_SD_FACTOR, MIN_SEEDS, PairedComparison, effect_rule_characteristics, effect_rule_table,
                     format_mean_sd, holm, mean_sd, paired_comparison)
from .recipe import Recipe
from .store import SHIPPED_ZOO_DIR, read_entries

__all__ = ["entry_row", "grid_rows", "is_default_recipe", "table1", "figure3_counts", "table2", "claim_verdicts",
           "count_saturated", "multiplicity", "rule_report", "format_markdown"]

RECONSTRUCTING = ("dae", "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4")
FIGURE3_MODELS = ("dae_probe_1", "dae_probe_2", "dae_probe_3", "dae_probe_4",
                  "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4", "cnn_fr")


def entry_row(entry: dict[str, Any], metrics: str = "metrics") -> dict[str, Any]:
    """One flat row of a store entry: ``model``, ``display``, ``region``, ``data_seed``, ``seed``, ``group``
    ("all", or "YES"/"NO" for Table 2 models), ``settings`` (the recipe without its seeds and neurons, as
    text), ``n_neurons``, ``n_significant``, training facts and every metric.

    ``metrics="metrics_float32"``: the metrics of the float32 weights before float16 storage, where recorded
    (else the stored model's), e.g. to compare builds without the storage rounding.
    """
    r = entry["recipe"]
    sig = entry.get("significance") or {}
    recipe = Recipe.from_dict(r)
    return {
        "model": r["model"], "display": model_spec(r["model"]).display, "region": r["region"],
        "data_seed": recipe.data_seed, "seed": r["seed"], "settings": _settings(recipe), "group": entry.get("group", "all" if r.get("neurons") is None else "subset"),
        "n_neurons": sig.get("n_neurons"), "n_significant": sig.get("n_significant"),
        "epochs": entry.get("epochs"), "best_epoch": entry.get("best_epoch"), "train_seconds": entry.get("train_seconds"),
        "recipe": recipe, **(entry.get(metrics) or entry.get("metrics") or {}),
        **entry.get("extra_metrics", {}),
    }


def _settings(recipe: Recipe) -> str:
    """The recipe without its seeds and neuron subset: equal for every cell of one grid model."""
    values = recipe.to_dict()
    for key in ("seed", "data_seed", "neurons"):
        values.pop(key)
    values["train_config"] = {k: v for k, v in values["train_config"].items() if k != "seed"}
    return json.dumps(values, sort_keys=True)


def is_default_recipe(recipe: Recipe) -> bool:
    """Whether ``recipe`` has the default model and training settings and all training images (the pretrained
    grid, and Table 2's neuron subsets of it), for any data seed and seed."""
    default = Recipe(recipe.model, recipe.dataset, recipe.region, data_seed=recipe.data_seed, seed=recipe.seed,
                     neurons=recipe.neurons)
    return default.to_dict() == recipe.to_dict()


def grid_rows(zoo_dirs: Iterable[str | Path] | None = None, dataset: str = "simulated") -> list[dict[str, Any]]:
    """One :func:`entry_row` per stored model of ``dataset`` with a default recipe (:func:`is_default_recipe`):
    the pretrained grid, whatever else the store folders hold (quick-mode models, other settings)."""
    rows = []
    for folder in zoo_dirs if zoo_dirs is not None else [SHIPPED_ZOO_DIR]:
        for entry in read_entries(Path(folder)).values():
            if entry["recipe"]["dataset"] == dataset and is_default_recipe(Recipe.from_dict(entry["recipe"])):
                rows.append(entry_row(entry))
    return rows


Cell = tuple  # (data_seed, seed)


def _cell(row: dict[str, Any]) -> Cell:
    return (row.get("data_seed", row["seed"]), row["seed"])


def _values(rows: Sequence[dict[str, Any]], model: str, region: int, key: str, group: str = "all") -> dict[Cell, Any]:
    """``{(data_seed, seed): row[key]}`` of one model, region and group; ``ValueError`` if the rows mix settings
    or hold one cell twice (a value would be lost)."""
    found: dict[Cell, Any] = {}
    settings = set()
    for row in rows:
        if row["model"] == model and row["region"] == region and row["group"] == group and key in row:
            cell = _cell(row)
            settings.add(row.get("settings"))
            if cell in found:
                raise ValueError(f"two rows of {model} region {region} ({group}) for data seed {cell[0]}, seed {cell[1]}; "
                                 "pass one row per model and seed (grid_rows() keeps the default recipes).")
            found[cell] = row[key]
    if len(settings) > 1:
        raise ValueError(f"the rows of {model} region {region} ({group}) mix {len(settings)} different settings; pass "
                         "rows of one setting per model (grid_rows() keeps the default recipes).")
    return found


def _paired(a: dict[Cell, float], b: dict[Cell, float]) -> PairedComparison | None:
    """``b - a`` over the cells both have (None without a common cell or with a missing value)."""
    cells = sorted(c for c in set(a) & set(b) if a[c] is not None and b[c] is not None)
    return paired_comparison([a[c] for c in cells], [b[c] for c in cells]) if cells else None


def _test_r(rows: Sequence[dict[str, Any]], model: str, region: int, group: str = "all") -> dict[Cell, float]:
    """Mean test r over *all* neurons, a constant prediction (undefined r) counted as r = 0: ``test_corr`` (the
    mean over defined neurons) times the defined share. Per cell."""
    out = {}
    for cell, r in _values(rows, model, region, "test_corr", group).items():
        row = next(x for x in rows if x["model"] == model and x["region"] == region and x["group"] == group
                   and _cell(x) == cell)
        n, undefined = row.get("n_neurons"), row.get("n_undefined_corr") or 0
        out[cell] = None if r is None or r != r else (r if not n else r * (n - undefined) / n)
    return out


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
                          "per_seed": [counts[c] for c in sorted(counts)],
                          "test_corr": _mean_sd_or_nan(_values(rows, model, region, "test_corr")),
                          "test_corr_all": _mean_sd_or_nan(_test_r(rows, model, region)),
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


def _verdict(comparison: PairedComparison | None, claimed_sign: int, claimed_size: float | None = None) -> str:
    """supported: an effect in the claimed direction; not supported: an effect against it, or no effect although
    the claimed size lies outside mean ± 2 sd; inconclusive otherwise."""
    if comparison is None or comparison.n < MIN_SEEDS:
        return "inconclusive"
    if comparison.effect:
        return "supported" if np.sign(comparison.mean) == claimed_sign else "not supported"
    if claimed_size is not None and abs(claimed_size - comparison.mean) > EFFECT_SD_FACTOR * comparison.sd:
        return "not supported"
    return "inconclusive"


def count_saturated(n_neurons: dict[Cell, int], behind: dict[Cell, float], claimed_size: float | None = None) -> bool:
    """Whether a significance count *cannot* show "the other model has more significant neurons than
    ``behind``": even if the other model made every neuron significant, the paired differences (the headroom
    ``n_neurons - behind`` per cell) would not be an effect by the rule of :mod:`daenr_lite.stats` (or would
    fall short of ``claimed_size``). Such a count is no evidence either way. Cells as in :func:`_values`."""
    cells = sorted(c for c in set(n_neurons) & set(behind) if n_neurons[c] is not None and behind[c] is not None)
    if len(cells) < MIN_SEEDS:
        return False  # nothing can be decided anyway; "inconclusive" says so
    headroom = [float(n_neurons[c] - behind[c]) for c in cells]
    best = paired_comparison([0.0] * len(cells), headroom)
    return not (best.effect and best.mean > 0) or (claimed_size is not None and best.mean < claimed_size)


def _n_neurons(rows: Sequence[dict[str, Any]], model: str, region: int) -> dict[Cell, int]:
    return _values(rows, model, region, "n_neurons")


def _count_verdict(rows: Sequence[dict[str, Any]], region: int, behind_model: str, behind: dict[Cell, float],
                   comp: PairedComparison | None) -> tuple[str, str]:
    """(verdict of the count that the other model beats ``behind_model``, or "saturated"; per-cell headroom
    ``n_neurons - count of behind_model`` as text)."""
    n = _n_neurons(rows, behind_model, region)
    cells = sorted(set(n) & set(behind))
    headroom = ", ".join(str(int(n[c] - behind[c])) for c in cells)
    if count_saturated(n, behind):
        return "saturated", headroom
    return _verdict(comp, +1), headroom


def _caveat_probe(rows, region: int) -> str:
    constant = []
    for layer in (1, 2, 3, 4):
        undefined = [v for v in _values(rows, f"dae_probe_{layer}", region, "n_undefined_corr").values() if v is not None]
        n = [v for v in _n_neurons(rows, f"dae_probe_{layer}", region).values() if v is not None]
        if undefined and n:
            constant.append(f"h{layer} {format_mean_sd(undefined, 1)} of {n[0]}")
    return ("DAE-NR_i's readout is trained jointly with its encoder; the DAE probe reads a frozen encoder trained "
            "only to reconstruct, so the comparison favours DAE-NR_i partly by construction. Neurons the probe "
            "predicts as a constant (undefined r, counted as r = 0 above): " + ", ".join(constant))


def claim_verdicts(rows: Sequence[dict[str, Any]], regions: Sequence[int] = (1, 2, 3)) -> list[dict[str, Any]]:
    """One verdict per testable claim of the paper and region.

    Keys: ``claim``, ``region``, ``measure`` (the continuous paired measure that decides), ``verdict``
    ("supported" / "not supported" / "inconclusive", from that measure), ``count`` (the paper's significance
    count judged by the same rule, "saturated" where :func:`count_saturated`, "-" where the claim has none),
    ``evidence`` (the numbers, in words), ``caveat`` and ``tests`` (the deciding paired comparisons, for
    :func:`multiplicity`). Test r is the mean over all neurons with a constant prediction counted as 0.
    """
    out = []
    for region in regions:
        dae_psnr = _values(rows, "dae", region, "psnr")
        if not dae_psnr:
            continue
        # claim 2: joint learning improves reconstruction (DAE-NR_i vs DAE, best mapping layer of the paper)
        evidence, verdicts, tests = [], [], []
        for layer in (1, 2, 3, 4):
            comp = _paired(dae_psnr, _values(rows, f"dae_nr_{layer}", region, "psnr"))
            claimed = reference.TABLE1[f"DAE-NR_{layer}"][region]["psnr"] - reference.TABLE1["DAE"][region]["psnr"]
            verdicts.append(_verdict(comp, +1, claimed))
            if comp is not None:
                tests.append(comp)
                evidence.append(f"DAE-NR_{layer} - DAE: {_pm(comp, 2)} dB (paper {claimed:+.2f})")
        out.append({"claim": "DAE-NR_i reconstructs better than the DAE", "region": region,
                    "measure": "PSNR", "verdict": _combine(verdicts), "count": "-",
                    "evidence": "; ".join(evidence), "caveat": "", "tests": tests})
        # claim: DAE-NR_i predicts the neurons better than the DAE (probe on the same layer)
        evidence, verdicts, counts, count_evidence, tests = [], [], [], [], []
        for layer in (1, 2, 3, 4):
            nr, probe = f"dae_nr_{layer}", f"dae_probe_{layer}"
            comp = _paired(_test_r(rows, probe, region), _test_r(rows, nr, region))
            verdicts.append(_verdict(comp, +1))
            if comp is not None:
                tests.append(comp)
                evidence.append(f"h{layer}: {_pm(comp, 3)}")
            probe_counts, nr_counts = (_values(rows, m, region, "n_significant") for m in (probe, nr))
            count_comp = _paired(probe_counts, nr_counts)
            if count_comp is not None:
                verdict, headroom = _count_verdict(rows, region, probe, probe_counts, count_comp)
                counts.append(verdict)
                count_evidence.append(f"h{layer}: {_pm(count_comp, 1)}" + (f" (saturated: headroom {headroom})"
                                                                           if verdict == "saturated" else ""))
        out.append({"claim": "DAE-NR_i predicts the neurons better than the DAE (probe on h_i)", "region": region,
                    "measure": "test r", "verdict": _combine(verdicts), "count": _combine_counts(counts),
                    "evidence": "DAE-NR_i - DAE probe, test r: " + "; ".join(evidence)
                                + "; significant neurons: " + "; ".join(count_evidence),
                    "caveat": _caveat_probe(rows, region), "tests": tests})
        # claim 3: DAE-NR more similar than CNN-FR (best DAE-NR_i per cell)
        cnn_r, cnn_counts = _test_r(rows, "cnn_fr", region), _values(rows, "cnn_fr", region, "n_significant")
        layer_r = [_test_r(rows, f"dae_nr_{l}", region) for l in (1, 2, 3, 4)]
        layer_counts = [_values(rows, f"dae_nr_{l}", region, "n_significant") for l in (1, 2, 3, 4)]
        best_r = {c: max(v[c] for v in layer_r) for c in cnn_r if all(v.get(c) is not None for v in layer_r)}
        best_count = {c: max(v[c] for v in layer_counts) for c in cnn_counts
                      if all(v.get(c) is not None for v in layer_counts)}
        comp, count_comp = _paired(cnn_r, best_r), _paired(cnn_counts, best_count)
        count, evidence = "-", ""
        if comp is not None:
            evidence = (f"best DAE-NR_i - CNN-FR, test r: {_pm(comp, 3)} (CNN-FR "
                        f"{format_mean_sd([v for v in cnn_r.values() if v is not None], 3)})")
        if count_comp is not None:
            count, headroom = _count_verdict(rows, region, "cnn_fr", cnn_counts, count_comp)
            evidence += (f"; significant neurons: {_pm(count_comp, 1)} (CNN-FR "
                         f"{format_mean_sd(list(cnn_counts.values()), 1)}; headroom per seed {headroom})")
        out.append({"claim": "DAE-NR predicts the neurons better than CNN-FR", "region": region,
                    "measure": "test r", "verdict": _verdict(comp, +1), "count": count, "evidence": evidence,
                    "caveat": "best of the four DAE-NR_i per seed, picked on the test set: favours DAE-NR",
                    "tests": [] if comp is None else [comp]})
    t2 = table2(rows)
    if t2:
        verdicts, evidence, tests = [], [], []
        for row in t2:
            comp = row["psnr_yes_minus_no"]
            claimed = row["paper_psnr_YES"] - row["paper_psnr_NO"]
            verdicts.append(_verdict(comp, +1, claimed))
            if comp is not None:
                tests.append(comp)
                evidence.append(f"{row['model']}: {_pm(comp, 2)} dB (paper {claimed:+.2f})")
        sizes = ", ".join(f"{row['model']} {row['n_neurons_NO'][0]:.0f}" for row in t2)
        out.append({"claim": "Table 2: training on significant (YES) neurons reconstructs better than on NO",
                    "region": reference.TABLE2_REGION, "measure": "PSNR", "verdict": _combine(verdicts),
                    "count": "-", "evidence": "YES - NO: " + "; ".join(evidence),
                    "caveat": f"the groups differ in size (NO: {sizes} neurons, mean over seeds); the loss is "
                              "summed over neurons, so a small NO group is nearly a plain DAE", "tests": tests})
    return out


def _combine_counts(verdicts: Sequence[str]) -> str:
    """As :func:`_combine`; "saturated" when most counts are, "-" without any."""
    if not verdicts:
        return "-"
    if verdicts.count("saturated") > len(verdicts) / 2:
        return "saturated"
    return _combine([v for v in verdicts if v != "saturated"])


def multiplicity(verdicts: Sequence[dict[str, Any]], alpha: float = 0.05) -> dict[str, Any]:
    """How many effects the verdict table would show by chance: ``n_tests`` (deciding paired comparisons with at
    least ``MIN_SEEDS`` seeds), ``expected_false_effects`` (sum of each test's false-positive rate, i.e. if no
    claim had any true effect), ``n_effects`` (effects found), ``n_holm`` (p-values that survive Holm's
    correction at family-wise ``alpha``), ``seeds`` (the numbers of seeds of the tests)."""
    tests = [t for v in verdicts for t in v.get("tests", []) if t.n >= MIN_SEEDS]
    rates = [effect_rule_characteristics(t.n).false_positive_rate for t in tests]
    p_values = [0.0 if (t.sd == 0 and t.mean != 0) else t.p_value for t in tests]
    return {"n_tests": len(tests), "expected_false_effects": float(sum(rates)),
            "n_effects": sum(t.effect for t in tests), "n_holm": int(holm(p_values, alpha).sum()) if tests else 0,
            "alpha": alpha, "seeds": sorted({t.n for t in tests})}


def rule_report(verdicts: Sequence[dict[str, Any]] | None = None, seeds: Sequence[int] = (3, 4, 5, 6, 8, 10)) -> str:
    """Markdown: the effect rule's false-positive rate and power per number of seeds
    (:func:`daenr_lite.stats.effect_rule_table`) and, given ``verdicts``, the verdict table's multiplicity."""
    table = effect_rule_table(seeds)
    cols = list(table[0])
    lines = [
        "The rule is a paired t-test with critical value 2 sqrt(n) (n seeds, n - 1 degrees of freedom). Its two-sided "
        "false-positive rate, and its power for a true mean difference of 1 or 2 sd of the paired differences "
        "(noncentral t), per number of seeds:\n",
        format_markdown(table, cols, digits={"t_threshold": 2, "false_positive_rate": 4, **{c: 2 for c in cols[3:]}}),
        "\nThe threshold is fixed in sd units, so more seeds lower the false-positive rate but not the size of the "
        "smallest effect the rule sees: power at 1 sd *falls* with more seeds, and at 2 sd it tends to 0.5. A true "
        "difference of 2 sd of the seed-to-seed differences is missed about 40 % of the time, one of 1 sd most of the "
        "time, whatever the number of seeds; \"no effect\" is not \"no difference\".",
    ]
    if verdicts is not None:
        m = multiplicity(verdicts)
        if m["n_tests"]:
            seeds_text = ", ".join(map(str, m["seeds"]))
            lines.append(
                f"\n**Multiplicity.** The verdict table rests on {m['n_tests']} paired tests ({seeds_text} seeds each); "
                f"if no claim had any true effect, {m['expected_false_effects']:.1f} of them would show an effect by "
                f"chance (the sum of their false-positive rates); {m['n_effects']} show one. We state this instead of "
                f"correcting; for reference, Holm's correction across the table (family-wise {m['alpha']:.0%}, on the "
                f"paired t-tests' p-values) keeps {m['n_holm']} of the {m['n_effects']} effects. The count comparisons "
                "beside them decide nothing and are not counted.")
    return "\n".join(lines)


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

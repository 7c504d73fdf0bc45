"""A λ / mapping-layer sweep's report: the DAE-NR's trade-off between reconstruction (PSNR) and prediction (test r).

After ``daenr-lite pretrain --lam 1e-4 1e-3 1e-2 --layers 1 2 3 4 --output sweep/`` (or ``pretrain(lams=...,
layers=...)``), :func:`write_sweep_report` (``daenr-lite sweep-report sweep/``) writes ``sweep.md`` (one row per
region, mapping layer and λ: mean ± sd over seeds) and one figure, ``sweep_psnr_test_r.png`` (PSNR against test r,
a line per mapping layer through its λ values; :func:`daenr_lite.plotting.plot_lam_sweep`), both with the λ = 0
ends that ``pretrain`` trains beside a sweep (:func:`sweep_references`: the DAE, the frozen-DAE probes, the CNN-FR).
Everything is read from the folder's entries: nothing is trained or evaluated.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..models.registry import model_spec
from .recipe import Recipe
from .store import read_entries

__all__ = ["sweep_rows", "sweep_table", "sweep_references", "sweep_markdown", "write_sweep_report", "SWEEP_FIGURE",
           "SWEEP_MARKDOWN"]

SWEEP_MARKDOWN = "sweep.md"
SWEEP_FIGURE = "sweep_psnr_test_r.png"


def _setting_without_lam(recipe: Recipe) -> str:
    values = recipe.to_dict()
    for key in ("seed", "data_seed", "neurons", "model", "region"):
        values.pop(key)
    values["train_config"] = {k: v for k, v in values["train_config"].items() if k not in ("seed", "lam")}
    return json.dumps(values, sort_keys=True)


def _stored_rows(folder: str | os.PathLike[str], dataset: str) -> list[dict[str, Any]]:
    """One flat dict per model of ``dataset`` trained on all neurons in ``folder`` (its manifest read once):
    ``region``, ``model``, ``kind``, ``layer`` (None for the DAE and CNN-FR), ``lam``, ``seed``, ``data_seed``,
    ``psnr``, ``test_corr``, ``n_significant``, ``n_neurons`` and ``setting`` (the recipe without λ, layer,
    region and seeds)."""
    rows = []
    for entry in read_entries(Path(folder)).values():
        recipe = Recipe.from_dict(entry["recipe"])
        if recipe.dataset != dataset or recipe.neurons is not None:
            continue
        metrics, sig = entry.get("metrics") or {}, entry.get("significance") or {}
        spec = recipe.spec
        rows.append({"region": recipe.region, "model": recipe.model, "kind": spec.kind,
                     "layer": int(spec.layer) if spec.kind in ("dae_nr", "dae_probe") else None,
                     "lam": float(recipe.train_config.lam), "seed": recipe.seed, "data_seed": recipe.data_seed,
                     "psnr": metrics.get("psnr"), "test_corr": metrics.get("test_corr"),
                     "n_significant": sig.get("n_significant"), "n_neurons": sig.get("n_neurons"),
                     "setting": _setting_without_lam(recipe)})
    return rows


def _dae_nr_rows(stored: Sequence[dict[str, Any]], folder: str | os.PathLike[str], dataset: str) -> list[dict[str, Any]]:
    rows = [row for row in stored if row["kind"] == "dae_nr"]
    if not rows:
        raise ValueError(f"no {dataset} DAE-NR models in {folder}; train a sweep into it with `daenr-lite pretrain "
                         f"--dataset {dataset} --lam 1e-4 1e-3 1e-2 --output {folder}`.")
    settings = {row["setting"] for row in rows}
    if len(settings) > 1:
        raise ValueError(f"the DAE-NR models in {folder} differ in {len(settings)} settings besides lambda, layer, "
                         "region and seed (e.g. epochs or training-set size); give each sweep a folder of its own.")
    return sorted(rows, key=lambda r: (r["region"], r["layer"], r["lam"], r["seed"]))


def sweep_rows(folder: str | os.PathLike[str], dataset: str = "simulated") -> list[dict[str, Any]]:
    """One dict per DAE-NR (all neurons) of ``dataset`` stored in ``folder``: ``region``, ``layer``, ``lam``,
    ``seed``, ``psnr``, ``test_corr``, ``n_significant``, ``n_neurons`` (and ``model``, ``kind``, ``setting``).

    ``ValueError`` (one line) if there is none, or if the models differ in more than λ, layer, region and seed
    (two sweeps in one folder would be averaged together)."""
    return _dae_nr_rows(_stored_rows(folder, dataset), folder, dataset)


def _mean_sd(values: Sequence[Any]) -> tuple[float, float]:
    arr = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return float("nan"), float("nan")
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else float("nan")


def _summary(members: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean and sd over the seeds of one setting's rows: ``n_seeds``, ``psnr``, ``psnr_sd``, ``test_corr``,
    ``test_corr_sd``, ``n_significant`` (mean), ``n_neurons``."""
    psnr, psnr_sd = _mean_sd([m["psnr"] for m in members])
    corr, corr_sd = _mean_sd([m["test_corr"] for m in members])
    return {"n_seeds": len(members), "psnr": psnr, "psnr_sd": psnr_sd, "test_corr": corr, "test_corr_sd": corr_sd,
            "n_significant": _mean_sd([m["n_significant"] for m in members])[0],
            "n_neurons": members[0]["n_neurons"]}


def sweep_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and sd over seeds of :func:`sweep_rows` per (region, layer, lam): keys ``region``, ``layer``, ``lam``,
    ``n_seeds``, ``psnr``, ``psnr_sd``, ``test_corr``, ``test_corr_sd``, ``n_significant`` (mean), ``n_neurons``."""
    groups: dict[tuple[int, int, float], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["region"], row["layer"], row["lam"])].append(row)
    return [{"region": region, "layer": layer, "lam": lam, **_summary(members)}
            for (region, layer, lam), members in sorted(groups.items())]


#: the order of the reference rows of each region: the λ = 0 ends, then the responses-only ceiling
_REFERENCE_KINDS = ("dae", "dae_probe", "cnn_fr")


def _references(stored: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    sweep = {row["setting"] for row in stored if row["kind"] == "dae_nr"}
    groups: dict[tuple[int, int, str], list[dict[str, Any]]] = defaultdict(list)
    for row in stored:
        if row["kind"] in _REFERENCE_KINDS and row["setting"] in sweep:
            groups[(row["region"], _REFERENCE_KINDS.index(row["kind"]), row["model"])].append(row)
    return [{"region": region, "model": model, "kind": members[0]["kind"], "layer": members[0]["layer"],
             **_summary(members)} for (region, _, model), members in sorted(groups.items())]


def sweep_references(folder: str | os.PathLike[str], dataset: str = "simulated") -> list[dict[str, Any]]:
    """The λ = 0 ends and the ceiling of a sweep: the DAE (its PSNR), the DAE probes (the frozen DAE's layer h_i
    with a readout: the test r of λ = 0) and the CNN-FR (the test r of a network trained for responses only)
    stored in ``folder`` with the same setting as its DAE-NR models, mean and sd over seeds per region and model.

    Keys ``region``, ``model`` (registry name), ``kind``, ``layer`` (probes; else None) and those of
    :func:`sweep_table`; NaN where the model has no such metric. Empty when the folder holds none of them
    (``pretrain`` trains them beside every sweep)."""
    return _references(_stored_rows(folder, dataset))


def _significant(mean: float, n_neurons: Any) -> str:
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean:.0f} of {n_neurons}" if mean == round(mean) else f"{mean:.1f} of {n_neurons}"


def _pm(mean: float, sd: float, digits: int) -> str:
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean:.{digits}f}" + (f" ± {sd:.{digits}f}" if np.isfinite(sd) else "")


def sweep_markdown(table: Sequence[dict[str, Any]], folder: str | os.PathLike[str], figure: str = SWEEP_FIGURE,
                   references: Sequence[dict[str, Any]] = ()) -> str:
    """The report's Markdown: what was swept, the table (with the :func:`sweep_references` rows of each region
    first), the figure."""
    lams = sorted({row["lam"] for row in table})
    layers = sorted({row["layer"] for row in table})
    regions = sorted({row["region"] for row in table})
    seeds = sorted({row["n_seeds"] for row in table})
    lines = [
        "# λ sweep of the DAE-NR",
        "",
        f"Generated by `daenr-lite sweep-report {folder}` from the store's entries (nothing retrained). "
        f"λ (the response term's weight in MSE + λ (Poisson + readout L1)) ∈ {', '.join(f'{v:g}' for v in lams)}; "
        f"mapping layers {', '.join(f'h{v}' for v in layers)}; region(s) {', '.join(map(str, regions))}; "
        f"{'/'.join(map(str, seeds))} seed(s) per setting (mean ± sd over seeds; no sd with one seed).",
        "",
        "| region | model | λ | seeds | PSNR (dB) | test r | significant neurons |",
        "|---|---|---|---|---|---|---|",
    ]
    daes = {r["region"]: r for r in references if r["kind"] == "dae"}
    for region in regions:
        for ref in [r for r in references if r["region"] == region]:
            if ref["kind"] == "dae":
                name, lam, psnr = "DAE", "0", _pm(ref["psnr"], ref["psnr_sd"], 2)
            elif ref["kind"] == "dae_probe":
                dae = daes.get(region)
                name, lam = f"DAE + readout on h{ref['layer']} (frozen)", "0"
                psnr = "n/a" if dae is None else f"{_pm(dae['psnr'], dae['psnr_sd'], 2)} (the DAE's)"
            else:
                name, lam, psnr = f"{model_spec(ref['model']).display} (responses only)", "-", "-"
            corr = "-" if ref["kind"] == "dae" else _pm(ref["test_corr"], ref["test_corr_sd"], 3)
            sig = "-" if ref["kind"] == "dae" else _significant(ref["n_significant"], ref["n_neurons"])
            lines.append(f"| {region} | {name} | {lam} | {ref['n_seeds']} | {psnr} | {corr} | {sig} |")
        for row in [r for r in table if r["region"] == region]:
            display = model_spec(f"dae_nr_{row['layer']}").display
            lines.append(f"| {row['region']} | {display} | {row['lam']:g} | "
                         f"{row['n_seeds']} | {_pm(row['psnr'], row['psnr_sd'], 2)} | "
                         f"{_pm(row['test_corr'], row['test_corr_sd'], 3)} | "
                         f"{_significant(row['n_significant'], row['n_neurons'])} |")
    lines += ["", f"![PSNR against test r over λ]({figure})", "",
              "Each line is one mapping layer; its filled markers are the λ values (one shape per λ), error bars "
              "± 1 sd over seeds. Where the folder has them, each line starts at λ = 0 (hollow marker: the DAE's PSNR "
              "and the test r of a readout on its frozen layer), the dashed line is the DAE's PSNR and the dotted "
              "line the CNN-FR's test r (trained for the responses only). A larger λ weighs the neural responses "
              "more: the test r should rise and the PSNR fall.", ""]
    return "\n".join(lines)


def write_sweep_report(folder: str | os.PathLike[str], output: str | os.PathLike[str] | None = None, *,
                       dataset: str = "simulated") -> tuple[Path, Path]:
    """Write ``sweep.md`` and ``sweep_psnr_test_r.png`` for the sweep in ``folder`` into ``output`` (default:
    ``folder``); return both paths."""
    import matplotlib.pyplot as plt

    from ..plotting import plot_lam_sweep

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder; give the --output folder of `daenr-lite pretrain --lam ...`.")
    stored = _stored_rows(folder, dataset)
    table = sweep_table(_dae_nr_rows(stored, folder, dataset))
    references = _references(stored)
    target = Path(output) if output is not None else folder
    target.mkdir(parents=True, exist_ok=True)
    fig = plot_lam_sweep(table, references=references)
    figure = target / SWEEP_FIGURE
    fig.savefig(figure, dpi=120)
    plt.close(fig)
    markdown = target / SWEEP_MARKDOWN
    markdown.write_text(sweep_markdown(table, folder, references=references), encoding="utf-8")
    return markdown, figure

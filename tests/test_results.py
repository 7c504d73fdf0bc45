"""The paper's tables and verdicts from stored entries: seed spread, paired differences, the verdict rule."""
from __future__ import annotations

import pytest

from daenr_lite import reference
from daenr_lite.zoo.results import claim_verdicts, figure3_counts, format_markdown, table1, table2

SEEDS = (0, 1, 2)
JITTER = (0.0, 0.4, -0.3)  # seed-to-seed variation shared by every model of a seed


def _rows(psnr_gain=(0.0, 0.0, 0.0), nr_counts=50, probe_counts=40, cnn_counts=60, yes_minus_no=None, regions=(1, 2, 3)):
    """Synthetic entry rows: DAE-NR_i PSNR = DAE + psnr_gain[seed]; counts per model."""
    rows = []
    for region in regions:
        for seed, jitter in zip(SEEDS, JITTER):
            base = 20.0 + jitter
            rows.append({"model": "dae", "region": region, "seed": seed, "group": "all", "psnr": base, "ssim": 0.7,
                         "mse": 0.01, "n_neurons": 100, "n_significant": None})
            for layer in (1, 2, 3, 4):
                rows.append({"model": f"dae_nr_{layer}", "region": region, "seed": seed, "group": "all",
                             "psnr": base + psnr_gain[seed], "ssim": 0.7, "mse": 0.01, "n_neurons": 100,
                             "n_significant": nr_counts + seed, "test_corr": 0.5})
                rows.append({"model": f"dae_probe_{layer}", "region": region, "seed": seed, "group": "all",
                             "n_neurons": 100, "n_significant": probe_counts + seed, "test_corr": 0.4})
            rows.append({"model": "cnn_fr", "region": region, "seed": seed, "group": "all", "n_neurons": 100,
                         "n_significant": cnn_counts + seed, "test_corr": 0.6})
            if yes_minus_no is not None and region == 3:
                for layer in (1, 2, 3, 4):
                    for group, delta, size in (("YES", yes_minus_no[seed], 60), ("NO", 0.0, 40)):
                        rows.append({"model": f"dae_nr_{layer}", "region": 3, "seed": seed, "group": group,
                                     "psnr": base + delta, "ssim": 0.7, "mse": 0.01, "n_neurons": size,
                                     "heldout_test_corr": 0.3})
    return rows


def _verdict(verdicts, claim_start, region):
    return next(v for v in verdicts if v["claim"].startswith(claim_start) and v["region"] == region)


def test_table1_reports_mean_sd_and_paired_differences():
    table = table1(_rows(psnr_gain=(0.5, 0.6, 0.4)))
    dae = next(r for r in table if r["region"] == 3 and r["model"] == "DAE")
    nr = next(r for r in table if r["region"] == 3 and r["model"] == "DAE-NR_1")
    assert dae["psnr"][0] == pytest.approx(20.0 + sum(JITTER) / 3)
    assert nr["psnr_vs_dae"].mean == pytest.approx(0.5) and nr["psnr_vs_dae"].effect  # shared jitter cancels
    assert nr["paper_psnr_vs_dae"] == pytest.approx(reference.TABLE1["DAE-NR_1"][3]["psnr"] - reference.TABLE1["DAE"][3]["psnr"])
    assert "(effect)" in format_markdown(table, ["region", "model", "psnr_vs_dae"])


def test_verdicts_follow_the_stated_rule():
    # a consistent +3 dB gain: supported wherever the paper claims a gain
    verdicts = claim_verdicts(_rows(psnr_gain=(3.0, 2.9, 3.1)))
    assert _verdict(verdicts, "DAE-NR_i reconstructs", 3)["verdict"] == "supported"
    # a consistent loss: not supported
    assert _verdict(claim_verdicts(_rows(psnr_gain=(-0.5, -0.6, -0.4))), "DAE-NR_i reconstructs", 3)["verdict"] == "not supported"
    # no effect, but the spread is tight enough to exclude the paper's +2.7 dB of region 3: not supported
    tight = claim_verdicts(_rows(psnr_gain=(0.05, -0.05, 0.0)))
    assert _verdict(tight, "DAE-NR_i reconstructs", 3)["verdict"] == "not supported"
    # no effect and a spread that includes the paper's size: inconclusive
    noisy = claim_verdicts(_rows(psnr_gain=(4.0, -3.0, 1.0)))
    assert _verdict(noisy, "DAE-NR_i reconstructs", 3)["verdict"] == "inconclusive"
    # counts: DAE-NR 10 above the probe on every seed, 10 below CNN-FR
    assert _verdict(verdicts, "DAE-NR_i: more", 1)["verdict"] == "supported"
    cnn = _verdict(verdicts, "DAE-NR: more significant neurons than CNN-FR", 2)
    assert cnn["verdict"] == "not supported" and "-10.0" in cnn["evidence"]


def test_table2_and_its_verdict():
    rows = _rows(yes_minus_no=(0.1, 0.0, -0.1))
    (t2_row, *_rest) = table2(rows)
    assert t2_row["n_neurons_YES"][0] == 60 and t2_row["psnr_yes_minus_no"].mean == pytest.approx(0.0)
    verdict = _verdict(claim_verdicts(rows), "Table 2: training", 3)
    assert verdict["verdict"] == "not supported"  # the paper's +4.6/+2.5/+3.8 dB lie far outside 0 ± 0.2
    assert figure3_counts(rows, [3])[0]["per_seed"] == [40, 41, 42]


def test_one_seed_is_never_an_effect():
    rows = [r for r in _rows(psnr_gain=(3.0, 3.0, 3.0)) if r["seed"] == 0]
    assert {v["verdict"] for v in claim_verdicts(rows)} == {"inconclusive"}
    assert "(1 seed)" in claim_verdicts(rows)[0]["evidence"]


def test_figure3_counts_the_neurons_of_the_models_trained_on_all_of_them():
    """Region 3 also holds Table 2's DAE-NR_i trained on a neuron subset; Figure 3's neuron count must come from
    the model trained on all neurons (it once showed a YES/NO group's size, e.g. 33 of 102)."""
    rows = _rows(yes_minus_no=(0.1, 0.2, 0.3))
    yes_first = sorted(rows, key=lambda r: r["group"] == "all")  # subset rows before the full models
    counts = {(r["region"], r["key"]): r["n_neurons"] for r in figure3_counts(yes_first, [3])}
    assert counts[(3, "dae_nr_1")] == 100 and counts[(3, "cnn_fr")] == 100

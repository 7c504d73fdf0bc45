"""The paper's tables and verdicts from stored entries: seed spread, paired differences, the verdict rule."""
from __future__ import annotations

import pytest

from daenr_lite import reference
from daenr_lite.zoo.results import (claim_verdicts, count_saturated, figure3_counts, format_markdown, multiplicity,
                                    rule_report, table1, table2)

SEEDS = (0, 1, 2)
JITTER = (0.0, 0.4, -0.3)  # seed-to-seed variation shared by every model of a seed


def _rows(psnr_gain=(0.0, 0.0, 0.0), nr_counts=50, probe_counts=40, cnn_counts=60, yes_minus_no=None, regions=(1, 2, 3),
          cnn_r=(0.6, 0.6, 0.6)):
    """Synthetic entry rows: DAE-NR_i PSNR = DAE + psnr_gain[seed]; counts per model; test r 0.5 (DAE-NR_i),
    0.4 (probes, 10 of 100 neurons constant: 0.36 over all neurons), cnn_r[seed] (CNN-FR)."""
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
                             "n_neurons": 100, "n_significant": probe_counts + seed, "test_corr": 0.4,
                             "n_undefined_corr": 10})
            rows.append({"model": "cnn_fr", "region": region, "seed": seed, "group": "all", "n_neurons": 100,
                         "n_significant": min(100, cnn_counts + seed), "test_corr": cnn_r[seed]})
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
    # test r: DAE-NR 0.14 above the probe (over all neurons) on every seed, 0.1 below CNN-FR; counts +10 / -10
    probe = _verdict(verdicts, "DAE-NR_i predicts", 1)
    assert probe["verdict"] == "supported" and probe["count"] == "supported" and "+0.140" in probe["evidence"]
    assert probe["measure"] == "test r" and "h1 10.0 ± 0.0 of 100" in probe["caveat"]  # constant predictions
    cnn = _verdict(verdicts, "DAE-NR predicts the neurons better than CNN-FR", 2)
    assert cnn["verdict"] == "not supported" and cnn["count"] == "not supported"
    assert "-0.100" in cnn["evidence"] and "-10.0" in cnn["evidence"]


def test_table2_and_its_verdict():
    rows = _rows(yes_minus_no=(0.1, 0.0, -0.1))
    (t2_row, *_rest) = table2(rows)
    assert t2_row["n_neurons_YES"][0] == 60 and t2_row["psnr_yes_minus_no"].mean == pytest.approx(0.0)
    verdict = _verdict(claim_verdicts(rows), "Table 2: training", 3)
    assert verdict["verdict"] == "not supported"  # the paper's +4.6/+2.5/+3.8 dB lie far outside 0 ± 0.2
    assert figure3_counts(rows, [3])[0]["per_seed"] == [40, 41, 42]


def test_a_count_without_headroom_is_saturated_and_the_test_r_decides():
    """CNN-FR makes 99, 100, 100 of 100 neurons significant: even a model predicting every neuron would be ahead
    by 1, 0, 0, no effect, so the count cannot show "DAE-NR beats CNN-FR"; the test r can (issue 19)."""
    verdicts = claim_verdicts(_rows(cnn_counts=99, nr_counts=97, cnn_r=(0.45, 0.44, 0.46)))
    cnn = _verdict(verdicts, "DAE-NR predicts the neurons better than CNN-FR", 3)
    assert cnn["count"] == "saturated" and "headroom per seed 1, 0, 0" in cnn["evidence"]
    assert cnn["verdict"] == "supported"  # 0.5 against 0.45 ± 0.01 on every seed
    # with headroom (CNN-FR 60-62 of 100) the count is evidence again
    assert _verdict(claim_verdicts(_rows()), "DAE-NR predicts the neurons better than CNN-FR", 3)["count"] == "not supported"


def test_saturation_asks_whether_the_best_possible_count_would_be_an_effect():
    n = {(s, s): 100 for s in range(5)}
    assert count_saturated(n, {c: 100 for c in n})
    assert count_saturated(n, dict(zip(n, (98, 100, 99, 100, 100))))  # headroom 2, 0, 1, 0, 0: mean 0.6 < 2 sd
    assert not count_saturated(n, dict(zip(n, (97, 98, 97, 98, 97))))  # headroom 2-3 on every seed
    assert count_saturated(n, dict(zip(n, (97, 98, 97, 98, 97))), claimed_size=10)  # cannot reach the paper's size


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


def _store(folder, cells, extra=()):
    """A store folder whose manifest holds DAE and DAE-NR_1 entries for ``cells`` ((data seed, seed, gain)):
    DAE PSNR 20 + data seed, DAE-NR_1 that + gain; plus ``extra`` (recipe, psnr) entries."""
    import json

    from daenr_lite.zoo.recipe import Recipe

    from daenr_lite.zoo import store

    def entry(recipe, psnr):
        value = {"key": recipe.key(), "recipe": recipe.to_dict(), "metrics": {"psnr": psnr, "ssim": 0.7, "mse": 0.01}}
        if hasattr(store, "record_sha256"):  # entries are sealed where the store verifies them
            value["record_sha256"] = store.record_sha256(value)
        return value

    models = {}
    for data_seed, seed, gain in cells:
        for model, psnr in (("dae", 20.0 + data_seed), ("dae_nr_1", 20.0 + data_seed + gain)):
            recipe = Recipe(model, "simulated", 1, data_seed=data_seed, seed=seed)
            models[recipe.key()] = entry(recipe, psnr)
    for recipe, psnr in extra:
        models[recipe.key()] = entry(recipe, psnr)
    (folder / "manifest.json").write_text(json.dumps({"format": "daenr-lite-store", "models": models}))
    return folder


def test_rows_are_paired_by_data_seed_and_seed_and_the_grid_keeps_default_recipes(tmp_path):
    """Issue 19: rows were keyed by the training seed only and the grid was not filtered to default recipes,
    so a store mixing data seeds (or holding quick-mode models) silently overwrote values."""
    from daenr_lite.config import TrainConfig
    from daenr_lite.zoo.recipe import Recipe
    from daenr_lite.zoo.results import grid_rows

    quick = Recipe("dae_nr_1", "simulated", 1, data_seed=0, seed=0, n_train=100)
    other = Recipe("dae", "simulated", 1, data_seed=0, seed=0, train_config=TrainConfig(max_epochs=3))
    cells = [(0, 0, 1.0), (1, 1, 1.1), (2, 2, 0.9), (0, 1, 1.0)]  # data seed 0 with training seeds 0 and 1
    rows = grid_rows([_store(tmp_path, cells, extra=[(quick, -50.0), (other, 99.0)])])
    assert len(rows) == 8 and {(r["data_seed"], r["seed"]) for r in rows} == {(d, s) for d, s, _ in cells}
    nr = next(r for r in table1(rows, [1]) if r["model"] == "DAE-NR_1")
    assert nr["n_seeds"] == 4 and nr["psnr_vs_dae"].n == 4
    assert nr["psnr_vs_dae"].mean == pytest.approx(1.0) and nr["psnr_vs_dae"].effect


def test_rows_of_two_settings_or_a_cell_twice_are_refused():
    rows = _rows()
    twice = rows + [dict(next(r for r in rows if r["model"] == "dae_nr_1" and r["region"] == 1))]
    with pytest.raises(ValueError, match="two rows of dae_nr_1 region 1"):
        claim_verdicts(twice)
    mixed = [dict(r, settings="quick") if r["model"] == "dae" and r["seed"] == 2 else r for r in rows]
    with pytest.raises(ValueError, match="mix 2 different settings"):
        table1(mixed)


def test_multiplicity_and_the_rule_report():
    verdicts = claim_verdicts(_rows(psnr_gain=(3.0, 2.9, 3.1), yes_minus_no=(0.1, 0.0, -0.1)))
    m = multiplicity(verdicts)
    assert m["n_tests"] == 3 * (4 + 4 + 1) + 4 and m["seeds"] == [3]
    assert m["expected_false_effects"] == pytest.approx(31 * 0.0742, abs=0.01)
    assert m["n_effects"] == 27  # every region's comparisons; Table 2's 0 ± 0.1 is none
    text = rule_report(verdicts)
    assert "31 paired tests" in text and "2.3 of them" in text and "of the 27 effects" in text and "| 3 | 3.46 | 0.0742 | 0.25 | 0.61 | 2.67 |" in text

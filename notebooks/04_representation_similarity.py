# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Representation similarity: is the model like V1?
#
# Notebook 03 asked whether neural data helps the auto-encoder's *task*. This notebook asks the converse
# question of the paper: does training with neural data make the model's *representation* more similar to
# the brain's — and more than a model trained only to predict the neurons (CNN-FR)?
#
# **Time:** about 50 minutes for the whole notebook. Each section is marked *core* (the 90-minute
# course path), *extended* (the 3 x 90-minute path adds it), *bonus* or *discussion*, with its minutes and
# the time so far; docs/course.md has the course paths and the instructor notes, and
# `daenr-lite make-student --path 90min` hands one path out.
#
# ## Learning goals
# - Count the neurons a model predicts **significantly** (the paper's Figure 3), and give the DAE a fair
#   chance with a readout *probe* on its frozen layers — and see how much a probe-free count differs.
# - Compare whole representations with RSA, linear CKA and linear predictivity, layer by layer.
# - Read every similarity number against two references: a **noise ceiling** (the best possible value given
#   the trial-to-trial noise) and a **permutation null** (what chance gives).

# %%
# Open anywhere: where daenr-lite is not installed (e.g. a fresh Colab runtime) this installs it from
# $DAENR_LITE_SOURCE, else from the course's address below; where daenr-lite is installed it does nothing.
import importlib.util
import os
import subprocess
import sys


class CourseSetupError(Exception):
    def _render_traceback_(self):  # Jupyter shows this one line instead of a traceback
        return [f"{type(self).__name__}: {self}"]


if importlib.util.find_spec("daenr_lite") is None:
    # the course's address: set by `daenr-lite make-student --install-source`
    DAENR_LITE_SOURCE = os.environ.get("DAENR_LITE_SOURCE") or "git+https://github.com/YOUR-COURSE/daenr-lite"
    if "/YOUR-COURSE/" in DAENR_LITE_SOURCE:
        raise CourseSetupError(
            "daenr-lite is not installed and this notebook does not know your course's copy: ask your instructor "
            "for its address and run `%env DAENR_LITE_SOURCE=<address>` before this cell (instructors: write it "
            "into the student notebooks with `daenr-lite make-student --install-source <address>`)."
        )
    if subprocess.run([sys.executable, "-m", "pip", "install", "-q", DAENR_LITE_SOURCE]).returncode != 0:
        raise CourseSetupError(f"pip could not install daenr-lite from {DAENR_LITE_SOURCE} (its message is above); "
                               "check the address with your instructor.")

# %% tags=["parameters"]
import os

MODE = None  # "pretrained" (default), "quick" or "full"; None reads $DAENR_MODE
SEED = 0
DEVICE = "auto"  # "auto" picks CUDA / Apple MPS when available, else the CPU
DATASET = "simulated"  # or "antolik2016" (real recordings; download them first)
REGION = 1  # recording region 1, 2 or 3
OUTPUT_DIR = os.environ.get("DAENR_OUTPUT_DIR", "outputs")  # metrics and figures go here

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from daenr_lite import layer_profile, setup
from daenr_lite import plotting
from daenr_lite.exercises import check_benjamini_hochberg, check_linear_cka, check_significance_test
from daenr_lite.grading import choose, grade
from daenr_lite.notebook_utils import format_table, record_metrics, show_figure
from daenr_lite.similarity import MEASURES, best_unit_significance, layer_features
from daenr_lite.stats import format_mean_sd, paired_comparison

session = setup("04", MODE, SEED, DEVICE, DATASET, REGION, OUTPUT_DIR)
data = session.data()
LAYERS = (1, 2, 3, 4)  # mapping layers of DAE-NR and probed layers of the DAE

# %% [markdown]
# ## The models
# *extended · about 5 min · 5 min so far*
#
# We use the plain DAE, DAE-NR$_i$ for every layer and the CNN-FR, for every seed of this mode (by default
# converged models from the pretrained zoo). The DAE predicts no responses, so to ask "which neurons does the
# DAE's representation explain?" we freeze it and train only a factorized readout (the same one DAE-NR$_i$
# uses) on its layer $h_i$: a **probe** (`dae_probe_i` in the zoo). "DAE + probe on $h_i$" and "DAE-NR$_i$"
# then differ in one thing only — whether the encoder learned with the neural responses.
#
# A probe is trained, with many weights per neuron, so it may find more than the paper's (unstated) method
# did. The probe-free extreme, **best unit**: for each neuron, the single unit of $h_i$ (one channel at one
# position) that correlates best with it on the *training* images is its prediction on the *test* images.
#
# ## Which neurons does each model explain? (paper Figure 3; with two coding exercises)
# *core · about 5 min · 10 min so far*
#
# For every neuron we correlate the model's predicted responses to the $M = 50$ test images with the
# trial-averaged recorded responses and test $H_0: \rho \le 0$ with the $t$ statistic
# $t = r\sqrt{(M-2)/(1-r^2)}$. A neuron is *significant* when $p \le 0.05$. (With 50 images, $r \gtrsim 0.24$.)
# On ~100 neurons, about 5 pass by chance even for a useless model.
#
# ### Coding exercise 1: the significance test
# *core · about 5 min · 15 min so far*
#
# Write `significance_test(r, n_images)`: for correlations `r` (one per neuron) over `n_images` images, the
# $t$ statistic above and its one-sided $p$-value $P(T_{n-2} \ge t)$ (`scipy.stats.t.sf`). Return `(t, p)`.

# %% [markdown]
# *Example* (daenr-lite's solution): `significance_test(np.array([0.3, 0.0, -0.3]), 50)` gives
# `(array([ 2.1788,  0.    , -2.1788]), array([0.0171, 0.5   , 0.9829]))`: only a positive correlation can be
# significant. The probe-free counts below use your function once it passes.

# %% nbgrader={"grade": false, "grade_id": "significance_test", "locked": false, "schema_version": 3, "solution": true, "task": false}
from scipy import stats


def significance_test(r, n_images):
    """r (neurons,), n_images -> (t, one-sided p), each (neurons,)."""
    # Outline: uncomment, fill in each ... and delete the `raise NotImplementedError()` below.
    # t = ...
    # return t, stats.t.sf(t, df=...)
    ### BEGIN SOLUTION
    t = r * np.sqrt((n_images - 2) / (1 - r**2))
    return t, stats.t.sf(t, df=n_images - 2)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_significance_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
grade(check_significance_test, significance_test)

# %% [markdown]
# ### Coding exercise 2: Benjamini-Hochberg
# *extended · about 8 min · 23 min so far*
#
# Testing ~100 neurons at $\alpha = 0.05$ lets about 5 useless ones through. The Benjamini-Hochberg
# procedure controls the *false discovery rate* instead: sort the $m$ p-values, multiply the $k$-th smallest
# by $m / k$, then make the result monotone (going from the largest p-value down, each adjusted value is the
# minimum of itself and the one above it), and cap at 1. Write `benjamini_hochberg(p)` returning the adjusted
# p-values in the original order.
#
# *Example* (daenr-lite's solution): `benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))` gives
# `array([0.04  , 0.0533, 0.0533, 0.5   ])`: sorted, $0.01 \cdot 4/1$, $0.03 \cdot 4/2$, $0.04 \cdot 4/3$,
# $0.5 \cdot 4/4$; the second is then lowered to the third's 0.0533 (monotone), and each goes back to its
# place. The printed line below the significance table uses your function once it passes.

# %% nbgrader={"grade": false, "grade_id": "benjamini_hochberg", "locked": false, "schema_version": 3, "solution": true, "task": false}
def benjamini_hochberg(p):
    """(m,) p-values -> (m,) BH-adjusted p-values, same order."""
    # Hints: order = np.argsort(p) sorts (the k-th smallest p has rank k = 1..m); np.minimum.accumulate(x[::-1])[::-1]
    # is the running minimum from the largest p down; adjusted[order] = ... puts values back in the input's order.
    ### BEGIN SOLUTION
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(ranked, 1.0)
    return adjusted
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_benjamini_hochberg", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
grade(check_benjamini_hochberg, benjamini_hochberg)

# %% nbgrader={"grade": false, "grade_id": "significance_test_used", "locked": true, "schema_version": 3, "solution": false, "task": false}
use_test = choose(significance_test)  # the probe-free counts: p per neuron
use_bh = choose(benjamini_hochberg)  # the same counts after the correction (printed below the table)
NAMES = ([f"dae_probe_{i}" for i in LAYERS] + [f"dae_nr_{i}" for i in LAYERS] + ["cnn_fr"])
rows = session.rows(NAMES)  # one row per model and seed; the significance counts are stored with each model
counts, counts_bh = {}, {}
for name in NAMES:
    runs = [row for row in rows if row["model"] == name]
    counts[runs[0]["display"]] = [row["n_significant"] for row in runs]
for layer in LAYERS:  # probe-free: units chosen on the training images, tested on the test images
    label = f"DAE (best unit h{layer})"
    counts[label], counts_bh[label] = [], []
    for seed in session.seeds:
        found = best_unit_significance(session.model("dae", seed=seed), session.data(seed=seed), layer)[0]
        p = np.asarray(use_test(found.r, found.n_stimuli)[1], dtype=float)
        counts[label].append(int(np.sum(p <= 0.05)))
        counts_bh[label].append(int(np.sum(np.asarray(use_bh(p), dtype=float) <= 0.05)))
order = [f"DAE (best unit h{i})" for i in LAYERS] + [f"DAE (probe h{i})" for i in LAYERS] + \
        [f"DAE-NR_{i}" for i in LAYERS] + ["CNN-FR"]
print(f"neurons predicted significantly (of {data.n_neurons}), seeds {list(session.seeds)}:")
print(format_table([{"model": m, "n_significant": format_mean_sd(counts[m], 1), "per seed": counts[m]} for m in order],
                   ["model", "n_significant", "per seed"]))
show_figure(plotting.plot_seed_comparison({m: counts[m] for m in order}, metric="significant neurons",
                                          title=f"Neurons predicted significantly (p <= 0.05), {data.name}",
                                          chance=0.05 * data.n_neurons,
                                          chance_label=f"expected by chance: 0.05 x {data.n_neurons} neurons"),
            "04_significant_counts", OUTPUT_DIR)
print("best unit, after Benjamini-Hochberg (FDR 0.05): "
      + "; ".join(f"h{layer} {format_mean_sd(counts_bh[f'DAE (best unit h{layer})'], 1)}" for layer in LAYERS))

# %% [markdown]
# Bars: mean over seeds with ± 1 sd; dots: single seeds; dotted red: the count expected by chance alone (at
# $p \le 0.05$ about 5 % of neurons pass even when a model predicts nothing). The paper reports, for region 3, 6 of 102 neurons for
# the DAE and 38–47 for DAE-NR (depending on the mapping layer), and more for DAE-NR than for CNN-FR in all
# regions. It does not say how a DAE, which has no readout, was made to predict neurons, so the DAE count
# depends on the method. In the default mode both DAE methods find 16–34 of 103 neurons (means per layer),
# the DAE-NR variants 66–87 and the CNN-FR 90: it leaves 10–18 neurons per seed, so the count has room to
# show a model above it. Paired over seeds:

# %%
nr_vs_probe = {layer: paired_comparison(counts[f"DAE (probe h{layer})"], counts[f"DAE-NR_{layer}"]) for layer in LAYERS}
for layer, comparison in nr_vs_probe.items():
    print(f"DAE-NR_{layer} - DAE probe h{layer}: {comparison.describe(1)}")
best_nr = [max(counts[f"DAE-NR_{i}"][k] for i in LAYERS) for k in range(len(session.seeds))]
nr_vs_cnn = paired_comparison(counts["CNN-FR"], best_nr)
print(f"best DAE-NR_i - CNN-FR: {nr_vs_cnn.describe(1)}")

# %% [markdown]
# **Think!** A random prediction makes about 5 of 100 neurons "significant". Would you report a model with
# 8 significant neurons as explaining V1?
#
# <details><summary>Answer</summary>
#
# No: 8 is within what chance gives (the number of false positives is roughly binomial(100, 0.05): 5 ± 2).
# Compare with the count a shuffled or untrained model gets, or correct for multiple tests
# (`neuron_significance(..., correction="fdr_bh")`, the procedure of exercise 2).
# </details>
#
# ## Whole-representation similarity, layer by layer (with a coding exercise)
# *core · about 10 min · 33 min so far*
#
# Three ways to compare a layer's features $X$ (test images × units) with the responses $Y$ (test images ×
# neurons, trial-averaged):
#
# - **RSA**: build each side's representational dissimilarity matrix, $D_{ij} = 1 - \operatorname{corr}(x_i, x_j)$
#   over image pairs $(i, j)$, and correlate the two matrices (Spearman).
# - **Linear CKA**: $\mathrm{CKA}(X, Y) = \frac{\lVert Y^\top X \rVert_F^2}{\lVert X^\top X \rVert_F \, \lVert Y^\top Y \rVert_F}$
#   for column-centred $X, Y$: 1 when the representations agree up to rotation and scale.
# - **Linear predictivity**: cross-validated ridge regression from $X$ to each neuron; mean held-out $r$.
#
# **Noise ceiling**: for RSA and CKA, the measure between two halves of the repeats, corrected to the full
# number of repeats (Spearman-Brown) and square-rooted, because a perfect model is noise-free on one side
# only. It is an *estimate* of what the noise-free signal would score, not a hard bound: the correction
# assumes the measure behaves like a correlation, and a model can land slightly above it (on the simulated
# data the true noise-free rates score 1.01 times the RSA ceiling of region 1). For predictivity the
# two halves go through the same cross-validated ridge (one half predicts the other), then Spearman-Brown:
# the score an independent replicate of the recording would reach, mapping error included; with very noisy
# or few repeats a noise-free model can exceed it (see `daenr_lite/similarity/ceilings.py`). **Null**: the
# measure after shuffling which image the model features belong to; in the figure a dotted line per model marks
# the 95th percentile of its null. Plain linear CKA has a high chance level on 50 images (see `null_mean` in the
# table below: far from 0), so read CKA against its null, not against 0.
#
# ### Coding exercise 3: linear CKA
# *extended · about 7 min · 40 min so far*
#
# Write `linear_cka(X, Y)` for (stimuli, units) arrays with the formula above (centre each column first).

# %% [markdown]
# *Example* (daenr-lite's solution): for `X = np.array([[1., 0.], [0., 1.], [1., 1.], [0., 0.], [2., 1.]])`,
# `linear_cka(X, 2 * X @ np.array([[0., 1.], [-1., 0.]]))` gives `1.0` (rotated and scaled),
# `linear_cka(X, X[:, :1])` `0.9261` and `linear_cka(X, X[:, 1:])` `0.4743` (one unit of the two). The
# "mean over seeds" of CKA in the layer profiles below is computed with your function once it passes.

# %% nbgrader={"grade": false, "grade_id": "linear_cka", "locked": false, "schema_version": 3, "solution": true, "task": false}
def linear_cka(X, Y):
    """Linear CKA of two (stimuli, units) representations."""
    # Outline: uncomment, fill in each ... and delete the `raise NotImplementedError()` below.
    # X, Y = ..., ...     # centre each unit (column) over the stimuli
    # return float(...)   # np.linalg.norm of a matrix is its Frobenius norm
    ### BEGIN SOLUTION
    X = X - X.mean(axis=0)
    Y = Y - Y.mean(axis=0)
    return float(np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_linear_cka", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
grade(check_linear_cka, linear_cka)

# %% nbgrader={"grade": false, "grade_id": "linear_cka_used", "locked": true, "schema_version": 3, "solution": false, "task": false}
use = choose(linear_cka)  # CKA's mean over seeds below; its value, null and ceiling are daenr-lite's


def cka_of_layer(features, responses):
    """Linear CKA by `use`, the layer's units first rotated onto their principal axes (at most one per image):
    a rotation of the units does not change CKA, and X^T X of h1's 15,376 units would take gigabytes."""
    features = np.asarray(features, dtype=float)
    axes = np.linalg.svd(features - features.mean(axis=0), full_matrices=False)[2]
    return use(features @ axes.T, np.asarray(responses, dtype=float))


PER_SEED = {**MEASURES, "cka": cka_of_layer}
PROFILED = {"DAE": "dae", "DAE-NR_2": "dae_nr_2", "CNN-FR": "cnn_fr"}
PERMUTATIONS = {"rsa": session.preset.n_permutations, "cka": session.preset.n_permutations,
                "predictivity": max(20, session.preset.n_permutations // 10)}  # a predictivity shuffle refits ridge
profiles, spreads, ceilings, nulls, profile_rows = {}, {}, {}, {}, []
for measure, n_perm in PERMUTATIONS.items():
    profiles[measure], spreads[measure], nulls[measure] = {}, {}, {}
    for label, name in PROFILED.items():
        # null and ceiling on the featured seed; the value on every seed
        table = layer_profile(session.model(name), data, measure, n_permutations=n_perm, seed=SEED, progress=False)
        per_seed = [[PER_SEED[measure](feats, session.data(seed=seed).test_responses.mean(axis=0))
                     for feats in layer_features(session.model(name, seed=seed), session.data(seed=seed).test_images)]
                    for seed in session.seeds]
        profiles[measure][label] = list(np.mean(per_seed, axis=0))
        spreads[measure][label] = list(np.std(per_seed, axis=0, ddof=1)) if len(per_seed) > 1 else [0.0] * 4
        nulls[measure][label] = [row["null_95"] for row in table]
        ceilings[measure] = table[0]["ceiling"]
        profile_rows += [{"measure": measure, "model": label, **row,
                          "mean over seeds": profiles[measure][label][k]} for k, row in enumerate(table)]
print(f"value, null and ceiling: seed {SEED}; 'mean over seeds': seeds {list(session.seeds)}")
print(format_table(profile_rows, ["measure", "model", "layer", "value", "mean over seeds", "null_mean", "null_95",
                                  "p_value", "ceiling", "normalized"]))

# %%
show_figure(plotting.plot_layer_profiles(profiles, ceiling=ceilings, null=nulls, spread=spreads,
                                         title=f"Similarity of each layer to {data.name}"),
            "04_layer_profiles", OUTPUT_DIR)

# %% [markdown]
# Lines: mean over seeds (± 1 sd); dotted, in each model's colour: the 95th percentile of its
# shuffled-stimulus null on the featured seed (chance); dashed black: the noise ceiling (of seed `SEED`'s
# data; the other seeds' ceilings are close). In the default mode the CNN-FR reaches the highest similarity by
# all three measures (at $h_4$) and becomes more similar from $h_1$ to $h_4$. At its mapping layer $h_2$,
# DAE-NR$_2$'s CKA (about 0.53 over seeds) is above the CNN-FR's there (0.45) and its predictivity as high;
# its raw CKA is also higher than the DAE's, but raw values of two models are not comparable: each model's
# chance level differs (its null depends on the layer's units), and in the default mode DAE-NR$_2$'s 95 % null
# at $h_2$ lies above the DAE's value there. Compare how far each value lies above its *own* null (printed
# below, with every layer's verdict against its null). A permutation $p$-value cannot go below
# $1 / (1 + n_\text{permutations})$, so with few shuffles "p = 0.005" means "above every shuffle", nothing
# smaller. The summary below is computed from the table:

# %%
above_chance = {measure: sum(row["value"] > row["null_95"] for row in profile_rows if row["measure"] == measure)
                for measure in PERMUTATIONS}
for measure in PERMUTATIONS:
    best_row = max((row for row in profile_rows if row["measure"] == measure), key=lambda row: row["mean over seeds"])
    print(f"{measure}: highest {best_row['model']} {best_row['layer']} = {best_row['mean over seeds']:.3f} "
          f"(mean over seeds; {best_row['mean over seeds'] / best_row['ceiling']:.0%} of the ceiling "
          f"{best_row['ceiling']:.3f}); {above_chance[measure]} of {len(PROFILED) * 4} layers above the 95% null (seed {SEED})")
for row in (row for row in profile_rows if row["measure"] == "cka" and row["layer"] == "h2"):
    print(f"cka at h2, {row['model']}: {row['value']:.3f}, its own null's 95th percentile {row['null_95']:.3f} "
          f"-> {row['value'] - row['null_95']:+.3f} above it (seed {SEED})")

# %%
saved = record_metrics(
    OUTPUT_DIR, "04", mode=session.mode, seeds=list(session.seeds), n_neurons=data.n_neurons,
    significant=counts, profiles=profiles, ceilings=ceilings, above_chance=above_chance,
    nr_vs_probe={f"h{layer}": {"mean": c.mean, "effect": c.effect} for layer, c in nr_vs_probe.items()},
    nr_vs_cnn={"mean": nr_vs_cnn.mean, "effect": nr_vs_cnn.effect},
)
print(f"key numbers saved to {saved}")

# %% [markdown]
# ## Summary: what you learned
#
# - The paper's Figure 3 counts neurons whose prediction correlates significantly with the recorded responses;
#   a DAE needs a readout to be counted, and the count depends on how that readout is made (a trained probe
#   or the best single unit).
# - About 5 % of neurons pass by chance; corrections such as Benjamini-Hochberg control false discoveries.
# - RSA, CKA and linear predictivity compare whole layers with the population; each is read against its
#   permutation null (chance) and its noise ceiling (the best a noise-free model could expect), and over
#   seeds.
#
# ## Further questions
# *discussion · about 10 min · 50 min so far*
#
# 1. Check the chance level: `neuron_significance(np.random.default_rng(0).random((50, data.n_neurons)),
#    data.test_responses)` (`from daenr_lite import neuron_significance`). How many neurons pass, and how many
#    after `correction="fdr"`?
#
#    <details><summary>Answer</summary>
#
#    A handful without correction (about 5 % of the neurons; the exact number depends on the random draw), and
#    almost always none with the Benjamini-Hochberg correction.
#    </details>
#
# 2. Why can CKA be well above its null and still far below the ceiling? What does `normalized` report?
#
#    <details><summary>Answer</summary>
#
#    Above the null means "more similar than a shuffled pairing of images"; below the ceiling means "less
#    similar than the noise allows". Both hold for a representation that captures part of the population's
#    structure. `normalized` is value / ceiling, the fraction of the achievable similarity.
#    </details>
#
# 3. Add `"DAE-NR_4": "dae_nr_4"` to `PROFILED`: does each DAE-NR_i raise the similarity most at its own
#    mapping layer?
#
#    <details><summary>Answer</summary>
#
#    Run it and compare the DAE-NR_4 line with the DAE's: the change is largest at the layer the readout
#    reads from and fades in the layers further away.
#    </details>
#
# 4. The paper's Figure 3 is region 3. Set `REGION = 3` and compare your counts with 6 (DAE) and 38–47
#    (DAE-NR). Which DAE count, probe or best unit, is closer to the paper's 6?
#
#    <details><summary>Answer</summary>
#
#    Neither comes close to 6 on the simulated population: both DAE methods find more significant neurons
#    (in region 3 the probe's means are 14–35 per layer, single seeds from 3 to 40; notebook 05 and
#    `docs/results.md` list the counts). The paper's DAE number rests on a method it does
#    not describe.
#    </details>

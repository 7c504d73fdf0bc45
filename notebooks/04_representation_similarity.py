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
# ## Learning goals
# - Count the neurons a model predicts **significantly** (the paper's Figure 3), and give the DAE a fair
#   chance with a readout *probe* on its frozen layers — and see how much a probe-free count differs.
# - Compare whole representations with RSA, linear CKA and linear predictivity, layer by layer.
# - Read every similarity number against two references: a **noise ceiling** (the best possible value given
#   the trial-to-trial noise) and a **permutation null** (what chance gives).

# %% tags=["parameters"]
import os

QUICK = os.environ.get("DAENR_QUICK", "0") in ("1", "true")  # True: short training (CPU, CI)
SEED = 0
DEVICE = "auto"  # "auto" picks CUDA / Apple MPS when available, else the CPU
DATASET = "simulated"  # or "antolik2016" (real recordings; download them first)
REGION = 1  # recording region 1, 2 or 3
OUTPUT_DIR = os.environ.get("DAENR_OUTPUT_DIR", "outputs")  # metrics and figures go here

# %%
from daenr_lite import apply_thread_policy, get_device, layer_profile, load_dataset, neuron_significance, predict, set_seed
from daenr_lite import plotting
from daenr_lite.experiments import plot_significant_counts, train_named_model
from daenr_lite.notebook_utils import (describe_training, format_table, quick_subset, record_metrics, show_figure,
                                       train_config)
from daenr_lite.similarity import best_unit_significance, fit_probe

set_seed(SEED)
device = get_device(DEVICE)
threads = apply_thread_policy()
data = load_dataset(DATASET, region=REGION, seed=SEED)
train_data = quick_subset(data, QUICK)  # quick mode: fewer training images
config = train_config(QUICK, SEED)
LAYERS = (2,) if QUICK else (1, 2, 3, 4)  # mapping layers of DAE-NR (and DAE probe layers) to compare
print(f"{data.name}: {data.n_neurons} neurons; device {device}; torch threads {threads}; {describe_training(train_data, config)}")

# %% [markdown]
# ## The models
#
# We train the plain DAE, DAE-NR$_i$ for the layers in `LAYERS` and the CNN-FR. The DAE predicts no
# responses, so to ask "which neurons does the DAE's representation explain?" we freeze it and train only a
# factorized readout (the same one DAE-NR$_i$ uses) on its layer $h_i$: a **probe**. "DAE + probe on $h_i$"
# and "DAE-NR$_i$" then differ in one thing only — whether the encoder learned with the neural responses.
#
# A probe is trained, with many weights per neuron, so it may find more than the paper's (unstated) method
# did. The probe-free extreme, **best unit**: for each neuron, the single unit of $h_i$ (one channel at one
# position) that correlates best with it on the *training* images is its prediction on the *test* images.

# %%
dae, _ = train_named_model("dae", train_data, config, seed=SEED, device=device)
predictors = {}
for layer in LAYERS:
    predictors[f"DAE (probe h{layer})"], _ = fit_probe(dae, train_data, layer, config, progress=False, device=device)
for layer in LAYERS:
    predictors[f"DAE-NR_{layer}"], _ = train_named_model(f"dae_nr_{layer}", train_data, config, seed=SEED, device=device)
predictors["CNN-FR"], _ = train_named_model("cnn_fr", train_data, config, seed=SEED, device=device)
print("trained:", ", ".join(predictors))

# %% [markdown]
# ## Which neurons does each model explain? (paper Figure 3)
#
# For every neuron we correlate the model's predicted responses to the $M = 50$ test images with the
# trial-averaged recorded responses and test $H_0: \rho \le 0$ with the $t$ statistic
# $t = r\sqrt{(M-2)/(1-r^2)}$. A neuron is *significant* when $p \le 0.05$. (With 50 images, $r \gtrsim 0.24$.)
# On ~100 neurons, about 5 pass by chance even for a useless model.

# %%
significance = {name: neuron_significance(predict(model, data.test_images)["responses"], data.test_responses)
                for name, model in predictors.items()}
for layer in LAYERS:  # probe-free: units chosen on the training images, tested on the test images
    significance[f"DAE (best unit h{layer})"], _ = best_unit_significance(dae, train_data, layer)
rows = [{"model": name, **result.summary()} for name, result in significance.items()]
print(format_table(rows, ["model", "n_significant", "n_insignificant", "n_neurons", "mean_r"]))
ax = plot_significant_counts(rows, title=f"Neurons predicted significantly (p <= 0.05), {data.name}")
show_figure(ax.figure, "04_significant_counts", OUTPUT_DIR)

# %% [markdown]
# The paper reports, for region 3, 6 of 102 neurons for the DAE and 38–47 for DAE-NR (depending on the
# mapping layer), and more for DAE-NR than for CNN-FR in all regions. It does not say how a DAE, which has
# no readout, was made to predict neurons, so the DAE count depends on our choice of method. Our numbers:

# %%
dae_best = max(r["n_significant"] for r in rows if r["model"].startswith("DAE (probe"))
unit_best = max(r["n_significant"] for r in rows if r["model"].startswith("DAE (best unit"))
nr_best = max(r["n_significant"] for r in rows if r["model"].startswith("DAE-NR"))
cnn = next(r["n_significant"] for r in rows if r["model"] == "CNN-FR")
print(f"best DAE probe: {dae_best}, best DAE single unit (probe-free): {unit_best}, best DAE-NR: {nr_best}, "
      f"CNN-FR: {cnn} of {data.n_neurons} neurons")
print("DAE-NR explains more neurons than the DAE's probed representation:", nr_best > dae_best)
print("DAE-NR explains more neurons than CNN-FR:", nr_best > cnn)

# %% [markdown]
# ## Whole-representation similarity, layer by layer
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
# measure after shuffling which image the model features belong to; the shaded band reaches the 95th
# percentile of that null. Plain linear CKA has a high chance level on 50 images (see `null_mean` in the
# table below: far from 0), so read CKA against its null, not against 0.

# %%
profiled = {"DAE": dae, f"DAE-NR_{LAYERS[0]}": predictors[f"DAE-NR_{LAYERS[0]}"], "CNN-FR": predictors["CNN-FR"]}
permutations = {"rsa": 100 if QUICK else 1000, "cka": 100 if QUICK else 1000, "predictivity": 20 if QUICK else 200}
profiles, ceilings, nulls, profile_rows = {}, {}, {}, []
for measure, n_perm in permutations.items():
    profiles[measure], nulls[measure] = {}, {}
    for name, model in profiled.items():
        table = layer_profile(model, data, measure, n_permutations=n_perm, seed=SEED, progress=False)
        profiles[measure][name] = [row["value"] for row in table]
        nulls[measure][name] = [row["null_95"] for row in table]
        ceilings[measure] = table[0]["ceiling"]
        profile_rows += [{"measure": measure, "model": name, **row} for row in table]
print(format_table(profile_rows, ["measure", "model", "layer", "value", "null_mean", "null_95", "p_value", "ceiling",
                                  "normalized"]))

# %%
show_figure(plotting.plot_layer_profiles(profiles, ceiling=ceilings, null=nulls,
                                         title=f"Similarity of each layer to {data.name}"),
            "04_layer_profiles", OUTPUT_DIR)

# %%
above_chance = {measure: sum(row["value"] > row["null_95"] for row in profile_rows if row["measure"] == measure)
                for measure in permutations}
for measure in permutations:
    best_row = max((row for row in profile_rows if row["measure"] == measure), key=lambda row: row["value"])
    print(f"{measure}: best {best_row['model']} {best_row['layer']} = {best_row['value']:.3f} "
          f"({100 * best_row['normalized']:.0f}% of the ceiling {best_row['ceiling']:.3f}); "
          f"{above_chance[measure]} of {len(profiled) * 4} layers above the 95% null")

# %%
saved = record_metrics(
    OUTPUT_DIR, "04",
    n_neurons=data.n_neurons,
    significant={row["model"]: {"n_significant": row["n_significant"], "n_insignificant": row["n_insignificant"],
                                "n_neurons": row["n_neurons"]} for row in rows},
    profiles=profiles, ceilings=ceilings, above_chance=above_chance,
)
print(f"key numbers saved to {saved}")

# %% [markdown]
# ## Exercises
#
# 1. With ~100 neurons and $\alpha = 0.05$, how many "significant" neurons would a random model produce?
#    Check with `neuron_significance(np.random.rand(50, data.n_neurons), data.test_responses)`.
#    Then try `correction="fdr"` (Benjamini–Hochberg; an alias of `"fdr_bh"`).
# 2. Why can CKA be well above its null and still far below the ceiling? What does `normalized` report?
# 3. Run with `QUICK = False`: do the DAE-NR layers that predict best (notebook 03) also have the highest
#    RSA/CKA?
# 4. The paper's Figure 3 is region 3. Set `REGION = 3` and compare your counts with 6 (DAE) and 38–47 (DAE-NR).
#    Which DAE count — probe or best unit — is closer to the paper's 6? What does that say about a count
#    whose method is not reported?

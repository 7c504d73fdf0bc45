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
# # 02 · Predicting V1 responses: CNN with a factorized readout (CNN-FR)
#
# The second ingredient of DAE-NR is a model that predicts neural responses from images: a convolutional
# **core** shared by all neurons, and a cheap per-neuron **factorized readout** (Klindt et al. 2017; paper
# Figure 1b). Trained alone, this is the CNN-FR baseline of the paper.
#
# **Time:** about 48 minutes for the whole notebook. Each section is marked *core* (the 90-minute
# course path), *extended* (the 3 x 90-minute path adds it), *bonus* or *discussion*, with its minutes and
# the time so far; docs/course.md has the course paths and the instructor notes, and
# `daenr-lite make-student --path 90min` hands one path out.
#
# ## Learning goals
# - Write down the factorized readout: *where* a neuron looks (a spatial mask) × *what* it looks for (feature
#   weights).
# - Understand why non-negative, sparse responses call for a **Poisson** loss.
# - Evaluate predictions with the correlation $r$, FEVe and the fraction of the achievable ceiling.
# - Compare the learned masks with the true receptive fields.

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

from daenr_lite import build_model, evaluate, fit, per_neuron_corr, predict, preset, setup
from daenr_lite import plotting
from daenr_lite.exercises import check_factorized_readout, check_poisson_loss
from daenr_lite.grading import choose, grade
from daenr_lite.notebook_utils import describe_training, format_table, record_metrics, show_figure
from daenr_lite.stats import format_mean_sd

session = setup("02", MODE, SEED, DEVICE, DATASET, REGION, OUTPUT_DIR)
data = session.data()
print(f"{data.name}: {data.n_neurons} neurons, {data.n_train} training images")

# %% [markdown]
# ## The model (with a coding exercise)
# *core · about 5 min · 5 min so far*
#
# The core turns an image into feature maps $h[c, y, x]$. For neuron $n$ the readout learns a spatial mask
# $m_n[y, x]$ and feature weights $w_n[c]$ (both non-negative here) and predicts the firing rate
#
# $$ \hat r_n = f\Big( \sum_{c, y, x} h[c, y, x]\, m_n[y, x]\, w_n[c] + b_n \Big), \qquad f(u) = \mathrm{ELU}(u) + 1 > 0 . $$
#
# Factorizing "where" and "what" needs only $H W + C$ numbers per neuron instead of $H W C$; an L1 penalty
# keeps masks small and local.
#
# ### Coding exercise 1: the factorized readout
# *extended · about 8 min · 13 min so far*
#
# Write `factorized_readout(features, mask, weights, bias)` with numpy: features (B, C, H, W), mask (N, H, W),
# weights (N, C), bias (N,) give rates (B, N) by the formula above. (`np.einsum` helps; ELU(u) is $u$ for
# $u > 0$ and $e^u - 1$ otherwise.)

# %% [markdown]
# *Example* (daenr-lite's solution): one image of 2 channels x 2x2 ones, two neurons with the same mask and
# weights, biases -2 and 0 (drives -0.5 and 1.5, one on each side of the ELU's kink):
#
# ```python
# factorized_readout(np.ones((1, 2, 2, 2)), np.full((2, 2, 2), 0.25), np.array([[1.0, 0.5], [1.0, 0.5]]),
#                    np.array([-2.0, 0.0]))  # -> array([[0.6065, 2.5   ]])
# ```
#
# The predictions of the converged CNN-FR further down are computed with your function once it passes.

# %% nbgrader={"grade": false, "grade_id": "factorized_readout", "locked": false, "schema_version": 3, "solution": true, "task": false}
def factorized_readout(features, mask, weights, bias):
    """(B, C, H, W), (N, H, W), (N, C), (N,) -> (B, N) predicted rates."""
    # Outline: uncomment, fill in each ... and delete the `raise NotImplementedError()` below.
    # drive = np.einsum(..., features, mask, weights) + bias  # (B, N): the sum over c, y, x
    # return ...                                              # f(drive) = ELU(drive) + 1
    ### BEGIN SOLUTION
    drive = np.einsum("bchw,nhw,nc->bn", features, mask, weights) + bias
    return np.where(drive > 0, drive, np.expm1(np.minimum(drive, 0))) + 1.0
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_factorized_readout", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
grade(check_factorized_readout, factorized_readout)

# %% [markdown]
# ## The Poisson loss (with a coding exercise)
# *extended · about 5 min · 18 min so far*
#
# The responses are non-negative, mostly zero, and their variance grows with their mean (notebook 00:
# continuous zero-inflated gamma draws in the simulation, inferred spiking activity in the real data; not
# integer spike counts). The Poisson negative log-likelihood of a response $r_n$ given a predicted rate
# $\hat r_n$ is, up to a constant,
#
# $$ \mathcal{L}_\text{Poisson} = \sum_n \big( \hat r_n - r_n \log \hat r_n \big), $$
#
# a good loss for such data even when they are not counts: unlike squared error, it does not let the rare
# large responses dominate training, and it is minimised by $\hat r_n$ = the expected response.
#
# ### Coding exercise 2: the Poisson loss
# *extended · about 5 min · 23 min so far*
#
# Write `poisson_loss(pred, target)` for (images, neurons) arrays: the sum over neurons of
# $\hat r - r \log(\hat r + 10^{-8})$, averaged over the images (daenr-lite's convention).

# %% [markdown]
# *Example* (daenr-lite's solution): `poisson_loss(np.array([[1.0, 2.0], [0.5, 1.0]]), np.array([[0.0, 3.0],
# [1.0, 1.0]]))` gives `1.5569`: image 0 contributes $1 + (2 - 3 \log 2) = 0.921$, image 1
# $(0.5 - \log 0.5) + 1 = 2.193$, and the loss is their mean.

# %% nbgrader={"grade": false, "grade_id": "poisson_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def poisson_loss(pred, target):
    """(images, neurons) predicted rates and responses -> scalar loss."""
    # Outline: uncomment, fill in each ... and delete the `raise NotImplementedError()` below.
    # per_image = np.sum(pred - target * np.log(...), axis=...)  # the sum over the neurons
    # return float(np.mean(per_image))                           # the mean over the images
    ### BEGIN SOLUTION
    return float(np.mean(np.sum(pred - target * np.log(pred + 1e-8), axis=1)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_poisson_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
grade(check_poisson_loss, poisson_loss)

# %% [markdown]
# **Think!** For one neuron with response $r$, which prediction $\hat r$ minimises $\hat r - r \log \hat r$?
# What does that say about what the model learns from single noisy trials?
#
# <details><summary>Answer</summary>
#
# The derivative $1 - r/\hat r$ is zero at $\hat r = r$; averaged over many trials of the same image, the
# minimum is at the *mean* response. So although each training image has only one noisy trial, a model
# trained with the Poisson loss learns the expected response, which is what the trial-averaged test data
# measure.
# </details>

# %%
model = build_model("cnn_fr", data)
print("core feature maps (channels, height, width):", model.core.output_shapes)
print(f"{model.n_parameters():,} trainable parameters")

# %% [markdown]
# ## Training, live
# *extended · about 5 min · 28 min so far*
#
# We train this CNN-FR for a few epochs (the quick mode's settings, seconds on a CPU) to watch the Poisson
# loss fall; below we compare it with converged CNN-FRs.

# %%
config = preset("quick").train.replace(seed=SEED)
live_data = session.train_data()  # quick mode: the first 1500 training images
print(describe_training(live_data, config))
history = fit(model, live_data, config, device=session.device, progress=True)
print(history)
show_figure(plotting.plot_training_curves({"train": history.train_loss, "validation": history.val_loss},
                                          best_epoch=history.best_epoch, title="CNN-FR training",
                                          ylabel="Poisson loss (+ L1)"),
            "02_training", OUTPUT_DIR)

# %% [markdown]
# ## How good are the predictions?
# *core · about 5 min · 33 min so far*
#
# - **Test correlation** $r$: Pearson correlation, per neuron, between the prediction and the
#   trial-averaged test response; we report the mean over neurons.
# - **FEVe** (fraction of explainable variance explained): only part of the variance is stimulus-driven;
#   the rest is trial-to-trial noise $\sigma^2_\text{noise}$ that no model can predict:
#   $\mathrm{FEVe} = 1 - \frac{\mathrm{MSE} - \sigma^2_\text{noise}}{\mathrm{Var}[r] - \sigma^2_\text{noise}}$.
# - **Ceiling** (simulated data): the correlation of the *true* noise-free rates with the trial-averaged
#   responses. `fraction_of_ceiling` = test $r$ / ceiling tells how much of the achievable is achieved.

# %%
KEYS = ("test_corr", "single_trial_corr", "feve", "feve_n_neurons", "fraction_of_ceiling")
DIGITS = {"feve_n_neurons": 0}
scores = evaluate(model, data)
converged = session.rows("cnn_fr")  # one row per seed of this mode (pretrained: converged models from the zoo)
same = next(r for r in converged if r["seed"] == SEED)  # trained on the same simulated data as the live model
table = [{"model": f"live ({history.n_epochs} epochs)", **{k: f"{scores[k]:.{DIGITS.get(k, 3)}f}" for k in KEYS}},
         {"model": f"{session.mode}, seed {SEED}", **{k: f"{same[k]:.{DIGITS.get(k, 3)}f}" for k in KEYS}},
         {"model": f"{session.mode}, seeds {list(session.seeds)}",
          **{k: format_mean_sd([r[k] for r in converged], DIGITS.get(k, 3)) for k in KEYS}}]
print(format_table(table, ["model", *KEYS]))
print(f"oracle correlation {scores['oracle_corr']:.3f}" + (f", ground-truth ceiling {scores['ceiling']:.3f}" if "ceiling" in scores else ""))

# %% [markdown]
# The first two rows are on the same data: the model trained above for a few epochs and the model of this mode
# for seed `SEED` (by default a converged CNN-FR from the pretrained zoo); the third is the mean ± sd over
# seeds (each seed its own simulated neurons). `feve` averages only over the `feve_n_neurons` neurons whose
# explainable variance is at least 15 % of their variance: for the others the ratio is dominated by noise.
# The converged test correlation is far above the oracle correlation (the data's single-trial reliability,
# notebook 00) and reaches about 0.64 of the ground-truth ceiling (0.643 ± 0.025 over the five seeds); four
# epochs reach about 0.52.
#
# The figures below use the converged model of seed `SEED`.

# %% nbgrader={"grade": false, "grade_id": "factorized_readout_used", "locked": true, "schema_version": 3, "solution": false, "task": false}
cnn = session.model("cnn_fr")
use = choose(factorized_readout)  # the readout of the converged CNN-FR, on its core's last feature maps
core_maps = predict(cnn, data.test_images, features=True)["features"][-1]
readout = [p.detach().cpu().numpy() for p in (cnn.readout.mask, cnn.readout.feature_weights, cnn.readout.bias)]
predicted = use(core_maps, *readout)
show_figure(plotting.plot_predicted_vs_recorded(predicted, data.test_mean_responses,
                                                title=f"CNN-FR on {data.name}: predicted vs recorded test responses"),
            "02_predictions", OUTPUT_DIR)

# %% [markdown]
# ## Where does each neuron look?
# *extended · about 5 min · 38 min so far*
#
# The learned masks live on the core's output grid, 13x13, smaller than the image because the core uses
# "valid" convolutions: the unit at $(y, x)$ of $h_4$ is centred on image pixel $(y + 9, x + 9)$. The figure
# draws each mask on the image's pixel grid (bottom; the dotted square is the readout grid) and as contours at
# 50 % and 80 % of its peak over the true receptive field's envelope (top, simulated data only); each panel is
# scaled to its own peak (the colour bars).

# %%
masks = cnn.readout.mask.detach().cpu().numpy()
truth = data.ground_truth.filters if data.ground_truth is not None else None
best = np.argsort(np.nan_to_num(per_neuron_corr(predicted, data.test_mean_responses), nan=-1.0))[::-1][:8]
show_figure(plotting.plot_readout_masks(masks[best], None if truth is None else truth[best],
                                        labels=best.tolist(), title="Readout masks of the 8 best-predicted neurons"),
            "02_masks", OUTPUT_DIR)

# %% [markdown]
# On generator v2 only a few of the best-predicted neurons have a mask whose contours sit on the receptive
# field's envelope, where the readout has found *where* the neuron looks; most masks are scattered over several
# spots, and several peak at the edge of the readout grid, outside the field (each core unit already sees a
# 19x19-pixel patch, so a mask need not cover the whole field). A good
# prediction does not need a clean mask: look at each panel before reading a mask as "where the neuron looks".

# %%
saved = record_metrics(OUTPUT_DIR, "02", mode=session.mode, test_corr=scores["test_corr"], feve=scores.get("feve"),
                       single_trial_corr=scores["single_trial_corr"], oracle_corr=scores.get("oracle_corr"),
                       ceiling=scores.get("ceiling"), fraction_of_ceiling=scores.get("fraction_of_ceiling"),
                       epochs=history.n_epochs, converged_test_corr=[r["test_corr"] for r in converged],
                       converged_fraction_of_ceiling=[r.get("fraction_of_ceiling") for r in converged])
print(f"key numbers saved to {saved}")

# %% [markdown]
# ## Summary: what you learned
#
# - A factorized readout predicts each neuron from a shared core with a spatial mask ("where") times feature
#   weights ("what"), $HW + C$ numbers per neuron.
# - The Poisson loss suits non-negative responses whose variance grows with the mean, and it makes the model
#   learn the mean response from single trials.
# - Test $r$, FEVe (over reliable neurons) and the fraction of the ground-truth ceiling judge predictions;
#   converged CNN-FRs get close to the ceiling, far above the single-trial oracle.
# - On simulated data the learned masks sit on the true receptive fields.
#
# ## Further questions
# *discussion · about 10 min · 48 min so far*
#
# 1. Train the live model with the output nonlinearity softplus
#    (`build_model("cnn_fr", data, readout_nonlinearity="softplus")`). Does the test correlation change?
#
#    <details><summary>Answer</summary>
#
#    Hardly: both are positive, smooth and nearly linear for large drives. With default training on region 1,
#    seed 0 (generator v2, 40 epochs each), softplus gave r = 0.527 against 0.520 for ELU + 1, less than the
#    seed-to-seed spread of the converged CNN-FRs (sd 0.026).
#    </details>
#
# 2. Remove the L1 penalty (`readout_l1=0.0`) and retrain. What happens to the masks?
#
#    <details><summary>Answer</summary>
#
#    They spread out: without the penalty nothing pushes the weight outside the receptive field to zero, so
#    the masks pick up noise from everywhere on the grid.
#    </details>
#
# 3. Why is the single-trial correlation always lower than the test correlation with the trial average?
#
#    <details><summary>Answer</summary>
#
#    A single trial carries the full trial-to-trial noise, which no model can predict; the trial average has
#    $K$ times less noise variance. The same prediction therefore correlates better with the average.
#    </details>
#
# 4. Klindt et al. (2017) report $r$ = 0.55 / 0.45 / 0.49 on the three real regions. Run this notebook with
#    `DATASET = "antolik2016"` and `MODE = "full"` after downloading the data. How close do you get?
#
#    <details><summary>Answer</summary>
#
#    Not measured here: the training images of the real recordings are not on the machines that built this
#    course. On the simulated regions the converged CNN-FR reaches the numbers in `docs/results.md`.
#    </details>

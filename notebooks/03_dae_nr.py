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
# # 03 · DAE-NR: an auto-encoder that also predicts V1
#
# DAE-NR (paper Figure 1c) joins the two previous models: the DAE of notebook 01 gets a factorized readout
# (notebook 02) attached to one of its encoder layers $h_i$. The network must reconstruct each image **and**
# predict the neurons' responses to it from the same features. The paper's question: does the brain data
# make the auto-encoder better at its own task?
#
# By default (`MODE = "pretrained"`) this notebook loads converged models from the zoo that ships with
# daenr-lite (5 seeds per model; `daenr-lite pretrain` rebuilds it), so every number below is a converged
# one with its seed-to-seed spread. `MODE = "quick"` trains short versions instead (seconds per model; one
# seed, far from converged), `MODE = "full"` trains what the zoo lacks (e.g. on the real recordings).
#
# **Time:** about 52 minutes for the whole notebook. Each section is marked *core* (the 90-minute
# course path), *extended* (the 3 x 90-minute path adds it), *bonus* or *discussion*, with its minutes and
# the time so far; docs/course.md has the course paths and the instructor notes, and
# `daenr-lite make-student --path 90min` hands one path out.
#
# ## Learning goals
# - Write down the joint objective and the role of the weight $\lambda$.
# - Compare DAE-NR$_i$ ($i = 1 \dots 4$) with the plain DAE over seeds, and decide whether a difference is
#   an effect or noise.
# - Explore mapping layer, $\lambda$ and region interactively.

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
SEED = 0  # the seed of the single-model figures; comparisons use every seed of the mode
DEVICE = "auto"  # "auto" picks CUDA / Apple MPS when available, else the CPU
DATASET = "simulated"  # or "antolik2016" (real recordings; download and pretrain them first)
REGION = 1  # recording region 1, 2 or 3
OUTPUT_DIR = os.environ.get("DAENR_OUTPUT_DIR", "outputs")  # metrics and figures go here

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from daenr_lite import predict, reference, setup
from daenr_lite import plotting
from daenr_lite.exercises import check_joint_objective, check_readout_l1_penalty
from daenr_lite.grading import grade
from daenr_lite.notebook_utils import format_table, record_metrics, show_figure
from daenr_lite.stats import format_mean_sd, paired_comparison
from daenr_lite.widgets import MappingLayerExplorer

session = setup("03", MODE, SEED, DEVICE, DATASET, REGION, OUTPUT_DIR)
data = session.data()
show_figure(plotting.plot_model_schematic(mapping_layer=2), "03_models", OUTPUT_DIR)

# %% [markdown]
# The three models of the series side by side (the paper's Figure 1): (a) the DAE of notebook 01 learns from
# the image alone (blue: MSE), (b) the CNN-FR of notebook 02 from the neural responses alone (orange:
# Poisson), (c) DAE-NR$_i$ keeps the DAE and adds a readout on one encoder layer, here $h_2$, so that layer
# and everything below it learns from both losses.

# %% [markdown]
# ## The joint objective (with two coding exercises)
# *core · about 5 min · 5 min so far*
#
# For an image $x$ with recorded responses $r$, DAE-NR$_i$ reconstructs $\hat x$ from the bottleneck and
# predicts $\hat r$ from layer $h_i$ with a factorized readout. Training minimises
#
# $$ \mathcal{L} = \underbrace{\frac{1}{P}\sum_p (x_p - \hat x_p)^2}_{\text{reconstruction}}
#    \; + \; \lambda \Big( \underbrace{\sum_n \big(\hat r_n - r_n \log \hat r_n\big)}_{\text{Poisson}}
#    + \underbrace{\gamma \sum_n \lVert m_n \rVert_1 \lVert w_n \rVert_1}_{\text{readout L1}} \Big). $$
#
# The reconstruction error is averaged over pixels while the Poisson loss is summed over neurons, so
# $\lambda$ is small (default `TrainConfig().lam` = 0.001). $\lambda = 0$ gives back the plain DAE;
# a very large $\lambda$ turns the encoder into a response model that no longer cares about images.
#
# The paper does not publish its architecture or $\lambda$; ours are in `daenr_lite.config`.
#
# ### Coding exercise 1: the readout penalty
# *extended · about 5 min · 10 min so far*
#
# Write `readout_l1_penalty(mask, weights, gamma)` for masks (N, H, W) and feature weights (N, C): $\gamma$
# times the sum over neurons of $\lVert m_n \rVert_1 \lVert w_n \rVert_1$.

# %% [markdown]
# *Example* (daenr-lite's solution): two neurons with 2x2 masks of ones ($\lVert m_n \rVert_1 = 4$) and
# weights $(1, -2)$ and $(0.5, 0)$: `readout_l1_penalty(np.ones((2, 2, 2)), np.array([[1., -2.], [0.5, 0.]]), 0.1)`
# gives `1.4` $= 0.1 \times (4 \cdot 3 + 4 \cdot 0.5)$.

# %% nbgrader={"grade": false, "grade_id": "readout_l1_penalty", "locked": false, "schema_version": 3, "solution": true, "task": false}
def readout_l1_penalty(mask, weights, gamma):
    """gamma * sum_n |mask_n|_1 * |weights_n|_1."""
    # Outline: uncomment, fill in each ... and delete the `raise NotImplementedError()` below.
    # mask_l1 = np.abs(mask).reshape(len(mask), -1).sum(axis=1)  # |m_n|_1, one per neuron
    # weights_l1 = np.abs(weights).sum(axis=...)                 # |w_n|_1, one per neuron
    # return float(gamma * np.sum(mask_l1 * ...))
    ### BEGIN SOLUTION
    per_neuron = np.abs(mask).reshape(len(mask), -1).sum(axis=1) * np.abs(weights).sum(axis=1)
    return float(gamma * per_neuron.sum())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_readout_l1_penalty", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
grade(check_readout_l1_penalty, readout_l1_penalty)

# %% [markdown]
# ### Coding exercise 2: the joint objective
# *extended · about 7 min · 17 min so far*
#
# Write `joint_objective(recon, image, pred, target, lam, penalty)`: the MSE between reconstruction and
# image (mean over all pixels), plus $\lambda$ times (the Poisson loss of notebook 02, summed over neurons and
# averaged over images, plus the readout penalty).
#
# *Example* (daenr-lite's solution): a black reconstruction of a gray image (MSE 0.25), notebook 02's Poisson
# example for one image (0.921) and the penalty above:
# `joint_objective(np.zeros((1, 1, 2, 2)), np.full((1, 1, 2, 2), 0.5), np.array([[1.0, 2.0]]),
# np.array([[0.0, 3.0]]), 0.1, 1.4)` gives `0.48206` $= 0.25 + 0.1 \times (0.921 + 1.4)$.

# %% nbgrader={"grade": false, "grade_id": "joint_objective", "locked": false, "schema_version": 3, "solution": true, "task": false}
def joint_objective(recon, image, pred, target, lam, penalty):
    """MSE(recon, image) + lam * (Poisson(pred, target) + penalty)."""
    # Outline: uncomment, fill in each ... and delete the `raise NotImplementedError()` below.
    # mse = np.mean(...)                                                     # over all pixels
    # poisson = np.mean(np.sum(pred - target * np.log(pred + 1e-8), axis=1))  # notebook 02's loss
    # return float(mse + ...)
    ### BEGIN SOLUTION
    mse = np.mean((recon - image) ** 2)
    poisson = np.mean(np.sum(pred - target * np.log(pred + 1e-8), axis=1))
    return float(mse + lam * (poisson + penalty))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_joint_objective", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
grade(check_joint_objective, joint_objective)

# %% [markdown]
# **Think!** With $\lambda = 10^{-3}$ the response term is multiplied by a thousandth. Does that make it
# negligible?
#
# <details><summary>Answer</summary>
#
# No: the MSE of a trained DAE is about 0.01 (a mean over pixels), while the Poisson loss is a sum over ~100
# neurons, of the order of 50-100. Times $10^{-3}$ that is 0.05-0.1, larger than the MSE itself, and its
# gradients reach the encoder through the mapping layer.
# </details>
#
# ## DAE vs DAE-NR$_1$…DAE-NR$_4$, over seeds
# *core · about 10 min · 27 min so far*
#
# Each row summarises one model over the seeds of this mode: mean ± standard deviation. `epochs` is how
# long training ran (the cap is `TrainConfig().max_epochs`).

# %%
NAMES = ["dae", "dae_nr_1", "dae_nr_2", "dae_nr_3", "dae_nr_4"]
rows = session.rows(NAMES)
by_model = {name: [row for row in rows if row["model"] == name] for name in NAMES}
summary = []
for name, runs in by_model.items():
    summary.append({"model": runs[0]["display"], **{
        key: format_mean_sd([run[key] for run in runs], digits)
        for key, digits in (("psnr", 2), ("ssim", 3), ("mse", 4), ("test_corr", 3), ("fraction_of_ceiling", 3),
                            ("epochs", 0)) if key in runs[0] and runs[0][key] is not None}})
print(f"{data.name}, seeds {list(session.seeds)}")
print(format_table(summary, ["model", "psnr", "ssim", "mse", "test_corr", "fraction_of_ceiling", "epochs"]))

# %% [markdown]
# `psnr` (dB), `ssim` and `mse` measure the reconstruction of the 50 test images; `test_corr` is the mean over
# neurons of the correlation between predicted and trial-averaged recorded responses (the DAE predicts
# none) and `fraction_of_ceiling` divides it by the correlation the noise-free simulated rates reach.
#
# **When is a difference an effect?** Every model is trained with the same seeds on the same data, so we
# compare seed by seed: for each DAE-NR$_i$ the paired differences to the DAE of the same seed. We call a
# difference an effect when its mean is larger than 2 standard deviations of the paired differences
# (`daenr_lite.stats`; with 5 seeds that is a paired $t > 4.47$). With one seed (quick mode) nothing can be
# called an effect.

# %%
psnr = {name: [run["psnr"] for run in runs] for name, runs in by_model.items()}
comparisons = {name: paired_comparison(psnr["dae"], psnr[name]) for name in NAMES[1:]}
for name, comparison in comparisons.items():
    print(f"PSNR {by_model[name][0]['display']} - DAE: {comparison.describe(2)}")
better = [by_model[n][0]["display"] for n, c in comparisons.items() if c.effect and c.mean > 0]
worse = [by_model[n][0]["display"] for n, c in comparisons.items() if c.effect and c.mean < 0]
print(f"Reconstruct better than the DAE (effect): {', '.join(better) or 'none'}; worse: {', '.join(worse) or 'none'}.")

# %%
labels = {name: by_model[name][0]["display"] for name in NAMES}
paper_gain = {labels[n]: reference.TABLE1[labels[n]][REGION]["psnr"] - reference.TABLE1["DAE"][REGION]["psnr"]
              for n in NAMES[1:]}
show_figure(plotting.plot_seed_comparison({labels[n]: psnr[n] for n in NAMES}, baseline="DAE", metric="PSNR (dB)",
                                          paper_differences=paper_gain,
                                          title=f"Reconstruction, {data.name}: seeds {list(session.seeds)}"),
            "03_psnr", OUTPUT_DIR)

# %% [markdown]
# Left: PSNR per model, bars from 0 (so the heights compare honestly), ± 1 sd error bars and one dot per seed.
# Right: the paired difference to the DAE per seed (black dots) with its mean ± 2 sd (red): where the red bar
# does not cross 0, the difference is an effect by our rule. The open diamonds are the paper's differences
# for the same region (on the real recordings; here only a reference for the size). The text printed
# above the figure states, from these numbers, which DAE-NR variants reconstruct better or worse than
# the DAE. In the default mode on region 1 none reconstructs better; DAE-NR$_4$ is about 1 dB worse on every
# seed (−1.04 ± 0.39 dB, an effect); DAE-NR$_1$ to DAE-NR$_3$ differ from the DAE by −0.09 to +0.14 dB on
# average (single seeds from −0.30 to +0.52 dB), no effect. Compare that with the paper's
# +2.7 dB in region 3 (try `REGION = 3`, and see notebook 05).

# %%
models = {labels[n]: session.model(n) for n in NAMES}
reconstructions = {label: predict(model, data.test_images[:8])["reconstruction"] for label, model in models.items()}
show_figure(plotting.plot_reconstructions(data.test_images[:8], reconstructions,
                                          title=f"Test images reconstructed by the DAE and DAE-NR_1..4 (seed {SEED})"),
            "03_reconstructions", OUTPUT_DIR)

# %% [markdown]
# The reconstructions of one seed: all five models keep the coarse layout and lose fine texture in the same
# way, which is what a PSNR difference of a fraction of a dB looks like. Differences in the prediction of
# the neurons (`test_corr` above) are much larger between mapping layers than differences in reconstruction.
#
# ## Explore: mapping layer × λ × region
# *extended · about 15 min · 42 min so far*
#
# Pick a mapping layer, a response weight λ and a region, then click **Train & show**. Models come from the
# same store as above: the default λ is in the pretrained zoo and shows at once; a new setting is trained
# (with this mode's settings: about a minute on 2 CPU cores in the default mode, seconds in quick mode) and
# cached, so it also survives a kernel restart. The figure shows test images above their reconstructions
# and the predicted vs recorded responses of all neurons.

# %%
explorer = MappingLayerExplorer.for_session(session, layer=2)
explorer.show_default()
explorer

# %%
print(explorer.status.value)
print(format_table([{"setting": f"h{layer}, lambda={lam:g}, region {region}", **result.metrics}
                    for (layer, lam, region), result in explorer.cache.items()],
                   ["setting", "psnr", "ssim", "test_corr"]))

# %%
saved = record_metrics(
    OUTPUT_DIR, "03", mode=session.mode, seeds=list(session.seeds),
    models={labels[n]: {key: [run.get(key) for run in by_model[n]] for key in ("mse", "psnr", "ssim", "test_corr")}
            for n in NAMES},
    psnr_vs_dae={labels[n]: {"mean": c.mean, "sd": c.sd, "effect": c.effect} for n, c in comparisons.items()},
    better=better, worse=worse, explorer_text=explorer.metrics.value, explorer_status=explorer.status.value,
)
print(f"key numbers saved to {saved}")

# %% [markdown]
# ## Summary: what you learned
#
# - DAE-NR$_i$ adds a factorized readout to one encoder layer of the DAE and trains both with
#   MSE + $\lambda$ (Poisson + readout L1).
# - Whether the neural responses help the reconstruction is a question about *paired* differences over
#   seeds: compare each DAE-NR$_i$ with the DAE of the same seed and call a difference an effect only when it
#   is larger than 2 sd of those differences.
# - The mapping layer matters much more for predicting the neurons (`test_corr`) than for reconstructing the
#   images.
#
# ## Further questions
# *discussion · about 10 min · 52 min so far*
#
# 1. In the explorer, keep layer h2 and move λ from $10^{-5}$ to $10^{-1}$ (each new setting trains once).
#    How do PSNR and test $r$ trade off?
#
#    <details><summary>Answer</summary>
#
#    Small λ behaves like the DAE (good PSNR, poor prediction); large λ turns the encoder into a response
#    model (better test r, worse PSNR). Try a few values: the trade-off is the point of the exercise.
#    </details>
#
# 2. Which mapping layer predicts the responses best, and why might that be?
#
#    <details><summary>Answer</summary>
#
#    Read `test_corr` in the table above: the middle layers predict best ($h_3$ 0.49, $h_2$ 0.45 in region 1),
#    $h_1$ and $h_4$ worst (0.35 and 0.36). $h_4$ has only 8 channels on a 4x4 grid, too coarse to say where a neuron's small receptive field is; $h_1$
#    has the resolution but features too simple for complex cells.
#    </details>
#
# 3. Run this notebook with `MODE = "quick"` (one seed, a few epochs). Which conclusions change, and why can
#    a single quick run not decide them?
#
#    <details><summary>Answer</summary>
#
#    The PSNR differences between the models are a fraction of a dB in both modes, and with one seed there is
#    no spread to judge them against: the paired comparison needs several seeds before anything is an effect.
#    </details>
#
# 4. The paper's region 3 shows the biggest DAE → DAE-NR gain (+2.7 dB). Set `REGION = 3` here.
#
#    <details><summary>Answer</summary>
#
#    Notebook 05 gives the answer for every region with the paper's numbers beside ours; see its verdicts.
#    </details>

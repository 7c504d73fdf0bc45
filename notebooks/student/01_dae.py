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
# # 01 · The deep auto-encoder (DAE)
#
# An auto-encoder learns to squeeze an image through a narrow **bottleneck** and rebuild it. Nobody tells it
# which features to keep: whatever helps the reconstruction survives. DAE-NR (notebook 03) starts from this
# model and adds neural responses; here we build and train the plain DAE (paper Figure 1a).
#
# **Time:** about 55 minutes for the whole notebook. Each section is marked *core* (the 90-minute
# course path), *extended* (the 3 x 90-minute path adds it), *bonus* or *discussion*, with its minutes and
# the time so far; docs/course.md has the course paths and the instructor notes, and
# `daenr-lite make-student --path 90min` hands one path out.
#
# ## Learning goals
# - Read the architecture: four convolutional encoder layers $h_1 \dots h_4$ and a mirrored decoder.
# - Compute how much the bottleneck compresses an image.
# - Train the DAE and judge reconstructions with MSE, PSNR and SSIM — and against a trivial baseline.
# - Look inside: what do the feature maps of $h_1 \dots h_4$ respond to?

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

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "cbabfe2d76be0fa9b072e1bd9b59d89a", "cell_type": "code"} deletable=false editable=false
import numpy as np

from daenr_lite import DAE, evaluate, fit, predict, preset, psnr, setup, ssim
from daenr_lite import plotting
from daenr_lite.exercises import check_compression_ratio, check_psnr_per_image
from daenr_lite.grading import choose, grade
from daenr_lite.notebook_utils import describe_training, record_metrics, show_figure
from daenr_lite.stats import format_mean_sd

session = setup("01", MODE, SEED, DEVICE, DATASET, REGION, OUTPUT_DIR)
data = session.data()
print(f"{data.name}: {data.n_train} training and {data.n_test} test images of {data.image_shape}")

# %% [markdown]
# ## Architecture (with a coding exercise)
# *extended · about 10 min · 10 min so far*
#
# Each encoder layer is a convolution, batch normalisation and a nonlinearity $\sigma$ (ELU):
#
# $$ h_i = \sigma\big(\mathrm{BN}(W_i * h_{i-1})\big), \qquad h_0 = x, $$
#
# where layers 2–4 use stride 2, halving the map each time. The decoder mirrors the encoder with transposed
# convolutions and ends in a sigmoid, so the reconstruction $\hat x$ has pixels in $[0, 1]$. Training
# minimises the mean squared error over the $P$ pixels:
#
# $$ \mathcal{L}_\text{rec} = \frac{1}{P} \sum_{p=1}^{P} (x_p - \hat x_p)^2 . $$

# %%
# NBVAL_CHECK_OUTPUT
model = DAE(data.image_shape)
for name, shape in zip(["h1", "h2", "h3", "h4"], model.encoder.output_shapes):
    print(f"{name}: {shape[0]} channels x {shape[1]}x{shape[2]} = {int(np.prod(shape))} numbers")
print(f"image: {data.image_shape[0] * data.image_shape[1]} pixels -> compression ratio {model.compression_ratio:.1f}")

# %% [markdown]
# The bottleneck $h_4$ holds 128 numbers for an image of 961 pixels.
#
# ### Coding exercise 1: the compression ratio
# *extended · about 5 min · 15 min so far*
#
# Write `compression_ratio(image_shape, code_shape)`: how many numbers of the image there are per number of
# the code, e.g. `(31, 31)` and `(8, 4, 4)` give $961 / 128$.
#
# *Example* (daenr-lite's solution): `compression_ratio((31, 31), (8, 4, 4))` gives `7.5078125`, the ratio
# printed above.

# %% nbgrader={"grade": false, "grade_id": "compression_ratio", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "46cb373cff232b0d0f49dea06fea90a2", "cell_type": "code"} deletable=false
def compression_ratio(image_shape, code_shape):
    """Numbers in the image / numbers in the code."""
    # Outline: uncomment, fill in the ... and delete the `raise NotImplementedError()` below.
    # n_image = np.prod(image_shape)  # numbers in the image, e.g. 31 * 31
    # n_code = ...                    # numbers in the code: channels x height x width
    # return float(n_image / n_code)
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_compression_ratio", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false, "checksum": "e1cdb18f52a273794f2e7a335bcdec63", "cell_type": "code"} deletable=false editable=false
grade(check_compression_ratio, compression_ratio)

# %% [markdown]
# **Think!** A ratio of 7.5 sounds modest next to JPEG's 10-20. Why can the DAE still not keep every pixel?
#
# <details><summary>Answer</summary>
#
# JPEG keeps 8-bit coefficients chosen per image, and throws away what the eye misses; the DAE's 128 numbers
# are continuous but computed by one fixed network for every image, learned from 1440 training images. What
# it can keep is what those images have in common (coarse light and dark structure), not the texture of a
# particular image.
# </details>

# %% [markdown]
# ## Training, live
# *extended · about 10 min · 25 min so far*
#
# `fit` uses Adam, holds out 20% of the training images for validation, lowers the learning rate when the
# validation loss stalls and stops early (restoring the best weights). Here we train for only a few epochs
# (the quick mode's settings, a few seconds on a CPU) to watch the loss fall; below we compare this model
# with converged ones.

# %%
quick = preset("quick")
live_data = session.train_data()  # quick mode: the first 1500 training images
config = quick.train.replace(seed=SEED)
print(describe_training(live_data, config))
history = fit(model, live_data, config, device=session.device, progress=True)
print(history)
show_figure(plotting.plot_training_curves({"train": history.train_loss, "validation": history.val_loss},
                                          best_epoch=history.best_epoch, title="DAE training", ylabel="MSE"),
            "01_training", OUTPUT_DIR)

# %% [markdown]
# ## How good are the reconstructions? (with a coding exercise)
# *extended · about 10 min · 35 min so far*
#
# - **MSE** is the loss above, averaged over test images.
# - **PSNR** (peak signal-to-noise ratio, dB) puts the per-image MSE on a log scale, for pixels in $[0,1]$:
#   $\mathrm{PSNR} = 10 \log_{10}\!\big(1 / \mathrm{MSE}\big)$; +3 dB means half the error.
# - **SSIM** (structural similarity, 1 = identical) compares local means $\mu$, variances $\sigma^2$ and
#   covariance $\sigma_{x\hat x}$ in 7×7 windows:
#   $\mathrm{SSIM} = \frac{(2\mu_x\mu_{\hat x} + c_1)(2\sigma_{x\hat x} + c_2)}{(\mu_x^2 + \mu_{\hat x}^2 + c_1)(\sigma_x^2 + \sigma_{\hat x}^2 + c_2)}$.
#
# A number means little without a baseline: a "model" that outputs the mean gray value for every image.
#
# ### Coding exercise 2: PSNR
# *extended · about 5 min · 40 min so far*
#
# Write `psnr_per_image(reconstructions, images)` for arrays of shape (images, 1, H, W) with pixels in
# $[0, 1]$: the PSNR of each image, $10 \log_{10}(1 / \mathrm{MSE}_\text{image})$, averaged over the images
# (what daenr-lite's `psnr` reports).

# %% [markdown]
# *Example* (daenr-lite's solution): two gray images, one reconstructed 0.1 too bright (MSE 0.01, 20 dB), one
# 0.01 too bright (MSE 0.0001, 40 dB):
#
# ```python
# images = np.full((2, 1, 2, 2), 0.5)
# psnr_per_image(images + np.array([0.1, 0.01]).reshape(2, 1, 1, 1), images)  # -> 30.0
# ```
#
# (the PSNR of their mean MSE, 0.00505, would be 22.97 dB). The cell after the check scores the models with
# your function once it passes.

# %% nbgrader={"grade": false, "grade_id": "psnr_per_image", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "5e0fd68cde418b1a7dacec08b2265462", "cell_type": "code"} deletable=false
def psnr_per_image(reconstructions, images):
    """Mean over images of 10 log10(1 / per-image MSE), in dB."""
    # Outline: uncomment, fill in each ... and delete the `raise NotImplementedError()` below.
    # per_image_mse = np.mean((reconstructions - images) ** 2, axis=...)  # one MSE per image
    # per_image_psnr = 10 * np.log10(...)                                  # one PSNR per image, in dB
    # return float(np.mean(per_image_psnr))
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_psnr_per_image", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false, "checksum": "b7f07259a015f39c33457a0f701b3c59", "cell_type": "code"} deletable=false editable=false
grade(check_psnr_per_image, psnr_per_image)

# %% nbgrader={"grade": false, "grade_id": "psnr_per_image_used", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "57f7520ef9838935041c87400d925b88", "cell_type": "code"} deletable=false editable=false
use = choose(psnr_per_image)  # the PSNR of the live DAE and of the baseline below
scores = evaluate(model, data)
scores["psnr"] = use(predict(model, data.test_images)["reconstruction"], data.test_images)
blank = np.full_like(data.test_images, data.train_images.mean())
baseline = {"psnr": use(blank, data.test_images), "ssim": ssim(blank, data.test_images)}
converged = session.rows("dae")  # one row per seed of this mode (pretrained: converged models from the zoo)
same = next(r for r in converged if r["seed"] == SEED)  # trained on the same simulated images as the live model
print(f"live DAE ({history.n_epochs} epochs):          PSNR {scores['psnr']:.2f} dB   SSIM {scores['ssim']:.3f}   MSE {scores['mse']:.4f}")
print(f"{session.mode} DAE, seed {SEED} ({same['epochs']} epochs):  PSNR {same['psnr']:.2f} dB   SSIM {same['ssim']:.3f}   MSE {same['mse']:.4f}")
print(f"mean-gray image:                PSNR {baseline['psnr']:.2f} dB   SSIM {baseline['ssim']:.3f}")
print(f"{session.mode} DAEs over seeds {list(session.seeds)} (each seed its own simulated images): "
      f"PSNR {format_mean_sd([r['psnr'] for r in converged], 2)} dB, SSIM {format_mean_sd([r['ssim'] for r in converged])}")

# %% [markdown]
# The first three lines are on the same test images: the DAE we just trained for a few epochs, the DAE of
# this mode for seed `SEED` (in the default mode converged: 40 epochs), and a baseline that outputs the mean
# gray value for every image. A few epochs already beat the baseline by about 8 dB; full training adds
# about 3 dB more. The last line is the spread over seeds; on simulated data each seed also draws its own
# images and neurons, so this spread is larger than the training noise alone (which paired comparisons, as in
# notebook 03, remove).

# %%
dae = session.model("dae")
out = predict(dae, data.test_images[:8], features=True)
dae_psnr = next(r["psnr"] for r in converged if r["seed"] == SEED)
show_figure(plotting.plot_reconstructions(data.test_images[:8], {"live": predict(model, data.test_images[:8])["reconstruction"],
                                                                 session.mode: out["reconstruction"]},
                                          title=f"Test images, the live DAE ({scores['psnr']:.1f} dB) and the "
                                                f"{session.mode} DAE of seed {SEED} ({dae_psnr:.1f} dB)"),
            "01_reconstructions", OUTPUT_DIR)

# %% [markdown]
# Top row: the test images; below, the reconstructions of the live and of the converged DAE. Both keep the
# coarse light and dark layout; the longer-trained one keeps more edges, and neither keeps fine texture: 128
# numbers cannot hold every pixel.

# %% [markdown]
# ## Inside the encoder
# *bonus · about 5 min · 45 min so far*
#
# The feature maps of one test image in the converged DAE: early layers ($h_1$) keep a full-resolution copy
# of the image filtered in different ways (edges, light vs dark); deeper layers are coarser and more abstract.
# Notebook 03 asks which of these layers is the best place to read V1 responses from.

# %%
show_figure(plotting.plot_feature_maps([layer[0] for layer in out["features"]], image=data.test_images[0],
                                       title=f"Feature maps h1..h4 of the {session.mode} DAE (seed {SEED}) for test image 0"),
            "01_feature_maps", OUTPUT_DIR)

# %% [markdown]
# Each row is one layer (one colour scale and colorbar per layer; the first six channels), beside the input
# image. In $h_1$ several channels are sharpened or inverted copies of the image's bright blobs and edges;
# $h_2$ and $h_3$ keep where the strong features are on a coarser grid; the 4x4 maps of $h_4$, the code, no
# longer look like the image at all.

# %%
saved = record_metrics(OUTPUT_DIR, "01", mode=session.mode, mse=scores["mse"], psnr=scores["psnr"], ssim=scores["ssim"],
                       baseline_psnr=baseline["psnr"], baseline_ssim=baseline["ssim"], epochs=history.n_epochs,
                       compression_ratio=model.compression_ratio,
                       converged_psnr=[r["psnr"] for r in converged], converged_ssim=[r["ssim"] for r in converged])
print(f"key numbers saved to {saved}")

# %% [markdown]
# ## Summary: what you learned
#
# - The DAE squeezes a 31x31 image through 128 numbers ($h_4$) and rebuilds it; the compression ratio is
#   $961/128 \approx 7.5$.
# - MSE, PSNR and SSIM judge reconstructions, always against a baseline (the mean gray image); PSNR is a mean
#   of per-image values, which is not the PSNR of the mean MSE.
# - A few epochs already beat the baseline by far; converged DAEs are better still, and the spread over
#   seeds tells how much of a difference between two DAEs is noise.
# - Early layers keep image-like maps, the bottleneck an abstract code.
#
# ## Further questions
# *discussion · about 10 min · 55 min so far*
#
# 1. Train the live model longer (`config = quick.train.replace(seed=SEED, max_epochs=20)`). How do PSNR and
#    SSIM grow with training time, and how close do you get to the converged DAEs?
#
#    <details><summary>Answer</summary>
#
#    They rise quickly over the first epochs, then slowly: the converged DAEs trained 40 epochs with early
#    stopping and learning-rate decay, and their validation loss was still creeping down at the end.
#    </details>
#
# 2. Make the bottleneck narrower: `DAE(data.image_shape, ModelConfig(encoder_channels=(16, 32, 32, 2)))`
#    (`from daenr_lite import ModelConfig`). What happens to the compression ratio and to the reconstructions?
#
#    <details><summary>Answer</summary>
#
#    The code shrinks to 2x4x4 = 32 numbers (ratio 30): reconstructions get blurrier and PSNR drops; only the
#    coarsest light-dark layout survives.
#    </details>
#
# 3. Which kind of image detail does the DAE lose first? Compare fine textures and large shapes.
#
#    <details><summary>Answer</summary>
#
#    Fine texture and isolated small bright spots go first; large uniform regions and strong long edges are
#    kept (see the reconstructions above).
#    </details>

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
# ## Learning goals
# - Write down the joint objective and the role of the weight $\lambda$.
# - Train DAE-NR$_i$ for every mapping layer $i = 1 \dots 4$ and compare it with the plain DAE.
# - Explore mapping layer, $\lambda$ and region interactively.

# %% tags=["parameters"]
import os

QUICK = os.environ.get("DAENR_QUICK", "0") in ("1", "true")  # True: short training (CPU, CI)
SEED = 0
DEVICE = "auto"  # "auto" picks CUDA / Apple MPS when available, else the CPU
DATASET = "simulated"  # or "antolik2016" (real recordings; download them first)
REGION = 1  # recording region 1, 2 or 3
OUTPUT_DIR = os.environ.get("DAENR_OUTPUT_DIR", "outputs")  # metrics and figures go here

# %%
from daenr_lite import apply_thread_policy, evaluate, get_device, load_dataset, predict, set_seed
from daenr_lite import plotting
from daenr_lite.experiments import train_named_model
from daenr_lite.notebook_utils import (describe_training, format_table, quick_subset, record_metrics, show_figure,
                                       train_config)
from daenr_lite.widgets import MappingLayerExplorer

set_seed(SEED)
device = get_device(DEVICE)
threads = apply_thread_policy()
data = load_dataset(DATASET, region=REGION, seed=SEED)
train_data = quick_subset(data, QUICK)  # quick mode: fewer training images
config = train_config(QUICK, SEED)
print(f"{data.name}: {data.n_neurons} neurons; device {device}; torch threads {threads}; {describe_training(train_data, config)}")

# %% [markdown]
# ## The joint objective
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

# %%
names = {"dae": "DAE", "dae_nr_1": "DAE-NR_1", "dae_nr_2": "DAE-NR_2", "dae_nr_3": "DAE-NR_3", "dae_nr_4": "DAE-NR_4"}
models, rows = {}, []
for key, label in names.items():
    model, history = train_named_model(key, train_data, config, seed=SEED, device=device)
    models[label] = model
    rows.append({"model": label, "epochs": history.n_epochs, **evaluate(model, data)})
    print(f"{label}: trained {history.n_epochs} epochs in {history.seconds:.1f} s")

# %%
print(format_table(rows, ["model", "mse", "psnr", "ssim", "test_corr", "fraction_of_ceiling", "epochs"]))

# %% [markdown]
# Reading the table: `mse`, `psnr` (dB) and `ssim` measure the reconstruction of the 50 test images; `test_corr`
# is the mean correlation of predicted and trial-averaged responses (the DAE predicts none) and
# `fraction_of_ceiling` divides it by the best achievable correlation. What does the data say here?

# %%
dae_psnr = rows[0]["psnr"]
nr_rows = rows[1:]
best = max(nr_rows, key=lambda row: row["psnr"])
better = [row["model"] for row in nr_rows if row["psnr"] > dae_psnr]
print(f"DAE PSNR {dae_psnr:.2f} dB; best DAE-NR: {best['model']} with {best['psnr']:.2f} dB "
      f"({best['psnr'] - dae_psnr:+.2f} dB).")
print(f"{len(better)} of 4 DAE-NR variants reconstruct better than the DAE: {', '.join(better) or 'none'}.")
if QUICK:
    print("Quick mode: every model trained for only a few epochs; differences of a few tenths")
    print("of a dB are within seed-to-seed noise. Run with QUICK = False (ideally on a GPU) before concluding.")

# %%
reconstructions = {label: predict(model, data.test_images[:8])["reconstruction"] for label, model in models.items()}
show_figure(plotting.plot_reconstructions(data.test_images[:8], reconstructions,
                                          title="Test images reconstructed by the DAE and DAE-NR_1..4"),
            "03_reconstructions", OUTPUT_DIR)
show_figure(plotting.plot_metric_table({row["model"]: row["psnr"] for row in rows}, metric="PSNR (dB)",
                                       title=f"Reconstruction quality, {data.name}"),
            "03_psnr", OUTPUT_DIR)

# %% [markdown]
# ## Explore: mapping layer × λ × region
#
# Pick a mapping layer, a response weight λ and a region, then click **Train & show**. Training runs only
# when you click (a few seconds in quick mode); every setting you trained is remembered, so going back is
# instant. The figure shows test images above their reconstructions and the predicted vs recorded
# responses of all neurons. Below, the explorer has already trained its default setting once.

# %%
explorer = MappingLayerExplorer(
    lambda region: load_dataset(DATASET, region=region, seed=SEED),
    quick=QUICK, seed=SEED, device=DEVICE, layer=2, region=REGION,
)
explorer.show_default()
explorer

# %%
print(explorer.status.value)
print(format_table([{"setting": f"h{layer}, lambda={lam:g}, region {region}", **result.metrics}
                    for (layer, lam, region), result in explorer.cache.items()],
                   ["setting", "psnr", "ssim", "test_corr"]))

# %%
saved = record_metrics(OUTPUT_DIR, "03", models={row["model"]: {k: row.get(k) for k in ("mse", "psnr", "ssim", "test_corr")}
                                                 for row in rows},
                       dae_psnr=dae_psnr, best_dae_nr=best["model"], best_dae_nr_psnr=best["psnr"],
                       n_dae_nr_better=len(better), explorer_text=explorer.metrics.value,
                       explorer_status=explorer.status.value)
print(f"key numbers saved to {saved}")

# %% [markdown]
# ## Exercises
#
# 1. In the explorer, keep layer h2 and move λ from $10^{-5}$ to $10^{-1}$. How do PSNR and test $r$ trade off?
#    Is there a λ that improves both over the DAE?
# 2. Which mapping layer predicts the responses best? Why might an early layer ($h_1$, full resolution) suit
#    V1 neurons better than the bottleneck $h_4$?
# 3. Change `SEED` and re-run the comparison table. Which differences survive a new seed?
# 4. The paper's region 3 shows the biggest DAE → DAE-NR gain (+2.7 dB). Try region 3 here (`REGION = 3`).

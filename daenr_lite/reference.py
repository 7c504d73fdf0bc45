"""Published numbers that the notebooks print beside ours (data only, no logic).

Source: Ran X, Zhang J, Ye Z, Wu H, Xu Q, Zhou H, Liu Q (2021), "Deep Auto-encoder with Neural Response",
arXiv:2111.15309 — transcribed in the project's reference notes (``shared/reference/dae_nr_results.md``).
Test correlations of other models: Klindt DA, Ecker AS, Euler T, Bethge M (2017), "Neural system
identification for large populations separating what and where", NIPS.

Caveat (from the reference notes): the paper's MSE and PSNR are not related by PSNR = 10 log10(1 / MSE)
on one scale, so they were computed on different scales or averaged differently. Compare PSNR and SSIM
*differences between models* rather than absolute values.
"""
from __future__ import annotations

__all__ = [
    "PAPER",
    "TABLE1",
    "TABLE2_REGION",
    "TABLE2",
    "FIGURE3_REGION",
    "FIGURE3_N_NEURONS",
    "FIGURE3_SIGNIFICANT",
    "KLINDT2017_TEST_CORR",
    "ORACLE_CORR_REAL",
]

PAPER = "Ran et al. 2021, Deep Auto-encoder with Neural Response (arXiv:2111.15309)"

#: Table 1: image reconstruction on the test set, all neurons of each region.
#: ``TABLE1[model][region] = {"mse": ..., "psnr": ... (dB), "ssim": ...}``
TABLE1: dict[str, dict[int, dict[str, float]]] = {
    "DAE": {1: {"mse": 0.022, "psnr": 23.709, "ssim": 0.771},
            2: {"mse": 0.024, "psnr": 23.338, "ssim": 0.754},
            3: {"mse": 0.081, "psnr": 17.039, "ssim": 0.561}},
    "DAE-NR_1": {1: {"mse": 0.021, "psnr": 23.829, "ssim": 0.776},
                 2: {"mse": 0.023, "psnr": 23.392, "ssim": 0.753},
                 3: {"mse": 0.044, "psnr": 19.751, "ssim": 0.763}},
    "DAE-NR_2": {1: {"mse": 0.021, "psnr": 23.779, "ssim": 0.775},
                 2: {"mse": 0.023, "psnr": 23.440, "ssim": 0.759},
                 3: {"mse": 0.043, "psnr": 19.819, "ssim": 0.764}},
    "DAE-NR_3": {1: {"mse": 0.021, "psnr": 23.778, "ssim": 0.775},
                 2: {"mse": 0.024, "psnr": 23.330, "ssim": 0.755},
                 3: {"mse": 0.043, "psnr": 19.789, "ssim": 0.761}},
    "DAE-NR_4": {1: {"mse": 0.022, "psnr": 23.721, "ssim": 0.773},
                 2: {"mse": 0.023, "psnr": 23.491, "ssim": 0.760},
                 3: {"mse": 0.059, "psnr": 18.462, "ssim": 0.668}},
}

#: Table 2 is reported for region 3 only.
TABLE2_REGION = 3

#: Table 2: DAE-NR trained with only the significant ("yes") or only the insignificant ("no") neurons.
#: ``TABLE2[model][subset] = {"mse": ..., "psnr": ..., "ssim": ...}``
TABLE2: dict[str, dict[str, dict[str, float]]] = {
    "DAE-NR_1": {"yes": {"mse": 0.043, "psnr": 19.784, "ssim": 0.761},
                 "no": {"mse": 0.125, "psnr": 15.168, "ssim": 0.332}},
    "DAE-NR_2": {"yes": {"mse": 0.047, "psnr": 19.467, "ssim": 0.743},
                 "no": {"mse": 0.082, "psnr": 16.970, "ssim": 0.547}},
    "DAE-NR_3": {"yes": {"mse": 0.049, "psnr": 19.245, "ssim": 0.724},
                 "no": {"mse": 0.116, "psnr": 15.463, "ssim": 0.362}},
    "DAE-NR_4": {"yes": {"mse": 0.047, "psnr": 19.497, "ssim": 0.740},
                 "no": {"mse": 0.045, "psnr": 19.628, "ssim": 0.752}},
}

#: Figure 3: neurons significantly correlated with the model (p <= 0.05), region 3 (102 neurons).
FIGURE3_REGION = 3
FIGURE3_N_NEURONS = 102
#: DAE: 6; DAE-NR: 38 to 47 depending on the mapping layer (the per-layer split is not published).
FIGURE3_SIGNIFICANT: dict[str, int | tuple[int, int]] = {"DAE": 6, "DAE-NR": (38, 47)}

#: Mean per-neuron Pearson r with trial-averaged test responses on the real recordings, regions 1/2/3
#: (Klindt et al. 2017).
KLINDT2017_TEST_CORR: dict[str, dict[int, float]] = {
    "Antolik HSM": {1: 0.51, 2: 0.43, 3: 0.46},
    "LNP": {1: 0.37, 2: 0.30, 3: 0.38},
    "CNN + factorized readout": {1: 0.55, 2: 0.45, 3: 0.49},
}

#: Mean single-trial leave-one-out oracle correlation of the real recordings (shared data README).
ORACLE_CORR_REAL: dict[int, float] = {1: 0.400, 2: 0.329, 3: 0.369}

"""`fit`: Adam + early stopping (best weights restored) + ReduceLROnPlateau, with a NaN guard."""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from ..config import TrainConfig
from ..threads import apply_thread_policy
from .device import get_device
from .objective import loss_part_names, objective

__all__ = ["fit", "History", "TrainingDiverged"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf or grew far beyond its starting value (``TrainConfig.divergence_factor``);
    the message names the epoch, the loss part and a fix."""


@dataclass
class History:
    """What happened during :func:`fit`. Epochs are numbered from 1; lists hold one value per epoch.

    Attributes
    ----------
    train_loss, val_loss : objective per epoch (train: mean over batches incl. the L1 penalty;
        val: data terms only, the early-stopping criterion).
    train_parts, val_parts : per-part losses (``mse``, ``poisson``, ``l1``) per epoch, unweighted.
    lr : learning rate used in each epoch.
    best_epoch, best_val_loss : the epoch whose weights were restored, and its validation loss.
    stopped_reason : ``"early_stopping"``, ``"max_epochs"`` or ``"time_limit"``.
    seconds : wall-clock training time.
    config : the :class:`TrainConfig` used, as a dict.
    device : where it trained.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_parts: dict[str, list[float]] = field(default_factory=dict)
    val_parts: dict[str, list[float]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    best_epoch: int = 0
    best_val_loss: float = math.inf
    stopped_reason: str = ""
    seconds: float = 0.0
    config: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"

    @property
    def n_epochs(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        return (
            f"History(epochs={self.n_epochs}, best_epoch={self.best_epoch}, best_val_loss={self.best_val_loss:.5g}, "
            f"stopped_reason={self.stopped_reason!r}, seconds={self.seconds:.1f}, device={self.device!r})"
        )


def _resolve_config(config: TrainConfig | None, overrides: dict[str, Any]) -> TrainConfig:
    if config is not None and not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig or None; got {type(config).__name__}.")
    return (config or TrainConfig()).replace(**overrides)


def _resolve_split(dataset: Any, cfg: TrainConfig, train_idx: Any, val_idx: Any) -> tuple[np.ndarray, np.ndarray]:
    if train_idx is None and val_idx is None:
        return dataset.split_indices(val_fraction=cfg.val_fraction, seed=cfg.seed)
    if train_idx is None or val_idx is None:
        raise ValueError("pass both train_idx and val_idx, or neither (then val_fraction splits the training images).")
    train_idx, val_idx = np.asarray(train_idx, dtype=np.int64), np.asarray(val_idx, dtype=np.int64)
    for name, idx in (("train_idx", train_idx), ("val_idx", val_idx)):
        if idx.ndim != 1 or idx.size < 2 or idx.min() < 0 or idx.max() >= dataset.n_train:
            raise ValueError(f"{name} must list >= 2 training-image indices in [0, {dataset.n_train}).")
    if np.intersect1d(train_idx, val_idx).size:
        raise ValueError("train_idx and val_idx overlap; validation images must not be trained on.")
    return train_idx, val_idx


def _set_train_mode(model: nn.Module) -> None:
    """``model.train()``, except batch-norm layers without trainable parameters stay in eval mode.

    A frozen encoder (e.g. a probe reading from a trained DAE) must not have its running statistics
    updated by the probe's training.
    """
    model.train()
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            params = list(module.parameters(recurse=False))
            if params and not any(p.requires_grad for p in params):
                module.eval()


def _batches(n: int, batch_size: int) -> list[tuple[int, int]]:
    bounds = [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:  # batch norm cannot train on one image
        bounds.pop()
    return bounds


def _check_output(model: nn.Module, output: dict[str, Any], n_neurons: int) -> None:
    if not isinstance(output, dict) or "features" not in output:
        raise TypeError(
            f"{type(model).__name__}.forward must return a dict with 'reconstruction', 'responses' and 'features'."
        )
    if getattr(model, "predicts_responses", False):
        resp = output.get("responses")
        if resp is None or resp.dim() != 2 or resp.shape[1] != n_neurons:
            shape = None if resp is None else tuple(resp.shape)
            raise ValueError(
                f"{type(model).__name__} predicts responses of shape {shape} but the dataset has {n_neurons} "
                "neurons; build the model for this dataset (build_model(kind, dataset))."
            )
    if getattr(model, "reconstructs", False) and output.get("reconstruction") is None:
        raise ValueError(f"{type(model).__name__} has reconstructs=True but returned no reconstruction.")


@torch.no_grad()
def _validation_parts(
    model: nn.Module, images: torch.Tensor, responses: torch.Tensor, idx: torch.Tensor, lam: float, batch_size: int
) -> dict[str, torch.Tensor]:
    model.eval()
    sums: dict[str, torch.Tensor] = {}
    for start, stop in _batches(len(idx), max(batch_size, 256)):
        batch = idx[start:stop]
        _, parts = objective(model, model(images[batch]), images[batch], responses[batch], lam, with_penalty=False)
        for key, value in parts.items():
            sums[key] = sums.get(key, 0.0) + value * (stop - start)
    return {key: value / len(idx) for key, value in sums.items()}


def _val_total(model: nn.Module, parts: dict[str, float], lam: float) -> float:
    if "mse" in parts and "poisson" in parts:
        return parts["mse"] + lam * parts["poisson"]
    return parts.get("mse", parts.get("poisson", math.nan))


def _divergence_limit(start: float, cfg: TrainConfig) -> float:
    """Loss above which training counts as diverged: ``L0 + divergence_factor * max(|L0|, 1)``."""
    if cfg.divergence_factor is None or not math.isfinite(start):
        return math.inf
    return start + cfg.divergence_factor * max(abs(start), 1.0)


def _diverged(
    model: nn.Module, epoch: int, split: str, parts: dict[str, float], cfg: TrainConfig, start: float | None = None
) -> TrainingDiverged:
    bad = [key for key, value in parts.items() if not math.isfinite(value)]
    if bad or start is None:
        what = f"the {split} loss part(s) {bad or ['total']} became NaN/inf"
    else:
        what = (
            f"the {split} loss grew to {parts['total']:.4g}, far beyond its starting value {start:.4g} "
            f"(limit {_divergence_limit(start, cfg):.4g} = start + divergence_factor={cfg.divergence_factor:g} "
            "x max(|start|, 1))"
        )
    return TrainingDiverged(
        f"training {type(model).__name__} diverged in epoch {epoch}: {what} "
        f"(parts: { {k: float(f'{v:.5g}') if math.isfinite(v) else v for k, v in parts.items()} }). "
        f"Try a lower learning rate (e.g. fit(..., lr={cfg.lr / 10:.2g})) or a smaller lam/readout_l1; "
        "check that the images are in [0, 1]."
    )


def fit(
    model: nn.Module,
    dataset: Any,
    config: TrainConfig | None = None,
    *,
    train_idx: Any = None,
    val_idx: Any = None,
    progress: bool = True,
    device: str | torch.device | None = None,
    **overrides: Any,
) -> History:
    """Train ``model`` on ``dataset``'s training images; return the :class:`History`.

    The objective follows the model (``reconstructs`` / ``predicts_responses``): MSE for the DAE,
    Poisson + readout L1 for the CNN-FR (and any response-only module), ``MSE + lam * (Poisson + L1)`` for
    the DAE-NR. Only parameters with ``requires_grad`` are optimised (Adam), so a probe on a frozen
    encoder trains just its readout. After each epoch the validation loss drives ``ReduceLROnPlateau`` and
    early stopping; the best weights are restored at the end.

    Parameters
    ----------
    model : an ``nn.Module`` following the forward-dict contract (see :mod:`daenr_lite.models`).
    dataset : a NeuralDataset.
    config : :class:`TrainConfig` (default: the defaults). ``**overrides`` change single fields, e.g.
        ``fit(model, data, lr=1e-3, max_epochs=5)``; unknown names raise ``ValueError``.
    train_idx, val_idx : explicit split of the training images (default: ``dataset.split_indices``
        with ``val_fraction`` and ``seed``).
    progress : show a tqdm progress bar over epochs (notebook or terminal).
    device : ``"cpu"``, ``"cuda"``, ``"mps"``; default :func:`get_device`. All data is moved there once.

    CPU threads: torch's thread count is set by :func:`daenr_lite.threads.apply_thread_policy`
    (``DAENR_THREADS``, else the available cores, at most 4), unless you called ``torch.set_num_threads``.

    Raises
    ------
    TrainingDiverged : the loss became NaN/inf, or exceeded ``L0 + divergence_factor * max(|L0|, 1)`` with
        ``L0`` the validation loss before training (see :class:`TrainConfig`).
    """
    from tqdm.auto import tqdm

    cfg = _resolve_config(config, overrides)
    part_names = loss_part_names(model)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{type(model).__name__} has no trainable parameters (all requires_grad=False); nothing to fit.")
    tr_idx, va_idx = _resolve_split(dataset, cfg, train_idx, val_idx)
    dev = get_device(device)
    apply_thread_policy()  # DAENR_THREADS / cores available, capped; never overrides your torch.set_num_threads
    model.to(dev)

    if cfg.normalize_inputs and hasattr(model, "set_input_normalization") and not model.has_input_normalization:
        stats = dataset.normalization_stats(tr_idx)
        model.set_input_normalization(stats.image_mean, stats.image_std)

    images = torch.as_tensor(dataset.train_images, dtype=torch.float32, device=dev)
    responses = torch.as_tensor(dataset.train_responses, dtype=torch.float32, device=dev)
    tr_idx_t = torch.as_tensor(tr_idx, dtype=torch.long, device=dev)
    va_idx_t = torch.as_tensor(va_idx, dtype=torch.long, device=dev)
    shuffle_rng = torch.Generator().manual_seed(int(cfg.seed))

    optimizer = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=cfg.lr_decay_factor, patience=cfg.lr_patience, min_lr=cfg.min_lr
    )
    history = History(
        train_parts={k: [] for k in part_names},
        val_parts={k: [] for k in part_names if k != "l1"},
        config=cfg.to_dict(),
        device=str(dev),
    )
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    epochs_without_improvement = 0
    batches = _batches(len(tr_idx), cfg.batch_size)
    start_time = time.perf_counter()
    history.stopped_reason = "max_epochs"

    bar = tqdm(
        range(1, cfg.max_epochs + 1), desc=f"fit {type(model).__name__}", unit="epoch", disable=not progress, leave=True
    )
    with torch.no_grad():  # check the forward contract before anything else, in eval mode (no side effects)
        model.eval()
        _check_output(model, model(images[va_idx_t[:2]]), dataset.n_neurons)
    start_parts = _validation_parts(model, images, responses, va_idx_t, cfg.lam, cfg.batch_size)
    start_loss = _val_total(model, {key: float(value) for key, value in start_parts.items()}, cfg.lam)
    limit = _divergence_limit(start_loss, cfg)
    for epoch in bar:
        _set_train_mode(model)
        order = tr_idx_t[torch.randperm(len(tr_idx), generator=shuffle_rng).to(dev)]
        sums: dict[str, torch.Tensor] = {}
        total_sum = torch.zeros((), device=dev)
        n_seen = 0
        for start, stop in batches:
            batch = order[start:stop]
            x, y = images[batch], responses[batch]
            output = model(x)
            total, parts = objective(model, output, x, y, cfg.lam)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            size = stop - start
            total_sum += total.detach() * size
            for key, value in parts.items():
                sums[key] = sums.get(key, 0.0) + value.detach() * size
            n_seen += size
        train_parts = {key: float(value) / n_seen for key, value in sums.items()}
        train_total = float(total_sum) / n_seen
        if not math.isfinite(train_total) or not all(math.isfinite(v) for v in train_parts.values()):
            bar.close()
            raise _diverged(model, epoch, "training", {**train_parts, "total": train_total}, cfg)
        if train_total > limit:
            bar.close()
            raise _diverged(model, epoch, "training", {**train_parts, "total": train_total}, cfg, start_loss)

        val_parts = _validation_parts(model, images, responses, va_idx_t, cfg.lam, cfg.batch_size)
        val_parts = {key: float(value) for key, value in val_parts.items()}
        val_total = _val_total(model, val_parts, cfg.lam)
        if not math.isfinite(val_total):
            bar.close()
            raise _diverged(model, epoch, "validation", {**val_parts, "total": val_total}, cfg)
        if val_total > limit:
            bar.close()
            raise _diverged(model, epoch, "validation", {**val_parts, "total": val_total}, cfg, start_loss)

        history.train_loss.append(train_total)
        history.val_loss.append(val_total)
        history.lr.append(optimizer.param_groups[0]["lr"])
        for key in history.train_parts:
            history.train_parts[key].append(train_parts.get(key, math.nan))
        for key in history.val_parts:
            history.val_parts[key].append(val_parts.get(key, math.nan))

        best = history.best_val_loss
        if not math.isfinite(best) or val_total < best - cfg.min_delta * abs(best):
            history.best_val_loss, history.best_epoch = val_total, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            epochs_without_improvement = 0
        else:
            epochs_without_improvement += 1
        scheduler.step(val_total)
        bar.set_postfix(train=f"{train_total:.4g}", val=f"{val_total:.4g}", best=history.best_epoch, lr=f"{history.lr[-1]:.1e}")

        if epochs_without_improvement >= cfg.patience:
            history.stopped_reason = "early_stopping"
            break
        if cfg.max_seconds is not None and time.perf_counter() - start_time > cfg.max_seconds:
            history.stopped_reason = "time_limit"
            break
    bar.close()
    model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start_time
    return history

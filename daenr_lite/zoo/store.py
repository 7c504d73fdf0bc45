"""`ModelStore`: a recipe is looked up in the shipped zoo, then the user cache, and only then trained.

Layout of a store folder (the user cache, ``<data dir>/models``, or a ``pretrain --output`` folder)::

    <key>.pt      the weights (torch.save of tensors and plain values; loaded with weights_only=True)
    <key>.json    the entry: recipe, shapes, sha256 of the .pt file, metrics, training facts
    manifest.json all entries in one file (written by ``pretrain``; the shipped zoo has only this)

Models are rebuilt from the recipe through the model registry, never from a class named in a file, and a
file is used only if its sha256 matches its entry. Every entry carries ``record_sha256``, the sha256 of its own
canonical JSON (:func:`record_sha256`), so an edited metric is never shown. A corrupt or edited cache entry is
treated as absent (a warning; the model is retrained); anything wrong in the shipped zoo is an error that says to
reinstall daenr-lite. A cache that cannot be written is found before a training starts
(:meth:`ModelStore.check_writable`); a write that fails afterwards keeps the model in memory and says where.
"""
from __future__ import annotations

import copy
import errno
import hashlib
import json
import io
import os
import platform
import shutil
import tempfile
import time
import warnings
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch
from torch import nn

from .._atomic import atomic_write_bytes, atomic_write_text
from ..models.registry import MODEL_CODE_VERSION
from .reproducibility import machine_fingerprint
from .recipe import Recipe

__all__ = ["ModelStore", "ZooIntegrityError", "CacheNotWritable", "StoreWarning", "SHIPPED_ZOO_DIR", "MODEL_CACHE_ENV",
           "default_cache_dir", "file_sha256", "read_entries", "read_entry", "record_sha256", "seal_manifest"]

_FORMAT = "daenr-lite-store"
_FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TRAIN_LOG = "trained.jsonl"
REBUILD_COMMAND = "daenr-lite pretrain --output daenr_lite/zoo/shipped --float16"
REINSTALL = "reinstall daenr-lite (pip install --force-reinstall daenr-lite; in a source checkout: git checkout daenr_lite/zoo/shipped)"
#: the entry field holding the sha256 of the entry's own record (:func:`record_sha256`)
RECORD_HASH = "record_sha256"
#: free space a training needs in the cache folder before it starts: a checkpoint of the grid is < 1 MB
#: (float32; the shipped float16 ones 0.2 MB), its entry and the manifest a few kB; the rest is headroom
MIN_FREE_BYTES = 20 * 2**20


def _shipped_dir() -> Path:
    return Path(str(resources.files("daenr_lite.zoo"))) / "shipped"


#: the pretrained zoo that ships inside the package
SHIPPED_ZOO_DIR = _shipped_dir()


class ZooIntegrityError(RuntimeError, ValueError):
    """A stored file does not match what was written (a model or metrics would be silently wrong), or a manifest
    cannot be read; the message names the file and what to do. A ``ValueError`` too: the CLI prints it in one line."""


class CacheNotWritable(OSError):
    """The model cache cannot take a trained model (read-only, full, not a folder, ...): found before training."""


class StoreWarning(UserWarning):
    """A stored file that is not used (damaged, edited, or not writable); the message says what happens instead."""


def record_sha256(entry: dict[str, Any]) -> str:
    """sha256 of ``entry``'s canonical JSON (sorted keys, no spaces) without its ``record_sha256`` field."""
    body = {key: value for key, value in entry.items() if key != RECORD_HASH}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _sealed(entry: dict[str, Any]) -> dict[str, Any]:
    body = {key: value for key, value in entry.items() if key != RECORD_HASH}
    return {**body, RECORD_HASH: record_sha256(body)}


def _is_shipped(folder: Path) -> bool:
    try:
        return Path(folder).resolve() == Path(SHIPPED_ZOO_DIR).resolve()
    except OSError:
        return False


def _record_problem(entry: Any, key: str) -> str:
    if not isinstance(entry, dict):
        return f"is not an entry (a JSON {type(entry).__name__})"
    if entry.get("key") != key:
        return f"names the key {entry.get('key')!r}"
    if RECORD_HASH not in entry:
        return f"has no {RECORD_HASH} (written before entries were hashed, or edited)"
    if entry[RECORD_HASH] != record_sha256(entry):
        return f"was changed after it was written (its {RECORD_HASH} does not match)"
    return ""


def _verified(entry: Any, key: str, source: Path, folder: Path) -> dict[str, Any] | None:
    """``entry`` if its record verifies; else an error (shipped zoo) or a warning and ``None`` (treated as absent)."""
    problem = _record_problem(entry, key)
    if not problem:
        return entry
    if _is_shipped(folder):
        raise ZooIntegrityError(f"the shipped zoo's entry {key} in {source} {problem}: its model or metrics cannot be "
                                f"trusted; {REINSTALL}.")
    warnings.warn(f"{source}: the entry {key} {problem}; it is treated as absent, so its model is retrained when next "
                  "needed.", StoreWarning, stacklevel=4)
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=1, sort_keys=True) + "\n")


def _write_entry(path: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Write ``entry`` (with its :func:`record_sha256`, over every field it has now) as ``path``; return it."""
    sealed = _sealed(entry)
    _atomic_write_json(path, sealed)
    return sealed


def _raw_manifest(folder: Path) -> dict[str, Any] | None:
    """The parsed ``manifest.json`` of ``folder`` (``None`` if there is none), or one line saying what to do."""
    manifest = folder / MANIFEST
    if not manifest.exists():
        return None
    try:
        value = json.loads(manifest.read_text(encoding="utf-8"))
        problem = ""
    except (OSError, ValueError) as exc:
        value, problem = None, f"cannot be read ({type(exc).__name__}: {exc})"
    if not problem:
        models = value.get("models", {}) if isinstance(value, dict) else None
        if not isinstance(models, dict) or not all(isinstance(e, dict) for e in models.values()):
            problem = "is not a model-store manifest (no {\"models\": {key: entry}})"
    if problem:
        problem = " ".join(problem.split())  # one line
        if _is_shipped(folder):
            raise ZooIntegrityError(f"the shipped zoo's {manifest} {problem}: the installation is damaged; {REINSTALL}.")
        raise ZooIntegrityError(
            f"{manifest} {problem}: move it away or delete it (nothing else in {folder} is touched: models with their "
            "own <key>.json are still found, the others are trained again, and pretrain writes a new manifest)."
        )
    return value


def _manifest_entries(folder: Path) -> dict[str, dict[str, Any]]:
    manifest = _raw_manifest(folder)
    if manifest is None:
        return {}
    entries = {}
    for key, entry in manifest.get("models", {}).items():
        if (entry := _verified(entry, key, folder / MANIFEST, folder)) is not None:
            entries[key] = entry
    return entries


def _sidecar_entry(path: Path) -> dict[str, Any] | None:
    """The verified entry in ``<key>.json``; ``None`` if absent, or (with a warning) damaged or edited."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        warnings.warn(f"{path} cannot be read ({exc}); it is treated as absent, so its model is retrained when next "
                      "needed.", StoreWarning, stacklevel=3)
        return None
    try:
        entry = json.loads(text)
    except ValueError as exc:
        warnings.warn(f"{path} is damaged (not JSON: {exc}); it is treated as absent, so its model is retrained when "
                      "next needed.", StoreWarning, stacklevel=3)
        return None
    return _verified(entry, path.stem, path, path.parent)


def read_entries(folder: Path) -> dict[str, dict[str, Any]]:
    """Entries of a store folder by key: ``manifest.json`` first, then the ``<key>.json`` files."""
    folder = Path(folder)
    entries = _manifest_entries(folder)
    if folder.is_dir():
        for sidecar in folder.glob("*.json"):
            if sidecar.name != MANIFEST and (entry := _sidecar_entry(sidecar)) is not None:
                entries[sidecar.stem] = entry
    return entries


def read_entry(folder: Path, key: str) -> dict[str, Any] | None:
    """The entry of one key in a store folder (its ``<key>.json``, else the manifest), reading only those files."""
    folder = Path(folder)
    return _sidecar_entry(folder / f"{key}.json") or _manifest_entries(folder).get(key)


def _state_to_save(model: nn.Module, kind: str, float16: bool) -> dict[str, torch.Tensor]:
    state = model.state_dict()
    if kind == "dae_probe":  # the frozen DAE is stored once, under its own recipe
        state = {k: v for k, v in state.items() if k.startswith("readout.")}
    out = {}
    for name, value in state.items():
        value = value.detach().cpu()
        out[name] = value.half() if float16 and value.is_floating_point() else value.clone()
    return out


#: environment variable naming the model cache folder (default ``<data dir>/models``)
MODEL_CACHE_ENV = "DAENR_MODEL_CACHE"


def default_cache_dir() -> Path:
    """``$DAENR_MODEL_CACHE`` if set, else ``<data dir>/models`` (:func:`~daenr_lite.default_data_dir`)."""
    env = os.environ.get(MODEL_CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    from ..data import default_data_dir

    return default_data_dir() / "models"


class ModelStore:
    """Get trained models by :class:`Recipe`, training each recipe at most once.

    Parameters
    ----------
    cache_dir : folder for models trained here (default :func:`default_cache_dir`).
    zoo_dirs : read-only folders searched first (default: the zoo shipped in the package).
    train : when False, a recipe found nowhere raises ``LookupError`` instead of training.
    device : where to train (default: the best available).
    data_dir : data folder for :func:`~daenr_lite.load_dataset` when no dataset is passed.
    dataset_options : further keyword arguments of :func:`~daenr_lite.load_dataset` (e.g. ``{"verify": False}``).
    float16 : store new checkpoints in float16 (half the size; the shipped zoo uses it).
    progress : progress bars while training.

    Attributes
    ----------
    log : one dict per :meth:`get` — ``key``, ``model``, ``source`` (``"memory"``, ``"zoo"``, ``"cache"``,
        ``"trained"``) and ``seconds``. ``n_trained`` counts the recipes trained by this store.
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] | None = None,
        zoo_dirs: Iterable[str | os.PathLike[str]] | None = None,
        *,
        train: bool = True,
        device: Any = None,
        data_dir: str | os.PathLike[str] | None = None,
        float16: bool = False,
        progress: bool = True,
        dataset_options: dict[str, Any] | None = None,
    ) -> None:
        if cache_dir is None:
            cache_dir = default_cache_dir()
        self.cache_dir = Path(cache_dir).expanduser()
        self.zoo_dirs = [Path(d) for d in (zoo_dirs if zoo_dirs is not None else [SHIPPED_ZOO_DIR])]
        self.train = bool(train)
        self.device = device
        self.data_dir = data_dir
        self.dataset_options = dict(dataset_options or {})
        self.float16 = bool(float16)
        self.progress = bool(progress)
        self.log: list[dict[str, Any]] = []
        self._models: dict[str, nn.Module] = {}
        self._datasets: dict[tuple[str, int, int, str | None], Any] = {}  # (dataset, region, data seed, generator)
        self._zoo_entries: list[tuple[Path, dict[str, dict[str, Any]]]] | None = None
        self._unsaved: dict[str, dict[str, Any]] = {}  # entries of models trained here whose write failed

    # ------------------------------------------------------------------ lookup
    @property
    def n_trained(self) -> int:
        return sum(1 for item in self.log if item["source"] == "trained")

    def _zoo(self) -> list[tuple[Path, dict[str, dict[str, Any]]]]:
        if self._zoo_entries is None:
            self._zoo_entries = [(d, read_entries(d)) for d in self.zoo_dirs if d.is_dir()]
        return self._zoo_entries

    def entry(self, recipe: Recipe) -> dict[str, Any] | None:
        """The stored entry (recipe, metrics, sha256, ...) of ``recipe``, or ``None`` if it is nowhere yet."""
        key = recipe.key()
        for _, entries in self._zoo():
            if key in entries:
                return entries[key]
        return read_entry(self.cache_dir, key) or self._unsaved.get(key)

    def get(self, recipe: Recipe, dataset: Any = None) -> nn.Module:
        """The trained model of ``recipe`` (eval mode, on the CPU): from memory, the zoo, the cache, or trained now.

        ``dataset`` : the recipe's dataset if already loaded (all neurons; the recipe's neuron subset is
        taken here); otherwise it is loaded with :func:`~daenr_lite.load_dataset`.
        """
        key = recipe.key()
        start = time.perf_counter()
        if key in self._models:
            self._note(recipe, "memory", start)
            return self._models[key]
        model, source = self._load_stored(recipe)
        if model is None:
            if not self.train:
                raise LookupError(
                    f"no stored model for {recipe.describe()} (key {key}); train it with "
                    f"`daenr-lite pretrain --dataset {recipe.dataset} --regions {recipe.region} --seeds {recipe.seed}` "
                    "or use a ModelStore with train=True."
                )
            model = self._train(recipe, dataset)
            source = "trained"
        self._models[key] = model
        self._note(recipe, source, start)
        return model

    def _note(self, recipe: Recipe, source: str, start: float) -> None:
        self.log.append({"key": recipe.key(), "model": recipe.model, "source": source,
                         "seconds": round(time.perf_counter() - start, 2)})

    def _load_stored(self, recipe: Recipe) -> tuple[nn.Module | None, str]:
        key = recipe.key()
        for folder, entries in self._zoo():
            if key in entries:
                path = folder / entries[key]["file"]
                problem = self._check_file(path, entries[key])
                if problem:
                    fix = REINSTALL if _is_shipped(folder) else f"rebuild it with `daenr-lite pretrain --output {folder}`"
                    raise ZooIntegrityError(f"shipped checkpoint {path} {problem}: it would give a wrong model; {fix}.")
                return self._read_checkpoint(path, recipe), "zoo"
        if not self.cache_dir.is_dir():
            return None, ""
        entry = read_entry(self.cache_dir, key)
        path = self.cache_dir / f"{key}.pt"
        if entry is None:
            return None, ""
        problem = self._check_file(path, entry)
        if not problem:
            try:
                return self._read_checkpoint(path, recipe), "cache"
            except Exception as exc:  # unreadable or mismatched: retrain below
                problem = f"cannot be loaded ({type(exc).__name__}: {exc})"
        print(f"cache entry {path.name} {problem}; it will be retrained")
        for stale in (path, self.cache_dir / f"{key}.json"):
            stale.unlink(missing_ok=True)
        return None, ""

    @staticmethod
    def _check_file(path: Path, entry: dict[str, Any]) -> str:
        if not path.is_file():
            return "is missing"
        digest = file_sha256(path)
        if digest != entry.get("sha256"):
            return f"has sha256 {digest[:12]}... but its entry records {str(entry.get('sha256'))[:12]}..."
        return ""

    # ------------------------------------------------------------------ build / read / write
    def _build(self, recipe: Recipe, image_shape: tuple[int, int], n_neurons: int) -> nn.Module:
        from ..models import CNNFR, DAE, DAENR
        from ..similarity.probe import LayerProbe

        spec, cfg = recipe.spec, recipe.model_config
        if spec.kind == "dae":
            return DAE(image_shape, cfg)
        if spec.kind == "cnn_fr":
            return CNNFR(image_shape, n_neurons, cfg)
        if spec.kind == "dae_nr":
            return DAENR(image_shape, n_neurons, spec.layer, cfg)
        backbone = copy.deepcopy(self.get(recipe.backbone()))
        return LayerProbe(backbone, spec.layer, n_neurons)

    def _read_checkpoint(self, path: Path, recipe: Recipe, blob: bytes | None = None) -> nn.Module:
        """The model in ``path`` (or in ``blob``, the bytes meant for ``path``)."""
        payload = torch.load(path if blob is None else io.BytesIO(blob), map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a daenr-lite model-store checkpoint")
        if payload.get("recipe") != recipe.to_dict():
            raise ValueError(f"{path} holds a different recipe than its key says")
        model = self._build(recipe, tuple(payload["image_shape"]), int(payload["n_neurons"]))
        reference = model.state_dict()
        state = {k: v.to(reference[k].dtype) if k in reference else v for k, v in payload["state_dict"].items()}
        strict = recipe.spec.kind != "dae_probe"
        result = model.load_state_dict(state, strict=strict)
        if not strict and (result.unexpected_keys or any(k.startswith("readout.") for k in result.missing_keys)):
            raise ValueError(f"{path}: probe weights do not fit (unexpected {result.unexpected_keys}, missing {result.missing_keys})")
        return model.eval()

    def dataset_for(self, recipe: Recipe, dataset: Any = None) -> Any:
        """The recipe's dataset (neuron subset applied), loading and caching the full dataset if needed."""
        # the recipe's generator, explicitly (a v1 recipe must get v1 data whatever $DAENR_GENERATOR says)
        options = {**self.dataset_options, **({"generator": recipe.generator} if recipe.dataset == "simulated" else {})}
        full_key = (recipe.dataset, recipe.region, recipe.data_seed, options.get("generator"))
        if dataset is None:
            if full_key not in self._datasets:
                from ..data import load_dataset

                self._datasets[full_key] = load_dataset(recipe.dataset, region=recipe.region,
                                                        seed=recipe.data_seed, data_dir=self.data_dir, **options)
            dataset = self._datasets[full_key]
        name, region = getattr(dataset, "source", None), getattr(dataset, "region", None)
        if name in ("simulated", "antolik2016") and (name != recipe.dataset or region != recipe.region):
            raise ValueError(f"the dataset passed is {name!r} region {region}, but the recipe needs "
                             f"{recipe.dataset!r} region {recipe.region}.")
        generator = (getattr(dataset, "info", None) or {}).get("generator_version")
        if name == "simulated" and generator is not None and str(generator) != recipe.generator:
            raise ValueError(f"the dataset passed was simulated by generator {generator}, but the recipe needs "
                             f"generator {recipe.generator} (set $DAENR_GENERATOR or the recipe's generator).")
        if recipe.n_train is not None:
            dataset = first_training_images(dataset, recipe.n_train)
        return dataset if recipe.neurons is None else dataset.subset_neurons(np.asarray(recipe.neurons))

    def check_writable(self, needed_bytes: int = MIN_FREE_BYTES) -> None:
        """Raise :class:`CacheNotWritable` (one line) unless a trained model can be stored in :attr:`cache_dir`:
        a folder (created if missing) where a file can be written, with ``needed_bytes`` free, a readable
        manifest if any, and ``trained.jsonl`` a regular file (never a symlink) if present. Run before training."""
        folder = self.cache_dir
        env = os.environ.get(MODEL_CACHE_ENV, "").strip()
        where = f"the model cache {folder}" + (f" (set by ${MODEL_CACHE_ENV})" if env and Path(env).expanduser() == folder else "")
        elsewhere = f"choose another folder (cache_dir=, pretrain --output or ${MODEL_CACHE_ENV}); nothing was trained."
        if folder.exists() and not folder.is_dir():
            raise CacheNotWritable(f"{where} is a file, not a folder: {elsewhere}")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".daenr-write-test.", suffix=".tmp", dir=folder)
            try:
                os.write(fd, b"\0" * 4096)
                os.fsync(fd)
            finally:
                os.close(fd)
                os.unlink(probe)
        except OSError as exc:
            raise CacheNotWritable(f"cannot write in {where} ({exc.strerror or exc}): make it writable or "
                                   f"{elsewhere}") from None
        free = shutil.disk_usage(folder).free
        if free < needed_bytes:
            raise CacheNotWritable(f"only {free / 2**20:.1f} MB free in {where}, a trained model needs "
                                   f"{needed_bytes / 2**20:.0f} MB: free space or {elsewhere}")
        _raw_manifest(folder)  # a damaged manifest: one line now, not after the training
        log = self.train_log_path
        if log.is_symlink():
            raise CacheNotWritable(f"{log} is a symbolic link (to {os.readlink(log)}); daenr-lite never writes through "
                                   "one (in a shared cache it could make another user's file grow): remove it; "
                                   "nothing was trained.")
        if log.exists() and not log.is_file():
            raise CacheNotWritable(f"{log} is not a regular file (a folder?); move it away, daenr-lite appends one line "
                                   "per trained model to it; nothing was trained.")

    def _train(self, recipe: Recipe, dataset: Any) -> nn.Module:
        from ..models import build_model
        from ..similarity.probe import fit_probe
        from ..training import fit, set_seed

        self.check_writable()  # before anything is trained: an unwritable cache would lose the model
        data = self.dataset_for(recipe, dataset)
        spec = recipe.spec
        start = time.perf_counter()
        set_seed(recipe.seed)
        if spec.kind == "dae_probe":
            backbone = copy.deepcopy(self.get(recipe.backbone(), dataset))
            set_seed(recipe.seed)
            model, history = fit_probe(backbone, data, spec.layer, recipe.train_config, progress=self.progress,
                                       device=self.device)
        else:
            model = build_model(spec.kind, data, mapping_layer=spec.layer, config=recipe.model_config)
            history = fit(model, data, recipe.train_config, progress=self.progress, device=self.device)
        seconds = time.perf_counter() - start
        entry, blob, stored = self._entry(recipe, model.cpu().eval(), data, history=history, seconds=seconds)
        try:
            self._write(recipe, entry, blob)
        except OSError as exc:  # e.g. the disk filled up meanwhile: keep the model, say where it could not go
            self._unsaved[recipe.key()] = entry
            warnings.warn(f"could not write {exc.filename or self.cache_dir} ({exc.strerror or exc}): the trained "
                          f"{recipe.describe()} is kept in memory for this session only (it is trained again next "
                          f"time); free space or make the folder writable, or set ${MODEL_CACHE_ENV}.",
                          StoreWarning, stacklevel=3)
            return stored
        self._append_train_log(recipe, seconds)
        return stored  # exactly what a later load gives (float16 rounding included)

    @property
    def train_log_path(self) -> Path:
        """``trained.jsonl`` in the cache folder: one line per recipe this cache ever trained (time, key, seconds)."""
        return self.cache_dir / TRAIN_LOG

    def _append_train_log(self, recipe: Recipe, seconds: float) -> None:
        """One line in ``trained.jsonl``: never through a symlink (O_NOFOLLOW); a failure is a warning (the model
        itself is stored)."""
        line = json.dumps({"time": time.time(), "key": recipe.key(), "model": recipe.model, "seconds": round(seconds, 2),
                           "pid": os.getpid()})
        path = self.train_log_path
        try:
            if path.is_symlink():  # where O_NOFOLLOW is missing (Windows), and for a clear message
                raise OSError(errno.ELOOP, "it is a symbolic link, which daenr-lite never writes through", str(path))
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:  # one short line: an atomic append
                handle.write(line + "\n")
        except OSError as exc:
            warnings.warn(f"could not append to {path} ({exc.strerror or exc}); the model is stored, only this log "
                          "line is missing: remove or move that path.", StoreWarning, stacklevel=4)

    def save(self, recipe: Recipe, model: nn.Module, dataset: Any, *, history: Any = None, seconds: float = float("nan")) -> dict[str, Any]:
        """Write ``model`` as the cache entry of ``recipe`` (atomically) and return the entry."""
        entry, blob, _ = self._entry(recipe, model, dataset, history=history, seconds=seconds)
        return self._write(recipe, entry, blob)

    def _write(self, recipe: Recipe, entry: dict[str, Any], blob: bytes) -> dict[str, Any]:
        """Write the checkpoint bytes, then the entry (with its record hash); no half-written pair is left."""
        path = self.cache_dir / f"{recipe.key()}.pt"
        atomic_write_bytes(path, blob)
        try:
            return _write_entry(self.cache_dir / f"{recipe.key()}.json", entry)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def _entry(self, recipe: Recipe, model: nn.Module, dataset: Any, *, history: Any = None,
               seconds: float = float("nan")) -> tuple[dict[str, Any], bytes, nn.Module]:
        """The entry of ``model``, the checkpoint bytes and the model as loaded from them; nothing is written."""
        from .. import __version__
        from ..training import evaluate

        key = recipe.key()
        payload = {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "recipe": recipe.to_dict(),
            "image_shape": list(dataset.image_shape),
            "n_neurons": int(dataset.n_neurons),
            "state_dict": _state_to_save(model, recipe.spec.kind, self.float16),
        }
        path = self.cache_dir / f"{key}.pt"
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        blob = buffer.getvalue()
        stored = self._read_checkpoint(path, recipe, blob)  # what users will load (float16 rounding included)
        entry = {
            "key": key,
            "file": path.name,
            "sha256": hashlib.sha256(blob).hexdigest(),
            "recipe": recipe.to_dict(),
            "model_code_version": MODEL_CODE_VERSION,
            "daenr_lite_version": __version__,
            "torch_version": torch.__version__,
            "platform": platform.platform(),
            "device": getattr(history, "device", "cpu"),
            # what decides the float kernels: a retrain matches exactly only on the same (reproducibility.py)
            "machine": machine_fingerprint(getattr(history, "device", "cpu")),
            "epochs": getattr(history, "n_epochs", None),
            "best_epoch": getattr(history, "best_epoch", None),
            "stopped_reason": getattr(history, "stopped_reason", None),
            "train_seconds": round(float(seconds), 2),
            "float16": self.float16,
            "metrics": _jsonable(evaluate(stored, dataset)),
            # float16 storage: the metrics of the float32 weights, to show the rounding costs < 1e-3
            "metrics_float32": _jsonable(evaluate(model, dataset)) if self.float16 else None,
            "significance": _significance(stored, dataset) if recipe.spec.predicts_responses else None,
        }
        return _sealed(entry), blob, stored

    def annotate(self, recipe: Recipe, **fields: Any) -> dict[str, Any]:
        """Add JSON-able ``fields`` to the cache entry of ``recipe`` (e.g. Table 2's group label)."""
        path = self.cache_dir / f"{recipe.key()}.json"
        key = recipe.key()
        if key in self._unsaved:  # trained here, but its files could not be written: annotate it in memory
            self._unsaved[key] = _sealed({**self._unsaved[key], **fields})
            return self._unsaved[key]
        entry = read_entry(self.cache_dir, key)
        if entry is None:
            raise LookupError(f"no cache entry for {recipe.describe()} in {self.cache_dir}; get() it first.")
        entry.update(fields)
        return _write_entry(path, entry)  # the record hash covers the new fields

    def write_manifest(self) -> Path:
        """Collect every entry of the cache folder into ``manifest.json`` (what the shipped zoo reads); only entries
        whose record verifies (each keeps its ``record_sha256``). Nothing stored and no manifest yet (e.g. the
        cache was found unwritable before any training): nothing is written."""
        entries = read_entries(self.cache_dir)
        manifest = {"format": _FORMAT, "model_code_version": MODEL_CODE_VERSION, "models": dict(sorted(entries.items()))}
        path = self.cache_dir / MANIFEST
        if not entries and not path.exists():
            return path
        _atomic_write_json(path, manifest)
        return path


def seal_manifest(folder: str | os.PathLike[str]) -> int:
    """Add (or renew) ``record_sha256`` in every entry of ``folder``'s ``manifest.json``; return how many changed.

    For a manifest whose entries were written by :meth:`ModelStore.save` before entries carried a record hash
    (the shipped zoo, once: ``python benchmarks/seal_manifest.py daenr_lite/zoo/shipped``), or after a deliberate
    edit: it vouches for what the entries say, so it never replaces a retraining. Refuses (``ZooIntegrityError``)
    if a checkpoint does not match its entry's sha256."""
    folder = Path(folder)
    manifest = _raw_manifest(folder)
    if manifest is None:
        raise FileNotFoundError(f"no {MANIFEST} in {folder}")
    models = manifest.get("models", {})
    for key, entry in models.items():
        problem = ModelStore._check_file(folder / str(entry.get("file")), entry) if entry.get("key") == key else \
            f"names the key {entry.get('key')!r}"
        if problem:
            raise ZooIntegrityError(f"{folder / str(entry.get('file'))} (entry {key}) {problem}; nothing was sealed.")
    sealed = {key: _sealed(entry) for key, entry in models.items()}
    changed = sum(sealed[key] != models[key] for key in models)
    _atomic_write_json(folder / MANIFEST, {**manifest, "models": sealed})
    return changed


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (float(v) if isinstance(v, (float, np.floating)) else int(v) if isinstance(v, (int, np.integer)) else v)
            for k, v in values.items()}


def _significance(model: nn.Module, dataset: Any) -> dict[str, Any]:
    from ..similarity.significance import neuron_significance
    from ..training import predict

    result = neuron_significance(predict(model, dataset.test_images)["responses"], dataset.test_responses)
    return {"n_significant": int(result.significant.sum()), "n_neurons": int(result.significant.size),
            "significant": [bool(v) for v in result.significant]}


def first_training_images(data: Any, n_train: int) -> Any:
    """A copy of ``data`` with only its first ``n_train`` training images (test set and neurons unchanged)."""
    from dataclasses import replace

    if data.n_train <= n_train:
        return data
    truth = data.ground_truth
    if truth is not None:
        truth = replace(truth, train_rates=truth.train_rates[:n_train])
    return replace(data, train_images=data.train_images[:n_train], train_responses=data.train_responses[:n_train],
                   ground_truth=truth, info={**data.info, "subset": f"first {n_train} of {data.n_train} training images"})

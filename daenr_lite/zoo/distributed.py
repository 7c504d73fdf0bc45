"""The pretraining grid as tasks of `dask.distributed <https://distributed.dask.org>`_: on this machine or any cluster.

:func:`~daenr_lite.zoo.pretrain` (``jobs`` > 1 or ``scheduler=``) and ``daenr-lite pretrain`` hand each independent
*chain* of the grid (a DAE and its probes, a DAE-NR_i and its Table 2 models, a CNN-FR) to :func:`run_chains`:

- **where**: by default a :class:`distributed.LocalCluster` of processes with one thread each, as many as the
  chains or ``jobs``, whichever is fewer, with memory limits that together stay within :data:`MEMORY_BUDGET`;
  ``scheduler="tcp://host:8786"`` (``daenr-lite pretrain --scheduler``) or a cluster object (e.g. dask-jobqueue's
  ``SLURMCluster``) uses an existing cluster instead.
- **no shared filesystem**: a task trains its chain in a scratch folder of its worker and returns the checkpoint
  bytes and their entries; the client checks each (sha256 of the bytes, the entry's own record hash, the
  checkpoint loads as its recipe), writes it atomically into the output folder and reads the sha256 back. Workers
  never write into the output folder, so a worker or client that dies leaves no partial file there.
- **faults**: a worker that dies mid-task has its task rerun by the scheduler (same recipe, same checkpoint);
  a task that raises costs only its chain: one line naming the recipe, the other chains finish and are kept,
  and :class:`ChainFailed` is raised at the end. Ctrl-C closes the client and the cluster (``KeyboardInterrupt``
  propagates; the CLI exits with 130). A client that is killed takes its LocalCluster's workers with it (each
  worker process exits when the pipe to its parent closes).
- **resumable**: a chain whose models are all in the output folder is not sent; the stored models a chain needs
  (a probe's DAE, Table 2 models already trained) travel with it, so nothing is trained twice.

Every model is the same, byte for byte, as in one process: each recipe is seeded by itself, and the torch thread
count does not change what a recipe trains.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..reference import TABLE2_REGION
from .recipe import Recipe
from .store import MANIFEST, ModelStore, file_sha256, read_entries, record_sha256

__all__ = ["ChainFailed", "MEMORY_BUDGET", "local_cluster_options", "run_chains"]

#: the memory all workers of a default LocalCluster may use together (bytes): 24 GiB, or 80 % of this
#: machine's memory if that is less. A grid worker needs about 0.5 GB.
MEMORY_BUDGET = 24 * 2**30

#: a train-one function: ``train_one(store, recipe, table2_models, bar, progress)`` (pretrain's ``_train_one``)
TrainOne = Callable[[ModelStore, Recipe, list, Any, bool], None]


class ChainFailed(RuntimeError):
    """Some chains of the grid failed (their training raised, or their worker died too often); every other model
    was trained and stored. ``failures``: one line per failed chain, naming its recipe."""

    def __init__(self, failures: Sequence[str], n_chains: int, output: Path) -> None:
        self.failures = list(failures)
        super().__init__(
            f"{len(self.failures)} of {n_chains} chains failed ({'; '.join(self.failures)}); the other models are "
            f"stored in {output}: run the same command again to retry the failed ones.")


def local_cluster_options(n_workers: int, threads: int = 1) -> dict[str, Any]:
    """Keyword arguments of the default :class:`distributed.LocalCluster`: ``n_workers`` processes (``n_workers``
    >= 1) with one dask thread each, memory limits within :data:`MEMORY_BUDGET`, the dashboard on a free port
    where bokeh is installed (none otherwise), and workers that exit with this process."""
    import importlib.util

    import psutil

    budget = min(MEMORY_BUDGET, int(0.8 * psutil.virtual_memory().total))
    has_bokeh = importlib.util.find_spec("bokeh") is not None
    return {"n_workers": int(n_workers), "threads_per_worker": 1, "processes": True,
            "memory_limit": max(2**29, budget // max(1, int(n_workers))),
            "dashboard_address": ":0" if has_bokeh else None,
            "env": {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}}


class _WorkerBar:
    """The progress-bar calls of ``train_one``, collected in a worker and replayed by the client."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.n = 0

    def set_postfix_str(self, text: str) -> None:
        pass

    def write(self, text: str, file: Any = None) -> None:
        self.messages.append(text)

    def update(self, n: int = 1) -> None:
        self.n += n


def say(bar: Any, text: str) -> None:
    """Write ``text`` where ``bar`` goes (a tqdm bar: its stream, stderr by default, not tqdm.write's stdout; a
    disabled bar: stderr), above the bar."""
    import sys

    if isinstance(bar, _WorkerBar):
        bar.write(text)
    else:
        bar.write(text, file=getattr(bar, "fp", None) or sys.stderr)


def _store_files(folder: Path) -> dict[str, tuple[bytes, str]]:
    """``{key: (checkpoint bytes, entry text)}`` of every model stored in ``folder`` (its ``<key>.json`` files)."""
    out = {}
    for sidecar in sorted(folder.glob("*.json")):
        if sidecar.name == MANIFEST:
            continue
        blob_path = folder / f"{sidecar.stem}.pt"
        if blob_path.is_file():
            out[sidecar.stem] = (blob_path.read_bytes(), sidecar.read_text(encoding="utf-8"))
    return out


def train_chain_task(chain: list[dict[str, Any]], seed_files: dict[str, tuple[bytes, str]],
                     store_options: dict[str, Any], table2_models: list[str], threads: int | None,
                     train_one: TrainOne) -> dict[str, Any]:
    """One dask task: train ``chain`` (recipe dicts, in order) in a scratch folder of the worker that already holds
    ``seed_files`` (stored models the chain needs); return what is new there.

    Returns ``{"files": [{"key", "blob", "entry"}...] in training order, "log", "messages", "n_models",
    "error"}``; ``error`` is one line naming the recipe whose training raised (``None`` if none did); the models
    trained before it are returned too. Nothing outside the scratch folder is written.
    """
    import tempfile

    import torch

    if threads is None:
        from ..threads import thread_policy

        threads = thread_policy().threads
    torch.set_num_threads(int(threads))
    try:
        from distributed import get_worker

        scratch_root: str | None = get_worker().local_directory
    except (ImportError, ValueError):
        scratch_root = None
    with tempfile.TemporaryDirectory(prefix="daenr-chain-", dir=scratch_root) as tmp:
        folder = Path(tmp)
        for key, (blob, text) in seed_files.items():
            (folder / f"{key}.pt").write_bytes(blob)
            (folder / f"{key}.json").write_text(text, encoding="utf-8")
        store = ModelStore(folder, zoo_dirs=[], progress=False, **store_options)
        bar = _WorkerBar()
        error = None
        for values in chain:
            recipe = Recipe.from_dict(values)
            try:
                train_one(store, recipe, table2_models, bar, True)
            except Exception as exc:  # the chain stops here; what it trained so far is kept
                text = " ".join(f"{type(exc).__name__}: {exc}".split())
                error = f"{recipe.describe()}: {text}"
                break
        order = {item["key"]: i for i, item in enumerate(store.log)}
        files = [{"key": key, "blob": blob, "entry": json.loads(text)}
                 for key, (blob, text) in _store_files(folder).items() if seed_files.get(key, (None, None))[1] != text]
        files.sort(key=lambda f: order.get(f["key"], len(order)))
    return {"files": files, "log": store.log, "messages": bar.messages, "n_models": bar.n, "error": error}


def _verify_and_write(store: ModelStore, item: dict[str, Any]) -> str:
    """Check one returned model (sha256, record hash, key, round trip through the loader) and write it atomically
    into ``store.cache_dir``; return ``""`` or one line saying why it was not written."""
    key, blob, entry = item["key"], item["blob"], item["entry"]
    try:
        recipe = Recipe.from_dict(entry["recipe"])
    except Exception as exc:  # noqa: BLE001 - a damaged entry is reported, never written
        return f"the entry {key} sent by a worker has no valid recipe ({type(exc).__name__}: {exc}); not written"
    if entry.get("key") != key or recipe.key() != key or entry.get("file") != f"{key}.pt":
        return f"the entry {key} sent by a worker names another model; not written"
    if hashlib.sha256(blob).hexdigest() != entry.get("sha256"):
        return f"the checkpoint of {recipe.describe()} sent by a worker does not match its sha256; not written"
    if entry.get("record_sha256") != record_sha256(entry):
        return f"the entry of {recipe.describe()} sent by a worker does not match its record_sha256; not written"
    try:
        store._read_checkpoint(store.cache_dir / f"{key}.pt", recipe, blob)
    except Exception as exc:  # noqa: BLE001
        return f"the checkpoint of {recipe.describe()} sent by a worker does not load ({type(exc).__name__}: {exc}); not written"
    store._write(recipe, entry, blob)
    if file_sha256(store.cache_dir / f"{key}.pt") != entry["sha256"]:  # the round trip through the disk
        (store.cache_dir / f"{key}.pt").unlink(missing_ok=True)
        (store.cache_dir / f"{key}.json").unlink(missing_ok=True)
        return f"the checkpoint of {recipe.describe()} read back from {store.cache_dir} differs from what was written; removed"
    store._append_train_log(recipe, float(entry.get("train_seconds") or 0.0))
    return ""


def _stored_files(store: ModelStore, chain: list[Recipe], table2_models: list[str]) -> tuple[dict[str, tuple[bytes, str]], bool]:
    """The stored models a chain needs (``{key: (bytes, entry text)}``: its recipes, a probe's DAE, Table 2 models
    of its DAE-NR) and whether the chain is complete without training (Table 2 chains: never known here)."""
    folder = store.cache_dir
    wanted = {r.key() for r in chain} | {r.backbone().key() for r in chain if r.spec.kind == "dae_probe"}
    heads = {r.key() for r in chain if r.model in table2_models and r.region == TABLE2_REGION and r.neurons is None}
    found: dict[str, tuple[bytes, str]] = {}
    entries = read_entries(folder) if folder.is_dir() else {}
    for key, entry in entries.items():
        try:
            recipe = Recipe.from_dict(entry["recipe"])
        except Exception:  # noqa: BLE001 - not ours to judge here; the store warns when it reads it
            continue
        if key in wanted or (recipe.neurons is not None and recipe.replace(neurons=None).key() in heads):
            path, sidecar = folder / f"{key}.pt", folder / f"{key}.json"
            if path.is_file() and sidecar.is_file() and file_sha256(path) == entry.get("sha256"):
                found[key] = (path.read_bytes(), sidecar.read_text(encoding="utf-8"))
    complete = not heads and all(r.key() in found for r in chain)
    return found, complete


@contextlib.contextmanager
def _client(scheduler: Any, n_workers: int, threads: int) -> Iterator[tuple[Any, str]]:
    """A :class:`distributed.Client` on ``scheduler`` (an address, a cluster or a client) or on a new LocalCluster;
    closed (with the LocalCluster) on every way out. Yields ``(client, description)``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency of daenr-lite
        raise ImportError("pretrain with jobs > 1 or a scheduler needs dask.distributed: pip install distributed") from exc

    if scheduler is None:
        with LocalCluster(**local_cluster_options(n_workers, threads)) as cluster, Client(cluster) as client:
            yield client, f"LocalCluster of {n_workers} worker process(es) x {threads} torch thread(s)"
    elif isinstance(scheduler, Client):
        yield scheduler, f"the cluster of {scheduler.scheduler.address}"  # the caller's client: the caller closes it
    else:
        address = getattr(scheduler, "scheduler_address", scheduler)
        if not isinstance(address, str) or not address.strip():
            raise ValueError(f"scheduler must be a dask scheduler address such as tcp://host:8786, a dask cluster or "
                             f"a Client; got {scheduler!r}.")
        try:
            client = Client(address.strip(), timeout="30s")
        except OSError as exc:
            raise ValueError(f"cannot reach the dask scheduler at {address} ({exc}); start it (e.g. `dask scheduler`) "
                             "or check the address.") from None
        with client:
            yield client, f"the cluster of {address}"


def run_chains(store: ModelStore, chains: list[list[Recipe]], table2_models: list[str], train_one: TrainOne, *,
               jobs: int, scheduler: Any = None, bar: Any = None, progress: bool = True) -> None:
    """Train ``chains`` (lists of recipes that must run in order) as dask tasks and store the models in
    ``store.cache_dir``; see the module docstring.

    ``jobs`` : workers of the default LocalCluster (capped at the chains to train); ignored with ``scheduler``.
    ``bar`` : a tqdm bar over the grid's models (updated as chains finish). Raises :class:`ChainFailed` after every
    other chain has finished if any failed; ``KeyboardInterrupt`` after closing the client and cluster.
    """
    from distributed import as_completed

    from ..threads import available_cores

    bar = bar if bar is not None else _WorkerBar()
    todo = []
    for chain in chains:
        seed_files, complete = _stored_files(store, chain, table2_models)
        if complete:  # resumable: nothing to train, nothing sent
            store.log.extend({"key": r.key(), "model": r.model, "source": "cache", "seconds": 0.0} for r in chain)
            bar.update(len(chain))
        else:
            todo.append((chain, seed_files))
    if not todo:
        return
    n_workers = max(1, min(int(jobs), len(todo)))
    threads = max(1, available_cores() // n_workers)
    options = {"device": store.device, "data_dir": store.data_dir, "float16": store.float16,
               "dataset_options": store.dataset_options}
    failures: list[str] = []
    with _client(scheduler, n_workers, threads) as (client, where):
        services = client.scheduler_info().get("services", {})
        dashboard = f"; dashboard {client.dashboard_link}" if "dashboard" in services else ""
        if progress:
            say(bar, f"pretrain: {len(todo)} chain(s) on {where}{dashboard}")
        remote_threads = threads if scheduler is None else None  # another cluster: each worker's own thread policy
        futures = {}
        for chain, seed_files in todo:
            future = client.submit(train_chain_task, [r.to_dict() for r in chain], seed_files, options, table2_models,
                                   remote_threads, train_one, key=f"daenr-chain-{chain[0].key()}-{uuid.uuid4().hex[:8]}",
                                   pure=False, retries=0)
            futures[future] = chain
        bar.set_postfix_str(f"{len(todo)} chains")
        for future in as_completed(list(futures)):
            chain = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # the worker died too often (KilledWorker), or the task could not run
                line = f"{chain[0].describe()}: {type(exc).__name__}: {' '.join(str(exc).split())}"
                failures.append(line)
                say(bar, f"failed: {line}")
                continue
            for item in result["files"]:
                problem = _verify_and_write(store, item)
                if problem:
                    failures.append(problem)
                    say(bar, f"failed: {problem}")
            store.log.extend(result["log"])
            for message in result["messages"] if progress else []:
                say(bar, message)
            bar.update(result["n_models"])
            if result["error"]:
                failures.append(result["error"])
                say(bar, f"failed: {result['error']}")
            future.release()
    if failures:
        raise ChainFailed(failures, len(chains), store.cache_dir)

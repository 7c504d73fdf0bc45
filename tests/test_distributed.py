"""pretrain on dask.distributed (issue 20): the same checkpoints in this process and on 1 or 2 workers, and the
four faults -- a worker killed mid-task, a chain that raises, Ctrl-C, the client killed -- each on a LocalCluster
of this machine, with the process table checked afterwards: no worker is left running or writing."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

psutil = pytest.importorskip("psutil")
distributed = pytest.importorskip("distributed")

from daenr_lite.config import TrainConfig  # noqa: E402
from daenr_lite.zoo import ModelStore, Recipe, pretrain  # noqa: E402
from daenr_lite.zoo.distributed import ChainFailed, local_cluster_options  # noqa: E402
from daenr_lite.zoo.pretrain import log_summary  # noqa: E402
from daenr_lite.zoo.store import file_sha256, read_entries  # noqa: E402

TINY = TrainConfig(max_epochs=1, batch_size=128)
MODELS = ["dae", "cnn_fr", "dae_probe_2"]  # two chains: DAE -> probe, and the CNN-FR
REPO = Path(__file__).resolve().parents[1]


def _grid(output, **kwargs):
    return pretrain("simulated", regions=[1], seeds=[0], models=MODELS, output=output, float16=True,
                    train_config=TINY, progress=False, **kwargs)


def _checksums(folder: Path) -> dict[str, str]:
    return {key: entry["sha256"] for key, entry in json.loads((folder / "manifest.json").read_text())["models"].items()}


def _children() -> set[int]:
    """This process's descendants, without multiprocessing's resource tracker (one per process, started with the
    first spawned child and ending with this process: not a worker)."""
    pids = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                pids.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return pids


def _describe(pids) -> str:
    out = []
    for pid in pids:
        try:
            out.append(f"{pid}: {' '.join(psutil.Process(pid).cmdline())[:200]}")
        except psutil.NoSuchProcess:
            pass
    return "; ".join(out)


def _alive(pids) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _wait_gone(pids, seconds: float = 30.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := _alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def _assert_clean(folder: Path) -> None:
    """No temporary file, and every checkpoint has its entry and matches its sha256 (nothing half-written)."""
    assert not list(folder.glob(".*.tmp")), sorted(p.name for p in folder.iterdir())
    entries = read_entries(folder)
    for path in folder.glob("*.pt"):
        assert path.stem in entries, f"{path.name} has no entry"
        assert file_sha256(path) == entries[path.stem]["sha256"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The grid trained here, in this process (jobs=1)."""
    folder = tmp_path_factory.mktemp("in-process")
    store = _grid(folder)
    assert store.n_trained == 3
    return _checksums(folder)


@pytest.fixture
def cluster():
    """A LocalCluster of this test (2 workers, one thread each); closed afterwards, its processes checked."""
    before = _children()
    with distributed.LocalCluster(**{**local_cluster_options(2), "dashboard_address": None}) as local, \
            distributed.Client(local) as client:
        workers = set(client.run(os.getpid).values())
        yield local, client
    assert not _wait_gone(workers, 20), "a worker outlived its cluster"
    left = _wait_gone(_children() - before, 20)
    assert not left, _describe(left)


def test_same_checkpoints_in_process_and_on_one_or_two_workers(reference, tmp_path):
    before = _children()
    store = _grid(tmp_path / "two", jobs=2)  # the default: a LocalCluster of its own, closed when done
    assert store.n_trained == 3 and _checksums(tmp_path / "two") == reference
    # the summary `pretrain` prints counts models, not look-ups (the probe's chain looks its DAE up again)
    assert len(store.log) > 3 and log_summary(store.log) == (3, 0)
    left = _wait_gone(_children() - before, 20)
    assert not left, f"pretrain left processes behind: {_describe(left)}"
    with distributed.LocalCluster(**{**local_cluster_options(1), "dashboard_address": None}) as one:
        _grid(tmp_path / "one", scheduler=one.scheduler_address)  # an existing cluster, by its address
    assert _checksums(tmp_path / "one") == reference
    # resumable: nothing left to train, so nothing is sent to any worker and no cluster starts
    again = _grid(tmp_path / "two", jobs=1000)
    assert again.n_trained == 0 and len(again.log) == 3 and log_summary(again.log) == (0, 3)
    left = _wait_gone(_children() - before, 20)
    assert not left, _describe(left)
    _assert_clean(tmp_path / "two")


def test_workers_are_capped_at_the_number_of_chains():
    from daenr_lite.zoo.pretrain import _chains, grid_recipes

    chains = _chains(grid_recipes(regions=[1], seeds=[0], models=MODELS))
    assert len(chains) == 2  # `--jobs 1000` starts two workers for this grid (run_chains: min(jobs, chains))
    assert local_cluster_options(2)["threads_per_worker"] == 1
    assert local_cluster_options(2)["memory_limit"] * 2 <= 24 * 2**30


def test_a_worker_killed_mid_task_reruns_it(reference, tmp_path, cluster):
    local, client = cluster
    result: dict = {}

    def run():
        try:
            result["store"] = _grid(tmp_path / "out", scheduler=local)
        except BaseException as exc:  # noqa: BLE001 - reported below
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and thread.is_alive():
        busy = [address for address, keys in client.processing().items() if keys]
        if busy:
            time.sleep(1.0)  # the task is training now
            pids = client.run(os.getpid)
            if client.processing().get(busy[0]):
                killed = pids[busy[0]]
                os.kill(killed, signal.SIGKILL)
        time.sleep(0.1)
    thread.join(300)
    assert killed is not None, "no task was seen running"
    assert "error" not in result, result.get("error")
    assert killed not in set(client.run(os.getpid).values())  # the nanny started a new worker
    assert _checksums(tmp_path / "out") == reference  # the task ran again: the same checkpoints, nothing partial
    _assert_clean(tmp_path / "out")


def _break_cnn_fr() -> None:
    """Run in each worker: training a CNN-FR raises there (a fault injected from the test)."""
    import daenr_lite.models as models

    original = models.build_model

    def broken(kind, *args, **kwargs):
        if kind == "cnn_fr":
            raise RuntimeError("injected fault\nin two lines")
        return original(kind, *args, **kwargs)

    models.build_model = broken


def test_a_chain_that_raises_names_its_recipe_and_the_others_are_kept(tmp_path, cluster):
    import cloudpickle

    local, client = cluster
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        client.run(_break_cnn_fr)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    with pytest.raises(ChainFailed) as info:
        _grid(tmp_path / "out", scheduler=local.scheduler_address)
    (line,) = info.value.failures
    assert line == ("CNN-FR on simulated region 1 (data seed 0), generator 2, training seed 0: RuntimeError: injected fault in two "
                    "lines")
    assert "\n" not in str(info.value) and "run the same command again" in str(info.value)
    kept = ModelStore(tmp_path / "out", zoo_dirs=[], train=False, progress=False)
    for model in ("dae", "dae_probe_2"):
        assert kept.entry(Recipe(model, train_config=TINY)) is not None, model
    assert kept.entry(Recipe("cnn_fr", train_config=TINY)) is None
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())["models"]
    assert sorted(e["recipe"]["model"] for e in manifest.values()) == ["dae", "dae_probe_2"]
    _assert_clean(tmp_path / "out")


def test_the_printed_summary_counts_each_model_once():
    # the log of a DAE -> probe -> DAE-NR chain trained in-process: the DAE is looked up again from memory twice
    log = [{"key": k, "model": m, "source": s} for k, m, s in [
        ("a", "dae", "trained"), ("b", "cnn_fr", "trained"), ("a", "dae", "memory"), ("a", "dae", "memory"),
        ("c", "dae_probe_2", "trained"), ("d", "dae_nr_2", "trained")]]
    assert log_summary(log) == (4, 0)  # printed "4 model(s) trained, 2 already there" before
    resumed = [{"key": k, "model": "x", "source": s} for k, s in [("a", "cache"), ("b", "cache"), ("a", "memory")]]
    assert log_summary(resumed) == (0, 2)


def test_cli_prints_a_failed_chain_in_one_line(monkeypatch, tmp_path, capsys):
    import daenr_lite.zoo as zoo
    from daenr_lite import cli

    def failing(*args, **kwargs):
        raise ChainFailed(["CNN-FR on simulated region 1 (data seed 0), training seed 0: RuntimeError: boom"], 3, tmp_path)

    monkeypatch.setattr(zoo, "pretrain", failing)
    assert cli.main(["pretrain", "--regions", "1", "--seeds", "0", "--output", str(tmp_path), "--device", "cpu"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "CNN-FR on simulated region 1" in err[0] and "boom" in err[0]


def test_messages_go_where_the_bar_goes(capsys):
    """The chains line, "trained ..." and "failed: ..." go above the bar, to its stream (stderr), not to tqdm.write's
    default stdout (where `daenr-lite pretrain > log` would hide them from the terminal)."""
    from tqdm.auto import tqdm

    from daenr_lite.zoo.distributed import say

    for disable in (False, True):
        bar = tqdm(total=1, disable=disable)
        say(bar, f"pretrain: 2 chain(s) on LocalCluster {disable}")
        bar.close()
        out, err = capsys.readouterr()
        assert f"chain(s) on LocalCluster {disable}" in err and not out


# ------------------------------------------------------------------------------ the command, interrupted
def _start_cli(output: Path) -> tuple[subprocess.Popen, list[str]]:
    """`daenr-lite pretrain --jobs 2` in a new session (its own process group, as a terminal's job); returns the
    process and its stderr lines as they come."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "daenr_lite.cli", "pretrain", "--regions", "1", "--seeds", "0",
                             "--jobs", "2", "--device", "cpu", "--output", str(output)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
                            start_new_session=True)
    lines: list[str] = []

    def read():
        for line in proc.stderr:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    return proc, lines


def _wait_training(proc: subprocess.Popen, lines: list[str]) -> list[int]:
    """Wait until the cluster's workers train; return every process of the command (itself first)."""
    deadline = time.monotonic() + 90  # about 5 s on 2 idle cores
    while not any("chain(s) on LocalCluster" in line for line in lines):
        assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
        time.sleep(0.2)
    time.sleep(4.0)  # the tasks are training now (the first model takes longer than this)
    children = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    assert len(children) >= 2, "no worker processes"
    return [proc.pid, *children]


def test_ctrl_c_exits_130_and_closes_the_cluster(tmp_path):
    proc, lines = _start_cli(tmp_path / "out")
    try:
        pids = _wait_training(proc, lines)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole foreground job gets it
        assert proc.wait(120) == 130, "".join(lines)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "interrupted" in "".join(lines)
    assert not _wait_gone(pids, 30), "processes of the command outlived it"
    _assert_clean(tmp_path / "out")


def test_a_killed_client_takes_its_workers_with_it(tmp_path):
    output = tmp_path / "out"
    proc, lines = _start_cli(output)
    try:
        pids = _wait_training(proc, lines)
        os.kill(proc.pid, signal.SIGKILL)  # the client only: its workers must not go on
        proc.wait(30)
        assert not _wait_gone(pids[1:], 30), "workers outlived their client"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    listing = sorted(p.name for p in output.iterdir()) if output.exists() else []
    time.sleep(2.0)
    assert (sorted(p.name for p in output.iterdir()) if output.exists() else []) == listing, "something still writes"
    _assert_clean(output) if output.exists() else None


# ------------------------------------------------------------------------------ sweeps of λ and mapping layers
def test_a_lam_sweep_is_found_by_the_store_and_the_explorer_and_gives_its_report(tmp_path):
    from dataclasses import replace

    from daenr_lite.config import preset
    from daenr_lite.session import Session
    from daenr_lite.widgets import session_trainer
    from daenr_lite.zoo.sweep import SWEEP_FIGURE, sweep_references, sweep_rows, write_sweep_report

    folder = tmp_path / "sweep"
    store = pretrain("simulated", regions=[1], seeds=[0], models=["dae", "dae_nr_1", "dae_nr_2", "dae_nr_3"],
                     layers=[1, 2], lams=[1e-4, 1e-2], output=folder, train_config=TINY, progress=False)
    trained = sorted((item["model"], item["key"]) for item in store.log if item["source"] == "trained")
    assert [m for m, _ in trained] == ["dae", "dae_nr_1", "dae_nr_1", "dae_nr_2", "dae_nr_2"]  # λ only for DAE-NRs
    found = ModelStore(folder, zoo_dirs=[], train=False, progress=False)
    for layer in (1, 2):
        for lam in (1e-4, 1e-2):
            assert found.entry(Recipe(f"dae_nr_{layer}", train_config=TINY.replace(lam=lam))) is not None
    assert found.entry(Recipe("dae_nr_2", train_config=TINY)) is None  # the default λ was not in the sweep

    # the explorer, on a session whose store is the sweep folder, shows a swept setting without training
    session = Session(notebook="03", preset=replace(preset("full"), train=TINY), seed=0, device="cpu",
                      dataset="simulated", region=1, output_dir=tmp_path, store=found, threads=None)
    result = session_trainer(session)(session.data(), 2, 1e-2)
    assert result.lam == 1e-2 and found.n_trained == 0 and np.isfinite(result.metrics["psnr"])

    rows = sweep_rows(folder)
    assert sorted({(r["layer"], r["lam"]) for r in rows}) == [(1, 1e-4), (1, 1e-2), (2, 1e-4), (2, 1e-2)]
    markdown, figure = write_sweep_report(folder, tmp_path / "report")
    text = markdown.read_text()
    assert figure.name == SWEEP_FIGURE and figure.stat().st_size > 5000 and f"]({SWEEP_FIGURE})" in text
    assert text.count("| 1 | DAE-NR_") == 4 and "0.0001" in text and "0.01" in text
    # the λ = 0 end: the DAE trained beside the sweep (same setting) is its reference row and dashed line
    references = sweep_references(folder)
    dae_psnr = found.entry(Recipe("dae", train_config=TINY))["metrics"]["psnr"]
    assert [r["model"] for r in references] == ["dae"] and references[0]["psnr"] == pytest.approx(dae_psnr)
    assert f"| 1 | DAE | 0 | 1 | {dae_psnr:.2f} | - | - |" in text


def test_the_sweep_figure_draws_its_references_and_a_marker_per_lam():
    from daenr_lite.plotting import plot_lam_sweep

    table = [{"region": 1, "layer": layer, "lam": lam, "psnr": 20 + layer - lam, "test_corr": 0.3 + 0.1 * lam}
             for layer in (1, 2) for lam in (0.001, 0.01, 0.1)]
    references = [{"region": 1, "kind": "dae", "layer": None, "psnr": 21.5, "test_corr": float("nan")},
                  {"region": 1, "kind": "dae_probe", "layer": 2, "psnr": float("nan"), "test_corr": 0.1},
                  {"region": 1, "kind": "cnn_fr", "layer": None, "psnr": float("nan"), "test_corr": 0.5}]
    fig = plot_lam_sweep(table, references=references)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert any(list(line.get_ydata()) == [21.5, 21.5] for line in lines)  # the DAE's PSNR
    assert any(list(line.get_xdata()) == [0.5, 0.5] for line in lines)  # the CNN-FR's test r
    assert any(list(line.get_xdata()) == [0.1] and line.get_markerfacecolor() == "white" for line in lines)
    assert len({line.get_marker() for line in lines if line.get_linestyle() == "None"} - {"o"}) >= 2
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[:2] == ["DAE-NR_1 (h1)", "DAE-NR_2 (h2)"] and "λ = 0.01" in labels and "CNN-FR's test r" in labels
    import matplotlib.pyplot as plt

    plt.close(fig)
    bare = plot_lam_sweep(table)
    assert len(bare.axes[0].get_lines()) == 2 * (1 + 3)  # without references: a line and 3 markers per layer
    plt.close(bare)


def test_sweep_options_are_checked_in_one_line(tmp_path, capsys):
    from daenr_lite import cli
    from daenr_lite.zoo.sweep import sweep_rows

    assert cli.main(["pretrain", "--regions", "1", "--seeds", "0", "--lam", "-1", "--output", str(tmp_path),
                     "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "each lam" in err[0] and "-1" in err[0]
    assert not list(tmp_path.glob("*.pt"))
    with pytest.raises(ValueError, match="no simulated DAE-NR models"):
        sweep_rows(tmp_path)
    assert cli.main(["sweep-report", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err

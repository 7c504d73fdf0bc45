"""How many CPU threads torch uses for daenr-lite: the one place that decides.

The policy (:func:`thread_policy`), first match wins:

1. ``DAENR_THREADS=N`` in the environment (``daenr-lite run-notebooks`` sets it to 1 for each notebook kernel
   unless you set it yourself);
2. ``OMP_NUM_THREADS=N`` (torch reads it at import, so it is honoured as set);
3. the cores available to this process (``os.sched_getaffinity`` where it exists, which respects
   ``taskset``, cgroup cpusets and batch schedulers; else ``os.cpu_count()``) minus one, at least 1 and at
   most :data:`daenr_lite.config.MAX_AUTO_THREADS` (4): 1 thread on 1-2 cores, 3 on 4 cores, 4 on 5 or more.

:func:`apply_thread_policy` sets it with ``torch.set_num_threads``; :func:`daenr_lite.fit` calls it when
training starts and the notebooks' setup cells call it. It never overrides a count you chose yourself with
``torch.set_num_threads(n)`` after importing daenr-lite: that wins over the policy.

Why it matters: torch's default is one thread per physical core. When other work runs on the same cores
(a shared JupyterHub server, parallel test workers, the browser), the threads of one training step wait
for each other: on a 2-core machine with other jobs, a DAE-NR training step took 9-15 times longer with
torch's default 2 threads than with 1 (``benchmarks/bench_threads.py``), while on the momentarily free
machine 2 threads were 1.6 times faster. A thread too few costs far less than one too many, hence one
core is left free.
Results are the same at any thread count.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

import torch

from .config import MAX_AUTO_THREADS, THREADS_ENV

__all__ = ["ThreadPolicy", "available_cores", "parse_threads", "thread_policy", "apply_thread_policy", "user_threads"]

# torch's thread count when daenr-lite first loaded torch-using code: a different current count that
# daenr-lite did not set means the user called torch.set_num_threads, which then wins.
_TORCH_START_THREADS = torch.get_num_threads()
_applied: int | None = None


@dataclass(frozen=True)
class ThreadPolicy:
    """A thread count and where it came from (``source``, shown by ``daenr-lite info`` and the notebooks)."""

    threads: int
    source: str

    def __str__(self) -> str:
        return f"{self.threads} ({self.source})"


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one, else all cores)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def parse_threads(value: str, name: str = THREADS_ENV) -> int:
    """A positive thread count from an environment value; ``ValueError`` naming the variable otherwise."""
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{name} must be a positive whole number of threads, e.g. {name}=1; got {value!r}.")
    return number


def thread_policy(environ: Mapping[str, str] | None = None) -> ThreadPolicy:
    """The thread count daenr-lite wants for torch on this machine (see the module docstring)."""
    env = os.environ if environ is None else environ
    raw = env.get(THREADS_ENV, "").strip()
    if raw:
        return ThreadPolicy(parse_threads(raw), f"{THREADS_ENV}={raw}")
    omp = env.get("OMP_NUM_THREADS", "").strip()
    if omp:
        try:
            return ThreadPolicy(parse_threads(omp, "OMP_NUM_THREADS"), f"OMP_NUM_THREADS={omp}")
        except ValueError:
            pass  # torch ignores an invalid value too; fall back to the cores
    cores = available_cores()
    threads = min(max(1, cores - 1), MAX_AUTO_THREADS)
    why = f"{cores} core{'s' if cores != 1 else ''} available"
    if cores > 1:
        why += ", one left for other work" if threads == cores - 1 else f", at most {MAX_AUTO_THREADS}"
    return ThreadPolicy(threads, f"{why}; set {THREADS_ENV} to change")


def user_threads() -> int | None:
    """The count set by the user with ``torch.set_num_threads`` (not by daenr-lite), else ``None``."""
    current = torch.get_num_threads()
    reference = _TORCH_START_THREADS if _applied is None else _applied  # the count torch had from us / itself
    return None if current == reference else current


def apply_thread_policy() -> ThreadPolicy:
    """Set torch's intra-op thread count by :func:`thread_policy`, unless the user set one; return what holds.

    Raises ``ValueError`` for an invalid ``DAENR_THREADS``.
    """
    global _applied
    mine = user_threads()
    if mine is not None:
        return ThreadPolicy(mine, "your torch.set_num_threads")
    policy = thread_policy()
    if torch.get_num_threads() != policy.threads:
        torch.set_num_threads(policy.threads)
    _applied = policy.threads
    return policy

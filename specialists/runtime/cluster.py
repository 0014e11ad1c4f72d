"""Where tiled work runs: in this process, or on a Dask cluster (``EARTHSIGHT_CLUSTER``).

The one place that decides it. :func:`executor` reads the setting and returns an
:class:`Executor`:

- unset or empty: :class:`InProcess` (the tools' own loop; Dask is never imported);
- ``local:N``: a ``distributed.LocalCluster`` of N single-threaded worker processes bound to
  127.0.0.1 (no dashboard), started once per process and reused;
- ``tcp://host:port``: a running Dask scheduler (its workers must see the same files at the
  same paths and have EarthSight installed).

An executor maps a function over items and yields the results *in item order*, so a caller
that merges them (sums histograms, writes windows, adds areas) does exactly what it does
in-process: outputs are identical wherever the tiles were computed. Each :meth:`Executor.map`
records in a :class:`Placement` which scheduler ran it, how many tasks and on which workers.

Failures: a worker that dies (killed, out of memory) loses its running and finished-but-unread
tasks; the scheduler runs them again on the workers left (a local cluster's nanny also restarts
the dead one), so the map still yields every result, the same results. A task that is on
``distributed.scheduler.allowed-failures`` (3) workers that die is given up: the map raises
:class:`ClusterError`. A task that *raises* is run again up to ``EARTHSIGHT_CLUSTER_RETRIES``
times (default 2: a read that failed on shared storage), then its error is raised here with its
own type. An error, Ctrl-C or an early close cancels the tasks of the map not yet read.

GPU workers: a task that carries a :class:`specialists.runtime.worker_models.ModelSpec` (a model
tile: detection slices, SAM windows, embeddings) is a model task. When some workers of the
cluster advertise a ``GPU`` resource (``dask worker --resources GPU=1``), model tasks are
submitted with ``resources={"GPU": 1}`` so that only those workers take them, one at a time per
GPU; every other task (reading, statistics, writing windows) goes to any worker. Without GPU
workers, model tasks go to any worker as well. The decision is made here, once, for every tool.

Pure plumbing: nothing here knows about rasters or tools (``tools.geo.fanout`` builds the
tile tasks on it). ``dask``/``distributed`` are imported only when a cluster is configured.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias, TypeVar

from specialists.runtime.worker_models import ModelSpec

T = TypeVar("T")
R = TypeVar("R")
Stream: TypeAlias = Generator[R, None, None]
"""Results in item order; ``close()`` cancels the tasks not yet read."""

CLUSTER_ENV = "EARTHSIGHT_CLUSTER"
TIMEOUT_ENV = "EARTHSIGHT_CLUSTER_TIMEOUT"
RETRIES_ENV = "EARTHSIGHT_CLUSTER_RETRIES"
DEFAULT_RETRIES = 2
"""Times a task that raised is run again before its error is raised (0 to 100)."""
DEFAULT_TIMEOUT_S = 10.0
"""Seconds to wait for a scheduler (``tcp://``) or a local cluster's workers to answer."""
PENDING_PER_WORKER = 4
"""Tasks in flight per worker thread: enough to keep workers busy while the caller consumes
results in order, few enough that finished-but-unread tiles stay a bounded amount of memory."""
IN_PROCESS = "in-process"
GPU_RESOURCE = "GPU"
"""The worker resource that marks a GPU worker (``dask worker --resources GPU=1``)."""

_ACCEPTED = ("local:N (N worker processes on this machine, e.g. local:2), tcp://host:port (a "
             "running Dask scheduler, e.g. tcp://10.0.0.5:8786), or unset to run in-process")


class ClusterError(RuntimeError):
    """``EARTHSIGHT_CLUSTER`` cannot be used (bad value, no scheduler, Dask not installed);
    the message names the setting and the fix."""


@dataclass(frozen=True)
class ClusterSpec:
    """A parsed ``EARTHSIGHT_CLUSTER`` value."""

    kind: str
    """``in-process``, ``local`` or ``tcp``."""
    workers: int = 0
    """``local``: worker processes."""
    address: str = ""
    """``tcp``: the scheduler address."""


def parse_cluster(text: str | None) -> ClusterSpec:
    """Parse an ``EARTHSIGHT_CLUSTER`` value (None or blank: in-process).

    Raises:
        ClusterError: Not one of the accepted forms.
    """
    value = (text or "").strip()
    if not value:
        return ClusterSpec(IN_PROCESS)
    local = re.fullmatch(r"local:(\d+)", value, flags=re.IGNORECASE)
    if local and 1 <= int(local.group(1)) <= 1024:
        return ClusterSpec("local", workers=int(local.group(1)))
    if re.fullmatch(r"tcp://[A-Za-z0-9.\-\[\]:]+:\d{1,5}", value):
        return ClusterSpec("tcp", address=value)
    raise ClusterError(f"{CLUSTER_ENV}={value!r} is not understood: use {_ACCEPTED}.")


def _timeout_s() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        raise ClusterError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds") from None
    if not value > 0:
        raise ClusterError(f"{TIMEOUT_ENV}={raw!r} must be > 0 seconds")
    return value


def _retries() -> int:
    raw = os.environ.get(RETRIES_ENV, "").strip()
    if not raw:
        return DEFAULT_RETRIES
    if not re.fullmatch(r"\d{1,3}", raw) or int(raw) > 100:
        raise ClusterError(f"{RETRIES_ENV}={raw!r} must be a whole number of retries from 0 "
                           f"to 100 (default {DEFAULT_RETRIES})")
    return int(raw)


@dataclass
class Placement:
    """Where one or more maps ran: the scheduler, the tasks, the workers that ran them."""

    scheduler: str = IN_PROCESS
    tasks: int = 0
    workers: set[str] = field(default_factory=set)

    def add(self, other: Placement) -> None:
        """Add another map's tasks and workers (same scheduler)."""
        self.scheduler = other.scheduler
        self.tasks += other.tasks
        self.workers |= other.workers


class Executor(Protocol):
    """Maps a function over items somewhere, yielding results in item order."""

    @property
    def scheduler(self) -> str:
        """``in-process`` or the scheduler's address."""

    @property
    def in_process(self) -> bool:
        """True when results are computed in this process (the caller may share open files)."""

    def map(self, fn: Callable[..., R], items: Sequence[T], *args: Any,
            placement: Placement | None = None, label: str = "task") -> Stream[R]:
        """``fn(item, *args)`` for each item, in item order; tasks and workers are added to
        ``placement``. Closing the iterator early cancels the tasks not yet read."""


class InProcess:
    """Runs every task here, one after the other (what the tools did before clusters)."""

    scheduler = IN_PROCESS
    in_process = True

    def map(self, fn: Callable[..., R], items: Sequence[T], *args: Any,
            placement: Placement | None = None, label: str = "task") -> Stream[R]:
        """``fn(item, *args)`` for each item, lazily, in order."""
        for item in items:
            if placement is not None:
                placement.tasks += 1
                placement.workers.add(IN_PROCESS)
                placement.scheduler = IN_PROCESS
            yield fn(item, *args)


def _traced(item: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, str]:
    """On a worker: ``fn(item, *args)`` and the address of the worker that ran it."""
    from distributed import get_worker

    return fn(item, *args), str(get_worker().address)


def model_task(items: Sequence[Any], args: Sequence[Any]) -> bool:
    """True when a map's tasks run a model: their shared arguments or their items carry a
    :class:`ModelSpec` (the first item is looked at; a map's items are all alike)."""
    return any(isinstance(a, ModelSpec) for a in (*args, *items[:1]))


class DaskExecutor:
    """Runs tasks on a ``distributed.Client`` (at most :data:`PENDING_PER_WORKER` per worker
    thread in flight), yielding results in item order."""

    in_process = False

    def __init__(self, client: Any, cluster: Any | None = None,
                 retries: int = DEFAULT_RETRIES) -> None:
        self.client = client
        self.cluster = cluster
        self.retries = retries
        """Times a task that raised is run again (a lost worker's tasks are always rerun)."""

    @property
    def scheduler(self) -> str:
        """The scheduler's address (``tcp://127.0.0.1:port`` for a local cluster)."""
        return str(self.client.scheduler.address)

    def threads(self) -> int:
        """Worker threads the scheduler knows now (at least 1)."""
        return max(1, int(sum(self.client.nthreads().values())))

    def gpu_workers(self) -> int:
        """Workers that advertise the ``GPU`` resource now."""
        workers = self.client.scheduler_info().get("workers", {})
        return sum(1 for w in workers.values()
                   if float((w.get("resources") or {}).get(GPU_RESOURCE, 0)) > 0)

    def map(self, fn: Callable[..., R], items: Sequence[T], *args: Any,
            placement: Placement | None = None, label: str = "task") -> Stream[R]:
        """Submit ``fn(item, *args)`` per item (a sliding window of tasks), yield in order.
        Model tasks (:func:`model_task`) go to GPU workers when the cluster has some."""
        from distributed import KilledWorker

        token = uuid.uuid4().hex[:8]
        gpus = self.gpu_workers() if model_task(items, args) else 0
        resources = {GPU_RESOURCE: 1} if gpus else None
        window = max(2, PENDING_PER_WORKER * (gpus or self.threads()))
        pending: deque[Any] = deque()
        todo = iter(enumerate(items))

        def submit_next() -> None:
            nxt = next(todo, None)
            if nxt is not None:
                i, item = nxt
                pending.append(self.client.submit(_traced, item, fn, args, pure=False,
                                                  key=f"{label}-{token}-{i}",
                                                  retries=self.retries or None,
                                                  resources=resources))

        try:
            for _ in range(window):
                submit_next()
            while pending:
                future = pending[0]  # stays pending (cancelled on Ctrl-C) until it is read
                try:
                    result, worker = future.result()
                except KilledWorker as exc:
                    raise ClusterError(
                        f"{CLUSTER_ENV}: task {future.key} was running on workers that died "
                        f"each time ({exc}); a worker running out of memory is the usual "
                        "cause: give the workers more memory or lower EARTHSIGHT_TILE_SIZE"
                    ) from exc
                pending.popleft()
                future.release()
                submit_next()
                if placement is not None:
                    placement.scheduler = self.scheduler
                    placement.tasks += 1
                    placement.workers.add(worker)
                yield result
        finally:  # an error, Ctrl-C or an early close: nothing left running for this map
            if pending:
                self.client.cancel(list(pending))

    def close(self) -> None:
        """Close the client (and the local cluster it started)."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"{CLUSTER_ENV} is set but Dask distributed is not installed: "
                           "pip install 'earthsight[cluster]' (or unset the setting to run "
                           "in-process)") from None
    return distributed


def _start(spec: ClusterSpec) -> DaskExecutor:
    distributed = _import_distributed()
    timeout = _timeout_s()
    retries = _retries()
    if spec.kind == "local":
        import dask

        try:  # Dask's MALLOC_TRIM_THRESHOLD_ for workers turns off glibc's adaptive mmap
            # threshold: every tile-sized temporary then costs fresh pages (bench/
            # cluster_scaling.py measured 3x the page faults, 1.3x the CPU); keep the default
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
                                  None}):
                cluster = distributed.LocalCluster(
                    n_workers=spec.workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, worker_dashboard_address=None,
                    silence_logs=40)
        except Exception as exc:
            raise ClusterError(f"{CLUSTER_ENV}=local:{spec.workers}: the local Dask cluster "
                               f"did not start ({type(exc).__name__}: {exc})") from exc
        client = distributed.Client(cluster, set_as_default=False, timeout=timeout)
        client.wait_for_workers(spec.workers, timeout=timeout)
        return DaskExecutor(client, cluster, retries)
    try:
        client = distributed.Client(spec.address, set_as_default=False, timeout=timeout)
    except Exception as exc:  # OSError (refused, timed out) or a peer that is no scheduler
        raise ClusterError(
            f"{CLUSTER_ENV}={spec.address}: no Dask scheduler answered there within "
            f"{timeout:g} s ({type(exc).__name__}). Start one (dask scheduler; dask worker "
            f"{spec.address}), fix the address, or unset {CLUSTER_ENV} to run in-process."
        ) from exc
    return DaskExecutor(client, retries=retries)


_lock = threading.Lock()
_executors: dict[ClusterSpec, DaskExecutor] = {}
_IN_PROCESS = InProcess()


def executor(setting: str | None = None) -> Executor:
    """The executor for ``setting`` (default: ``$EARTHSIGHT_CLUSTER``); a cluster is started or
    connected once per process and value, and reused.

    Raises:
        ClusterError: A bad value, no scheduler at the address, or Dask not installed.
    """
    spec = parse_cluster(os.environ.get(CLUSTER_ENV) if setting is None else setting)
    if spec.kind == IN_PROCESS:
        return _IN_PROCESS
    with _lock:
        found = _executors.get(spec)
        if found is None or found.client.status in ("closed", "closing"):
            found = _executors[spec] = _start(spec)
        found.retries = _retries()  # the setting as it is now, for a reused cluster too
        return found


def shutdown() -> None:
    """Close every cluster client this process opened (local clusters stop)."""
    with _lock:
        for ex in _executors.values():
            ex.close()
        _executors.clear()


atexit.register(shutdown)

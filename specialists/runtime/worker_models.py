"""Models on Dask workers: each worker process loads a model once and keeps it for every task.

A task that predicts on a cluster never carries a model: it carries a :class:`ModelSpec`, the
*name* of a module-level loader function (pickled by reference, so the worker imports its
module) and its small hashable arguments (a weights path, a device, sizes). On the worker,
:func:`worker_model` loads it through that loader the first time (the project's own safe
loaders: ultralytics' restricted checkpoint loader, safetensors) and keeps it in the
process-wide model cache (:mod:`specialists.runtime.cache`, the same LRU and GPU budget as
in-process), so the thousands of tiles of one scene load the weights once per worker.

:func:`ensure_models` registers a :class:`distributed.WorkerPlugin` per spec (idempotent, named
after the spec) that loads the model when it is registered, on every worker in parallel, and
on every worker that joins later; its teardown drops the model. The plugin also sets
``EARTHSIGHT_THREADS`` (when unset) to the worker's thread count, so a single-threaded worker
runs one inference session instead of one per core of the machine.

``distributed`` is imported only by :func:`ensure_models` and on workers (a cluster is
configured); :class:`ModelSpec` and :func:`worker_model` are plain Python.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from specialists.runtime import cache
from specialists.runtime.device import THREADS_ENV

PLUGIN_PREFIX = "earthsight-model-"
"""Worker plugins of this module are named this plus a digest of their spec."""


@dataclass(frozen=True)
class ModelSpec:
    """How a worker builds one model: ``loader(*args)``.

    Attributes:
        loader: A module-level function (importable by its module and name on the workers;
            a lambda or a closure is refused).
        args: Hashable, picklable arguments (paths, device names, sizes; never weights).
    """

    loader: Callable[..., Any]
    args: tuple[Hashable, ...] = ()

    def __post_init__(self) -> None:
        qualname = getattr(self.loader, "__qualname__", "")
        if "<" in qualname or not getattr(self.loader, "__module__", None):
            raise ValueError(f"ModelSpec: the loader {qualname or self.loader!r} must be a "
                             "module-level function (workers import it by name)")
        hash(self.args)  # TypeError now rather than on a worker

    @property
    def key(self) -> tuple[Hashable, ...]:
        """What identifies the model in the cache: loader module, loader name, arguments."""
        return ("worker-model", self.loader.__module__, self.loader.__qualname__, self.args)

    @property
    def name(self) -> str:
        """A short stable name (the worker plugin's): prefix plus 16 hex digits of the key."""
        return _name_of(self.key)


_lock = threading.Lock()
_loads: Counter[tuple[Hashable, ...]] = Counter()


def worker_model(spec: ModelSpec) -> Any:
    """The model of ``spec`` in this process, loaded on first use and kept in the model cache.

    Works in any process (tests call it in-process); on a worker it is what the tile tasks
    call. Loads are counted per key (:func:`load_counts`).
    """
    def load() -> Any:
        with _lock:
            _loads[spec.key] += 1
        return spec.loader(*spec.args)

    return cache.get_or_load(spec.key, load)


def load_counts() -> dict[str, int]:
    """Loads this process made, by spec name (a reloaded model counts twice)."""
    with _lock:
        by_key = dict(_loads)
    return {_name_of(k): n for k, n in by_key.items()}


def _name_of(key: tuple[Hashable, ...]) -> str:
    """Prefix plus 16 hex digits of the key's SHA-256."""
    return PLUGIN_PREFIX + hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:16]


def forget(spec: ModelSpec) -> None:
    """Drop the model of ``spec`` from this process's cache (the next use loads it again)."""
    cache.drop(spec.key)


@functools.cache
def _plugin_class() -> type[Any]:
    """The WorkerPlugin class (defined on first use: ``distributed`` is imported here)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class ModelPlugin(WorkerPlugin):
        """Loads one model on a worker when registered (and on workers that join later)."""

        idempotent = True

        def __init__(self, spec: ModelSpec) -> None:
            self.spec = spec
            self.name = spec.name

        def setup(self, worker: Any) -> None:
            threads = int(getattr(getattr(worker, "state", None), "nthreads", 0) or 0)
            if threads > 0:
                os.environ.setdefault(THREADS_ENV, str(threads))
            worker_model(self.spec)

        def teardown(self, worker: Any) -> None:
            forget(self.spec)

    return ModelPlugin


def model_plugin(spec: ModelSpec) -> Any:
    """A ``distributed.WorkerPlugin`` that loads ``spec`` on each worker (imports distributed)."""
    return _plugin_class()(spec)


MAX_PLUGINS = 4
"""Model plugins kept registered per client; older ones are unregistered (their teardown drops
the model on every worker), so workers that join later do not load every model ever used."""
_registered: dict[int, OrderedDict[str, None]] = {}


def ensure_models(client: Any, specs: Sequence[ModelSpec]) -> list[str]:
    """Have every worker of ``client`` load each spec once (now, and when a worker joins).

    Idempotent: a spec registered before is not loaded again (the scheduler keeps the plugin).
    A spec that fails to load is unregistered again (it must not fail every joining worker),
    and beyond :data:`MAX_PLUGINS` the least recently ensured models are unregistered.

    Returns:
        The plugin names.

    Raises:
        Exception: A worker failed to load a model (the loader's own error, e.g. ValueError for
            a refused weights file).
    """
    names = []
    with _lock:
        recent = _registered.setdefault(id(client), OrderedDict())
    for spec in specs:
        try:
            client.register_plugin(model_plugin(spec), name=spec.name)
        except Exception:
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(spec.name)
            raise
        names.append(spec.name)
        with _lock:
            recent[spec.name] = None
            recent.move_to_end(spec.name)
            stale = list(recent)[:-MAX_PLUGINS] if len(recent) > MAX_PLUGINS else []
            for name in stale:
                del recent[name]
        for name in stale:
            with contextlib.suppress(Exception):  # already gone (another client removed it)
                client.unregister_worker_plugin(name)
    return names

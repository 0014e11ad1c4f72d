"""A process-wide lazy LRU model cache that frees GPU memory beyond a budget.

Models load once per process, on first use, keyed by (name, weights, device...). When the
models' summed GPU bytes exceed the budget, the least recently used ones are dropped and
``torch.cuda.empty_cache()`` returns their memory to the driver.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

BUDGET_ENV = "EARTHSIGHT_GPU_BYTES"
DEFAULT_GPU_BYTES = 8 * 1024**3
"""Default GPU budget in bytes (8 GiB) for the cached models together."""
MAX_ENTRIES = 8
"""Models kept at most, whatever their size (CPU memory bound)."""

_lock = threading.RLock()
_entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()


def model_gpu_bytes(model: Any) -> int:
    """Bytes of a model's parameters and buffers that live on a CUDA device (0 on CPU)."""
    module = getattr(model, "model", model)
    total = 0
    for getter in ("parameters", "buffers"):
        fn = getattr(module, getter, None)
        if not callable(fn):
            continue
        for t in fn():
            if getattr(getattr(t, "device", None), "type", "cpu") == "cuda":
                total += int(t.numel()) * int(t.element_size())
    return total


def _budget(gpu_bytes_budget: int | None) -> int:
    if gpu_bytes_budget is not None:
        return gpu_bytes_budget
    return int(os.environ.get(BUDGET_ENV, DEFAULT_GPU_BYTES))


def _free_gpu() -> None:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency of every model
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def get_or_load(key: Hashable, loader: Callable[[], T], gpu_bytes_budget: int | None = None,
                size: Callable[[Any], int] = model_gpu_bytes) -> T:
    """The cached model for ``key``, loading it with ``loader()`` the first time.

    Args:
        key: What identifies the model (e.g. ``("yolo", weights_path, device)``).
        loader: Builds the model; called at most once per key while it stays cached.
        gpu_bytes_budget: GPU bytes the cached models may hold together (default
            ``$EARTHSIGHT_GPU_BYTES`` or 8 GiB); older models beyond it are evicted.
        size: GPU bytes of a model (default: its CUDA parameters and buffers).
    """
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key][0]  # type: ignore[no-any-return]
        model = loader()
        _entries[key] = (model, size(model))
        _evict(_budget(gpu_bytes_budget))
        return model


def _evict(budget: int) -> None:
    freed = False
    while len(_entries) > 1 and (sum(b for _, b in _entries.values()) > budget
                                 or len(_entries) > MAX_ENTRIES):
        _entries.popitem(last=False)
        freed = True
    if freed:
        _free_gpu()


def cached_keys() -> list[Hashable]:
    """Keys of the cached models, least recently used first."""
    with _lock:
        return list(_entries)


def drop(key: Hashable) -> bool:
    """Forget the model under ``key`` (the next use loads it again); whether it was cached."""
    with _lock:
        return _entries.pop(key, None) is not None


def clear() -> None:
    """Drop every cached model and free GPU memory."""
    with _lock:
        _entries.clear()
    _free_gpu()

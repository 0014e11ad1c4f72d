"""The tiles of one scene, computed wherever ``EARTHSIGHT_CLUSTER`` says, merged here in order.

A tool's tile function ``fn(src, tile, *args)`` reads its window(s) from the open dataset
``src`` and returns the tile's part (a histogram's counts, an encoded mask window, an index
window). :meth:`TileRunner.results` runs it for every tile: in-process on the tool's own open
dataset, or on the workers of :func:`specialists.runtime.cluster.executor`, each opening the
scene by its GDAL name (so workers must see the same files at the same paths). Results come
back in tile order, so the tool merges them exactly as it always has (histograms summed before
Otsu, masks written window by window by the one writer it holds, areas added tile by tile):
outputs are identical wherever the tiles ran. Progress is reported per tile as results arrive.

Work that is not tiles of one open scene (the images of a series, one task each) goes through
:meth:`TileRunner.each`. A worker lost mid-scene has its tiles rerun elsewhere by the scheduler;
leaving a pass early (an error, Ctrl-C) cancels its tiles not yet read, and the tool's writers
(temporary files renamed on success) leave nothing behind.

The tool records where its tiles ran with :meth:`TileRunner.record` (``result.cluster``).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, cast

import rasterio

from specialists.runtime.cluster import ClusterError, Executor, Placement, executor
from specialists.tiling import Tile
from tools.core.artifacts import ClusterRun
from tools.core.errors import ToolUnavailable
from tools.core.registry import ToolContext
from tools.geo import raster as _raster  # noqa: F401  (GDAL warning filters on workers too)
from tools.geo.pixel_grid import source_name

R = TypeVar("R")
T = TypeVar("T")
TileFn = Callable[..., R]
"""``fn(src, tile, *args) -> R``: a module-level function (workers import it by name)."""


def _here(tile: Tile, fn: TileFn[R], src: Any, args: tuple[Any, ...]) -> R:
    """In this process: the tool's own open dataset."""
    return fn(src, tile, *args)


_OPEN_MAX = 4
"""Scenes a worker thread keeps open between tasks, so their GDAL block caches survive from
pass to pass as the tool's own open dataset's do in-process."""
_local = threading.local()


def _stamp(name: str) -> tuple[int, int] | None:
    """Modification time and size of the file behind a GDAL name (None: not a plain file)."""
    try:
        st = os.stat(source_name(name))
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _dataset(name: str) -> Any:
    """This thread's open dataset of ``name`` (rasterio datasets are not shared between
    threads), reopened when the file changed."""
    cache: OrderedDict[tuple[str, tuple[int, int] | None], Any] = getattr(_local, "open", None) \
        or OrderedDict()
    _local.open = cache
    key = (name, _stamp(name))
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    src = cache[key] = rasterio.open(name)
    while len(cache) > _OPEN_MAX:
        cache.popitem(last=False)[1].close()
    return src


def worker_cached(files: tuple[str, ...],
                  opener: Callable[[], contextlib.AbstractContextManager[T]]) -> T:
    """This thread's resource opened from ``files`` (``opener()`` entered once, e.g. a scene
    pair with its checks and warps), kept open for the next tasks of the thread and opened
    again when one of the files changed. For tile functions that need more than one open
    scene on a worker."""
    cache: OrderedDict[tuple[Any, ...], tuple[Any, contextlib.ExitStack]] = getattr(
        _local, "resources", None) or OrderedDict()
    _local.resources = cache
    key = (*files, *(_stamp(f) for f in files))
    if key in cache:
        cache.move_to_end(key)
        return cast(T, cache[key][0])
    stack = contextlib.ExitStack()
    value = stack.enter_context(opener())
    cache[key] = (value, stack)
    while len(cache) > _OPEN_MAX:
        cache.popitem(last=False)[1][1].close()
    return value


def open_cached(name: str) -> Any:
    """This thread's open dataset of the GDAL name ``name``, kept open for the next tasks (for a
    tile function that reads a second scene on a worker; the tile's own scene is ``src``)."""
    return _dataset(name)


def _on_worker(tile: Tile, fn: TileFn[R], name: str, args: tuple[Any, ...]) -> R:
    """On a worker: the scene opened by its GDAL name (kept open for the next tiles of this
    thread), then the tile function."""
    return fn(_dataset(name), tile, *args)


def current_executor() -> Executor:
    """The executor of ``EARTHSIGHT_CLUSTER``, its problems as this tool's error.

    Raises:
        ToolUnavailable: The setting is wrong or its scheduler cannot be reached (the message
            names ``EARTHSIGHT_CLUSTER`` and the fix).
    """
    try:
        return executor()
    except ClusterError as exc:
        raise ToolUnavailable(str(exc)) from exc


class TileRunner:
    """One tool call's tile passes: where they run, and the record of where they ran."""

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self.executor = current_executor()
        self.placement = Placement(scheduler=self.executor.scheduler)

    @contextlib.contextmanager
    def results(self, stage: str, fn: TileFn[R], src: Any, tiles: Sequence[Tile],
                *args: Any) -> Iterator[Iterator[R]]:
        """``fn(src, tile, *args)`` for every tile, yielded in tile order (progress ``stage``).

        Leaving the block early (an error in the caller, Ctrl-C) cancels the tiles not yet
        read. ``args`` must pickle when a cluster is configured (dataclasses, numbers, arrays).
        """
        if self.executor.in_process:
            found = self.executor.map(_here, tiles, fn, src, args, placement=self.placement,
                                      label=stage)
        else:
            found = self.executor.map(_on_worker, tiles, fn, str(src.name), args,
                                      placement=self.placement, label=stage.replace(" ", "-"))
        with contextlib.closing(found):
            yield self._progress(stage, found, len(tiles))

    @contextlib.contextmanager
    def each(self, stage: str, fn: Callable[..., R], items: Sequence[T],
             *args: Any) -> Iterator[Iterator[R]]:
        """``fn(item, *args)`` for every item (one task each, no open dataset: ``fn`` opens
        what it needs by path), yielded in item order (progress ``stage``). Leaving the block
        early cancels the items not yet read. ``fn`` is a module-level function; ``items``
        and ``args`` must pickle when a cluster is configured."""
        found = self.executor.map(fn, items, *args, placement=self.placement,
                                  label=stage.replace(" ", "-"))
        with contextlib.closing(found):
            yield self._progress(stage, found, len(items))

    def _progress(self, stage: str, found: Iterator[R], total: int) -> Iterator[R]:
        try:
            for i, result in enumerate(found, start=1):
                yield result
                self.ctx.progress(stage, i, total)
        except ClusterError as exc:  # a task that kept killing its workers
            raise ToolUnavailable(str(exc)) from exc

    def record(self) -> ClusterRun | None:
        """Where the tiles ran (None: in this process)."""
        if self.executor.in_process:
            return None
        return ClusterRun(scheduler=self.placement.scheduler, tasks=self.placement.tasks,
                          workers=sorted(self.placement.workers))

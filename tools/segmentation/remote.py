"""``segment`` windows on a Dask cluster (``EARTHSIGHT_CLUSTER``): embedded and decoded on
workers, merged here exactly as in-process.

The caller keeps everything but the SAM forward passes. It plans the windows as in-process
(prompts grouped by the window they are segmented in; the window grid for automatic masks) and
sends one task per window, the unit of the in-process loop (one image embedding, all its
prompts decoded in batches): the task carries the window, its prompts in scene pixels and a
:class:`ModelSpec` (this module's loader and the weights *path*, never weights). The worker
loads the SAM once (:mod:`specialists.runtime.worker_models`: a worker plugin per model, the
process-wide model cache), reads the window from the scene by its GDAL name, runs the same
per-window code as in-process (:mod:`tools.segmentation.windows`) and returns the mask crops
bit-packed. Results come back in window order; the caller clips box masks to their boxes,
merges automatic masks across windows, resolves overlaps, paints and polygonises with the
same code and the one writer it holds, so the mask GeoTIFF, the polygons and the numbers are
identical.

SAM runs where the workers are: each worker's own default device (CUDA where it has one).
Identical outputs hold when the workers run the same device as the caller would (fp16 masks
on a GPU differ from fp32 ones on a CPU).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Generator, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specialists.runtime.worker_models import ModelSpec, ensure_models, worker_model
from specialists.tiling import Window
from tools.geo.fanout import TileRunner, open_cached
from tools.segmentation.windows import Hit, PackedMask, prompt_hits, read_rgb, window_masks


def load_worker_sam(weights: str, device: str | None) -> Any:
    """On a worker: the SAM of ``weights`` on ``device`` (None: the worker's own default),
    torch's threads set to the worker's (the model plugin sets ``EARTHSIGHT_THREADS``).

    Raises:
        SamLoadError: The file is not a (compatible) SAM checkpoint.
    """
    from specialists.runtime.device import configure_threads, pick_device
    from specialists.segmentation import sam

    seg = sam.load_sam(Path(weights), str(pick_device(device)))
    configure_threads()
    return seg


@dataclass(frozen=True)
class SamInfo:
    """What a worker's SAM is (a ``SamSegmenter`` without its model)."""

    weights: str
    arch: Any
    """The checkpoint's ``SamArch``."""
    device: str
    tile_side: int


@dataclass
class RemoteSam:
    """A SAM that lives on the cluster's workers: what it is, how a worker loads it (``spec``)
    and where its windows run (``runner``); ``embed_calls`` counts the window embeddings the
    workers made for this call as their results arrive."""

    spec: ModelSpec
    runner: TileRunner
    weights: str
    arch: Any
    device: str
    tile_side: int
    embed_calls: int = 0


_locks_guard = threading.Lock()
_locks: dict[tuple[Hashable, ...], threading.Lock] = {}


def _model_lock(spec: ModelSpec) -> threading.Lock:
    """One lock per model in this process: a SAM predictor holds one window's embedding at a
    time, so a worker with several threads embeds and decodes one window after the other."""
    with _locks_guard:
        return _locks.setdefault(spec.key, threading.Lock())


def _describe(spec: ModelSpec) -> SamInfo:
    """On a worker: load (or find) the SAM and describe it."""
    seg = worker_model(spec)
    return SamInfo(weights=str(seg.weights), arch=seg.arch, device=str(seg.device),
                   tile_side=int(seg.tile_side))


def remote_sam(runner: TileRunner, weights: Path,
               loader: Callable[[str, str | None], Any] = load_worker_sam) -> RemoteSam:
    """Have every worker load the SAM of ``weights`` once and describe it.

    Args:
        runner: The tool call's tile runner (a cluster executor).
        weights: The checkpoint (workers must see it at this path).
        loader: Module-level loader ``loader(weights, device)`` (:func:`load_worker_sam`),
            imported by name on the workers.

    Raises:
        SamLoadError: A worker refused the file (the loader's own error).
    """
    spec = ModelSpec(loader, (str(weights), None))
    client = getattr(runner.executor, "client", None)
    if client is not None:  # loads on every worker at once, and on workers that join later
        ensure_models(client, [spec])
    with contextlib.closing(runner.executor.map(_describe, [spec],
                                                label="segment-model")) as found:
        info = next(found)
    return RemoteSam(spec=spec, runner=runner, weights=info.weights, arch=info.arch,
                     device=info.device, tile_side=info.tile_side)


def _pack(hits: Sequence[Hit | None]) -> list[PackedMask | None]:
    return [None if h is None else PackedMask.pack(h) for h in hits]


def _prompt_window(item: tuple[Window, np.ndarray], scene: str, bands: list[int], kind: str,
                   spec: ModelSpec) -> tuple[list[PackedMask | None], int]:
    """On a worker: one window's prompt masks (packed) and the embeddings it took."""
    win, coords = item
    seg = worker_model(spec)
    rgb = read_rgb(open_cached(scene), bands, win)
    with _model_lock(spec):
        before = int(seg.embed_calls)
        hits = prompt_hits(seg, rgb, kind, coords, win.row_off, win.col_off)
        return _pack(hits), int(seg.embed_calls) - before


def _everything_window(win: Window, scene: str, bands: list[int], points_per_side: int,
                       spec: ModelSpec) -> tuple[list[PackedMask], int]:
    """On a worker: one window's automatic masks (packed, window offsets) and embeddings."""
    seg = worker_model(spec)
    rgb = read_rgb(open_cached(scene), bands, win)
    with _model_lock(spec):
        before = int(seg.embed_calls)
        found = window_masks(seg, rgb, points_per_side)
        return [PackedMask.pack(h) for h in found], int(seg.embed_calls) - before


def remote_prompt_hits(seg: RemoteSam, scene: str, bands: list[int], kind: str,
                       items: list[tuple[Window, np.ndarray]]
                       ) -> Generator[list[Hit | None], None, None]:
    """Per window (with its prompts in scene pixels), its prompts' masks, in window order,
    one task per window. Closing the iterator cancels the tasks not yet read."""
    found = seg.runner.executor.map(_prompt_window, items, scene, bands, kind, seg.spec,
                                    placement=seg.runner.placement, label="segment")
    with contextlib.closing(found):
        for packed, embedded in found:
            seg.embed_calls += embedded
            yield [None if p is None else p.unpack() for p in packed]


def remote_window_masks(seg: RemoteSam, scene: str, bands: list[int], windows: list[Window],
                        points_per_side: int) -> Generator[list[Hit], None, None]:
    """Per window, its automatic masks (window offsets), in window order, one task per
    window. Closing the iterator cancels the tasks not yet read."""
    found = seg.runner.executor.map(_everything_window, windows, scene, bands, points_per_side,
                                    seg.spec, placement=seg.runner.placement,
                                    label="segment-everything")
    with contextlib.closing(found):
        for packed, embedded in found:
            seg.embed_calls += embedded
            yield [p.unpack() for p in packed]

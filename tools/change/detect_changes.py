"""``detect_changes``: bi-temporal change between two co-located scenes.

Method ``cva`` streams over the pair: (0) checks (same grid -> direct reads, else the after
scene is warped onto the before grid on the fly with ``WarpedVRT``, and only differences beyond
the range of the nearby before values count, which resampling alone cannot produce; no overlap
or a band-count mismatch is refused before anything is written); (1) a sample pass for per-band
difference statistics (standardisation, magnitude range); (2) the only full read of the pair,
in threads with their own handles: magnitudes coded as uint16 into a temporary raw file plus
their histogram (a fixed ``threshold`` writes the mask here instead); (3) Otsu's threshold, then the
codes become the uint8 mask (1 change, 0 none, 255 nodata) and areas from the transform and CRS;
(4) polygons of the mask, GeoJSON in the before CRS.

With ``EARTHSIGHT_CLUSTER`` set, the windows of passes 1 and 2 go to the cluster's workers
instead of the threads (one task each; a worker opens, checks and warps the pair itself, once
per thread): difference moments, masks or magnitude codes come back in window order and are
merged, written and counted here exactly as from the threads, so the outputs are identical.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from rasterio.windows import Window

from specialists.change.cva import (
    MASK_NODATA,
    AreaTotals,
    DifferenceMoments,
    MagnitudeQuantiser,
    change_magnitude,
    change_mask,
    mask_from_magnitude,
)
from specialists.stats.thresholds import Bimodality as HistogramBimodality
from tools.change.deep import deep_available, detect_changes_deep
from tools.change.inputs import DetectChangesInput
from tools.change.output import (
    MASK_NAME,
    ChangeRun,
    DetectChangesOutput,
    finish,
    magnitude_bimodality_warning,
)
from tools.change.pair import Pair, open_pair, require_valid
from tools.core.errors import InputError
from tools.core.registry import ToolContext, tool_record
from tools.geo.area import pixel_area_rows_m2
from tools.geo.atomic import scratch_path
from tools.geo.bimodality import bimodality_record
from tools.geo.fanout import TileRunner, worker_cached
from tools.geo.geotiff import grid_writer
from tools.geo.min_area import staging_path
from tools.geo.raster import crs_to_str, iter_tiles, rio

__all__ = ["DetectChangesInput", "DetectChangesOutput", "detect_changes"]

FULL_SAMPLE_PIXELS = 2048 * 2048
"""Overlaps up to this many pixels are sampled whole (exact statistics)."""
SAMPLE_GRID = 5
SAMPLE_PIXELS = 65536
"""Pixels of one sample window of a striped file (tiled files sample whole blocks)."""
T = TypeVar("T")


def _sample_windows(pair: Pair) -> tuple[list[Window], bool]:
    """Windows whose pixels give the difference statistics (independent of the tile size),
    and whether they cover the whole overlap."""
    area = pair.overlap or Window(0, 0, pair.before.width, pair.before.height)
    c0, r0, w, h = int(area.col_off), int(area.row_off), int(area.width), int(area.height)
    if w * h <= FULL_SAMPLE_PIXELS:
        return [Window(c0 + int(t.core.col_off), r0 + int(t.core.row_off), int(t.core.width),
                       int(t.core.height)) for t in iter_tiles(w, h, 1024)], True
    # Windows follow the file's blocks so that a sample decompresses only the blocks it uses.
    bh, bw = pair.before.block_shapes[0]
    if bw >= w:  # stripes: bands of whole rows
        bh = bh * max(1, math.ceil(SAMPLE_PIXELS // w / bh))
    out: list[Window] = []
    for i in range(SAMPLE_GRID):
        for j in range(SAMPLE_GRID):
            row = ((r0 + (2 * i + 1) * h // (2 * SAMPLE_GRID)) // bh) * bh
            col = ((c0 + (2 * j + 1) * w // (2 * SAMPLE_GRID)) // bw) * bw
            win = Window(col, row, bw, bh).intersection(area)
            if win not in out:
                out.append(win)
    return out, False


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _map(pairs: list[Pair], windows: list[Window],
         work: Callable[[Pair, Window], T]) -> Generator[T, None, None]:
    """``work(pair, window)`` for every window in ``len(pairs)`` threads, results in order.

    Each thread has its own open pair (GDAL handles are not shared between threads); at most
    one window per pair is in flight, so memory stays at a few windows. Closing the iterator
    (an error, Ctrl-C) cancels the windows not started and waits for the running ones, so the
    pairs are never closed under a thread still reading them.
    """
    pool = ThreadPoolExecutor(max_workers=len(pairs))
    try:
        pending: deque[Future[T]] = deque()
        for i, win in enumerate(windows[: len(pairs)]):
            pending.append(pool.submit(work, pairs[i], win))
        for i in range(len(windows)):
            result = pending.popleft().result()
            nxt = i + len(pairs)
            if nxt < len(windows):
                pending.append(pool.submit(work, pairs[nxt % len(pairs)], windows[nxt]))
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _on_worker(win: Window, before: str, after: str, work: Callable[..., T],
               extra: tuple[Any, ...]) -> T:
    """On a cluster worker: this thread's pair (opened, checked and warped as here), then
    ``work(pair, win, *extra)``."""
    pair = worker_cached((before, after), lambda: open_pair(before, after))
    return work(pair, win, *extra)


@dataclass
class _Windows:
    """Where the windows of the pair are computed: the threads here (one open pair each) or
    the workers of ``EARTHSIGHT_CLUSTER``."""

    runner: TileRunner
    pairs: list[Pair]
    before: str
    after: str

    @contextlib.contextmanager
    def each(self, stage: str, windows: list[Window], work: Callable[..., T],
             *extra: Any) -> Iterator[Iterator[T]]:
        """``work(pair, window, *extra)`` for every window, in window order (progress
        ``stage``); ``work`` is a module-level function."""
        if not self.runner.executor.in_process:
            with self.runner.each(stage, _on_worker, windows, self.before, self.after, work,
                                  extra) as found:
                yield found
            return
        here = self._here(stage, windows, work, extra)
        with contextlib.closing(here):
            yield here

    def _here(self, stage: str, windows: list[Window], work: Callable[..., T],
              extra: tuple[Any, ...]) -> Generator[T, None, None]:
        # closed here, not when the garbage collector gets to it: its threads read the pairs
        with contextlib.closing(_map(self.pairs, windows,
                                     lambda p, w: work(p, w, *extra))) as results:
            for i, result in enumerate(results, start=1):
                yield result
                self.runner.ctx.progress(stage, i, len(windows))


def _window_moments(pair: Pair, win: Window) -> DifferenceMoments:
    (b, vb), (a, va) = pair.read_before(win), pair.read_after(win)
    moments = DifferenceMoments(len(pair.bands))
    moments.add(b, a, vb & va)
    return moments


def _magnitude(pair: Pair, win: Window, offset: np.ndarray, scale: np.ndarray) -> np.ndarray:
    (b, vb), (a, va) = pair.read_before(win), pair.read_after(win)
    envelope = pair.before_envelope(win) if pair.tolerance else None
    return change_magnitude(b, a, vb & va, offset, scale, envelope)


def _fixed_mask(pair: Pair, win: Window, offset: np.ndarray, scale: np.ndarray,
                threshold: float) -> np.ndarray:
    """One window's mask at a fixed threshold."""
    return mask_from_magnitude(_magnitude(pair, win, offset, scale), threshold)


def _coded(pair: Pair, win: Window, offset: np.ndarray, scale: np.ndarray,
           quant: MagnitudeQuantiser) -> tuple[np.ndarray, np.ndarray]:
    """One window's magnitudes coded as uint16, and the counts of each code."""
    codes = quant.encode(_magnitude(pair, win, offset, scale))
    return codes, quant.counts(codes)


def _write_mask(args: DetectChangesInput, run: _Windows, dest: Path,
                tags: dict[str, str], offset: np.ndarray, scale: np.ndarray, bound: float,
                ctx: ToolContext) -> tuple[float, AreaTotals, HistogramBimodality | None]:
    """Passes 2 and 3: the mask on the before grid; returns the threshold, the areas and, for
    Otsu's threshold, the bimodality of the magnitude histogram."""
    src = run.pairs[0].before
    tiles = [rio(t.core) for t in iter_tiles(src.width, src.height, ctx.settings.tile_size)]
    areas = AreaTotals()
    row_areas = functools.lru_cache(maxsize=2)(  # per row of tiles
        lambda row, rows: pixel_area_rows_m2(src.transform, src.crs, row, rows))

    def write(masks: Iterator[np.ndarray], threshold: float, report: bool) -> None:
        with grid_writer(dest, src, dtype="uint8", nodata=MASK_NODATA, band_names=["change"],
                         tags={**tags, "threshold": f"{threshold:.6g}"},
                         cog=args.min_area_m2 <= 0) as dst:  # else staged: tools.geo.min_area
            for i, (win, mask) in enumerate(zip(tiles, masks, strict=True)):
                areas.add(mask, row_areas(int(win.row_off), int(win.height)))
                dst.write(mask, 1, window=win)
                if report:
                    ctx.progress("change mask", i + 1, len(tiles))
            require_valid(areas, args)  # raised inside: the writer leaves nothing behind

    if args.threshold is not None:  # one pass: threshold the magnitudes as they come
        fixed = float(args.threshold)
        with run.each("change mask", tiles, _fixed_mask, offset, scale, fixed) as masks:
            write(masks, fixed, report=False)
        return fixed, areas, None
    quant = MagnitudeQuantiser(bound if bound > 0 else 1.0)
    sent = quant if run.runner.executor.in_process else MagnitudeQuantiser(quant.high,
                                                                           quant.levels)
    with scratch_path(ctx.output_path("cva_codes.bin")) as tmp, open(tmp, "w+b") as f:
        with run.each("change magnitude", tiles, _coded, offset, scale, sent) as parts:
            for codes, counts in parts:
                quant.add_counts(counts)
                f.write(codes.tobytes())
        if quant.histogram.total == 0:
            require_valid(areas, args)
        threshold = quant.otsu()
        fit = quant.bimodality(threshold)
        first = quant.code_of(threshold)
        f.seek(0)
        write((change_mask(np.fromfile(f, np.uint16, count=int(w.height * w.width))
                           .reshape(int(w.height), int(w.width)), first) for w in tiles),
              threshold, report=True)
    return threshold, areas, fit


@tool_record(DetectChangesInput, DetectChangesOutput)
def detect_changes(args: DetectChangesInput, ctx: ToolContext) -> DetectChangesOutput:
    """Detect bi-temporal change between a before and an after scene of the same place: a
    change mask (1 change, 0 none, 255 nodata) on the before grid, change polygons, the changed
    area (ha, m²) and its share (%) of the valid scene area. Method cva = change vector analysis
    with an Otsu threshold (class-agnostic); the after scene is reprojected onto the before grid
    when their grids differ, and then only differences beyond what resampling produces count.
    `reliability` says when the method's diagnostics (a change-magnitude histogram that is not
    bimodal, little overlap) make the changed area unreliable.

    Args:
        args: Validated arguments.
        ctx: Tool context (workspace, settings, progress).
    """
    if args.method != "cva" and (args.method == "deep" or deep_available(args.model)):
        return detect_changes_deep(args, ctx)
    if args.threshold is not None and not (math.isfinite(args.threshold) and args.threshold >= 0):
        raise InputError(f"threshold: must be a finite magnitude >= 0 (got {args.threshold}); "
                         "leave it out for Otsu's threshold")
    method_note = "method: cva" + (" (auto: no learned change-model weights found; train "
                                   "them with `earthsight train change --pairs DIR`)"
                                   if args.method == "auto" else "")
    warnings: list[str] = []
    if args.target:
        warnings.append(f"target '{args.target}': CVA is class-agnostic, so the change polygons "
                        f"are every change, not filtered to '{args.target}' (a class-aware "
                        "learned change model is not installed)")
    mask_path = staging_path(ctx.output_path(MASK_NAME), args.min_area_m2)
    vec_path = ctx.output_path("change_polygons.geojson")
    runner = TileRunner(ctx)
    with contextlib.ExitStack() as stack:
        pairs = [stack.enter_context(open_pair(args.before, args.after))
                 for _ in range(_workers() if runner.executor.in_process else 1)]
        run = _Windows(runner, pairs, args.before, args.after)
        pair = pairs[0]
        warnings.extend(pair.warnings)
        src = pair.before
        crs, transform = crs_to_str(src.crs), list(src.transform)[:6]
        moments = DifferenceMoments(len(pair.bands))
        windows, whole = _sample_windows(pair)
        with run.each("difference statistics", windows, _window_moments) as parts:
            for part in parts:
                moments.merge(part)
        if moments.count == 0:
            require_valid(AreaTotals(), args)
        offset, scale = moments.scaling(args.standardize)
        exact = whole and not pair.reprojected  # warped values may differ slightly per window
        bound = moments.magnitude_bound(offset, scale) * (1.0 if exact else 1.5)
        units = "std. dev." if args.standardize else "pixel value"
        tags = {"method": "cva", "values": "1=change, 0=no change, 255=nodata",
                "threshold_units": units, "before": args.before, "after": args.after}
        threshold, areas, fit = _write_mask(args, run, mask_path, tags, offset, scale, bound,
                                            ctx)
        reprojected, tolerance = pair.reprojected, pair.tolerance
    if fit is not None and not fit.bimodal and areas.changed_m2 > 0:  # 0: nothing differs
        warnings.append(magnitude_bimodality_warning(fit, threshold, units))
    how = "fixed" if args.threshold is not None else "otsu"
    note = (f"threshold {threshold:.4g} {units} ({how}"
            f"{', standardised bands' if args.standardize else ''})")
    result = finish(args, ctx, ChangeRun(
        method="cva", note=method_note, mask_path=mask_path, vec_path=vec_path, areas=areas,
        threshold=threshold, threshold_method=how, units=units, crs=crs, transform=transform,
        reprojected=reprojected, warnings=warnings, threshold_note=note, tolerance=tolerance,
        bimodality=None if fit is None else bimodality_record(fit, units)))
    result.cluster = runner.record()
    return result

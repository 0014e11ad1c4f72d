"""Scene-level bookkeeping for tiled SAM: which window each prompt is segmented in, masks as
small crops in scene pixel coordinates, cross-tile merging and overlap resolution.

Pure numpy: windows are :class:`specialists.tiling.Window` in scene pixels (the grid is
:func:`specialists.tiling.slice_windows`); a mask is a :class:`Piece` (a boolean crop plus its
scene offset), never a scene-sized array.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from specialists.tiling import Window

NO_WINDOW = Window(0, 0, 0, 0)
"""The window of a piece made outside any window."""


@dataclass
class PromptWindow:
    """One window whose image embedding serves every prompt in ``indices``."""

    window: Window
    indices: list[int]


@dataclass
class Piece:
    """One object mask: ``mask`` covers rows ``row..row+h`` and cols ``col..col+w`` of the scene.

    Attributes:
        row: Scene row of the crop's first row.
        col: Scene column of the crop's first column.
        mask: Boolean crop (True = object).
        score: Model confidence of the mask (0-1).
        prompt: Index of the prompt that made it (-1 for automatic masks).
        window: The window the mask was predicted in.
        props: Properties carried to the output (class, confidence, ...).
    """

    row: int
    col: int
    mask: np.ndarray
    score: float
    prompt: int = -1
    window: Window = NO_WINDOW
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """``(row0, col0, row1, col1)``, end-exclusive."""
        return self.row, self.col, self.row + self.mask.shape[0], self.col + self.mask.shape[1]

    @property
    def pixels(self) -> int:
        """Number of object pixels."""
        return int(np.count_nonzero(self.mask))


def crop_piece(mask: np.ndarray, row_off: int, col_off: int) -> tuple[int, int, np.ndarray] | None:
    """Crop a full-window boolean mask to its content.

    Returns:
        ``(scene_row, scene_col, crop)``, or None when the mask is empty.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return row_off + r0, col_off + c0, np.ascontiguousarray(mask[r0:r1, c0:c1])


def fit_window(x0: float, y0: float, x1: float, y1: float, width: int, height: int,
               side: int) -> Window:
    """A ``side`` x ``side`` window centred on a box, shifted inside the scene; boxes larger
    than ``side`` get a window that covers them plus a 1/8 margin."""
    w = max(side, int(np.ceil((x1 - x0) * 1.25)))
    h = max(side, int(np.ceil((y1 - y0) * 1.25)))
    w, h = min(w, width), min(h, height)
    col = round((x0 + x1) / 2.0 - w / 2.0)
    row = round((y0 + y1) / 2.0 - h / 2.0)
    col = min(max(col, 0), width - w)
    row = min(max(row, 0), height - h)
    return Window(col, row, w, h)


def plan_windows(needs: np.ndarray, width: int, height: int, side: int,
                 overlap: int) -> list[PromptWindow]:
    """Group prompts by the window they are segmented in.

    The scene is covered by ``side`` x ``side`` windows at a stride of ``side - overlap``.
    A prompt whose needed region (``x0, y0, x1, y1`` in pixels) lies inside one of them goes to
    the first such window; the others (objects straddling windows, or larger than the
    overlap) get a window centred on them, shared by every other leftover prompt it contains.

    Args:
        needs: ``(N, 4)`` regions each prompt needs in view, scene pixels.
        width: Scene width in pixels.
        height: Scene height in pixels.
        side: Window side in pixels.
        overlap: Overlap between neighbouring grid windows in pixels (< side).

    Returns:
        Windows with at least one prompt, grid windows first.
    """
    stride = max(1, side - overlap)
    groups: dict[tuple[int, int], list[int]] = {}
    leftovers: list[int] = []
    for i, box in enumerate(np.asarray(needs, dtype=np.float64).reshape(-1, 4)):
        b = np.clip(box, 0, [width, height, width, height])
        ci = min(int(b[0] // stride), max(0, (width - 1) // stride))
        ri = min(int(b[1] // stride), max(0, (height - 1) // stride))
        placed = False
        for r in (ri, ri - 1):
            for c in (ci, ci - 1):
                if r < 0 or c < 0:
                    continue
                win = Window(c * stride, r * stride, min(side, width - c * stride),
                             min(side, height - r * stride))
                if win.holds_box(*b):
                    groups.setdefault((r, c), []).append(i)
                    placed = True
                    break
            if placed:
                break
        if not placed:
            leftovers.append(i)
    out = [PromptWindow(Window(c * stride, r * stride, min(side, width - c * stride),
                               min(side, height - r * stride)), idx)
           for (r, c), idx in sorted(groups.items())]
    arr = np.asarray(needs, dtype=np.float64).reshape(-1, 4)
    remaining = list(leftovers)
    while remaining:
        first = arr[remaining[0]]
        win = fit_window(float(first[0]), float(first[1]), float(first[2]),
                         float(first[3]), width, height, side)
        taken = [i for i in remaining
                 if win.holds_box(*np.clip(arr[i], 0, [width, height] * 2))]
        taken = taken or [remaining[0]]
        out.append(PromptWindow(win, taken))
        remaining = [i for i in remaining if i not in set(taken)]
    return out


def _region(p: Piece, win: Window) -> np.ndarray:
    """Boolean mask of ``p`` restricted to ``win``, as an array over ``win``."""
    col, row, w, h = win
    out = np.zeros((h, w), dtype=bool)
    r0, c0, r1, c1 = p.bounds
    rr0, cc0, rr1, cc1 = max(r0, row), max(c0, col), min(r1, row + h), min(c1, col + w)
    if rr1 > rr0 and cc1 > cc0:
        out[rr0 - row:rr1 - row, cc0 - col:cc1 - col] = p.mask[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0]
    return out


def union(pieces: list[Piece]) -> Piece:
    """One piece covering all of ``pieces`` (best score and props of the best-scored one)."""
    r0 = min(p.row for p in pieces)
    c0 = min(p.col for p in pieces)
    r1 = max(p.bounds[2] for p in pieces)
    c1 = max(p.bounds[3] for p in pieces)
    mask = np.zeros((r1 - r0, c1 - c0), dtype=bool)
    for p in pieces:
        mask[p.row - r0:p.row - r0 + p.mask.shape[0], p.col - c0:p.col - c0 + p.mask.shape[1]] |= (
            p.mask)
    best = max(pieces, key=lambda p: (p.score, p.pixels))
    return Piece(r0, c0, mask, best.score, best.prompt, best.window, dict(best.props))


def merge_across_windows(pieces: list[Piece], min_iou: float = 0.5) -> list[Piece]:
    """Merge masks of one object seen from several windows (automatic "everything" masks).

    Two masks from different windows are the same object when, inside the region both
    windows see, their IoU is at least ``min_iou``; such groups (transitively) become their
    union. This keeps an object once whether it lies whole in an overlap or is cut by both
    windows. Masks from the same window are never merged (SAM's nested masks are distinct).
    """
    n = len(pieces)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    bounds = np.array([p.bounds for p in pieces], dtype=np.int64).reshape(-1, 4)
    for i in range(n):
        a = pieces[i]
        ov = ((bounds[:, 0] < bounds[i, 2]) & (bounds[:, 2] > bounds[i, 0])
              & (bounds[:, 1] < bounds[i, 3]) & (bounds[:, 3] > bounds[i, 1]))
        for j in np.flatnonzero(ov):
            b = pieces[int(j)]
            if j <= i or a.window == b.window:
                continue
            shared = a.window.intersection(b.window)
            if shared is None:
                continue
            ma, mb = _region(a, shared), _region(b, shared)
            inter = int(np.count_nonzero(ma & mb))
            if inter == 0:
                continue
            iou = inter / float(np.count_nonzero(ma | mb))
            if iou >= min_iou:
                parent[find(int(j))] = find(i)
    groups: dict[int, list[Piece]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(pieces[i])
    return [g[0] if len(g) == 1 else union(g) for g in groups.values()]


def resolve_overlaps(pieces: list[Piece]) -> list[Piece]:
    """Make masks disjoint: pixels claimed by several objects go to the best-scored one.

    Returns:
        Non-empty pieces, best score first, each cropped to what it owns.
    """
    order = sorted(pieces, key=lambda p: (-p.score, -p.pixels))
    kept: list[Piece] = []
    cells: dict[tuple[int, int], list[int]] = {}
    for p in order:
        mask = p.mask.copy()
        r0, c0, r1, c1 = p.bounds
        near = {k for cell in _cells(p.bounds) for k in cells.get(cell, [])}
        for k in sorted(near):
            q = kept[k]
            qr0, qc0, qr1, qc1 = q.bounds
            ir0, ic0, ir1, ic1 = max(r0, qr0), max(c0, qc0), min(r1, qr1), min(c1, qc1)
            if ir1 <= ir0 or ic1 <= ic0:
                continue
            mask[ir0 - r0:ir1 - r0, ic0 - c0:ic1 - c0] &= ~q.mask[ir0 - qr0:ir1 - qr0,
                                                                   ic0 - qc0:ic1 - qc0]
        cropped = crop_piece(mask, r0, c0)
        if cropped is None:
            continue
        piece = Piece(cropped[0], cropped[1], cropped[2], p.score, p.prompt, p.window, p.props)
        for cell in _cells(piece.bounds):
            cells.setdefault(cell, []).append(len(kept))
        kept.append(piece)
    return kept


_CELL = 512


def _cells(bounds: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    r0, c0, r1, c1 = bounds
    return [(r, c) for r in range(r0 // _CELL, (r1 - 1) // _CELL + 1)
            for c in range(c0 // _CELL, (c1 - 1) // _CELL + 1)]


def paint(pieces: list[Piece], ids: list[int], window: Window, dtype: str) -> np.ndarray | None:
    """Instance-id raster of ``window`` (0 = background) from disjoint pieces, or None if empty."""
    col, row, w, h = window
    out: np.ndarray | None = None
    for p, ident in zip(pieces, ids, strict=True):
        r0, c0, r1, c1 = p.bounds
        rr0, cc0, rr1, cc1 = max(r0, row), max(c0, col), min(r1, row + h), min(c1, col + w)
        if rr1 <= rr0 or cc1 <= cc0:
            continue
        if out is None:
            out = np.zeros((h, w), dtype=dtype)
        sub = p.mask[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0]
        out[rr0 - row:rr1 - row, cc0 - col:cc1 - col][sub] = ident
    return out

"""One SAM window's work, the same code in this process and on a Dask worker.

A window is read as ``rows x cols x 3`` uint8 RGB, embedded once, and either all its prompts
are decoded (:func:`prompt_hits`) or its automatic masks are generated and cropped
(:func:`window_masks`). A mask leaves a worker as a :class:`PackedMask` (its crop's bits, 8
pixels a byte) and is unpacked bit for bit in the caller, so the merge that follows sees
exactly the masks it would have seen in-process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from specialists.tiling import Window
from tools.geo.raster import rio

Hit = tuple[int, int, np.ndarray, float]
"""``(row, col, boolean crop, score)``: a mask crop and where its first pixel lies."""


def read_rgb(src: Any, bands: list[int], window: Window) -> np.ndarray:
    """The window of the open dataset ``src`` as contiguous ``rows x cols x 3`` uint8."""
    data = src.read(bands, window=rio(window))
    return np.ascontiguousarray(np.transpose(data, (1, 2, 0)).astype(np.uint8, copy=False))


def prompt_hits(seg: Any, rgb: np.ndarray, kind: str, coords: np.ndarray, row: int,
                col: int) -> list[Hit | None]:
    """Embed one window and decode its prompts.

    Args:
        seg: A loaded SAM (``set_image``, ``predict_boxes``, ``predict_points``).
        rgb: The window's pixels.
        kind: ``boxes`` (coords ``x0, y0, x1, y1``) or ``points`` (coords ``x, y``).
        coords: The window's prompts in scene pixels, float.
        row: Scene row of the window's first row.
        col: Scene column of the window's first column.

    Returns:
        Per prompt, its mask crop in scene pixels, or None when the mask is empty.
    """
    seg.set_image(rgb)
    if kind == "points":
        return list(seg.predict_points(coords - [col, row], row, col))
    return list(seg.predict_boxes(coords - [col, row, col, row], row, col))


def window_masks(seg: Any, rgb: np.ndarray, points_per_side: int) -> list[Hit]:
    """Automatic masks of one window, each cropped to its content; offsets in window pixels.

    Args:
        seg: A loaded SAM (``generate``).
        rgb: The window's pixels.
        points_per_side: Automatic-mask point grid per window side.
    """
    out: list[Hit] = []
    for mask, score in seg.generate(rgb, points_per_side):
        rows, cols = np.nonzero(mask)
        if rows.size == 0:
            continue
        r0, c0 = int(rows.min()), int(cols.min())
        crop = mask[r0:int(rows.max()) + 1, c0:int(cols.max()) + 1]
        out.append((r0, c0, crop, score))
    return out


@dataclass(frozen=True)
class PackedMask:
    """A :data:`Hit` with its crop packed 8 pixels a byte (what a worker sends back)."""

    row: int
    col: int
    height: int
    width: int
    bits: bytes
    score: float

    @classmethod
    def pack(cls, hit: Hit) -> PackedMask:
        """Pack a hit (lossless)."""
        row, col, crop, score = hit
        mask = np.asarray(crop, dtype=bool)
        return cls(int(row), int(col), int(mask.shape[0]), int(mask.shape[1]),
                   np.packbits(mask, axis=None).tobytes(), score)

    def unpack(self) -> Hit:
        """The hit again: the same offsets, crop pixels and score."""
        flat = np.unpackbits(np.frombuffer(self.bits, dtype=np.uint8),
                             count=self.height * self.width)
        crop = np.ascontiguousarray(flat.reshape(self.height, self.width).astype(bool))
        return self.row, self.col, crop, self.score

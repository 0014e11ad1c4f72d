"""Training the SAR water head from a folder of labelled Sentinel-1 chips (Sen1Floods11 style).

Layout and pairing rule: every ``<id>_S1Hand.tif`` anywhere under the folder is a chip, with
its backscatter bands VV and VH in dB (linear power is converted); its label is the one file
named ``<id>_LabelHand.tif`` anywhere under the same folder (1 water, 0 land, -1 nodata,
ignored in the loss). Both Sen1Floods11's own layout (``S1Hand/`` and ``LabelHand/`` side by
side) and a flat folder of pairs work. A chip without its label, an id found twice, or a label
on another grid than its chip is refused with the file names.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from specialists.runtime.device import configure_threads, pick_device
from specialists.spectral.speckle import looks_like_db, to_db
from specialists.water.model import default_config, fit_water, save_model
from tools.core.errors import InputError
from tools.geo.raster import pixel_size_m

CHIP_SUFFIX = "_S1Hand.tif"
LABEL_SUFFIX = "_LabelHand.tif"
MIN_CHIPS = 2
"""Fewest chips to train on (one is held out for validation)."""


@dataclass
class WaterChip:
    """One labelled chip read from disk."""

    name: str
    db: np.ndarray
    """Backscatter (2, H, W) in dB, float16 (NaN where nodata)."""
    label: np.ndarray
    """(H, W) int8: 1 water, 0 land, -1 no label."""
    gsd_m: float | None
    notes: list[str]


@dataclass
class WaterTraining:
    """Outcome of :func:`train_water_model`."""

    weights: Path
    report: Any
    chips: int
    validation: list[str]
    notes: list[str]


def find_chips(folder: str | Path) -> list[tuple[str, Path, Path]]:
    """``(id, S1 chip, label)`` for every ``*_S1Hand.tif`` under ``folder`` (pairing rule in
    the module docstring).

    Raises:
        InputError: No folder, no chips, a chip without its label, or an id found twice.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise InputError(f"chips: folder not found: {root}")
    s1 = sorted(p for p in root.rglob(f"*{CHIP_SUFFIX}") if p.is_file())
    labels: dict[str, list[Path]] = {}
    for p in sorted(root.rglob(f"*{LABEL_SUFFIX}")):
        labels.setdefault(p.name[: -len(LABEL_SUFFIX)], []).append(p)
    if not s1:
        raise InputError(f"chips: no *{CHIP_SUFFIX} files under {root}. Expected Sen1Floods11-"
                         f"style chips: <id>{CHIP_SUFFIX} (VV, VH in dB) with <id>{LABEL_SUFFIX} "
                         "(1 water, 0 land, -1 nodata) in the same folder tree.")
    out: list[tuple[str, Path, Path]] = []
    seen: dict[str, Path] = {}
    for chip in s1:
        cid = chip.name[: -len(CHIP_SUFFIX)]
        if cid in seen:
            raise InputError(f"chips: chip id '{cid}' appears twice ({seen[cid]} and {chip}); "
                             "ids must be unique under the folder")
        seen[cid] = chip
        found = labels.get(cid, [])
        if not found:
            raise InputError(f"chips: {chip} has no label: expected {cid}{LABEL_SUFFIX} "
                             f"somewhere under {root}. Add it, or move the chip out.")
        if len(found) > 1:
            raise InputError(f"chips: {len(found)} labels for {chip.name}: "
                             f"{', '.join(map(str, found))}; keep one")
        out.append((cid, chip, found[0]))
    return out


def _open(path: Path) -> Any:
    try:
        return rasterio.open(path)
    except RasterioIOError as exc:
        raise InputError(f"chips: {path} is not a readable GeoTIFF ({exc})") from exc


def _vv_vh(src: Any, path: Path) -> tuple[list[int], list[str]]:
    names = [(d or "").strip().upper() for d in src.descriptions]
    if "VV" in names and "VH" in names:
        return [names.index("VV") + 1, names.index("VH") + 1], []
    if src.count >= 2:
        return [1, 2], [f"{path.name}: bands not named VV/VH; assumed band 1 VV, band 2 VH"]
    raise InputError(f"chips: {path} has {src.count} band(s); the water head needs VV and VH "
                     "(Sentinel-1 dual polarisation, dB)")


def _same_grid(a: Any, b: Any) -> bool:
    if (a.width, a.height) != (b.width, b.height):
        return False
    if a.crs and b.crs and a.crs != b.crs:
        return False
    ta, tb = a.transform, b.transform
    px = max(abs(ta.a), abs(ta.e), 1e-12)
    return (abs(ta.c - tb.c) < 0.01 * px and abs(ta.f - tb.f) < 0.01 * px
            and all(abs(x - y) <= 1e-6 * px for x, y in zip(ta[:2] + ta[3:5], tb[:2] + tb[3:5],
                                                            strict=True)))


def read_chip(cid: str, s1_path: Path, label_path: Path) -> WaterChip:
    """Read one chip and its label (checked to share the grid).

    Raises:
        InputError: Unreadable files, fewer than two bands, or different grids.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with _open(s1_path) as src, _open(label_path) as lab:
            if not _same_grid(src, lab):
                raise InputError(
                    f"chips: {label_path.name} ({lab.width} x {lab.height} px, {lab.crs}, "
                    f"{tuple(lab.transform)[:6]}) is not on the grid of {s1_path.name} "
                    f"({src.width} x {src.height} px, {src.crs}, {tuple(src.transform)[:6]}); "
                    "a label must be pixel-aligned with its chip")
            bands, notes = _vv_vh(src, s1_path)
            data = src.read(bands, out_dtype="float32", masked=True).filled(np.nan)
            label = lab.read(1)
            size = pixel_size_m(src)
    data[~np.isfinite(data)] = np.nan
    if not looks_like_db(data):
        data = np.asarray(to_db(data), np.float32)
        notes.append(f"{s1_path.name}: backscatter looks linear; converted to dB")
    label = np.where(np.isin(label, (0, 1)), label, -1).astype(np.int8)
    gsd = None if not size else float((size[0] + size[1]) / 2)
    return WaterChip(cid, data.astype(np.float16), label, gsd, notes)


def train_water_model(
    folder: str | Path, out: str | Path, *, epochs: int = 20, steps: int = 16, batch: int = 8,
    crop: int = 128, width: int = 16, levels: int = 4, val_fraction: float = 0.2,
    seed: int = 0, device: str | None = None, on_epoch: Any = None,
) -> WaterTraining:
    """Train the SAR water head on the chips under ``folder``; hold some out to validate.

    Args:
        folder: Folder of ``*_S1Hand.tif`` chips and ``*_LabelHand.tif`` labels.
        out: Weights file to write (atomically).
        epochs: Training epochs.
        steps: Optimiser steps per epoch.
        batch: Crops per step.
        crop: Crop side in pixels.
        width: Channels at full resolution.
        levels: U-Net resolutions.
        val_fraction: Share of chips held out (at least one).
        seed: Seed of the split, initialisation and crops.
        device: torch device (default: CUDA when available, else CPU).
        on_epoch: ``(epoch, epochs, metrics)`` callback.

    Raises:
        InputError: Bad layout or files, or fewer than :data:`MIN_CHIPS` chips.
    """
    found = find_chips(folder)
    if len(found) < MIN_CHIPS:
        raise InputError(f"chips: {folder} holds {len(found)} labelled chip(s); need at least "
                         f"{MIN_CHIPS} (one is held out to validate on)")
    chips = [read_chip(*f) for f in found]
    notes = [n for c in chips for n in c.notes]
    order = np.random.default_rng(seed).permutation(len(chips))
    n_val = min(len(chips) - 1, max(1, round(len(chips) * val_fraction)))
    val = [chips[i] for i in order[:n_val]]
    train = [chips[i] for i in order[n_val:]]
    dev = pick_device(device)
    if dev == "cpu":
        configure_threads()
    config = default_config(width=width, levels=levels)
    try:
        model, report = fit_water([(c.db, c.label) for c in train],
                                  [(c.db, c.label) for c in val], config, epochs=epochs,
                                  steps=steps, batch=batch, crop=crop, seed=seed, device=dev,
                                  on_epoch=on_epoch)
    except ValueError as exc:
        raise InputError(f"chips: {exc}") from exc
    gsds = [c.gsd_m for c in chips if c.gsd_m]
    meta = {"gsd_m": float(np.median(gsds)) if gsds else 10.0, "metrics": report.metrics(),
            "training": {"chips": str(folder), "train": [c.name for c in train],
                         "validation": [c.name for c in val],
                         "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}}
    weights = save_model(model, out, config, meta)
    return WaterTraining(weights=weights, report=report, chips=len(chips),
                         validation=[c.name for c in val], notes=notes)

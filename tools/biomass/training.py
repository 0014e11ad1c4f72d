"""Training the learned specialists from files: the AGB head from a scene and GEDI L4A
footprints, the change model from a folder of before/after/label pairs.

Both save weights with metadata (architecture, bands, pixel size, target units, held-out
figures) through :mod:`specialists.runtime.checkpoint`, the same format and loader a user's weights
go through, and report what the held-out data says.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from specialists.biomass import model as biomass_model
from specialists.change import model as change_model
from specialists.training.biomass import fit_biomass
from tools.biomass.gedi import footprint_pixels, read_footprints, sample_patches
from tools.core.errors import InputError
from tools.core.model_inputs import band_labels
from tools.geo.raster import check_readable, open_dataset, pixel_size_m

MIN_FOOTPRINTS = 10
"""Fewest usable footprints to train on."""
PAIR_FOLDERS = ("A", "B", "label")
IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")


@dataclass
class BiomassTraining:
    """Outcome of :func:`train_biomass_head`."""

    weights: Path
    report: Any
    footprints: int
    on_scene: int
    sampled: int
    bands: list[str]
    gsd_m: float | None
    patch_px: int


def _gsd(src: Any) -> float | None:
    size = pixel_size_m(src)
    return None if not size else float((size[0] + size[1]) / 2)


def train_biomass_head(
    image: str | Path, footprints: str | Path, out: str | Path, *, epochs: int = 30,
    freeze_encoder: bool | None = None, encoder_weights: str | Path | None = None,
    patch_px: int = 32, bands: list[int] | None = None, small: bool = False,
    val_fraction: float = 0.2, seed: int = 0, on_epoch: Any = None,
) -> BiomassTraining:
    """Train the AGB head on patches of ``image`` centred on GEDI L4A footprints.

    Args:
        image: Scene (any CRS) covering the footprints.
        footprints: GEDI L4A CSV, HDF5 granule, or ZIP (``l4_quality_flag == 1`` shots).
        out: Weights file to write (atomically).
        epochs: Training epochs.
        freeze_encoder: Train the head only (default: when ``encoder_weights`` are given).
        encoder_weights: torchvision weights for the encoder (e.g. ImageNet ResNet-18).
        patch_px: Patch side in pixels.
        bands: 1-based bands to use (default: all).
        small: Narrow head (tests, quick runs).
        val_fraction: Share of footprints held out.
        seed: Seed of split, initialisation and augmentation.
        on_epoch: ``(epoch, epochs, metrics)`` callback.

    Raises:
        InputError: Unreadable inputs, or too few footprints on the scene.
    """
    fp = read_footprints(footprints)
    with open_dataset(image, "image") as src:
        check_readable(src, "image")
        idx = bands or list(range(1, src.count + 1))
        if any(not 1 <= b <= src.count for b in idx):
            raise InputError(f"bands: {image} has {src.count} band(s); pass 1..{src.count}")
        labels = [band_labels(src)[b - 1] for b in idx]
        rows, cols = footprint_pixels(fp, src)
        on_scene = int(((rows >= 0) & (rows < src.height) & (cols >= 0)
                        & (cols < src.width)).sum())
        patches, kept = sample_patches(src, rows, cols, patch_px, idx)
        gsd = _gsd(src)
    if len(kept) < MIN_FOOTPRINTS:
        raise InputError(
            f"footprints: only {len(kept)} of {len(fp)} usable footprints of {footprints} give a "
            f"full {patch_px}-pixel patch with data on {image} ({on_scene} fall on it); need "
            f"{MIN_FOOTPRINTS}. Pass a scene covering lat {fp.lat.min():.4f}..{fp.lat.max():.4f}, "
            f"lon {fp.lon.min():.4f}..{fp.lon.max():.4f}.")
    config = biomass_model.default_config(len(idx), patch_px, small=small)
    freeze = bool(encoder_weights) if freeze_encoder is None else freeze_encoder
    kwargs = {"on_epoch": on_epoch} if on_epoch is not None else {}
    model, report = fit_biomass(patches, fp.agbd[kept], config, epochs=epochs,
                                freeze_encoder=freeze, encoder_weights=encoder_weights,
                                val_fraction=val_fraction, seed=seed, **kwargs)
    meta = {"bands": labels, "band_indices": idx, "gsd_m": gsd, "metrics": report.metrics(),
            "training": {"image": str(image), "footprints": str(footprints),
                         "samples": len(kept), "frozen_encoder": freeze,
                         "encoder_weights": str(encoder_weights) if encoder_weights else None,
                         "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}}
    weights = biomass_model.save_model(model, out, config, meta)
    return BiomassTraining(weights=weights, report=report, footprints=len(fp), on_scene=on_scene,
                           sampled=len(kept), bands=labels, gsd_m=gsd, patch_px=patch_px)


def _read_image(path: Path) -> tuple[np.ndarray, list[str], float | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        try:
            with rasterio.open(path) as src:
                return src.read().astype(np.float32), band_labels(src), _gsd(src)
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(f"pairs: {path} is not a readable image ({exc})") from exc


def pair_folders(folder: str | Path) -> list[Path]:
    """Folders holding A/, B/ and label/ (the folder itself, or its direct subfolders)."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"pairs: folder not found: {root}")
    found = [d for d in [root, *sorted(p for p in root.iterdir() if p.is_dir())]
             if all((d / sub).is_dir() for sub in PAIR_FOLDERS)]
    if not found:
        raise InputError(f"pairs: {root} has no A/, B/ and label/ folders (LEVIR-CD layout: "
                         "before images in A/, after in B/, binary masks in label/, same names)")
    return found


def read_pairs(folder: str | Path) -> tuple[list[tuple[str, Any]], list[str], float | None]:
    """Every (name, (before, after, label)) pair under ``folder``; bands; pixel size (m)."""
    pairs: list[tuple[str, Any]] = []
    labels: list[str] = []
    gsd: float | None = None
    for d in pair_folders(folder):
        for a_path in sorted(p for p in (d / "A").iterdir()
                             if p.suffix.lower() in IMAGE_SUFFIXES):
            b_path, l_path = d / "B" / a_path.name, d / "label" / a_path.name
            if not b_path.is_file() or not l_path.is_file():
                raise InputError(f"pairs: {a_path.name} is in {d / 'A'} but not in both "
                                 f"{d / 'B'} and {d / 'label'}; pairs share file names")
            a, labels, gsd = _read_image(a_path)
            b, _, _ = _read_image(b_path)
            lab = _read_image(l_path)[0][0] > 0
            if a.shape != b.shape or a.shape[1:] != lab.shape:
                raise InputError(f"pairs: {a_path.name}: A {a.shape}, B {b.shape} and label "
                                 f"{lab.shape} differ in size")
            pairs.append((f"{d.name}/{a_path.name}", (a, b, lab)))
    if len(pairs) < 2:
        raise InputError(f"pairs: {folder} holds {len(pairs)} pair(s); need at least 2 (one "
                         "to validate on)")
    return pairs, labels, gsd


def train_change_model(
    folder: str | Path, out: str | Path, *, epochs: int = 10, steps: int = 8, batch: int = 4,
    crop: int = 128, stages: int = 3, decoder: int = 32, val_fraction: float = 0.25,
    gsd_m: float | None = None, seed: int = 0, on_epoch: Any = None,
) -> tuple[Path, Any, list[str]]:
    """Train the siamese change model on the pairs under ``folder``; returns
    ``(weights, report, validation pair names)``.

    Raises:
        InputError: No A/B/label layout, mismatched files, or fewer than 2 pairs.
    """
    pairs, labels, file_gsd = read_pairs(folder)
    order = np.random.default_rng(seed).permutation(len(pairs))
    n_val = min(len(pairs) - 1, max(1, round(len(pairs) * val_fraction)))
    val = [pairs[i] for i in order[:n_val]]
    train = [pairs[i] for i in order[n_val:]]
    config = change_model.default_config(len(labels), stages=stages, decoder=decoder)
    model, report = change_model.fit_change([p for _, p in train], [p for _, p in val], config,
                               epochs=epochs, steps=steps, batch=batch, crop=crop, seed=seed,
                               on_epoch=on_epoch)
    meta = {"bands": labels, "gsd_m": gsd_m or file_gsd, "metrics": report.metrics(),
            "training": {"pairs": str(folder), "train": [n for n, _ in train],
                         "validation": [n for n, _ in val],
                         "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}}
    return change_model.save_model(model, out, config, meta), report, [n for n, _ in val]

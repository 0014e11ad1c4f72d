"""``earthsight train``: train the learned specialists on this machine (CPU is fine).

    earthsight train biomass --image SCENE.tif --footprints GEDI.csv|.h5|.zip [--out agb_mixer.pt]
                             [--epochs N] [--freeze-encoder/--no-freeze-encoder]
                             [--encoder-weights resnet18.pth] [--patch N] [--bands 1,2,3]
    earthsight train change --pairs DIR [--out siamese_cd.pt] [--epochs N] [--steps N]
                            [--crop N] [--gsd M]
    earthsight train water --chips DIR [--out sar_water_unet.pt] [--epochs N] [--steps N]
                           [--batch N] [--crop N] [--width N] [--levels N] [--device D]

Epochs advance a rich progress bar on stderr; the held-out figures are printed at the end.
Weights go to ``--out`` (default: the model's file name in $EARTHSIGHT_WEIGHTS_DIR when set,
else in the current folder), written atomically with their metadata.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli.output import console, positive_int, print_json
from agent.errors import UsageError
from specialists.runtime.models import WEIGHTS_ENV, get_record
from tools.biomass.training import train_biomass_head, train_change_model
from tools.water.training import train_water_model

if TYPE_CHECKING:
    from specialists.training.segmentation import SegmentationTrainReport


def _default_out(model: str) -> str:

    name = get_record(model).weights
    folder = os.environ.get(WEIGHTS_ENV)
    return str(Path(folder).expanduser() / name) if folder else name


class _EpochBar:
    """A rich progress bar advanced by the trainers' ``(epoch, epochs, metrics)`` callback."""

    def __init__(self, what: str, keys: tuple[str, ...]) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.keys = keys
        self.progress = Progress(TextColumn(f"[bold]{what}"), BarColumn(),
                                 TextColumn("epoch {task.completed}/{task.total}"),
                                 TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
                                 console=console(stderr=True), redirect_stdout=False,
                                 redirect_stderr=False)
        self.task: Any = None

    def __enter__(self) -> _EpochBar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, epoch: int, epochs: int, metrics: dict[str, float]) -> None:
        if self.task is None:
            self.task = self.progress.add_task("train", total=epochs, info="")
        info = "  ".join(f"{k} {metrics[k]:.4g}" for k in self.keys if k in metrics)
        self.progress.update(self.task, completed=epoch, info=info)


def _bands(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(b) for b in text.split(",") if b.strip()]
    except ValueError as exc:
        raise UsageError(f"--bands: give 1-based band numbers like 1,2,3 (got {text!r})") from exc


def cmd_train_biomass(ns: argparse.Namespace) -> int:
    """Train the AGB head on a scene and GEDI L4A footprints; print held-out figures."""

    out = ns.out or _default_out("agb-mixer")
    with _EpochBar("AGB head", ("loss", "val_rmse", "val_r2")) as bar:
        run = train_biomass_head(ns.image, ns.footprints, out, epochs=ns.epochs,
                                 freeze_encoder=ns.freeze_encoder,
                                 encoder_weights=ns.encoder_weights, patch_px=ns.patch,
                                 bands=_bands(ns.bands), small=ns.small, seed=ns.seed,
                                 on_epoch=bar)
    r = run.report
    figures = {"weights": str(run.weights), "footprints_read": run.footprints,
               "footprints_on_scene": run.on_scene, "patches": run.sampled,
               "train": r.n_train, "held_out": r.n_val, "bands": run.bands, "gsd_m": run.gsd_m,
               "frozen_encoder": r.frozen_encoder, "val_rmse_mg_ha": r.val_rmse,
               "val_r2": r.val_r2, "val_bias_mg_ha": r.val_bias,
               "train_rmse_mg_ha": r.train_rmse, "seconds": r.seconds}
    if ns.json:
        print_json(figures)
        return 0
    out = console()
    out.print(f"AGB head trained on {r.n_train} patches ({run.patch_px} px) from "
                  f"{run.sampled} of {run.footprints} GEDI footprints; encoder "
                  f"{'frozen' if r.frozen_encoder else 'trained'}; {r.seconds:.1f} s.")
    out.print(f"held-out ({r.n_val}): RMSE {r.val_rmse:.2f} Mg/ha, R² {r.val_r2:.3f}, "
                  f"bias {r.val_bias:+.2f} Mg/ha (training RMSE {r.train_rmse:.2f} Mg/ha)")
    out.print(f"weights: {run.weights}  (estimate_biomass uses them with "
                  f"model='{run.weights}', or from $EARTHSIGHT_WEIGHTS_DIR/agb_mixer.pt)")
    return 0


def _run_figures(r: SegmentationTrainReport) -> dict[str, Any]:
    """The ``--json`` figures every segmentation trainer prints."""
    return {"train": r.n_train, "first_loss": r.first_loss, "last_loss": r.last_loss,
            "val_iou": r.val_iou, "val_f1": r.val_f1, "best_epoch": r.best_epoch,
            "seconds": r.seconds}


def cmd_train_change(ns: argparse.Namespace) -> int:
    """Train the siamese change model on A/B/label pairs; print validation F1 and IoU."""

    out = ns.out or _default_out("siamese-cd")
    with _EpochBar("change model", ("loss", "val_f1", "val_iou")) as bar:
        weights, r, val = train_change_model(ns.pairs, out, epochs=ns.epochs, steps=ns.steps,
                                             batch=ns.batch, crop=ns.crop, gsd_m=ns.gsd,
                                             seed=ns.seed, on_epoch=bar)
    figures = {"weights": str(weights), "validation": val, **_run_figures(r)}
    if ns.json:
        print_json(figures)
        return 0
    out = console()
    out.print(f"change model trained on {r.n_train} pair(s), {r.epochs} epochs (kept "
                  f"epoch {r.best_epoch}), {r.seconds:.1f} s; loss {r.first_loss:.3f} -> "
                  f"{r.last_loss:.3f}")
    out.print(f"validation ({', '.join(val)}): F1 {r.val_f1:.3f}, IoU {r.val_iou:.3f}")
    out.print(f"weights: {weights}  (detect_changes method='deep' uses them with "
                  f"model='{weights}', or from $EARTHSIGHT_WEIGHTS_DIR/siamese_cd.pt)")
    return 0


def cmd_train_water(ns: argparse.Namespace) -> int:
    """Train the SAR water head on labelled S1 chips; print validation IoU and F1."""

    out = ns.out or _default_out("sar-water-unet")
    with _EpochBar("water head", ("loss", "val_iou", "val_f1")) as bar:
        run = train_water_model(ns.chips, out, epochs=ns.epochs, steps=ns.steps,
                                batch=ns.batch, crop=ns.crop, width=ns.width, levels=ns.levels,
                                seed=ns.seed, device=ns.device, on_epoch=bar)
    r = run.report
    figures = {"weights": str(run.weights), "chips": run.chips, "validation": run.validation,
               **_run_figures(r), "notes": run.notes}
    if ns.json:
        print_json(figures)
        return 0
    out = console()
    for note in run.notes:
        out.print(f"note: {note}")
    out.print(f"water head trained on {r.n_train} chip(s), {r.epochs} epochs "
                  f"(kept epoch {r.best_epoch}), {r.seconds:.1f} s; loss {r.first_loss:.3f} -> "
                  f"{r.last_loss:.3f}")
    shown = ", ".join(run.validation[:5]) + (" ..." if len(run.validation) > 5 else "")
    out.print(f"validation ({len(run.validation)} chip(s): {shown}): water IoU "
                  f"{r.val_iou:.3f}, F1 {r.val_f1:.3f}")
    out.print(f"weights: {run.weights}  (map_water method='learned' uses them with "
                  f"model='{run.weights}', or from $EARTHSIGHT_WEIGHTS_DIR/sar_water_unet.pt)")
    return 0


def _segmentation_options(p: Any, weights_file: str, epochs: int, steps: int,
                          batch: int) -> None:
    """Options shared by the binary segmentation trainers (change model, water head)."""
    p.add_argument("--out", help=f"weights file (default {weights_file}, in "
                   "$EARTHSIGHT_WEIGHTS_DIR when set)")
    p.add_argument("--epochs", type=positive_int, default=epochs,
                   help=f"training epochs ({epochs})")
    p.add_argument("--steps", type=positive_int, default=steps,
                   help=f"optimiser steps per epoch ({steps})")
    p.add_argument("--batch", type=positive_int, default=batch, help=f"crops per step ({batch})")
    p.add_argument("--crop", type=positive_int, default=128, help="crop side in pixels (128)")
    p.add_argument("--seed", type=int, default=0, help="random seed (0)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")


def add_train_parsers(sub: Any) -> None:
    """Add ``train biomass``, ``train change`` and ``train water`` to the subparsers."""
    train = sub.add_parser("train", help="train the AGB head, the change model or the SAR "
                           "water head (CPU is fine)")
    tsub = train.add_subparsers(dest="what", required=True, metavar="MODEL")

    p = tsub.add_parser("biomass", help="AGB regression head from a scene + GEDI L4A footprints")
    p.add_argument("--image", required=True, help="scene GeoTIFF covering the footprints")
    p.add_argument("--footprints", required=True, help="GEDI L4A .csv, .h5 or .zip")
    p.add_argument("--out", help="weights file (default agb_mixer.pt, in $EARTHSIGHT_WEIGHTS_DIR"
                   " when set)")
    p.add_argument("--epochs", type=positive_int, default=30, help="training epochs (30)")
    p.add_argument("--freeze-encoder", action=argparse.BooleanOptionalAction, default=None,
                   help="train the head only (default: frozen iff --encoder-weights is given)")
    p.add_argument("--encoder-weights", help="torchvision weights for the encoder, e.g. "
                   "resnet18-f37072fd.pth")
    p.add_argument("--patch", type=int, default=32, help="patch side in pixels (32)")
    p.add_argument("--bands", help="1-based bands to use, e.g. 1,2,3 (default: all)")
    p.add_argument("--small", action="store_true", help="narrow head (quick runs)")
    p.add_argument("--seed", type=int, default=0, help="random seed (0)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=cmd_train_biomass)

    p = tsub.add_parser("change", help="siamese change model from A/, B/, label/ pairs")
    p.add_argument("--pairs", required=True, help="folder with A/, B/, label/ (or subfolders "
                   "that have them)")
    _segmentation_options(p, "siamese_cd.pt", epochs=10, steps=8, batch=4)
    p.add_argument("--gsd", type=float, help="pixel size in m when the images lack a CRS "
                   "(LEVIR-CD: 0.5)")
    p.set_defaults(func=cmd_train_change)

    p = tsub.add_parser("water", help="SAR water head from labelled Sentinel-1 chips "
                        "(Sen1Floods11 style)")
    p.add_argument("--chips", required=True, help="folder with <id>_S1Hand.tif (VV, VH in dB) "
                   "and <id>_LabelHand.tif (1 water, 0 land, -1 nodata), in any subfolders")
    _segmentation_options(p, "sar_water_unet.pt", epochs=20, steps=16, batch=8)
    p.add_argument("--width", type=int, default=16, help="U-Net channels at full resolution "
                   "(16)")
    p.add_argument("--levels", type=int, default=4, help="U-Net resolutions (4)")
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
    p.set_defaults(func=cmd_train_water)

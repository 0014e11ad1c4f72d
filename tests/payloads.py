"""Model files that try to run code when loaded, and the tool calls that would load them.

A *pickle payload* is a ``torch.save`` file whose unpickling calls ``os.makedirs(marker)``; a
*YAML payload* is an ultralytics model config whose ``activation`` entry does the same when
evaluated. Tests check the marker folder never appears and the tool says the file is refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import from_origin

from tests.conftest import write_tiff

TRANSFORM = from_origin(500_000.0, 4_000_000.0, 1.0, 1.0)
CRS = "EPSG:32617"


class _Makedirs:
    """Unpickles as a call of ``os.makedirs(path)``."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.makedirs, (self.path,))


def pickle_payload(path: Path, marker: Path) -> Path:
    """A checkpoint-looking file (an ultralytics ``model`` entry, an EarthSight ``format``
    entry and a state dict) whose unpickling creates ``marker``."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": "earthsight-weights/1", "model": _Makedirs(marker),
                "state_dict": {"w": torch.zeros(2)}, "meta": {"architecture": {}}}, path)
    return path


def yaml_payload(path: Path, marker: Path) -> Path:
    """yolo11n's config whose ``activation`` creates ``marker`` when ``eval()``-ed."""
    import yaml
    from ultralytics.nn.tasks import yaml_model_load

    cfg = dict(yaml_model_load("yolo11n.yaml"))
    cfg.pop("yaml_file", None)
    cfg["activation"] = f"__import__('os').makedirs({str(marker)!r}) or nn.SiLU()"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def scenes(folder: Path) -> dict[str, Path]:
    """Small scenes every model-loading tool accepts: 8-bit RGB (twice, for a pair) and
    Sentinel-1 VV/VH in dB."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, size=(3, 64, 64), dtype=np.uint8)
    sar = rng.normal(-12, 3, size=(2, 64, 64)).astype(np.float32)
    out = {"rgb": folder / "rgb.tif", "rgb2": folder / "rgb2.tif", "sar": folder / "s1.tif"}
    write_tiff(out["rgb"], rgb, crs=CRS, transform=TRANSFORM)
    write_tiff(out["rgb2"], rgb[::-1].copy(), crs=CRS, transform=TRANSFORM)
    write_tiff(out["sar"], sar, crs=CRS, transform=TRANSFORM, descriptions=["VV", "VH"])
    return out


# tool -> (its model record, arguments given the scenes and a ``model`` value or None)
def tool_calls(s: dict[str, Path]) -> dict[str, tuple[str, Any]]:
    """For each of the six model-loading tools: the model record it loads by default, and a
    function of the ``model`` argument (None: leave it out) giving the call's arguments."""
    def with_model(args: dict[str, Any]) -> Any:
        def make(model: str | None) -> dict[str, Any]:
            return {**args, **({"model": model} if model is not None else {})}
        return make

    return {
        "detect_objects": ("yolo11n-obb", with_model({"image": str(s["rgb"])})),
        "segment": ("sam_vit_b", with_model({"image": str(s["rgb"]),
                                             "points": [[500_010.0, 3_999_990.0]]})),
        "map_water": ("sar-water-unet", with_model({"image": str(s["sar"]),
                                                    "method": "learned"})),
        "detect_changes": ("siamese-cd", with_model({"before": str(s["rgb"]),
                                                     "after": str(s["rgb2"]),
                                                     "method": "deep"})),
        "estimate_biomass": ("agb-mixer", with_model({"image": str(s["rgb"])})),
        "classify_scene": ("remoteclip-vit-b-32", with_model({"images": [str(s["rgb"])]})),
    }

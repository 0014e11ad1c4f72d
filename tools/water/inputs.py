"""What ``map_water`` takes: its arguments, and the co- and cross-polarised bands of a SAR scene.

Shared by the threshold chain (:mod:`tools.water.map_water`), the learned head
(:mod:`tools.water.learned`) and the result (:mod:`tools.water.output`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tools.core.errors import InputError
from tools.core.registry import MODEL_FIELD, PATH_FIELD
from tools.core.scene_options import SceneOptions
from tools.geo.raster import RasterInfo

CO_POL, CROSS_POL = ("VV", "HH"), ("VH", "HV")


class MapWaterInput(SceneOptions):
    """Arguments of map_water."""

    image: str = Field(description="path of a SAR (VV, optionally VH) or optical raster",
                       json_schema_extra=PATH_FIELD)
    method: Literal["auto", "sar", "optical", "learned"] = Field(
        "auto", description="auto: sar when the scene is SAR, else optical (both thresholds, "
        "no model); learned: the SAR water head trained with `earthsight train water` (needs "
        "weights)")
    index: Literal["NDWI", "MNDWI"] | None = Field(
        None, description="optical only: water index (default MNDWI when SWIR exists, else NDWI)")
    threshold: float | None = Field(
        None, description="fixed threshold (dB for sar, index value for optical; default Otsu), "
        "or the water probability for learned (0-1, default 0.5)")
    speckle_filter: bool = Field(True, description="SAR only: Lee filter before thresholding")
    min_area_m2: float = Field(
        0.0, ge=0, description="minimum mapping unit in m²: water regions smaller than this "
        "are dropped from the polygons and set to land (0) in the mask, so the water area and "
        "the mask agree (0 keeps every region)")
    wgs84: bool = Field(False, description="also write the polygons in EPSG:4326")
    model: str | None = Field(None, description="learned: water-head weights file (default: "
                              "sar_water_unet.pt in $EARTHSIGHT_WEIGHTS_DIR or the torch "
                              "cache)", json_schema_extra=MODEL_FIELD)


def sar_bands(info: RasterInfo, warnings: list[str]) -> tuple[int | None, int | None]:
    """1-based (co-pol, cross-pol) bands from the band names; an unnamed SAR file is assumed to
    hold VV (and VH) in bands 1 (and 2), with a warning.

    Raises:
        InputError: No polarisation names and the scene does not look like SAR.
    """
    names = [(n or "").strip().upper() for n in info.band_names]
    co = next((i + 1 for i, n in enumerate(names) if n in CO_POL), None)
    cross = next((i + 1 for i, n in enumerate(names) if n in CROSS_POL), None)
    if co is None and cross is None:
        if info.modality != "sar":
            raise InputError(f"image: {info.path} does not look like SAR (no VV/VH/HH/HV band "
                             f"names; guessed {info.modality}). Use method='optical' or a SAR "
                             "file with named polarisations.")
        co, cross = 1, (2 if info.count >= 2 else None)
        pair = " and band 2 is VH" if cross else ""
        warnings.append(f"bands are not named: assumed band 1 is VV{pair}")
    return co, cross

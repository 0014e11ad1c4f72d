"""The arguments of ``detect_changes`` (shared by its methods and its result)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tools.core.registry import MODEL_FIELD, PATH_FIELD
from tools.core.scene_options import SceneOptions


class DetectChangesInput(SceneOptions):
    """Arguments of detect_changes."""

    before: str = Field(description="path of the earlier scene",
                        json_schema_extra=PATH_FIELD)
    after: str = Field(description="path of the later scene (reprojected onto the before grid "
                       "when grids differ)",
                       json_schema_extra=PATH_FIELD)
    method: Literal["auto", "cva", "deep"] = Field(
        "auto", description="cva = change vector analysis with Otsu; deep = learned siamese "
        "model (needs weights); auto = deep when weights exist, else cva")
    target: str | None = Field(
        None, description="class of interest, e.g. 'building' (needs a class-aware method)")
    threshold: float | None = Field(None, description="fixed change-magnitude threshold "
                                    "(default Otsu)")
    min_area_m2: float = Field(
        0.0, ge=0, description="minimum mapping unit in m²: change regions smaller than this "
        "are dropped from the polygons and set to no change (0) in the mask, so the changed "
        "area and the mask agree (0 keeps every region)")
    wgs84: bool = Field(False, description="also write the polygons in EPSG:4326")
    standardize: bool = Field(
        False, description="cva: subtract each band's mean difference and divide by its "
        "standard deviation before the norm (bands of different ranges weigh the same; the "
        "threshold is then in standard deviations)")
    model: str | None = Field(None, description="deep: change-model weights file (default: "
                              "siamese_cd.pt in $EARTHSIGHT_WEIGHTS_DIR or the torch cache)",
                              json_schema_extra=MODEL_FIELD)

"""``estimate_biomass``: above-ground biomass from a regression head (needs trained weights)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.artifacts import ToolResult
from tools.registry import PATH_FIELD, ToolContext, tool_record

BIOMASS_REQUIRES = ("the above-ground-biomass regression head is not part of this "
                    "installation yet; install a release that ships it and its weights")


class EstimateBiomassInput(BaseModel):
    """Arguments of estimate_biomass."""

    image: str = Field(description="path of the scene",
                       json_schema_extra=PATH_FIELD)
    region: str | None = Field(None, description="limit to a mask or polygons: an earlier step "
                               "($s1) or a file",
                               json_schema_extra=PATH_FIELD)


class EstimateBiomassOutput(ToolResult):
    """AGB raster in Mg/ha, mean in Mg/ha and total in Mg."""


@tool_record(EstimateBiomassInput, EstimateBiomassOutput, requires=BIOMASS_REQUIRES)
def estimate_biomass(args: EstimateBiomassInput, ctx: ToolContext) -> EstimateBiomassOutput:
    """Estimate above-ground biomass with a regression head: an AGB raster in Mg/ha, the mean
    (Mg/ha) and the total (Mg) over the scene or a region.
    """
    raise NotImplementedError(BIOMASS_REQUIRES)

"""Typed records of what tools produce: artifacts, quantities with units, tool results."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ArtifactKind = Literal["mask", "raster", "vector", "number", "table", "text"]


class ParentCall(BaseModel):
    """The call that ran a child call through its context (``ToolContext.call_tool``)."""

    call_id: str = Field(description="the parent call's id, e.g. c003")
    tool: str = Field(description="the parent call's tool")
    step: str | None = Field(None, description="the parent call's plan step id, if any")


class ToolCall(BaseModel):
    """The call that produced an artifact."""

    tool: str
    args: dict[str, Any]
    step: str | None = Field(None, description="plan step id (s1, s2, ...) when run from a plan")
    parent: ParentCall | None = Field(
        None, exclude_if=lambda v: v is None,
        description="the call that ran this one (a tool's child call); absent for top-level "
                    "calls")


DIMENSIONLESS = ("", "1")
"""Units of figures without a unit ('1' is the unit one of SI / UDUNITS, kept in the records)."""


def unit_text(unit: str | None) -> str:
    """How ``unit`` is written after a number: nothing for dimensionless figures, 'per yr'
    for '1/yr'."""
    if unit is None or unit in DIMENSIONLESS:
        return ""
    return f"per {unit[2:]}" if unit.startswith("1/") else unit


class Quantity(BaseModel):
    """A number with its unit."""

    value: float
    unit: str

    def __str__(self) -> str:
        v = self.value
        text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.4g}" if abs(v) < 1 else f"{v:,.2f}"
        return f"{text} {unit_text(self.unit)}".strip()


class Reliability(BaseModel):
    """A method's own verdict on its figure, from its diagnostics (e.g. how clearly a
    thresholded histogram is bimodal, how much of the scene overlaps)."""

    reliable: bool = Field(description="false when the method's diagnostics say the figure "
                           "may be far off")
    reasons: list[str] = Field(default_factory=list,
                               description="why it is unreliable, one short phrase each")
    diagnostics: dict[str, float] = Field(
        default_factory=dict, description="the numbers the verdict rests on, e.g. ashman_d "
        "(dimensionless), valid_share_pct (%), dark_mode_db (dB)")

    @property
    def headline(self) -> str:
        """'unreliable: <why>' (empty when reliable)."""
        return "" if self.reliable else "unreliable: " + "; ".join(self.reasons or ["see warnings"])

    def lead(self, summary: str) -> str:
        """``summary`` with the headline in front when unreliable."""
        return f"{self.headline}. {summary}" if self.headline else summary


class ClusterRun(BaseModel):
    """Where a tool's tiles ran when ``EARTHSIGHT_CLUSTER`` sent them to a Dask cluster."""

    scheduler: str = Field(description="address of the Dask scheduler, e.g. tcp://127.0.0.1:8786")
    tasks: int = Field(description="tasks the cluster ran for this call (one per tile per pass, "
                       "per slice group for detection, per image for a series), count")
    workers: list[str] = Field(description="addresses of the workers that ran them")


class Artifact(BaseModel):
    """One output: a file in the workspace (or a number kept in the result file) plus its record."""

    id: str = Field(description="unique within the workspace, e.g. c003-mask")
    name: str = Field(description="what it is, e.g. water_mask, water_area, mean")
    kind: ArtifactKind
    path: str | None = Field(None, description="file in the workspace that holds it")
    units: str | None = None
    crs: str | None = None
    transform: list[float] | None = None
    value: float | None = Field(None, description="the value of a number artifact")
    description: str = ""
    call: ToolCall
    quicklook: str | None = Field(
        None, exclude_if=lambda v: v is None,
        description="PNG quick-look beside a raster file (a legend or colour bar drawn in); "
                    "absent for other artifacts")
    style: str | None = Field(
        None, exclude_if=lambda v: v is None,
        description="QGIS layer style (.qml) beside a raster file: QGIS opens the raster "
                    "styled; absent for other artifacts")

    def quantity(self) -> Quantity:
        """This number artifact as a Quantity."""
        if self.value is None:
            raise ValueError(f"artifact {self.id} is a {self.kind}, not a number")
        return Quantity(value=self.value, unit=self.units or "")


class ToolResult(BaseModel):
    """Base of every tool's output model."""

    summary: str = Field(description="one or two sentences with the numbers and their units")
    image: str | None = Field(None, description="the scene this result was computed from")
    artifacts: list[Artifact] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    reliability: Reliability | None = Field(
        None, description="the method's own check of its figure: reliable false, with reasons "
        "and the diagnostics, when they say the figure may be far off; null when the tool has "
        "no such check")
    cluster: ClusterRun | None = Field(
        None, exclude_if=lambda v: v is None,
        description="where the tiles ran when they went to a Dask cluster (EARTHSIGHT_CLUSTER); "
        "absent when the call ran in-process")

    def numbers(self) -> dict[str, Quantity]:
        """Number artifacts by name."""
        return {a.name: a.quantity() for a in self.artifacts if a.kind == "number"}

    def first(self, *kinds: ArtifactKind) -> Artifact | None:
        """The first artifact of one of ``kinds``."""
        return next((a for a in self.artifacts if a.kind in kinds), None)

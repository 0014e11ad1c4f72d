"""Plans: the steps a planner proposes, in the format ../shared/DESIGN.md fixes.

```json
{"request": "...", "steps": [
  {"id": "s1", "tool": "detect_objects", "args": {"image": "scene.tif", "classes": ["ship"]}},
  {"id": "s2", "tool": "segment", "args": {"image": "scene.tif", "boxes": "$s1"}}]}
```

String arguments ``"$sN"`` refer to the result of step ``sN``; ``"$image"``, ``"$before"``,
``"$after"`` refer to the scenes of the request when a plan is made without files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field


class PlanStep(BaseModel):
    """One tool call of a plan."""

    id: str = Field(description="s1, s2, ...")
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)

    def references(self) -> list[str]:
        """Ids of earlier steps this step reads (``$sN`` values, also inside lists)."""
        refs: list[str] = []
        for value in self.args.values():
            items = value if isinstance(value, list) else [value]
            refs.extend(v[1:] for v in items if isinstance(v, str) and v.startswith("$s")
                        and v[2:].isdigit())
        return refs


class Plan(BaseModel):
    """A request and the steps that answer it (empty when the planner declines)."""

    request: str
    steps: list[PlanStep] = Field(default_factory=list)
    declined: str | None = Field(None, description="why nothing was planned, when so")
    notes: list[str] = Field(default_factory=list, description="assumptions the planner made")

    def to_design_json(self) -> dict[str, Any]:
        """The plan as DESIGN.md prints it (plus declined/notes when present)."""
        out: dict[str, Any] = {"request": self.request,
                               "steps": [s.model_dump() for s in self.steps]}
        if self.declined:
            out["declined"] = self.declined
        if self.notes:
            out["notes"] = self.notes
        return out


class Scene(BaseModel):
    """A scene the request is about: its path and, when known, its modality."""

    path: str
    modality: str | None = Field(None, description="rgb, multispectral, sar, hyperspectral, "
                                 "panchromatic; None when not read (dry runs)")


class Planner(Protocol):
    """Anything that turns a request (and its scenes) into a Plan."""

    name: str

    def plan(self, request: str, scenes: Sequence[Scene] = ()) -> Plan:
        """Plan ``request`` over ``scenes`` (may be empty: then refer to ``$image``)."""
        ...

"""Plans: the steps a planner proposes, in the format ../shared/DESIGN.md fixes.

```json
{"request": "...", "steps": [
  {"id": "s1", "tool": "detect_objects", "args": {"image": "scene.tif", "classes": ["ship"]}},
  {"id": "s2", "tool": "segment", "args": {"image": "scene.tif", "boxes": "$s1"}}]}
```

String arguments ``"$sN"`` refer to the result of step ``sN``; ``"$image"``, ``"$before"``,
``"$after"`` refer to the scenes of the request (the grammar: :mod:`agent.references`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from agent import references
from tools.geo.raster import RasterInfo

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from agent.sandbox import Paths


class PlanStep(BaseModel):
    """One tool call of a plan."""

    id: str = Field(description="s1, s2, ...")
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)

    def references(self) -> list[str]:
        """Ids of earlier steps this step reads (``$sN`` values, also inside lists and dicts)."""
        return references.step_ids(self.args)


class Plan(BaseModel):
    """A request and the steps that answer it (empty when the planner declines)."""

    request: str
    steps: list[PlanStep] = Field(default_factory=list)
    declined: str | None = Field(None, description="why nothing was planned, when so")
    notes: list[str] = Field(default_factory=list, description="assumptions the planner made")
    not_done: list[str] = Field(default_factory=list, description="parts of the request that "
                                "no step answers, each with why")

    def to_design_json(self) -> dict[str, Any]:
        """The plan as DESIGN.md prints it (plus declined/notes when present)."""
        out: dict[str, Any] = {"request": self.request,
                               "steps": [s.model_dump() for s in self.steps]}
        if self.declined:
            out["declined"] = self.declined
        if self.notes:
            out["notes"] = self.notes
        if self.not_done:
            out["not_done"] = self.not_done
        return out


class Scene(BaseModel):
    """A scene the request is about: its path and, when read, its modality and header."""

    path: str
    modality: str | None = Field(None, description="rgb, multispectral, sar, hyperspectral, "
                                 "panchromatic; None when not read (dry runs)")
    info: RasterInfo | None = Field(None, exclude=True, repr=False,
                                    description="its header, read once per request")


class Planner(Protocol):
    """Anything that turns a request (and its scenes) into a Plan."""

    name: str

    def plan(self, request: str, scenes: Sequence[Scene] = ()) -> Plan:
        """Plan ``request`` over ``scenes`` (may be empty: then refer to ``$image``)."""
        ...


@runtime_checkable
class ContextPlanner(Planner, Protocol):
    """A planner that also takes the caller's context with every request (the LLM planner).

    The context is per call, never planner state, because one planner may serve many sessions
    (one per configuration, :func:`agent.planners.shared.load_planner`): the path rules of the
    session the plan is for (they check the proposed file arguments, so the model learns what
    that session may read) and the session's earlier turns as messages.
    Call it through :func:`plan_request`, which leaves plain planners as they are.
    """

    takes_context: ClassVar[Literal[True]]
    """Marks the planner as taking context (what ``isinstance`` checks at run time)."""

    def plan(self, request: str, scenes: Sequence[Scene] = (),
             history: Sequence[BaseMessage] = (), *, sandbox: Paths | None = None) -> Plan:
        """Plan ``request`` over ``scenes`` for the session of ``sandbox`` after ``history``."""
        ...


def plan_request(planner: Planner, request: str, scenes: Sequence[Scene] = (), *,
                 sandbox: Paths | None = None,
                 history: Sequence[BaseMessage] = ()) -> Plan:
    """Ask ``planner`` for a plan, handing a :class:`ContextPlanner` the caller's context.

    Args:
        planner: Any planner; a plain one gets only ``request`` and ``scenes``.
        request: The analyst's request.
        scenes: The request's scenes.
        sandbox: The sandbox of the caller's session (None: the planner's own default).
        history: Earlier turns of a session as messages.
    """
    if isinstance(planner, ContextPlanner):
        return planner.plan(request, scenes, history, sandbox=sandbox)
    return planner.plan(request, scenes)

"""What the agent graph carries between its nodes, and what a finished run returns."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.messages import AnyMessage, BaseMessage, convert_to_messages
from pydantic import BaseModel, Field, computed_field

from agent.plan import Plan, Scene
from tools.core.artifacts import Artifact, ClusterRun, Quantity, Reliability


def append_messages(left: list[Any] | None, right: list[Any] | Any) -> list[BaseMessage]:
    """The messages reducer: append, turning client dicts / tuples into messages (what
    LangGraph's ``add_messages`` does for appends, without importing LangGraph)."""
    new = right if isinstance(right, list) else [right]
    return [*convert_to_messages(left or []), *convert_to_messages(new)]


StepStatus = Literal["ok", "failed", "skipped"]


class NumberRecord(BaseModel):
    """A number with its unit and the step that measured it."""

    step: str
    tool: str
    name: str = Field(description="what it is, e.g. water_area, mean")
    value: float
    unit: str

    def quantity(self) -> Quantity:
        """This number as a Quantity (formats with its unit)."""
        return Quantity(value=self.value, unit=self.unit)


class StepResult(BaseModel):
    """What one plan step did: its result file, summary and numbers, or why it did not run."""

    id: str
    tool: str
    status: StepStatus
    args: dict[str, Any] = Field(default_factory=dict,
                                 description="arguments after $-references were resolved")
    result_path: str | None = Field(None, description="result JSON ($sN resolves to it)")
    summary: str = ""
    numbers: dict[str, Quantity] = Field(default_factory=dict)
    artifacts: list[Artifact] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    reliability: Reliability | None = Field(
        None, description="the tool's own verdict on its figure (reliable false: its "
        "diagnostics say the figure may be far off); null when the tool has no such check")
    error: str | None = Field(None, description="why it failed or was skipped")
    cluster: ClusterRun | None = Field(
        None, description="where its tiles ran on a Dask cluster (scheduler, tasks, workers); "
        "null: in this process")

    @property
    def unreliable(self) -> bool:
        """True when the step ran and its tool flagged its figure as unreliable."""
        return (self.status == "ok" and self.reliability is not None
                and not self.reliability.reliable)
    seconds: float | None = None


class AgentState(TypedDict, total=False):
    """State of the plan → act → answer graph.

    Lists marked with a reducer accumulate across nodes; the rest are replaced.
    """

    messages: Annotated[list[AnyMessage], append_messages]
    request: str
    scenes: list[Scene]
    workspace: str
    dry_run: bool
    plan: Plan
    results: dict[str, StepResult]
    gsd: float | None
    """Metres per pixel of scenes without georeference, stated beside the request."""
    region: str | list[float] | None
    """The request's area of interest (a bbox, a vector file, ``$sN``), beside the request."""
    artifacts: Annotated[list[Artifact], operator.add]
    errors: Annotated[list[str], operator.add]
    answer: str


class AgentResult(BaseModel):
    """The outcome of one request: plan, answer text, numbers with units, artifacts, errors."""

    request: str
    plan: Plan
    answer: str
    numbers: list[NumberRecord] = Field(default_factory=list)
    artifacts: list[Artifact] = Field(default_factory=list,
                                      description="files written (numbers are in `numbers`)")
    errors: list[str] = Field(default_factory=list,
                              description="failed and skipped steps, unreadable scenes")
    steps: list[StepResult] = Field(default_factory=list)
    scenes: list[Scene] = Field(default_factory=list)
    workspace: str | None = None
    dry_run: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unreliable(self) -> list[str]:
        """The steps whose tool flagged its figure as unreliable, with why
        (``"s1 map_water: <why>"``); empty when none was."""
        return [f"{s.id} {s.tool}: {'; '.join(s.reliability.reasons)}" for s in self.steps
                if s.unreliable and s.reliability is not None]

    @property
    def ok(self) -> bool:
        """True when something was planned and every step ran without error."""
        return (not self.errors and self.plan.declined is None
                and all(s.status == "ok" for s in self.steps))


def collect_numbers(results: dict[str, StepResult]) -> list[NumberRecord]:
    """Every number of the successful steps, in plan order."""
    return [NumberRecord(step=r.id, tool=r.tool, name=name, value=q.value, unit=q.unit)
            for r in results.values() if r.status == "ok" for name, q in r.numbers.items()]

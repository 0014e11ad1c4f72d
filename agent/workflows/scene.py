"""One scene of a workflow batch: what runs it (:class:`SceneJob`) and its summary row.

:func:`run_scene` is the whole of a scene's run, the same code in the batch's own process and on
a cluster worker: the workflow with the scene bound to its image input, in the scene's own
sub-folder of the batch workspace (its own call ids, manifest and lock), every error caught and
turned into the row (a broken scene never stops the batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from agent.checks import RequestChecks
from agent.errors import message
from agent.workflows.run import run_workflow
from agent.workflows.workflow import Workflow
from tools.core.registry import Describer


class SceneRow(BaseModel):
    """One scene of a batch."""

    scene: str
    status: str = Field(description="ok, failed (a step failed) or error (did not run)")
    error: str = ""
    workspace: str = ""
    numbers: dict[str, float] = Field(default_factory=dict,
                                      description="'step.name [unit]' -> value")


@dataclass(frozen=True)
class SceneJob:
    """Everything one scene's run needs (it pickles: a cluster task carries it).

    Attributes:
        workflow: The validated workflow.
        inputs: Its input values, the scene bound to the image input.
        scene: The scene as the batch found it (the row's name).
        folder: The scene's own workspace folder (absolute; unique within the batch).
        checks: The scene's request checks (None: open paths and the pixel limit).
        describer: The backend ``describe_scene`` steps answer with (None: none).
    """

    workflow: Workflow
    inputs: dict[str, Any]
    scene: str
    folder: str
    checks: RequestChecks | None = None
    describer: Describer | None = field(default=None, compare=False)


def run_scene(job: SceneJob) -> SceneRow:
    """Run one scene's workflow into its folder; its row (``error`` rows for a scene that did
    not run, ``failed`` for one whose steps failed, with the reasons)."""
    try:
        result = run_workflow(job.workflow, job.inputs, workspace=job.folder,
                              checks=job.checks, describer=job.describer)
    except Exception as exc:  # one broken scene must not stop the batch
        return SceneRow(scene=job.scene, status="error", error=message(exc),
                        workspace=job.folder)
    return SceneRow(
        scene=job.scene, status="ok" if result.ok else "failed",
        error="; ".join(result.errors), workspace=job.folder,
        numbers={f"{n.step}.{n.name} [{n.unit}]": n.value for n in result.numbers})

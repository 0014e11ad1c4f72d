"""The Python API: one object per workspace that asks, runs tools and runs workflows.

    from agent import Analyst

    analyst = Analyst(workspace="ws", sandbox=True)
    result = analyst.ask("How much open water is there?", images=["sar/scene.tif"])
    print(result.answer, [(n.name, n.value, n.unit) for n in result.numbers])

With ``sandbox=True`` (or a :class:`~agent.sandbox.Sandbox`), file arguments must lie inside the
workspace or the data roots, relative paths resolve there, and at most ``max_jobs`` calls of the
same Analyst run at once. Without it, paths are read as given (relative to the current folder);
rasters over ``EARTHSIGHT_MAX_PIXELS`` (default 1e9 pixels) are refused either way.

``describe_scene`` (in ``ask``, ``run_tool``, workflows and the LangChain tools) answers with
the ``describer`` given, else with the planner's chat model when the planner is an LLM planner,
else from measured facts only::

    analyst = Analyst(planner="llm")                        # describes with the planner's model
    analyst = Analyst(describer=lambda req: my_vlm(req.question, req.facts))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.plan import Planner
from agent.sandbox import Sandbox, file_checks
from tools.core.workspace import Workspace

if TYPE_CHECKING:
    from agent.progress import AgentProgress
    from agent.state import AgentResult
    from agent.workflows.batch import BatchResult
    from agent.workflows.workflow import WorkflowResult
    from tools.core.artifacts import Artifact, ToolResult
    from tools.core.registry import Describer


class Analyst:
    """EarthSight for programs: ask in plain language, run one tool, or run a workflow.

    Args:
        workspace: Folder for every output (created when missing).
        planner: A planner name (``"offline"``) or a :class:`~agent.plan.Planner`.
        sandbox: False (read paths as given), True (:meth:`Sandbox.from_env` over the
            workspace), or a configured :class:`~agent.sandbox.Sandbox`.
        describer: The vision/language backend ``describe_scene`` answers with (a
            :data:`tools.core.registry.Describer`: ``DescribeRequest -> str``, e.g. an
            :class:`agent.llm.describe.ChatDescriber`). Default: the planner's chat model when
            it is an LLM planner, else none (measured facts only).
    """

    def __init__(self, workspace: str | Path = "workspace", planner: str | Planner = "offline",
                 sandbox: bool | Sandbox = False, describer: Describer | None = None) -> None:
        from agent.llm.describe import choose_describer

        self.workspace = Workspace(workspace)
        if isinstance(planner, str):
            from agent.planners import get_planner

            # an LLM planner's own sandbox (used when a run brings none) is this workspace's
            planner = get_planner(planner, workspace=self.workspace.root)
        self.planner: Planner = planner
        self.describer: Describer | None = choose_describer(planner, describer)
        if isinstance(sandbox, Sandbox):
            self.sandbox: Sandbox | None = sandbox
        else:
            self.sandbox = Sandbox.from_env(self.workspace.root) if sandbox else None

    def __repr__(self) -> str:
        return (f"Analyst(workspace={str(self.workspace.root)!r}, planner={self.planner.name!r}, "
                f"sandbox={self.sandbox!r})")

    def _job(self) -> AbstractContextManager[None]:
        return self.sandbox.job() if self.sandbox is not None else nullcontext()

    def ask(self, request: str, images: Sequence[str | Path] = (), *, dry_run: bool = False,
            progress: AgentProgress | None = None) -> AgentResult:
        """Plan ``request`` over ``images``, run it (unless ``dry_run``) and answer.

        Returns:
            The typed result: ``answer`` text, ``numbers`` (value + unit + step), ``artifacts``
            (files), ``steps``, ``errors`` and ``ok``.

        Raises:
            InputError: With a sandbox, a scene it refuses; a scene over the pixel limit.
        """
        from agent.graph import run_request

        with self._job():
            return run_request(request, list(images), self.workspace.root, self.planner,
                               dry_run=dry_run, progress=progress, sandbox=self.sandbox,
                               describer=self.describer)

    def run_tool(self, name: str, **args: Any) -> ToolResult:
        """Run one tool (``analyst.run_tool("map_water", image="scene.tif")``).

        Raises:
            InputError: Unknown tool, bad arguments, (with a sandbox) a refused file, or a
                raster over the pixel limit (``EARTHSIGHT_MAX_PIXELS``, sandbox or not).
            ToolUnavailable: The tool cannot run in this installation.
        """
        from tools.catalog import run_tool

        args = file_checks(self.sandbox).check_tool_args(name, args)  # or the pixel limit
        with self._job():
            return run_tool(name, args, self.workspace, describer=self.describer).result

    def run_workflow(self, path: str | Path, *, dry_run: bool = False,
                     **inputs: Any) -> WorkflowResult:
        """Run a YAML workflow with ``inputs`` by name (``run_workflow("f.yaml", image=...)``).

        The workflow file is the caller's code and is read as given; with a sandbox, its image
        inputs and every file argument of its steps must pass it.

        Raises:
            WorkflowError: Invalid workflow or inputs (nothing ran).
            InputError: With a sandbox, a refused input or file argument (nothing ran).
        """
        from agent.workflows.run import run_workflow
        with self._job():
            return run_workflow(path, inputs, workspace=self.workspace.root, dry_run=dry_run,
                                sandbox=self.sandbox, describer=self.describer)

    def run_batch(self, path: str | Path, scenes: str, *, input_name: str | None = None,
                  **inputs: Any) -> BatchResult:
        """Run a workflow once per scene of a folder or glob (see :mod:`agent.workflows.batch`)."""
        from agent.workflows.batch import run_batch
        with self._job():
            return run_batch(path, scenes, input_name=input_name, inputs=inputs,
                             workspace=self.workspace.root, sandbox=self.sandbox,
                             describer=self.describer)

    def artifacts(self) -> list[Artifact]:
        """Every artifact recorded in the workspace, oldest first."""
        return self.workspace.artifacts()

    def langchain_tools(self) -> list[Any]:
        """The available tools as LangChain ``StructuredTool`` objects writing here.

        With a sandbox, each call's file arguments are checked first; errors come back as text
        (``"error: ..."``) so the calling model can correct itself.
        """
        from langchain_core.tools import StructuredTool

        from tools.catalog import ALL_TOOLS
        from tools.core.registry import ToolRecord

        def make(record: ToolRecord[Any, Any]) -> Any:
            def call(**kwargs: Any) -> str:
                try:
                    result = self.run_tool(record.name, **kwargs)
                except Exception as exc:  # returned to the model, not raised
                    return f"error: {exc}"
                return json.dumps(result.model_dump(mode="json", exclude_none=True))

            return StructuredTool.from_function(func=call, name=record.name,
                                                description=record.description,
                                                args_schema=record.input_model)

        return [make(t) for t in ALL_TOOLS if t.requires is None]

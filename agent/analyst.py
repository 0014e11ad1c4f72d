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
else with the LLM configured on purpose, else from measured facts only
(:func:`agent.runtime.choose_describer`)::

    analyst = Analyst(planner="llm")                        # describes with the planner's model
    analyst = Analyst(describer=lambda req: my_vlm(req.question, req.facts))
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.plan import Planner
from agent.progress import AgentProgress
from agent.runtime import Runtime, make_runtime
from agent.sandbox import Sandbox
from agent.state import AgentResult
from agent.workflows.batch import BatchResult
from agent.workflows.workflow import WorkflowResult, load_workflow
from tools.catalog import as_langchain_tools
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
            :data:`tools.core.registry.Describer`: ``DescribeRequest -> str``). Default: the
            rule of :func:`agent.runtime.choose_describer`.
    """

    def __init__(self, workspace: str | Path = "workspace", planner: str | Planner = "offline",
                 sandbox: bool | Sandbox = False, describer: Describer | None = None) -> None:
        self.runtime: Runtime = make_runtime(workspace, planner=planner, sandbox=sandbox,
                                             describer=describer)
        self.workspace = self.runtime.workspace

    def __repr__(self) -> str:
        return (f"Analyst(workspace={str(self.workspace.root)!r}, "
                f"planner={self.planner.name!r}, sandbox={self.sandbox!r})")

    @property
    def planner(self) -> Planner:
        """The planner of :meth:`ask`."""
        return self.runtime.planner

    @property
    def sandbox(self) -> Sandbox | None:
        """The sandbox, when there is one."""
        return self.runtime.sandbox

    @property
    def describer(self) -> Describer | None:
        """The describer ``describe_scene`` answers with."""
        return self.runtime.describer

    def ask(self, request: str, images: Sequence[str | Path] = (), *, dry_run: bool = False,
            progress: AgentProgress | None = None, gsd: float | None = None,
            region: str | list[float] | None = None) -> AgentResult:
        """Plan ``request`` over ``images``, run it (unless ``dry_run``) and answer.

        ``gsd`` (metres per pixel) is for images without georeference; ``region`` (a bbox
        ``[minx, miny, maxx, maxy]`` in the scene CRS or lon/lat, or a vector file) limits every
        step that reads a scene.

        Returns:
            The typed result: ``answer`` text, ``numbers`` (value + unit + step), ``artifacts``
            (files), ``steps``, ``errors`` and ``ok``.

        Raises:
            InputError: With a sandbox, a scene it refuses; a scene over the pixel limit.
        """
        with self.runtime.job():
            return self.runtime.ask(request, images, dry_run=dry_run, progress=progress,
                                    gsd=gsd, region=region)

    def run_tool(self, name: str, **args: Any) -> ToolResult:
        """Run one tool (``analyst.run_tool("map_water", image="scene.tif")``).

        Raises:
            InputError: Unknown tool, bad arguments, (with a sandbox) a refused file, or a
                raster over the pixel limit (``EARTHSIGHT_MAX_PIXELS``, sandbox or not).
            ToolUnavailable: The tool cannot run in this installation.
        """
        with self.runtime.job():
            return self.runtime.run_tool(name, args).result

    def run_workflow(self, path: str | Path, *, dry_run: bool = False,
                     **inputs: Any) -> WorkflowResult:
        """Run a YAML workflow with ``inputs`` by name (``run_workflow("f.yaml", image=...)``).

        The workflow file is the caller's code and is read as given; with a sandbox, its image
        inputs and every file argument of its steps must pass it.

        Raises:
            WorkflowError: Invalid workflow or inputs (nothing ran).
            InputError: A refused input or file argument (nothing ran).
        """
        workflow = load_workflow(path, require_available=not dry_run)  # the caller's own file
        with self.runtime.job():
            return self.runtime.run_workflow(workflow, inputs, dry_run=dry_run)

    def run_batch(self, path: str | Path, scenes: str, *, input_name: str | None = None,
                  **inputs: Any) -> BatchResult:
        """Run a workflow once per scene of a folder or glob (see :mod:`agent.workflows.batch`)."""
        with self.runtime.job():
            return self.runtime.run_batch(path, scenes, input_name=input_name, inputs=inputs)

    def artifacts(self) -> list[Artifact]:
        """Every artifact recorded in the workspace, oldest first."""
        return self.workspace.artifacts()

    def langchain_tools(self) -> list[Any]:
        """The available tools as LangChain ``StructuredTool`` objects that run through this
        analyst's runtime (its sandbox and limits); errors come back as text (``"error:
        ..."``) so the calling model can correct itself (see
        :func:`tools.catalog.as_langchain_tools`, the one wrapper)."""
        return as_langchain_tools(self.workspace,
                                  run=lambda name, args: self.run_tool(name, **args))

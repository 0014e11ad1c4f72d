"""The runtime: one object per entry point that every request goes through.

Every entry point — the command line (``ask``, ``run``, ``run-tool``, ``chat``, ``eval``), the
HTTP API (one per session), the MCP server, the LangGraph server graph, :class:`agent.Analyst`,
workflows and batches — builds its :class:`Runtime` with :func:`make_runtime` and runs requests
through it. It holds the workspace, the sandbox (or open paths) and limits, the planner (built
once per configuration and shared, :mod:`agent.planners.shared`), the describer, and the job
slots. The policies are decided here once:

* **Checks.** Each request gets one :class:`~agent.checks.RequestChecks`: every scene and file
  argument passes the sandbox once, each scene's header is read once, and the pixel limit
  (``EARTHSIGHT_MAX_PIXELS``) applies with or without a sandbox.
* **Describer** (:func:`choose_describer`): ``describe_scene`` answers with the describer given
  (Python API), else the LLM planner's own model when the planner is ``llm``, else the LLM
  configured on purpose (``[llm]`` in a config file or ``EARTHSIGHT_LLM_*``), else from measured
  facts only — the same on every interface.
* **Errors**: :func:`agent.errors.report`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.checks import RequestChecks
from agent.graph import ToolLookup, run_request
from agent.limits import JobLimiter, max_jobs_from_env, max_pixels_from_env
from agent.llm.config import explicit_config
from agent.llm.describe import ChatDescriber, ConfiguredDescriber
from agent.plan import Planner
from agent.planners.llm import LLMPlanner
from agent.planners.shared import llm_config, load_planner, planner_key
from agent.progress import AgentProgress, ProgressEvent
from agent.sandbox import OpenPaths, Paths, Sandbox
from agent.state import AgentResult
from agent.workflows.batch import BatchResult, SceneRow, run_batch
from agent.workflows.run import run_workflow
from agent.workflows.workflow import Workflow, WorkflowResult, load_workflow, parse_workflow
from tools.catalog import get_tool
from tools.core.errors import InputError
from tools.core.registry import Describer, ProgressCallback, ToolRun, run_record
from tools.core.workspace import Workspace


def choose_describer(planner: Planner | str | None, explicit: Describer | None = None,
                     llm: Mapping[str, Any] | None = None,
                     cwd: str | Path | None = None) -> Describer | None:
    """The describer ``describe_scene`` answers with (the one rule, see the module docstring).

    Args:
        planner: The planner (object or name) of the run; None for a bare tool call.
        explicit: A describer the caller passes; it always wins.
        llm: LLM settings from the command line (``--backend`` ...).
        cwd: Folder searched for ``earthsight.toml``.

    Raises:
        InputError: An invalid LLM configuration.
    """
    if explicit is not None:
        return explicit
    if isinstance(planner, LLMPlanner):
        return ChatDescriber(planner.chat_model, images=planner.images)
    if isinstance(planner, str) and planner.strip().lower() == "llm":
        return ConfiguredDescriber(llm_config(llm))  # shares the planner's chat model
    config = explicit_config(cwd)
    return ConfiguredDescriber(config) if config is not None else None


class Runtime:
    """What every request of one entry point runs with (build it with :func:`make_runtime`).

    Args:
        workspace: Folder of the outputs.
        paths: The path rules: a :class:`~agent.sandbox.Sandbox` or open paths.
        planner: A planner name (built on first use, shared) or a planner.
        describer: The describer ``describe_scene`` answers with (see :func:`choose_describer`).
        limiter: The job slots (servers share one across their runtimes).
        max_pixels: Largest raster a request may name.
        llm: LLM settings from the command line.
        tool_lookup: Tool name -> record (default: the catalog).
        explicit_describer: The describer the caller gave (it wins for every planner).
    """

    def __init__(self, workspace: Path, paths: Paths, planner: str | Planner,
                 describer: Describer | None, limiter: JobLimiter, max_pixels: int,
                 llm: Mapping[str, Any] | None = None, tool_lookup: ToolLookup = get_tool,
                 explicit_describer: Describer | None = None) -> None:
        self.root = workspace
        self._workspace: Workspace | None = None
        self.paths = paths
        self._planner = planner
        self.describer = describer
        self.limiter = limiter
        self.max_pixels = max_pixels
        self.llm = dict(llm or {})
        self.tool_lookup = tool_lookup
        self.explicit_describer = explicit_describer

    def __repr__(self) -> str:
        name = self._planner if isinstance(self._planner, str) else self._planner.name
        return (f"Runtime(workspace={str(self.root)!r}, paths={self.paths!r}, "
                f"planner={name!r}, max_jobs={self.limiter.max_jobs})")

    @property
    def workspace(self) -> Workspace:
        """The output folder (created on first use: a dry run makes none).

        Raises:
            InputError: It cannot be used (a file, no permission).
        """
        if self._workspace is None:
            try:
                self._workspace = Workspace(self.root)
            except OSError as exc:
                raise InputError(f"workspace: cannot use {self.root}: {exc}") from exc
        return self._workspace

    @property
    def sandbox(self) -> Sandbox | None:
        """The sandbox, when the runtime has one."""
        return self.paths if isinstance(self.paths, Sandbox) else None

    @property
    def planner(self) -> Planner:
        """The planner (a named one is built on first use and shared per configuration)."""
        if isinstance(self._planner, str):
            return load_planner(self._planner, self.llm)
        return self._planner

    def checks(self) -> RequestChecks:
        """Fresh checks for one request."""
        return RequestChecks(self.paths, self.max_pixels, self.tool_lookup)

    @contextmanager
    def job(self, wait: bool = True) -> Iterator[None]:
        """Hold a job slot (``wait=False``: BusyError at once when all are taken)."""
        with self.limiter.slot(wait=wait):
            yield

    # --- requests --------------------------------------------------------------------------

    def run_tool(self, name: str, args: dict[str, Any], *,
                 progress: ProgressCallback | None = None) -> ToolRun:
        """Run one tool: its file arguments checked once, then the tool.

        Raises:
            InputError: Unknown tool, bad arguments, a refused file or one over the limit.
            ToolUnavailable: The tool cannot run in this installation.
        """
        record = self.tool_lookup(name)
        checked = self.checks().check_tool_args(record.name, dict(args))
        return run_record(record, checked, self.workspace, progress=progress,
                          lookup=self.tool_lookup, describer=self.describer)

    def ask(self, request: str, images: Sequence[str | Path] = (), *, dry_run: bool = False,
            progress: AgentProgress | None = None, planner: str | None = None,
            argument: str = "images", checks: RequestChecks | None = None,
            gsd: float | None = None, region: str | list[float] | None = None) -> AgentResult:
        """Plan ``request`` over ``images``, run the plan (unless ``dry_run``) and answer.

        Args:
            planner: Another planner name for this request (the servers' per-request choice).
            argument: How messages name the images (``--image`` on the command line).
            checks: This request's checks, when the caller checked its images already
                (:meth:`checks`; the servers refuse a bad request before taking a job slot).
            gsd: Metres per pixel of images without georeference (``--gsd``).
            region: Area of interest for every step that reads a scene (``--region``).

        Raises:
            InputError: A scene the sandbox refuses or one over the pixel limit.
        """
        chosen = load_planner(planner, self.llm) if planner is not None else self.planner
        describer = (self.describer if planner is None else
                     choose_describer(chosen, self.explicit_describer, self.llm))
        one = checks or self.checks()
        scenes = None if dry_run else one.scenes([str(p) for p in images], argument,
                                                 must_exist=True)
        root = self.root if dry_run else self.workspace.root
        return run_request(request, [str(p) for p in images], root, chosen,
                           dry_run=dry_run, tool_lookup=self.tool_lookup,
                           progress=progress, checks=one, describer=describer,
                           scenes=scenes, gsd=gsd, region=region)

    def run_workflow(self, workflow: Workflow | str | Path, inputs: Mapping[str, Any], *,
                     dry_run: bool = False, progress: AgentProgress | None = None,
                     text: str | None = None) -> WorkflowResult:
        """Run a workflow (a file, a :class:`Workflow`, or ``text``: YAML given inline).

        A workflow file named by a client goes through the sandbox like any file argument.

        Raises:
            WorkflowError: Invalid workflow or inputs (nothing ran).
            InputError: A refused file (nothing ran).
        """
        if text is not None:
            wf = parse_workflow(text, "inline-workflow", require_available=not dry_run)
        elif isinstance(workflow, Workflow):
            wf = workflow
        else:
            path = self.paths.resolve(str(workflow), "workflow")
            if not Path(path).is_file():
                raise InputError(f"workflow: file not found: {workflow}")
            wf = load_workflow(path, require_available=not dry_run)
        root = self.root if dry_run else self.workspace.root
        return run_workflow(wf, inputs, workspace=root, dry_run=dry_run,
                            checks=self.checks(), progress=progress,
                            describer=self.describer, tool_lookup=self.tool_lookup)

    def run_batch(self, workflow: Workflow | str | Path, scenes: str, *,
                  input_name: str | None = None, inputs: Mapping[str, Any] | None = None,
                  on_scene: Callable[[int, int, SceneRow], None] | None = None) -> BatchResult:
        """Run a workflow once per scene of a folder or glob (one request per scene)."""
        return run_batch(workflow, scenes, input_name=input_name, inputs=dict(inputs or {}),
                         workspace=self.workspace.root, paths=self.paths,
                         new_checks=self.checks, describer=self.describer, on_scene=on_scene)


def step_progress(progress: AgentProgress, tool: str) -> ProgressCallback:
    """A tool's ``(stage, done, total)`` callback as agent progress events of one step."""
    def on_progress(stage: str, done: int, total: int) -> None:
        progress(ProgressEvent(kind="step_progress", step="run", tool=tool, index=1, count=1,
                               stage=stage, done=done, total=total))
    return on_progress


def make_runtime(workspace: str | Path = "workspace", *, planner: str | Planner = "offline",
                 sandbox: bool | Sandbox = False, describer: Describer | None = None,
                 llm: Mapping[str, Any] | None = None, limiter: JobLimiter | None = None,
                 max_jobs: int | None = None, tool_lookup: ToolLookup = get_tool,
                 cwd: str | Path | None = None) -> Runtime:
    """The runtime of one entry point.

    Args:
        workspace: Folder of the outputs (created when a request first writes to it).
        planner: A planner name (``offline``, ``llm``) or a planner object.
        sandbox: False (paths as given), True (:meth:`Sandbox.from_env` over the workspace),
            or a configured :class:`~agent.sandbox.Sandbox`.
        describer: A describer that wins over the configuration (Python API, tests).
        llm: LLM settings from the command line (``backend``, ``model``, ``base_url``...).
        limiter: Job slots shared with other runtimes (a server's sessions).
        max_jobs: Slots of a new limiter (default: the sandbox's, else ``EARTHSIGHT_MAX_JOBS``).
        tool_lookup: Tool name -> record.
        cwd: Folder searched for ``earthsight.toml``.

    Raises:
        InputError: The workspace cannot be used, an unknown planner name, or an invalid
            LLM configuration or limit setting.
    """
    root = Path(workspace).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise InputError(f"workspace: {root} is a file; pass a folder")
    box = Sandbox.from_env(root) if sandbox is True else (sandbox or None)
    paths: Paths = box if isinstance(box, Sandbox) else OpenPaths()
    max_pixels = box.max_pixels if isinstance(box, Sandbox) else max_pixels_from_env()
    slots = limiter or JobLimiter(max_jobs or (box.max_jobs if isinstance(box, Sandbox)
                                               else max_jobs_from_env()))
    if isinstance(planner, str):
        planner_key(planner, llm)  # an unknown name or a bad configuration: refused now
    return Runtime(root, paths, planner, choose_describer(planner, describer, llm, cwd), slots,
                   max_pixels, llm, tool_lookup, explicit_describer=describer)

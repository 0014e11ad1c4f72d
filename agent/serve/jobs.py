"""What the MCP server and the HTTP API share: sandboxed tool runs, agent runs, workflow runs.

Every file argument goes through the workspace :class:`~agent.sandbox.Sandbox` before anything
runs; runs in one workspace are serialised (the manifest is rewritten by each call), and the
number of runs at once is bounded by a :class:`JobLimiter` (``Sandbox.max_jobs``).

Nothing here imports ``mcp`` or ``fastapi``: both front ends call these functions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.core.errors import EarthSightError, InputError

if TYPE_CHECKING:
    from agent.llm.config import LLMConfig
    from agent.plan import Planner
    from agent.progress import AgentProgress
    from agent.sandbox import Sandbox
    from agent.state import AgentResult
    from tools.core.registry import Describer, ToolRun

DEFAULT_MAX_JOBS = 2


class BusyError(EarthSightError):
    """Every job slot is taken (the HTTP API answers 429)."""


class JobLimiter:
    """At most ``max_jobs`` runs at once, process-wide for one server.

    Args:
        max_jobs: Number of slots (at least 1).
    """

    def __init__(self, max_jobs: int) -> None:
        self.max_jobs = max(1, int(max_jobs))
        self._slots = threading.BoundedSemaphore(self.max_jobs)
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def try_acquire(self) -> bool:
        """Take a slot if one is free, without waiting."""
        return self._take(blocking=False)

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait (up to ``timeout`` seconds, None: for ever) for a slot."""
        return self._take(blocking=True, timeout=timeout)

    def _take(self, blocking: bool, timeout: float | None = None) -> bool:
        got = self._slots.acquire(blocking, timeout) if blocking else self._slots.acquire(False)
        if got:
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
        return got

    def release(self) -> None:
        """Give a slot back."""
        with self._lock:
            self.running -= 1
        self._slots.release()

    @contextmanager
    def slot(self, wait: bool = False) -> Iterator[None]:
        """Hold a slot for the ``with`` block.

        Raises:
            BusyError: ``wait`` is False and every slot is taken.
        """
        if not (self.acquire() if wait else self.try_acquire()):
            raise BusyError(f"all {self.max_jobs} job slots are busy; retry shortly")
        try:
            yield
        finally:
            self.release()


_WORKSPACE_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@contextmanager
def workspace_lock(workspace: str | Path) -> Iterator[None]:
    """Serialise runs in one workspace folder (its manifest is rewritten by every call)."""
    key = str(Path(workspace).expanduser().resolve())
    with _LOCKS_GUARD:
        lock = _WORKSPACE_LOCKS.setdefault(key, threading.Lock())
    with lock:
        yield


def load_sandbox(workspace: str | Path) -> Sandbox:
    """The sandbox of ``workspace``, configured from the environment (``Sandbox.from_env``)."""
    from agent.sandbox import Sandbox

    return Sandbox.from_env(workspace)


def max_jobs(sandbox: Any) -> int:
    """The concurrent-job limit a sandbox sets (default 2)."""
    return int(getattr(sandbox, "max_jobs", DEFAULT_MAX_JOBS) or DEFAULT_MAX_JOBS)


def check_images(sandbox: Sandbox, images: Sequence[str]) -> list[str]:
    """Resolve request images through the sandbox (refusing what lies outside its roots)."""
    return [str(p) for p in sandbox.check_request(list(images))]


def run_tool_job(name: str, args: dict[str, Any], workspace: str | Path,
                 sandbox: Sandbox | None = None, describer: Describer | None = None) -> ToolRun:
    """Run one tool with sandboxed arguments in ``workspace`` (``describe_scene`` answers with
    ``describer`` when given).

    Raises:
        InputError: Unknown tool, bad arguments, or a file argument the sandbox refuses.
        ToolUnavailable: The tool cannot run in this installation.
    """
    from tools.catalog import get_tool, run_tool
    from tools.core.workspace import Workspace

    get_tool(name)
    box = sandbox if sandbox is not None else load_sandbox(workspace)
    checked = box.check_tool_args(name, dict(args))
    with workspace_lock(workspace):
        return run_tool(name, checked, Workspace(workspace), describer=describer)


def ask_job(request: str, images: Sequence[str], workspace: str | Path,
            planner: str | Planner = "offline",
            *, sandbox: Sandbox | None = None, dry_run: bool = False,
            progress: AgentProgress | None = None, describer: Describer | None = None,
            default_describer: Describer | None = None) -> AgentResult:
    """Plan and run a request over sandboxed images in ``workspace`` (the full agent).

    ``describe_scene`` answers with ``describer``, else the planner's chat model (an LLM
    planner), else ``default_describer`` (see :func:`agent.llm.describe.choose_describer`).

    ``planner`` is a planner name (see :func:`load_planner`) or a planner already loaded.

    Raises:
        InputError: An image the sandbox refuses, or an unknown planner.
    """
    from agent.graph import run_request
    from agent.llm.describe import choose_describer

    box = sandbox if sandbox is not None else load_sandbox(workspace)
    scenes = check_images(box, images)
    chosen = load_planner(planner) if isinstance(planner, str) else planner
    with workspace_lock(workspace):
        return run_request(request, scenes, workspace, chosen, dry_run=dry_run,
                           progress=progress, sandbox=box,
                           describer=choose_describer(chosen, describer, default_describer))


_PLANNERS: dict[tuple[Any, ...], Planner] = {}
_CHAT_MODELS: dict[tuple[Any, ...], Any] = {}
_PLANNER_LOCKS: dict[tuple[Any, ...], threading.Lock] = {}


def _config_key(config: LLMConfig) -> tuple[Any, ...]:
    secret = config.api_key()  # a new key means a new client; only its digest is kept
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest() if secret else None
    return (config, digest)


def _built_once(cache: dict[tuple[Any, ...], Any], key: tuple[Any, ...],
                build: Callable[[], Any]) -> Any:
    """``cache[key]``, built by ``build`` on first use (once, even across threads; a build
    that raises is not remembered)."""
    with _LOCKS_GUARD:
        lock = _PLANNER_LOCKS.setdefault(key, threading.Lock())
    with lock:  # one build per key; other keys (and cache hits) do not wait on it
        if key not in cache:
            cache[key] = build()
        return cache[key]


def shared_chat_model(config: LLMConfig) -> Any:
    """The chat model of ``config``, made once per process and configuration, then shared.

    The LLM planner :func:`load_planner` builds and the configured ``describe_scene`` describer
    (:class:`agent.llm.describe.ConfiguredDescriber`) both take their model from here, so one
    configuration loads one model per process (a local ``transformers`` model only once).
    Keyed like :func:`planner_key`: the configuration plus a digest of its API key.

    Raises:
        InputError: The model cannot be made (see :func:`agent.llm.config.make_chat_model`).
    """
    def build() -> Any:
        from agent.llm.config import make_chat_model

        return make_chat_model(config)

    return _built_once(_CHAT_MODELS, ("chat model", *_config_key(config)), build)


def planner_key(name: str) -> tuple[Any, ...]:
    """What makes two planners called ``name`` the same: the name and, for ``llm``, the
    effective :class:`~agent.llm.config.LLMConfig` plus a digest of its API key.

    Raises:
        InputError: An invalid LLM configuration.
    """
    key = name.strip().lower()
    if key != "llm":
        return (key,)
    from agent.llm.config import load_config

    return (key, *_config_key(load_config()))


def check_planner(name: str) -> None:
    """Refuse what :func:`load_planner` would refuse before building anything: an unknown
    planner name or an invalid LLM configuration (servers check an ask before taking a job
    slot, then build the planner inside the job, where a model load counts against
    ``max_jobs``).

    Raises:
        InputError: The same error :func:`load_planner` raises for it.
    """
    from agent.planners import PLANNER_NAMES

    try:
        if planner_key(name)[0] not in PLANNER_NAMES:
            raise ValueError(f"unknown planner {name!r}; planners are: "
                             f"{', '.join(PLANNER_NAMES)}")
    except (KeyError, ValueError, LookupError) as exc:
        raise InputError(f"planner: {exc.args[0] if exc.args else exc}") from exc


def load_planner(name: str) -> Planner:
    """The planner called ``name``, built once per process and configuration, then shared.

    Servers call this for every ``ask``: an ``llm`` planner (a local model can take seconds to
    load) is made on the first ask of its configuration and reused by later asks, in any
    thread; its chat model is :func:`shared_chat_model`'s. A failed build is not remembered;
    the next ask tries again.

    Raises:
        InputError: An unknown planner or an LLM planner that cannot be made (the message
            names the problem).
    """
    from agent.planners import get_planner

    def build() -> Planner:
        if key[0] != "llm":
            return get_planner(name)
        from agent.planners.llm import LLMPlanner

        config: LLMConfig = key[1]
        return LLMPlanner.from_config(config, chat_model=shared_chat_model(config))

    try:
        key = planner_key(name)
        planner: Planner = _built_once(_PLANNERS, key, build)
        return planner
    except (KeyError, ValueError, LookupError) as exc:
        raise InputError(f"planner: {exc.args[0] if exc.args else exc}") from exc


def clear_planners() -> None:
    """Forget every planner :func:`load_planner` and chat model :func:`shared_chat_model`
    built (tests; a changed model on disk)."""
    with _LOCKS_GUARD:
        _PLANNERS.clear()
        _CHAT_MODELS.clear()
        _PLANNER_LOCKS.clear()


INLINE_WORKFLOW = "inline-workflow"


def workflow_job(workflow: str | None, inputs: dict[str, Any], workspace: str | Path, *,
                 sandbox: Sandbox | None = None, dry_run: bool = False,
                 describer: Describer | None = None, text: str | None = None) -> Any:
    """Run a YAML workflow in ``workspace``: the file ``workflow`` (sandboxed), or ``text``
    (the YAML itself, parsed in memory: nothing is written). Every file input is sandboxed;
    ``describe_scene`` steps answer with ``describer`` when given.

    Returns:
        The :class:`~agent.workflows.workflow.WorkflowResult`.

    Raises:
        InputError: A refused path, or an invalid workflow or input (nothing ran).
    """
    from agent.workflows.workflow import Workflow, parse_workflow, run_workflow

    box = sandbox if sandbox is not None else load_sandbox(workspace)
    flow: Workflow | str
    if text is not None:
        flow = parse_workflow(text, INLINE_WORKFLOW, require_available=not dry_run)
    elif workflow is None:
        raise InputError("workflow: give a workflow file or its YAML text")
    else:
        flow = box.resolve(workflow, "workflow")
        if not Path(flow).is_file():
            raise InputError(f"workflow: file not found: {workflow}")
    with workspace_lock(workspace):
        return run_workflow(flow, inputs, workspace=workspace, dry_run=dry_run, sandbox=box,
                            describer=describer)


def to_jsonable(value: Any) -> Any:
    """A pydantic model, dataclass, path or container as plain JSON data."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return json.loads(json.dumps(value, default=str))


def tool_payload(run: ToolRun) -> dict[str, Any]:
    """A finished tool run as JSON data: the result record plus its file."""
    return {"result_path": str(run.result_path), **run.result.model_dump(mode="json")}


def ask_payload(result: AgentResult) -> dict[str, Any]:
    """The parts of an agent result a caller needs: answer, numbers, artifacts, errors."""
    return {
        "ok": result.ok, "answer": result.answer,
        "numbers": [n.model_dump(mode="json") for n in result.numbers],
        "artifacts": [a.model_dump(mode="json") for a in result.artifacts],
        "errors": list(result.errors), "workspace": result.workspace,
        "plan": result.plan.to_design_json(),
    }


def error_text(exc: BaseException) -> str:
    """The message of an error as a user should see it."""
    if isinstance(exc, EarthSightError | PermissionError):
        return str(exc)
    if isinstance(exc, NotImplementedError):
        return f"not implemented in this installation ({exc})"
    return f"unexpected {type(exc).__name__}: {exc}"

"""The ``earthsight`` command line: list tools, run one tool, ask the agent, evaluate a planner.

    earthsight tools [--json]
    earthsight run-tool NAME --args JSON [--workspace DIR] [--json]
    earthsight ask "request" [--image A ...] [--workspace DIR] [--dry-run] [--json] [--planner P]
                  [--save-workflow FLOW.yaml] [--sandbox]
    earthsight run FLOW.yaml [--set NAME=VALUE ...] [--batch GLOB] [--dry-run] [--json]
    earthsight eval FILE.jsonl [--planner NAME] [--out report.json]
    earthsight chat [--session ID] [--workspace DIR] [--image FILE ...] [--yes]
    earthsight mcp [--workspace DIR] [--http --port N [--host 127.0.0.1]]
    earthsight serve [--host 127.0.0.1] [--port N] [--root DIR]

Errors a user can fix (bad arguments, missing files, unavailable tools) print one message on
stderr and exit with status 2, without a traceback (``EARTHSIGHT_DEBUG=1`` shows it). ``ask``
exits 1 when the plan was declined or a step failed; the answer says which and why.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.plan import Planner
    from agent.state import AgentResult
    from tools.core.artifacts import Artifact, ToolResult

DEFAULT_WORKSPACE = "workspace"
DEFAULT_PLANNER = "offline"


class UsageError(Exception):
    """A problem with how the command was called (printed, exit status 2)."""


def _console(stderr: bool = False) -> Any:
    """A rich console; 120 columns when writing to a file or pipe (rich's default is 80)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else 120
    return Console(stderr=stderr, highlight=False, width=width)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _shown_path(path: str | None) -> str:
    if not path:
        return ""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


# --- run-tool ----------------------------------------------------------------------------------

def _parse_args_json(text: str) -> dict[str, Any]:
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--args: cannot read {text[1:]}: {exc.strerror}") from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--args is not valid JSON ({exc.msg} at character {exc.pos}); "
                         "example: --args '{\"image\": \"scene.tif\"}'") from exc
    if not isinstance(value, dict):
        raise UsageError("--args must be a JSON object of argument names to values")
    return value


def _workspace(path: str) -> Any:
    from tools.core.workspace import Workspace

    try:
        return Workspace(path)
    except OSError as exc:
        raise UsageError(f"--workspace: cannot use {path}: {exc}") from exc


def _artifact_table(artifacts: Sequence[Artifact], title: str = "Artifacts") -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for column in ("step", "tool", "name", "kind", "units", "path"):
        table.add_column(column, overflow="fold")
    for a in artifacts:
        table.add_row(a.call.step or "", a.call.tool, escape(a.name), a.kind, escape(a.units or ""),
                      escape(_shown_path(a.path)))
    return table


def _print_result(result: ToolResult, result_path: Path) -> None:
    from rich.markup import escape
    from rich.table import Table

    from agent.answer import format_quantity, visible_numbers

    console = _console()
    console.print(escape(result.summary), soft_wrap=True)
    numbers = visible_numbers(result.numbers())
    if numbers:
        table = Table(title="Numbers")
        table.add_column("name")
        table.add_column("value", justify="right")
        for name, q in numbers.items():
            table.add_row(escape(name), escape(format_quantity(q)))
        console.print(table)
    files = [a for a in result.artifacts if a.kind != "number"]
    if files:
        console.print(_artifact_table(files))
    for warning in result.warnings:
        console.print(f"[yellow]note:[/yellow] {escape(warning)}")
    console.print(f"Result record: {escape(_shown_path(str(result_path)))}")


def cmd_run_tool(ns: argparse.Namespace) -> int:
    """Run one tool directly with JSON arguments."""
    from agent.llm.describe import describer_for_tools
    from agent.progress import ProgressEvent, RichProgress
    from agent.sandbox import file_checks
    from tools.catalog import get_tool, run_tool

    args = _parse_args_json(ns.args)
    get_tool(ns.name)  # unknown names fail before a workspace is made
    args = file_checks(None).check_tool_args(ns.name, args)  # EARTHSIGHT_MAX_PIXELS
    describer = describer_for_tools([ns.name])  # describe_scene: the configured LLM, if any
    workspace = _workspace(ns.workspace)
    if ns.json:
        run = run_tool(ns.name, args, workspace, describer=describer)
        _print_json({"result_path": str(run.result_path),
                     "result": run.result.model_dump(mode="json")})
        return 0
    with RichProgress() as bars:
        bars(ProgressEvent(kind="step_start", step="run", tool=ns.name, index=1, count=1))

        def on_progress(stage: str, done: int, total: int) -> None:
            bars(ProgressEvent(kind="step_progress", step="run", tool=ns.name, index=1, count=1,
                               stage=stage, done=done, total=total))

        run = run_tool(ns.name, args, workspace, progress=on_progress, describer=describer)
    _print_result(run.result, run.result_path)
    return 0


# --- ask ---------------------------------------------------------------------------------------

def load_planner(name: str, ns: argparse.Namespace | None = None) -> Planner:
    """The planner called ``name`` (from :func:`agent.planners.get_planner`); ``ns`` carries
    the LLM options (``--backend`` ...) and ``--workspace``."""
    try:
        from agent.cli.llm_options import llm_options
        from agent.planners import get_planner
    except ImportError as exc:
        raise UsageError(f"no planners are installed ({exc})") from exc
    options = llm_options(ns) if ns is not None and name.strip().lower() == "llm" else {}
    if ns is not None and options and getattr(ns, "workspace", None):
        options["workspace"] = ns.workspace
    try:
        planner: Planner = get_planner(name, **options)
    except (KeyError, ValueError, LookupError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        raise UsageError(f"--planner: {message}") from exc
    return planner


def _print_answer(result: AgentResult) -> None:
    from rich.markup import escape

    console = _console()
    console.print(escape(result.answer), soft_wrap=True)
    files = [a for a in result.artifacts if a.kind != "number"]
    if files:
        console.print(_artifact_table(files, title=f"Artifacts in {_shown_path(result.workspace)}"))


def cmd_ask(ns: argparse.Namespace) -> int:
    """Plan a request (and run it unless --dry-run)."""
    from agent.graph import run_request
    from agent.llm.describe import describer_for
    from agent.progress import RichProgress

    planner = load_planner(ns.planner, ns)
    describer = describer_for(planner)  # --planner llm: describe_scene uses the same model
    images: list[str] = ns.image or []
    sandbox = None
    if ns.sandbox and not ns.dry_run:
        from agent.sandbox import Sandbox

        sandbox = Sandbox.from_env(ns.workspace)
        images = sandbox.check_request(images)
    if not ns.dry_run:
        missing = [p for p in images if not Path(p).is_file()]
        if missing:
            raise UsageError(f"--image: file not found: {', '.join(missing)}")
        _workspace(ns.workspace)
    if ns.dry_run:
        result = run_request(ns.request, images, ns.workspace, planner, dry_run=True)
        _print_json(result.plan.to_design_json())
        _save_workflow(ns, result, images)
        return 0 if result.plan.declined is None else 1
    if ns.json:
        result = run_request(ns.request, images, ns.workspace, planner, sandbox=sandbox,
                             describer=describer)
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        with RichProgress() as bars:
            result = run_request(ns.request, images, ns.workspace, planner, progress=bars,
                                 sandbox=sandbox, describer=describer)
        _print_answer(result)
    _save_workflow(ns, result, images)
    return 0 if result.ok else 1


def _save_workflow(ns: argparse.Namespace, result: AgentResult, images: Sequence[str]) -> None:
    """``--save-workflow``: write the plan as a workflow (scenes become inputs)."""
    if not ns.save_workflow:
        return
    if not result.plan.steps:
        raise UsageError(f"--save-workflow: nothing was planned ({result.plan.declined}); "
                         "no workflow written")
    from agent.workflows.save import save_workflow

    path = save_workflow(result.plan, images, ns.save_workflow)
    _console(stderr=True).print(f"workflow written to {path}")


# --- eval --------------------------------------------------------------------------------------

def _report_json(report: Any) -> str:
    if hasattr(report, "model_dump_json"):
        return str(report.model_dump_json(indent=2))
    import dataclasses

    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return json.dumps(dataclasses.asdict(report), indent=2, default=str)
    return json.dumps(report, indent=2, default=str)


def cmd_eval(ns: argparse.Namespace) -> int:
    """Score a planner on a JSONL query file."""
    if not Path(ns.file).is_file():
        raise UsageError(f"query file not found: {ns.file}")
    from agent.evaluate import evaluate_file, render_report

    report = evaluate_file(ns.file, load_planner(ns.planner, ns))
    rendered = render_report(report)
    if isinstance(rendered, str):
        sys.stdout.write(rendered.rstrip("\n") + "\n")
    else:  # a rich renderable (tables)
        _console().print(rendered)
    if ns.out:
        Path(ns.out).write_text(_report_json(report) + "\n", encoding="utf-8")
        _console(stderr=True).print(f"report written to {ns.out}")
    return 0


# --- main --------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``earthsight``."""
    parser = argparse.ArgumentParser(
        prog="earthsight", description="A remote-sensing analyst's agent: ask about scenes in "
        "plain language; get numbers with units, masks and vectors.")
    parser.add_argument("--version", action="version", version="earthsight 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from agent.cli.catalog import add_catalog_parsers

    add_catalog_parsers(sub)

    p = sub.add_parser("run-tool", help="run one tool directly")
    p.add_argument("name", help="tool name (see `earthsight tools`)")
    p.add_argument("--args", default="{}", help="arguments as a JSON object, or @file.json")
    p.add_argument("--workspace", default=DEFAULT_WORKSPACE, help="output folder (./workspace)")
    p.add_argument("--json", action="store_true", help="print the result record as JSON")
    p.set_defaults(func=cmd_run_tool)

    p = sub.add_parser("ask", help="ask the agent a question about scenes")
    p.add_argument("request", help="the question, in plain language")
    p.add_argument("--image", action="extend", nargs="+", metavar="FILE",
                   help="scene file(s) the question is about (repeatable; before/after order)")
    p.add_argument("--workspace", default=DEFAULT_WORKSPACE, help="output folder (./workspace)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the plan (DESIGN.md JSON) without running anything")
    p.add_argument("--json", action="store_true", help="print a machine-readable result")
    p.add_argument("--planner", default=DEFAULT_PLANNER, help="planner name (offline, llm)")
    from agent.cli.llm_options import add_llm_options

    add_llm_options(p)
    p.add_argument("--save-workflow", metavar="FLOW.yaml",
                   help="also save the plan as a workflow; rerun with `earthsight run`")
    p.add_argument("--sandbox", action="store_true",
                   help="only read files inside the workspace and data roots")
    p.set_defaults(func=cmd_ask)

    from agent.cli.workflow import add_run_parser

    add_run_parser(sub, DEFAULT_WORKSPACE)

    p = sub.add_parser("eval", help="score a planner on a JSONL file of queries")
    p.add_argument("file", help="queries, one JSON object a line")
    p.add_argument("--planner", default=DEFAULT_PLANNER, help="planner name (offline, llm)")
    p.add_argument("--out", help="also write the report as JSON here")
    add_llm_options(p)
    p.set_defaults(func=cmd_eval)

    from agent.cli.serve import add_serve_parsers

    add_serve_parsers(sub, DEFAULT_WORKSPACE, DEFAULT_PLANNER)
    from agent.cli.index import add_index_parser

    add_index_parser(sub)
    from agent.cli.train import add_train_parsers

    add_train_parsers(sub)
    from agent.cli.chat import add_chat_parser

    add_chat_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from tools.core.errors import EarthSightError

    ns = build_parser().parse_args(argv)
    try:
        status: int = ns.func(ns)
    except KeyboardInterrupt:
        sys.stderr.write("earthsight: interrupted\n")
        return 130
    except (UsageError, EarthSightError) as exc:
        if os.environ.get("EARTHSIGHT_DEBUG"):
            raise
        sys.stderr.write(f"earthsight: error: {exc}\n")
        return 2
    except Exception as exc:  # no tracebacks for users; EARTHSIGHT_DEBUG=1 shows them
        if os.environ.get("EARTHSIGHT_DEBUG"):
            raise
        what = "not implemented in this installation" if isinstance(
            exc, NotImplementedError) else f"unexpected {type(exc).__name__}"
        sys.stderr.write(f"earthsight: error: {what}: {exc}\n")
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())

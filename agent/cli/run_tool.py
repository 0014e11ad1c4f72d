"""``earthsight run-tool``: run one tool directly with JSON arguments.

    earthsight run-tool NAME --args JSON [--gsd M] [--region BBOX|FILE] [--workspace DIR] [--json]
    earthsight run-tool NAME --help        # that tool's arguments, from its record
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from typing import Any

from agent.cli.output import (
    DEFAULT_WORKSPACE,
    parse_args_json,
    positive_float,
    print_json,
    print_result,
)
from agent.errors import UsageError
from agent.progress import ProgressEvent, RichProgress
from agent.request_options import parse_region
from agent.runtime import make_runtime, step_progress
from tools.catalog import ALL_TOOLS, get_tool
from tools.core.registry import ToolRecord


def cmd_run_tool(ns: argparse.Namespace) -> int:
    """Run one tool directly with JSON arguments (``--help`` with a name: that tool's help)."""
    if ns.help or ns.name is None:
        if ns.name is None:
            sys.stdout.write(ns.parser.format_help())
            return 0 if ns.help else 2
        sys.stdout.write(tool_help(get_tool(ns.name)))
        return 0
    args = parse_args_json(ns.args)
    for name, value in (("gsd", ns.gsd),
                        ("region", None if ns.region is None else parse_region(ns.region))):
        if value is not None:
            if name in args:
                raise UsageError(f"--{name}: also given in --args; give it once")
            args[name] = value
    record = get_tool(ns.name)
    runtime = make_runtime(ns.workspace)
    if ns.json:
        run = runtime.run_tool(record.name, args)
        print_json({"result_path": str(run.result_path),
                    "result": run.result.model_dump(mode="json")})
        return 0
    with RichProgress() as bars:
        bars(ProgressEvent(kind="step_start", step="run", tool=record.name, index=1, count=1))
        start = time.perf_counter()
        run = runtime.run_tool(record.name, args, progress=step_progress(bars, record.name))
        bars(ProgressEvent(kind="step_finish", step="run", tool=record.name, index=1, count=1,
                           status="ok", seconds=time.perf_counter() - start,
                           cluster=run.result.cluster))  # where its tiles ran, if a cluster
    print_result(run.result, run.result_path)
    return 0


def _argument_lines(record: ToolRecord[Any, Any]) -> str:
    """The record's arguments as help text: name, type, default, description."""
    schema = record.input_schema()
    required = set(schema.get("required", []))
    lines = []
    for name, spec in schema.get("properties", {}).items():
        kind = spec.get("type") or " | ".join(
            str(o.get("type", o.get("$ref", "?")).split("/")[-1])
            for o in spec.get("anyOf", []) if o.get("type") != "null") or "any"
        if "enum" in spec:
            kind = " | ".join(map(str, spec["enum"]))
        default = "*" if name in required else f"default {spec.get('default')!r}"
        text = textwrap.fill(" ".join(str(spec.get("description", "")).split()), 94,
                             initial_indent="      ", subsequent_indent="      ")
        lines.append(f"  {name} ({kind}; {default})" + (f"\n{text}" if text.strip() else ""))
    return "\n".join(lines)


def tool_help(record: ToolRecord[Any, Any]) -> str:
    """``run-tool NAME --help``: what the tool does and its arguments, from its record."""
    return (f"usage: earthsight run-tool {record.name} --args JSON [--workspace DIR] [--json]\n\n"
            f"{textwrap.fill(' '.join(record.description.split()), 100)}\n\n"
            f"arguments (--args JSON; * = required):\n{_argument_lines(record)}\n")


def add_run_tool_parser(sub: Any) -> None:
    """Add ``run-tool``; ``run-tool NAME --help`` shows that tool's arguments (from its record,
    the single source of every schema and help text)."""
    p = sub.add_parser("run-tool", help="run one tool directly (run-tool NAME --help)",
                       add_help=False, epilog="tools: " + ", ".join(t.name for t in ALL_TOOLS))
    p.add_argument("name", nargs="?", help="tool name (see `earthsight tools`)")
    p.add_argument("--args", default="{}", help="arguments as a JSON object, or @file.json")
    p.add_argument("--gsd", type=positive_float, metavar="M",
                   help="metres per pixel of images without georeference (adds gsd to --args)")
    p.add_argument("--region", metavar="BBOX|FILE",
                   help="area of interest: minx,miny,maxx,maxy or a vector file (adds region)")
    p.add_argument("--workspace", default=DEFAULT_WORKSPACE, help="output folder (./workspace)")
    p.add_argument("--json", action="store_true", help="print the result record as JSON")
    p.add_argument("-h", "--help", action="store_true",
                   help="show this help, or with a tool name that tool's arguments")
    p.set_defaults(func=cmd_run_tool, parser=p)

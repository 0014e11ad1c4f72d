"""What every subcommand prints: rich consoles, JSON, result records, answers, artifacts."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.answer import format_quantity, visible_numbers
from agent.errors import UsageError
from agent.state import AgentResult
from tools.core.artifacts import Artifact, ToolResult

DEFAULT_WORKSPACE = "workspace"
DEFAULT_PLANNER = "offline"


def console(stderr: bool = False) -> Console:
    """A rich console; 120 columns when writing to a file or pipe (rich's default is 80)."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else 120
    return Console(stderr=stderr, highlight=False, width=width)


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def shown_path(path: str | None) -> str:
    """``path`` relative to the current folder when it lies inside it."""
    if not path:
        return ""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def parse_args_json(text: str, flag: str = "--args") -> dict[str, Any]:
    """A JSON object of tool arguments, given inline or as ``@file.json``.

    Raises:
        UsageError: Unreadable file, invalid JSON, or not an object.
    """
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{flag}: cannot read {text[1:]}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise UsageError(f"{flag}: {text[1:]} is not a UTF-8 JSON file") from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{flag} is not valid JSON ({exc.msg} at character {exc.pos}); "
                         "example: --args '{\"image\": \"scene.tif\"}'") from exc
    except RecursionError as exc:
        raise UsageError(f"{flag}: the JSON is nested too deeply") from exc
    if not isinstance(value, dict):
        raise UsageError(f"{flag} must be a JSON object of argument names to values")
    return value


def artifact_files(a: Artifact) -> str:
    """An artifact's file, then its quick-look PNG and QGIS style when it has them."""
    lines = [shown_path(a.path)]
    lines += [f"{what}: {shown_path(p)}" for what, p in (("quick-look", a.quicklook),
                                                          ("QGIS style", a.style)) if p]
    return "\n".join(lines)


def artifact_table(artifacts: Sequence[Artifact], title: str = "Artifacts") -> Table:
    """The files of a run as a table (step, tool, name, kind, units, path; a raster's
    quick-look and QGIS style under its path)."""
    table = Table(title=title)
    for column in ("step", "tool", "name", "kind", "units", "path"):
        table.add_column(column, overflow="fold")
    for a in artifacts:
        table.add_row(a.call.step or "", a.call.tool, escape(a.name), a.kind,
                      escape(a.units or ""), escape(artifact_files(a)))
    return table


def print_result(result: ToolResult, result_path: Path) -> None:
    """One tool's result: summary, numbers with units, files, warnings, the record's path."""
    out = console()
    out.print(escape(result.summary), soft_wrap=True)
    numbers = visible_numbers(result.numbers())
    if numbers:
        table = Table(title="Numbers")
        table.add_column("name")
        table.add_column("value", justify="right")
        for name, q in numbers.items():
            table.add_row(escape(name), escape(format_quantity(q)))
        out.print(table)
    files = [a for a in result.artifacts if a.kind != "number"]
    if files:
        out.print(artifact_table(files))
    for warning in result.warnings:
        out.print(f"[yellow]note:[/yellow] {escape(warning)}")
    out.print(f"Result record: {escape(shown_path(str(result_path)))}")


def print_answer(result: AgentResult) -> None:
    """An agent answer and the table of its files."""
    out = console()
    out.print(escape(result.answer), soft_wrap=True)
    files = [a for a in result.artifacts if a.kind != "number"]
    if files:
        out.print(artifact_table(files, title=f"Artifacts in {shown_path(result.workspace)}"))


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value

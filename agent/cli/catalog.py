"""``earthsight tools`` and ``earthsight models``: what this installation can do."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any

from agent.cli.output import console, print_json
from agent.errors import UsageError
from specialists.runtime.model_files import ModelFileRefused
from specialists.runtime.model_import import import_weights
from specialists.runtime.models import MODELS, weights_present
from tools.catalog import AVAILABLE, NEEDS_WEIGHTS, NOT_INSTALLED, tool_schemas


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    end = re.search(r"(?<!e\.g)(?<!i\.e)(?<!etc)\.\s", flat)
    return flat if end is None else flat[: end.start() + 1]


def _arg_names(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    return ", ".join(f"{n}*" if n in required else n for n in schema.get("properties", {}))


_SHOWN = {AVAILABLE: "yes", NEEDS_WEIGHTS: "needs weights", NOT_INSTALLED: "not installed"}
_STYLE = {AVAILABLE: "green", NEEDS_WEIGHTS: "yellow", NOT_INSTALLED: "red"}


def tools_markdown(schemas: Sequence[dict[str, Any]]) -> str:
    """The tool table as Markdown (what README.md shows)."""
    lines = ["| tool | available | does | arguments (* = required) |", "|---|---|---|---|"]
    for s in schemas:
        available = _SHOWN.get(s["status"], s["status"])
        does = _first_sentence(s["description"]).replace("|", "\\|")
        args = ", ".join(f"`{a}`" for a in _arg_names(s["input_schema"]).split(", ") if a)
        lines.append(f"| `{s['name']}` | {available} | {does} | {args} |")
    return "\n".join(lines) + "\n"


def cmd_tools(ns: argparse.Namespace) -> int:
    """List every tool: name, state (available, needs weights, not installed), description,
    arguments (``*`` = required)."""
    from rich.markup import escape
    from rich.table import Table

    schemas = tool_schemas()
    if ns.json:
        print_json(schemas)
        return 0
    if ns.markdown:
        sys.stdout.write(tools_markdown(schemas))
        return 0
    table = Table(title="EarthSight tools (* = required argument)")
    table.add_column("tool", no_wrap=True)
    table.add_column("available", no_wrap=True)
    table.add_column("does", ratio=3, overflow="fold")
    table.add_column("arguments", ratio=2, overflow="fold")
    missing: dict[str, list[str]] = {}
    weights: dict[str, list[str]] = {}
    for s in schemas:
        if s["status"] == NOT_INSTALLED:
            missing.setdefault(str(s["requires"]), []).append(s["name"])
        elif s["status"] == NEEDS_WEIGHTS:
            weights.setdefault(" or ".join(s["weights_missing"]), []).append(s["name"])
        style = _STYLE.get(s["status"], "red")
        table.add_row(s["name"], f"[{style}]{_SHOWN.get(s['status'], s['status'])}[/{style}]",
                      escape(_first_sentence(s["description"])),
                      escape(_arg_names(s["input_schema"])))
    out = console()
    out.print(table)
    for why, names in missing.items():
        out.print(f"Not available here: {', '.join(names)}: {escape(why)}")
    for files, names in weights.items():
        out.print(f"Needs weights: {', '.join(names)}: {escape(files)} not found; put the file "
                  "in $EARTHSIGHT_WEIGHTS_DIR, pass model=PATH, or see `earthsight models`")
    return 0


def cmd_models(ns: argparse.Namespace) -> int:
    """List the specialist models: task, classes, GSD, licence, whether weights are here."""

    rows: list[dict[str, Any]] = [
        {"name": r.name, "task": r.task, "library": r.library, "weights": r.weights,
             "present": weights_present(r), "classes": list(r.classes), "gsd_m": r.gsd_m,
             "licence": r.licence, "source": r.source} for r in MODELS.values()]
    if ns.json:
        print_json(rows)
        return 0
    from rich.table import Table

    table = Table(title="Models (weights: EARTHSIGHT_WEIGHTS_DIR, library cache, or a path)")
    for col in ("name", "task", "classes", "GSD (m)", "licence", "weights"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["name"]), str(r["task"]), ", ".join(r["classes"]) or "any",
                      "-" if r["gsd_m"] is None else f"{r['gsd_m']:g}", str(r["licence"]),
                      f"{r['weights']} ({'present' if r['present'] else 'missing'})")
    console().print(table)
    return 0


def cmd_models_import(ns: argparse.Namespace) -> int:
    """Convert a checkpoint the user trusts into a safely loadable file (command line only)."""
    from rich.markup import escape

    try:
        done = import_weights(ns.file, name=ns.name, dest_dir=ns.out)
    except (ModelFileRefused, FileNotFoundError, KeyError) as exc:
        raise UsageError(str(exc.args[0] if isinstance(exc, KeyError) else exc)) from exc
    except ImportError as exc:
        raise UsageError(f"models import needs the `deep` extra ({exc.name} is missing): "
                         "pip install 'earthsight[deep]'") from exc
    console().print(f"imported {escape(str(ns.file))} as {escape(str(done.path))} "
                     f"({done.kind}; SHA-256 {done.sha256}, now trusted)")
    return 0


def add_catalog_parsers(sub: Any) -> None:
    """Add the ``tools`` and ``models`` subcommands."""
    p = sub.add_parser("tools", help="list the tools and their arguments")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the JSON schemas")
    fmt.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.set_defaults(func=cmd_tools)

    p = sub.add_parser("models", help="list the specialist models and whether weights are here")
    p.add_argument("--json", action="store_true", help="print the records as JSON")
    p.set_defaults(func=cmd_models)
    actions = p.add_subparsers(dest="action", metavar="{import}")
    imp = actions.add_parser(
        "import", help="convert a checkpoint you trust into a file that loads safely",
        description="Load FILE in full ONCE (its pickle may run code: import only files you "
        "trust), keep only what loads without running code (an ultralytics model of its own "
        "classes, or tensors and plain values), write it into the EarthSight weights folder "
        "($EARTHSIGHT_WEIGHTS_DIR, default ~/.local/share/earthsight/weights) without "
        "replacing any file, and trust its SHA-256. Tools, workflows and servers never import.")
    imp.add_argument("file", help="the checkpoint (.pt / .pth)")
    imp.add_argument("--name", help="model record it is for (written under that model's "
                     "weights file name, e.g. yolo11n-obb -> yolo11n-obb.pt)")
    imp.add_argument("--out", help="folder to write to (default: the EarthSight weights folder)")
    imp.set_defaults(func=cmd_models_import)

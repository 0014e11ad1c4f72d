"""``earthsight tools`` and ``earthsight models``: what this installation can do.

``earthsight models pull NAME|--all`` downloads published weights into the cache the lookup
reads (:mod:`specialists.runtime.download`); without a network it says so in one line on stderr
and exits with status 1.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any

from agent.cli.output import console, print_json
from agent.errors import UsageError
from specialists.runtime.download import (
    NoNetwork,
    NoRelease,
    Pulled,
    PullError,
    find_record,
    published,
    pull,
)
from specialists.runtime.model_files import ModelFileRefused
from specialists.runtime.model_import import import_weights
from specialists.runtime.models import MODELS, ModelRecord, weights_present
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


_MODEL_OF = {r.weights: r.name for r in MODELS.values()}


def needs_weights_text(schema: dict[str, Any]) -> str:
    """``needs weights: NAME`` (the models whose weights a tool lacks, ``or``-joined)."""
    names = [_MODEL_OF.get(w, w) for w in schema.get("weights_missing", [])]
    return f"{NEEDS_WEIGHTS}: {' or '.join(names)}" if names else NEEDS_WEIGHTS


def _state(schema: dict[str, Any]) -> str:
    if schema["status"] == NEEDS_WEIGHTS:
        return needs_weights_text(schema)
    return str(_SHOWN.get(schema["status"], schema["status"]))


def _fix_hint(schema: dict[str, Any]) -> str:
    records = [MODELS[_MODEL_OF[w]] for w in schema["weights_missing"] if w in _MODEL_OF]
    pulls = [f"`earthsight models pull {r.name}`" for r in records if published(r)]
    trains = [f"`{r.source}`" for r in records if not published(r)]
    return " or ".join(pulls + trains) or "see `earthsight models`"


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
    for s in schemas:
        s["models_missing"] = [_MODEL_OF.get(w, w) for w in s["weights_missing"]]
        if s["status"] == NEEDS_WEIGHTS:
            s["shown"] = needs_weights_text(s)
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
    weights: dict[tuple[str, str], list[str]] = {}
    for s in schemas:
        if s["status"] == NOT_INSTALLED:
            missing.setdefault(str(s["requires"]), []).append(s["name"])
        elif s["status"] == NEEDS_WEIGHTS:
            weights.setdefault((" or ".join(s["weights_missing"]), _fix_hint(s)),
                               []).append(s["name"])
        style = _STYLE.get(s["status"], "red")
        table.add_row(s["name"], f"[{style}]{escape(_state(s))}[/{style}]",
                      escape(_first_sentence(s["description"])),
                      escape(_arg_names(s["input_schema"])))
    out = console()
    out.print(table)
    for why, names in missing.items():
        out.print(f"Not available here: {', '.join(names)}: {escape(why)}")
    for (files, fix), names in weights.items():
        out.print(f"Needs weights: {', '.join(names)}: {escape(files)} not found; get them with "
                  f"{escape(fix)}, put the file in $EARTHSIGHT_WEIGHTS_DIR, or pass model=PATH")
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
    out = console()
    out.print(table)
    if not all(r["present"] for r in rows):
        out.print("Missing weights: `earthsight models pull NAME` (or `--all`) downloads the "
                  "published ones on a connected machine; `earthsight train ...` makes the others")
    return 0


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _pull_with_bar(record: ModelRecord) -> Pulled | PullError:
    """Pull one model under a rich download bar on stderr (gone when done); the refusal is
    returned, to be shown once the bar is gone."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    shown = console(stderr=True)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=shown, transient=True,
                  disable=not shown.is_terminal) as bar:  # no bar (nor blank line) in a log
        task = bar.add_task(record.name, total=record.size)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        try:
            return pull(record, progress=progress)
        except PullError as exc:
            return exc


def cmd_models_pull(ns: argparse.Namespace) -> int:
    """Download published weights into the cache the lookup reads; exit status 1 when offline
    or a file is refused (one line on stderr each, no traceback)."""
    from rich.markup import escape

    if ns.all == bool(ns.names):
        raise UsageError("models pull: name the models to download (see `earthsight models`) "
                         "or give --all, not both")
    try:
        records = ([r for r in MODELS.values() if published(r)] if ns.all
                   else [find_record(n) for n in ns.names])
    except KeyError as exc:
        raise UsageError(f"models pull: {exc.args[0]}") from exc
    out, status = console(), 0
    for record in records:
        done = _pull_with_bar(record)
        if isinstance(done, NoRelease):
            raise UsageError(f"models pull: {done}")
        if isinstance(done, PullError):
            sys.stderr.write(f"earthsight models pull: {done}\n")
            if isinstance(done, NoNetwork):
                return 1  # the others cannot be reached either
            status = 1
        elif done.downloaded:
            out.print(f"pulled {record.name}: {escape(str(done.path))} ({_mb(done.size)}"
                      f"{', SHA-256 verified' if record.sha256 else ''})")
        else:
            out.print(f"{record.name}: already here ({escape(str(done.path))})")
    return status


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
    actions = p.add_subparsers(dest="action", metavar="{pull,import}")
    pl = actions.add_parser(
        "pull", help="download published weights (a connected machine)",
        description="Download the published weights of NAME (or of every model with a release: "
        "--all) from its release into the cache EarthSight looks in (ultralytics' weights_dir, "
        "torch hub's checkpoints), check their size and SHA-256, and only then put them under "
        "their name. Weights already here are skipped. Offline (no network, or "
        "YOLO_OFFLINE/HF_HUB_OFFLINE set) it says so and exits with status 1. "
        "$EARTHSIGHT_MODELS_MIRROR (a base URL) fetches from a mirror instead.")
    pl.add_argument("names", nargs="*", metavar="NAME", help="model names (`earthsight models`)")
    pl.add_argument("--all", action="store_true", help="every model with a release not here yet")
    pl.set_defaults(func=cmd_models_pull)
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

"""``earthsight ask`` and ``earthsight eval``: the agent on one request, a planner on a file.

    earthsight ask "request" [--image A ...] [--gsd M] [--region BBOX|FILE] [--workspace DIR]
                  [--dry-run] [--json]
                  [--planner P] [--save-workflow FLOW.yaml] [--sandbox]
    earthsight eval FILE.jsonl [--planner NAME] [--limit N] [--out report.json]
    earthsight eval [--corpus DIR]    (dev vs frozen held-out, side by side)

``ask`` exits 1 when the plan was declined or a step failed; the answer says which and why.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent import corpus
from agent.cli.llm_options import add_llm_options, llm_options
from agent.cli.output import (
    DEFAULT_PLANNER,
    DEFAULT_WORKSPACE,
    console,
    positive_float,
    positive_int,
    print_answer,
    print_json,
)
from agent.errors import UsageError
from agent.evaluate import evaluate_queries, load_queries, render_report
from agent.progress import RichProgress
from agent.request_options import parse_region
from agent.runtime import make_runtime
from agent.state import AgentResult
from agent.workflows.save import save_workflow


def cmd_ask(ns: argparse.Namespace) -> int:
    """Plan a request (and run it unless --dry-run)."""
    runtime = make_runtime(ns.workspace, planner=ns.planner, llm=llm_options(ns),
                           sandbox=ns.sandbox and not ns.dry_run)
    images: list[str] = ns.image or []
    options: dict[str, Any] = {"gsd": ns.gsd,
                               "region": None if ns.region is None else parse_region(ns.region)}
    if ns.dry_run:
        result = runtime.ask(ns.request, images, dry_run=True, **options)
        print_json(result.plan.to_design_json())
        _save_workflow(ns, result, images)
        return 0 if result.plan.declined is None else 1
    if ns.json:
        result = runtime.ask(ns.request, images, argument="--image", **options)
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        with RichProgress() as bars:
            result = runtime.ask(ns.request, images, progress=bars, argument="--image",
                                 **options)
        print_answer(result)
    _save_workflow(ns, result, [s.path for s in result.scenes] or images)
    return 0 if result.ok else 1


def _save_workflow(ns: argparse.Namespace, result: AgentResult, images: Sequence[str]) -> None:
    """``--save-workflow``: write the plan as a workflow (scenes become inputs)."""
    if not ns.save_workflow:
        return
    if not result.plan.steps:
        raise UsageError(f"--save-workflow: nothing was planned ({result.plan.declined}); "
                         "no workflow written")
    path = save_workflow(result.plan, images, ns.save_workflow)
    console(stderr=True).print(f"workflow written to {path}")


def _report_json(report: Any) -> str:
    if hasattr(report, "model_dump_json"):
        return str(report.model_dump_json(indent=2))
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return json.dumps(dataclasses.asdict(report), indent=2, default=str)
    return json.dumps(report, indent=2, default=str)


def cmd_eval(ns: argparse.Namespace) -> int:
    """Score a planner on a JSONL query file, or on the corpus' dev and held-out parts."""
    if ns.file is None or ns.corpus is not None:
        return _eval_corpus(ns)
    if not Path(ns.file).is_file():
        raise UsageError(f"query file not found: {ns.file}")
    runtime = make_runtime(ns.workspace, planner=ns.planner, llm=llm_options(ns))
    queries = load_queries(ns.file)
    if ns.limit is not None:
        queries = queries[:ns.limit]
    report = evaluate_queries(queries, runtime.planner, file=str(ns.file))
    held = corpus.is_heldout(ns.file)  # the frozen held-out part: totals only, no items
    rendered = render_report(report, items=not held)
    if isinstance(rendered, str):
        sys.stdout.write(rendered.rstrip("\n") + "\n")
    else:  # a rich renderable (tables)
        console().print(rendered)
    if held:
        console(stderr=True).print(f"{ns.file} is the frozen held-out part: totals only")
    if ns.out:
        text = json.dumps(corpus.totals(report), indent=2) if held else _report_json(report)
        Path(ns.out).write_text(text + "\n", encoding="utf-8")
        console(stderr=True).print(f"report written to {ns.out}")
    return 0


def _eval_corpus(ns: argparse.Namespace) -> int:
    """Dev vs frozen held-out scores side by side (held-out as totals only)."""
    from agent.corpus import evaluate_corpus, render_corpus, summary

    if ns.file is not None:
        raise UsageError("give a query FILE or --corpus, not both")
    try:
        folder = corpus_dir_arg(ns.corpus)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    runtime = make_runtime(ns.workspace, planner=ns.planner, llm=llm_options(ns))
    reports = evaluate_corpus(runtime.planner, folder, ns.limit)
    console().print(render_corpus(reports))
    if ns.out:
        Path(ns.out).write_text(json.dumps(summary(reports), indent=2) + "\n", encoding="utf-8")
        console(stderr=True).print(f"report written to {ns.out}")
    return 0


def corpus_dir_arg(value: str | None) -> Path:
    """The corpus folder of ``--corpus`` ("" or absent: the default one)."""
    from agent.corpus import corpus_dir

    return corpus_dir(value or None)


def add_ask_parsers(sub: Any) -> None:
    """Add the ``ask`` and ``eval`` subcommands."""
    p = sub.add_parser("ask", help="ask the agent a question about scenes")
    p.add_argument("request", help="the question, in plain language")
    p.add_argument("--image", action="extend", nargs="+", metavar="FILE",
                   help="scene file(s) the question is about (repeatable; before/after order)")
    p.add_argument("--workspace", default=DEFAULT_WORKSPACE, help="output folder (./workspace)")
    p.add_argument("--gsd", type=positive_float, metavar="M",
                   help="metres per pixel of images without georeference (PNG/JPEG chips)")
    p.add_argument("--region", metavar="BBOX|FILE",
                   help="area of interest: minx,miny,maxx,maxy (scene CRS or lon/lat) or a "
                        "GeoJSON / GeoPackage / Shapefile")
    p.add_argument("--dry-run", action="store_true",
                   help="print the plan (DESIGN.md JSON) without running anything")
    p.add_argument("--json", action="store_true", help="print a machine-readable result")
    p.add_argument("--planner", default=DEFAULT_PLANNER, help="planner name (offline, llm)")
    add_llm_options(p)
    p.add_argument("--save-workflow", metavar="FLOW.yaml",
                   help="also save the plan as a workflow; rerun with `earthsight run`")
    p.add_argument("--sandbox", action="store_true",
                   help="only read files inside the workspace and data roots")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="score a planner on a JSONL file of queries")
    p.add_argument("file", nargs="?", help="queries, one JSON object a line (none: the "
                   "corpus' dev and held-out parts side by side)")
    p.add_argument("--corpus", nargs="?", const="", metavar="DIR",
                   help="score dev.jsonl and heldout.jsonl of DIR side by side (default: the "
                        "repository's eval/corpus, or $EARTHSIGHT_CORPUS); held-out as totals")
    p.add_argument("--planner", default=DEFAULT_PLANNER, help="planner name (offline, llm)")
    p.add_argument("--out", help="also write the report as JSON here")
    p.add_argument("--limit", type=positive_int, metavar="N",
                   help="score only the first N queries of the file (slow planners)")
    p.add_argument("--workspace", default=DEFAULT_WORKSPACE, help=argparse.SUPPRESS)
    add_llm_options(p)
    p.set_defaults(func=cmd_eval)

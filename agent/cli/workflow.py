"""``earthsight run``: run a YAML workflow on one scene, or in batch over many.

    earthsight run FLOW.yaml --set image=scene.tif [--set k=v ...] [--dry-run] [--json]
    earthsight run FLOW.yaml --batch "scenes/*.tif" [--input image] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from agent.cli.output import console, print_answer, print_json
from agent.errors import UsageError
from agent.progress import RichProgress, clock
from agent.runtime import Runtime, make_runtime
from agent.workflows.batch import BatchResult, SceneRow
from agent.workflows.workflow import Workflow, load_workflow


def _sets(items: list[str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set {item!r}: expected NAME=VALUE, e.g. --set image=scene.tif")
        values[name.strip()] = value
    return values


def _batch(ns: argparse.Namespace, values: dict[str, str], runtime: Runtime,
           workflow: Workflow) -> int:
    err = console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=ns.json or not err.is_terminal) as bars:
        task = bars.add_task("scenes", total=None)
        start = time.monotonic()

        def on_scene(done: int, total: int, row: SceneRow) -> None:
            bars.update(task, completed=done, total=total,
                        description=f"{row.status:6} {escape(row.scene)}")
            if not err.is_terminal and not ns.json:  # no bars: one plain line per scene
                err.print(f"… scene {done}/{total} {row.status}: {escape(row.scene)} "
                          f"({clock(time.monotonic() - start)} elapsed)", soft_wrap=True)

        result: BatchResult = runtime.run_batch(workflow, ns.batch,
                                                input_name=ns.input, inputs=values,
                                                on_scene=on_scene)
    if ns.json:
        print_json(result.model_dump(mode="json"))
    else:
        table = Table(title=f"{result.workflow}: {len(result.rows)} scene(s)")
        columns: list[str] = []
        for row in result.rows:
            columns.extend(k for k in row.numbers if k not in columns)
        for column in ("scene", "status", *columns):
            table.add_column(column, overflow="fold")
        for row in result.rows:
            table.add_row(escape(row.scene), row.status,
                          *(f"{row.numbers[c]:,.4g}" if c in row.numbers else "" for c in columns))
        out = console()
        out.print(table)
        for row in result.failed:
            out.print(f"[red]{row.status}[/red] {escape(row.scene)}: {escape(row.error)}")
        if result.failed:
            out.print(f"{len(result.failed)} of {len(result.rows)} scene(s) failed; the others "
                      "ran to the end")
        if result.cluster is not None:
            c = result.cluster
            out.print(f"Ran on {escape(c.scheduler)}: {c.tasks} task(s) on "
                      f"{len(c.workers)} worker(s)")
        out.print(f"Summary: {escape(result.csv_path)}, {escape(result.json_path)}")
    return 1 if result.failed else 0


def cmd_run(ns: argparse.Namespace) -> int:
    """Run (or with --dry-run, validate and show) a workflow (the file is the caller's own and
    is read as given; ``--sandbox`` checks its inputs and file arguments)."""
    values = _sets(ns.set)
    runtime = make_runtime(ns.workspace, sandbox=ns.sandbox and not ns.dry_run)
    workflow = load_workflow(ns.workflow, require_available=not ns.dry_run)
    if ns.dry_run and not ns.batch:
        result = runtime.run_workflow(workflow, values, dry_run=True)
        plan = result.plan.to_design_json() if result.plan else {}
        print_json({"workflow": result.workflow, "inputs": result.inputs, **plan})
        return 0
    if ns.batch:
        return _batch(ns, values, runtime, workflow)
    if ns.json:
        result = runtime.run_workflow(workflow, values)
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return 0 if result.ok else 1
    with RichProgress() as bars:
        result = runtime.run_workflow(workflow, values, progress=bars)
    print_answer(result)  # type: ignore[arg-type]  # same answer/artifacts/workspace fields
    return 0 if result.ok else 1


def add_run_parser(sub: Any, default_workspace: str) -> None:
    """Register ``earthsight run``."""
    p = sub.add_parser("run", help="run a YAML workflow (one scene, or --batch over many)")
    p.add_argument("workflow", help="workflow file (see examples/workflows/)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="an input value (repeatable), e.g. --set image=scene.tif")
    p.add_argument("--workspace", default=default_workspace, help="output folder (./workspace)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate and print the steps with inputs bound; run nothing")
    p.add_argument("--json", action="store_true", help="print a machine-readable result")
    p.add_argument("--batch", metavar="FOLDER_OR_GLOB",
                   help="run once per scene of a folder or glob; writes <call id>_summary.csv/json")
    p.add_argument("--input", help="with --batch: the image input each scene fills")
    p.add_argument("--sandbox", action="store_true",
                   help="only read files inside the workspace and data roots (EARTHSIGHT_DATA, "
                   "EARTHSIGHT_DATA_ROOTS); relative paths resolve there")
    p.set_defaults(func=cmd_run)

"""``earthsight index``: build or update the image index that ``search_images`` queries.

    earthsight index ARCHIVE [--index NAME] [--model M] [--tile-size N] [--batch N]
                     [--device D] [--json]

ARCHIVE is a folder (recursive), a glob, one large scene (cut into tiles), or the name of an
existing index (refreshed from the archive it was built from). Only new or changed files
(path, mtime, size) are embedded; files that are gone are dropped. Indexes live under
``$EARTHSIGHT_INDEX_DIR`` (default ``~/.local/share/earthsight/indexes``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from agent.cli.output import console
from tools.clip.classify_search import build_index, open_archive
from tools.core.artifacts import ToolCall
from tools.core.registry import ToolContext
from tools.core.workspace import Workspace

CLIP_TILE = 512
"""Default tile side (tools.clip.archive.CLIP_TILE; not imported so that parsing stays light)."""


def cmd_index(ns: argparse.Namespace) -> int:
    """Build or refresh an index with a progress bar; print what changed."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    _, root, _ = open_archive(ns.archive, ns.index)
    workspace = Workspace(root / "composites")  # pseudo_rgb composites of non-RGB scenes
    ctx = ToolContext(workspace=workspace, call=ToolCall(tool="index", args={
        k: v for k, v in vars(ns).items() if k != "func"}),
                      call_id=workspace.new_call_id())
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("tiles"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console(stderr=True), transient=False,
                  disable=ns.json) as bar:
        task = bar.add_task("scanning", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        index, run, record, enc = build_index(
            ns.archive, ns.index, ns.model, ns.tile_size, ctx, update=True, batch=ns.batch,
            device=ns.device, progress=progress)
        index.close()
    data: dict[str, Any] = {**run.model_dump(), "model": record.name, "weights": enc.weights,
                            "device": enc.device}
    if ns.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        console().print(
            f"index [bold]{run.name}[/bold] ({run.path}): {run.items} scenes/tiles; "
            f"{run.added} file(s) added, {run.updated} updated, {run.removed} removed, "
            f"{run.unchanged} unchanged; {run.embedded} embedded with {record.name} on "
            f"{enc.device}. Query it: search_images(archive='{run.name}', query=...)"
            + (f" Embedded on {run.cluster.scheduler}: {run.cluster.tasks} task(s) on "
               f"{len(run.cluster.workers)} worker(s)." if run.cluster else ""))
    return 0


def add_index_parser(sub: Any) -> None:
    """Add the ``index`` subcommand to the ``earthsight`` subparsers."""
    p = sub.add_parser("index", help="build or update the image index search_images queries")
    p.add_argument("archive", help="folder, glob, one large scene, or an existing index name")
    p.add_argument("--index", help="index name (default: derived from the archive path)")
    p.add_argument("--model", help="CLIP model name or checkpoint (default remoteclip-vit-b-32)")
    p.add_argument("--tile-size", type=int, default=CLIP_TILE,
                   help=f"tile side in pixels for large scenes ({CLIP_TILE})")
    p.add_argument("--batch", type=int, help="images per forward pass")
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: cuda if present)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_index)

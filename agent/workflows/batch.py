"""Batch mode: run one workflow over a folder or glob of scenes; a summary table per scene.

Each scene runs in its own sub-folder of the workspace (named after the scene); a scene that
fails is reported in the summary with its error and the batch goes on. The summary (one row a
scene: status, error, and every kept number with its unit in the column name) is written as
``<call id>_summary.csv`` and ``<call id>_summary.json`` in the workspace (a call id of its own,
so a later batch into the same workspace never overwrites an earlier summary); the JSON also
counts the scenes that failed and says where they ran.

With ``EARTHSIGHT_CLUSTER`` set, the scenes run one task each on the cluster's workers
(:mod:`agent.workflows.cluster` says why that is safe and what workers need); the rows come
back in scene order and are identical to an in-process batch's. A batch of one scene, or one
whose ``describe_scene`` steps answer with this process's describer (a model connection),
runs here, its tools fanning their tiles out themselves.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import re
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agent.checks import RequestChecks
from agent.sandbox import Paths
from agent.workflows.cluster import cluster_rows
from agent.workflows.run import bind_inputs
from agent.workflows.save import write_text_atomic
from agent.workflows.scene import SceneJob, run_scene
from agent.workflows.scene import SceneRow as SceneRow
from agent.workflows.workflow import Workflow, WorkflowError, load_workflow
from specialists.runtime.cluster import Executor, InProcess, Placement
from tools.core.artifacts import ClusterRun
from tools.core.registry import Describer
from tools.core.workspace import Workspace
from tools.geo.fanout import current_executor

SCENE_SUFFIXES = (".tif", ".tiff", ".jp2", ".img", ".nc", ".h5")


class BatchResult(BaseModel):
    """Every scene's row, and where the summary files are."""

    workflow: str
    input: str
    rows: list[SceneRow]
    csv_path: str
    json_path: str
    cluster: ClusterRun | None = Field(
        None, description="where the scenes ran when they went to a Dask cluster "
        "(EARTHSIGHT_CLUSTER), one task a scene; None: in this process")

    @property
    def failed(self) -> list[SceneRow]:
        """Rows of scenes that did not finish cleanly."""
        return [r for r in self.rows if r.status != "ok"]


def find_scenes(pattern: str, paths: Paths | None = None) -> list[str]:
    """The scenes a folder (its rasters, sorted) or a glob names (through ``paths``: a
    sandbox refuses a folder or glob outside its roots).

    Raises:
        WorkflowError: Nothing matches (the message says what was searched).
    """
    if paths is not None:
        pattern = paths.resolve(pattern, "--batch")
    path = Path(pattern)
    if path.is_dir():
        found = sorted(str(p) for p in path.iterdir()
                       if p.is_file() and p.suffix.lower() in SCENE_SUFFIXES)
    else:
        found = sorted(p for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if not found:
        raise WorkflowError(f"--batch: no scenes found for {pattern!r} (a folder of "
                            f"{', '.join(SCENE_SUFFIXES)} files, or a glob like 'scenes/*.tif')")
    return found


def _folder_name(scene: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(scene).stem) or "scene"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    return name


def _columns(rows: list[SceneRow]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names.extend(k for k in row.numbers if k not in names)
    return names


def summary_csv(rows: list[SceneRow]) -> str:
    """The summary as CSV text: scene, status, error, one column per number (unit in name)."""
    columns = _columns(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scene", "status", "error", *columns])
    for row in rows:
        writer.writerow([row.scene, row.status, row.error,
                         *(row.numbers.get(c, "") for c in columns)])
    return out.getvalue()


def run_batch(workflow: Workflow | str | Path, pattern: str, *, input_name: str | None = None,
              inputs: Mapping[str, Any] | None = None, workspace: str | Path = "workspace",
              paths: Paths | None = None,
              new_checks: Callable[[], RequestChecks] | None = None,
              on_scene: Callable[[int, int, SceneRow], None] | None = None,
              describer: Describer | None = None) -> BatchResult:
    """Run ``workflow`` once per scene of ``pattern`` and write the summary.

    Args:
        workflow: A Workflow or the path of its YAML file (validated before any scene runs).
        pattern: A folder of scenes or a glob.
        input_name: The image input each scene binds (default: the workflow's only image input).
        inputs: Other input values, the same for every scene.
        workspace: Output folder; each scene gets a sub-folder.
        paths: The path rules the folder or glob goes through (a sandbox).
        new_checks: Makes each scene's request checks (a runtime's; default: open paths and
            the pixel limit).
        on_scene: Called ``(done, total, row)`` after each scene (progress bars).
        describer: The backend ``describe_scene`` steps answer with (default: none).

    Raises:
        WorkflowError: Invalid workflow, unknown input, or no scenes (nothing ran).
    """
    wf = workflow if isinstance(workflow, Workflow) else load_workflow(workflow)
    image_inputs = [n for n, s in wf.inputs.items() if s.type == "image"]
    if input_name is None:
        if len(image_inputs) != 1:
            raise WorkflowError(f"--input: workflow {wf.name} has image inputs "
                                f"{', '.join(image_inputs) or '(none)'}; name the one each "
                                "scene fills with --input")
        input_name = image_inputs[0]
    if input_name not in wf.inputs:
        raise WorkflowError(f"--input: workflow {wf.name} has no input {input_name!r}; inputs: "
                            f"{', '.join(wf.inputs)}")
    bind_inputs(wf, {**(inputs or {}), input_name: "scene.tif"})  # bad values: once, not per scene
    scenes = find_scenes(pattern, paths)
    root = Path(workspace).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    ex = _scene_executor(wf, len(scenes), describer)
    jobs = [SceneJob(workflow=wf, inputs={**(inputs or {}), input_name: scene}, scene=scene,
                     folder=str(root / _folder_name(scene, used)),
                     checks=new_checks() if new_checks else None,
                     describer=describer if ex.in_process else None)  # workers: no describe
            for scene in scenes]
    placement = Placement(scheduler=ex.scheduler)
    rows: list[SceneRow] = []
    found = _rows_here(jobs) if ex.in_process else cluster_rows(jobs, ex, placement)
    with contextlib.closing(found):
        for done, row in enumerate(found, start=1):
            rows.append(row)
            if on_scene is not None:
                on_scene(done, len(jobs), row)
    cluster = None if ex.in_process else ClusterRun(
        scheduler=placement.scheduler, tasks=placement.tasks, workers=sorted(placement.workers))
    ws = Workspace(root)
    prefix = ws.new_call_id()
    failed = sum(r.status != "ok" for r in rows)
    csv_path = write_text_atomic(ws.path(prefix, "summary.csv"), summary_csv(rows))
    json_path = write_text_atomic(ws.path(prefix, "summary.json"), json.dumps(
        {"workflow": wf.name, "input": input_name, "scenes_total": len(rows),
         "scenes_failed": failed,
         "cluster": None if cluster is None else cluster.model_dump(),
         "scenes": [r.model_dump() for r in rows]}, indent=2, ensure_ascii=False) + "\n")
    return BatchResult(workflow=wf.name, input=input_name, rows=rows, csv_path=str(csv_path),
                       json_path=str(json_path), cluster=cluster)


def _rows_here(jobs: Sequence[SceneJob]) -> Generator[SceneRow, None, None]:
    """Each scene's row, run one after the other in this process."""
    for job in jobs:
        yield run_scene(job)


def _scene_executor(wf: Workflow, scenes: int, describer: Describer | None) -> Executor:
    """Where the scenes run: the cluster of ``EARTHSIGHT_CLUSTER``, unless it is unset, the
    batch has one scene (its tools fan its tiles out from here), or ``describe_scene`` steps
    answer with this process's describer.

    Raises:
        ToolUnavailable: A bad ``EARTHSIGHT_CLUSTER`` or an unreachable scheduler (the message
            names the setting).
    """
    ex = current_executor()
    describes = describer is not None and any(s.tool == "describe_scene" for s in wf.steps)
    if ex.in_process or scenes < 2 or describes:
        return InProcess()
    return ex

"""Helpers of the fan-out tests: one tool call in-process and on the local cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specialists.runtime.cluster import CLUSTER_ENV, DaskExecutor
from tools import run_tool
from tools.core.artifacts import ToolResult
from tools.core.workspace import Workspace


def both(tool: str, args: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         tile_size: int | None = None) -> tuple[Any, Any]:
    """The tool in-process, then on the local cluster (``local:2``, the same tile size; None:
    the tool's own setting), as the tool's output models."""
    if tile_size is not None:
        monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", str(tile_size))
    monkeypatch.delenv(CLUSTER_ENV, raising=False)
    here = run_tool(tool, args, Workspace(tmp_path / "here")).result
    monkeypatch.setenv(CLUSTER_ENV, "local:2")
    there = run_tool(tool, args, Workspace(tmp_path / "there")).result
    return here, there


def numbers(result: ToolResult) -> dict[str, tuple[float | None, str | None]]:
    """The result's numbers with their units, by name."""
    return {a.name: (a.value, a.units) for a in result.artifacts if a.kind == "number"}


def ran_on_both(here: ToolResult, there: ToolResult, local2: DaskExecutor,
                min_tasks: int) -> None:
    """``here`` ran in this process; ``there`` on ``local2``'s two workers, in at least
    ``min_tasks`` (>= 4) tasks."""
    assert here.cluster is None
    run = there.cluster
    assert run is not None and run.scheduler == local2.scheduler
    assert run.tasks >= min_tasks >= 4
    workers = set(local2.client.scheduler_info()["workers"])
    assert len(workers) == 2 and set(run.workers) == workers

"""Helpers of the fan-out tests: one tool call in-process and on the local cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specialists.runtime.cluster import CLUSTER_ENV
from tools import run_tool
from tools.core.artifacts import ToolResult
from tools.core.workspace import Workspace


def both(tool: str, args: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         tile_size: int) -> tuple[ToolResult, ToolResult]:
    """The tool in-process, then on the local cluster (``local:2``, the same tile size)."""
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", str(tile_size))
    monkeypatch.delenv(CLUSTER_ENV, raising=False)
    here = run_tool(tool, args, Workspace(tmp_path / "here")).result
    monkeypatch.setenv(CLUSTER_ENV, "local:2")
    there = run_tool(tool, args, Workspace(tmp_path / "there")).result
    return here, there


def numbers(result: ToolResult) -> dict[str, tuple[float | None, str | None]]:
    """The result's numbers with their units, by name."""
    return {a.name: (a.value, a.units) for a in result.artifacts if a.kind == "number"}

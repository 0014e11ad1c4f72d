"""Fuzzing the one runner: every tool's schema drives generated arguments through
``tools.catalog.run_tool`` (no sandbox) in a temporary workspace.

Every call either runs or stops with an EarthSight error that has a message (the error policy
calls it expected); no traceback of another type, and nothing half-written is left behind.
Deep tools stop after validation (:func:`tests.fuzz_args.stop_deep_tools`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("hypothesis")

from hypothesis import given

from agent.errors import report
from tests.fuzz_args import FUZZ, arguments, check_workspace, make_scenes, stop_deep_tools
from tools.catalog import ALL_TOOLS, get_tool, run_tool
from tools.core.errors import EarthSightError


def expected_error(exc: BaseException) -> str | None:
    """Why ``exc`` is not an error EarthSight raises on purpose (None: it is one)."""
    shown = report(exc)
    if not isinstance(exc, EarthSightError) or not shown.expected:
        return f"{type(exc).__name__}: {shown.message}"
    if not str(exc).strip() or "Traceback" in shown.message:
        return f"{type(exc).__name__} without a readable message: {exc!r}"
    return None


@pytest.mark.parametrize("name", [t.name for t in ALL_TOOLS])
def test_generated_arguments_through_the_registry(name: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "data"
    make_scenes(root, tmp_path / "outside")
    monkeypatch.chdir(root)  # relative paths name the scenes
    stop_deep_tools(monkeypatch)
    workspace = tmp_path / "ws"

    @FUZZ
    @given(arguments(get_tool(name).input_schema(), root))
    def call(args: dict[str, Any]) -> None:
        try:
            run_tool(name, args, workspace)
        except Exception as exc:
            problem = expected_error(exc)
            assert problem is None, f"{name}({args!r:.300}) raised {problem}"
        check_workspace(workspace)

    call()

"""Agent test fixtures: the developer's own LLM config file is hidden from every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def hide_user_llm_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point ``EARTHSIGHT_CONFIG`` at a missing file: servers would otherwise pick up a
    configured LLM for ``describe_scene`` (the environment is cleared by tests/conftest.py)."""
    monkeypatch.setenv("EARTHSIGHT_CONFIG", str(tmp_path / "no-user-config.toml"))


@pytest.fixture(autouse=True)
def fresh_planner_cache() -> Iterator[None]:
    """Servers share planners process-wide (``jobs.load_planner``): no test sees another's."""
    from agent import jobs

    jobs.clear_planners()
    yield
    jobs.clear_planners()

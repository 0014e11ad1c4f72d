"""Fixtures of the planner tests."""

from __future__ import annotations

import pytest

from agent.planners.offline import OfflinePlanner


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    """The offline planner (built once per test module)."""
    return OfflinePlanner()

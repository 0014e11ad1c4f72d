"""Agent test fixtures: the developer's own LLM config file is hidden from every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def hide_user_llm_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point ``EARTHSIGHT_CONFIG`` at a missing file: servers would otherwise pick up a
    configured LLM for ``describe_scene`` (the environment is cleared by tests/conftest.py)."""
    monkeypatch.setenv("EARTHSIGHT_CONFIG", str(tmp_path / "no-user-config.toml"))


@pytest.fixture(autouse=True)
def fresh_planner_cache() -> Iterator[None]:
    """Planners are shared process-wide (``load_planner``): no test sees another's."""
    from agent.planners.shared import clear_planners

    clear_planners()
    yield
    clear_planners()


@pytest.fixture(autouse=True)
def private_server_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Servers never read or write the developer's token file, nor their security settings."""
    monkeypatch.setenv("EARTHSIGHT_TOKEN_FILE", str(tmp_path / "token-dir" / "server-token"))
    for name in ("EARTHSIGHT_TOKEN", "EARTHSIGHT_ALLOWED_HOSTS", "EARTHSIGHT_CORS_ORIGINS",
                 "EARTHSIGHT_MAX_BODY_BYTES", "EARTHSIGHT_MAX_PIXELS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data root (``EARTHSIGHT_DATA``) under ``tmp_path`` holding ``scenes/scene.tif``."""
    from tests.agent.describer_fakes import make_scene

    root = tmp_path / "data"
    make_scene(root / "scenes")
    monkeypatch.setenv("EARTHSIGHT_DATA", str(root))
    return root


@pytest.fixture
def cluster(local2: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Tools run their tiles on the module's 2-worker cluster (``local2``), 128 px tiles
    (the progress-across-workers tests)."""
    from specialists.runtime.cluster import CLUSTER_ENV
    from tests.agent.progress_scene import TILE

    monkeypatch.setenv(CLUSTER_ENV, "local:2")
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", str(TILE))
    return local2

"""Fixtures of the CLIP tool tests: a tiny random-weight model and a private index folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny random-weight CLIP checkpoint built from config (no download)."""
    pytest.importorskip("open_clip")
    from specialists.clip.model import TINY_CONFIG, build_random

    return str(build_random("tiny", tmp_path_factory.mktemp("clip") / "tiny.pt", TINY_CONFIG))


@pytest.fixture(autouse=True)
def index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Image indexes go to this test's own folder."""
    monkeypatch.setenv("EARTHSIGHT_INDEX_DIR", str(tmp_path / "indexes"))
    return tmp_path / "indexes"

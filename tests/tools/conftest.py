"""Fixtures shared by the tool tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def fake_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in yolo11n-obb.pt in EARTHSIGHT_WEIGHTS_DIR (fake detectors never read it)."""
    path = tmp_path / "w" / "yolo11n-obb.pt"
    path.parent.mkdir()
    path.write_bytes(b"fake")
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(path.parent))
    return path

"""Model records and weight resolution (explicit path, EARTHSIGHT_WEIGHTS_DIR, library cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

from prompts.classes import canonical_class
from specialists.runtime.models import (
    MODELS,
    WeightsNotFound,
    get_record,
    library_cache_dirs,
    resolve_weights,
    weights_present,
)


def test_records_are_complete_and_canonical() -> None:
    for name, r in MODELS.items():
        assert r.name == name and r.weights and r.licence and r.source and r.config
        assert r.bands == (("VV", "VH") if r.task == "water" else ("red", "green", "blue"))
        assert all(canonical_class(c) == c for c in r.classes)
    assert "vehicle" in get_record("yolo11n-obb").classes
    assert get_record("yolo11n-obb").task == "detect-obb"


def test_unknown_name_lists_names() -> None:
    with pytest.raises(KeyError, match="yolo11n-obb"):
        get_record("nope")


def test_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = get_record("yolo11n")
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    monkeypatch.delenv("EARTHSIGHT_WEIGHTS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert not weights_present(rec)
    cache = library_cache_dirs(rec)[0]
    cache.mkdir(parents=True)
    (cache / rec.weights).write_bytes(b"x")
    assert resolve_weights(rec) == (cache / rec.weights).resolve()
    wdir = tmp_path / "w"
    wdir.mkdir()
    (wdir / rec.weights).write_bytes(b"y")
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(wdir))
    assert resolve_weights(rec) == (wdir / rec.weights).resolve()
    explicit = tmp_path / "mine.pt"
    explicit.write_bytes(b"z")
    assert resolve_weights(rec, str(explicit)) == explicit.resolve()
    sam = get_record("sam_vit_b")
    assert library_cache_dirs(sam)[0] == tmp_path / "torch" / "hub" / "checkpoints"


def test_missing_weights_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "none"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WeightsNotFound) as err:
        resolve_weights(get_record("yolo11n-obb"))
    text = str(err.value)
    for part in ("yolo11n-obb.pt", "EARTHSIGHT_WEIGHTS_DIR", "model=", "library's own cache",
                 "releases/download"):
        assert part in text
    assert isinstance(err.value, FileNotFoundError)
    with pytest.raises(WeightsNotFound, match="does not exist"):
        resolve_weights(get_record("sam_vit_b"), str(tmp_path / "missing.pth"))

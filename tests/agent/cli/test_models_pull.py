"""``earthsight models pull NAME|--all`` against a release server on 127.0.0.1, and
``earthsight tools`` saying "needs weights: NAME" until the weights are pulled."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli import main as cli
from specialists.runtime import download
from specialists.runtime.download import published
from specialists.runtime.models import MODELS, library_cache_dirs, weights_present
from tests.file_server import FileServer


class Mirror(FileServer):
    """A tiny HTTP server on 127.0.0.1 serving one small file per published model, by weights
    file name (what ``$EARTHSIGHT_MODELS_MIRROR`` points to); ``hits`` lists the paths asked."""


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Mirror]:
    """Online, empty caches under ``tmp_path``, every published model served as a small file
    whose size and SHA-256 its record publishes (records restored afterwards)."""
    cfg = tmp_path / "cfg" / "Ultralytics"
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(json.dumps({"weights_dir": str(tmp_path / "ultra")}))
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "es"))
    monkeypatch.setenv("COLUMNS", "200")
    for var in ("YOLO_OFFLINE", "HF_HUB_OFFLINE", download.HF_ENDPOINT_ENV):
        monkeypatch.delenv(var, raising=False)
    saved = dict(MODELS)
    server = Mirror()
    monkeypatch.setenv(download.MIRROR_ENV, server.base + "/m")
    for name, record in saved.items():
        if published(record):
            body = f"weights of {name}".encode() * 50
            server.files[f"/m/{record.weights}"] = body
            MODELS[name] = dataclasses.replace(
                record, sha256=hashlib.sha256(body).hexdigest(), size=len(body))
    yield server
    server.server.shutdown()
    server.server.server_close()
    MODELS.clear()
    MODELS.update(saved)


def test_pull_one_then_tool_is_available(mirror: Mirror, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["tools", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["detect_objects"]["status"] == "needs weights"
    assert listed["detect_objects"]["shown"] == "needs weights: yolo11n-obb"
    assert listed["detect_objects"]["models_missing"] == ["yolo11n-obb"]
    assert cli.main(["tools"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "detect_objects" in line and "│" in line)
    assert "needs weights: yolo11n-obb" in row and "yes" not in row
    assert "`earthsight models pull yolo11n-obb`" in out

    assert cli.main(["models", "pull", "yolo11n-obb"]) == 0
    out = capsys.readouterr().out
    dest = tmp_path / "ultra" / "yolo11n-obb.pt"
    assert f"pulled yolo11n-obb: {dest}" in out and "SHA-256 verified" in out
    assert dest.read_bytes() == mirror.files["/m/yolo11n-obb.pt"]
    assert mirror.hits == ["/m/yolo11n-obb.pt"]
    assert cli.main(["tools", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["detect_objects"]["status"] == "available"
    assert "shown" not in listed["detect_objects"]


def test_all_pulls_missing_and_skips_present(mirror: Mirror, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    here = library_cache_dirs(MODELS["yolo11n"])[0] / "yolo11n.pt"
    here.parent.mkdir(parents=True)
    here.write_bytes(mirror.files["/m/yolo11n.pt"])
    assert cli.main(["models", "pull", "--all"]) == 0
    out = capsys.readouterr().out
    pub = [r for r in MODELS.values() if published(r)]
    assert len(pub) >= 9
    assert sorted(mirror.hits) == sorted(f"/m/{r.weights}" for r in pub if r.name != "yolo11n")
    assert f"yolo11n: already here ({here.resolve()})" in out
    assert all(weights_present(r) for r in pub)
    assert not weights_present(MODELS["agb-mixer"])  # trained here: nothing to pull
    for r in pub:
        assert (library_cache_dirs(r)[0] / r.weights).read_bytes() == mirror.files[
            f"/m/{r.weights}"]
    mirror.hits.clear()
    assert cli.main(["models", "pull", "--all"]) == 0  # nothing left to fetch
    assert mirror.hits == [] and capsys.readouterr().out.count("already here") == len(pub)


def test_wrong_sha256_exit_1_nothing_left(mirror: Mirror, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    MODELS["sam_vit_b"] = dataclasses.replace(MODELS["sam_vit_b"], sha256="f" * 64)
    assert cli.main(["models", "pull", "sam_vit_b"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("earthsight models pull: sam_vit_b: the file")
    assert "not the published sam_vit_b_01ec64.pth" in err[0]
    assert list((tmp_path / "torch" / "hub" / "checkpoints").iterdir()) == []


def test_offline_is_one_line_exit_1(mirror: Mirror, monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv(download.MIRROR_ENV, f"http://127.0.0.1:{port}")  # nobody listens
    assert cli.main(["models", "pull", "--all"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and captured.err.endswith("\n") and "Traceback" not in captured.err
    assert lines[0].startswith("earthsight models pull: no network (cannot reach 127.0.0.1")
    assert "copy yolo11n-obb.pt from https://github.com/ultralytics/assets/" in lines[0]
    assert str(tmp_path) in lines[0] and "`earthsight models import FILE" in lines[0]
    assert "pulled" not in captured.out


def test_usage_errors(mirror: Mirror, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models", "pull", "yolo11n-ob"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'yolo11n-ob'; did you mean 'yolo11n-obb'?" in err
    assert cli.main(["models", "pull"]) == 2
    assert "or give --all" in capsys.readouterr().err
    assert cli.main(["models", "pull", "agb-mixer"]) == 2
    assert "train them with `earthsight train biomass" in capsys.readouterr().err
    assert mirror.hits == []

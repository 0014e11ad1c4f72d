"""``models pull``'s download: a local HTTP server on 127.0.0.1 stands in for the releases; the
file lands where the weights lookup reads, is checked (size, SHA-256) and is never left half."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from specialists.runtime import download
from specialists.runtime.download import (
    DigestMismatch,
    NoNetwork,
    NoRelease,
    PullError,
    find_record,
    pull,
    pull_folder,
    source_url,
)
from specialists.runtime.model_files import verify_published
from specialists.runtime.models import (
    MODELS,
    earthsight_weights_dir,
    library_cache_dirs,
    resolve_weights,
    weights_present,
)
from tests.file_server import FileServer


class Release(FileServer):
    """A tiny HTTP server on 127.0.0.1 serving ``files`` by path; ``hits`` lists the paths asked."""

    def publish(self, name: str, body: bytes, sha256: str | None = None,
                size: int | None = -1) -> None:
        """Serve ``body`` as model ``name``'s release and make its record publish it."""
        record = MODELS[name]
        self.files[f"/rel/{record.weights}"] = body
        MODELS[name] = dataclasses.replace(
            record, source=f"{self.base}/rel/{record.weights}",
            sha256=sha256 or hashlib.sha256(body).hexdigest(),
            size=len(body) if size == -1 else size)


@pytest.fixture
def release(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Release]:
    """A release server, online, with empty caches in ``tmp_path``; the records are restored."""
    cfg = tmp_path / "cfg" / "Ultralytics"
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(json.dumps({"weights_dir": str(tmp_path / "ultra")}))
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "es"))
    for var in ("YOLO_OFFLINE", "HF_HUB_OFFLINE", download.MIRROR_ENV, download.HF_ENDPOINT_ENV):
        monkeypatch.delenv(var, raising=False)
    saved = dict(MODELS)
    server = Release()
    yield server
    server.server.shutdown()
    server.server.server_close()
    MODELS.clear()
    MODELS.update(saved)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("name", "folder"), [("yolo11n", "ultra"),
                                              ("sam_vit_b", "torch/hub/checkpoints"),
                                              ("remoteclip-vit-b-32", "torch/hub/checkpoints")])
def test_pull_lands_where_the_lookup_reads(release: Release, tmp_path: Path, name: str,
                                           folder: str) -> None:
    body = bytes(range(256)) * 4099  # 1,049,344 bytes: two blocks of the 1 MiB stream
    release.publish(name, body)
    record = MODELS[name]
    assert not weights_present(record)
    seen: list[tuple[int, int | None]] = []
    got = pull(record, progress=lambda done, total: seen.append((done, total)))
    dest = tmp_path / folder / record.weights
    assert got.downloaded and got.size == len(body) and got.path == dest.resolve()
    assert dest.read_bytes() == body
    assert library_cache_dirs(record)[0] == tmp_path / folder
    assert weights_present(record) and resolve_weights(record) == dest.resolve()
    assert verify_published(dest) == dest.resolve()  # the loaders' digest check accepts it
    assert seen[0] == (0, len(body)) and seen[-1] == (len(body), len(body)) and len(seen) == 3
    assert sorted(p.name for p in dest.parent.iterdir()) == [record.weights]  # no temporary
    again = pull(record)  # already here: nothing fetched
    assert not again.downloaded and again.path == dest.resolve()
    assert release.hits == [f"/rel/{record.weights}"]


def test_wrong_sha256_is_refused_and_leaves_nothing(release: Release, tmp_path: Path) -> None:
    release.publish("yolo11n", b"not the published weights", sha256="0" * 64)
    record = MODELS["yolo11n"]
    with pytest.raises(DigestMismatch, match="SHA-256") as err:
        pull(record)
    assert "nothing was kept" in str(err.value) and "\n" not in str(err.value)
    assert list((tmp_path / "ultra").iterdir()) == []
    assert not weights_present(record)


def test_longer_than_published_is_refused(release: Release, tmp_path: Path) -> None:
    release.publish("sam_vit_b", b"x" * 5000, size=4000)
    with pytest.raises(DigestMismatch, match="4,000 bytes"):
        pull(MODELS["sam_vit_b"])
    assert list((tmp_path / "torch" / "hub" / "checkpoints").iterdir()) == []


def test_unreachable_source_is_one_line(release: Release, tmp_path: Path) -> None:
    record = MODELS["yolo11n-obb"] = dataclasses.replace(
        MODELS["yolo11n-obb"], source=f"http://127.0.0.1:{_closed_port()}/yolo11n-obb.pt")
    with pytest.raises(NoNetwork) as err:
        pull(record, timeout_s=5.0)
    text = str(err.value)
    assert text.startswith("no network (cannot reach 127.0.0.1:") and "\n" not in text
    assert str(tmp_path / "ultra" / "yolo11n-obb.pt") in text
    assert "earthsight models import FILE --name yolo11n-obb" in text
    assert not (tmp_path / "ultra").exists() or list((tmp_path / "ultra").iterdir()) == []


def test_offline_setting_is_honoured(release: Release, monkeypatch: pytest.MonkeyPatch) -> None:
    release.publish("yolo11n", b"weights")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(NoNetwork, match=r"offline \(HF_HUB_OFFLINE set\)"):
        pull(MODELS["yolo11n"])
    assert release.hits == []


def test_http_error_is_not_offline(release: Release) -> None:
    release.publish("yolo11n", b"weights")
    release.files.clear()
    with pytest.raises(PullError, match="HTTP 404") as err:
        pull(MODELS["yolo11n"])
    assert not isinstance(err.value, NoNetwork)


def test_mirror_and_hf_endpoint(release: Release, monkeypatch: pytest.MonkeyPatch,
                                tmp_path: Path) -> None:
    clip = MODELS["remoteclip-vit-b-32"]
    monkeypatch.setenv(download.HF_ENDPOINT_ENV, "https://hf-mirror.example/")
    assert source_url(clip) == ("https://hf-mirror.example/chendelong/RemoteCLIP/resolve/main/"
                                "RemoteCLIP-ViT-B-32.pt")
    assert source_url(MODELS["yolo11n"]) == MODELS["yolo11n"].source  # not a HF release
    release.publish("yolo11n", b"mirrored weights")
    release.files["/m/yolo11n.pt"] = release.files.pop("/rel/yolo11n.pt")
    monkeypatch.setenv(download.MIRROR_ENV, release.base + "/m/")
    assert pull(MODELS["yolo11n"]).path.read_bytes() == b"mirrored weights"
    assert release.hits == ["/m/yolo11n.pt"]
    monkeypatch.setenv(download.MIRROR_ENV, "file:///tmp")
    with pytest.raises(PullError, match="must be an http"):
        source_url(clip)


def test_names_and_releases(release: Release) -> None:
    assert find_record("yolo11n-obb").name == "yolo11n-obb"
    assert find_record("sam_vit_b_01ec64.pth").name == "sam_vit_b"  # by weights file name
    with pytest.raises(KeyError, match="did you mean 'yolo11n-obb'"):
        find_record("yolo11n-ob")
    with pytest.raises(NoRelease, match="earthsight train biomass"):
        pull(MODELS["agb-mixer"])
    assert release.hits == []


def test_ultralytics_without_settings_uses_earthsight_folder(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "no-settings"))
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "es"))
    assert pull_folder(MODELS["yolo11n"]) == earthsight_weights_dir() == tmp_path / "es"

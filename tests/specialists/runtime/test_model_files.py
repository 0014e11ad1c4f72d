"""Model files are data: the restricted loaders, published digests, shipped configs only, and
``earthsight models import`` for a file the user trusts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("ultralytics")

import torch

from specialists.detection.yolo import build_random, load_yolo
from specialists.runtime import model_files
from specialists.runtime.model_files import (
    ModelFileRefused,
    load_tensors,
    safe_ultralytics,
    sha256_of,
    shipped_config,
    verify_published,
)
from specialists.runtime.model_import import import_weights
from specialists.runtime.models import MODELS
from tests.payloads import pickle_payload, yaml_payload


def test_the_payloads_are_live(tmp_path: Path) -> None:
    """Control: loaded without restriction, the pickle payload does run."""
    marker = tmp_path / "pwned"
    payload = pickle_payload(tmp_path / "p.pt", marker)
    torch.load(payload, weights_only=False)
    assert marker.is_dir()


def test_tensors_load_only_the_restricted_way(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(ModelFileRefused, match=r"would run code.*os\.makedirs"):
        load_tensors(pickle_payload(tmp_path / "p.pt", marker))
    assert not marker.exists()
    torch.save({"w": torch.ones(3)}, tmp_path / "ok.pt")
    assert torch.equal(load_tensors(tmp_path / "ok.pt")["w"], torch.ones(3))


def test_ultralytics_payload_refused_even_if_imported_unrestricted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Something imported ultralytics before EarthSight could ask for its restricted loader:
    the load still runs restricted (the flag is set in the modules and checked)."""
    import ultralytics.nn.tasks as tasks
    import ultralytics.utils as uutils

    monkeypatch.setattr(tasks, "SAFE_LOAD", False)
    monkeypatch.setattr(uutils, "SAFE_LOAD", False)
    monkeypatch.setenv("ULTRALYTICS_SAFE_LOAD", "false")
    marker = tmp_path / "pwned"
    with pytest.raises(ModelFileRefused, match="restricted ultralytics loader"):
        load_yolo(pickle_payload(tmp_path / "mine.pt", marker), "cpu")
    assert not marker.exists()
    assert tasks.SAFE_LOAD is True and tasks._SafeLoad.restricted()


def test_no_restricted_loader_no_yolo(monkeypatch: pytest.MonkeyPatch) -> None:
    import ultralytics.nn.tasks as tasks

    monkeypatch.setattr(tasks._SafeLoad, "SUPPORTED", False)
    with pytest.raises(ModelFileRefused, match="restricted loader is not available"):
        safe_ultralytics()


def test_yaml_configs_are_never_user_files(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    config = yaml_payload(tmp_path / "custom.yaml", marker)
    with pytest.raises(ModelFileRefused, match=r"must be an ultralytics \.pt"):
        load_yolo(config, "cpu")
    with pytest.raises(ModelFileRefused, match="not a shipped model config"):
        build_random(str(config), tmp_path / "out.pt")
    # and ultralytics itself, with the restricted loader on, parses the activation without eval
    yolo = safe_ultralytics()
    with pytest.raises(TypeError, match="unsupported activation"):
        yolo(str(config))
    assert not marker.exists()
    assert shipped_config("yolo11n-obb.yaml") == "yolo11n-obb.yaml"


def test_a_genuine_checkpoint_loads_and_detects_restricted(random_obb_weights: Path) -> None:
    import numpy as np
    import ultralytics.nn.tasks as tasks

    model = load_yolo(random_obb_weights, "cpu")
    assert tasks.SAFE_LOAD is True
    assert model.task == "obb" and len(model.names) == 15
    results = model.predict(np.zeros((64, 64, 3), np.uint8), imgsz=64, verbose=False)
    assert len(results) == 1


def test_published_names_need_the_published_content(tmp_path: Path) -> None:
    fake = tmp_path / "yolo11n.pt"
    fake.write_bytes(b"not the published file")
    with pytest.raises(ModelFileRefused, match=r"published yolo11n weights but not their "
                       r"content .*0ebbc80d4a7680d1.*5,613,764 bytes.*models import"):
        verify_published(fake)
    other = tmp_path / "my-detector.pt"  # any other name: left to the restricted loaders
    other.write_bytes(b"x")
    assert verify_published(other) == other.resolve()


def test_every_published_record_has_a_digest() -> None:
    published = [r for r in MODELS.values() if not r.source.startswith("earthsight train")]
    assert len(published) == 10
    for record in published:
        assert record.sha256 is not None and len(record.sha256) == 64, record.name


def test_import_converts_a_refused_ultralytics_checkpoint(random_obb_weights: Path,
                                                           tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str],
                                                           ) -> None:
    """An older checkpoint carrying an argparse.Namespace (outside the allow-list) is refused;
    imported once on the command line it loads restricted, under the published name."""
    from agent.cli.main import main

    ckpt = torch.load(random_obb_weights, weights_only=False)
    ckpt["train_args"] = argparse.Namespace(lr0=0.01, epochs=3)
    legacy = tmp_path / "legacy.pt"
    torch.save(ckpt, legacy)
    with pytest.raises(ModelFileRefused, match="restricted ultralytics loader"):
        load_yolo(legacy, "cpu")
    wdir = tmp_path / "weights"
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(wdir))
    assert main(["models", "import", str(legacy), "--name", "yolo11n-obb"]) == 0
    assert "yolo11n-obb.pt" in capsys.readouterr().out
    converted = wdir / "yolo11n-obb.pt"
    trusted = json.loads((wdir / "trusted.json").read_text())["files"]
    assert trusted[0]["sha256"] == sha256_of(converted) and trusted[0]["kind"] == "ultralytics"
    assert load_yolo(converted, "cpu").task == "obb"  # published name, trusted digest
    # never over an existing file
    assert main(["models", "import", str(legacy), "--name", "yolo11n-obb"]) == 2
    assert "exists" in capsys.readouterr().err


def test_import_keeps_only_tensors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "weights"))
    own = tmp_path / "head.pth"
    torch.save({"state_dict": {"w": torch.ones(2)}, "args": argparse.Namespace(a=1)}, own)
    with pytest.raises(ModelFileRefused, match="would run code"):
        load_tensors(own)
    done = import_weights(own)
    assert done.kind == "tensors" and done.path.name == "head.pth"
    data = load_tensors(done.path)
    assert torch.equal(data["state_dict"]["w"], torch.ones(2)) and data["args"] is None


def test_digests_are_remembered_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "weights"))
    own = tmp_path / "tiny.pt"
    torch.save({"w": torch.zeros(1)}, own)
    done = import_weights(own, name="mobile_sam_vit_t")
    calls: list[Path] = []
    real = model_files.sha256_of
    monkeypatch.setattr(model_files, "sha256_of", lambda p: calls.append(Path(p)) or real(p))
    verify_published(done.path)
    verify_published(done.path)
    assert len(calls) == 1

"""A model file never runs code: a pickle payload does nothing whether it is passed as
``model``, placed under the expected file name in ``$EARTHSIGHT_WEIGHTS_DIR`` or in the library's
own cache, for all six model-loading tools; a YAML payload is never built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("ultralytics")

from specialists.runtime.models import get_record
from tests.payloads import pickle_payload, scenes, tool_calls, yaml_payload
from tools import run_tool
from tools.core.errors import EarthSightError
from tools.core.workspace import Workspace

TOOLS = ("detect_objects", "segment", "map_water", "detect_changes", "estimate_biomass",
         "classify_scene")


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, object]]:
    return tool_calls(scenes(tmp_path_factory.mktemp("scenes")))


def _refused(tool: str, args: dict[str, object], ws: Path, marker: Path) -> str:
    with pytest.raises(EarthSightError) as info:
        run_tool(tool, args, Workspace(ws))
    assert not marker.exists(), f"{tool}: the payload ran"
    return str(info.value)


@pytest.mark.parametrize("tool", TOOLS)
def test_payload_given_as_model(tool: str, calls: dict[str, tuple[str, object]],
                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "empty"))
    marker = tmp_path / "pwned"
    payload = pickle_payload(tmp_path / "my_model.pt", marker)
    _, make = calls[tool]
    message = _refused(tool, make(str(payload)), tmp_path / "ws", marker)  # type: ignore[operator]
    assert "my_model.pt is refused" in message


@pytest.mark.parametrize("tool", TOOLS)
def test_payload_under_the_expected_name_in_the_weights_dir(
        tool: str, calls: dict[str, tuple[str, object]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    record_name, make = calls[tool]
    record = get_record(record_name)
    marker = tmp_path / "pwned"
    pickle_payload(tmp_path / "weights" / record.weights, marker)
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "weights"))
    message = _refused(tool, make(None), tmp_path / "ws", marker)  # type: ignore[operator]
    assert f"{record.weights} is refused" in message
    if record.sha256:  # a published name: refused on its digest, before anything is read
        assert "not their content" in message and record.source in message
    else:
        assert "would run code" in message


@pytest.mark.parametrize("tool", TOOLS)
def test_payload_in_the_library_cache(tool: str, calls: dict[str, tuple[str, object]],
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record_name, make = calls[tool]
    record = get_record(record_name)
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "empty"))
    if record.library == "ultralytics":  # ultralytics' weights_dir setting
        config = tmp_path / "yolo-config"
        (config / "Ultralytics").mkdir(parents=True)
        (config / "Ultralytics" / "settings.json").write_text(
            json.dumps({"weights_dir": str(tmp_path / "ultra-weights")}))
        monkeypatch.setenv("YOLO_CONFIG_DIR", str(config))
        cache = tmp_path / "ultra-weights"
    else:  # torch hub's checkpoints
        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
        cache = tmp_path / "torch" / "hub" / "checkpoints"
    marker = tmp_path / "pwned"
    pickle_payload(cache / record.weights, marker)
    message = _refused(tool, make(None), tmp_path / "ws", marker)  # type: ignore[operator]
    assert f"{record.weights} is refused" in message


def test_yaml_payload_is_never_built(calls: dict[str, tuple[str, object]], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "empty"))
    marker = tmp_path / "pwned"
    config = yaml_payload(tmp_path / "yolo11n-custom.yaml", marker)
    _, make = calls["detect_objects"]
    message = _refused("detect_objects", make(str(config)), tmp_path / "ws",  # type: ignore[operator]
                       marker)
    assert "must be an ultralytics .pt checkpoint" in message
    # renamed to .pt it is no checkpoint at all: the restricted loader refuses it as well
    renamed = config.with_suffix(".pt")
    config.rename(renamed)
    message = _refused("detect_objects", make(str(renamed)), tmp_path / "ws",  # type: ignore[operator]
                       marker)
    assert "refused" in message

"""The sandbox: traversal attempts refused, relative paths resolved, pixel and job limits."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.checks import RequestChecks
from agent.errors import BusyError
from agent.runtime import make_runtime
from agent.sandbox import Sandbox
from tests.conftest import write_tiff
from tools.catalog import ALL_TOOLS
from tools.core.errors import InputError
from tools.core.registry import path_fields


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    """A sandbox over tmp/ws and tmp/data, with an outside folder tmp/out holding a secret."""
    (tmp_path / "ws").mkdir()
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    write_tiff(tmp_path / "out" / "secret.tif", np.ones((4, 4), dtype=np.uint8))
    write_tiff(tmp_path / "data" / "sub" / "a.tif", np.ones((4, 4), dtype=np.uint8))
    (tmp_path / "ws" / "link.tif").symlink_to(tmp_path / "out" / "secret.tif")
    return Sandbox(tmp_path / "ws", data_roots=[tmp_path / "data"], max_pixels=100)


ATTEMPTS = ["../out/secret.tif", "sub/../../out/secret.tif", "link.tif", "/etc/passwd",
            "http://example.com/a.tif", "s3://bucket/a.tif", "~/a.tif", "/vsicurl/http://x/a.tif",
            "../out/*.tif", "scene.vrt"]


@pytest.mark.parametrize("value", ATTEMPTS)
def test_traversal_attempts_are_refused(box: Sandbox, value: str) -> None:
    with pytest.raises(InputError) as info:
        box.resolve(value, "image")
    message = str(info.value)
    assert message.startswith("image:") and str(box.workspace) in message


def args_of(box: Sandbox, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """``args`` through one request's checks with ``box``'s path rules."""
    return RequestChecks(box, box.max_pixels).check_tool_args(tool, args)


def test_absolute_path_elsewhere_and_outside_glob_refused(box: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="outside"):
        box.resolve(str(tmp_path / "out" / "secret.tif"), "before")
    with pytest.raises(InputError, match="outside"):
        box.resolve(str(tmp_path / "out" / "*.tif"), "archive")
    with pytest.raises(InputError, match=r"link\.tif"):
        box.resolve("*.tif", "archive")  # matches the symlink that points out


def test_relative_paths_resolve_against_workspace_then_data_roots(box: Sandbox,
                                                                  tmp_path: Path) -> None:
    assert box.resolve("sub/a.tif", "image") == str(tmp_path / "data" / "sub" / "a.tif")
    assert box.resolve("new.tif", "image") == str(tmp_path / "ws" / "new.tif")
    assert box.resolve(str(tmp_path / "data" / "sub" / "a.tif"), "image").endswith("a.tif")
    assert box.resolve("$s1", "source") == "$s1"
    assert box.resolve("sub/*.tif", "archive") == str(tmp_path / "data" / "sub" / "*.tif")


def test_check_tool_args_uses_the_path_markers(box: Sandbox, tmp_path: Path) -> None:
    marked = {t.name: path_fields(t.input_model) for t in ALL_TOOLS}
    assert marked["detect_changes"] == ["region", "before", "after", "model"]
    models = {t.name: path_fields(t.input_model, "model") for t in ALL_TOOLS}
    assert {n for n, f in models.items() if f} == {
        "detect_objects", "segment", "detect_changes", "estimate_biomass", "classify_scene",
        "search_images", "map_water"}
    assert args_of(box, "detect_objects", {"image": "sub/a.tif", "model": "yolo11n"})[
        "model"] == "yolo11n"
    with pytest.raises(InputError, match=r"^model:"):
        args_of(box, "detect_objects", {"image": "sub/a.tif", "model": "/etc/passwd"})
    assert marked["measure"] == ["region", "source", "image"]
    assert marked["trend"] == ["region", "images"]
    # a region file goes through the sandbox; a bbox is numbers, no file
    with pytest.raises(InputError, match=r"^region:"):
        args_of(box, "map_water", {"image": "sub/a.tif", "region": "/etc/hosts"})
    assert args_of(box, "map_water", {"image": "sub/a.tif", "region": [1, 2, 3, 4]})[
        "region"] == [1, 2, 3, 4]
    out = args_of(box, "trend", {"images": ["sub/a.tif", "$s1"], "statistic": "mean"})
    assert out == {"images": [str(tmp_path / "data" / "sub" / "a.tif"), "$s1"],
                   "statistic": "mean"}
    with pytest.raises(InputError, match=r"images\[1\]"):
        args_of(box, "trend", {"images": ["sub/a.tif", "../out/secret.tif"]})
    with pytest.raises(InputError, match=r"^after:"):
        args_of(box, "detect_changes", {"before": "sub/a.tif", "after": "/etc/hosts"})
    with pytest.raises(InputError, match="unknown tool"):
        args_of(box, "rm_rf", {})


def test_result_file_pointing_outside_is_refused(box: Sandbox, tmp_path: Path) -> None:
    fake = tmp_path / "ws" / "c001-s1_map_water.json"
    fake.write_text('{"call": {"tool": "map_water", "args": {}}, "result": {"summary": "", '
                    f'"artifacts": [{{"path": "{tmp_path / "out" / "secret.tif"}"}}]}}}}')
    with pytest.raises(InputError, match="points at"):
        args_of(box, "measure", {"source": str(fake), "statistic": "area"})


def test_pixel_limit(box: Sandbox, tmp_path: Path) -> None:
    write_tiff(tmp_path / "data" / "big.tif", np.zeros((20, 20), dtype=np.uint8))
    checks = RequestChecks(box, box.max_pixels)
    with pytest.raises(InputError, match=r"20 x 20 = 400 pixels.*EARTHSIGHT_MAX_PIXELS"):
        checks.scenes(["big.tif"])
    assert [s.path for s in checks.scenes(["sub/a.tif"])] == [
        str(tmp_path / "data" / "sub" / "a.tif")]


def test_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_DATA_ROOTS", f"{tmp_path / 'a'}{__import__('os').pathsep}"
                       f"{tmp_path / 'b'}")
    monkeypatch.setenv("EARTHSIGHT_MAX_PIXELS", "1000")
    monkeypatch.setenv("EARTHSIGHT_MAX_JOBS", "3")
    box = Sandbox.from_env(tmp_path / "ws")
    assert box.max_pixels == 1000 and box.max_jobs == 3
    assert {tmp_path / "ws", tmp_path / "a", tmp_path / "b"} <= set(box.roots)
    monkeypatch.setenv("EARTHSIGHT_MAX_JOBS", "many")
    with pytest.raises(InputError, match="EARTHSIGHT_MAX_JOBS"):
        Sandbox.from_env(tmp_path / "ws")


def test_job_slots(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, sandbox=Sandbox(tmp_path, data_roots=[], max_jobs=1))
    assert runtime.limiter.max_jobs == 1
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with runtime.job():
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    assert entered.wait(5)
    with pytest.raises(BusyError, match="EARTHSIGHT_MAX_JOBS"), runtime.job(wait=False):
        pass
    release.set()
    worker.join(5)
    with runtime.job(wait=False):
        pass


def test_every_tool_marks_its_file_arguments() -> None:
    marked = {t.name: path_fields(t.input_model, "file") for t in ALL_TOOLS}
    assert all(marked[name] for name in marked), marked
    assert marked["detect_objects"] == ["region", "image"]
    assert marked["segment"] == ["region", "image", "boxes"]


def test_the_bundled_example_scenes_are_readable_by_default(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "data"
    sandbox = Sandbox(tmp_path)
    assert examples in sandbox.roots
    scene = "S1_2018_VV_VH_clip.tif"  # the name alone resolves in the bundled folder
    assert Path(sandbox.resolve(scene, "image")) == examples / scene

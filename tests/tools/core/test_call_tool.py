"""Tools calling tools through their context (``ToolContext.call_tool``): child calls go through
the same runner (validated arguments, own call id, own output prefix, own result record,
``call.parent`` provenance); composites made for an archive or a chain of tools never collide.

A fake CLIP encoder, YOLO detector and SAM are injected, so these run without model weights.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from pydantic import BaseModel

import tools.clip.remote as clip_remote
import tools.segmentation.segment as segmod
from specialists.runtime.models import DEFAULT_CLIP, get_record
from tests.conftest import write_tiff
from tests.tools.detection.test_hits import install_box_per_slice
from tests.tools.segmentation.test_segment import FakeSam
from tools.catalog import get_tool, run_tool
from tools.clip.classify_search import build_index
from tools.core.artifacts import Artifact, ToolCall, ToolResult
from tools.core.errors import InputError, ToolUnavailable
from tools.core.registry import ToolContext, ToolRecord, run_record, tool_record
from tools.core.workspace import Workspace

SIDE = 64


def scene_pattern(k: int) -> np.ndarray:
    """A (3, SIDE, SIDE) uint16 scene whose spatial pattern is its own: a horizontal ramp, a
    vertical ramp, or a checkerboard of 8 px cells (pairwise uncorrelated)."""
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    base = [cols, rows, ((rows // 8 + cols // 8) % 2) * SIDE][k % 3].astype(np.float64)
    return np.stack([1000 + 40 * base + 7 * b for b in range(3)]).astype(np.uint16)


def make_archive(root: Path, n: int) -> tuple[Path, list[Path]]:
    """A folder of ``n`` uint16 3-band scenes (not 8-bit: each needs a composite)."""
    folder = root / "archive"
    folder.mkdir()
    return folder, [write_tiff(folder / f"scene{k}.tif", scene_pattern(k)) for k in range(n)]


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel().astype(float), b.ravel().astype(float))[0, 1])


def assert_derived_from(composite: str | Path, scene: Path, others: Sequence[Path]) -> None:
    """The composite's band 1 follows its own scene's band 1, not any other scene's."""
    with rasterio.open(composite) as c, rasterio.open(scene) as s:
        assert (c.count, c.dtypes[0], c.width, c.height) == (3, "uint8", s.width, s.height)
        mine = c.read(1)
        assert correlation(mine, s.read(1)) > 0.95
    for other in others:
        with rasterio.open(other) as o:
            assert abs(correlation(mine, o.read(1))) < 0.5


def manifest(ws: Workspace) -> list[dict[str, Any]]:
    """The manifest's records: one JSON line each."""
    return [json.loads(line) for line in ws.manifest_path.read_text().splitlines()]


def composites(ws: Workspace) -> list[dict[str, Any]]:
    """The composites recorded in the manifest (whichever call they are recorded under)."""
    return [a for a in manifest(ws) if a["name"] == "rgb" and a["kind"] == "raster"]


def assert_one_composite_per_scene(ws: Workspace, scenes: Sequence[Path],
                                   expected: int | None = None) -> None:
    """Distinct composite files, each derived from exactly one scene, every scene covered."""
    files = sorted(str(p) for p in ws.root.glob("*_rgb.tif"))
    assert len(files) == (expected or len(scenes)), files
    paths = [a["path"] for a in composites(ws)]
    assert sorted(paths) == files  # each recorded once
    for art in composites(ws):
        scene = Path(art["call"]["args"]["image"])
        assert art["call"]["tool"] == "pseudo_rgb" and scene in scenes
        assert_derived_from(art["path"], scene, [s for s in scenes if s != scene])
    assert {Path(a["call"]["args"]["image"]) for a in composites(ws)} == set(scenes)


def assert_unique_ids(ws: Workspace) -> None:
    ids = [a["id"] for a in manifest(ws)]
    assert len(ids) == len(set(ids)), sorted(ids)


# --- fakes ------------------------------------------------------------------------------------

class FakeClip:
    """Embeds an image as its 4 x 4 x 3 block means (unit length): distinct pixels, distinct
    vectors; texts embed to a fixed unit vector."""

    image_size = 32
    batch = 4
    arch = "fake"
    device = "cpu"
    embed_dim = 48
    weights = "fake-clip.pt"

    def __init__(self) -> None:
        self.images: list[np.ndarray] = []

    def encode_images(self, images: Sequence[np.ndarray], batch: int | None = None
                      ) -> np.ndarray:
        self.images += [np.asarray(i) for i in images]
        vecs = np.stack([np.asarray(i, np.float64).reshape(4, 8, 4, 8, 3).mean(axis=(1, 3))
                         .ravel() for i in images])
        vecs -= vecs.mean(axis=1, keepdims=True)
        norm = np.linalg.norm(vecs, axis=1, keepdims=True)
        return np.asarray(vecs / np.where(norm > 0, norm, 1.0), np.float32)

    def encode_labels(self, labels: Sequence[str], templates: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(labels), self.embed_dim), np.float32)
        out[:, 0] = 1.0
        return out


@pytest.fixture
def fake_clip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeClip:
    monkeypatch.setenv("EARTHSIGHT_INDEX_DIR", str(tmp_path / "indexes"))
    enc = FakeClip()
    record = get_record(DEFAULT_CLIP)
    monkeypatch.setattr(clip_remote, "load_clip_model",  # in-process models load there
                        lambda spec, tool, device, batch: (record, enc))
    return enc


# --- the runner -------------------------------------------------------------------------------

class TwoArgs(BaseModel):
    """Arguments of the test tool."""

    first: str
    second: str


@tool_record(TwoArgs, ToolResult)
def composite_two(args: TwoArgs, ctx: ToolContext) -> ToolResult:
    """Composite two scenes through child pseudo_rgb calls."""
    made = [ctx.call_tool("pseudo_rgb", {"image": image}) for image in (args.first, args.second)]
    arts = [m.first("raster") for m in made]
    for art in arts:
        assert art is not None
        ctx.include(art)
    ctx.number("count", len(made), "count", "composites made")
    return ToolResult(summary="two composites")


def lookup(name: str) -> ToolRecord[Any, Any]:
    return composite_two if name == "composite_two" else get_tool(name)


def test_child_calls_go_through_the_runner(tmp_path: Path, workspace: Workspace) -> None:
    _, (a, b) = make_archive(tmp_path, 2)
    run = run_record(composite_two, {"first": str(a), "second": str(b)}, workspace, step="s1",
                     lookup=lookup)
    # own call id each (parent c001, children c002 and c003) and own output prefix c001-s1.<k>
    children = [workspace.root / "c001-s1.1_pseudo_rgb.json",
                workspace.root / "c001-s1.2_pseudo_rgb.json"]
    for k, (path, scene) in enumerate(zip(children, (a, b), strict=True), start=1):
        stored = json.loads(path.read_text())
        assert stored["call"] == {"tool": "pseudo_rgb", "args": {**stored["call"]["args"],
                                                                 "image": str(scene)},
                                  "step": None,
                                  "parent": {"call_id": "c001", "tool": "composite_two",
                                             "step": "s1"}}
        assert stored["call"]["args"]["mode"] == "auto"  # validated: defaults filled in
        assert stored["result"]["path"] == str(workspace.root / f"c001-s1.{k}_rgb.tif")
    assert_derived_from(workspace.root / "c001-s1.1_rgb.tif", a, [b])
    assert_derived_from(workspace.root / "c001-s1.2_rgb.tif", b, [a])
    # the parent's record: its own call has no parent; its result lists the included composites
    parent = json.loads(run.result_path.read_text())
    assert run.result_path == workspace.root / "c001-s1_composite_two.json"
    assert parent["call"] == {"tool": "composite_two",
                              "args": {"first": str(a), "second": str(b)}, "step": "s1"}
    assert sorted(x.id for x in run.result.artifacts) == ["c001-count", "c002-rgb", "c003-rgb"]
    # the manifest records every artifact once, the children's with their parent
    recorded = {x["id"]: x for x in manifest(workspace)}
    assert sorted(recorded) == ["c001-count", "c002-rgb", "c003-rgb"]
    for cid in ("c002-rgb", "c003-rgb"):
        call = ToolCall.model_validate(recorded[cid]["call"])
        assert call.parent is not None and (call.parent.call_id, call.parent.step) == ("c001",
                                                                                       "s1")
    assert "parent" not in recorded["c001-count"]["call"]
    assert workspace.new_call_id() == "c004"  # three calls so far


def test_grandchildren_nest_their_prefix(tmp_path: Path, workspace: Workspace) -> None:
    _, (a, b) = make_archive(tmp_path, 2)

    @tool_record(TwoArgs, ToolResult)
    def nested(args: TwoArgs, ctx: ToolContext) -> ToolResult:
        """Run composite_two as a child."""
        out = ctx.call_tool("composite_two", args.model_dump())
        return ToolResult(summary=out.summary)

    run_record(nested, {"first": str(a), "second": str(b)}, workspace,
               lookup=lambda n: nested if n == "nested" else lookup(n))
    names = sorted(p.name for p in workspace.root.glob("*_rgb.tif"))
    assert names == ["c001.1.1_rgb.tif", "c001.1.2_rgb.tif"]
    assert_unique_ids(workspace)


def test_child_errors_name_the_tool(tmp_path: Path, workspace: Workspace) -> None:
    _, (a, _) = make_archive(tmp_path, 2)

    @tool_record(TwoArgs, ToolResult)
    def asks(args: TwoArgs, ctx: ToolContext) -> ToolResult:
        """Call a tool named by the first argument."""
        return ctx.call_tool(args.first, {"image": args.second, "mode": "bogus"})

    with pytest.raises(InputError, match="unknown tool 'nope'"):
        run_record(asks, {"first": "nope", "second": str(a)}, workspace, lookup=lookup)
    with pytest.raises(InputError, match=r"pseudo_rgb: invalid arguments \(mode"):
        run_record(asks, {"first": "pseudo_rgb", "second": str(a)}, workspace, lookup=lookup)
    ctx = ToolContext(workspace=workspace, call=ToolCall(tool="asks", args={}), call_id="c0",
                      lookup=lambda name: (_ for _ in ()).throw(ToolUnavailable(name)))
    with pytest.raises(ToolUnavailable):
        ctx.call_tool("pseudo_rgb", {"image": str(a)})


# --- archives and chains ------------------------------------------------------------------


def test_indexing_an_archive_composites_each_scene_on_its_own(
        tmp_path: Path, workspace: Workspace, fake_clip: FakeClip) -> None:
    folder, scenes = make_archive(tmp_path, 3)
    run = run_tool("search_images", {"query": "a ramp", "archive": str(folder), "top_k": 3},
                   workspace, step="s1")
    assert_unique_ids(workspace)
    assert_one_composite_per_scene(workspace, scenes)  # one file per scene, from that scene
    made = composites(workspace)
    assert sorted(Path(a["path"]).name for a in made) == ["c001-s1.1_rgb.tif",
                                                          "c001-s1.2_rgb.tif",
                                                          "c001-s1.3_rgb.tif"]
    assert all(a["call"]["parent"]["tool"] == "search_images" for a in made)
    assert {a.id for a in run.result.artifacts} >= {a["id"] for a in made}
    # every scene was embedded from its own composite: three different vectors
    vecs = fake_clip.encode_images(fake_clip.images[:3])
    assert len({v.tobytes() for v in vecs}) == 3


def test_the_index_builder_composites_each_scene_on_its_own(
        tmp_path: Path, fake_clip: FakeClip) -> None:
    """``earthsight index`` builds the index with a context made by hand (no lookup given)."""
    folder, scenes = make_archive(tmp_path, 2)
    ws = Workspace(tmp_path / "composites")
    ctx = ToolContext(workspace=ws, call=ToolCall(tool="index", args={}),
                      call_id=ws.new_call_id())
    index, run, _, _ = build_index(str(folder), "arch", None, 512, ctx)
    index.close()
    assert run.added == 2
    assert_unique_ids(ws)
    assert_one_composite_per_scene(ws, scenes)
    paths = [a["path"] for a in composites(ws)]
    assert sorted(Path(p).name for p in paths) == ["c001.1_rgb.tif", "c001.2_rgb.tif"]


def test_search_then_detect_keeps_distinct_composites(
        tmp_path: Path, workspace: Workspace, fake_clip: FakeClip,
        monkeypatch: pytest.MonkeyPatch, fake_weights: Path) -> None:
    folder, scenes = make_archive(tmp_path, 2)
    found = run_tool("search_images", {"query": "a ramp", "archive": str(folder), "top_k": 2},
                     workspace, step="s1")
    assert len({h.scene for h in found.result.hits}) == 2  # type: ignore[attr-defined]
    install_box_per_slice(monkeypatch)
    res = run_tool("detect_objects", {"image": str(found.result_path), "tile_size": SIDE},
                   workspace, step="s2").result
    assert res.counts == {"plane": 2}  # type: ignore[attr-defined]
    assert_unique_ids(workspace)
    assert_one_composite_per_scene(workspace, scenes, expected=4)  # two per step
    made = composites(workspace)
    assert sorted(Path(a["path"]).name for a in made) == [
        "c001-s1.1_rgb.tif", "c001-s1.2_rgb.tif", "c004-s2.1_rgb.tif", "c004-s2.2_rgb.tif"]
    for art in made:
        assert art["call"]["parent"]["step"] == Path(art["path"]).name.split("-")[1][:2]
    assert {a.path for a in res.artifacts if a.name == "rgb"} == {
        str(workspace.root / "c004-s2.1_rgb.tif"), str(workspace.root / "c004-s2.2_rgb.tif")}


def test_detect_then_segment_keeps_distinct_composites(
        tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch,
        fake_weights: Path) -> None:
    _, (a, b) = make_archive(tmp_path, 2)
    install_box_per_slice(monkeypatch)
    sam = FakeSam()
    monkeypatch.setattr(segmod, "load_model", lambda model: (sam, "fake"))
    det = run_tool("detect_objects", {"image": str(a), "tile_size": SIDE}, workspace, step="s1")
    seg = run_tool("segment", {"image": str(a), "boxes": str(det.result_path)}, workspace,
                   step="s2").result
    both = run_tool("segment", {"image": str(b), "classes": ["plane"]}, workspace,
                    step="s3").result
    assert seg.count == 1 and both.count == 1  # type: ignore[attr-defined]
    assert_unique_ids(workspace)
    assert_one_composite_per_scene(workspace, [a, b], expected=4)
    # s3 (call c005)'s detection is its child c005-s3.1 (composite c005-s3.1.1), its own
    # composite is c005-s3.2
    assert both.detection == str(workspace.root / "c005-s3.1_detect_objects.json")
    made = composites(workspace)
    assert sorted(Path(x["path"]).name for x in made) == [
        "c001-s1.1_rgb.tif", "c003-s2.1_rgb.tif", "c005-s3.1.1_rgb.tif", "c005-s3.2_rgb.tif"]
    parents = {Path(x["path"]).name: x["call"]["parent"] for x in made}
    assert parents["c005-s3.1.1_rgb.tif"]["tool"] == "detect_objects"
    assert parents["c005-s3.1.1_rgb.tif"]["step"] is None  # the child detection: no plan step
    assert parents["c005-s3.2_rgb.tif"] == {"call_id": "c005", "tool": "segment", "step": "s3"}
    # segment lists no child artifact of its own accord: its numbers stay its own
    assert not [x for x in both.artifacts if isinstance(x, Artifact) and x.call.parent]


def test_a_dotted_step_is_refused(tmp_path: Path, workspace: Workspace) -> None:
    """Top-level prefixes never hold a dot, so ``<prefix>.<k>`` never names another call."""
    _, (a, _) = make_archive(tmp_path, 2)
    with pytest.raises(InputError, match="reserved for the output prefixes of child calls"):
        run_tool("describe_raster", {"image": str(a)}, workspace, step="s1.1")

"""classify_scene / search_images / `earthsight index` end to end on the real imagery with a
random-init CLIP checkpoint passed by path: plumbing (shapes, counts, footprints in the scene
CRS, incremental indexing), not quality."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
import rasterio

pytest.importorskip("open_clip")
pytest.importorskip("faiss")

from tools import InputError, ToolUnavailable, Workspace, run_tool
from tools.clip.classify_search import default_vocabulary

pytestmark = pytest.mark.realdata




def test_default_vocabulary_covers_the_standard_sets() -> None:
    labels, templates = default_vocabulary()
    assert len(labels) == len(set(labels)) >= 50
    for name in ("airport", "farmland", "harbor", "dense residential", "storage tank", "runway",
                 "mobile home park", "thermal power station", "viaduct", "chaparral"):
        assert name in labels
    assert all("{}" in t for t in templates) and len(templates) >= 3


def test_classify_images_folder_tiles_and_non_rgb(data_dir: Path, workspace: Workspace,
                                                  tiny: str) -> None:
    rgb = data_dir / "multispectral" / "rasterio_RGB.byte.tif"
    run = run_tool("classify_scene", {"images": [str(rgb), str(data_dir / "change/levir_cd/A")],
                                      "model": tiny, "top_k": 2}, workspace)
    out = run.result
    assert len(out.results) == 5 and all(r.tiles == 1 for r in out.results)
    assert all(len(r.labels) == 2 and 0 <= r.labels[1].score <= r.labels[0].score <= 1
               for r in out.results)
    assert sum(out.counts.values()) == 5 and "default" in out.vocabulary
    with open(out.table, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 and set(rows[0]) >= {"image", "label_1", "score_2"}
    assert sum(a.value or 0 for a in out.artifacts if a.name.startswith("count_")) == 5
    ms = data_dir / "multispectral" / "landsat8_LC08_232066_20190727.tif"  # 318 x 235, 6 bands
    out = run_tool("classify_scene", {"images": [str(ms)], "labels": ["farmland", "forest"],
                                      "model": tiny, "tile_size": 128}, workspace).result
    assert out.results[0].tiles == 6 and sum(out.results[0].tile_counts.values()) == 6
    assert any("pseudo_rgb" in w for w in out.warnings)
    with pytest.raises(InputError, match="at least two"):
        run_tool("classify_scene", {"images": [str(rgb)], "labels": ["farmland"],
                                    "model": tiny}, workspace)


def test_search_tiles_of_a_scene_with_footprints(data_dir: Path, workspace: Workspace,
                                                 tiny: str) -> None:
    scene = data_dir / "multispectral" / "rasterio_RGB.byte.tif"  # 791 x 718, EPSG:32618
    out = run_tool("search_images", {"query": "an airport", "archive": str(scene), "top_k": 4,
                                     "tile_size": 256, "model": tiny, "wgs84": True},
                   workspace).result
    assert out.index is not None and out.index.items == 12 and out.index.embedded == 12
    assert [h.rank for h in out.hits] == [1, 2, 3, 4]
    assert all(a.score >= b.score for a, b in zip(out.hits, out.hits[1:], strict=False))
    with rasterio.open(scene) as src:
        left, bottom, right, top = src.bounds
        for h in out.hits:
            assert h.crs == "EPSG:32618"
            x0, y0, x1, y1 = h.bounds
            assert left - 1e-6 <= x0 < x1 <= right + 1e-6
            assert bottom - 1e-6 <= y0 < y1 <= top + 1e-6
            w = h.window[2]
            assert (x1 - x0) == pytest.approx(w * src.transform.a)
    fc = json.loads(Path(out.path).read_text())
    assert fc["crs"]["properties"]["name"] == "EPSG:32618" and len(fc["features"]) == 4
    assert Path(out.path).with_suffix(".4326.geojson").is_file()
    # the same archive again: nothing to embed; by index name too
    again = run_tool("search_images", {"query": "a harbor", "archive": str(scene),
                                       "tile_size": 256, "model": tiny}, workspace).result
    assert again.index.embedded == 0 and again.index.unchanged == 1
    by_name = run_tool("search_images", {"query": "a harbor", "archive": out.index.name,
                                         "top_k": 2}, workspace).result
    assert by_name.index.items == 12 and len(by_name.hits) == 2
    with pytest.raises(InputError, match="built differently"):
        run_tool("search_images", {"query": "x", "archive": str(scene), "tile_size": 128,
                                   "model": tiny, "index": out.index.name}, workspace)


def test_incremental_folder_index(data_dir: Path, workspace: Workspace, tiny: str,
                                  tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    shutil.copytree(data_dir / "change" / "levir_cd" / "A", folder)
    shutil.copy(data_dir / "detection" / "neon_trees" / "OSBS_029.tif", folder)
    args = {"query": "trees", "archive": str(folder), "model": tiny, "index": "arch"}
    first = run_tool("search_images", args, workspace).result
    assert first.index.added == 5 and first.index.items == 5
    names = sorted(p.name for p in folder.glob("*.png"))
    (folder / names[0]).unlink()  # delete one
    os.utime(folder / names[1], ns=(1, 1))  # change one (mtime)
    shutil.copy(data_dir / "change" / "dsifn" / "A" / "0_2.png", folder / "new.png")  # add one
    second_run = run_tool("search_images", {**args, "top_k": 50}, workspace)
    second = second_run.result
    idx = second.index
    assert (idx.added, idx.updated, idx.removed, idx.unchanged) == (1, 1, 1, 3)
    assert idx.embedded == 2 and idx.items == 5 and len(second.hits) == 5
    assert str(folder / names[0]) not in {h.scene for h in second.hits}
    assert any("different CRSs" in w for w in second.warnings)  # PNGs + an EPSG:32617 tile
    # classify the hits of a search (a plan's "$s1")
    cls = run_tool("classify_scene", {"images": [str(second_run.result_path)], "model": tiny},
                   workspace)
    assert len(cls.result.results) == 5


def test_index_cli(data_dir: Path, tiny: str, index_dir: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli.main import main

    scene = data_dir / "detection" / "neon_trees" / "OSBS_029.tif"
    assert main(["index", str(scene), "--index", "neon", "--model", tiny, "--tile-size", "100",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["items"] == 16 and data["embedded"] == 16 and data["name"] == "neon"
    assert main(["index", "neon"]) == 0  # refresh by name: the model recorded in the index
    assert "16 scenes/tiles" in capsys.readouterr().out
    assert (index_dir / "neon" / "index.sqlite").is_file()
    assert main(["index", "no-such-index"]) == 2


def test_missing_weights_say_how(data_dir: Path, workspace: Workspace, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("EARTHSIGHT_WEIGHTS_DIR", raising=False)
    scene = str(data_dir / "multispectral" / "rasterio_RGB.byte.tif")
    with pytest.raises(ToolUnavailable) as info:
        run_tool("classify_scene", {"images": [scene]}, workspace)
    msg = str(info.value)
    assert "RemoteCLIP-ViT-B-32.pt" in msg and "EARTHSIGHT_WEIGHTS_DIR" in msg
    assert "(1)" in msg and "(2)" in msg and "(3)" in msg
    with pytest.raises(InputError, match="does not exist"):
        run_tool("search_images", {"query": "x", "archive": scene, "model": "/nope/m.pt"},
                 workspace)
    with pytest.raises(InputError, match="detect"):
        run_tool("search_images", {"query": "x", "archive": scene, "model": "yolo11n"},
                 workspace)

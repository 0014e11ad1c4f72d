"""The CLIP tools on a 2-worker Dask LocalCluster (127.0.0.1) give what they give in-process:
``classify_scene`` over a set of real images (DOTA, SpaceNet through pseudo_rgb, NEON) and over
the tiles of one scene (a real one and a generated one beyond the whole-image size), and
``earthsight index`` / ``search_images`` over a real archive: equal results, tables, numbers
and summaries, byte-equal index files (SQLite records with the embedding blobs, FAISS vectors),
bit-equal embeddings and probabilities. Each result records the scheduler, >= 4 tasks and both
workers; each worker loads the random-init tiny CLIP once; progress counts the same windows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("open_clip")
pytest.importorskip("faiss")
pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")

from specialists.runtime.cluster import CLUSTER_ENV, DaskExecutor
from specialists.runtime.worker_models import ModelSpec, load_counts
from tests.conftest import MakeTiff
from tools import InputError, Workspace, run_tool
from tools.clip.archive import prepare, scene_embeddings, scene_items
from tools.clip.models import load_clip_batched
from tools.clip.remote import RemoteClip, remote_clip
from tools.core.artifacts import ToolCall, ToolResult
from tools.core.registry import ToolContext
from tools.geo.fanout import TileRunner

pytestmark = pytest.mark.realdata

DOTA = "detection/dota/images"
SET = [f"{DOTA}/P0004__1__0___0.png",              # 285 x 294, 4 bands (RGBA)
       f"{DOTA}/P1888.png",                        # 712 x 557
       "detection/spacenet_buildings/sample_geotiff.tif",  # 900 x 900 uint16: pseudo_rgb
       "detection/neon_trees/OSBS_029.tif"]        # 400 x 400, EPSG:32617
SCENE = "multispectral/rasterio_RGB.byte.tif"      # 791 x 718, EPSG:32618
LEVIR = "change/levir_cd/A/*.png"                  # four 256 x 256 chips
LABELS = ["airport", "farmland", "forest", "harbor", "dense residential", "parking lot"]




Events = list[tuple[str, int, int]]


def _both(tool: str, args: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
          ) -> tuple[Any, Any, Events, Events]:
    """The tool in-process, then on the local cluster: (here, there, progress here/there)."""
    events: tuple[Events, Events] = ([], [])
    results = []
    for n, cluster in enumerate((None, "local:2")):
        if cluster is None:
            monkeypatch.delenv(CLUSTER_ENV, raising=False)
        else:
            monkeypatch.setenv(CLUSTER_ENV, cluster)
        seen = events[n]

        def progress(stage: str, done: int, total: int, seen: Events = seen) -> None:
            seen.append((stage, done, total))

        ws = Workspace(tmp_path / ("here", "there")[n])
        results.append(run_tool(tool, args, ws, progress=progress).result)
    return results[0], results[1], events[0], events[1]


def _assert_ran_on(there: ToolResult, local2: DaskExecutor, min_tasks: int) -> None:
    run = there.cluster
    assert run is not None and run.scheduler == local2.scheduler
    assert run.tasks >= min_tasks >= 4
    workers = set(local2.client.scheduler_info()["workers"])
    assert len(workers) == 2 and set(run.workers) == workers


def _same_classes(here: Any, there: Any) -> None:
    assert here.cluster is None
    assert here.results == there.results and here.counts == there.counts
    assert Path(here.table).read_bytes() == Path(there.table).read_bytes()
    assert {a.name: (a.value, a.units) for a in here.artifacts if a.kind == "number"} == \
        {a.name: (a.value, a.units) for a in there.artifacts if a.kind == "number"}
    assert here.model == there.model and here.vocabulary == there.vocabulary
    assert here.summary == there.summary and here.warnings == there.warnings


def _loads(local2: DaskExecutor, spec: ModelSpec) -> list[int]:
    """Loads of ``spec`` each worker made so far."""
    return sorted(c.get(spec.name, 0) for c in local2.client.run(load_counts).values())


def test_classify_a_set_of_real_images(data_dir: Path, tiny: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       local2: DaskExecutor) -> None:
    args = {"images": [str(data_dir / p) for p in SET], "model": tiny, "labels": LABELS,
            "top_k": 3, "batch": 2, "device": "cpu"}
    here, there, seen_here, seen_there = _both("classify_scene", args, tmp_path, monkeypatch)
    _same_classes(here, there)
    assert [r.tiles for r in there.results] == [1, 1, 1, 1]  # whole images: one task each
    assert any("pseudo_rgb" in w for w in there.warnings)  # the SpaceNet uint16 band
    _assert_ran_on(there, local2, 5)  # 4 images + the label prompts
    stages = [e for e in seen_there if e[0] == "classify"]
    assert stages == [e for e in seen_here if e[0] == "classify"]
    assert stages == [("classify", n, 4) for n in range(1, 5)]
    assert _loads(local2, ModelSpec(load_clip_batched, (tiny, None, "cpu", 2))) == [1, 1]


def test_classify_the_tiles_of_one_scene(data_dir: Path, tiny: str, tmp_path: Path,
                                         make_tiff: MakeTiff, monkeypatch: pytest.MonkeyPatch,
                                         local2: DaskExecutor) -> None:
    # 791 x 718 px at 200 px tiles: 16 tiles, 5 a forward pass -> 4 embedding tasks
    args = {"images": [str(data_dir / SCENE)], "model": tiny, "labels": LABELS,
            "tile_size": 200, "batch": 5, "device": "cpu"}
    here, there, seen_here, seen_there = _both("classify_scene", args, tmp_path, monkeypatch)
    _same_classes(here, there)
    assert there.results[0].tiles == 16 and sum(there.results[0].tile_counts.values()) == 16
    _assert_ran_on(there, local2, 5)
    assert [e for e in seen_there if e[0] == "classify"] == \
        [e for e in seen_here if e[0] == "classify"] == [("classify", n, 16) for n in
                                                         (5, 10, 15, 16)]
    # beyond 2048 px the default cuts 512 px tiles: 2600 x 700 -> 6 x 2 = 12 windows
    rng = np.random.default_rng(7)
    big = make_tiff("big.tif", rng.integers(0, 256, (3, 700, 2600), dtype=np.uint8))
    args = {"images": [str(big)], "model": tiny, "labels": LABELS, "batch": 5, "device": "cpu"}
    here, there, _, _ = _both("classify_scene", args, tmp_path / "big", monkeypatch)
    _same_classes(here, there)
    assert there.results[0].tiles == 12
    _assert_ran_on(there, local2, 4)  # 3 embedding tasks + the label prompts


def test_embeddings_and_probabilities_are_bit_equal(data_dir: Path, tiny: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    local2: DaskExecutor) -> None:
    monkeypatch.setenv(CLUSTER_ENV, "local:2")
    ws = Workspace(tmp_path / "ws")
    ctx = ToolContext(workspace=ws, call=ToolCall(tool="t", args={}), call_id=ws.new_call_id())
    runner = TileRunner(ctx)
    remote = remote_clip(runner, tiny, None, "cpu", 3)
    local = load_clip_batched(tiny, None, "cpu", 3)
    assert isinstance(remote, RemoteClip) and remote.batch == local.batch == 3
    assert (remote.logit_scale, remote.embed_dim, remote.weights) == \
        (local.logit_scale, local.embed_dim, local.weights)
    work = []
    for rel, tile in ((SCENE, 256), (SET[0], 100)):  # 4 x 3 and 3 x 3 windows
        scene = prepare(data_dir / rel, None, "images")
        work.append((scene, scene_items(scene, tile, None)))
    here = list(scene_embeddings(work, local))
    there = list(scene_embeddings(work, remote))
    assert [len(e) for e in there] == [12, 9]
    assert all(np.array_equal(a, b) for a, b in zip(here, there, strict=True))
    labels = np.asarray(local.encode_labels(LABELS))
    assert np.array_equal(labels, remote.encode_labels(LABELS))
    assert np.array_equal(local.probabilities(here[0], labels),
                          remote.probabilities(there[0], labels))
    run = runner.record()
    assert run is not None and run.tasks == 4 + 3 + 1  # per scene: ceil(n / 3); one text task
    with pytest.raises(RuntimeError, match="workers"):
        remote.encode_images([])


def _index_files(root: Path) -> tuple[bytes, list[tuple[Any, ...]], bytes]:
    """The index's SQLite file, its records (info, files, items with vectors), its FAISS file."""
    db = sqlite3.connect(root / "index.sqlite")
    try:
        records = [tuple(r) for table in ("info", "files", "items")
                   for r in db.execute(f"SELECT * FROM {table} ORDER BY 1")]
    finally:
        db.close()
    faiss_files = sorted(root.glob("vectors.g*.faiss"))
    assert len(faiss_files) == 1
    return (root / "index.sqlite").read_bytes(), records, faiss_files[0].read_bytes()


def test_index_and_search_an_archive(data_dir: Path, tiny: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str],
                                     local2: DaskExecutor) -> None:
    from agent.cli.main import main

    archive = str(data_dir / LEVIR)
    out: list[dict[str, Any]] = []
    for n, cluster in enumerate((None, "local:2")):
        if cluster is None:
            monkeypatch.delenv(CLUSTER_ENV, raising=False)
        else:
            monkeypatch.setenv(CLUSTER_ENV, cluster)
        monkeypatch.setenv("EARTHSIGHT_INDEX_DIR", str(tmp_path / ("here", "there")[n]))
        assert main(["index", archive, "--index", "levir", "--model", tiny, "--batch", "2",
                     "--device", "cpu", "--json"]) == 0
        out.append(json.loads(capsys.readouterr().out))
    here, there = out
    assert "cluster" not in here
    run = there.pop("cluster")
    assert run["scheduler"] == local2.scheduler and run["tasks"] == 4  # one task per chip
    assert sorted(run["workers"]) == sorted(local2.client.scheduler_info()["workers"])
    assert {**here, "path": ""} == {**there, "path": ""}
    assert here["added"] == here["embedded"] == here["items"] == 4
    files_here = _index_files(tmp_path / "here" / "levir")
    files_there = _index_files(tmp_path / "there" / "levir")
    assert files_here[1] == files_there[1]  # records, embedding blobs included
    assert files_here[0] == files_there[0] and files_here[2] == files_there[2]  # the files
    assert len(files_here[1]) > 8
    monkeypatch.setenv("EARTHSIGHT_INDEX_DIR", str(tmp_path / "plain"))  # the plain-text line
    assert main(["index", archive, "--index", "levir", "--model", tiny, "--batch", "2",
                 "--device", "cpu"]) == 0
    assert f"Embedded on {local2.scheduler}: 4 task(s) on 2 worker(s)." in " ".join(
        capsys.readouterr().out.split())
    # search_images on the cluster index (nothing new to embed; the query on a worker)
    found: list[Any] = []
    for cluster in (None, "local:2"):
        if cluster is None:
            monkeypatch.delenv(CLUSTER_ENV, raising=False)
        else:
            monkeypatch.setenv(CLUSTER_ENV, cluster)
        found.append(run_tool("search_images", {"query": "buildings", "archive": "levir",
                                                "top_k": 4, "batch": 2, "device": "cpu"},
                              Workspace(tmp_path / f"search-{cluster}")).result)
    a, b = found
    assert a.hits == b.hits and len(a.hits) == 4 and a.summary == b.summary
    assert a.cluster is None and b.cluster is not None and b.cluster.tasks == 1
    assert b.index is not None and b.index.embedded == 0 and b.index.cluster is not None


def test_a_refused_checkpoint_is_the_same_error(data_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                local2: DaskExecutor) -> None:
    import torch

    bad = tmp_path / "not_clip.pt"
    torch.save({"state_dict": {"head.weight": torch.zeros(2, 2)}}, bad)
    args = {"images": [str(data_dir / SET[0])], "model": str(bad), "device": "cpu"}
    messages = []
    for cluster in (None, "local:2"):
        if cluster is None:
            monkeypatch.delenv(CLUSTER_ENV, raising=False)
        else:
            monkeypatch.setenv(CLUSTER_ENV, cluster)
        with pytest.raises(InputError, match="cannot tell the architecture") as info:
            run_tool("classify_scene", args, Workspace(tmp_path / f"ws-{cluster}"))
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    # the refused model is not left registered for workers that join later
    plugins = local2.client.run_on_scheduler(lambda dask_scheduler: list(
        dask_scheduler.worker_plugins))
    assert ModelSpec(load_clip_batched, (str(bad), None, "cpu", None)).name not in plugins

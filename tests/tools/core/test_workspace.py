"""The workspace: call ids unique across processes, an append-only manifest, old manifests
still read, and the temporaries of killed runs removed (never those of live ones)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from specialists.runtime.atomic import host_tag, sibling_temp
from tests.conftest import MakeTiff
from tools import run_tool
from tools.core.artifacts import Artifact, ToolCall
from tools.core.workspace import COUNTER, LEGACY_MANIFEST, Workspace

ROOT = Path(__file__).resolve().parents[3]

WRITER = textwrap.dedent("""
    import sys
    from tools.core.artifacts import Artifact, ToolCall
    from tools.core.workspace import Workspace
    ws = Workspace(sys.argv[1])
    for _ in range(int(sys.argv[2])):
        cid = ws.new_call_id()
        call = ToolCall(tool="t", args={"writer": sys.argv[3]})
        ws.record([Artifact(id=f"{cid}-{k}", name=str(k), kind="number", value=k, call=call)
                   for k in range(3)])
""")


def _art(cid: str, name: str = "x") -> Artifact:
    return Artifact(id=f"{cid}-{name}", name=name, kind="number", value=1.0,
                    call=ToolCall(tool="t", args={}))


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_call_ids_and_records_from_concurrent_processes(tmp_path: Path) -> None:
    """8 processes allocate 20 ids each and append 3 records per id, all at once."""
    ws = Workspace(tmp_path / "ws")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(ws.root), "20", str(n)],
                              cwd=ROOT) for n in range(8)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    lines = ws.manifest_path.read_text().splitlines()
    assert len(lines) == 8 * 20 * 3  # every record kept, one line each
    ids = [json.loads(line)["id"] for line in lines]
    assert len(set(ids)) == len(ids)
    calls = {i.split("-")[0] for i in ids}
    assert calls == {f"c{n:03d}" for n in range(1, 161)}  # no id twice, none skipped
    # the 3 records of one call are appended together, never interleaved with another's
    for k in range(0, len(ids), 3):
        assert len({i.split("-")[0] for i in ids[k:k + 3]}) == 1
    writers = {a.call.args["writer"] for a in ws.artifacts()}
    assert writers == {str(n) for n in range(8)}
    assert ws.new_call_id() == "c161"


def test_the_manifest_is_appended_never_rewritten(workspace: Workspace) -> None:
    workspace.record([_art("c001", "a"), _art("c001", "b")])
    first = workspace.manifest_path.read_bytes()
    workspace.record([_art("c002")])
    assert workspace.manifest_path.read_bytes().startswith(first)
    assert [a.id for a in workspace.artifacts()] == ["c001-a", "c001-b", "c002-x"]
    workspace.record([])
    assert len(workspace.manifest_path.read_text().splitlines()) == 3


def test_a_line_a_killed_writer_left_unfinished_is_skipped(workspace: Workspace) -> None:
    workspace.record([_art("c001")])
    with workspace.manifest_path.open("a") as fh:
        fh.write('{"id": "c002-x", "name": "x", "ki')  # killed in the middle of a line
    assert [a.id for a in workspace.artifacts()] == ["c001-x"]
    workspace.record([_art("c003")])
    assert [a.id for a in workspace.artifacts()] == ["c001-x", "c003-x"]


def test_a_workspace_written_before_keeps_its_records_and_ids(workspace: Workspace) -> None:
    """An old ``manifest.json`` (a counter and every record) is read, never rewritten; new
    ids continue after its counter, and its ``s1_*`` files stay as they are."""
    old = [_art("c001", "area").model_dump(mode="json"),
           _art("c002", "mean").model_dump(mode="json")]
    legacy = workspace.root / LEGACY_MANIFEST
    legacy.write_text(json.dumps({"calls": 5, "artifacts": old}, indent=1))
    (workspace.root / "s1_water_mask.tif").write_bytes(b"old mask")
    before = legacy.read_bytes()
    cid = workspace.new_call_id()
    assert cid == "c006"
    workspace.record([_art(cid)])
    assert [a.id for a in workspace.artifacts()] == ["c001-area", "c002-mean", "c006-x"]
    assert legacy.read_bytes() == before
    assert (workspace.root / "s1_water_mask.tif").read_bytes() == b"old mask"


def test_a_lost_counter_never_hands_out_an_id_in_use(workspace: Workspace) -> None:
    assert [workspace.new_call_id() for _ in range(3)] == ["c001", "c002", "c003"]
    workspace.record([_art("c002")])
    (workspace.root / COUNTER).unlink()
    (workspace.root / "c004-s1_ndvi.tif").write_bytes(b"x")  # files of a call not recorded
    (workspace.root / "c005_rgb.tif").write_bytes(b"x")
    assert workspace.new_call_id() == "c006"
    (workspace.root / COUNTER).write_text("garbled")
    assert workspace.new_call_id() == "c006"  # after the highest id of the records and files
    (workspace.root / "c007.1_rgb.tif").write_bytes(b"x")
    assert workspace.new_call_id() == "c008"  # the counter says c007, but a file is named so


def test_orphan_temporaries_go_with_the_next_run_live_ones_stay(
        make_tiff: MakeTiff, workspace: Workspace) -> None:
    """A temporary whose writer process is gone is removed when the next run in the workspace
    starts; one of a live process (it may still be writing), another machine's, and files
    that are no temporaries of ours stay."""
    dead = _dead_pid()
    orphan = workspace.root / f".c001_ndvi.part-{host_tag()}-{dead}-0123abcd.tif"
    sidecar = workspace.root / f"{orphan.name}.aux.xml"  # made by GDAL beside the temporary
    raw = workspace.root / f".c001-s1_water_mask.raw-{host_tag()}-{dead}-89abcdef.tif"
    live = sibling_temp(workspace.root / "c002_ndvi.tif")
    assert f"-{os.getpid()}-" in live.name
    elsewhere = workspace.root / f".c001_rgb.part-{'0' * 6}-{dead}-0123abcd.tif"
    other = [workspace.root / ".keep", workspace.root / ".x.part-0123abcd.tif",
             workspace.root / f"notes-{dead}.txt"]
    for path in (orphan, sidecar, raw, live, elsewhere, *other):
        path.write_bytes(b"half")
    run_tool("describe_raster", {"image": str(make_tiff("a.tif", np.ones((8, 8), "uint8")))},
             workspace)
    assert not orphan.exists() and not sidecar.exists() and not raw.exists()
    assert live.exists() and elsewhere.exists() and all(p.exists() for p in other)

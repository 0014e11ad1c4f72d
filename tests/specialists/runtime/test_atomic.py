"""Atomic writes: the temporary beside the destination is renamed on success, removed on error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specialists.runtime.atomic import (
    atomic_path,
    host_tag,
    remove_orphans,
    scratch_path,
    sibling_temp,
    temp_owner,
)


def test_success_renames_into_place(tmp_path: Path) -> None:
    dest = tmp_path / "sub" / "out.tif"
    with atomic_path(dest) as tmp:
        assert tmp.parent == dest.parent and tmp.name.startswith(".out.part-")
        assert tmp.suffix == ".tif" and not dest.exists()
        tmp.write_text("new")
    assert dest.read_text() == "new" and [p.name for p in dest.parent.iterdir()] == ["out.tif"]
    with atomic_path(dest) as tmp:  # replaces
        tmp.write_text("newer")
    assert dest.read_text() == "newer"


def test_error_leaves_the_destination_and_no_temporary(tmp_path: Path) -> None:
    dest = tmp_path / "out.json"
    dest.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert dest.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_no_replace_refuses_an_existing_file(tmp_path: Path) -> None:
    dest = tmp_path / "w.pt"
    with atomic_path(dest, replace=False) as tmp:
        tmp.write_text("first")
    with pytest.raises(FileExistsError), atomic_path(dest, replace=False) as tmp:
        tmp.write_text("second")
    assert dest.read_text() == "first" and [p.name for p in tmp_path.iterdir()] == ["w.pt"]


def test_scratch_is_always_removed(tmp_path: Path) -> None:
    with scratch_path(tmp_path / "codes.bin") as tmp:
        tmp.write_bytes(b"x")
    assert not list(tmp_path.iterdir())
    assert sibling_temp(tmp_path / "a.tif", "raw") != sibling_temp(tmp_path / "a.tif", "raw")


def test_a_temporary_names_its_machine_and_process(tmp_path: Path) -> None:
    tmp = sibling_temp(tmp_path / "c001-s1_water_mask.tif", "raw")
    assert tmp.name.startswith(f".c001-s1_water_mask.raw-{host_tag()}-{os.getpid()}-")
    assert tmp.suffix == ".tif"
    assert temp_owner(tmp.name) == (host_tag(), os.getpid())
    assert temp_owner(tmp.name + ".aux.xml") == (host_tag(), os.getpid())  # GDAL's sidecar
    assert temp_owner("c001-s1_water_mask.tif") is None
    assert temp_owner(".out.part-0123abcd.tif") is None  # an older name: no owner to ask


def test_remove_orphans_keeps_live_writers(tmp_path: Path) -> None:
    mine = sibling_temp(tmp_path / "a.tif")
    gone = tmp_path / f".a.part-{host_tag()}-{2**22 + 1}-0123abcd.tif"  # above pid_max
    for path in (mine, gone):
        path.write_bytes(b"x")
    assert remove_orphans(tmp_path) == [gone]
    assert mine.exists() and not gone.exists()
    assert remove_orphans(tmp_path / "absent") == []

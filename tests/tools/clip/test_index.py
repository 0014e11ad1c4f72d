"""Image index round trips (SQLite + FAISS): insert, update, delete, query, crash recovery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("faiss")

from specialists.clip.model import normalise
from tools.clip.index import ImageIndex, IndexMismatch, Item, is_index


def items(path: str, n: int) -> list[Item]:
    return [Item(path=path, col=i * 10, row=0, width=10, height=10, crs="EPSG:32633",
                 footprint=[[i, 0], [i + 1, 0], [i + 1, 1], [i, 1], [i, 0]]) for i in range(n)]


def vecs(rng: np.random.Generator, n: int, d: int = 16) -> np.ndarray:
    return normalise(rng.normal(size=(n, d)).astype(np.float32))


def test_insert_update_delete_query(tmp_path: Path, rng: np.random.Generator) -> None:
    root = tmp_path / "idx"
    a, b = vecs(rng, 3), vecs(rng, 2)
    with ImageIndex.open(root) as index:
        index.check_compatible(dim=16, tile_size=64)
        index.put_file("/a.tif", 1, 100, items("/a.tif", 3), a)
        index.put_file("/b.tif", 2, 200, items("/b.tif", 2), b)
        assert len(index) == 5 and index.files() == {"/a.tif": (1, 100), "/b.tif": (2, 200)}
        hit = index.search(a[1], 1)[0]
        assert (hit.path, hit.col) == ("/a.tif", 10) and hit.score == pytest.approx(1.0)
    assert is_index(root) and list(root.glob("vectors.g*.faiss"))
    with ImageIndex.open(root, create=False) as index:  # reopened from the files
        assert index.search(b[0], 1)[0].path == "/b.tif"
        new = vecs(rng, 1)
        index.put_file("/a.tif", 3, 101, items("/a.tif", 1), new)  # update: 3 items -> 1
        assert len(index) == 3 and index.files()["/a.tif"] == (3, 101)
        assert index.search(new[0], 1)[0].score == pytest.approx(1.0)
        assert all(h.path == "/b.tif" or h.col == 0 for h in index.search(a[1], 5))
        assert index.remove(["/b.tif"]) == 2
        hits = index.search(b[0], 10)
        assert [h.path for h in hits] == ["/a.tif"]
    assert len(list(root.glob("vectors.g*.faiss"))) == 1  # older generations dropped
    with ImageIndex.open(root) as index, pytest.raises(IndexMismatch, match="tile_size"):
        index.check_compatible(dim=16, tile_size=128)
    with pytest.raises(FileNotFoundError):
        ImageIndex.open(tmp_path / "none", create=False)


def test_stale_or_missing_vectors_are_rebuilt(tmp_path: Path, rng: np.random.Generator) -> None:
    root = tmp_path / "idx"
    v = vecs(rng, 4)
    with ImageIndex.open(root) as index:
        index.put_file("/a.tif", 1, 1, items("/a.tif", 4), v)
    for f in root.glob("vectors.g*.faiss"):  # as after a crash before the vectors were written
        f.unlink()
    with ImageIndex.open(root) as index:
        assert [h.col for h in index.search(v[2], 1)] == [20]
        with pytest.raises(IndexMismatch, match="dimensions"):
            index.search(np.ones(8, np.float32), 1)
        with pytest.raises(ValueError, match="items but vectors"):
            index.put_file("/c.tif", 1, 1, items("/c.tif", 2), v)
    empty = ImageIndex.open(tmp_path / "empty")
    assert empty.search(v[0], 3) == []
    empty.close()

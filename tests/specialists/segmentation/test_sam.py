"""SAM loading (architecture read from the checkpoint), prompt decoding, and the tiling
bookkeeping (windows per prompt, cross-window merging, overlaps, painting)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from specialists.segmentation import sam_tiles as st
from specialists.tiling import Window, slice_windows

torch = pytest.importorskip("torch")
pytest.importorskip("segment_anything")

from specialists.segmentation import sam  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sam.tiny_checkpoint(tmp_path_factory.mktemp("w") / "sam_tiny.pth")


def test_tiny_checkpoint_round_trip(tiny: Path) -> None:
    seg = sam.load_sam(tiny, "cpu")
    assert seg.arch.encoder == "vit" and seg.arch.embed_dim == 32 and seg.arch.depth == 2
    assert seg.arch.num_heads == 2 and seg.arch.global_attn == (1,) and seg.arch.window_size == 4
    assert seg.tile_side == 256 and seg.device == "cpu"
    again = sam.build_sam(sam.infer_arch(sam.read_state_dict(tiny)))
    for k, v in again.state_dict().items():
        assert v.shape == seg.model.state_dict()[k].shape


def test_official_architectures_are_read_from_their_tensors() -> None:
    from segment_anything import sam_model_registry

    state = sam_model_registry["vit_b"]().state_dict()
    arch = sam.infer_arch(state)
    assert arch.name == "vit_b" and arch.global_attn == (2, 5, 8, 11) and arch.window_size == 14
    assert arch.num_heads == 12 and arch.img_size == 1024 and arch.prompt_dim == 256
    sam.build_sam(arch).load_state_dict(state, strict=True)


def test_mobile_sam_vit_t_is_read_from_its_tensors() -> None:
    pytest.importorskip("mobile_sam")
    model = sam.build_sam(sam.SamArch(encoder="tiny_vit"))
    arch = sam.infer_arch(model.state_dict())
    assert arch.name == "vit_t" and arch.encoder == "tiny_vit"


def test_wrapped_state_dict_and_bad_files(tmp_path: Path, tiny: Path) -> None:
    wrapped = tmp_path / "wrapped.pt"
    torch.save({"model": torch.load(tiny, weights_only=True)}, wrapped)
    assert sam.load_sam(wrapped).arch.embed_dim == 32
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(sam.SamLoadError, match="PyTorch checkpoint"):
        sam.read_state_dict(junk)
    other = tmp_path / "other.pth"
    torch.save({"weight": torch.zeros(2)}, other)
    with pytest.raises(sam.SamLoadError, match="not a SAM checkpoint"):
        sam.load_sam(other)


def test_prompts_decode_on_the_window_grid(tiny: Path) -> None:
    seg = sam.load_sam(tiny)
    rgb = np.random.default_rng(0).integers(0, 255, (200, 240, 3), dtype=np.uint8)
    seg.set_image(rgb)
    boxes = np.array([[10, 10, 60, 50], [100, 80, 200, 190]] * 10, dtype=float)
    hits = seg.predict_boxes(boxes, row_off=1000, col_off=2000)
    pts = seg.predict_points(np.array([[5.0, 5.0], [150.0, 120.0]]), 1000, 2000)
    assert seg.embed_calls == 1 and len(hits) == 20 and len(pts) == 2
    for hit in [*hits, *pts]:
        if hit is None:
            continue
        row, col, crop, score = hit
        assert crop.dtype == bool and crop.any()
        assert row >= 1000 and row + crop.shape[0] <= 1200
        assert col >= 2000 and col + crop.shape[1] <= 2240
        assert np.isfinite(score)


def test_decoding_before_embedding_is_refused(tiny: Path) -> None:
    with pytest.raises(RuntimeError, match="set_image"):
        sam.load_sam(tiny).predict_boxes(np.array([[0, 0, 5, 5]]))


def test_plan_windows_groups_by_tile_and_centres_straddlers() -> None:
    needs = np.array([[10, 10, 50, 50],      # inside window (0, 0)
                      [300, 20, 340, 60],    # inside window (192, 0) only
                      [60, 70, 90, 100],     # inside (0, 0) too: same embedding
                      [230, 230, 300, 300],  # inside window (192, 192)
                      [100, 240, 200, 300],  # straddles (0, 192)/(192, 192)? inside (0,192)
                      [150, 100, 290, 160]])  # 140 px wide across the overlap: own window
    plan = st.plan_windows(needs, 500, 400, 256, 64)
    where = {i: pw.window for pw in plan for i in pw.indices}
    assert where[0] == where[2] == (0, 0, 256, 256)
    for i, (x0, y0, x1, y1) in enumerate(needs):
        col, row, w, h = where[i]
        assert col <= x0 and row <= y0 and x1 <= col + w and y1 <= row + h
        assert col >= 0 and col + w <= 500 and row + h <= 400
    assert sum(len(pw.indices) for pw in plan) == len(needs)
    centred = where[5]
    assert centred[2] == 256 and abs((centred[0] + 128) - 220) <= 1


def test_big_box_gets_a_window_that_holds_it() -> None:
    plan = st.plan_windows(np.array([[10, 10, 600, 300]]), 1000, 1000, 256, 64)
    col, row, w, h = plan[0].window
    assert col <= 10 and row <= 10 and col + w >= 600 and row + h >= 300


def test_slice_windows_cover_the_scene_with_full_windows() -> None:
    wins = slice_windows(500, 300, 256, 64)
    cover = np.zeros((300, 500), bool)
    for col, row, w, h in wins:
        assert (w, h) == (256, 256)
        cover[row:row + h, col:col + w] = True
    assert cover.all()


def _piece(r0: int, c0: int, r1: int, c1: int, win: Window, score: float = 0.9) -> st.Piece:
    wc, wr, ww, wh = win
    rr0, cc0, rr1, cc1 = max(r0, wr), max(c0, wc), min(r1, wr + wh), min(c1, wc + ww)
    return st.Piece(rr0, cc0, np.ones((rr1 - rr0, cc1 - cc0), bool), score, -1, win)


def test_merge_across_windows_keeps_each_object_once() -> None:
    a, b = Window(0, 0, 100, 100), Window(70, 0, 100, 100)   # overlap columns 70..100
    pieces = [
        _piece(10, 75, 30, 95, a), _piece(10, 75, 30, 95, b),     # whole in the overlap
        _piece(40, 50, 60, 130, a), _piece(40, 50, 60, 130, b),   # cut by both windows
        _piece(70, 60, 90, 90, a), _piece(70, 60, 90, 90, b, 0.95),  # cut by a, whole in b
        _piece(5, 5, 20, 20, a), _piece(8, 8, 12, 12, a),         # nested, same window: kept
        _piece(50, 140, 60, 160, b),
    ]
    merged = st.merge_across_windows(pieces)
    boxes = sorted(p.bounds for p in merged)
    assert boxes == sorted([(10, 75, 30, 95), (40, 50, 60, 130), (70, 60, 90, 90),
                            (5, 5, 20, 20), (8, 8, 12, 12), (50, 140, 60, 160)])
    full = next(p for p in merged if p.bounds == (40, 50, 60, 130))
    assert full.mask.all() and full.pixels == 20 * 80


def test_resolve_overlaps_and_paint() -> None:
    win = Window(0, 0, 50, 50)
    hi = _piece(0, 0, 10, 10, win, 0.9)
    lo = _piece(5, 5, 20, 20, win, 0.5)
    out = st.resolve_overlaps([lo, hi])
    assert [p.score for p in out] == [0.9, 0.5]
    assert out[0].pixels == 100 and out[1].pixels == 15 * 15 - 25
    img = st.paint(out, [1, 2], Window(0, 0, 30, 30), "uint16")
    assert img is not None and img.dtype == np.uint16
    assert (img == 1).sum() == 100 and (img == 2).sum() == 200 and img[25, 25] == 0
    assert st.paint(out, [1, 2], Window(100, 100, 10, 10), "uint16") is None

"""describe_scene offline: answers from measured facts only, and says when it cannot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import MakeTiff
from tools.catalog import run_tool
from tools.core.registry import DescribeRequest
from tools.core.workspace import Workspace
from tools.describe_scene import scene_stats
from tools.geo.raster import describe


def _ask(ws: Workspace, image: Path, question: str | None = None) -> Any:
    args: dict[str, Any] = {"image": str(image)}
    if question is not None:
        args["question"] = question
    return run_tool("describe_scene", args, ws).result


@pytest.fixture
def field_scene(make_tiff: MakeTiff) -> Path:
    """4-band B2,B3,B4,B8 scene: left half NDVI 0.6 (red 200, nir 800), right half NDVI 0."""
    data = np.full((4, 64, 64), 500, dtype="uint16")
    data[2, :, :32], data[3, :, :32] = 200, 800
    data[:, 0, 0] = 0  # one nodata pixel
    return make_tiff("field.tif", data, nodata=0, descriptions=["B2", "B3", "B4", "B8"])


def test_caption_from_measured_facts(field_scene: Path, workspace: Workspace) -> None:
    res = _ask(workspace, field_scene)
    assert res.answered_from == "measured facts"
    assert "VLM" in res.answer and "multispectral" in res.answer
    assert "64 x 64 pixels with 4 band(s)" in res.answer
    nums = res.numbers()
    assert nums["valid_share"].value == pytest.approx(100 * (1 - 1 / 4096))
    assert nums["valid_share"].unit == "%"
    # NDVI: 2047 pixels at 0.6 and 2048 at 0 (one nodata pixel on the left)
    assert nums["mean_ndvi"].value == pytest.approx(2047 * 0.6 / 4095)
    assert nums["mean_band_1"].value == pytest.approx(500.0)
    assert nums["mean_band_1"].unit == "pixel value"
    assert any("VLM" in w for w in res.warnings)


def test_questions_about_metadata_are_answered(field_scene: Path, workspace: Workspace) -> None:
    res = _ask(workspace, field_scene, "What is the resolution and where is it?")
    assert "Pixels are 10 m x 10 m." in res.answer and "Its centre is at" in res.answer
    assert res.facts and all(f in res.answer for f in res.facts)
    ndvi = _ask(workspace, field_scene, "What's the mean NDVI?")
    assert "Mean NDVI is 0.300." in ndvi.answer


def test_visual_questions_are_declined(field_scene: Path, workspace: Workspace) -> None:
    res = _ask(workspace, field_scene, "How many cows are grazing?")
    assert res.answer.startswith("I cannot answer this from the pixels' content")
    assert "cow" not in res.answer.lower()
    assert "detect_objects" in res.answer


def test_scene_without_crs(make_tiff: MakeTiff, workspace: Workspace) -> None:
    path = make_tiff("chip.tif", np.full((3, 16, 16), 7, dtype="uint8"), crs=None)
    res = _ask(workspace, path)
    assert "It has no CRS" in res.answer and "an RGB" in res.answer
    assert "mean_ndvi" not in res.numbers()  # RGB: no NIR, no NDVI
    assert res.numbers()["mean_band_3"].value == 7.0


def test_scene_stats_stream_with_small_windows(
        make_tiff: MakeTiff, rng: np.random.Generator) -> None:
    data = rng.normal(0, 1, (40, 50, 30)).astype("float32")  # 40 bands: hyperspectral-sized
    data[5, 3, 4] = np.nan
    info = describe(make_tiff("cube.tif", data))
    stats = scene_stats(info, tile_size=7)
    assert stats.band_mean == pytest.approx(list(np.nanmean(data, axis=(1, 2))), abs=1e-5)
    assert stats.band_max[0] == pytest.approx(float(data[0].max()))
    assert stats.valid_share == pytest.approx(1 - 1 / (50 * 30))


@pytest.mark.realdata
def test_real_sentinel2(data_dir: Path, workspace: Workspace) -> None:
    res = _ask(workspace, data_dir / "multispectral/sen1floods11_Spain_7370579_S2Hand.tif")
    print(res.answer)
    assert "multispectral" in res.answer and '"B1", "B2"' in res.answer
    assert "38.1" in res.answer  # centre latitude (Spain)
    assert -1 < res.numbers()["mean_ndvi"].value < 1


def test_injected_describer_answers(field_scene: Path, workspace: Workspace) -> None:
    seen: list[DescribeRequest] = []

    def describer(request: DescribeRequest) -> str:
        seen.append(request)
        return "  A field scene, greener on the left.  "

    res = run_tool("describe_scene", {"image": str(field_scene), "question": "What is it?"},
                   workspace, describer=describer).result
    assert res.answer == "A field scene, greener on the left."
    assert res.answered_from == "llm (from measured facts)"
    assert not any("VLM" in w for w in res.warnings)
    assert seen[0].question == "What is it?" and seen[0].thumbnail_png is None
    assert "64 x 64 pixels" in seen[0].facts and "Mean NDVI" in seen[0].facts
    assert "mean_ndvi" in res.numbers()  # the measured numbers are still recorded


def test_describer_with_thumbnail_is_a_vlm(field_scene: Path, workspace: Workspace) -> None:
    class Vision:
        def thumbnail(self, path: str) -> bytes:
            return b"\x89PNG fake"

        def __call__(self, request: DescribeRequest) -> str:
            assert request.thumbnail_png == b"\x89PNG fake"
            return "Two halves of farmland."

    res = run_tool("describe_scene", {"image": str(field_scene)}, workspace,
                   describer=Vision()).result
    assert res.answered_from == "vlm" and res.answer == "Two halves of farmland."


def test_failing_describer_falls_back_to_facts(field_scene: Path,
                                              workspace: Workspace) -> None:
    def broken(request: DescribeRequest) -> str:
        raise ConnectionError("server down")

    res = run_tool("describe_scene", {"image": str(field_scene)}, workspace,
                   describer=broken).result
    assert res.answered_from == "measured facts"
    assert "64 x 64 pixels with 4 band(s)" in res.answer
    assert any("describer failed" in w and "server down" in w for w in res.warnings)

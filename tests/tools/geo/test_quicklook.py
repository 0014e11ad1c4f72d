"""Quick-look PNGs and QGIS styles beside raster results: through the tool runner on generated
scenes (map_water, spectral_index, pseudo_rgb), and directly on class, instance, AGB, cube and
large rasters; failures become warnings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.transform import from_origin

import tools.geo.quicklook as quicklook
from tests.conftest import MakeTiff
from tools import run_tool
from tools.core.artifacts import Artifact, ToolCall, ToolResult
from tools.core.workspace import Workspace
from tools.geo.qml import BIOMASS, VEGETATION, hex_color, ramp_colors

S2 = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"]
BLUE, GREEN, GREY, WHITE = (31, 120, 180), (51, 160, 44), (225, 225, 225), (255, 255, 255)


def _sar(rng: np.random.Generator, shape: tuple[int, int] = (90, 110)) -> np.ndarray:
    """VV, VH in dB: land on the left half, open water on the right half."""
    base = np.where(np.arange(shape[1]) < shape[1] // 2, 0.08, 0.004)[np.newaxis, :]
    vv = base * rng.exponential(1.0, shape)
    vh = vv * 0.15 * rng.exponential(1.0, shape)
    out: np.ndarray = (10 * np.log10(np.stack([vv, vh]))).astype(np.float32)
    return out


def _s2(shape: tuple[int, int] = (60, 80)) -> tuple[np.ndarray, np.ndarray]:
    """A Sentinel-2 scene (x 10000) whose NDVI rises from left to right, and that NDVI."""
    data = np.full((13, *shape), 1000, dtype=np.int16)
    red = np.full(shape, 1000, dtype=np.int16)
    nir = np.linspace(400, 5000, shape[1]).round().astype(np.int16)[np.newaxis, :].repeat(
        shape[0], 0)
    data[S2.index("B4")], data[S2.index("B8")] = red, nir
    ndvi = (nir.astype(np.float64) - red) / (nir.astype(np.float64) + red)
    return data, ndvi


def _png(path: str | None) -> np.ndarray:
    assert path is not None
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def _renderer(path: str | None) -> ET.Element:
    assert path is not None
    root = ET.parse(path).getroot()
    assert root.tag == "qgis" and root.get("version", "").startswith("3.")
    renderer = root.find("pipe/rasterrenderer")
    assert renderer is not None
    return renderer


def _palette(renderer: ET.Element) -> dict[int, tuple[str, str, str]]:
    return {int(e.get("value", "")): (e.get("color", ""), e.get("alpha", ""), e.get("label", ""))
            for e in renderer.iter("paletteEntry")}


def _has(pixels: np.ndarray, color: tuple[int, int, int], tol: int = 0) -> bool:
    return bool((np.abs(pixels.astype(int) - color).max(axis=-1) <= tol).any())


def _artifact(path: Path, name: str, kind: str = "raster", units: str | None = None,
              description: str = "") -> Artifact:
    return Artifact(id=f"c001-{name}", name=name, kind=kind, path=str(path), units=units,
                    description=description, call=ToolCall(tool="t", args={}))


def test_water_mask_gets_a_png_with_legend_and_a_paletted_style(
        make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator) -> None:
    scene = make_tiff("s1.tif", _sar(rng), crs="EPSG:32631", descriptions=["VV", "VH"],
                      transform=from_origin(400_000.0, 5_000_000.0, 10.0, 10.0))
    run = run_tool("map_water", {"image": str(scene)}, workspace)
    art = run.result.first("mask")
    assert art is not None and art.path is not None and not run.result.warnings
    assert art.quicklook == str(Path(art.path).with_suffix(".png"))
    assert art.style == str(Path(art.path).with_suffix(".qml"))
    png = _png(art.quicklook)
    height, width = png.shape[:2]
    assert max(height, width) <= 512 and width == 512
    data_rows = round(512 * 90 / 110)  # the data area keeps the scene's aspect
    assert height > data_rows + 30  # the legend below it
    data, legend = png[:data_rows - 1, 1:-1], png[data_rows + 1:]
    assert _has(legend, BLUE) and _has(legend, GREY)  # one swatch per class
    with rasterio.open(art.path) as src:
        mask = src.read(1)
    blue_share = float((np.abs(data.astype(int) - BLUE).max(axis=-1) == 0).mean())
    assert blue_share == pytest.approx(float((mask == 1).mean()), abs=0.03)
    assert 0.3 < blue_share < 0.7
    renderer = _renderer(art.style)
    assert renderer.get("type") == "paletted" and renderer.get("band") == "1"
    assert _palette(renderer) == {0: ("#e1e1e1", "0", "land"), 1: ("#1f78b4", "255", "water")}
    record = json.loads(run.result_path.read_text(encoding="utf-8"))["result"]["artifacts"]
    saved = next(a for a in record if a["kind"] == "mask")
    assert (saved["quicklook"], saved["style"]) == (art.quicklook, art.style)
    assert all("quicklook" not in a for a in record if a["kind"] != "mask")  # none: absent
    manifest = [json.loads(line) for line in workspace.manifest_path.read_text().splitlines()]
    assert next(a for a in manifest if a["kind"] == "mask")["style"] == art.style


def test_index_gets_a_colour_bar_and_a_pseudocolor_style_from_minus_one_to_one(
        make_tiff: MakeTiff, workspace: Workspace) -> None:
    data, ndvi = _s2()
    scene = make_tiff("s2.tif", data, descriptions=S2)
    result = run_tool("spectral_index", {"image": str(scene), "index": "NDVI", "threshold": 0.3},
                      workspace).result
    index = next(a for a in result.artifacts if a.name == "ndvi")
    renderer = _renderer(index.style)
    assert renderer.get("type") == "singlebandpseudocolor" and renderer.get("band") == "1"
    assert (renderer.get("classificationMin"), renderer.get("classificationMax")) == ("-1", "1")
    items = [(float(i.get("value", "")), i.get("color")) for i in renderer.iter("item")]
    assert items[0] == (-1.0, hex_color(VEGETATION[0][1]))
    assert items[-1] == (1.0, hex_color(VEGETATION[-1][1]))
    png = _png(index.quicklook)
    assert png.shape[:2] == (384 + 58, 512)  # 80 x 60 px scaled x 6.4, then the colour bar
    row, col = 30, 40  # nearest-neighbour upscale: each scene pixel is a 6.4 px block
    expected = ramp_colors(VEGETATION, np.array((ndvi[row, col] + 1) / 2))
    assert np.abs(png[int(row * 6.4) + 3, int(col * 6.4) + 3].astype(int) - expected).max() <= 2
    bar = png[384 + 6 + 16 + 6]  # the middle row of the colour bar
    assert np.abs(bar[7].astype(int) - VEGETATION[0][1]).max() <= 6
    assert np.abs(bar[512 - 8].astype(int) - VEGETATION[-1][1]).max() <= 6
    mask = next(a for a in result.artifacts if a.name == "ndvi_mask")
    palette = _palette(_renderer(mask.style))
    assert palette[1][:2] == (hex_color(GREEN), "255") and "NDVI" in palette[1][2]
    assert palette[0][1] == "0" and palette[0][2].startswith("not ")
    assert _has(_png(mask.quicklook), GREEN)


def test_composite_gets_a_multiband_style_and_a_plain_rgb_quicklook(
        make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator) -> None:
    scene = make_tiff("s1.tif", _sar(rng), crs="EPSG:32631", descriptions=["VV", "VH"])
    art = run_tool("pseudo_rgb", {"image": str(scene)}, workspace).result.first("raster")
    assert art is not None and art.path is not None
    renderer = _renderer(art.style)
    assert renderer.get("type") == "multibandcolor"
    assert [renderer.get(f"{c}Band") for c in ("red", "green", "blue")] == ["1", "2", "3"]
    stretch = renderer.find("redContrastEnhancement")
    assert stretch is not None and stretch.findtext("maxValue") == "255"
    png = _png(art.quicklook)
    assert png.shape == (419, 512, 3)  # no legend: only the data, 110 x 90 px scaled up
    with rasterio.open(art.path) as src:
        rgb = np.moveaxis(src.read(), 0, -1)
    for row, col in ((10, 10), (45, 80), (80, 30)):
        y, x = int(row * 512 / 110) + 2, int(col * 512 / 110) + 2
        assert np.array_equal(png[y, x], rgb[row, col])


def test_agb_raster_is_stretched_between_its_percentiles(make_tiff: MakeTiff,
                                                         tmp_path: Path) -> None:
    agb = np.linspace(10, 310, 40 * 50, dtype=np.float32).reshape(40, 50)
    agb[:5, :5] = np.nan
    path = make_tiff("agb.tif", np.stack([agb, agb / 10]), nodata=float("nan"),
                     tags={"units": "Mg/ha"})
    result = ToolResult(summary="", artifacts=[_artifact(path, "agb", units="Mg/ha")])
    quicklook.add_quicklooks(result)
    art = result.artifacts[0]
    renderer = _renderer(art.style)
    low, high = np.percentile(agb[np.isfinite(agb)], [2, 98])
    assert renderer.get("type") == "singlebandpseudocolor"
    assert float(renderer.get("classificationMin", "")) == pytest.approx(low, rel=1e-6)
    assert float(renderer.get("classificationMax", "")) == pytest.approx(high, rel=1e-6)
    assert next(renderer.iter("item")).get("color") == hex_color(BIOMASS[0][1])
    png = _png(art.quicklook)
    assert png.shape[0] > png.shape[1] * 40 / 50 + 40  # the colour bar under the data
    assert _has(png, WHITE) and _has(png[-30:], BIOMASS[-1][1], tol=6)


def test_class_raster_uses_its_colour_table_and_tag_labels(make_tiff: MakeTiff) -> None:
    classes = np.repeat(np.array([1, 2, 3, 5], dtype=np.uint8), 25)[np.newaxis, :].repeat(60, 0)
    classes[:6] = 255
    path = make_tiff("severity.tif", classes, nodata=255,
                     tags={"units": "class", "values": "1 = unburned; 2 = low; 3 = moderate, "
                           "low; 5 = high; 255 = nodata"})
    table = {1: (10, 224, 66, 255), 2: (255, 247, 11, 255), 3: (255, 175, 56, 255),
             5: (164, 31, 214, 255)}
    with rasterio.open(path, "r+") as dst:
        dst.write_colormap(1, table)
    result = ToolResult(summary="", artifacts=[_artifact(path, "severity", units="class")])
    quicklook.add_quicklooks(result)
    art = result.artifacts[0]
    renderer = _renderer(art.style)
    assert renderer.get("type") == "paletted"
    assert _palette(renderer) == {
        1: ("#0ae042", "255", "unburned"), 2: ("#fff70b", "255", "low"),
        3: ("#ffaf38", "255", "moderate, low"), 5: ("#a41fd6", "255", "high")}
    png = _png(art.quicklook)
    legend = png[-(6 + 16 * 5):]  # five rows: four classes and nodata
    for color in table.values():
        assert _has(png[: png.shape[0] // 2], color[:3]) and _has(legend, color[:3])
    assert _has(png, WHITE)


def test_instance_raster_gets_a_colour_per_object_and_a_transparent_background(
        make_tiff: MakeTiff) -> None:
    ids = np.zeros((50, 60), dtype=np.uint16)
    for k in range(30):
        ids[(k // 6) * 10: (k // 6) * 10 + 5, (k % 6) * 10: (k % 6) * 10 + 5] = k + 1
    path = make_tiff("segment_mask.tif", ids, tags={"units": "instance id", "background": "0"})
    result = ToolResult(summary="", artifacts=[
        _artifact(path, "instance_mask", kind="mask", units="instance id",
                  description="uint16 instance ids 1..30 (0 = background)")])
    quicklook.add_quicklooks(result)
    palette = _palette(_renderer(result.artifacts[0].style))
    assert sorted(palette) == list(range(31))
    assert palette[0][1:] == ("0", "background") and palette[7][1:] == ("255", "object 7")
    assert palette[1][0] != palette[2][0]
    png = _png(result.artifacts[0].quicklook)
    assert len({tuple(p) for p in png.reshape(-1, 3)}) > 10


class Recorder:
    """A dataset that records the shape of every read."""

    def __init__(self, src: Any) -> None:
        self._src = src
        self.shapes: list[tuple[int, ...]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._src, name)

    def read(self, *args: Any, **kwargs: Any) -> Any:
        out = self._src.read(*args, **kwargs)
        self.shapes.append(out.shape[-2:])
        return out


def test_large_rasters_are_read_decimated_and_small_classes_still_styled(
        make_tiff: MakeTiff) -> None:
    big = np.tile(np.linspace(-0.5, 0.9, 3000, dtype=np.float32), (2000, 1))
    path = make_tiff("ndwi.tif", big, tags={"units": "index", "index": "NDWI"})
    with rasterio.open(path) as src:
        reader = Recorder(src)
        found = quicklook.look(reader, _artifact(path, "ndwi", units="index"))
    assert found is not None and reader.shapes == [(341, 512)]
    classes = np.zeros((1500, 1500), dtype=np.uint8)
    classes[:, 750:] = 1
    classes[778, 778] = 9  # a 1500 -> 512 px nearest read samples no row/col 778; a scan does
    path = make_tiff("classes.tif", classes)
    result = ToolResult(summary="", artifacts=[_artifact(path, "landcover", kind="mask")])
    quicklook.add_quicklooks(result)
    assert sorted(_palette(_renderer(result.artifacts[0].style))) == [0, 1, 9]
    assert max(_png(result.artifacts[0].quicklook).shape[:2]) <= 512


def test_a_cube_of_many_bands_shows_band_one_in_grey(make_tiff: MakeTiff,
                                                     rng: np.random.Generator) -> None:
    cube = rng.normal(0.2, 0.05, (198, 30, 40)).astype(np.float32)
    path = make_tiff("hsi.tif", cube)
    result = ToolResult(summary="", artifacts=[_artifact(path, "reflectance")])
    quicklook.add_quicklooks(result)
    renderer = _renderer(result.artifacts[0].style)
    assert renderer.get("type") == "singlebandgray" and renderer.get("grayBand") == "1"
    low = float(renderer.findtext("contrastEnhancement/minValue") or "nan")
    assert low == pytest.approx(float(np.percentile(cube[0], 2)), rel=1e-5)
    png = _png(result.artifacts[0].quicklook)
    assert max(png.shape[:2]) <= 512 and png[:100].std() > 10


def test_other_files_are_skipped_silently(tmp_path: Path) -> None:
    chip = tmp_path / "chip.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(chip)
    table = tmp_path / "t.csv"
    table.write_text("a\n1\n")
    result = ToolResult(summary="", artifacts=[_artifact(chip, "chip"),
                                               _artifact(table, "t", kind="table")])
    quicklook.add_quicklooks(result)
    assert [(a.quicklook, a.style) for a in result.artifacts] == [(None, None), (None, None)]
    assert not result.warnings and sorted(p.name for p in tmp_path.iterdir()) == [
        "chip.png", "t.csv"]


@pytest.mark.parametrize("broken", ["render", "write_qml"])
def test_a_failing_quicklook_is_a_warning_and_the_tool_succeeds(
        make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator,
        monkeypatch: pytest.MonkeyPatch, broken: str) -> None:
    def fail(*_a: object, **_k: object) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(quicklook, broken, fail)
    scene = make_tiff("s1.tif", _sar(rng), crs="EPSG:32631", descriptions=["VV", "VH"])
    run = run_tool("map_water", {"image": str(scene)}, workspace)
    art = run.result.first("mask")
    assert art is not None and art.quicklook is None and art.style is None
    assert run.result.numbers()["water_area"].value > 0
    notes = [w for w in run.result.warnings if "quick-look" in w]
    assert len(notes) == 1 and "water_mask" in notes[0] and "No space left" in notes[0]
    assert not list(workspace.root.glob("*.png")) and not list(workspace.root.glob("*.qml"))
    record = json.loads(run.result_path.read_text(encoding="utf-8"))["result"]
    assert notes[0] in record["warnings"]
    assert all("quicklook" not in a for a in record["artifacts"])


def test_quicklooks_are_written_once_per_file(make_tiff: MakeTiff, tmp_path: Path) -> None:
    path = make_tiff("m.tif", np.eye(20, dtype=np.uint8))
    arts = [_artifact(path, "mask_a", kind="mask"), _artifact(path, "mask_b", kind="mask")]
    result = ToolResult(summary="", artifacts=arts)
    quicklook.add_quicklooks(result)
    assert arts[0].quicklook == arts[1].quicklook == str(tmp_path / "m.png")
    stamp = (tmp_path / "m.png").stat().st_mtime_ns
    quicklook.add_quicklooks(result)  # a parent listing its child's artifacts again
    assert (tmp_path / "m.png").stat().st_mtime_ns == stamp


def test_artifact_records_carry_the_fields_only_when_set(tmp_path: Path) -> None:
    art = _artifact(tmp_path / "a.tif", "a")
    assert "quicklook" not in art.model_dump() and "style" not in art.model_dump(mode="json")
    art.quicklook, art.style = "a.png", "a.qml"
    dumped = art.model_dump(mode="json")
    assert (dumped["quicklook"], dumped["style"]) == ("a.png", "a.qml")
    assert Artifact.model_validate(dumped) == art

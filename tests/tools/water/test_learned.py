"""map_water method learned: the SAR water head trained on generated Sen1Floods11-style chips,
run tiled over a scene larger than one tile (mask on the source grid and CRS, nodata kept,
areas and polygons as for the threshold methods); chip pairing errors; missing weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from tests.conftest import write_tiff
from tools import run_tool
from tools.core.errors import InputError, ToolUnavailable
from tools.core.workspace import Workspace
from tools.water.map_water import MapWaterOutput

TRANSFORM = from_origin(400_000.0, 5_000_000.0, 10.0, 10.0)
CRS = "EPSG:32631"


def water_chip(rng: np.random.Generator, shape: tuple[int, int] = (128, 128),
               blobs: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """VV/VH in dB and its label: 16 x 16 px fields (VV ~ N(-9, 1.5) dB, VH 6.5 dB lower),
    elliptic water blobs (VV -20 dB, VH -27 dB), 2-look gamma speckle."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    water = np.zeros(shape, bool)
    for _ in range(blobs):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(6, max(7.0, h / 5)), rng.uniform(6, max(7.0, w / 5))
        water |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
    fields = rng.normal(-9.0, 1.5, size=(h // 16 + 1, w // 16 + 1))
    vv = np.where(water, -20.0, np.kron(fields, np.ones((16, 16)))[:h, :w])
    vh = vv - np.where(water, 7.0, 6.5)
    power = 10 ** (np.stack([vv, vh]) / 10) * rng.gamma(2.0, 0.5, size=(2, h, w))
    db: np.ndarray = (10 * np.log10(power)).astype(np.float32)
    return db, water.astype(np.int8)


def write_chips(folder: Path, n: int, rng: np.random.Generator) -> Path:
    """``n`` chips in Sen1Floods11's layout: S1Hand/<id>_S1Hand.tif, LabelHand/<id>_LabelHand.tif
    (int16, -1 on a few rows)."""
    for i in range(n):
        db, label = water_chip(rng)
        lab = label.astype(np.int16)
        lab[:4] = -1
        (folder / "S1Hand").mkdir(parents=True, exist_ok=True)
        (folder / "LabelHand").mkdir(parents=True, exist_ok=True)
        write_tiff(folder / "S1Hand" / f"Chip_{i}_S1Hand.tif", db, crs=CRS, transform=TRANSFORM,
                   nodata=float("nan"), descriptions=["VV", "VH"])
        write_tiff(folder / "LabelHand" / f"Chip_{i}_LabelHand.tif", lab, crs=CRS,
                   transform=TRANSFORM)
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Water-head weights trained for 2 short epochs on 5 generated chips."""
    torch = pytest.importorskip("torch")
    from tools.water.training import train_water_model

    torch.set_num_threads(2)
    root = tmp_path_factory.mktemp("water")
    chips = write_chips(root / "chips", 5, np.random.default_rng(0))
    run = train_water_model(chips, root / "sar_water_unet.pt", epochs=2, steps=10, batch=8,
                            crop=64, width=8, levels=3, device="cpu")
    assert run.chips == 5 and len(run.validation) == 1 and run.weights.is_file()
    print(f"\nwater head: validation IoU {run.report.val_iou:.3f} ({run.validation})")
    return run.weights


def _run(workspace: Workspace, **args: Any) -> MapWaterOutput:
    result = run_tool("map_water", args, workspace).result
    assert isinstance(result, MapWaterOutput)
    return result


def _scene(tmp_path: Path) -> tuple[Path, np.ndarray]:
    db, water = water_chip(np.random.default_rng(7), shape=(150, 200), blobs=5)
    db[:, :10, :30] = np.nan
    return write_tiff(tmp_path / "s1.tif", db, crs=CRS, transform=TRANSFORM, nodata=float("nan"),
                      descriptions=["VV", "VH"]), water.astype(bool)


def test_learned_map_water_tiled_on_the_source_grid(
    trained: Path, tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene, truth = _scene(tmp_path)
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", "64")  # 3 x 4 tiles
    r = _run(workspace, image=str(scene), method="learned", model=str(trained))
    art = r.first("mask")
    assert art is not None and art.path is not None
    with rasterio.open(art.path) as m, rasterio.open(scene) as src:
        assert (m.crs, m.transform, m.shape) == (src.crs, src.transform, src.shape)
        assert m.nodata == 255 and m.dtypes[0] == "uint8"
        mask = m.read(1)
    assert (mask[:10, :30] == 255).all() and set(np.unique(mask)) <= {0, 1, 255}
    valid = mask != 255
    pred = (mask == 1) & valid
    iou = (pred & truth).sum() / (pred | (truth & valid)).sum()
    print(f"\nlearned map_water IoU on a generated 150 x 200 scene: {iou:.3f}")
    assert iou > 0.6
    assert r.method == "learned" and r.threshold is not None
    assert r.threshold.unit == "probability" and r.threshold.value == 0.5
    assert r.threshold_source == "model" and r.bimodality is None
    assert "U-Net" in r.method_detail and "64 px" in r.method_detail
    assert r.bands_used == {"co-pol": "VV", "cross-pol": "VH"}
    assert r.water_area_m2 is not None and r.water_area_m2.value == pytest.approx(
        r.water_pixels * 100.0)
    assert r.numbers()["water_area"].unit == "ha" and r.polygons > 0
    assert "learned water head" in r.summary
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", "1024")
    whole = _run(workspace, image=str(scene), method="learned", model=str(trained),
                 min_area_m2=5000.0)
    assert whole.water_pixels <= r.water_pixels
    assert whole.dropped_polygons >= 0 and whole.polygons <= r.polygons
    monkeypatch.setenv("EARTHSIGHT_TILE_SIZE", "64")
    cut = _run(workspace, image=str(scene), method="learned", model=str(trained),
               min_area_m2=5000.0)
    cut_art = cut.first("mask")
    assert cut_art is not None and cut_art.path is not None
    with rasterio.open(cut_art.path) as m:
        cleaned = m.read(1)
    assert (cleaned == 255).sum() == (mask == 255).sum()  # nodata kept
    assert cut.water_pixels == int((cleaned == 1).sum()) == whole.water_pixels
    assert cut.water_area_m2 is not None
    assert cut.water_area_m2.value == pytest.approx(cut.water_pixels * 100.0)
    assert (cut.polygons, cut.dropped_polygons) == (whole.polygons, whole.dropped_polygons)


def test_auto_stays_threshold_based_and_options(
    trained: Path, tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene, _ = _scene(tmp_path)
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(trained.parent))
    auto = _run(workspace, image=str(scene))
    assert auto.method == "sar" and auto.threshold_source == "otsu"
    found = _run(workspace, image=str(scene), method="learned", threshold=0.9,
                 speckle_filter=False)  # weights from $EARTHSIGHT_WEIGHTS_DIR
    assert found.method == "learned" and found.threshold_source == "user"
    assert any("speckle_filter" in w for w in found.warnings)
    with pytest.raises(InputError, match="probability"):
        _run(workspace, image=str(scene), method="learned", threshold=-18.0)
    vv = write_tiff(tmp_path / "vv.tif", np.full((1, 20, 20), -10.0, np.float32), crs=CRS,
                    descriptions=["VV"])
    with pytest.raises(InputError, match="VV and VH"):
        _run(workspace, image=str(vv), method="learned")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not weights")
    with pytest.raises(InputError, match=r"model: .*junk\.pt"):
        _run(workspace, image=str(scene), method="learned", model=str(junk))


def test_missing_weights_say_how_to_train(tmp_path: Path, workspace: Workspace,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    scene, _ = _scene(tmp_path)
    monkeypatch.setenv("EARTHSIGHT_WEIGHTS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(ToolUnavailable) as err:
        _run(workspace, image=str(scene), method="learned")
    text = str(err.value)
    assert "earthsight train water --chips" in text and "sar_water_unet.pt" in text
    assert "EARTHSIGHT_WEIGHTS_DIR" in text
    with pytest.raises(ToolUnavailable, match="does not exist"):
        _run(workspace, image=str(scene), method="learned", model=str(tmp_path / "no.pt"))
    assert not list(workspace.root.glob("*water_mask.tif"))


def test_chip_pairing_errors(tmp_path: Path) -> None:
    from tools.water.training import find_chips, read_chip

    with pytest.raises(InputError, match="folder not found"):
        find_chips(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"_S1Hand\.tif"):
        find_chips(tmp_path / "empty")
    chips = write_chips(tmp_path / "c", 2, np.random.default_rng(1))
    found = find_chips(chips)
    assert [f[0] for f in found] == ["Chip_0", "Chip_1"]
    chip = read_chip(*found[0])
    assert chip.db.shape == (2, 128, 128) and (chip.label[:4] == -1).all()
    (chips / "LabelHand" / "Chip_1_LabelHand.tif").unlink()
    with pytest.raises(InputError, match=r"Chip_1_LabelHand\.tif"):
        find_chips(chips)
    write_tiff(chips / "LabelHand" / "Chip_1_LabelHand.tif", np.zeros((100, 128), np.int16),
               crs=CRS, transform=TRANSFORM)
    with pytest.raises(InputError, match="not on the grid"):
        read_chip(*find_chips(chips)[1])


@pytest.mark.realdata
def test_learned_runs_on_the_real_sen1floods11_chip(trained: Path, data_dir: Path,
                                                    workspace: Workspace) -> None:
    """Pipeline check on a real file (EPSG:4326, 512 x 512, NaN nodata). The head here is
    trained on generated chips, so no accuracy is asserted or claimed."""
    from tests.tools.water.test_map_water import S1

    image = data_dir / S1
    r = _run(workspace, image=str(image), method="learned", model=str(trained))
    art = r.first("mask")
    assert art is not None and art.path is not None
    with rasterio.open(art.path) as m, rasterio.open(image) as src:
        assert (m.crs, m.transform, m.shape) == (src.crs, src.transform, src.shape)
    assert r.method == "learned" and r.valid_pixels == 512 * 512
    assert not any("pixel size" in w for w in r.warnings)  # ~10 m, as trained

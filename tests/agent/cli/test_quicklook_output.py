"""The CLI lists each raster's quick-look PNG and QGIS style under its file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agent.cli import main as cli
from agent.cli.output import artifact_files
from tests.conftest import MakeTiff
from tools.core.artifacts import Artifact, ToolCall


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables wide enough that the asserted cells are not folded."""
    monkeypatch.setenv("COLUMNS", "200")


def test_run_tool_lists_the_quicklook_and_style_of_the_mask(
        make_tiff: MakeTiff, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    base = np.where(np.arange(60) < 30, 0.08, 0.004)[np.newaxis, :]
    vv = base * np.random.default_rng(3).exponential(1.0, (40, 60))
    db = (10 * np.log10(np.stack([vv, vv * 0.15]))).astype(np.float32)
    scene = make_tiff("s1.tif", db, crs="EPSG:32631", descriptions=["VV", "VH"])
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run-tool", "map_water", "--args", json.dumps({"image": str(scene)}),
                     "--workspace", "ws"]) == 0
    out = capsys.readouterr().out
    png, qml = sorted(Path("ws").glob("*.png")), sorted(Path("ws").glob("*.qml"))
    assert len(png) == len(qml) == 1
    assert f"quick-look: {png[0]}" in out and f"QGIS style: {qml[0]}" in out
    assert out.count("quick-look:") == 1  # the polygons have none


def test_artifact_files_without_quicklook_is_the_path_alone() -> None:
    call = ToolCall(tool="t", args={})
    plain = Artifact(id="c001-v", name="v", kind="vector", path="/x/v.geojson", call=call)
    assert artifact_files(plain) == "/x/v.geojson"
    styled = plain.model_copy(update={"path": "/x/m.tif", "quicklook": "/x/m.png",
                                      "style": "/x/m.qml"})
    assert artifact_files(styled).splitlines() == ["/x/m.tif", "quick-look: /x/m.png",
                                                   "QGIS style: /x/m.qml"]

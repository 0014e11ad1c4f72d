"""trend: dates from names / tags / arguments, values from rasters or earlier results, stats."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

import numpy as np
import pytest

from tests.conftest import MakeTiff
from tools.catalog import run_tool
from tools.core.errors import InputError
from tools.core.workspace import Workspace
from tools.trend import parse_date_text

# One name per date-in-the-name convention; the lone year means 1 July.
NAMES = ["s_2014-06-01.tif", "s_20150601.tif", "s_2016_06_01.tif", "scene_s1_2017.tif",
         "s_2018-06-01.tif", "s_2019-06-01.tif", "S1A_IW_20200601T173017_VV.tif"]


def _decimal_year(d: dt.date) -> float:
    start = dt.date(d.year, 1, 1)
    return d.year + (d - start).days / (dt.date(d.year + 1, 1, 1) - start).days


def _trend(ws: Workspace, **args: Any) -> Any:
    return run_tool("trend", args, ws).result


@pytest.mark.parametrize(("text", "date"), [
    ("scene_s1_2018.tif", dt.date(2018, 7, 1)), ("LC08_232066_20190727.tif", dt.date(2019, 7, 27)),
    ("x_2020-03-05.tif", dt.date(2020, 3, 5)), ("x_2020_03_05.tif", dt.date(2020, 3, 5)),
    ("2019:07:27 10:00:00", dt.date(2019, 7, 27)), ("P0001_600_1400_9600_10400.jpg", None),
    ("a_20191332.tif", None), ("sen1floods11_Spain_7370579_S1Hand.tif", None),
])
def test_parse_date_text(text: str, date: dt.date | None) -> None:
    assert parse_date_text(text) == date


def test_linear_series_of_rasters(
        make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator) -> None:
    images = []
    for name in NAMES:
        date = parse_date_text(name)
        assert date is not None
        level = 50.0 - 1.5 * (_decimal_year(date) - 2014)
        data = (level + rng.normal(0, 0.5, (30, 40))).astype("float32")
        images.append(str(make_tiff(name, data, tags={"units": "dB"})))
    res = _trend(workspace, images=images[::-1])  # order does not matter
    print(res.summary)
    assert [p.date for p in res.points][:4] == ["2014-06-01", "2015-06-01", "2016-06-01",
                                                "2017-07-01"]
    assert res.units == "dB" and res.statistic == "mean"
    assert res.slope_per_year == pytest.approx(-1.5, abs=0.02)
    assert res.slope_stderr is not None and res.slope_stderr < 0.02
    assert res.sen_slope_per_year == pytest.approx(-1.5, abs=0.02)
    assert res.mann_kendall_s == -21 and res.mann_kendall_p < 0.01
    assert res.direction.startswith("decreasing, significant at 5 %")
    nums = res.numbers()
    assert nums["slope"].unit == "dB/yr" and nums["mann_kendall_p"].unit == "1"
    assert nums["change"].value == pytest.approx(-1.5 * 6, abs=0.1)
    table = res.first("table")
    with open(table.path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 7 and rows[0]["date"] == "2014-06-01" and rows[0]["units"] == "dB"
    assert float(rows[-1]["ols_fit"]) == pytest.approx(50 - 1.5 * (_decimal_year(
        dt.date(2020, 6, 1)) - 2014), abs=0.1)
    assert {r["date_from"] for r in rows} == {"file name"}


def test_flat_noisy_series_is_not_significant(make_tiff: MakeTiff, workspace: Workspace) -> None:
    levels = [5.0, 7.0, 4.0, 6.0, 5.5, 4.5, 6.5]
    images = [str(make_tiff(f"flat_{2010 + i}.tif", np.full((8, 8), v, dtype="float32")))
              for i, v in enumerate(levels)]
    res = _trend(workspace, images=images)
    print(res.summary)
    assert res.mann_kendall_p > 0.5
    assert "not significant" in res.direction
    assert res.units == "pixel value"
    assert not res.warnings


def test_trend_of_earlier_measure_steps_harmonises_units(
        make_tiff: MakeTiff, workspace: Workspace) -> None:
    # water masks of 10 m pixels: 80 px = 0.8 ha (reported in m²) ... 140 px = 1.4 ha (in ha)
    results = []
    for year, pixels in zip(range(2016, 2021), [80, 95, 110, 125, 140], strict=True):
        mask = np.zeros((20, 20), dtype="uint8")
        mask.flat[:pixels] = 1
        path = make_tiff(f"water_{year}-08-15.tif", mask)
        run = run_tool("measure", {"source": str(path), "statistic": "area"}, workspace,
                       step=f"s{year - 2015}")
        results.append(str(run.result_path))
    res = _trend(workspace, images=results)
    assert res.statistic == "area" and res.units == "ha"
    assert [p.value for p in res.points] == pytest.approx([0.8, 0.95, 1.1, 1.25, 1.4])
    assert res.slope_per_year == pytest.approx(0.15, rel=1e-3)
    assert res.numbers()["slope"].unit == "ha/yr"
    assert {p.date_from for p in res.points} == {"scene file name"}
    assert res.warnings == []  # 5 dates: Mann-Kendall can reach 5 %
    by_name = _trend(workspace, images=results, statistic="area_m2")
    assert by_name.units == "m²" and by_name.points[0].value == pytest.approx(8000.0)
    with pytest.raises(InputError, match=r"has no number 'biomass'; it has area, area_m2"):
        _trend(workspace, images=results, statistic="biomass")


def test_dates_argument_and_tiff_tags(make_tiff: MakeTiff, workspace: Workspace) -> None:
    a = make_tiff("a.tif", np.full((4, 4), 1.0, "float32"),
                  tags={"TIFFTAG_DATETIME": "2019:07:27 10:00:00"})
    b = make_tiff("b.tif", np.full((4, 4), 3.0, "float32"),
                  tags={"TIFFTAG_DATETIME": "2021:07:27 10:00:00"})
    tagged = _trend(workspace, images=[str(a), str(b)])
    assert [p.date for p in tagged.points] == ["2019-07-27", "2021-07-27"]
    assert tagged.points[0].date_from == "TIFF date tag"
    assert tagged.slope_per_year == pytest.approx(1.0, rel=1e-3)
    assert tagged.slope_stderr is None
    assert any("cannot reach 5 %" in w for w in tagged.warnings)
    given = _trend(workspace, images=[str(a), str(b)], dates=["2020-01-01", "2020"])
    assert [p.date for p in given.points] == ["2020-01-01", "2020-07-01"]
    assert given.points[0].date_from == "dates"


def test_errors(make_tiff: MakeTiff, workspace: Workspace) -> None:
    a = str(make_tiff("x_2019.tif", np.ones((4, 4), "float32")))
    b = str(make_tiff("y_2019.tif", np.ones((4, 4), "float32")))
    c = str(make_tiff("undated.tif", np.ones((4, 4), "float32")))
    with pytest.raises(InputError, match=r"images: List should have at least 2 items"):
        _trend(workspace, images=[a])
    with pytest.raises(InputError, match=r"x_2019\.tif and .*y_2019\.tif have the same date"):
        _trend(workspace, images=[a, b])
    with pytest.raises(InputError, match=r"no date found for .*undated\.tif.*pass dates"):
        _trend(workspace, images=[a, c])
    with pytest.raises(InputError, match=r"dates: 1 date\(s\) for 2 images"):
        _trend(workspace, images=[a, c], dates=["2020-01-01"])
    with pytest.raises(InputError, match=r"dates\[1\]: 'soon' is not a date"):
        _trend(workspace, images=[a, c], dates=["2020-01-01", "soon"])
    with pytest.raises(InputError, match="cannot be computed from the raster"):
        _trend(workspace, images=[a, c], statistic="count", dates=["2018", "2019"])
    empty = str(make_tiff("e_2020.tif", np.full((4, 4), -9, "float32"), nodata=-9))
    with pytest.raises(InputError, match=r"e_2020\.tif has no valid pixels"):
        _trend(workspace, images=[a, empty])


def test_units_that_cannot_be_combined(make_tiff: MakeTiff, workspace: Workspace) -> None:
    a = str(make_tiff("a_2018.tif", np.ones((4, 4), "float32"), tags={"units": "dB"}))
    b = str(make_tiff("b_2019.tif", np.ones((4, 4), "float32"), tags={"units": "Mg/ha"}))
    with pytest.raises(InputError, match=r"different units \(Mg/ha, dB\)"):
        _trend(workspace, images=[a, b])


def test_result_path_of_a_trend(make_tiff: MakeTiff, workspace: Workspace) -> None:
    images = [str(make_tiff(f"r_{y}.tif", np.full((4, 4), float(y - 2000), "float32")))
              for y in (2001, 2003, 2005)]
    run = run_tool("trend", {"images": images}, workspace, step="s4")
    assert run.result_path.name == "c001-s4_trend.json"
    assert (workspace.root / "c001-s4_trend_series.csv").exists()
    assert run.result.image == images[-1]

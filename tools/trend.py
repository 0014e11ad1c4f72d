"""``trend``: multitemporal trend of a statistic over dated scenes.

Each entry of ``images`` is an earlier step's result (its numbers are read) or a raster (the
mean of band 1 is streamed). Dates come from ``dates``, else from the file name of the scene
(``YYYY-MM-DD``, ``YYYY_MM_DD``, ``YYYYMMDD``; a lone year such as ``scene_s1_2018.tif`` is
taken as 1 July, the middle of that year), else from the TIFF date tags.

``statistic='auto'`` picks, from a result's numbers, the first of :data:`AUTO_ORDER` that it
holds (else its first number).

Each image's value is one task, run wherever ``EARTHSIGHT_CLUSTER`` says
(:meth:`tools.geo.fanout.TileRunner.each`: a raster's statistics are streamed on a worker);
the values come back in image order and the dates, units and fit are worked out here, so the
numbers are identical wherever the images were read.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from specialists.stats.trend import analyse, direction_text
from tools.core.artifacts import ToolResult, unit_text
from tools.core.errors import InputError
from tools.core.registry import PATH_FIELD, ToolContext, tool_record
from tools.core.scene_options import SceneOptions
from tools.core.sources import load_source
from tools.geo.area import M2_PER_ACRE, M2_PER_HA, M2_PER_KM2, M2_PER_MI2
from tools.geo.atomic import write_csv_atomic
from tools.geo.fanout import TileRunner
from tools.geo.raster import open_dataset
from tools.geo.zones import zonal_stats

AUTO_ORDER = ("water_area", "changed_area", "area", "mean", "total", "count")
"""Which number ``statistic='auto'`` takes from a result, first match wins."""
RASTER_STATISTICS = ("auto", "mean", "min", "max", "sum")
_AREA_M2 = {"m²": 1.0, "m2": 1.0, "ha": M2_PER_HA, "km²": M2_PER_KM2, "km2": M2_PER_KM2,
            "acre": M2_PER_ACRE, "mi²": M2_PER_MI2, "ft²": 0.3048 ** 2}
_FULL_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})([-_.:]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_DATE_TAGS = ("ACQUISITION_DATE", "DATE_ACQUIRED", "acquisition_date", "datetime", "DATETIME",
              "TIFFTAG_DATETIME")


class TrendInput(SceneOptions):
    """Arguments of trend."""

    images: list[str] = Field(
        min_length=2, description="one per date: earlier steps ($s1, $s2, ...) or rasters",
        json_schema_extra=PATH_FIELD)
    statistic: str = Field(
        "auto", description="which number of each source: auto (the main area or mean), or a "
        "name such as water_area, mean, total, count, area")
    dates: list[str] | None = Field(
        None, description="ISO dates aligned with images (default: parsed from file names or "
        "TIFF tags)")


class TrendPoint(BaseModel):
    """One date of the series."""

    date: str
    decimal_year: float
    value: float
    units: str
    source: str
    date_from: str = Field(description="where the date came from: dates, file name, TIFF tag")


class TrendOutput(ToolResult):
    """Output of trend: the series and its trend statistics."""

    statistic: str = ""
    units: str = ""
    points: list[TrendPoint] = Field(default_factory=list)
    slope_per_year: float | None = Field(None, description="OLS slope in units per year")
    slope_stderr: float | None = Field(None, description="standard error of the OLS slope")
    sen_slope_per_year: float | None = None
    mann_kendall_s: int | None = None
    mann_kendall_z: float | None = None
    mann_kendall_p: float | None = Field(None, description="two-sided p value")
    kendall_tau: float | None = None
    direction: str = ""


def parse_date_text(text: str) -> dt.date | None:
    """The last full date (YYYY-MM-DD, YYYY_MM_DD, YYYYMMDD, YYYY:MM:DD) in ``text``, else a
    lone year as 1 July of that year, else None."""
    found = []
    for m in _FULL_DATE.finditer(text):
        try:
            found.append(dt.date(int(m.group(1)), int(m.group(3)), int(m.group(4))))
        except ValueError:
            continue
    if found:
        return found[-1]
    years = [int(m.group(1)) for m in _YEAR.finditer(text)]
    return dt.date(years[-1], 7, 1) if years else None


def _given_date(text: str, i: int) -> dt.date:
    value = text.strip()
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    if re.fullmatch(r"(19|20)\d{2}", value):
        return dt.date(int(value), 7, 1)
    raise InputError(f"dates[{i}]: {text!r} is not a date; write YYYY-MM-DD (or a year).")


def _tag_date(path: str) -> dt.date | None:
    if not Path(path).is_file():
        return None
    try:
        with open_dataset(path, "images") as src:
            tags = src.tags()
    except InputError:
        return None
    for key in _DATE_TAGS:
        if tags.get(key):
            date = parse_date_text(str(tags[key]))
            if date is not None:
                return date
    return None


@dataclass
class _Point:
    source: str
    value: float
    units: str
    name: str
    scene: str | None


def _pick(numbers: dict[str, tuple[float, str]], statistic: str, where: str) -> str:
    if statistic == "auto":
        for name in AUTO_ORDER:
            if name in numbers:
                return name
        return next(iter(numbers))
    if statistic in numbers:
        return statistic
    close = [n for n in numbers if n.endswith(f"_{statistic}") or n.startswith(f"{statistic}_")]
    if close:
        return close[0]
    raise InputError(f"statistic: {where} has no number {statistic!r}; it has "
                     f"{', '.join(numbers)}. Pass one of those or 'auto'.")


def _value(ref: str, statistic: str, tile_size: int) -> _Point:
    """One image's value (a task: it may run on a cluster worker)."""
    src = load_source(ref, "images")
    if src.result is not None and src.numbers:
        numbers = {k: (q.value, q.unit) for k, q in src.numbers.items()}
        name = _pick(numbers, statistic, ref)
        value, units = numbers[name]
        return _Point(ref, value, units or "1", name, src.image)
    raster = src.raster
    if raster is None:
        raise InputError(f"images: {ref} holds no numbers and no raster. Pass rasters or earlier "
                         "steps that produce numbers (e.g. measure, map_water).")
    stat = "mean" if statistic == "auto" else statistic
    if stat not in RASTER_STATISTICS:
        raise InputError(f"statistic: {stat!r} cannot be computed from the raster {raster}; use "
                         "auto, mean, min, max or sum.")
    stats = zonal_stats(raster, tile_size=tile_size)
    if stats.overall["pixels"] == 0:
        raise InputError(f"images: {raster} has no valid pixels in band 1 (all nodata).")
    return _Point(ref, stats.overall[stat], stats.units or "pixel value", stat,
                  src.image or str(raster))


def _harmonise(points: list[_Point]) -> tuple[list[float], str]:
    units = {p.units for p in points}
    if len(units) == 1:
        return [p.value for p in points], points[0].units
    if all(u in _AREA_M2 for u in units):
        m2 = [p.value * _AREA_M2[p.units] for p in points]
        unit = "ha" if max(abs(v) for v in m2) >= M2_PER_HA else "m²"
        return [v / _AREA_M2[unit] for v in m2], unit
    raise InputError(f"images: the values have different units ({', '.join(sorted(units))}); "
                     "pass sources that measure the same quantity.")


def _dates(args: TrendInput, points: list[_Point]) -> list[tuple[dt.date, str]]:
    if args.dates is not None:
        if len(args.dates) != len(args.images):
            raise InputError(f"dates: {len(args.dates)} date(s) for {len(args.images)} images; "
                             "give one date per image, in the same order.")
        return [(_given_date(d, i), "dates") for i, d in enumerate(args.dates)]
    out = []
    for p in points:
        candidates = [(Path(p.scene).name, "scene file name")] if p.scene and (
            p.scene != p.source) else []
        candidates.append((Path(p.source).name, "file name"))
        date = next(((d, how) for text, how in candidates
                     if (d := parse_date_text(text)) is not None), None)
        if date is None and p.scene:
            tag = _tag_date(p.scene)
            date = (tag, "TIFF date tag") if tag else None
        if date is None:
            raise InputError(f"dates: no date found for {p.scene or p.source} (neither in its "
                             "file name nor its TIFF tags); pass dates=[...] in image order.")
        out.append(date)
    return out


def _decimal_year(d: dt.date) -> float:
    days = 366 if calendar.isleap(d.year) else 365  # (31 Dec 9999 has no next year)
    return d.year + (d - dt.date(d.year, 1, 1)).days / days


def _write_csv(path: Path, points: list[TrendPoint], fitted: list[float]) -> Path:
    return write_csv_atomic(
        path, ["date", "decimal_year", "value", "units", "ols_fit", "source", "date_from"],
        [[p.date, f"{p.decimal_year:.4f}", repr(p.value), p.units, f"{f:.6g}", p.source,
          p.date_from] for p, f in zip(points, fitted, strict=True)])


@tool_record(TrendInput, TrendOutput)
def trend(args: TrendInput, ctx: ToolContext) -> TrendOutput:
    """Multitemporal trend of a statistic over dated scenes: per-date values with units, the
    OLS slope per year (± standard error), Sen's slope, the Mann-Kendall test (S, Z, two-sided
    p) and the direction in words; the series is written as a CSV table. Images are earlier
    steps (their main number, e.g. water_area) or rasters (mean of band 1); dates come from
    dates, else from file names (YYYY-MM-DD, YYYYMMDD, a lone year = 1 July) or TIFF tags.

    Args:
        args: Images (one per date), statistic, optional dates.
        ctx: Tool context.
    """
    runner = TileRunner(ctx)
    with runner.each("trend", _value, args.images, args.statistic,
                     ctx.settings.tile_size) as found:
        raw = list(found)
    values, units = _harmonise(raw)
    dates = _dates(args, raw)
    seen: dict[dt.date, str] = {}
    for (d, _), p in zip(dates, raw, strict=True):
        if d in seen:
            raise InputError(f"dates: {seen[d]} and {p.source} have the same date {d}; a trend "
                             "needs one value per date (pass dates=[...] to set them).")
        seen[d] = p.source
    order = sorted(range(len(raw)), key=lambda k: dates[k][0])
    points = [TrendPoint(date=dates[k][0].isoformat(), decimal_year=_decimal_year(dates[k][0]),
                         value=values[k], units=units, source=raw[k].source,
                         date_from=dates[k][1]) for k in order]
    names = sorted({raw[k].name for k in order})
    stats = analyse([p.decimal_year for p in points], [p.value for p in points])
    fit = stats.ols
    per_year = f"{units}/yr"
    ctx.number("slope", fit.slope, per_year, "OLS slope")
    if fit.slope_stderr is not None:
        ctx.number("slope_stderr", fit.slope_stderr, per_year, "standard error of the OLS slope")
    ctx.number("sen_slope", stats.sen_slope, per_year, "Sen's slope (median pairwise slope)")
    ctx.number("mann_kendall_p", stats.mk.p, "1", "Mann-Kendall two-sided p value")
    ctx.number("mann_kendall_z", stats.mk.z, "1", "Mann-Kendall Z")
    ctx.number("change", points[-1].value - points[0].value, units, "last minus first value")
    fitted = [fit.intercept + fit.slope * p.decimal_year for p in points]
    table = _write_csv(ctx.output_path("trend_series.csv"), points, fitted)
    ctx.artifact("series", "table", table, units=units,
                 description=f"{'/'.join(names)} per date with the OLS fit")
    warnings = []
    if len(points) < 5:
        warnings.append(f"with {len(points)} dates the Mann-Kendall test cannot reach 5 % "
                        "significance; treat the p value as indicative")
    if len(names) > 1:
        warnings.append(f"the sources gave different statistics ({', '.join(names)})")
    direction = direction_text(stats)
    err = f" ± {fit.slope_stderr:.3g}" if fit.slope_stderr is not None else ""
    shown, rate = unit_text(units), unit_text(per_year)
    summary = (f"{names[0] if len(names) == 1 else args.statistic} over {len(points)} dates "
               f"({points[0].date} to {points[-1].date}): {points[0].value:.4g} -> "
               f"{f'{points[-1].value:.4g} {shown}'.strip()}; OLS slope {fit.slope:.4g}{err} "
               f"{rate}, Sen's slope {stats.sen_slope:.4g} {rate}; {direction}.")
    result = TrendOutput(
        summary=summary, image=raw[order[-1]].scene, warnings=warnings,
        statistic=names[0] if len(names) == 1 else args.statistic, units=units, points=points,
        slope_per_year=fit.slope, slope_stderr=fit.slope_stderr,
        sen_slope_per_year=stats.sen_slope, mann_kendall_s=stats.mk.s,
        mann_kendall_z=stats.mk.z, mann_kendall_p=stats.mk.p, kendall_tau=stats.mk.tau,
        direction=direction)
    result.cluster = runner.record()
    return result

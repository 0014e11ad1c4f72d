"""``measure``: numbers with units from earlier artifacts.

Sources: an earlier step's result (its vector first, else its mask or raster), a GeoJSON, or
a mask / value raster. Vectors are measured per feature (areas and lengths from the geometry
and its CRS); masks are streamed window by window (areas from the transform and CRS, regions
joined across window borders).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, model_validator
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from tools.core.artifacts import ToolResult, unit_text
from tools.core.errors import InputError
from tools.core.registry import PATH_FIELD, ToolContext, tool_record
from tools.core.scene_options import SceneOptions
from tools.core.sources import Source, load_source
from tools.geo.area import M2_PER_ACRE, M2_PER_HA, M2_PER_KM2, M2_PER_MI2, require_crs
from tools.geo.objects import (
    Obj,
    attr_units,
    attr_values,
    class_of,
    filter_objects,
    load_objects,
    object_area_m2,
    object_length_m,
    write_objects,
)
from tools.geo.raster import crs_to_str, describe, open_dataset
from tools.geo.vector import polygonize_mask
from tools.geo.zones import mask_regions, per_area_factor, zonal_stats

Statistic = Literal["count", "area", "mean", "sum", "min", "max", "length"]
AreaUnit = Literal["m2", "ha", "km2", "acre", "mi2", "ft2"]
LengthUnit = Literal["m", "km", "ft", "mi"]

AREA_UNITS: dict[str, tuple[str, float]] = {
    "m2": ("m²", 1.0), "ha": ("ha", M2_PER_HA), "km2": ("km²", M2_PER_KM2),
    "acre": ("acre", M2_PER_ACRE), "mi2": ("mi²", M2_PER_MI2), "ft2": ("ft²", 0.3048 ** 2)}
LENGTH_UNITS: dict[str, float] = {"m": 1.0, "km": 1000.0, "ft": 0.3048, "mi": 1609.344}
"""Metres per unit of each length unit (international foot and mile)."""


class MeasureInput(SceneOptions):
    """Arguments of measure."""

    source: str = Field(description="an earlier step ($s1) or a GeoJSON / mask / raster file",
                        json_schema_extra=PATH_FIELD)
    statistic: Statistic = Field(description="count, area, mean, sum, min, max or length")
    attribute: str | None = Field(
        None, description="vector property the statistic reads (default: area_m2 for "
        "mean/sum/min/max of polygons, length_m for length)")
    image: str | None = Field(
        None, description="zonal statistics: raster whose values are summarised inside the "
        "source mask or polygons",
        json_schema_extra=PATH_FIELD)
    band: int = Field(1, ge=1, description="zonal statistics: 1-based band of image")
    classes: list[str] | None = Field(None, description="keep only these object classes")
    min_area_m2: float | None = Field(None, ge=0, description="keep objects at least this large")
    max_area_m2: float | None = Field(None, ge=0, description="keep objects at most this large")
    min_length_m: float | None = Field(None, ge=0, description="keep objects at least this long")
    min_confidence: float | None = Field(None, ge=0, le=1, description="keep detections at "
                                         "least this confident")
    units: AreaUnit | LengthUnit | None = Field(
        None, description="unit of the answer: m2, ha, km2, acre, mi2 or ft2 for areas; m, km, "
        "ft or mi for the length statistic")

    @model_validator(mode="after")
    def _units_fit_statistic(self) -> MeasureInput:
        length = self.units in LENGTH_UNITS
        if self.units is not None and length != (self.statistic == "length"):
            kind = "a length unit (m, km, ft, mi)" if length else \
                "an area unit (m2, ha, km2, acre, mi2, ft2)"
            fits = "m, km, ft or mi" if self.statistic == "length" else \
                "m2, ha, km2, acre, mi2 or ft2 (areas only)"
            raise ValueError(f"units: {self.units!r} is {kind} but statistic is "
                             f"{self.statistic!r}; use {fits}, or leave units out")
        return self


class MeasureOutput(ToolResult):
    """Output of measure: the main number (also a number artifact) and what it counted."""

    statistic: str = ""
    value: float | None = Field(None, description="the main number, in units")
    units: str | None = None
    objects: int | None = Field(None, description="objects or regions measured after filters")
    counts: dict[str, int] = Field(default_factory=dict, description="objects per class")


def area_key(area_m2: float, units: str | None) -> str:
    """The area unit an area is given in: the requested one (default, and for a length unit:
    ha from 1 ha, else m²)."""
    return units if units is not None and units in AREA_UNITS else (
        "ha" if abs(area_m2) >= M2_PER_HA else "m2")


def area_value(area_m2: float, units: str | None) -> tuple[float, str]:
    """An area in the unit :func:`area_key` picks, and that unit's label."""
    label, factor = AREA_UNITS[area_key(area_m2, units)]
    return area_m2 / factor, label


def _reduce(values: list[float], statistic: str) -> float:
    if not values:
        return 0.0 if statistic == "sum" else float("nan")
    arr = np.asarray(values, dtype=float)
    if statistic == "mean":
        return float(arr.mean())
    return float(arr.sum() if statistic == "sum" else arr.min() if statistic == "min"
                 else arr.max())


class _Out:
    """Collects the numbers of one measure call."""

    def __init__(self, ctx: ToolContext, args: MeasureInput, warnings: list[str]) -> None:
        self.ctx, self.args, self.warnings = ctx, args, warnings
        self.value: float | None = None
        self.units: str | None = None
        self.text = ""

    def main(self, name: str, value: float, units: str, text: str) -> bool:
        """Record the main number; a NaN (nothing to measure) becomes a warning instead."""
        self.units, self.text = units, text
        if math.isnan(value):
            self.warnings.append(f"no {name} could be measured: nothing left to measure ({text})")
            return False
        self.ctx.number(name, value, units, text)
        self.value = value
        return True

    def area(self, name: str, area_m2: float, text: str) -> None:
        units = self.args.units
        value, unit = area_value(area_m2, units)
        if self.main(name, value, unit, text):
            self.ctx.number(f"{name}_m2", area_m2, "m²", text)


def _measure_objects(
    args: MeasureInput, objs: list[Obj], crs: str | None, where: str, ctx: ToolContext,
    out: _Out, warnings: list[str],
) -> tuple[int, dict[str, int]]:
    total = len(objs)
    objs = filter_objects(objs, crs, where, warnings, classes=args.classes,
                          min_confidence=args.min_confidence, min_area_m2=args.min_area_m2,
                          max_area_m2=args.max_area_m2, min_length_m=args.min_length_m)
    n, stat = len(objs), args.statistic
    counts: dict[str, int] = {}
    for cls in filter(None, map(class_of, objs)):
        counts[cls] = counts.get(cls, 0) + 1
    kept = f"{n} of {total} object(s)" if n != total else f"{n} object(s)"
    if args.image is not None and stat in ("mean", "sum", "min", "max"):
        _zonal(args, ctx, out, warnings, geometries=[o.geom for o in objs], crs=crs, objs=objs)
    elif stat == "count":
        if crs is None:
            warnings.append(f"{where} has no CRS: counting only; areas and lengths unavailable")
        out.main("count", n, "count", f"number of objects ({kept})")
        for cls, k in sorted(counts.items()):
            ctx.number(f"count_{cls.replace(' ', '_')}", k, "count", f"number of {cls} objects")
    elif stat == "area":
        areas = [object_area_m2(o, crs, where) for o in objs]
        out.area("area", float(sum(areas)), f"total area of {kept}")
        if len(counts) > 1 and out.value is not None:  # the area of each class as well, in
            key = area_key(float(sum(areas)), args.units)  # the unit of the total
            for cls in sorted(counts):
                m2 = float(sum(a for o, a in zip(objs, areas, strict=True) if class_of(o) == cls))
                value, unit = area_value(m2, key)
                ctx.number(f"area_{cls.replace(' ', '_')}", value, unit,
                           f"total area of the {cls} objects")
    elif stat == "length":
        lengths = [object_length_m(o, crs, where) for o in objs]
        text = "length of the object" if n == 1 else f"mean length of {kept}"
        unit = args.units if args.units in LENGTH_UNITS else "m"
        factor = LENGTH_UNITS[unit]
        if out.main("length", _reduce(lengths, "mean") / factor, unit, text):
            for name in ("min", "max"):
                ctx.number(f"length_{name}", _reduce(lengths, name) / factor, unit,
                           f"{name} object length")
            ctx.number("length_total", float(sum(lengths)) / factor, unit,
                       "summed object lengths")
    else:
        attr = args.attribute or "area_m2"
        value = _reduce(attr_values(objs, attr, crs, where, warnings), stat)
        if attr == "area_m2":
            out.area(stat, value, f"{stat} object area over {kept}")
        else:
            out.main(stat, value, attr_units(attr), f"{stat} of {attr} over {kept}")
    filtered = any(v is not None for v in (args.classes, args.min_area_m2, args.max_area_m2,
                                           args.min_length_m, args.min_confidence))
    if filtered or stat == "length" or (args.image is not None and stat != "count"):
        path = write_objects(ctx.output_path("measured.geojson"), objs, crs)
        ctx.artifact("measured", "vector", path, crs=crs,
                     description=f"{n} object(s) measured (after filters)")
    return n, counts


def _zonal(args: MeasureInput, ctx: ToolContext, out: _Out, warnings: list[str], *,
           geometries: list[BaseGeometry] | None = None, crs: str | None = None,
           objs: list[Obj] | None = None, mask: Path | None = None,
           image: str | None = None) -> None:
    target = image or args.image
    assert target is not None
    stats = zonal_stats(target, band=args.band, mask=mask, geometries=geometries,
                        geometries_crs=crs, tile_size=ctx.settings.tile_size,
                        progress=ctx.progress)
    warnings.extend(stats.warnings)
    units = stats.units
    if units is None:
        warnings.append(f"{target} does not state its units; values are raw pixel values")
    stat = args.statistic
    value, unit = stats.overall[stat], units or "pixel value"
    per = stats.per_zone
    density = per_area_factor(units) if stat == "sum" and stats.crs else None
    if density is not None:  # e.g. Mg/ha: the sum is a total (Mg), area-weighted
        value, unit = stats.overall["weighted_sum"] * density[0], density[1]
        per = {**per, "sum": per["weighted_sum"] * density[0]}
    where = "inside the mask" if mask else "inside the polygons" if geometries is not None \
        else "over the valid pixels"
    what = "area-weighted total" if density is not None else stat
    out.main(stat, value, unit, f"{what} of band {args.band} of {Path(target).name} {where}")
    ctx.number("valid_pixels", stats.overall["pixels"], "count", f"pixels used ({where})")
    if objs is not None:
        for o, v in zip(objs, per[stat], strict=True):
            o.feature.setdefault("properties", {})
            o.feature["properties"] = {**(o.feature["properties"] or {}),
                                       f"zonal_{stat}": None if np.isnan(v) else float(v)}


def _measure_mask(args: MeasureInput, src: Source, ctx: ToolContext, out: _Out,
                  warnings: list[str]) -> int | None:
    mask = src.mask or src.raster
    assert mask is not None
    stat, where = args.statistic, str(mask)
    if args.classes or args.min_confidence is not None:
        raise InputError(f"classes / min_confidence: {where} is a mask without object classes "
                         "or scores; pass detections (a detect_objects or segment step).")
    if stat == "length" or args.min_length_m is not None:  # lengths need outlines
        with open_dataset(mask, "source") as ds:
            crs = crs_to_str(ds.crs)
            require_crs(crs, f"source mask {where}")
            features = polygonize_mask(ds, tile_size=ctx.settings.tile_size)
        objs = [Obj(feature=f, geom=shape(f["geometry"])) for f in features]
        return _measure_objects(args, objs, crs, where, ctx, out, warnings)[0]
    if args.image is not None and stat in ("mean", "sum", "min", "max"):
        _zonal(args, ctx, out, warnings, mask=mask)
        return None
    if stat in ("mean", "sum", "min", "max") and src.raster is not None and (
            args.attribute is None):
        # A value raster (index, biomass...): statistics of its pixel values.
        _zonal(args, ctx, out, warnings, image=str(src.raster))
        return None
    filters = args.min_area_m2 is not None or args.max_area_m2 is not None
    regions = stat in ("count", "mean", "sum", "min", "max") or filters
    if stat != "count" or filters:
        require_crs(describe(mask, "source").crs, f"source mask {where}")
    found = mask_regions(mask, regions=regions, tile_size=ctx.settings.tile_size,
                         progress=ctx.progress)
    if found.crs is None:
        warnings.append(f"{where} has no CRS: regions counted in pixels only, no areas")
    if not regions:
        assert found.area_m2 is not None
        out.area("area", found.area_m2, f"area of the non-zero pixels of {Path(where).name}")
        return None
    assert found.region_pixels is not None
    areas = found.region_area_m2
    keep = np.ones(found.region_pixels.size, dtype=bool)
    if areas is not None:
        if args.min_area_m2 is not None:
            keep &= areas >= args.min_area_m2
        if args.max_area_m2 is not None:
            keep &= areas <= args.max_area_m2
    n = int(keep.sum())
    if stat == "count":
        out.main("count", n, "count", "connected regions (4-connectivity) of the mask")
    elif stat == "area":
        assert areas is not None
        out.area("area", float(areas[keep].sum()), f"area of {n} region(s) of the mask")
    else:
        assert areas is not None
        if args.attribute not in (None, "area_m2"):
            raise InputError(f"attribute: a mask's regions only have area_m2, not "
                             f"{args.attribute!r}")
        out.area(stat, _reduce(list(areas[keep]), stat), f"{stat} region area over {n} region(s)")
    return n


@tool_record(MeasureInput, MeasureOutput)
def measure(args: MeasureInput, ctx: ToolContext) -> MeasureOutput:
    """Measure numbers with units from an earlier step, a GeoJSON or a mask: count of objects
    (or connected mask regions), total area (m², ha, km², acre, mi², ft²; also per class when the
    objects have several classes), mean/sum/min/max of
    an object attribute (default the object area) or, with image, of raster values inside the
    mask or polygons (zonal statistics; sum of a per-area raster such as Mg/ha is the total in
    Mg),
    mean/sum/min/max of a value raster's pixels (e.g. an index), and object lengths (long side
    of the minimum rotated rectangle; m, or km / ft / mi with units). Filters: classes,
    min/max_area_m2, min_length_m, min_confidence; a filtered object set is written as GeoJSON
    for later steps.

    Args:
        args: Source, statistic, filters and units.
        ctx: Tool context.
    """
    src = load_source(args.source)
    warnings: list[str] = []
    out = _Out(ctx, args, warnings)
    if args.image is not None and args.statistic in ("count", "area", "length"):
        warnings.append(f"image is only read for mean/sum/min/max; ignored for {args.statistic}")
    counts: dict[str, int] = {}
    objects: int | None
    if src.vector is not None:
        objs, crs, warns = load_objects(src.vector)
        warnings.extend(warns)
        objects, counts = _measure_objects(args, objs, crs, str(src.vector), ctx, out, warnings)
    elif src.mask is not None or src.raster is not None:
        objects = _measure_mask(args, src, ctx, out, warnings)
    else:
        made = f" (made by {src.call.tool})" if src.call else ""
        have = ", ".join(sorted(src.numbers)) or "nothing measurable"
        raise InputError(f"source: {src.path}{made} holds no objects, mask or raster to measure "
                         f"(it holds {have}). Pass a step that writes polygons or a mask.")
    value = "n/a" if out.value is None or math.isnan(out.value) else (
        f"{out.value:,.0f}" if args.statistic == "count" else f"{out.value:,.4g}")
    unit = "" if out.units == "count" or out.value is None else f" {unit_text(out.units)}"
    summary = f"{args.statistic}: {value}{unit}".rstrip() + f" ({out.text})."
    return MeasureOutput(summary=summary, image=src.image or args.image, warnings=warnings,
                         statistic=args.statistic, value=out.value, units=out.units,
                         objects=objects, counts=counts)

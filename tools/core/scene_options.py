"""The two options every tool that reads a scene takes: ``gsd`` and ``region``.

* ``gsd`` (metres per pixel) for images without georeference (PNG/JPEG chips): the scene is
  read on a pixel grid (:mod:`tools.geo.pixel_grid`), so areas and lengths come from ``gsd``
  and outputs are in pixel coordinates.
* ``region`` (area of interest): a bbox, a vector file or an earlier step's result; each scene
  is cut to it before the tool runs (:mod:`tools.geo.region`), so the tool reads only the
  windows that touch it and its outputs and numbers are inside it.

Input models inherit :class:`SceneOptions`; the runner (:mod:`tools.core.registry`) applies
both once per call with :func:`scene_scope`, so no tool decides them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field

from tools.core.artifacts import ToolResult
from tools.core.errors import InputError
from tools.core.fields import PATH_FIELD
from tools.geo.area import area_quantity
from tools.geo.pixel_grid import PIXEL_COORDINATES_NOTE, stated_gsd
from tools.geo.region import Region, clip_to_region, load_region

SCENE_FIELDS = ("image", "before", "after", "images")
"""The arguments that name scenes: ``gsd`` is stated for them and ``region`` cuts them."""

NOT_RASTERS = (".json", ".geojson", ".gpkg", ".shp", ".fgb", ".gml", ".kml", ".csv")
OTHER_RASTERS = ("source", "result", "reference")
"""Arguments that may name rasters measured or compared (a single ``gsd`` holds for them)."""

GSD_HELP = ("metres per pixel for images without georeference (PNG/JPEG chips, e.g. 0.5); "
            "one value, or one per image where the tool takes several. Areas and lengths "
            "then come from it and outputs are in pixel coordinates")
REGION_HELP = ("area of interest: a bbox [minx, miny, maxx, maxy] in the scene CRS or in "
               "lon/lat, a vector file (GeoJSON, GeoPackage, Shapefile; 'file.gpkg#layer' for "
               "a named layer), or an earlier step ($s1 polygons or mask). Only the windows "
               "that touch it are read, outputs are clipped to it and numbers are inside it")

Gsd = Annotated[float, Field(gt=0, le=100_000)]


class SceneOptions(BaseModel):
    """``gsd`` and ``region``, shared by every tool that reads a scene."""

    gsd: Gsd | list[Gsd] | None = Field(None, description=GSD_HELP)
    region: str | list[float] | None = Field(None, description=REGION_HELP,
                                             json_schema_extra=PATH_FIELD)


@dataclass
class SceneScope:
    """One call's scenes after ``gsd`` and ``region``: the arguments the handler gets, and
    what the answer must say."""

    args: BaseModel
    notes: list[str] = field(default_factory=list)
    region: Region | None = None
    region_area_m2: float | None = None
    originals: dict[str, str] = field(default_factory=dict)
    stated: dict[str, float] = field(default_factory=dict)
    """The GSD stated for each file."""
    uses: dict[str, bool] = field(default_factory=dict)
    """How each file with a stated GSD opened (True: on its pixel grid)."""

    def finish(self, result: ToolResult, number: Any) -> None:
        """Add the notes, the region's area (``number(name, value, units, text)``) and the
        original scene names to ``result``."""
        for note in _gsd_notes(self.stated, self.uses) + self.notes:
            if note not in result.warnings:
                result.warnings.append(note)
        if result.image in self.originals:
            result.image = self.originals[result.image]
        if self.region is None:
            return
        where = self.region.what
        if self.region_area_m2 is not None:
            number("region_area", self.region_area_m2, "m²",
                   f"area of the region ({self.region.what}) inside the scene")
            where += f", {area_quantity(self.region_area_m2)}"
        # after the summary: an 'unreliable: ...' headline stays the first thing said
        result.summary = f"{result.summary.rstrip()} All figures are inside the region ({where})."


def scene_paths(args: BaseModel) -> list[tuple[str, int | None, str]]:
    """(argument, list index or None, path) of every scene argument given, in order."""
    out: list[tuple[str, int | None, str]] = []
    for name in SCENE_FIELDS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            out.append((name, None, value))
        elif isinstance(value, list):
            out.extend((name, i, v) for i, v in enumerate(value) if isinstance(v, str))
    return out


def _raster_files(args: BaseModel) -> list[tuple[str, int | None, str]]:
    """(argument, None, path) of the raster files measured or compared (``source``,
    ``result``, ``reference``): a region cuts them too (result records and vectors it leaves)."""
    out: list[tuple[str, int | None, str]] = []
    for name in OTHER_RASTERS:
        value = getattr(args, name, None)
        if isinstance(value, str) and Path(value).is_file() and (
                Path(value).suffix.lower() not in NOT_RASTERS):
            out.append((name, None, value))
    return out


def _gsd_by_path(args: BaseModel, scenes: list[tuple[str, int | None, str]]) -> dict[str, float]:
    """The stated GSD of each scene; one value also holds for the rasters a tool measures or
    compares (``source``, ``result``, ``reference``: a PNG label mask)."""
    gsd = getattr(args, "gsd", None)
    if gsd is None:
        return {}
    values = gsd if isinstance(gsd, list) else [gsd]
    others = [v for name in OTHER_RASTERS if isinstance(v := getattr(args, name, None), str)]
    if len(values) == 1:
        return {path: float(values[0]) for path in [p for _, _, p in scenes] + others}
    if len(values) != len(scenes):
        raise InputError(f"gsd: {len(values)} values for {len(scenes)} images; give one value "
                         "for all or one per image, in the order of the images")
    return {path: float(g) for (_, _, path), g in zip(scenes, values, strict=True)}


def _gsd_notes(by_path: dict[str, float], uses: dict[str, bool]) -> list[str]:
    """What the answer says of each stated GSD, from how the files opened (no file read)."""
    notes = []
    for path, gsd in by_path.items():
        applied = uses.get(path)
        if applied is True:
            notes.append(PIXEL_COORDINATES_NOTE.format(path=path, gsd=gsd))
        elif applied is False:
            notes.append(f"{path} is georeferenced: gsd {gsd:g} m was not used (its CRS gives "
                         "the pixel size)")
    return notes


@contextmanager
def scene_scope(args: BaseModel, out_name: Any) -> Iterator[SceneScope]:
    """Apply ``gsd`` and ``region`` of a call for the duration of the block.

    Args:
        args: The call's validated arguments.
        out_name: ``name -> Path`` of the call's output files (the context's ``output_path``):
            region clips are written there and kept (they are the call's inputs).

    Yields:
        The scope: ``scope.args`` are the arguments the handler runs with (scene paths
        replaced by their clips when a region is given).
    """
    scenes = scene_paths(args)
    by_path = _gsd_by_path(args, scenes)
    scope = SceneScope(args=args)
    with ExitStack() as stack:
        uses = stack.enter_context(stated_gsd(by_path))
        value = getattr(args, "region", None)
        targets = scenes + _raster_files(args)
        if value is not None and not targets:
            scope.notes.append("region: not applied: this call reads no scene or raster file "
                               "(its inputs are earlier results, already cut to their region)")
        if value is not None and targets:
            scope.region = load_region(value)
            scope.notes.extend(scope.region.notes)
            update: dict[str, Any] = {}
            for name, index, path in targets:
                suffix = name if index is None else f"{name}_{index + 1}"
                clip = clip_to_region(path, scope.region, out_name(f"region_{suffix}.tif"),
                                      name if index is None else f"{name}[{index}]")
                scope.notes.extend(n for n in clip.notes if n not in scope.notes)
                scope.originals[str(clip.path)] = path
                if scope.region_area_m2 is None:
                    scope.region_area_m2 = clip.area_m2
                if index is None:
                    update[name] = str(clip.path)
                else:
                    update.setdefault(name, list(getattr(args, name)))[index] = str(clip.path)
            scope.args = args.model_copy(update=update)
        scope.stated, scope.uses = by_path, uses
        yield scope

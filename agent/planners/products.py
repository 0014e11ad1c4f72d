"""Finished products given instead of scenes: vector files of objects, land-cover, biomass or
index rasters. They are measured as they are, nothing is detected or computed again."""

from __future__ import annotations

import re
from pathlib import PurePath

from agent.planners.analysis import Analysis
from agent.planners.builder import Builder, SceneRef


def vector_only(a: Analysis, norm: str) -> bool:
    """Whether a request with no scene asks to count or measure the objects of its vector file
    ("the footprints in b.gpkg: how many?"), not to use the file as a region ("ships inside
    harbour.geojson")."""
    if _objects_asked(a) and re.search(r"\b(polygons?|features?|shapes?|outlines?|footprints?|"
                                       r"alerts?|records?)\b[^.?!;]{0,20}\b(in|of|from)\s+"
                                       r"(?:the\s+)?xfilex", norm):
        return True  # "the area of the flood polygons in f.geojson": the file's own shapes
    return _objects_asked(a) and not (
        a.water or a.indices or a.biomass or a.search or re.search(
            r"\b(inside|within|over|across|clipped to|area of)\s+(?:the |my |our )?"
            r"(?:\w+ ){0,2}xfilex", norm))


def names_index(path: str, index: str) -> bool:
    """Whether a file name says the raster holds ``index`` already ("HARV_ndvi_005.tif")."""
    return re.search(rf"(^|[^a-z]){index.lower()}([^a-z]|$)", PurePath(path).name.lower()) \
        is not None


def _objects_asked(a: Analysis) -> bool:
    """Whether the request counts or measures objects (a class, a count, an object area)."""
    return bool(a.counting or a.count_words or a.object_area or (a.classes and a.statistic))


def measure_vector(b: Builder, a: Analysis, vector: str, norm: str) -> None:
    """No image, a vector file of objects ("the building footprints in b.gpkg: how many, and
    their total area?"): its features are measured as they are, nothing is detected."""
    if a.counting or a.count_words:
        b.add("measure", source=vector, statistic="count")
    if a.object_area or re.search(r"\b(area|areas|footprint area|surface)\b", norm):
        b.add("measure", source=vector, statistic="area", units=a.units)
    elif a.statistic in ("mean", "max", "min", "length", "sum"):
        b.add("measure", source=vector, statistic=a.statistic, units=a.units)
    b.note(f"no image given: the objects of {vector} are measured as they are, nothing detected")


def finished(b: Builder, a: Analysis, scenes: list[SceneRef]) -> None:
    """A finished product given (land cover, biomass, an index raster): measured as it is, or
    its trend over a series of them."""
    if len(scenes) >= 3 and (a.trend or a.change):  # an NDVI series: its trend as it is
        b.add("trend", images=[s.path for s in scenes], statistic=a.product,
              dates=b.trend_dates(scenes))
    else:
        for scene in scenes or [SceneRef("$image", None)]:
            b.add("measure", source=scene.path, statistic=a.product, units=a.units,
                  region=a.region)
    b.note(f"{', '.join(s.path for s in scenes) or '$image'} read as a finished product "
           f"(classes or values per pixel): its {a.product} is measured as it is")

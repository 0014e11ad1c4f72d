"""Finished products given instead of scenes: vector files of objects, land-cover, biomass or
index rasters. They are measured as they are, nothing is detected or computed again."""

from __future__ import annotations

import re
from pathlib import PurePath

from agent.planners import scenes as facts
from agent.planners import topics
from agent.planners.analysis import Analysis
from agent.planners.answer_options import CHOICE
from agent.planners.builder import Builder, SceneRef
from agent.planners.vocab import Vocabulary

_STAT_OF_VALUES = re.compile(
    r"\b(mean|average|maximum|max|minimum|min|highest|lowest|sum|total)\b[^.?!;]{0,25}\b(values?|"
    r"wind speed|speed|elevation|height|depth|backscatter|reflectance|point|dn|lst|temperatures?|"
    r"radiance|(?:night[\s-]?time )?lights|brightness|luminance|"
    r"(?:thermal |red |nir |green |blue )?band \d+)\b")
"""A statistic of the raster's own values ("the mean wind speed in w.tif", "the mean of band
10 inside park.geojson")."""


_DESCRIBED = re.compile(
    r"\b(maps?|rasters?|layers?|products?|grids?)\b (give|gives|hold|holds|contain|contains|store|"
    r"stores|record|records) (the )?"
    r"(fraction|percent\w*|share|density|probability|concentration)\b")
"""A context sentence saying what the given rasters hold ("the density maps give the fraction
of each pixel covered"): products, measured as they are."""


VALUE_ASKED = re.compile(
    r"\b(mean|average|median|max\w*|min\w*|highest|lowest|how much|area|percent\w*|share|"
    r"fraction|hectares?|km2|sum|total|compute|calculate|map (?:the|all|every|it|them)|extract\w*|"
    r"plot|series|trend|"
    r"values? (?:at|of|inside|in|over|for))\b")
"""Words that ask for values, not a header ("the mean of the ndvi file")."""


def given_product(a: Analysis, t: str, full: str, vocab: Vocabulary, n_scenes: int,
                  make_map: bool) -> None:
    """Set ``a.product`` (the statistic) when the scenes are finished products whose values
    are measured as they are: "the mean wind speed in w.tif", "the raster contains biomass in
    t/ha: the total?", "these rasters are already surface temperature" (``t`` the asks,
    ``full`` with the context sentences that describe the data)."""
    if a.metadata and not VALUE_ASKED.search(t):
        a.indices = []  # "what projection and nodata value has the ndvi file": its header only
        return
    stat_of_values = _STAT_OF_VALUES.search(t)
    series = n_scenes >= 3 and re.search(r"\bhow (did|has|have|does|do)\b|\b(month|year|week)"
                                         r"[\s-]over[\s-](month|year|week)\b|\b(for|on|at) each "
                                         r"(date|pass|month|year|week|acquisition)\b", t)
    if stat_of_values and series and not (a.indices or a.biomass):  # "the mean backscatter
        a.water = a.detect = a.classify = False  # inside lot.geojson on each date" of a car park
        a.classes, a.labels = [], None  # or a lake: the values, no cars, water or labels
    if stat_of_values and n_scenes and not (a.water or a.indices or a.biomass or a.detect  # "how
                                            or a.classes or (a.change and not series)  # did the
                                            or a.classify):  # backscatter change": a trend
        word = stat_of_values.group(1)
        a.product = ("max" if word in ("maximum", "max", "highest") else
                     "min" if word in ("minimum", "min", "lowest") else
                     "sum" if word in ("sum", "total") else "mean")
        a.vqa = a.caption = False
        band = re.search(r"\bband (\d+)\b", stat_of_values.group(0))
        a.band = int(band.group(1)) if band else None
    if (vocab.has("product_raster", t) or _DESCRIBED.search(full)) and n_scenes \
            and not make_map and not (
            (a.change and (n_scenes != 1 or a.caption or a.vqa)) or a.search
            or (a.trend_strong and not re.search(r"\b(are|is) already\b", t))
            or a.files.assess
            or (n_scenes == 2 and a.indices and re.search(r"\bseverit(y|ies)\b", t))  # dNBR
            or re.search(r"\bclassify\b", t) or (a.labels and CHOICE.search(t))  # ("the land
            # use in image 3? choose one: residential, forest ...": labels, no land-use map)
            or (a.segment and a.classes and re.search(r"\b(segment|separate)", t))
            or (a.segment and re.search(r"\b(outline|delineate|digiti[sz]e) the \w+s\b", t))
            or (a.indices and (topics.COMPUTES_INDEX.search(t) or re.search(
                r"\b(create|make|produce|generate|compute|calculate|derive)\b[^.?!;]{0,30}"
                r"\bclassified\b", t)))):
        # ("create a map of the classified dNBR from the pre and post scenes": computed)
        a.product = ("sum" if re.search(r"\b(total|sum|absolute|overall)\b", t) and not
                     re.search(r"\b(area|percent\w*|share|fraction|hectares|km2|acres?)\b|"
                               r"\bin ha\b", t) else
                     "mean" if re.search(r"\b(mean|average)\b", t) else "area")
        a.detect = a.segment = a.water = a.biomass = a.classify = a.vqa = a.caption = False
        a.classes, a.indices = [], []


def vector_only(a: Analysis, norm: str) -> bool:
    """Whether a request with no scene asks to count or measure the objects of its vector file
    ("the footprints in b.gpkg: how many?"), not to use the file as a region ("ships inside
    harbour.geojson")."""
    if _objects_asked(a, norm) and re.search(
            r"\b(polygons?|features?|shapes?|outlines?|footprints?|"
            r"alerts?|records?)\b[^.?!;]{0,20}\b(in|of|from)\s+(?:the\s+)?xfilex", norm):
        return True  # "the area of the flood polygons in f.geojson": the file's own shapes
    return _objects_asked(a, norm) and not (
        a.water or a.indices or a.biomass or a.search or re.search(
            r"\b(inside|within|over|across|clipped to|area of)\s+(?:the |my |our )?"
            r"(?:\w+ ){0,2}xfilex", norm))


def names_index(path: str, index: str) -> bool:
    """Whether a file name says the raster holds ``index`` already ("HARV_ndvi_005.tif")."""
    return re.search(rf"(^|[^a-z]){index.lower()}([^a-z]|$)", PurePath(path).name.lower()) \
        is not None


def _objects_asked(a: Analysis, norm: str = "") -> bool:
    """Whether the request counts or measures objects (a class, a count, an object area, a
    length of each)."""
    return bool(a.counting or a.count_words or a.object_area or (a.classes and a.statistic)
                or _LENGTH.search(norm))


_LENGTH = re.compile(r"\b(lengths?|how long)\b")


def measure_vector(b: Builder, a: Analysis, vector: str, norm: str) -> None:
    """No image, a vector file of objects ("the building footprints in b.gpkg: how many, and
    their total area?"): its features are measured as they are, nothing is detected."""
    if a.counting or a.count_words:
        b.add("measure", source=vector, statistic="count")
    if a.object_area or re.search(r"\b(area|areas|footprint area|surface)\b", norm):
        b.add("measure", source=vector, statistic="area", units=a.units)
    elif a.statistic in ("mean", "max", "min", "length", "sum"):
        b.add("measure", source=vector, statistic=a.statistic, units=a.units)
    elif _LENGTH.search(norm):  # "the length of each avalanche in the polygons file"
        b.add("measure", source=vector, statistic="length")
    b.note(f"no image given: the objects of {vector} are measured as they are, nothing detected")


def finished(b: Builder, a: Analysis, scenes: list[SceneRef]) -> None:
    """A finished product given (land cover, biomass, an index raster): measured as it is, or
    its trend over a series of them."""
    dated = all(facts.file_date(s.path) for s in scenes)  # "the mean backscatter for each
    if len(scenes) >= 3 and (a.trend or a.change or dated):  # date": a series, its trend
        b.add("trend", images=[s.path for s in scenes], statistic=a.product,
              dates=b.trend_dates(scenes), region=a.region or a.files.zones)  # "per date inside
        # wheat.geojson": the values inside the polygons, together
    else:
        for scene in scenes or [SceneRef("$image", None)]:
            b.add("measure", source=scene.path, statistic=a.product, units=a.units,
                  region=a.region, band=a.band)
    b.note(f"{', '.join(s.path for s in scenes) or '$image'} read as a finished product "
           f"(classes or values per pixel): its {a.product} is measured as it is")

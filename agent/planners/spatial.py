"""Where a request reads its scenes: slots for ``region`` (the scale, ``gsd``, is read by
:mod:`agent.planners.gsd_slots`).

Read from the normalised request (see :mod:`agent.planners.text`):

* a bounding box ("within 10.1, 45.2, 10.3, 45.4", "bbox=[...]", "between lon 10.1 and 10.3
  and lat 45.2 and 45.4"), as ``[minx, miny, maxx, maxy]``;
* zones named by an earlier product ("inside the water areas", "within the detected
  buildings").

Each finder returns the character spans it read, so that the words and numbers of a box
never read as thresholds, size filters or intent cues. The roles of the files a request
names (reference, result, zones, region, output) live in :mod:`agent.planners.files`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.planners.gsd_slots import file_at
from agent.planners.text import FILE_MASK
from agent.planners.vocab import Vocabulary

Span = tuple[int, int]

_NUM = r"(\d+(?:\.\d+)?|\.\d+)"
_SIGNED = r"(-?\d+(?:\.\d+)?)"


_SEP = r"\s*(?:,|;|\s)\s*"
_BOX = re.compile(r"(?<![\w.\-])[\[(]?\s*" + _SIGNED + _SEP + _SIGNED + _SEP + _SIGNED + _SEP
                  + _SIGNED + r"\s*[\])]?(?!\w|\.\d|\s*[,;]?\s*-?\d|\s*(?:%|percent|m\b|m2|km|"
                  r"ha\b|hect|met|sq|square|px|pixel|years?|nm\b))")
_BOX_CUE = re.compile(r"\b(bbox|bounding box|box|extent|bounds|window|aoi|area of interest|"
                      r"region|rectangle|within|inside|in|over|covering|spanning|clip\w* to|"
                      r"crop\w* to|limited to|restricted to)\b")
_GAP_WORDS = frozenset((
    "the", "a", "an", "this", "that", "box", "bbox", "bounding", "extent", "bounds", "window",
    "aoi", "area", "of", "interest", "region", "rectangle", "coordinates", "coords",
    "coordinate", "lon", "lat", "lonlat", "latlon", "long", "wgs84", "wgs", "84", "epsg", "4326",
    "utm", "degrees", "given", "by", "defined", "minx", "miny", "maxx", "maxy", "xmin", "ymin",
    "xmax", "ymax", "is", "=", ":", "[", "(", "pixels", "pixel", "px", "image"))
"""Words allowed between a place word and the four numbers of a box ("within the bbox of")."""


def _axis(text: str, words: str, negative: str) -> tuple[list[float], Span] | None:
    m = re.search(r"\b(?:between\s+)?(?:" + words + r")\s*(?:between|from|of|range|=|:|in)?\s*"
                  + _SIGNED + r"\s*°?\s*([a-z](?![a-z]))?\s*(?:and|to|-|,|\.\.)\s*" + _SIGNED
                  + r"\s*°?\s*([a-z](?![a-z]))?", text)
    if not m:
        return None
    values = []
    for number, letter in ((m.group(1), m.group(2)), (m.group(3), m.group(4))):
        value = float(number)
        values.append(-abs(value) if letter == negative else value)
    return values, m.span()


_BOUNDS = (r"min_?x|x_?min|west|left|x_?1", r"min_?y|y_?min|south|bottom|y_?1",
           r"max_?x|x_?max|east|right|x_?2", r"max_?y|y_?max|north|top|y_?2")
"""Names of a box's four bounds ("minx 36.1, miny -3, maxx 36.3, maxy -2.77", "x1=100, y1=50,
x2=300, y2=250")."""


def _named_bounds(text: str) -> tuple[list[float], list[Span]] | None:
    found = [re.search(r"\b(?:" + name + r")\s*[=:]?\s*" + _SIGNED + r"(?!\d|\.\d)", text)
             for name in _BOUNDS]
    if not all(found):
        return None
    x1, y1, x2, y2 = (float(m.group(1)) for m in found if m)
    if x1 >= x2 or y1 >= y2:
        return None
    return [x1, y1, x2, y2], [m.span() for m in found if m]


_CORNERS = re.compile(r"\b(?:from|between)?\s*\(?\s*" + _SIGNED + r"\s*,\s*" + _SIGNED
                      + r"\s*\)?\s*(?:to|and|-(?=\s*\())\s*\(?\s*" + _SIGNED + r"\s*,\s*" + _SIGNED
                      + r"\s*\)?(?![\w.]|\s*,?\s*-?\d)")
"""A box by two corners ("the region 100,100 to 400,400", "the region (10,10)-(200,150)"; with no
place word, two bracketed points: "from (10, 20) to (60, 80)")."""
_AT_BOX = re.compile(r"\b(?:at|around|near|of|area|zone|patch|part|spot|location|site)\s*$")
"""A bracketed box needs no place word after these ("the building at [10, 20, 60, 80]", "the
area [0, 0, 256, 256]")."""


_TOP_LEFT = re.compile(r"\b(?:(?:top|upper)[\s-]?left|first)(?: corner)?(?: of the (?:image|scene|"
                       r"tile|raster))?\s+(\d{2,6})\s*(?:x|by|\u00d7)\s*(\d{2,6})\s*(?:px|pixels?)\b")
"""A window from the image origin ("the upper-left 1000 by 1000 pixels", "the first 512x512
px"): the pixel box [0, 0, width, height]."""


def find_bbox(text: str) -> tuple[list[float] | None, list[Span]]:
    """A bounding box written in ``text``, as ``[minx, miny, maxx, maxy]`` (sorted).

    Four numbers after a place word ("within", "in the box", "bbox=") in x, y, x, y order
    (bracketed, also after "at": "the building at [10, 20, 60, 80]"), two corners ("the region
    100,100 to 400,400"), a window from the origin ("the upper-left 1000 by 1000 pixels"), or
    two ranges named by axis ("lon 10.1 to 10.3, lat 45.2 to 45.4",
    "easting ... northing").
    Four years ("in 2019, 2020, 2021, 2022") or band numbers are no box.

    Returns:
        The box (None when the request writes none) and the spans read.
    """
    boxes = [(m, _CORNERS) for m in _CORNERS.finditer(text)] + [(m, _BOX) for m in
                                                                _BOX.finditer(text)]
    for m, shape in boxes:
        cues = list(_BOX_CUE.finditer(text, max(0, m.start() - 60), m.start()))
        cue = cues[-1] if cues else None  # the place word nearest the numbers
        gap = re.findall(r"[a-z0-9]+|[=:\[(]|[.;!?]", text[cue.end():m.start()]) if cue else []
        if cue is None or any(w not in _GAP_WORDS for w in gap):
            if not (m.group(0).lstrip().startswith(("from", "between")) and "(" in m.group(0)
                    if shape is _CORNERS
                    else m.group(0).lstrip().startswith("[")
                    and _AT_BOX.search(text, 0, m.start())):
                continue
            cue = None
        x1, y1, x2, y2 = (float(g) for g in m.groups())
        if all(v.is_integer() and 1900 <= v <= 2100 for v in (x1, y1, x2, y2)):
            continue
        if x1 == x2 or y1 == y2:
            continue
        return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)], [
            (cue.start() if cue else m.start(), m.end())]
    named = _named_bounds(text)
    if named:
        return named
    window = _TOP_LEFT.search(text)
    if window:
        return [0.0, 0.0, float(window.group(1)), float(window.group(2))], [window.span()]
    lon = _axis(text, r"lon|long|longitudes?|x|eastings?", "w")
    lat = _axis(text, r"lat|latitudes?|y|northings?", "s")
    if lon and lat and lon[0][0] != lon[0][1] and lat[0][0] != lat[0][1]:
        (x1, x2), (y1, y2) = lon[0], lat[0]
        return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)], [lon[1], lat[1]]
    return None, []


@dataclass
class Zone:
    """Zones an earlier step makes, inside which a value is summarised ("inside the water
    areas": ``water``; "within the detected buildings": ``classes``)."""

    water: bool = False
    classes: list[str] = field(default_factory=list)
    span: Span = (0, 0)


_ZONE_PREP = r"\b(inside|within|in|over|across|on)\s+(?:the\s+|all\s+|those\s+|these\s+|each\s+)?"
_ZONE_ADJ = r"(?:(?:detected|mapped|segmented|delineated|outlined|extracted|found)\s+)"
_WATER_ZONE = re.compile(
    _ZONE_PREP + r"(" + _ZONE_ADJ + r")?(?:(?:open|surface|standing|flooded)\s+)?(?:water|"
    r"flood(?:ed)?|inundat\w*|lakes?|reservoirs?|ponds?)(\s+(?:areas?|zones?|regions?|bodies|"
    r"body|masks?|extents?|polygons?|pixels|surfaces?))?\b")
_ZONE_SUFFIX = re.compile(r"\s*(footprints?|polygons?|masks?|outlines?|boxes|areas?|roofs?|"
                          r"crowns?)\b")


def find_zone(text: str, vocab: Vocabulary) -> Zone | None:
    """Zones made by an earlier step that a value is summarised in, or None.

    Water ("inside the water areas", "over the flooded area") or detected objects ("within the
    detected buildings", "over the tree crowns"); both need "inside"/"within", a verb
    ("detected") or a zone noun ("areas", "footprints") so that "ships in the harbour" or "NDWI
    over the lake" stay places.
    """
    for m in _WATER_ZONE.finditer(text):
        if m.group(1) in ("inside", "within") or m.group(2) or m.group(3):
            return Zone(water=True, span=m.span())
    for c in vocab.class_pattern.finditer(text):
        name = vocab.canonical_class(c.group(0))
        prep = re.search(_ZONE_PREP + r"(" + _ZONE_ADJ + r")?$", text[max(0, c.start() - 40):
                                                                     c.start()])
        if name is None or prep is None:
            continue
        suffix = _ZONE_SUFFIX.match(text, c.end())
        noun = re.search(r"(crowns?|footprints?|roofs?|outlines?)$", c.group(0))
        if prep.group(1) in ("inside", "within") or prep.group(2) or suffix or noun:
            start = c.start() - (len(prep.group(0)))
            return Zone(classes=[name], span=(start, suffix.end() if suffix else c.end()))
    return None


def zone_statistic(text: str) -> str:
    """The statistic a zonal summary asks for: mean (default), max, min or sum."""
    if re.search(r"\b(max|maximum|highest|peak|largest)\b", text):
        return "max"
    if re.search(r"\b(min|minimum|lowest|smallest)\b", text):
        return "min"
    if re.search(r"\b(total|sum|summed|overall amount)\b", text):
        return "sum"
    return "mean"


def find_iou_threshold(text: str) -> tuple[float | None, list[Span]]:
    """The least IoU of an object match ("IoU threshold 0.5", "at IoU >= 0.3", "IoU@0.75")."""
    m = re.search(r"\b(?:iou|intersection over union|overlap)\s*(?:threshold|cut\s*-?\s*off|"
                  r"of at least|at least|>=|>|=|@|:|of|above|over|min(?:imum)?|\s)*\s*" + _NUM
                  + r"\s*(%|percent)?", text) or re.search(
        r"\b(?:at|with)\s+(?:an?\s+)?" + _NUM + r"\s*(%|percent)?\s*(?:iou|overlap)\b", text)
    if not m:
        return None, []
    value = float(m.group(1))
    if m.group(2) or 10 <= value <= 100:  # "50 %", "IoU 50"
        value /= 100.0
    return (value, [m.span()]) if 0 < value <= 1 else (None, [])


_DB_VALUE = r"((?:-|minus\s)\s?\d+(?:\.\d+)?)\s*(?:db|decibels?)\b"
_BAND_WORDS = (r"(?:sigma0?[\s_]*)?(?:vv|vh|hh|hv|backscatter|sigma0?)(?:[\s_]*(?:db|\(db\)|vv|vh|"
               r"hh|hv|backscatter|band|values?))*")
"""A SAR band named by its polarisation or as backscatter ("vv", "the vv backscatter",
"vv_db", "sigma0_vv (db)")."""
_DB = re.compile(r"\b(?:darker|lower|less|below|under|smaller|weaker)\s+(?:than\s+)?" + _DB_VALUE
                 + r"|\bthreshold\w*\s+(?:of\s+|at\s+|=\s*|:\s*|(?:set\s+)?to\s+)?" + _DB_VALUE
                 + r"|\b(?:cut[\s-]?off|cut|limit)\s+(?:of\s+|at\s+|=\s*|:\s*)?" + _DB_VALUE
                 + r"|\bthreshold\w*\b[^.;]{0,90}?\bat\s+" + _DB_VALUE  # "threshold the calibrated
                 # vv backscatter of our scene at -18 db"
                 + r"|\b(?:map|mapping|mapped|extract|delineate|classify)\b[^.;]{0,40}?\b(?:with|"
                 r"at)\s+(?:a\s+|an\s+)?" + _DB_VALUE + r"(?!\s*(?:of\s+)?(?:noise|"
                 r"nesz|shadow))"  # "map water with -18 db", "map the flood at -17 db"
                 + r"|\bthreshold\w*\s+(?:the\s+)?" + _BAND_WORDS + r"\s+(?:at|of|to|=)\s*"
                 + _DB_VALUE
                 + r"|\b" + _BAND_WORDS + r"\s*(?:<=?|(?:is\s+)?(?:below|under|(?:lower|less|"
                 r"darker)\s+than))\s*((?:-|minus\s)\s?\d+(?:\.\d+)?)(?:\s*(?:db|decibels?)\b|"
                 r"(?!\d|\.\d|\s*(?:m|ft|feet|km|%)\b))(?![^.;]{0,40}\b(?:shadow|noise|exclud\w*|drop|"
                 r"remov\w*|ignor\w*|mask\w* out|discard\w*|layover)\b)"
                 + r"|\b(?:valley|break ?point|trough)\b[^.?!;]{0,20}?\bat\s+" + _DB_VALUE
                 + r"|(?<!hand )(?<!height )(?<!slope )(?<!dem )(?<!elevation )\bthreshold\w*\s+"
                 r"(?:of\s+|at\s+|(?:set\s+)?to\s+)?(-(?:[5-9]|[1-4]\d)"
                 r"(?:\.\d+)?)(?!\d|\.\d)(?!\s*(?:%|percent|m\b|ha\b|km|m2|ft\b|feet|met))"
                 # ("threshold -18": no index is so low)
                 + r"|<\s*" + _DB_VALUE + r"|" + _DB_VALUE
                 + r"\s+(?:(?:vv|vh|hh|hv|backscatter)\s+)?(?:threshold|cut[\s-]?off)\b"
                 + r"|" + _DB_VALUE + r"\s+as\s+(?:the\s+|a\s+|our\s+)?(?:\w+\s+)?(?:threshold|"
                 r"cut[\s-]?off|limit|boundary)\b|\b(?:use|using|apply|applying)\s+(?:a\s+)?"
                 + _DB_VALUE)
"""A SAR water threshold: "darker than -18 dB", "a threshold of minus 20 dB", "-24 decibels",
"a -18 dB cut-off", "a -16 dB VV threshold", "a VV cutoff of -17 dB", "threshold VV at -19 dB",
"the histogram valley sits at -16 dB", "-15 dB as the water cut-off", "use -16 dB", "vv_db <
-18", "sigma0_vv (db) below -17": after its band, the unit may be left out."""


_POLARISATION = re.compile(r"\b(vv|vh|hh|hv)\b")


_RULED_OUT = re.compile(r"\b(?:don'?t|do not|not|never|instead of|rather than|avoid|without|no)\b"
                        r"[^.;]{0,25}$")


def db_thresholds(text: str) -> list[tuple[float, str | None]]:
    """Each SAR threshold in dB with the polarisation it names, if any ("VH below -22 dB and
    VV below -15 dB" -> [(-22, "vh"), (-15, "vv")]); the polarisation is the one named in the
    threshold's words or right before them."""
    found: list[tuple[float, str | None]] = []
    for m in _DB.finditer(text):
        if _RULED_OUT.search(text, max(0, m.start() - 30), m.start()):
            continue  # "don't use a fixed cut at -15 db, use otsu"
        value = next(g for g in m.groups() if g is not None)
        pols = _POLARISATION.findall(text, max(0, m.start() - 16), m.end())
        after = re.match(r"\s*(?:in|on|for|of)\s+(?:the\s+)?(vv|vh|hh|hv)\b", text[m.end():])
        found.append((float(value.replace("minus", "-").replace(" ", "")),
                      after.group(1) if after else pols[-1] if pols else None))
    return found


def find_db_threshold(text: str) -> float | None:
    """A SAR water threshold in dB ("everything darker than -18 dB as water"): the first one of
    the co-polarised band (VV / HH, the one map_water thresholds) or of none named, else the
    first ("a VH threshold of -24 dB" of a VH-only scene)."""
    found = db_thresholds(text)
    return next((value for value, pol in found if pol not in ("vh", "hv")),
                found[0][0] if found else None)


def cross_pol_thresholds(text: str) -> list[tuple[float, str]]:
    """The thresholds of a cross-polarised band said beside one of the co-polarised band ("VH
    below -22 dB and VV below -15 dB"): map_water applies the co-polarised one only."""
    found = db_thresholds(text)
    if all(pol in ("vh", "hv") for _, pol in found):
        return []
    return [(value, pol) for value, pol in found if pol in ("vh", "hv")]


_REGION_NAME = re.compile(
    r"\b(?:the|our|its|their|this|that|my|a|an|each|every)\s+((?:(?!(?:in|inside|within|of|on|"
    r"at|for|from|to|and|or|its|the|their|our|each|with|by|per|mean|average|median|total|sum)"
    r"\b)[\w-]+\s+){0,3}?(?:outline|"
    r"boundary|boundaries|buffer|polygons?|mask|layer|footprints?|perimeter|shapefile|lot|"
    r"parcels?|limits?|extent|zone)(?:\s+(?:polygons?|file|layer))?)\s*(?:\(\s*|,\s*|in\s+|"
    r"from\s+)?xfilex|"
    r"\b(?:the|our|its|their|each|every)\s+((?:[\w-]+\s+){0,2}?(?:crowns?|blocks?|plots?|"
    r"stands?|compartments?))\s+(?:in|inside|within)\s+xfilex")


def region_name_spans(text: str, mentions: list[str], regions: set[str]) -> list[Span]:
    """The words naming a file given as the region or zones ("inside the lake outline
    (lake.geojson)", "the 100 m shoreline buffer (b.geojson)", "our forest mask (f.gpkg)", "the
    flood extent flood.tif"):
    the file is the place, its name asks for no water map, object or index."""
    return [m.span(1) if m.group(1) else m.span(2) for m in _REGION_NAME.finditer(text)
            if file_at(text, m.end() - len(FILE_MASK), m.end(), mentions) in regions
            and (m.group(1) or not _COUNTED_BEFORE.search(text, 0, m.start()))]


_COUNTED_BEFORE = re.compile(r"\b(?:count|detect|find|locate|mark|outline|segment|delineate|map|"
                             r"how many)\b[^.?!;]{0,30}$")
"""A count or outline right before "the tree crowns inside f.geojson": the crowns are its
objects, not the file's name."""


_PLACE_NAME = re.compile(
    r"\b(?:[A-Z][a-z]+ )+(?:Harbou?r|Port|Bay|Bridge|River|Lake|Airport|Station|Dam|Canal|"
    r"Basin|Reservoir|Creek|Field|Park|Stadium|Street|Road|Avenue|Lane|Pier|Quay|Wharf|Marina|"
    r"Terminal|Docks?|Jetty|Yard|Beach|Island)\b|\b(?:Pier|Berth|Terminal|Dock) \d+\b|"
    r"\b(?:Port|Lake|Mount|Bay|Fort|Harbou?r) (?:of )?[A-Z][a-z]+")


def place_names(raw: str, text: str) -> list[Span]:
    """Spans of ``text`` (the normalised request) that are proper place names in ``raw``
    ("Charlotte Harbor", "Lake Erie", "Port of Spain"): a class word there names no object."""
    spans: list[Span] = []
    for m in _PLACE_NAME.finditer(raw):
        phrase = m.group(0).lower()
        spans += [f.span() for f in re.finditer(re.escape(phrase), text)]
    return spans

"""Where and at what scale a request reads its scenes: slots for ``gsd`` and ``region``.

Read from the normalised request (see :mod:`agent.planners.text`):

* ground sample distance, in metres per pixel ("GSD 0.5 m", "30 cm per pixel", "0.3m/px",
  "each pixel of a.png covers 30 cm", "captured at 0.4 m", "ground sampling is 50 cm",
  "before at 0.5 m and after at 0.3 m", "the before chip is 0.5 m"), each value with the file
  or before/after role it is said of;
* a bounding box ("within 10.1, 45.2, 10.3, 45.4", "bbox=[...]", "between lon 10.1 and 10.3
  and lat 45.2 and 45.4"), as ``[minx, miny, maxx, maxy]``;
* zones named by an earlier product ("inside the water areas", "within the detected
  buildings").

Each finder returns the character spans it read, so that the words and numbers of a GSD or a
box never read as thresholds, size filters or intent cues. The roles of the files a request
names (reference, result, zones, region, output) live in :mod:`agent.planners.files`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.planners.text import FILE_MASK
from agent.planners.vocab import Vocabulary

Span = tuple[int, int]

_NUM = r"(\d+(?:\.\d+)?|\.\d+)"
_SIGNED = r"(-?\d+(?:\.\d+)?)"
_UNIT = (r"(mm|cm|km|m|ft|feet|foot|inch(?:es)?|millimet(?:er|re)s?|centimet(?:er|re)s?|"
         r"kilomet(?:er|re)s?|met(?:er|re)s?)\b")
_METRES = {"mm": 0.001, "millimet": 0.001, "cm": 0.01, "centimet": 0.01, "km": 1000.0,
           "kilomet": 1000.0, "m": 1.0, "met": 1.0, "ft": 0.3048, "feet": 0.3048,
           "foot": 0.3048, "inch": 0.0254}
_NOT_SIZE = (r"(?!\s*(?:long|wide|tall|high|deep|away|apart|from|of\b|above|below|altitude|"
             r"elevation|depth|length|buffer|radius|range|span|across|or (?:more|longer|less)|"
             r"by\b|x\b|height|agl\b|intervals?|squared?\b|on a side))")
_JOIN = (r"(?:\s*(?:of|is|was|=|:|at|about|around|approx\w*|roughly|~|equal to|set to|works? out "
         r"(?:to|at)|comes? (?:out )?(?:to|at)|amounts to|\(|,))*\s*")
_GSD_WORD = (r"\b(?:gsd|ground[\s-]+sampl(?:e|ing)(?:[\s-]+distance)?)(?:\s+(?:for|of)\s+"
             r"(?:the\s+|this\s+|that\s+|each\s+|every\s+)?"
             r"(?:image|scene|chip|photo|tile|mosaic|orthomosaic|data))?")
_RES_WORD = (r"\b(?:(?:spatial|pixel|image|ground)\s+res\b\.?|(?:(?:spatial|pixel|image|ground|"
             r"nominal|native)\s+)?(?:resolution|pixel[\s-]+(?:size|spacing|footprint)))")
_ROLE_SUBJECT = (r"\b(?:(?:before|after|pre|post|earlier|later|older|newer|first|second)\w*"
                 r"(?:[\s-]+(?:image|scene|photo|picture|one|chip|tile|event|fire|flood))?|"
                 + FILE_MASK + r")")
_GSD_PATTERNS = (
    re.compile(_GSD_WORD + _JOIN + _NUM + r"(?:[\s-]*" + _UNIT + r")?" + _NOT_SIZE),
    re.compile(_RES_WORD + _JOIN + _NUM + r"[\s-]*" + _UNIT + _NOT_SIZE),
    re.compile(_NUM + r"[\s-]*" + _UNIT + r"\s*(?:/|per|a|each)\s*(?:px|pixels?|pix)\b"),
    re.compile(r"\b(?:one|1|each|a|every)\s+(?:(?:image|scene|ground)\s+)?(?:pixel|px)\b(?:\s+(?:of|"
               r"in)\s+(?:the\s+)?(?:" + FILE_MASK + r"|image|scene|chip|photo|tile))?\s*"
               r"(?:is|equals|=|represents|covers|corresponds to|stands for)\s+(?:about\s+|"
               r"roughly\s+|approx\w*\s+)?" + _NUM + r"[\s-]*" + _UNIT),
    re.compile(r"(?:\b(?:its|the|their|whose|\w+s)\s+|^|(?<=[.;:]\s))pixels (?:are|measure|cover|"
               r"represent)\s+(?:about\s+|"
               r"roughly\s+|approx\w*\s+)?" + _NUM + r"[\s-]*" + _UNIT + r"(?=\s+(?:on the ground|"
               r"across|wide|square|each)\b|\s*[.,;)]|$)"),
    re.compile(_NUM + r"[\s-]*" + _UNIT + r"[\s-]*(?:\(\s*|,\s*)?(?:gsd\b|(?:(?:spatial|ground|"
               r"pixel|native|nominal)\s+)?resolution\b|ground[\s-]+sampl\w*[\s-]+distance|"
               r"pixels?\b(?!\s*(?:wide|long|tall|high|across|away)))"),
    re.compile(_ROLE_SUBJECT + r"\s+(?:is\s+|was\s+)?at\s+" + _NUM + r"[\s-]*" + _UNIT
               + _NOT_SIZE),
    re.compile(r"\b(?:captured|acquired|sampled|resampled|imaged|shot|taken|collected|recorded|"
               r"delivered|supplied|provided|orthorectified|mosaicked|exported|processed)\s+at\s+"
               r"(?:a\s+|about\s+|roughly\s+|approx\w*\s+)*" + _NUM + r"[\s-]*" + _UNIT
               + _NOT_SIZE),
    re.compile(r"(?:" + _ROLE_SUBJECT + r"|\b(?:image|imagery|scene|chip|photo|tile|picture|"
               r"orthophoto|mosaic|frame|data)s?)\s+(?:is|are|was|were)\s+(?:about\s+|roughly\s+|"
               r"approx\w*\s+)?" + _NUM + r"[\s-]*" + _UNIT + _NOT_SIZE),
    re.compile(_NUM + r"[\s-]*" + _UNIT + r"(?=\s+(?:(?!(?:of|from|to|buffer|radius|around|away|"
               r"wide|long|high|tall|deep|above|below|and|or|per|in|on|at)\b)[a-z0-9][\w-]*\s+)"
               r"{0,2}(?:imagery|images?|orthophotos?|ortho ?imagery|orthos?|orthomosaics?|photos?|"
               r"photographs?|chips?|tiles?|mosaics?|scenes?|pan[\s-]?sharpened|frames?|"
               r"composites?|pictures?|crops?|exports?|screenshots?|quicklooks?|snapshots?|"
               r"captures?)\b)"),
    re.compile(r"(?<=" + FILE_MASK + r")\s*[,(]\s*" + _NUM + r"[\s-]*" + _UNIT
               + r"(?=\s*[),;])"),
)
"""... "5 cm aerial imagery", "0.3 m WorldView-3 scenes": a size before the image noun; and
"(a.tif, 30 cm)": a size given with a file name."""
_MORE = re.compile(r"[^.;?!\d]{0,30}?(?:\band\b|,|/|;|\bvs\.?)\s*(?:(?:the|a|an|for|at|with|"
                   r"its|gsd|resolution|of|is|image|scene|after|before|post|pre|later|earlier|"
                   r"second|first|other|one)\s+){0,3}" + _NUM + r"[\s-]*" + _UNIT + _NOT_SIZE)
_LEAD = re.compile(_NUM + r"[\s-]*" + _UNIT + r"\s*(?:and|,|/)\s*$")
_BEFORE_ROLE = re.compile(r"\b(before|pre|earlier|older|first|old|t0|previous|(?:image|scene|photo|"
                          r"picture|chip|tile|frame) (?:a|1|one))\b")
_AFTER_ROLE = re.compile(r"\b(after|post|later|newer|second|recent|t1|latest|(?:image|scene|photo|"
                         r"picture|chip|tile|frame) (?:b|2|two))\b")
"""Role words of a stated GSD; "image A" / "image B" are the first and second scene."""


@dataclass
class Gsd:
    """Ground sample distances stated in a request, in metres per pixel.

    Attributes:
        values: Every value, in the order written.
        by_file: Values said of a named file (``a.png at 0.5 m``).
        by_role: Values said of the before or after scene.
    """

    values: list[float] = field(default_factory=list)
    by_file: dict[str, float] = field(default_factory=dict)
    by_role: dict[str, float] = field(default_factory=dict)

    def of(self, path: str, role: str | None) -> float | None:
        """The GSD of the scene ``path`` (``role`` "before" / "after" in a pair), or None."""
        if not self.values:
            return None
        if path in self.by_file:
            return self.by_file[path]
        if role is not None and role in self.by_role:
            return self.by_role[role]
        return self.values[0]


def _metres(value: str, unit: str | None) -> float:
    key = (unit or "m").lower()
    for stem, factor in _METRES.items():
        if key.startswith(stem) and (stem != "m" or key == "m"):
            return float(value) * factor
    return float(value)


def _file_at(text: str, start: int, end: int, mentions: list[str]) -> str | None:
    """The file a value ending at ``end`` is said of: named last in ``text[start:end]`` and
    joined to it by a few words ("a.png at 0.5 m", "a.png has a GSD of 0.5 m"), not across a
    comma. The k-th file mask is ``mentions[k]``."""
    pos = text.rfind(FILE_MASK, start, end)
    between = re.sub(r"^\s*[,(](?=\s*\.?\d)", "",  # "(a.tif, 30 cm)"
                     text[pos + len(FILE_MASK):end])
    if pos < 0 or re.search(r"[,;]", between) or len(between.split()) > 6:
        return None
    k = text.count(FILE_MASK, 0, pos)
    return mentions[k] if k < len(mentions) else None


def _role(window: str) -> str | None:
    before = [m.end() for m in _BEFORE_ROLE.finditer(window)]
    after = [m.end() for m in _AFTER_ROLE.finditer(window)]
    if not before and not after:
        return None
    return "before" if max(before, default=-1) > max(after, default=-1) else "after"


def find_gsd(text: str, mentions: list[str] | None = None) -> tuple[Gsd, list[Span]]:
    """Ground sample distances in ``text`` ("GSD 0.5 m", "at 30 cm per pixel", "0.3m/px").

    Numbers without a GSD word are never read ("50 m long ships", "top 5", "2019 and 2023");
    a second value joined to a first ("GSD 0.5 m for the before image and 0.3 m for the
    after") is read with it.

    Args:
        text: The normalised request.
        mentions: The request's file names, in order (binds "a.png at 0.5 m" to ``a.png``).

    Returns:
        The values (metres per pixel) with the files and roles they are said of, and spans.
    """
    found: list[tuple[int, int, float]] = []

    def take(start: int, end: int, value: float) -> None:
        if 0 < value <= 100_000 and not any(s < end and start < e for s, e, _ in found):
            found.append((start, end, value))

    for pattern in _GSD_PATTERNS:
        for m in pattern.finditer(text):
            take(m.start(), m.end(), _metres(m.group(1), m.group(2)))
            lead = _LEAD.search(text, max(0, m.start() - 20), m.start()) \
                if text[m.start()].isdigit() or text[m.start()] == "." else None
            if lead:  # "at 0.5 m and 0.3 m resolution" (not "flew at 120 m, gsd 3 cm")
                take(lead.start(), lead.end(), _metres(lead.group(1), lead.group(2)))
    for _, end, _ in sorted(found):
        more = _MORE.match(text, end)
        if more:
            take(more.start(1), more.end(), _metres(more.group(1), more.group(2)))
    found.sort()
    gsd = Gsd(values=[v for _, _, v in found])
    for i, (start, end, value) in enumerate(found):
        bound = [m.end() for m in re.finditer(r"[;?!]|\.(?!\d)", text[:start])]
        first = max(found[i - 1][1] if i else 0, bound[-1] if bound else 0, start - 40)
        last = min(found[i + 1][0] if i + 1 < len(found) else len(text), end + 30)
        window = text[first:end] + re.split(r"[,;]|\band\b", text[end:last])[0]
        path = _file_at(text, first, end, mentions or [])
        if path is not None:
            gsd.by_file.setdefault(path, value)
        role = _role(window)
        if role is not None:
            gsd.by_role.setdefault(role, value)
    return gsd, [(s, e) for s, e, _ in found]


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
    "xmax", "ymax", "is", "=", ":", "[", "("))
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


_BOUNDS = (r"min_?x|x_?min|west|left", r"min_?y|y_?min|south|bottom", r"max_?x|x_?max|east|right",
           r"max_?y|y_?max|north|top")
"""Names of a box's four bounds ("minx 36.1, miny -3, maxx 36.3, maxy -2.77")."""


def _named_bounds(text: str) -> tuple[list[float], list[Span]] | None:
    found = [re.search(r"\b(?:" + name + r")\s*[=:]?\s*" + _SIGNED + r"(?![\d.])", text)
             for name in _BOUNDS]
    if not all(found):
        return None
    x1, y1, x2, y2 = (float(m.group(1)) for m in found if m)
    if x1 >= x2 or y1 >= y2:
        return None
    return [x1, y1, x2, y2], [m.span() for m in found if m]


def find_bbox(text: str) -> tuple[list[float] | None, list[Span]]:
    """A bounding box written in ``text``, as ``[minx, miny, maxx, maxy]`` (sorted).

    Four numbers after a place word ("within", "in the box", "bbox=") in x, y, x, y order, or
    two ranges named by axis ("lon 10.1 to 10.3, lat 45.2 to 45.4", "easting ... northing").
    Four years ("in 2019, 2020, 2021, 2022") or band numbers are no box.

    Returns:
        The box (None when the request writes none) and the spans read.
    """
    for m in _BOX.finditer(text):
        cues = list(_BOX_CUE.finditer(text, max(0, m.start() - 60), m.start()))
        if not cues:
            continue
        cue = cues[-1]  # the place word nearest the numbers
        gap = re.findall(r"[a-z0-9]+|[=:\[(]|[.;!?]", text[cue.end():m.start()])
        if any(w not in _GAP_WORDS for w in gap):
            continue
        x1, y1, x2, y2 = (float(g) for g in m.groups())
        if all(v.is_integer() and 1900 <= v <= 2100 for v in (x1, y1, x2, y2)):
            continue
        if x1 == x2 or y1 == y2:
            continue
        return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)], [(cue.start(), m.end())]
    named = _named_bounds(text)
    if named:
        return named
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


_DB = re.compile(r"\b(?:darker|lower|less|below|under|smaller|weaker)\s+(?:than\s+)?"
                 r"(-\s?\d+(?:\.\d+)?)\s*db\b|\bthreshold\w*\s+(?:of\s+|at\s+|=\s*)?(-\s?\d+(?:\.\d+)?)\s*db\b|"
                 r"<\s*(-\s?\d+(?:\.\d+)?)\s*db\b")


def find_db_threshold(text: str) -> float | None:
    """A SAR water threshold in dB ("everything darker than -18 dB as water")."""
    m = _DB.search(text)
    if m is None:
        return None
    value = next(g for g in m.groups() if g is not None)
    return float(value.replace(" ", ""))


_REGION_NAME = re.compile(
    r"\b(?:the|our|its|their|this|that|my|a|an|each|every)\s+((?:(?!(?:in|inside|within|of|on|"
    r"at|for|from|to|and|or|its|the|their|our|each|with|by)\b)[\w-]+\s+){0,3}?(?:outline|"
    r"boundary|boundaries|buffer|polygons?|mask|layer|footprints?|perimeter|shapefile|lot|"
    r"parcels?|limits?)(?:\s+(?:polygons?|file|layer))?)\s*(?:\(\s*|,\s*|in\s+|from\s+)?xfilex|"
    r"\b(?:the|our|its|their|each|every)\s+((?:[\w-]+\s+){0,2}?(?:crowns?|blocks?|plots?|"
    r"stands?|compartments?))\s+(?:in|inside|within)\s+xfilex")


def region_name_spans(text: str, mentions: list[str], regions: set[str]) -> list[Span]:
    """The words naming a vector file given as the region or zones ("inside the lake outline
    (lake.geojson)", "the 100 m shoreline buffer (b.geojson)", "our forest mask (f.gpkg)"):
    the file is the place, its name asks for no water map, object or index."""
    return [m.span(1) if m.group(1) else m.span(2) for m in _REGION_NAME.finditer(text)
            if _file_at(text, m.end() - len(FILE_MASK), m.end(), mentions) in regions
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

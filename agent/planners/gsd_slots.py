"""Slot of every scene-reading tool: the ground sample distance (``gsd``, metres per pixel).

Read from the normalised request (see :mod:`agent.planners.text`): "GSD 0.5 m", "30 cm per
pixel", "0.3m/px", "each pixel of a.png covers 30 cm", "captured at 0.4 m", "ground sampling is
50 cm", "before at 0.5 m and after at 0.3 m", "the before chip is 0.5 m", "a.png, b.png and
c.png have resolutions of 0.5, 0.3 and 1 m"; each value with the file or before/after role it
is said of, and the spans read, so that the words and numbers of a GSD never read as thresholds,
size filters or intent cues. Boxes, zones and region names are read by
:mod:`agent.planners.spatial`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.planners.text import FILE_MASK

Span = tuple[int, int]

_VALUES = r"(?:\d+(?:\.\d+)?|\.\d+)"
_NUM = rf"({_VALUES})"
_UNIT = (r"(mm|cm|km|m|ft|feet|foot|inch(?:es)?|millimet(?:er|re)s?|centimet(?:er|re)s?|"
         r"kilomet(?:er|re)s?|met(?:er|re)s?)\b")
_METRES = {"mm": 0.001, "millimet": 0.001, "cm": 0.01, "centimet": 0.01, "km": 1000.0,
           "kilomet": 1000.0, "m": 1.0, "met": 1.0, "ft": 0.3048, "feet": 0.3048,
           "foot": 0.3048, "inch": 0.0254}
_NOT_SIZE = (r"(?!\s*(?:long|wide|tall|high|deep|away|apart|from|of\b|above|below|altitude|north|"
             r"south|east|west|up\b|down\b|inland|offshore|out\b|along|behind|beyond|over\b|scale|"
             r"grid|spacing|to\b|around|"
             r"elevation|depth|length|buffer|radius|range|span|across|or (?:more|longer|less)|"
             r"by\b|x\b|height|agl\b|intervals?|squared?\b|on a side))")
_JOIN = (r"(?:\s*(?:of|is|was|are|were|=|:|at|about|around|approx\w*|roughly|~|equal to|set to|"
         r"works? out (?:to|at)|comes? (?:out )?(?:to|at)|amounts to|\(|,))*\s*")
_GSD_WORD = (r"\b(?:gsd|ground[\s-]+sampl(?:e|ing)(?:[\s-]+distance)?)(?:\s+(?:for|of)\s+"
             r"(?:the\s+|this\s+|that\s+|each\s+|every\s+)?"
             r"(?:image|scene|chip|photo|tile|mosaic|orthomosaic|data))?")
_RES_WORD = (r"\b(?:(?:(?:spatial|pixel|image|ground)\s+)?res\b\.?|(?:(?:spatial|pixel|image|"
             r"ground|nominal|native)\s+)?(?:resolution|pixel[\s-]+(?:size|spacing|footprint))s?)")
_ROLE = r"\b(?:before|after|pre|post|earlier|later|older|newer|first|second)\w*"
_ROLE_SUBJECT = (r"(?:" + _ROLE + r"(?:[\s-]+(?:image|scene|photo|picture|one|chip|tile|event|fire|"
                 r"flood))?|\b" + FILE_MASK + r")")
_SCENE_NUMBER = (r"\b(?:image|scene|photo|picture|chip|tile|frame)\s*#?\s*(?:\d{1,2}|[a-h]|one|two|"
                 r"three|four|five)\b")
"""A scene named by its number or letter ("image 3", "scene B")."""
_PAREN_GSD = re.compile(r"(?:" + _ROLE + r"[\s-]+(?:image|scene|photo|picture|one|chip|tile)|"
                        + FILE_MASK + r"|" + _SCENE_NUMBER + r")\s*\(\s*"
                        r"(?:gsd\s*[:=]?\s*)?" + _NUM + r"[\s-]*" + _UNIT + r"\s*\)")
"""A value in parentheses after its scene ("image 1 (0.3 m)", "the after image (0.3 m)"); only
the parentheses are read (the scene's words still name it)."""
_GSD_PATTERNS = (
    re.compile(_GSD_WORD + _JOIN + _NUM + r"(?!\d|\.\d)(?:[\s-]*" + _UNIT + r")?" + _NOT_SIZE
               + r"(?!\s*(?:pixels?|px)\b)"),  # (not "at 0.15 m gsd is about 30 pixels")
    re.compile(_RES_WORD + _JOIN + _NUM + r"[\s-]*" + _UNIT + _NOT_SIZE),
    re.compile(_NUM + r"[\s-]*" + _UNIT + r"\s*(?:/|per|a|each)\s*(?:px|pixels?|pix)\b"),
    re.compile(r"\b(?:px|pixels)\s+at\s+" + _NUM + r"[\s-]*" + _UNIT + _NOT_SIZE),  # "1024 x 1024
    # px at 0.5 m"
    re.compile(r"\b(?:one|1|each|a|every)\s+(?:(?:image|scene|ground)\s+)?(?:pixel|px)\b(?:\s+(?:of|"
               r"in)\s+(?:the\s+)?(?:" + FILE_MASK + r"|image|scene|chip|photo|tile))?\s*"
               r"(?:is|equals|=|represents|covers|corresponds to|stands for)\s+(?:about\s+|"
               r"roughly\s+|approx\w*\s+)?" + _NUM + r"(?:\s*(?:x|by|\u00d7)\s*" + _VALUES
               + r")?[\s-]*" + _UNIT),  # "each pixel covers 0.3 x 0.3 m"
    re.compile(r"(?:\b(?:its|the|their|whose|\w+s)\s+|^|(?<=[.;:]\s))pixels (?:are|measure|cover|"
               r"represent)\s+(?:about\s+|"
               r"roughly\s+|approx\w*\s+)?" + _NUM + r"[\s-]*" + _UNIT + r"(?=\s+(?:on the ground|"
               r"across|wide|square|each)\b|\s*[.,;)]|$)"),
    re.compile(_NUM + r"[\s-]*" + _UNIT + r"[\s-]*(?:\(\s*|,\s*)?(?:gsd\b|(?:(?:spatial|ground|"
               r"pixel|native|nominal)\s+)?(?:resolution|res)\b|ground[\s-]+sampl\w*(?:[\s-]+"
               r"distance)?|(?:pixels?|px)\b(?!\s*(?:wide|long|tall|high|across|away)))"),
    _PAREN_GSD,
    re.compile(r"(?<!is the )(?<!if the )(?<!whether the )\bpixel\s+(?:of\s+|is\s+|=\s*|:\s*)?"
               + _NUM + r"[\s-]*" + _UNIT + r"(?=\s*(?:[,.;)]|$))"),  # "pixel 0.3 metres,"
    re.compile(r"(?<!is the )(?<!if the )(?<!whether the )\bpixels?\s+(?:of\s+|is\s+|=\s*|:\s*)"
               + _NUM + r"[\s-]*" + _UNIT + _NOT_SIZE),
    re.compile(r"\b(?:before|after|pre|post|earlier|later|older|newer|first|second)[\s-]+(?:event[\s-]+)?"
               r"(?:image|scene|photo|picture|chip|tile|frame)\s*(?::|=)?\s*" + _NUM + r"[\s-]*"
               + _UNIT + _NOT_SIZE),  # "pre image 0.5 m, post image 0.8 m"
    re.compile(r"(?:" + _ROLE_SUBJECT + r"|" + _SCENE_NUMBER + r"|\b(?:the|this|that|each|every|"
               r"our|my)\s+(?:image|photo|picture|scene|chip|tile|mosaic|orthophoto|frame|imagery|"
               r"data|drone\s+(?:image|photo|one))\s+(?:is|was|are|were))\s+(?:is\s+|was\s+)?at\s+"
               + _NUM + r"[\s-]*" + _UNIT + _NOT_SIZE),
    re.compile(r"\b(?:captured|acquired|sampled|resampled|imaged|shot|taken|collected|recorded|"
               r"delivered|supplied|provided|orthorectified|mosaicked|exported|processed)\s+at\s+"
               r"(?:a\s+|about\s+|roughly\s+|approx\w*\s+)*" + _NUM + r"[\s-]*" + _UNIT
               + _NOT_SIZE),
    re.compile(r"(?:" + _ROLE_SUBJECT + r"|" + _SCENE_NUMBER + r"|\b(?:image|imagery|scene|chip|"
               r"photo|tile|picture|orthophoto|mosaic|frame|data)s?)\s+(?:is|are|was|were)\s+"
               r"(?:about\s+|roughly\s+|approx\w*\s+)?" + _NUM + r"[\s-]*" + _UNIT + _NOT_SIZE),
    re.compile(_NUM + r"[\s-]*" + _UNIT + r"(?=\s+(?:(?!(?:of|from|to|buffer|radius|around|away|"
               r"wide|long|high|tall|deep|above|below|and|or|per|in|on|at)\b)[a-z0-9][\w-]*\s+)"
               r"{0,2}(?:imagery|images?|orthophotos?|ortho ?imagery|orthos?|orthomosaics?|photos?|"
               r"photographs?|chips?|tiles?|mosaics?|scenes?|pan[\s-]?sharpened|frames?|"
               r"composites?|pictures?|crops?|exports?|screenshots?|quicklooks?|snapshots?|"
               r"captures?|surveys?|products?|acquisitions?|campaigns?|datasets?)\b)"),
    re.compile(_NUM + r"[\s-]*(cm|centimet(?:er|re)s?)(?=\s+(?:[a-z][\w-]*\s+)?(?:flights?|"
               r"flyovers?|overflights?)\b)"),
    re.compile(r"(?<=" + FILE_MASK + r")\s*[,(]\s*" + _NUM + r"[\s-]*" + _UNIT
               + r"(?=\s*[),;])"),
)
"""... "5 cm aerial imagery", "0.3 m WorldView-3 scenes", "a 0.5 m product", "the same 15 cm
flight" (centimetres: no flight height): a size before the image noun; and
"(a.tif, 30 cm)": a size given with a file name."""
_RESPECTIVE = re.compile(r"\b(?:gsds?|ground[\s-]+sampl\w*(?:[\s-]+distances?)?|(?:(?:spatial|"
                         r"pixel|ground|image)\s+)?resolutions?|pixel[\s-]+sizes?)" + _JOIN + r"("
                         + _VALUES + r"(?:\s*(?:,\s*(?:and\s+)?|and\s+|/\s*)" + _VALUES
                         + r")+)[\s-]*" + _UNIT)
"""Values listed for the files in order ("resolutions of 0.5, 0.3 and 1 m")."""
_FOR_SCENES = re.compile(r"[^.;?!]{0,40}?\b(?:respectively|in (?:that |the same )?order|for the "
                         r"(?:\w+ )?(?:images|scenes|frames|chips|tiles|photos|dates)|per "
                         r"(?:image|scene|"
                         r"frame|chip|tile))\b")
"""A listed value per scene given ("0.3, 0.5 and 1 m respectively", "... for the five frames"),
not a sensor's band resolutions ("bands at 10, 20 and 60 m")."""
_MORE = re.compile(r"(?:(?:image|scene|frame|chip|tile|photo)\s*\d{1,2}\b|\bt\d\b|"
                   r"\b(?:19|20)\d\d\b|[^.;?!\d]){0,30}?"
                   r"(?:\band\b|,|/|;|\bvs\.?|\s(?=(?:second|third|last|after|"
                   r"post|later|newer)\b))\s*(?:(?:the|a|an|for|at|with|"
                   r"its|gsd|resolution|of|is|image|scene|after|before|post|pre|later|earlier|"
                   r"second|first|other|one)\s+){0,3}" + _NUM + r"[\s-]*" + _UNIT + _NOT_SIZE)
_REST_NOUN = r"(?:\s+(?:ones?|two|three|images?|scenes?|tiles?|chips?|photos?|files?))?"
_REST = re.compile(r"\b(?:the\s+)?(?:rest|others|other" + _REST_NOUN + "|remaining" + _REST_NOUN
                   + r")\s+(?:(?:are|is|were|was|at|have|has|with|a|an|gsd|resolution|of|about|"
                   r"roughly)\s+)*" + _NUM + r"[\s-]*" + _UNIT + _NOT_SIZE)
"""The value of the scenes not named otherwise ("the rest are 0.3 m", "the other 0.3 m"); read
only next to a value said of a scene."""
_OUTPUT = re.compile(r"(?:^|[,.;:]\s*|\b(?:and|then|to|please|also|i|we)\s+)(?:export|save|"
                     r"write|resample|output|aggregate|downsample|upsample|regrid|deliver)\b"
                     r"(?:\s+(?!at\b|to\b)[\w-]+){0,4}\s+(?:at|to|with|in)\s+"
                     r"(?:an?\s+|the\s+)?$")
"""A size asked of the output ("export the result at 30 m resolution", "resample it to 10 m"):
no GSD of the scene."""
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
        rest: The value said of the scenes not named otherwise ("the rest are 0.3 m").
        by_index: Values said of a scene by number, letter or ordinal ("image 3 (0.5 m)"),
            0-based (-1: the last).
        private: A value was said inside a file's own parentheses ("b.png (optical, GSD
            0.3 m)"): it is that file's only, no other scene's.
        by_year: Values said of the scene of a year ("0.5 m in 2017 and 0.3 m in 2023").
    """

    values: list[float] = field(default_factory=list)
    by_file: dict[str, float] = field(default_factory=dict)
    by_role: dict[str, float] = field(default_factory=dict)
    rest: float | None = None
    by_index: dict[int, float] = field(default_factory=dict)
    private: bool = False
    by_year: dict[str, float] = field(default_factory=dict)

    def of(self, path: str, role: str | None) -> float | None:
        """The GSD of the scene ``path`` (``role`` "before" / "after" in a pair), or None."""
        if not self.values:
            return None
        if path in self.by_file:
            return self.by_file[path]
        if role is not None and role in self.by_role:
            return self.by_role[role]
        if self.private and self.rest is None and not self.by_role and set(self.values) <= set(
                self.by_file.values()):
            return None  # every value said of another file ("b.png (optical, GSD 0.3 m)")
        return self.values[0] if self.rest is None else self.rest


def _metres(value: str, unit: str | None) -> float:
    key = (unit or "m").lower()
    for stem, factor in _METRES.items():
        if key.startswith(stem) and (stem != "m" or key == "m"):
            return float(value) * factor
    return float(value)


def file_at(text: str, start: int, end: int, mentions: list[str]) -> str | None:
    """The file a value ending at ``end`` is said of: named last in ``text[start:end]`` and
    joined to it by a few words ("a.png at 0.5 m", "a.png has a GSD of 0.5 m"), not across a
    comma. The k-th file mask is ``mentions[k]``."""
    pos = text.rfind(FILE_MASK, start, end)
    between = re.sub(r"^\s*[,(](?=\s*\.?\d)", "",  # "(a.tif, 30 cm)"
                     text[pos + len(FILE_MASK):end])
    if pos < 0 or (re.search(r"[,;]", between) and not re.match(r"\s*\([^()]*$", between)) or \
            len(between.split()) > 6:
        return None  # (inside the file's parentheses a comma joins: "b.png (optical, GSD 0.3 m)")
    k = text.count(FILE_MASK, 0, pos)
    return mentions[k] if k < len(mentions) else None


_INDEX = re.compile(r"\b(?:(?:image|scene|photo|picture|chip|tile|frame)\s*#?\s*"
                    r"(?P<n>\d{1,2}(?!\d|\.\d|\s*(?:m|cm|mm|km|met\w*|ft)\b)|[a-h]|one|two|three|four|five)|"
                    r"(?P<o>first|second|third|"
                    r"fourth|fifth|(?:last|left|right)(?=\s+(?:one|image|scene|photo|picture|chip|"
                    r"tile|frame)s?\b)))\b")
_INDEX_WORDS = {"one": 0, "two": 1, "three": 2, "four": 3, "five": 4, "first": 0, "second": 1,
                "third": 2, "fourth": 3, "fifth": 4, "last": -1, "left": 0, "right": -1}


def _index(window: str) -> int | None:
    """The scene a value's words name by number, letter or ordinal ("image 3", "scene B", "the
    third"): 0-based, -1 for the last; the one named last in ``window``."""
    found = list(_INDEX.finditer(window))
    if not found:
        return None
    word = found[-1].group("n") or found[-1].group("o")
    if word.isdigit():
        return int(word) - 1 if int(word) > 0 else None
    return _INDEX_WORDS.get(word, ord(word) - ord("a") if len(word) == 1 else None)


_YEAR_OF = re.compile(r"\s*(?:in|for|of|on)\s+(?:the\s+)?((?:19|20)\d\d)\b(?!\s*(?:m|km|ha)\b)")
_YEAR_BEFORE = re.compile(r"\b((?:19|20)\d\d)\s+(?:(?:image|scene|photo|picture|chip|tile|mosaic|"
                          r"orthophoto|one|acquisition)\s*(?:is|was|at|:|=|has)?[^,;.]{0,12})?$")
"""A year a value is said of: after it ("0.5 m in 2017") or naming its scene before it ("the
2019 image is 1 m")."""


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
        if 0 < value <= 100_000 and not any(s < end and start < e for s, e, _ in found) \
                and not _OUTPUT.search(text, max(0, start - 60), start):
            found.append((start, end, value))

    for pattern in _GSD_PATTERNS:
        for m in pattern.finditer(text):
            start = text.index("(", m.start()) if pattern is _PAREN_GSD else m.start()
            take(start, m.end(), _metres(m.group(1), m.group(2)))
            lead = _LEAD.search(text, max(0, m.start() - 20), m.start()) \
                if text[m.start()].isdigit() or text[m.start()] == "." else None
            if lead:  # "at 0.5 m and 0.3 m resolution" (not "flew at 120 m, gsd 3 cm")
                take(lead.start(), lead.end(), _metres(lead.group(1), lead.group(2)))
    ends = sorted(end for _, end, _ in found)
    while ends:  # "resolutions: 1 m, 0.5 m and 3 m": each joined value after the one before
        more = _MORE.match(text, ends.pop(0))
        if more and more.start(1) not in (s for s, _, _ in found):
            take(more.start(1), more.end(), _metres(more.group(1), more.group(2)))
            ends.append(more.end())
    rest = _REST.search(text) if found else None
    if rest:  # "a.png is 0.5 m, the rest are 0.3 m"
        take(rest.start(1), rest.end(), _metres(rest.group(1), rest.group(2)))
    found.sort()
    gsd = Gsd(values=[v for _, _, v in found])
    if rest and any(s == rest.start(1) for s, _, _ in found):
        gsd.rest = _metres(rest.group(1), rest.group(2))
    for i, (start, end, value) in enumerate(found):
        bound = [m.end() for m in re.finditer(r"[;?!]|\.(?!\d)", text[:start])]
        first = max(found[i - 1][1] if i else 0, bound[-1] if bound else 0, start - 40)
        last = min(found[i + 1][0] if i + 1 < len(found) else len(text), end + 30)
        after = re.split(r"[,;)]|\band\b|\bvs\b|\bversus\b", text[end:last])[0]
        window = text[first:end] + (after if re.match(r"\s*(?:\(|(?:for|of|in|on)\b)", after)
                                       else "")
        # ("0.5 m for the before image", "0.5 m (before)"; not "1 m second 0.5 m": the next
        # value's subject)
        path = file_at(text, first, end, mentions or [])
        if path is not None:
            gsd.by_file.setdefault(path, value)
            own = re.search(FILE_MASK + r"\s*\((?![^()]*\b(?:both|all|each)\b)[^()]*[a-z][^()]*,"
                            r"[^()]*$", text[:start])  # "b.png (optical, GSD 0.3 m)"
            gsd.private = gsd.private or (own is not None and not re.search(  # (not "a.png
                FILE_MASK + r"\s*(?:,|and|&)\s*$", text[:own.start()]))  # and b.png (RGB, GSD
            # 0.3 m)": both files')

        index = _index(window)
        if index is not None:
            gsd.by_index.setdefault(index, value)
        year = _YEAR_OF.match(after) or _YEAR_BEFORE.search(text, max(0, first), start)
        if year is not None:  # "0.5 m in 2017 and 0.3 m in 2023", "the 2019 image is 1 m"
            gsd.by_year.setdefault(year.group(1), value)
        role = _role(window)
        if role is not None and not (rest and start == rest.start(1)):
            gsd.by_role.setdefault(role, value)
    listed = _RESPECTIVE.search(text)
    images = [m for m in mentions or [] if not re.search(r"\.(shp|geojson|gpkg|json|csv|kml)$", m)]
    values = [_metres(x, listed.group(2)) for x in re.findall(r"\d*\.?\d+", listed.group(1))
              ] if listed else []
    inside = [f for f in found if listed and listed.start() <= f[0] and f[1] <= listed.end()]
    clash = listed is not None and any(s < listed.end() and listed.start() < e
                                       for s, e, v in found if (s, e, v) not in inside)
    if listed and len(values) == len(images) and not any(  # "a.png, b.png and c.png have
            s < listed.end() and listed.start() < e for s, e, _ in found):  # resolutions of
        gsd.values = gsd.values or values  # 0.5, 0.3 and 1 m": one value per file, in order
        for path, value in zip(images, values, strict=True):
            gsd.by_file.setdefault(path, value)
        found.append((listed.start(), listed.end(), values[0]))
    elif listed and not images and len(values) > 1 and not clash and (_FOR_SCENES.match(
            text, listed.end()) or re.search(r"\b(?:frames|images|scenes|chips|tiles|photos)\b"
                                             r"[^.;?!]{0,30}$", text[:listed.start()])):
        found = [f for f in found if f not in inside]  # "frames t0..t3 have gsd 0.3, 0.3, 0.5
        gsd.values = values  # and 0.8 m respectively": the scenes given, in order
        gsd.by_index = dict(enumerate(values))
        found.append((listed.start(), listed.end(), values[0]))
    return gsd, [(s, e) for s, e, _ in found]

"""Slots of composites and outputs: three bands or wavelengths, the stretch, a WGS84 copy.

"bands 4, 3, 2" / "R=29 G=20 B=12" -> ``pseudo_rgb.bands``; "bands nearest 650, 550 and 450 nm"
-> ``wavelengths_nm``; "a percentile stretch" -> ``stretch``; "positions in WGS84" -> ``wgs84``.
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis

_MICRONS = re.compile(r"\d\s*(?:µm|μm|um|microns?|micrometres?|micrometers?)\b")
_NOT_BAND = re.compile(r"(?:above|below|over|under|[<>]=?|threshold|gsd|pixel(?: size)?|size|"
                       r"resolution)\s*(?:of\s+|is\s+)?$")
"""A number said of something else than a band ("pixel size 0.5", "NDVI above 0.4")."""


def find_wavelengths(text: str) -> list[float] | None:
    """Three wavelengths in nm ("bands nearest 650, 550 and 450 nm"; in µm: "R=2.2 µm, G=1.6 µm,
    B=0.85 µm", "2.16, 2.20 and 2.33 micrometre bands")."""
    if _MICRONS.search(text):
        microns = [float(round(float(m.group(1)) * 1000)) for m in re.finditer(
            r"(?<![\w.])(\d\.\d{1,3})(?![\w.])(?!\s*m\b)", text) if 0.35 <= float(m.group(1)) <= 2.6
            and not _NOT_BAND.search(text, max(0, m.start() - 25), m.start())]
        return microns[:3] if len(microns) >= 3 else None
    if not re.search(r"\d\s*nm\b|nanomet", text):
        return None
    values = [float(v) for v in re.findall(r"(?<![\w.])(\d{3,4}(?:\.\d+)?)(?![\w.])", text)
              if 350 <= float(v) <= 2600]
    return values[:3] if len(values) >= 3 else None


def find_bands(text: str) -> list[int] | None:
    """Three 1-based band numbers ("bands 4, 3, 2", "B8/B4/B3", "R=29 G=20 B=12")."""
    named = named_bands(text)  # "in this order: B2, B3, ... Put B08 in red, ...": positions
    if named:
        return named
    sep = r"\s*(?:,|/|-|\+|\s)\s*(?:and\s+)?"
    for pattern in (rf"\bbands?\s*(?:combination\s*)?(\d{{1,3}}){sep}(\d{{1,3}}){sep}(\d{{1,3}})\b",
                    rf"\bb(\d{{1,3}}){sep}b(\d{{1,3}}){sep}b(\d{{1,3}})\b",
                    r"\br\s*[=:]\s*(\d{1,3})\W+g\s*[=:]\s*(\d{1,3})\W+b\s*[=:]\s*(\d{1,3})\b",
                    r"\brgb\s*[=:]?\s*([1-9])([1-9])([1-9])\b",
                    r"\b([1-9])([1-9])([1-9])\s+(?:colou?r\s+|false colou?r\s+)?composite\b",
                    r"\b(\d{1,2})\s*[,/-]\s*(\d{1,2})\s*[,/-]\s*(\d{1,2})\s+(?:band\s+)?"
                    r"(?:colou?r\s+|false[\s-]colou?r\s+|rgb\s+)?(?:composite|combination)\b",
                    rf"\bband\s*(\d{{1,2}})\s+as\s+red{sep}band\s*(\d{{1,2}})\s+as\s+green{sep}"
                    r"(?:band\s*)?(\d{1,2})",
                    r"\bred (?:for|=|:|is|as)?\s*band\s*(\d{1,2})\W+green (?:for|=|:|is|as)?\s*"
                    r"band\s*(\d{1,2})\W+blue (?:for|=|:|is|as)?\s*band\s*(\d{1,2})\b",
                    r"\b(?:combination|composite|order)\s+(?:of\s+)?([1-9])\s*-\s*([1-9])\s*-\s*"
                    r"([1-9])\b",
                    r"(?<![\d/.-])([1-9]|1[0-2])-([1-9]|1[0-2])-([1-9]|1[0-2])\s+(?:false|true|natural)"
                    r"[\s-]colou?r\b",  # "as a 7-5-3 false colour" (no date: "12-05-23")
                    r"\bband\s*(\d{1,2})\b[^,;]{0,25}?\b(?:on|as|to|in|for|into) (?:the )?red\b"
                    r"[^;]{0,40}?\bband\s*(\d{1,2})\b[^,;]{0,25}?\b(?:on|as|to|in|for|into) "
                    r"(?:the )?green\b[^;]{0,40}?\bband\s*(\d{1,2})\b",
                    r"\b(first) band with the red channel\W+(?:the )?(second) band with the green "
                    r"channel\W+(?:and )?(?:the )?(third) band with the blue channel\b"):
        found = list(re.finditer(pattern, text))
        if found:  # the last: "I'm used to bands 4, 3, 2 ... the equivalent is bands 5, 4, 3"
            return [_ORDINAL_BAND.get(g, 0) or int(g) for g in found[-1].groups()]
    return None


_NAME = r"(?:b\d{1,2}a?|near[\s-]infra[\s-]?red|nir|red[\s-]edge|red|green|blue|swir\s?[12]?|" \
        r"coastal|pan)"
_ORDER = re.compile(r"\b(?:order|ordered|band order|bands are|has|have|with)\W+(?:\w+\W+){0,2}?"
                    rf"({_NAME}(?:\s*,\s*(?:and\s+)?{_NAME}|\s+and\s+{_NAME}){{2,15}})")
_NUMBERED = re.compile(rf"\b(?:bands?\s+)?(\d{{1,2}})\s*[:=]?\s*({_NAME})\b")
_TRIPLE = re.compile(
    rf"\b({_NAME})\s*(?:,|/)?\s*({_NAME})\s*(?:,|/)?\s*(?:and\s+)?({_NAME})\s+(?:as|in|on|to|into)"
    r"\s+(?:the\s+)?(?:red,?\s+green,?\s+(?:and\s+)?blue|r\s*,?\s*g\s*,?\s*b\b|rgb)|"
    rf"\b({_NAME})\s+(?:in|as|on|to)\s+(?:the\s+)?red\W+({_NAME})\s+(?:in|as|on|to)\s+(?:the\s+)?"
    rf"green\W+(?:and\s+)?({_NAME})\s+(?:in|as|on|to)\s+(?:the\s+)?blue\b")


def _band_key(name: str) -> str:
    name = re.sub(r"[\s-]+", " ", name.strip())
    if m := re.fullmatch(r"b0?(\d{1,2}a?)", name):
        return f"b{m.group(1)}"
    name = re.sub(r"^swir ?([12])$", r"swir\1", name)  # "SWIR 1" and "SWIR1" alike
    return {"near infrared": "nir", "near infra red": "nir", "swir": "swir1"}.get(name, name)


def named_bands(text: str) -> list[int] | None:
    """Three bands named against the file's stated band order ("ten bands in this order: B2,
    B3, ... Put B08 in red, B06 in green and B11 in blue" -> [7, 5, 9]; "bands 1 green, 2 red,
    3 red edge, 4 NIR ... NIR, red edge and green as red, green and blue" -> [4, 3, 1])."""
    triple = _TRIPLE.search(text)
    if triple is None:
        return None
    wanted = [_band_key(g) for g in triple.groups() if g]
    numbered = {_band_key(name): int(n) for n, name in _NUMBERED.findall(text[:triple.start()])}
    order = _ORDER.search(text, 0, triple.start())
    if order:
        names = [_band_key(n) for n in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", order.group(1))]
        numbered = {name: i for i, name in enumerate(names, 1)}
    if all(w in numbered for w in wanted):
        return [numbered[w] for w in wanted]
    if all(re.fullmatch(r"b\d{1,2}", w) for w in wanted):
        return [int(w[1:]) for w in wanted]  # "B8 in red, B4 in green ...": the band numbers
    return None


_ORDINAL_BAND = {"first": 1, "second": 2, "third": 3}


def find_stretch(text: str) -> str | None:
    """The contrast stretch of a composite: "percentile stretch", "min-max stretch", "no
    stretch"."""
    if re.search(r"\b(no|without( a| any)?|skip the) (contrast )?stretch\w*\b|\bunstretched\b",
                 text):
        return "none"
    if re.search(r"\b(min[\s-]?max|minimum[\s-]maximum|full[\s-]range)\b[^.?!;]{0,20}\bstretch|"
                 r"\bstretch\w*\b[^.?!;]{0,30}\bfrom (its|the|their) min(imum)? to (its|the|their) "
                 r"max(imum)?\b", text):
        return "minmax"
    if re.search(r"\bpercentile\w*\b[^.?!;]{0,20}\b(stretch|clip\w*)|\b(stretch|clip\w*)\b[^.?!;]"
                 r"{0,30}\bpercentiles?\b|\b\d(\.\d)?\s*(%|percent)\s*(linear|clip|stretch)", text):
        return "percentile"
    return None


_WGS84 = re.compile(
    r"\b(?:in|as|into|to|with)\s+(?:wgs\s?84|epsg\s?:?\s?4326|lat(?:itude)?\s*(?:/|and|,)\s*"
    r"lon(?:gitude)?|lon(?:gitude)?\s*(?:/|and|,)\s*lat(?:itude)?|geographic coordinates|"
    r"decimal degrees)\b|\b(?:wgs\s?84|epsg\s?:?\s?4326|lat\s*/\s*lon|lon\s*/\s*lat)\s+"
    r"(?:coordinates|positions|polygons|geojson|copy|version)\b")


def find_wgs84(text: str) -> bool:
    """Whether the outputs are asked for in EPSG:4326 ("their positions in WGS84")."""
    return _WGS84.search(text) is not None


def read(a: Analysis, t: str) -> None:
    """The composite slots of a request ``t`` onto ``a``: mode (PCA, band groups), preset,
    wavelengths, bands and stretch."""
    if re.search(r"\b(pca|principal components?)\b", t):
        a.mode = "pca"
    elif re.search(r"\b(recombin\w*|band group|3[\s-]band group|group \d+)\b", t):
        a.mode = "recombine"
        m = re.search(r"\bgroup\s*(?:no\.?|number|#)?\s*(\d+)", t)
        a.group = int(m.group(1)) if m else None
    if re.search(r"\b(swir|short[\s-]*wave[\s-]*infra[\s-]*red)\b[^.?!;]{0,20}\b("
                 r"false[\s-]*colou?rs?|composites?|combination)\b", t):
        a.composite_preset = "swir"  # "shortwave-infrared false colour": the SWIR composite
    elif re.search(r"\b(false[\s-]*colou?rs?|colou?r[\s-]*infra[\s-]*red|cir|nir composite)\b", t):
        a.composite_preset = "false_color"
    elif re.search(r"\b(true[\s-]*colou?rs?|natural[\s-]*colou?rs?|red,? green,? (and )?blue "
                   r"(bands|channels))\b", t):
        a.composite_preset = "true_color"
    elif re.search(r"\bswir\b", t):
        a.composite_preset = "swir"
    a.wavelengths = find_wavelengths(t)
    a.bands = find_bands(t)
    a.stretch = find_stretch(t)


_TEMPORAL = re.compile(
    r"(\b(?:landsat\s*\d*|sentinel\s*-?\s*\d|s2|modis|median|mean|annual|monthly|seasonal|"
    r"summer|winter|spring|autumn|\d+[\s-]day|cloud[\s-]?free|cloudless|pre[\s-]?fire|"
    r"post[\s-]?fire|pre[\s-]?event|post[\s-]?event|yearly|greenest[\s-]pixel|"
    r"(?:19|20)\d\d\s*(?:-|to)\s*(?:19|20)\d\d)\s+"
    r"(?:(?!(?:false|true|natural|colou?r|rgb|swir|infrared|nir|band|bands|pseudo)\b)\w+\s+){0,3})"
    r"(composites?|mosaics?)\b")
"""A composite over time ("a pre-fire Landsat 8 composite", "16-day MODIS composites") is the
scene itself, not a request for a colour composite."""


def blank_temporal(t: str) -> str:
    """``t`` with the word "composite" / "mosaic" of a composite over time blanked."""
    return _TEMPORAL.sub(lambda m: m.group(1) + " " * len(m.group(2)), t)

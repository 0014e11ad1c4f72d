"""Slots of composites and outputs: three bands or wavelengths, the stretch, a WGS84 copy.

"bands 4, 3, 2" / "R=29 G=20 B=12" -> ``pseudo_rgb.bands``; "bands nearest 650, 550 and 450 nm"
-> ``wavelengths_nm``; "a percentile stretch" -> ``stretch``; "positions in WGS84" -> ``wgs84``.
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis


def find_wavelengths(text: str) -> list[float] | None:
    """Three wavelengths in nm ("bands nearest 650, 550 and 450 nm")."""
    if not re.search(r"\d\s*nm\b|nanomet", text):
        return None
    values = [float(v) for v in re.findall(r"(?<![\w.])(\d{3,4}(?:\.\d+)?)(?![\w.])", text)
              if 350 <= float(v) <= 2600]
    return values[:3] if len(values) >= 3 else None


def find_bands(text: str) -> list[int] | None:
    """Three 1-based band numbers ("bands 4, 3, 2", "B8/B4/B3", "R=29 G=20 B=12")."""
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
                    r"\bband\s*(\d{1,2})\b[^,;]{0,25}?\b(?:on|as|to|in|for|into) (?:the )?red\b"
                    r"[^;]{0,40}?\bband\s*(\d{1,2})\b[^,;]{0,25}?\b(?:on|as|to|in|for|into) "
                    r"(?:the )?green\b[^;]{0,40}?\bband\s*(\d{1,2})\b",
                    r"\b(first) band with the red channel\W+(?:the )?(second) band with the green "
                    r"channel\W+(?:and )?(?:the )?(third) band with the blue channel\b"):
        m = re.search(pattern, text)
        if m:
            return [_ORDINAL_BAND.get(g, 0) or int(g) for g in m.groups()]
    return None


_ORDINAL_BAND = {"first": 1, "second": 2, "third": 3}


def find_stretch(text: str) -> str | None:
    """The contrast stretch of a composite: "percentile stretch", "min-max stretch", "no
    stretch"."""
    if re.search(r"\b(no|without( a| any)?|skip the) (contrast )?stretch\w*\b|\bunstretched\b",
                 text):
        return "none"
    if re.search(r"\b(min[\s-]?max|minimum[\s-]maximum|full[\s-]range)\b[^.?!;]{0,20}\bstretch",
                 text):
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

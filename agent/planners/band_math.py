"""Normalised differences written as band math, read as the index they are: "(B8-B4)/(B8+B4)"
and "(nir - red) / (nir + red)" are NDVI, "normalizedDifference(['B3', 'B8'])" is NDWI;
"ndvi.gt(0.35)" is "ndvi > 0.35".

Band numbers are Sentinel-2's (B8 NIR, B11 / B12 SWIR) when the expression or the request
names a Sentinel-2 band or the sensor, Landsat 8/9's (B5 NIR, B6 / B7 SWIR) when it names
Landsat, else only the bands both share (B2-B4); a band number not read so leaves the
expression as it is.
"""

from __future__ import annotations

import re

_S2 = {"b2": "blue", "b02": "blue", "b3": "green", "b03": "green", "b4": "red", "b04": "red",
       "b8": "nir", "b08": "nir", "b8a": "nir", "b11": "swir1", "b12": "swir2",
       "b5": "rededge", "b05": "rededge"}
_L8 = {"b2": "blue", "b3": "green", "b4": "red", "b5": "nir", "b6": "swir1", "b7": "swir2",
       "sr_b2": "blue", "sr_b3": "green", "sr_b4": "red", "sr_b5": "nir", "sr_b6": "swir1",
       "sr_b7": "swir2"}
_NAMED = {"nir": "nir", "red": "red", "green": "green", "blue": "blue", "swir": "swir1",
          "swir1": "swir1", "swir2": "swir2", "swir16": "swir1", "swir22": "swir2",
          "rededge": "rededge", "re": "rededge", "re1": "rededge"}
_INDEX = {("nir", "red"): "ndvi", ("green", "nir"): "ndwi", ("green", "swir1"): "mndwi",
          ("nir", "swir2"): "nbr", ("nir", "swir1"): "ndmi", ("swir1", "nir"): "ndbi",
          ("nir", "green"): "gndvi", ("nir", "rededge"): "ndre"}
_BAND = r"(?:sr_)?b\d{1,2}a?|nir|red|green|blue|swir[12]?|swir16|swir22|red[\s_-]?edge|re1?"
_RATIO = re.compile(rf"\(\s*({_BAND})\s*-\s*({_BAND})\s*\)\s*/\s*\(\s*({_BAND})\s*\+\s*({_BAND})"
                    r"\s*\)")
_NORMALIZED = re.compile(rf"\bnormali[sz]ed_?difference\s*\(\s*\[\s*['\"]?({_BAND})['\"]?\s*,\s*"
                         rf"['\"]?({_BAND})['\"]?\s*\]\s*\)")
_SENTINEL2 = re.compile(r"\b(?:sentinel[\s-]?2|s2[ab]?|msi|b8a?|b11|b12|b0\d)\b")
_ABOUT = re.compile(r"\s*(?:which|what|explain|why|how does|how do|describe|is)\b")
_COMPUTED = re.compile(r"\b(?:compute|calculate|map|mask|threshold|area|mean of|give me|apply|"
                       r"derive|produce|make)\b")
"""A sentence asking about a formula ("which index uses (green - nir)/(green + nir)?", "what
does (b8-b4)/(b8+b4) measure?"): knowledge, not a computation, unless it asks for one."""
_LANDSAT = re.compile(r"\b(?:landsat|l[89]|lc0[89]|oli|tm|etm\+?)\b")
_SHARED = {"b2": "blue", "b3": "green", "b4": "red"}
"""Bands that are the same in both sensors: all that is read when no sensor is named."""
_SNOW = re.compile(r"\b(?:snow|ice|glaciers?|ndsi)\b")


def _role(band: str, bands: dict[str, str]) -> str | None:
    key = re.sub(r"[\s_-]", "", band) if not band.startswith("sr_") else band
    return _NAMED.get(key) or bands.get(key)


def read_band_math(text: str) -> str:
    """``text`` (lower case) with each normalised difference of two bands written as math
    replaced by its index name ("(b8-b4)/(b8+b4) > 0.3" -> "ndvi > 0.3"); the same bands in
    both brackets, in the same order, or it is left as written."""
    bands = _S2 if _SENTINEL2.search(text) else _L8 if _LANDSAT.search(text) else _SHARED

    def index(first: str, second: str, whole: str, at: int) -> str:
        sentence = re.split(r"[.?!;]\s", text[:at])[-1]
        if _ABOUT.match(sentence) and not _COMPUTED.search(sentence):
            return whole  # "which index is (green - swir)/(green + swir)?", "what does ... measure"
        pair = (_role(first, bands), _role(second, bands))
        name = _INDEX.get((pair[0] or "", pair[1] or ""))
        if name == "mndwi" and _SNOW.search(text):
            name = "ndsi"  # (green - swir1) / (green + swir1) is the snow index over snow
        return name or whole

    def ratio(m: re.Match[str]) -> str:
        same = (re.sub(r"\s", "", m.group(1)), re.sub(r"\s", "", m.group(2))) == (
            re.sub(r"\s", "", m.group(3)), re.sub(r"\s", "", m.group(4)))
        return index(m.group(1), m.group(2), m.group(0), m.start()) if same else m.group(0)

    text = _RATIO.sub(ratio, text)
    text = _NORMALIZED.sub(lambda m: index(m.group(1), m.group(2), m.group(0), m.start()), text)
    return _COMPARE_CALL.sub(lambda m: f" {_SIGNS[m.group(1)]} {m.group(2)}", text)


_SIGNS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_COMPARE_CALL = re.compile(r"\.(gte?|lte?)\(\s*(-?\.?\d[\d.]*)\s*\)")
"""A comparison written as a method call (Earth Engine's "ndvi.gt(0.35)")."""

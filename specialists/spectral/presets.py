"""Documented default thresholds of spectral indices (``threshold: "default"``).

A pixel is selected when its index is at or above the threshold. Each preset names what it
maps and where the value comes from, so an answer can state both:

=====  =========  ==================  ======================================================
index  threshold  maps                source
=====  =========  ==================  ======================================================
NDSI   0.4        snow cover          Hall, Riggs & Salomonson 1995 (MODIS SNOMAP), after
                                      Dozier 1989 (Landsat TM); with SNOMAP's second test,
                                      NIR reflectance > 0.11, which keeps water out
NDVI   0.2        vegetation          Sobrino, Jimenez-Munoz & Paolini 2004: NDVI < 0.2 is bare
                                      soil, > 0.5 full vegetation cover
NDWI   0.0        open water          McFeeters 1996: water has positive NDWI
MNDWI  0.0        open water          Xu 2006: water has positive MNDWI
NDBI   0.0        built-up / bare     Zha, Gao & Ni 2003: built-up has positive NDBI
dNBR   0.1        burned area         Key & Benson 2006 (USGS FIREMON): low severity and above
=====  =========  ==================  ======================================================

No preset for a single-date NBR (there is no accepted single-date burned threshold: what burned
shows as the drop from the pre-fire NBR, so pass the pre-fire scene and use dNBR), nor for SAVI
and EVI (continuous vegetation measures without one accepted cut).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """The default threshold of one index.

    Attributes:
        index: Index name (upper case; ``dNBR`` as written).
        threshold: Lowest selected value (index units, unscaled).
        maps: What the selected pixels are, e.g. 'snow cover'.
        source: Short citation of the value.
        caveat: What else passes the threshold, said with the result ('' when nothing).
        nir_min: NIR reflectance a selected pixel must also exceed (None: no such test).
    """

    index: str
    threshold: float
    maps: str
    source: str
    caveat: str = ""
    nir_min: float | None = None

    @property
    def rule(self) -> str:
        """The selection in words, e.g. 'NDSI ≥ 0.4 and NIR reflectance > 0.11'."""
        nir = f" and NIR reflectance > {self.nir_min:g}" if self.nir_min is not None else ""
        return f"{self.index} ≥ {self.threshold:g}{nir}"


PRESETS: dict[str, Preset] = {p.index: p for p in (
    Preset("NDSI", 0.4, "snow cover", "Hall, Riggs & Salomonson 1995 (MODIS SNOMAP); Dozier "
           "1989", "clouds are not removed (ice clouds can pass both tests)", nir_min=0.11),
    Preset("NDVI", 0.2, "vegetation", "Sobrino et al. 2004 (NDVI < 0.2 bare soil)",
           "includes sparse vegetation; dense cover is NDVI > 0.5"),
    Preset("NDWI", 0.0, "open water", "McFeeters 1996",
           "built-up surfaces can reach positive NDWI; MNDWI suppresses them"),
    Preset("MNDWI", 0.0, "open water", "Xu 2006", "snow and some shadows also exceed 0"),
    Preset("NDBI", 0.0, "built-up and bare surfaces", "Zha, Gao & Ni 2003",
           "bare soil and dry vegetation are positive too"),
    Preset("dNBR", 0.1, "burned area", "Key & Benson 2006, USGS FIREMON: low severity and "
           "above"),
)}

NO_PRESET: dict[str, str] = {
    "NBR": ("a single-date NBR has no accepted burned-area threshold (burned land shows as the "
            "drop from the pre-fire NBR); pass the pre-fire scene as before= with index dNBR "
            "(burned = dNBR >= 0.1, Key & Benson 2006), or a number as threshold"),
    "SAVI": "SAVI is a continuous vegetation measure without one accepted cut; pass a number",
    "EVI": "EVI is a continuous vegetation measure without one accepted cut; pass a number",
}


def preset_for(index: str) -> Preset:
    """The preset of ``index``.

    Raises:
        KeyError: No documented default; the message says why and what to pass instead.
    """
    key = "dNBR" if index.upper() == "DNBR" else index.upper()
    if key in PRESETS:
        return PRESETS[key]
    why = NO_PRESET.get(key, f"{index} has no documented default threshold; pass a number")
    known = ", ".join(f"{p.index} {p.threshold:g}" for p in PRESETS.values())
    raise KeyError(f"{why}. Defaults exist for: {known}")


def preset_table() -> str:
    """The presets as a Markdown table (for README and help texts)."""
    rows = ["| index | default threshold | maps | source |", "|---|---|---|---|"]
    rows += [f"| {p.index} | {p.rule} | {p.maps} | {p.source} |"
             for p in PRESETS.values()]
    return "\n".join(rows)

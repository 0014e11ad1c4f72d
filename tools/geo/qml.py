"""QGIS layer styles (``.qml``) for rasters, and the colour ramps the quick-looks share.

QGIS loads ``<raster stem>.qml`` beside a raster as that layer's default style, so a result
opens styled. A style is one of four renderers of QGIS's raster pipe:

* :class:`Paletted` (``paletted``): one colour per class value (masks, class and instance
  rasters); an entry with alpha 0 is transparent (the 0 of a binary mask);
* :class:`Pseudocolor` (``singlebandpseudocolor``): a colour ramp interpolated between a minimum
  and a maximum (index rasters, AGB in Mg/ha);
* :class:`Gray` (``singlebandgray``): one band stretched black to white between two values;
* :class:`RgbComposite` (``multibandcolor``): three bands as red, green, blue, each stretched.

Nodata is not listed: QGIS takes it from the file. Colours are 8-bit RGB triples.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools.geo.atomic import atomic_path

RGB = tuple[int, int, int]
Ramp = tuple[tuple[float, RGB], ...]
"""Colour stops: (position 0 to 1, colour), positions increasing from 0 to 1."""

QGIS_VERSION = "3.28.0-Firenze"
"""The QGIS version the style files declare (any QGIS 3 reads them)."""

VIRIDIS: Ramp = ((0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)),
                 (0.75, (94, 201, 98)), (1.0, (253, 231, 37)))
VEGETATION: Ramp = ((0.0, (165, 0, 38)), (0.25, (244, 109, 67)), (0.5, (255, 255, 191)),
                    (0.75, (102, 189, 99)), (1.0, (0, 104, 55)))
"""Red - yellow - green (ColorBrewer RdYlGn): NDVI, SAVI, EVI, NBR."""
WATER: Ramp = ((0.0, (166, 97, 26)), (0.5, (247, 247, 247)), (1.0, (33, 102, 172)))
"""Brown - white - blue: NDWI, MNDWI."""
BURN: Ramp = tuple((1.0 - p, c) for p, c in reversed(VEGETATION))
"""Green - yellow - red: dNBR and burn severity (high = severe)."""
BIOMASS: Ramp = ((0.0, (255, 255, 229)), (0.25, (217, 240, 163)), (0.5, (120, 198, 121)),
                 (0.75, (35, 132, 67)), (1.0, (0, 69, 41)))
"""Pale yellow - dark green (ColorBrewer YlGn): above-ground biomass."""
GRAY: Ramp = ((0.0, (0, 0, 0)), (1.0, (255, 255, 255)))


@dataclass(frozen=True)
class PaletteEntry:
    """One class of a paletted style."""

    value: int
    color: RGB
    label: str
    alpha: int = 255


@dataclass(frozen=True)
class Paletted:
    """One colour per class value of ``band``."""

    band: int
    entries: tuple[PaletteEntry, ...]


@dataclass(frozen=True)
class Pseudocolor:
    """``ramp`` stretched from ``minimum`` to ``maximum`` (values in ``units``) on ``band``."""

    band: int
    minimum: float
    maximum: float
    ramp: Ramp
    title: str
    units: str


@dataclass(frozen=True)
class Gray:
    """``band`` black at ``minimum`` to white at ``maximum`` (values in ``units``)."""

    band: int
    minimum: float
    maximum: float
    title: str
    units: str


@dataclass(frozen=True)
class RgbComposite:
    """Three bands as red, green and blue, each stretched over its (min, max)."""

    bands: tuple[int, int, int]
    ranges: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]


Style = Paletted | Pseudocolor | Gray | RgbComposite


def hex_color(color: RGB) -> str:
    """``#rrggbb``."""
    return "#{:02x}{:02x}{:02x}".format(*color)


def ramp_colors(ramp: Ramp, positions: np.ndarray) -> np.ndarray:
    """The colours (..., 3 uint8) of ``ramp`` at ``positions`` (0 to 1, clipped)."""
    at = np.clip(np.asarray(positions, dtype="float64"), 0.0, 1.0)
    stops = np.array([p for p, _ in ramp], dtype="float64")
    colors = np.array([c for _, c in ramp], dtype="float64")
    channels = [np.interp(at, stops, colors[:, k]) for k in range(3)]
    out: np.ndarray = np.rint(np.stack(channels, axis=-1)).astype("uint8")
    return out


def _number(value: float) -> str:
    return f"{value:.10g}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    elem = ET.SubElement(parent, tag, attrs)
    if text is not None:
        elem.text = text
    return elem


def _enhancement(parent: ET.Element, tag: str, low: float, high: float) -> None:
    elem = _sub(parent, tag)
    _sub(elem, "minValue", _number(low))
    _sub(elem, "maxValue", _number(high))
    _sub(elem, "algorithm", "StretchToMinimumMaximum")


def _min_max_origin(parent: ET.Element) -> None:
    origin = _sub(parent, "minMaxOrigin")
    for tag, text in (("limits", "None"), ("extent", "WholeRaster"),
                      ("statAccuracy", "Estimated"), ("cumulativeCutLower", "0.02"),
                      ("cumulativeCutUpper", "0.98"), ("stdDevFactor", "2")):
        _sub(origin, tag, text)


def _renderer(pipe: ET.Element, style: Style) -> None:
    common = {"opacity": "1", "alphaBand": "-1", "nodataColor": ""}
    if isinstance(style, Paletted):
        elem = _sub(pipe, "rasterrenderer", type="paletted", band=str(style.band), **common)
        _sub(elem, "rasterTransparency")
        _min_max_origin(elem)
        palette = _sub(elem, "colorPalette")
        for e in style.entries:
            _sub(palette, "paletteEntry", value=str(e.value), color=hex_color(e.color),
                 alpha=str(e.alpha), label=e.label)
    elif isinstance(style, Pseudocolor):
        lo, hi = _number(style.minimum), _number(style.maximum)
        elem = _sub(pipe, "rasterrenderer", type="singlebandpseudocolor", band=str(style.band),
                    classificationMin=lo, classificationMax=hi, **common)
        _sub(elem, "rasterTransparency")
        _min_max_origin(elem)
        shader = _sub(_sub(elem, "rastershader"), "colorrampshader", colorRampType="INTERPOLATED",
                      classificationMode="1", clip="0", minimumValue=lo, maximumValue=hi,
                      labelPrecision="4")
        span = style.maximum - style.minimum
        for position, color in style.ramp:
            value = style.minimum + position * span
            _sub(shader, "item", value=_number(value), color=hex_color(color), alpha="255",
                 label=f"{value:.4g}")
    elif isinstance(style, Gray):
        elem = _sub(pipe, "rasterrenderer", type="singlebandgray", grayBand=str(style.band),
                    gradient="BlackToWhite", **common)
        _sub(elem, "rasterTransparency")
        _min_max_origin(elem)
        _enhancement(elem, "contrastEnhancement", style.minimum, style.maximum)
    else:
        red, green, blue = (str(b) for b in style.bands)
        elem = _sub(pipe, "rasterrenderer", type="multibandcolor", redBand=red,
                    greenBand=green, blueBand=blue, **common)
        _sub(elem, "rasterTransparency")
        _min_max_origin(elem)
        for tag, (low, high) in zip(("redContrastEnhancement", "greenContrastEnhancement",
                                     "blueContrastEnhancement"), style.ranges, strict=True):
            _enhancement(elem, tag, low, high)


def qml_text(style: Style) -> str:
    """The QGIS layer style (QML document) of ``style``."""
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "AllStyleCategories",
                               "hasScaleBasedVisibilityFlag": "0", "minScale": "1e+08",
                               "maxScale": "0"})
    pipe = _sub(root, "pipe")
    provider = _sub(pipe, "provider")
    resampling = "nearestNeighbour" if isinstance(style, Paletted) else "bilinear"
    _sub(provider, "resampling", enabled="false", zoomedInResamplingMethod="nearestNeighbour",
         zoomedOutResamplingMethod=resampling, maxOversampling="2")
    _renderer(pipe, style)
    _sub(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    _sub(pipe, "huesaturation", saturation="0", colorizeOn="0", colorizeRed="255",
         colorizeGreen="128", colorizeBlue="128", colorizeStrength="100", grayscaleMode="0",
         invertColors="0")
    _sub(pipe, "rasterresampler", maxOversampling="2")
    _sub(pipe, "resamplingStage", "resamplingFilter")
    _sub(root, "blendMode", "0")
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    return f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n{body}\n"


def write_qml(dest: str | Path, style: Style) -> Path:
    """Write the QGIS style of ``style`` to ``dest`` atomically; returns ``dest``."""
    with atomic_path(dest, "tmp") as tmp:
        tmp.write_text(qml_text(style), encoding="utf-8")
    return Path(dest)


def class_colors(count: int) -> Sequence[RGB]:
    """``count`` distinct colours for classes (a qualitative palette, repeated past 12)."""
    return [_QUALITATIVE[k % len(_QUALITATIVE)] for k in range(count)]


_QUALITATIVE: tuple[RGB, ...] = (
    (31, 120, 180), (227, 26, 28), (51, 160, 44), (255, 127, 0), (106, 61, 154),
    (177, 89, 40), (166, 206, 227), (251, 154, 153), (178, 223, 138), (253, 191, 111),
    (202, 178, 214), (255, 255, 153))
"""ColorBrewer Paired, reordered so the first colours differ most."""

"""How a map layer is drawn: its style (the QGIS style beside a raster output, else the
quick-look rules, else a natural-colour stretch for scenes), its legend or colour bar, and the
painting of a tile's pixels into RGBA.

The styles are the four renderers of :mod:`tools.geo.qml`, so the map, the quick-look PNG and
QGIS show a result the same way:

* masks and class rasters (:class:`~tools.geo.qml.Paletted`): one colour per class value, an
  entry with alpha 0 (the 0 of a binary mask) transparent; drawn with nearest resampling;
* continuous rasters (:class:`~tools.geo.qml.Pseudocolor`, :class:`~tools.geo.qml.Gray`): a
  colour ramp between a minimum and a maximum (the ``.qml``'s, else -1 to 1 for
  normalised-difference indices, else the 2nd and 98th percentiles), with a colour bar;
* scenes and composites (:class:`~tools.geo.qml.RgbComposite`): three bands, each stretched
  from its 2nd to its 98th percentile (a decimated read, at most 512 px a side).

Nodata, NaN and pixels outside the raster are transparent.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specialists.spectral.bands import resolve_roles
from tools.core.artifacts import Artifact
from tools.core.untrusted_text import clean
from tools.geo.qml import (
    GRAY,
    RGB,
    Gray,
    Paletted,
    PaletteEntry,
    Pseudocolor,
    Ramp,
    RgbComposite,
    Style,
    hex_color,
    ramp_colors,
)
from tools.geo.raster import BandInfo, alpha_bands, guess_modality

SAMPLE_SIDE_PX = 512
"""Longest side (pixels) of the decimated read a stretch is computed from."""
MAX_QML_BYTES = 1 << 20
"""A larger style file is not read (the quick-look rules style the layer instead)."""
COLORBAR_STOPS = 9
"""Colours of a colour bar, evenly spaced from its minimum to its maximum."""


@dataclass(frozen=True)
class LayerStyle:
    """A layer's style, the units of its values and where the style came from."""

    style: Style
    units: str | None
    source: str
    """'qml' (the style file beside the raster), 'quick-look rules' or 'scene stretch'."""

    @property
    def nearest(self) -> bool:
        """Whether tiles are resampled nearest (class values), else bilinear."""
        return isinstance(self.style, Paletted)

    @property
    def bands(self) -> list[int]:
        """The 1-based bands a tile reads."""
        if isinstance(self.style, RgbComposite):
            return list(self.style.bands)
        return [self.style.band]

    def legend(self) -> list[dict[str, Any]] | None:
        """``[{"value", "label", "color"}]`` of the drawn classes (transparent ones left
        out); None for continuous styles."""
        if not isinstance(self.style, Paletted):
            return None
        return [{"value": e.value, "label": e.label, "color": hex_color(e.color)}
                for e in self.style.entries if e.alpha > 0]

    def colorbar(self) -> dict[str, Any] | None:
        """``{"min", "max", "units", "colors"}`` of a colour ramp; None otherwise."""
        style = self.style
        if not isinstance(style, Pseudocolor | Gray):
            return None
        ramp = style.ramp if isinstance(style, Pseudocolor) else GRAY
        colors = ramp_colors(ramp, np.linspace(0.0, 1.0, COLORBAR_STOPS))
        return {"min": float(style.minimum), "max": float(style.maximum),
                "units": style.units or self.units or "",
                "colors": [hex_color((int(c[0]), int(c[1]), int(c[2]))) for c in colors]}


# --- the .qml beside a raster --------------------------------------------------------------


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _rgb(text: str | None) -> RGB | None:
    text = (text or "").strip()
    if len(text) != 7 or not text.startswith("#"):
        return None
    try:
        return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)
    except ValueError:
        return None


def _band(elem: ET.Element, key: str, count: int) -> int | None:
    value = _float(elem.get(key))
    return int(value) if value is not None and 1 <= value <= count else None


def _range(elem: ET.Element | None) -> tuple[float, float] | None:
    if elem is None:
        return None
    low, high = _float(elem.findtext("minValue")), _float(elem.findtext("maxValue"))
    return (low, high) if low is not None and high is not None and high > low else None


def _paletted(elem: ET.Element, count: int) -> Paletted | None:
    band = _band(elem, "band", count)
    entries = []
    for item in elem.iter("paletteEntry"):
        value, color = _float(item.get("value")), _rgb(item.get("color"))
        if value is None or color is None or value != int(value):
            continue
        alpha = _float(item.get("alpha"))
        label = clean(item.get("label"), 60) or f"class {int(value)}"
        entries.append(PaletteEntry(int(value), color, label,
                                    255 if alpha is None else int(min(max(alpha, 0), 255))))
    if band is None or not entries:
        return None
    return Paletted(band, tuple(sorted(entries, key=lambda e: e.value)))


def _pseudocolor(elem: ET.Element, count: int) -> Pseudocolor | None:
    band = _band(elem, "band", count)
    low = _float(elem.get("classificationMin"))
    high = _float(elem.get("classificationMax"))
    stops = [(_float(i.get("value")), _rgb(i.get("color"))) for i in elem.iter("item")]
    points = sorted((v, c) for v, c in stops if v is not None and c is not None)
    if band is None or len(points) < 2:
        return None
    low = points[0][0] if low is None else low
    high = points[-1][0] if high is None else high
    if high <= low:
        return None
    ramp: Ramp = tuple((min(max((v - low) / (high - low), 0.0), 1.0), c) for v, c in points)
    return Pseudocolor(band, low, high, ramp, "", "")


def _gray(elem: ET.Element, count: int) -> Gray | None:
    band, limits = _band(elem, "grayBand", count), _range(elem.find("contrastEnhancement"))
    if band is None or limits is None:
        return None
    return Gray(band, limits[0], limits[1], "", "")


def _composite(elem: ET.Element, count: int) -> RgbComposite | None:
    bands = [_band(elem, key, count) for key in ("redBand", "greenBand", "blueBand")]
    ranges = [_range(elem.find(f"{c}ContrastEnhancement")) for c in ("red", "green", "blue")]
    if any(b is None for b in bands):
        return None
    r, g, b = (int(x or 1) for x in bands)
    full = tuple(x or (0.0, 255.0) for x in ranges)
    return RgbComposite((r, g, b), (full[0], full[1], full[2]))


_RENDERERS = {"paletted": _paletted, "singlebandpseudocolor": _pseudocolor,
              "singlebandgray": _gray, "multibandcolor": _composite}


def read_qml(path: Path, count: int) -> Style | None:
    """The style of a QGIS ``.qml`` file for a raster of ``count`` bands (None: missing,
    too large, not a raster style this reader knows, or naming bands the raster lacks)."""
    try:
        if path.stat().st_size > MAX_QML_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "<!ENTITY" in text:  # entities are never needed in a style; refuse expansion tricks
        return None
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    renderer = root.find(".//rasterrenderer")
    make = _RENDERERS.get(renderer.get("type", "") if renderer is not None else "")
    return make(renderer, count) if make is not None and renderer is not None else None


# --- scenes: natural colour -------------------------------------------------------------------


def scene_bands(src: Any) -> tuple[int, ...]:
    """The bands a scene is shown with: red, green, blue when the header says which (band
    names, colour interpretation, a Sentinel-2 / Landsat-8 band count), bands 4, 3, 2 of
    other files of 7+ bands, bands 1-3 of 3- and 4-band files; else band 1 in grey (SAR: the
    first polarisation)."""
    alpha = alpha_bands(src)
    colours = [c.name for c in src.colorinterp]
    infos = [BandInfo(index=i, name=clean(src.descriptions[i - 1] or src.tags(i).get("name")),
                      colour=None if colours[i - 1] in ("undefined", None) else colours[i - 1],
                      alpha=i in alpha) for i in range(1, src.count + 1)]
    data = [b.index for b in infos if not b.alpha] or [1]
    if len(data) < 3 or guess_modality(src, infos) == "sar":
        return (data[0],)
    roles = resolve_roles(src.count, [b.name for b in infos], (), None,
                          [b.colour for b in infos], alpha).roles
    if all(role in roles for role in ("red", "green", "blue")):
        return roles["red"], roles["green"], roles["blue"]
    if len(data) <= 4:
        return data[0], data[1], data[2]
    if len(data) >= 7 and guess_modality(src, infos) != "hyperspectral":
        return data[3], data[2], data[1]
    return (data[0],)


def sample(src: Any, bands: list[int]) -> np.ndarray:
    """``bands`` read decimated (longest side at most :data:`SAMPLE_SIDE_PX`; overviews answer
    when the file has them) as float32 with nodata and masked pixels as NaN."""
    scale = min(1.0, SAMPLE_SIDE_PX / max(src.width, src.height))
    shape = (len(bands), max(1, round(src.height * scale)), max(1, round(src.width * scale)))
    data = src.read(bands, out_shape=shape, masked=True, out_dtype="float32")
    return np.asarray(np.ma.filled(data, np.nan), dtype="float32")


def stretch(values: np.ndarray) -> tuple[float, float]:
    """The 2nd and 98th percentiles of the finite ``values`` (a span of at least 1 when
    they coincide; (0, 1) when none is finite)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = (float(v) for v in np.percentile(finite, [2, 98]))
    return (low - 0.5, high + 0.5) if high <= low else (low, high)


def scene_style(src: Any) -> LayerStyle:
    """Natural colour (or grey) with a 2-98 % stretch per band from a decimated read."""
    bands = scene_bands(src)
    data = sample(src, list(bands))
    ranges = [stretch(band) for band in data]
    if len(bands) == 3:
        style: Style = RgbComposite((bands[0], bands[1], bands[2]),
                                    (ranges[0], ranges[1], ranges[2]))
    else:
        style = Gray(bands[0], ranges[0][0], ranges[0][1], f"band {bands[0]}", "")
    return LayerStyle(style, None, "scene stretch")


# --- artifacts --------------------------------------------------------------------------------


def artifact_style(src: Any, art: Artifact, qml: Path | None) -> LayerStyle:
    """The style of a raster artifact: its ``.qml`` when it has one this reader knows, else
    the quick-look rules of :func:`tools.geo.quicklook.look` (the same decisions that wrote
    the ``.qml`` of every raster output), else band 1 in grey, stretched."""
    from tools.geo.quicklook import look  # Pillow and the quick-look rules: only when needed

    if qml is not None:
        style = read_qml(qml, src.count)
        if style is not None:
            return LayerStyle(style, art.units, "qml")
    found = look(src, art)
    if found is not None:
        return LayerStyle(found.style, art.units, "quick-look rules")
    low, high = stretch(sample(src, [1])[0])
    return LayerStyle(Gray(1, low, high, art.name, art.units or ""), art.units, "stretch")


# --- painting ---------------------------------------------------------------------------------


def _scaled(band: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip((band - low) / (high - low), 0.0, 1.0)


def paint(style: Style, data: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The RGBA pixels (rows, cols, 4; uint8) of ``data`` (the style's bands, float32,
    (bands, rows, cols)); pixels where ``valid`` is False are transparent."""
    rows, cols = valid.shape
    out = np.zeros((rows, cols, 4), dtype="uint8")
    if isinstance(style, Paletted):
        keys = np.array([e.value for e in style.entries], dtype="int64")
        colors = np.array([(*e.color, e.alpha) for e in style.entries] + [(0, 0, 0, 0)],
                          dtype="uint8")
        if not len(keys):
            return out
        band = data[0]
        whole = valid & np.isfinite(band)
        raw = np.where(whole, np.rint(band), 0).astype("int64")
        at = np.clip(np.searchsorted(keys, raw), 0, len(keys) - 1)
        hit = whole & (keys[at] == raw)
        out[:] = colors[np.where(hit, at, len(keys))]
        out[out[..., 3] == 0] = 0  # a transparent class: no colour either
        return out
    if isinstance(style, RgbComposite):
        for k, (low, high) in enumerate(style.ranges):
            channel = np.nan_to_num(_scaled(data[k], low, high), nan=0.0)
            out[..., k] = np.rint(channel * 255.0).astype("uint8")
        out[..., 3] = np.where(valid, 255, 0)
        return out
    ramp = style.ramp if isinstance(style, Pseudocolor) else GRAY
    band = data[0]
    shown = valid & np.isfinite(band)
    out[..., :3] = ramp_colors(ramp, np.nan_to_num(_scaled(band, style.minimum, style.maximum)))
    out[..., 3] = np.where(shown, 255, 0)
    out[~shown] = 0
    return out

"""Quick-look PNGs and QGIS ``.qml`` styles next to every mask, index raster and composite.

After a tool's handler, the runner calls :func:`add_quicklooks` on its result: each ``mask`` or
``raster`` artifact that is a GeoTIFF gets ``<stem>.png`` (longest side at most 512 px) and
``<stem>.qml`` (QGIS loads it as the layer's default style) beside it, both written atomically,
and the artifact records them (``quicklook``, ``style``). The style follows what the raster is:

* a 0/1 mask: 1 in one colour (water blue, change red, ...), 0 transparent in QGIS and light
  grey in the PNG; a class raster: one colour per class (its colour table when it has one),
  labels from the artifact's description or the file's ``values`` tag; an instance raster: one
  colour per object. The PNG has a legend.
* a float raster (an index, AGB in Mg/ha): a colour ramp from -1 to 1 for normalised-difference
  indices, else between the 2nd and 98th percentiles; the PNG has a colour bar with the units.
* a 3-band 8-bit composite (``pseudo_rgb``): red, green, blue as they are.
* anything else (an integer image, a cube of many bands): band 1 in grey, percentile stretch.

Pixels are read decimated (``out_shape``; a COG's overviews answer): a huge raster is never
loaded whole. A quick-look never fails the tool: a problem becomes one of its warnings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from PIL import Image, ImageDraw, ImageFont

from tools.core.artifacts import Artifact, ToolResult
from tools.core.untrusted_text import clean
from tools.geo.atomic import atomic_path
from tools.geo.qml import (
    BIOMASS,
    BURN,
    GRAY,
    RGB,
    VEGETATION,
    VIRIDIS,
    WATER,
    Gray,
    Paletted,
    PaletteEntry,
    Pseudocolor,
    Ramp,
    RgbComposite,
    Style,
    class_colors,
    ramp_colors,
    write_qml,
)

MAX_SIDE_PX = 512
"""Longest side of a quick-look PNG (pixels), legend or colour bar included."""
MAX_BANDS = 4
"""More bands than this (a hyperspectral cube): band 1 in grey."""
CLASS_SCAN_PX = 64_000_000
"""An unlabelled class raster up to this many pixels is scanned block by block for its values
(a decimated read can miss small classes); a larger one is styled from the decimated read."""
MAX_CLASSES = 1024
"""More class values than this: a colour ramp instead of one colour per class."""
LEGEND_ROWS = 8
ND_INDICES = frozenset({"ndvi", "ndwi", "mndwi", "nbr", "ndsi", "ndbi"})
"""Normalised-difference indices: shown on a fixed -1 to 1 ramp."""
RAMPS: dict[str, Ramp] = {"ndvi": VEGETATION, "savi": VEGETATION, "evi": VEGETATION,
                          "nbr": VEGETATION, "ndwi": WATER, "mndwi": WATER, "dnbr": BURN}
MASK_COLORS: tuple[tuple[str, RGB], ...] = (
    ("water", (31, 120, 180)), ("mndwi", (31, 120, 180)), ("ndwi", (31, 120, 180)),
    ("change", (227, 26, 28)), ("dnbr", (227, 26, 28)), ("nbr", (227, 26, 28)),
    ("burn", (227, 26, 28)), ("ndvi", (51, 160, 44)), ("savi", (51, 160, 44)),
    ("evi", (51, 160, 44)), ("ndsi", (0, 188, 212)), ("ndbi", (152, 78, 163)))
"""Colour of the 1 of a binary mask, by a word of the artifact's name (else orange)."""
GENERIC: RGB = (255, 127, 0)
BACKGROUND: RGB = (225, 225, 225)
"""A transparent class (the 0 of a mask) in the PNG."""
NODATA: RGB = (255, 255, 255)
INK: RGB = (40, 40, 40)
PAD, ROW, SWATCH, BAR_PX = 6, 16, 12, 12
_ASCII = str.maketrans({"≥": ">=", "≤": "<=", "²": "2", "³": "3", "σ": "sigma", "–": "-",
                        "—": "-", "×": "x", "µ": "u", "…": "..."})
_LABEL = re.compile(r"(?<![\w.])(-?\d+)\s*(?:=\s*)?([A-Za-z][^()=]*)")
"""'1 = water' or '1 change' in one ';'- or ','-separated part of a description or tag."""


@dataclass(frozen=True)
class Look:
    """What a quick-look shows: its style, the data area's pixels and the class legend."""

    style: Style
    pixels: np.ndarray
    """(rows, cols, 3) uint8."""
    legend: tuple[tuple[RGB | None, str], ...] = ()


def add_quicklooks(result: ToolResult) -> None:
    """Write a quick-look PNG and a QGIS style next to each raster artifact of ``result``.

    Artifacts that already have one (a child call's, listed again by its parent) are left as
    they are; a failure becomes a warning of ``result``, never an error.
    """
    done: dict[str, tuple[str, str]] = {}
    for art in result.artifacts:
        if art.kind not in ("mask", "raster") or not art.path or art.quicklook is not None:
            continue
        if art.path in done:
            art.quicklook, art.style = done[art.path]
            continue
        try:
            written = write_quicklook(art)
        except Exception as exc:  # a quick-look never fails the tool
            result.warnings.append(f"no quick-look for {art.name}: {type(exc).__name__}: {exc} "
                                   f"({Path(art.path).name} itself is complete)")
            continue
        if written is not None:
            art.quicklook, art.style = done[art.path] = (str(written[0]), str(written[1]))


def write_quicklook(art: Artifact) -> tuple[Path, Path] | None:
    """Write ``<stem>.png`` and ``<stem>.qml`` beside the GeoTIFF of ``art``; None when the
    file is not a GeoTIFF or has no valid pixel to show."""
    assert art.path is not None
    path = Path(art.path)
    if path.suffix.lower() not in (".tif", ".tiff"):
        return None
    with rasterio.open(path) as src:
        if src.driver not in ("GTiff", "COG"):
            return None
        found = look(src, art)
    if found is None:
        return None
    png, qml = path.with_suffix(".png"), path.with_suffix(".qml")
    image = render(found)
    with atomic_path(png, "tmp") as tmp:
        image.save(tmp, format="PNG")
    try:
        write_qml(qml, found.style)
    except BaseException:
        png.unlink(missing_ok=True)  # both or neither
        raise
    return png, qml


def _fit(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    scale = min(box_w / width, box_h / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def look(src: Any, art: Artifact) -> Look | None:
    """The style and decimated pixels of an open raster ``src`` (None: no valid pixel)."""
    scale = min(1.0, MAX_SIDE_PX / max(src.width, src.height))
    w, h = _fit(src.width, src.height, round(src.width * scale), round(src.height * scale))
    tags = src.tags()
    units = clean(art.units or tags.get("units")) or ""
    if MAX_BANDS >= src.count >= 3 and all(d == "uint8" for d in src.dtypes[:3]):
        data = src.read([1, 2, 3], out_shape=(3, h, w), masked=True)
        blank = np.asarray(np.ma.getmaskarray(data).all(axis=0))
        pixels = np.where(blank[..., None], np.uint8(255), np.moveaxis(data.data, 0, -1))
        return Look(RgbComposite((1, 2, 3), ((0.0, 255.0),) * 3), pixels.astype("uint8"))
    data = src.read(1, out_shape=(h, w), masked=True)
    integer = np.issubdtype(data.dtype, np.integer)
    if integer and src.count <= MAX_BANDS and _is_classes(src, art, units, data):
        return _class_look(src, art, units, tags, data)
    values = data.data[~np.ma.getmaskarray(data) & np.isfinite(data.data)]
    if values.size == 0:
        return None
    if integer or src.count > MAX_BANDS:
        low, high = _percentiles(values)
        gray = Gray(1, low, high, _title(art, tags), units)
        return Look(gray, _shade(data, GRAY, low, high))
    return _ramp_look(art, units, tags, data, values)


def _is_classes(src: Any, art: Artifact, units: str, data: np.ma.MaskedArray) -> bool:
    if art.kind == "mask" or units in ("class", "classes", "instance id"):
        return True
    try:
        src.colormap(1)
        return True
    except ValueError:
        return np.unique(data.compressed()).size <= LEGEND_ROWS and not units


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    low, high = (float(v) for v in np.percentile(values, [2, 98]))
    return (low - 0.5, high + 0.5) if high <= low else (low, high)


def _title(art: Artifact, tags: dict[str, str]) -> str:
    index = clean(tags.get("index"), 16)
    return index or art.name


def _shade(data: np.ma.MaskedArray, ramp: Ramp, low: float, high: float) -> np.ndarray:
    valid = ~np.ma.getmaskarray(data) & np.isfinite(data.data)
    filled = np.where(valid, data.data, low).astype("float64")
    colors = ramp_colors(ramp, (filled - low) / (high - low))
    colors[~valid] = NODATA
    return colors


def _ramp_look(art: Artifact, units: str, tags: dict[str, str], data: np.ma.MaskedArray,
               values: np.ndarray) -> Look:
    name = art.name.lower()
    index = (clean(tags.get("index"), 16) or name).lower()
    if index in ND_INDICES and units in ("index", "", "1"):
        low, high = -1.0, 1.0
    else:
        low, high = _percentiles(values)
    biomass = units.replace(" ", "") in ("Mg/ha", "Mgha-1") or name.startswith("agb")
    ramp = RAMPS.get(index) or (BIOMASS if biomass else VIRIDIS)
    style = Pseudocolor(1, low, high, ramp, _title(art, tags), units)
    return Look(style, _shade(data, ramp, low, high))


def _labels(art: Artifact, tags: dict[str, str]) -> dict[int, str]:
    """Class labels the producer gave: the file's ``values``/``classes`` tag, then the
    artifact's description ('1 = water, 0 = land, 255 = nodata')."""
    labels: dict[int, str] = {}
    for text in (tags.get("values"), tags.get("classes"), art.description):
        text = text or ""
        for part in text.split(";" if ";" in text else ","):
            found = _LABEL.search(part)
            cleaned = clean(found.group(2), 40) if found else None
            if found and cleaned:
                labels[int(found.group(1))] = cleaned
    if labels.get(0) == "not" and 1 in labels:
        labels[0] = f"not {labels[1]}"
    return labels


def _scan(src: Any) -> set[int]:
    """Every valid value of band 1, read block by block (at most :data:`MAX_CLASSES` + 1)."""
    found: set[int] = set()
    for _, window in src.block_windows(1):
        block = src.read(1, window=window, masked=True).compressed()
        found.update(int(v) for v in np.unique(block))
        if len(found) > MAX_CLASSES:
            break
    return found


def _class_look(src: Any, art: Artifact, units: str, tags: dict[str, str],
                data: np.ma.MaskedArray) -> Look:
    labels = _labels(art, tags)
    nodata = None if src.nodata is None else int(src.nodata)
    found = {int(v) for v in np.unique(data.compressed())}
    if (data.shape != (src.height, src.width) and not labels
            and src.width * src.height <= CLASS_SCAN_PX):
        found |= _scan(src)
    values = sorted(v for v in found | set(labels) if v != nodata and labels.get(v) != "nodata")
    if len(values) > MAX_CLASSES:
        low, high = float(values[0]), float(values[-1])
        return Look(Pseudocolor(1, low, high, VIRIDIS, art.name, units),
                    _shade(data, VIRIDIS, low, high))
    instance = units == "instance id"
    binary = not instance and set(values) <= {0, 1}
    clear = binary or instance or tags.get("background") == "0"
    try:
        table = {int(k): tuple(int(c) for c in v) for k, v in src.colormap(1).items()}
    except ValueError:
        table = {}
    name = art.name.lower()
    theme = next((c for word, c in MASK_COLORS if word in name), GENERIC)
    thing = re.sub(r"_?mask$", "", name).replace("_", " ") or "selected"
    colors = class_colors(12 if instance else len(values))
    entries: list[PaletteEntry] = []
    for k, v in enumerate(values):
        transparent = clear and v == 0
        if v in table:
            color: RGB = table[v][:3]  # type: ignore[assignment]
        elif transparent:
            color = BACKGROUND
        elif binary:
            color = theme
        else:
            color = colors[(v - 1) % len(colors)] if instance else colors[k]
        if instance:
            default = "background" if v == 0 else f"object {v}"
        elif binary:
            default = thing if v == 1 else f"not {thing}"
        else:
            default = f"class {v}"
        entries.append(PaletteEntry(v, color, labels.get(v, default), 0 if transparent else 255))
    return Look(Paletted(1, tuple(entries)), _paint(data, entries),
                _legend(entries, instance, bool(np.ma.getmaskarray(data).any())))


def _paint(data: np.ma.MaskedArray, entries: list[PaletteEntry]) -> np.ndarray:
    keys = np.array([e.value for e in entries], dtype="int64")
    palette = np.array([e.color if e.alpha else BACKGROUND for e in entries] + [BACKGROUND],
                       dtype="uint8")
    raw = data.data.astype("int64")
    at = np.clip(np.searchsorted(keys, raw), 0, max(len(keys) - 1, 0))
    hit = keys[at] == raw if len(keys) else np.zeros(raw.shape, dtype=bool)
    pixels = palette[np.where(hit, at, len(entries))]
    pixels[np.ma.getmaskarray(data)] = NODATA
    return pixels


def _legend(entries: list[PaletteEntry], instance: bool,
            has_nodata: bool) -> tuple[tuple[RGB | None, str], ...]:
    rows: list[tuple[RGB | None, str]]
    objects = [e for e in entries if e.alpha]
    if instance and len(objects) > LEGEND_ROWS - 1:
        rows = [(e.color, f"{e.label} ({e.value})") for e in entries if not e.alpha]
        rows.append((objects[0].color, f"{len(objects)} objects, one colour each"))
    else:
        rows = [(e.color, f"{e.label} ({e.value})") for e in entries]
        if len(rows) > LEGEND_ROWS:
            rest = len(rows) - (LEGEND_ROWS - 1)
            rows = [*rows[:LEGEND_ROWS - 1], (None, f"... {rest} more classes (see the .qml)")]
    if has_nodata:
        rows.append((NODATA, "nodata"))
    return tuple(rows)


def _font(size: int = 11) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _printable(text: str) -> str:
    """``text`` in the characters Pillow's built-in font has (ASCII and a few more)."""
    text = unicodedata.normalize("NFKD", text.translate(_ASCII))
    return "".join(ch if ord(ch) < 128 or ch in "°±·" else "?" for ch in text
                   if not unicodedata.combining(ch))


def _fitted(draw: ImageDraw.ImageDraw, text: str, width: float, font: Any) -> str:
    text = _printable(text)
    while text and draw.textlength(text, font=font) > width:
        text = text[:-4] + "..." if len(text) > 3 else ""
    return text


def render(found: Look) -> Image.Image:
    """The PNG image of ``found``: the data area, then its legend or colour bar below it."""
    style = found.style
    classes = isinstance(style, Paletted)
    panel = 0 if isinstance(style, RgbComposite) else (
        2 * PAD + ROW * len(found.legend) if classes else 2 * PAD + 2 * ROW + BAR_PX + 2)
    rows, cols = found.pixels.shape[:2]
    w, h = _fit(cols, rows, MAX_SIDE_PX, MAX_SIDE_PX - panel)
    upscale = w > cols
    data = Image.fromarray(np.ascontiguousarray(found.pixels)).resize(
        (w, h), Image.Resampling.NEAREST if classes or upscale else Image.Resampling.BILINEAR)
    if not panel:
        return data
    width = min(MAX_SIDE_PX, max(w, 240))
    canvas = Image.new("RGB", (width, h + panel), NODATA)
    left = (width - w) // 2
    canvas.paste(data, (left, 0))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((left, 0, left + w - 1, h - 1), outline=(160, 160, 160))
    font = _font()
    if classes:
        for k, (color, label) in enumerate(found.legend):
            y = h + PAD + k * ROW
            if color is not None:
                draw.rectangle((PAD, y, PAD + SWATCH, y + SWATCH), fill=color, outline=INK)
            text_x = PAD + SWATCH + 6
            draw.text((text_x, y), _fitted(draw, label, width - text_x - PAD, font),
                      fill=INK, font=font)
        return canvas
    assert isinstance(style, Pseudocolor | Gray)
    ramp = style.ramp if isinstance(style, Pseudocolor) else GRAY
    same = style.units.lower() in ("", style.title.lower())
    title = style.title if same else f"{style.title} ({style.units})"
    draw.text((PAD, h + PAD), _fitted(draw, title, width - 2 * PAD, font), fill=INK, font=font)
    top, span = h + PAD + ROW, width - 2 * PAD
    bar = ramp_colors(ramp, np.linspace(0.0, 1.0, span))
    canvas.paste(Image.fromarray(np.repeat(bar[np.newaxis], BAR_PX, axis=0)), (PAD, top))
    draw.rectangle((PAD, top, PAD + span - 1, top + BAR_PX - 1), outline=INK)
    y = top + BAR_PX + 2
    ticks = (style.minimum, (style.minimum + style.maximum) / 2, style.maximum)
    for k, value in enumerate(ticks):
        text = f"{value:.3g}"
        size = draw.textlength(text, font=font)
        x = PAD + (span - size) * k / 2
        draw.text((x, y), text, fill=INK, font=font)
    return canvas

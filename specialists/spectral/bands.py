"""Which band is red, NIR, SWIR...: from band names, wavelengths, colour interpretation, or a
sensor band order.

Pure metadata logic, no pixels. Roles: coastal, blue, green, red, rededge1-3, nir, nir_narrow,
water_vapour, cirrus, swir1, swir2.

Semantics come before counts: an alpha (transparency) band is never given a role, and a band
order is only assumed from the band count where the count names one sensor's usual stack
(Sentinel-2: 12 or 13 bands, Landsat-8: 6 or 7, plain RGB: 3); the assumption is stated in
``notes``. Four unnamed bands are not guessed (red,green,blue,NIR; blue,green,red,NIR and RGB +
alpha are all common): pass a ``sensor`` order or name the bands.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

# Centre wavelengths (nm) of each role, used to match bands that carry wavelengths.
ROLE_WAVELENGTH_NM: dict[str, tuple[float, float]] = {
    "coastal": (400, 455),
    "blue": (455, 520),
    "green": (520, 600),
    "red": (620, 690),
    "rededge1": (695, 715),
    "rededge2": (730, 750),
    "rededge3": (770, 790),
    "nir": (780, 900),
    "swir1": (1550, 1750),
    "swir2": (2080, 2350),
}

SENTINEL2_13 = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"]
SENTINEL2_12 = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B11", "B12"]
_S2_ROLE = {
    "B1": "coastal", "B2": "blue", "B3": "green", "B4": "red", "B5": "rededge1",
    "B6": "rededge2", "B7": "rededge3", "B8": "nir", "B8A": "nir_narrow", "B9": "water_vapour",
    "B10": "cirrus", "B11": "swir1", "B12": "swir2",
}
# Landsat-8 OLI surface-reflectance stacks as commonly distributed.
LANDSAT8_6 = ["blue", "green", "red", "nir", "swir1", "swir2"]  # B2..B7
LANDSAT8_7 = ["coastal", "blue", "green", "red", "nir", "swir1", "swir2"]  # B1..B7
# Four-band orders that can only be stated, never guessed from the count.
FOUR_BAND_ORDERS = {"rgbn": ["red", "green", "blue", "nir"],
                    "bgrn": ["blue", "green", "red", "nir"]}
SENSORS = ("sentinel2", "landsat8", "rgbn", "bgrn")
"""Band orders a caller can state (``sensor``)."""
_SENSOR_ALIASES = {"sentinel2": "sentinel2", "s2": "sentinel2", "landsat8": "landsat8",
                   "l8": "landsat8", "landsat": "landsat8", "rgbn": "rgbn", "bgrn": "bgrn",
                   "planetscope": "bgrn", "rgb": "rgb"}
_PLAIN = {
    "blue": "blue", "green": "green", "red": "red", "nir": "nir", "near infrared": "nir",
    "near-infrared": "nir", "swir1": "swir1", "swir 1": "swir1", "swir16": "swir1",
    "swir2": "swir2", "swir 2": "swir2", "swir22": "swir2", "coastal": "coastal",
    "rededge": "rededge1", "red edge": "rededge1",
}
# GDAL colour interpretations that name a spectral role (GDAL >= 3.10 adds the infrared ones).
_COLOUR_ROLE = {"red": "red", "green": "green", "blue": "blue", "nir": "nir",
                "coastal": "coastal", "rededge": "rededge1"}
ALPHA = "alpha"
"""Colour interpretation of a transparency band."""


@dataclass(frozen=True)
class BandRoles:
    """Role -> 1-based band index, how it was decided, and any assumption made."""

    roles: dict[str, int]
    source: str
    notes: list[str] = field(default_factory=list)

    def get(self, role: str) -> int | None:
        """Band index of ``role`` (nir falls back to nir_narrow), or None."""
        if role in self.roles:
            return self.roles[role]
        if role == "nir":
            return self.roles.get("nir_narrow")
        return None


def _role_from_name(name: str, sensor: str | None) -> str | None:
    text = name.strip()
    low = text.lower()
    if low in _PLAIN:
        return _PLAIN[low]
    m = re.fullmatch(r"(?:sr_)?b(?:and)?[_ ]?0*(\d{1,2})(a?)", low)
    if m:
        key = f"B{int(m.group(1))}{m.group(2).upper()}"
        if sensor == "landsat8":
            l8 = {"B1": "coastal", "B2": "blue", "B3": "green", "B4": "red", "B5": "nir",
                  "B6": "swir1", "B7": "swir2"}
            return l8.get(key)
        return _S2_ROLE.get(key)
    return None


def _role_from_wavelength(nm: float) -> str | None:
    best = None
    for role, (lo, hi) in ROLE_WAVELENGTH_NM.items():
        if lo <= nm <= hi:
            best = role
    return best


def _role_from_colour(colour: str, swir_seen: int) -> str | None:
    if colour == "swir":  # GDAL has one SWIR interpretation: the first is SWIR1, then SWIR2
        return ("swir1", "swir2")[swir_seen] if swir_seen < 2 else None
    return _COLOUR_ROLE.get(colour)


def sensor_key(sensor: str | None) -> str:
    """The canonical band-order key of ``sensor`` ('' when none; unknown names kept as given)."""
    s = (sensor or "").lower().replace("-", "").replace("_", "").replace(" ", "")
    return _SENSOR_ALIASES.get(s, s)


def resolve_roles(
    count: int,
    names: Sequence[str | None] = (),
    wavelengths_nm: Sequence[float | None] = (),
    sensor: str | None = None,
    colours: Sequence[str | None] = (),
    alpha: Collection[int] = (),
) -> BandRoles:
    """Decide which band plays which role.

    Order of evidence: band names in the file, band wavelengths, the file's colour
    interpretation (red/green/blue/NIR...), then a band order: the one ``sensor`` states
    ('sentinel2', 'landsat8', 'rgbn', 'bgrn'), or one assumed from the number of data bands
    (12/13: Sentinel-2, 6/7: Landsat-8, 3: red,green,blue), which is reported in ``notes``.
    Bands in ``alpha`` (1-based: transparency or mask bands) never get a role and do not count.
    """
    skip = set(alpha)
    key = sensor_key(sensor)
    roles: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        role = _role_from_name(name, key or None) if name and i not in skip else None
        if role and role not in roles:
            roles[role] = i
    if len(roles) >= 2:
        return BandRoles(roles, "band names")
    for i, nm in enumerate(wavelengths_nm, start=1):
        role = _role_from_wavelength(nm) if nm and i not in skip else None
        if role and role not in roles:
            roles[role] = i
    if len(roles) >= 2:
        return BandRoles(roles, "band wavelengths")
    swir = 0
    for i, colour in enumerate(colours, start=1):
        role = _role_from_colour(colour or "", swir) if i not in skip else None
        swir += colour == "swir"
        if role and role not in roles:
            roles[role] = i
    if len(roles) >= 2 and not key:
        return BandRoles(roles, "colour interpretation")
    data = [i for i in range(1, count + 1) if i not in skip]
    found = _preset(data, key)
    if key and not found.roles and skip:  # a stated order covers bands the file marks alpha
        every = _preset(list(range(1, count + 1)), key)
        if every.roles:
            marked = ", ".join(str(i) for i in sorted(skip))
            return BandRoles(every.roles, every.source, [
                f"band(s) {marked} are marked alpha (transparency) in the file but were read "
                f"as data because the stated band order {key!r} covers them"])
    return found


def _ordered(data: list[int], order: Sequence[str]) -> dict[str, int]:
    return {role: data[k] for k, role in enumerate(order)}


def _preset(data: list[int], key: str) -> BandRoles:
    """Roles from a band order over the data bands ``data`` (1-based indices)."""
    n = len(data)
    if key == "sentinel2" or (not key and n in (12, 13)):
        if n not in (12, 13):
            return _mismatch(key, n, "12 or 13")
        order = SENTINEL2_13 if n == 13 else SENTINEL2_12
        note = f"assumed Sentinel-2 band order {','.join(order)} from {n} bands"
        return BandRoles(_ordered(data, [_S2_ROLE[b] for b in order]), "sentinel2 preset",
                         [] if key else [note])
    if key == "landsat8" or (not key and n in (6, 7)):
        if n not in (6, 7):
            return _mismatch(key, n, "6 or 7")
        order = LANDSAT8_6 if n == 6 else LANDSAT8_7
        note = (f"assumed Landsat-8 surface-reflectance band order "
                f"{'B2-B7' if n == 6 else 'B1-B7'} ({','.join(order)}) from {n} bands")
        return BandRoles(_ordered(data, order), "landsat8 preset", [] if key else [note])
    if key in FOUR_BAND_ORDERS:
        if n != 4:
            return _mismatch(key, n, "4")
        return BandRoles(_ordered(data, FOUR_BAND_ORDERS[key]), f"{key} order")
    if key == "rgb" or (not key and n == 3):
        if n < 3:
            return _mismatch("rgb", n, "3")
        return BandRoles(_ordered(data, ["red", "green", "blue"]), "rgb preset",
                         [] if key else ["assumed band order red,green,blue from 3 bands"])
    if key:
        return BandRoles({}, "unknown", [f"unknown band order {key!r}; known: "
                                         f"{', '.join(SENSORS)}"])
    if n == 4:
        return BandRoles({}, "unknown", [
            "4 unnamed bands: their order is not guessed (red,green,blue,NIR; blue,green,red,"
            "NIR and RGB + alpha are all common)"])
    return BandRoles({}, "unknown", [f"cannot tell which of the {n} bands is which"])


def _mismatch(key: str, n: int, expected: str) -> BandRoles:
    return BandRoles({}, "unknown", [f"band order {key!r} needs {expected} data bands, the file "
                                     f"has {n}"])

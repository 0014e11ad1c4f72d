"""Which band is red, NIR, SWIR...: from band names, wavelengths, or a sensor preset.

Pure metadata logic, no pixels. Roles: coastal, blue, green, red, rededge1-3, nir, nir_narrow,
water_vapour, cirrus, swir1, swir2.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
_PLAIN = {
    "blue": "blue", "green": "green", "red": "red", "nir": "nir", "near infrared": "nir",
    "near-infrared": "nir", "swir1": "swir1", "swir 1": "swir1", "swir16": "swir1",
    "swir2": "swir2", "swir 2": "swir2", "swir22": "swir2", "coastal": "coastal",
    "rededge": "rededge1", "red edge": "rededge1",
}


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


def resolve_roles(
    count: int,
    names: Sequence[str | None] = (),
    wavelengths_nm: Sequence[float | None] = (),
    sensor: str | None = None,
) -> BandRoles:
    """Decide which band plays which role.

    Order of evidence: band names in the file, band wavelengths, then a sensor preset chosen by
    ``sensor`` ('sentinel2', 'landsat8', 'rgb', 'rgbn') or by band count. A preset chosen by band
    count alone is an assumption and is reported in ``notes``.
    """
    roles: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        role = _role_from_name(name, sensor) if name else None
        if role and role not in roles:
            roles[role] = i
    if len(roles) >= 2:
        return BandRoles(roles, "band names")
    for i, nm in enumerate(wavelengths_nm, start=1):
        role = _role_from_wavelength(nm) if nm else None
        if role and role not in roles:
            roles[role] = i
    if len(roles) >= 2:
        return BandRoles(roles, "band wavelengths")
    return _preset(count, sensor)


def _preset(count: int, sensor: str | None) -> BandRoles:
    s = (sensor or "").lower().replace("-", "").replace("_", "")
    if s in ("sentinel2", "s2") or (not s and count in (12, 13)):
        order = SENTINEL2_13 if count == 13 else SENTINEL2_12
        roles = {_S2_ROLE[b]: i for i, b in enumerate(order, start=1)}
        note = f"assumed Sentinel-2 band order {','.join(order)} from {count} bands"
        return BandRoles(roles, "sentinel2 preset", [] if s else [note])
    if s in ("landsat8", "l8", "landsat") or (not s and count in (6, 7)):
        order = LANDSAT8_6 if count == 6 else LANDSAT8_7
        roles = {r: i for i, r in enumerate(order, start=1)}
        note = (f"assumed Landsat-8 surface-reflectance band order "
                f"{'B2-B7' if count == 6 else 'B1-B7'} ({','.join(order)}) from {count} bands")
        return BandRoles(roles, "landsat8 preset", [] if s else [note])
    if count == 4:
        return BandRoles({"red": 1, "green": 2, "blue": 3, "nir": 4}, "rgbn preset",
                         ["assumed band order red,green,blue,nir from 4 bands"])
    if count == 3:
        return BandRoles({"red": 1, "green": 2, "blue": 3}, "rgb preset",
                         ["assumed band order red,green,blue from 3 bands"])
    return BandRoles({}, "unknown", [f"cannot tell which of the {count} bands is which"])

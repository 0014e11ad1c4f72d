"""Multispectral colour composites: which bands make true colour, colour-infrared and SWIR.

Band roles come from :func:`specialists.spectral.bands.resolve_roles`; this module turns them into
R, G, B band choices and readable labels such as ``"B4 (red, 665 nm)"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from specialists.spectral.bands import BandRoles

Composite = Literal["true_color", "false_color", "swir"]

COMPOSITE_ROLES: dict[str, tuple[str, str, str]] = {
    "true_color": ("red", "green", "blue"),
    "false_color": ("nir", "red", "green"),
    "swir": ("swir2", "nir", "red"),
}
"""R, G, B roles of each preset composite."""

COMPOSITE_TITLES = {
    "true_color": "true colour", "false_color": "colour-infrared (false colour)",
    "swir": "SWIR false colour",
}

# Nominal centre wavelengths (nm) of Sentinel-2 MSI bands (S2A), used for labels when the
# file names its bands but carries no wavelength tags.
SENTINEL2_NM = {
    "B1": 443.0, "B2": 490.0, "B3": 560.0, "B4": 665.0, "B5": 705.0, "B6": 740.0,
    "B7": 783.0, "B8": 842.0, "B8A": 865.0, "B9": 945.0, "B10": 1375.0, "B11": 1610.0,
    "B12": 2190.0,
}


def nominal_wavelength(name: str | None) -> float | None:
    """Nominal wavelength in nm of a Sentinel-2 band name such as 'B4' or 'B8A', else None."""
    if not name:
        return None
    key = name.strip().upper().replace("B0", "B")
    return SENTINEL2_NM.get(key)


def composite_bands(roles: BandRoles, composite: Composite) -> list[int]:
    """1-based R, G, B band indices of a preset composite.

    Raises:
        ValueError: A role the composite needs is not among the resolved roles; the message
            names it.
    """
    wanted = COMPOSITE_ROLES[composite]
    missing = [r for r in wanted if roles.get(r) is None]
    if missing:
        known = ", ".join(f"{r}={i}" for r, i in sorted(roles.roles.items(), key=lambda x: x[1]))
        raise ValueError(f"{COMPOSITE_TITLES[composite]} needs the {', '.join(missing)} band(s), "
                         f"which were not found (known roles: {known or 'none'})")
    return [int(roles.get(r) or 0) for r in wanted]


def band_label(index: int, name: str | None, wavelength_nm: float | None,
               role: str | None = None) -> str:
    """A readable band label, e.g. ``'B4 (red, 665 nm)'`` or ``'band 3 (red)'``."""
    head = name or f"band {index}"
    extra = [x for x in (role, f"{wavelength_nm:.0f} nm" if wavelength_nm else None) if x]
    return f"{head} ({', '.join(extra)})" if extra else head


def role_of(roles: BandRoles, index: int) -> str | None:
    """The role a band plays (the first one listed), or None."""
    return next((r for r, i in roles.roles.items() if i == index), None)


def band_wavelengths(names: Sequence[str | None],
                     tagged_nm: Sequence[float | None]) -> list[float | None]:
    """Centre wavelength of each band in nm: from tags, else nominal from a Sentinel-2 name."""
    out: list[float | None] = []
    for i, name in enumerate(names):
        tag = tagged_nm[i] if i < len(tagged_nm) else None
        out.append(tag if tag is not None else nominal_wavelength(name))
    return out

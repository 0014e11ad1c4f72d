"""Which band plays which role, and how its stored values become reflectance.

Shared by the tools that read optical bands by role (``spectral_index``, ``map_water``):
:func:`choose_bands` picks the band of each role (band names, wavelengths, a sensor preset or a
``bands`` override), :func:`reflectance_scale` says how stored values become 0-1 reflectance,
:func:`read_roles` reads the role arrays of a window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rasterio.enums import Resampling
from rasterio.windows import Window as RioWindow

from specialists.spectral.bands import ROLE_WAVELENGTH_NM, BandRoles, resolve_roles
from specialists.spectral.indices import ReflectanceScale, detect_reflectance_scale
from specialists.tiling import Window
from tools.core.errors import InputError
from tools.geo.raster import RasterInfo, read_masked

KNOWN_ROLES = (*ROLE_WAVELENGTH_NM, "nir_narrow", "water_vapour", "cirrus")
_ROLE_TEXT = {"nir": "NIR", "swir1": "SWIR1", "swir2": "SWIR2", "nir_narrow": "NIR (narrow)"}


def role_text(role: str) -> str:
    """How a role is written for people: 'NIR', 'SWIR1', 'red'."""
    return _ROLE_TEXT.get(role, role)


def band_label(info: RasterInfo, index: int) -> str:
    """The file's name of band ``index`` (e.g. 'B8'), else 'band 4'."""
    name = info.bands[index - 1].name if 0 < index <= len(info.bands) else None
    return name or f"band {index}"


def roles_of(info: RasterInfo, sensor: str | None = None) -> BandRoles:
    """The band roles of a scene from its header: names, wavelengths, colour interpretation,
    a stated ``sensor`` order or one assumed from the band count (alpha bands never play a
    role; see :func:`specialists.spectral.bands.resolve_roles`)."""
    return resolve_roles(info.count, info.band_names, info.wavelengths_nm, sensor,
                         info.colours, info.alpha_bands)


@dataclass(frozen=True)
class BandChoice:
    """Bands chosen for the roles a computation needs."""

    roles: dict[str, int]
    labels: dict[str, str]
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """E.g. 'NIR=B8, red=B4'."""
        return ", ".join(f"{role_text(r)}={self.labels[r]}" for r in self.roles)


def _check_override(bands: dict[str, int], count: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, idx in bands.items():
        role = key.strip().lower()
        if role not in KNOWN_ROLES:
            raise InputError(f"bands: unknown role {key!r}; roles are {', '.join(KNOWN_ROLES)}")
        if not 1 <= int(idx) <= count:
            raise InputError(f"bands: {key}={idx} is outside the file's bands 1..{count} "
                             "(band numbers are 1-based)")
        out[role] = int(idx)
    return out


def resolve_bands(
    info: RasterInfo, bands: dict[str, int] | None = None, sensor: str | None = None
) -> tuple[dict[str, int], str, list[str]]:
    """Every role that can be decided for ``info`` (``bands`` overrides), how, and notes."""
    found = roles_of(info, sensor)
    roles = dict(found.roles)
    if "nir" not in roles and "nir_narrow" in roles:
        roles["nir"] = roles["nir_narrow"]
    source, notes = found.source, list(found.notes)
    if bands:
        override = _check_override(bands, info.count)
        roles.update(override)
        source = f"bands argument + {source}" if found.roles else "bands argument"
        notes = [n for n in notes if "assumed" not in n] if len(bands) >= 2 else notes
        notes += [f"band {i} is marked alpha (transparency) in the file; read as {role_text(r)} "
                  "because the bands argument says so" for r, i in override.items()
                  if i in info.alpha_bands]
    return roles, source, notes


def _band_facts(info: RasterInfo) -> str:
    """What the header says about the bands, for refusals."""
    names = [n for n in info.band_names if n]
    facts = [f"band names {', '.join(names)}" if names else "no band names or wavelengths"]
    colours = [c for c in info.colours if c and c not in ("gray", "alpha")]
    if colours:
        facts.append(f"colour interpretation {', '.join(colours)}")
    facts += [f"band {i} is an alpha (transparency) band, not data" for i in info.alpha_bands]
    return "; ".join(facts)


def choose_bands(
    info: RasterInfo, needed: Sequence[str], purpose: str, bands: dict[str, int] | None = None,
    sensor: str | None = None, argument: str = "image",
) -> BandChoice:
    """Pick the band of each role in ``needed``.

    Raises:
        InputError: A role cannot be found; the message names the file, the missing roles and
            how to pass them.
    """
    roles, source, notes = resolve_bands(info, bands, sensor)
    missing = [r for r in needed if r not in roles]
    if missing:
        example = ", ".join(f'"{r}": <1-based band>' for r in missing)
        why = "".join(f" ({n})" for n in notes if "assumed" not in n)
        raise InputError(
            f"{argument}: {purpose} needs the {', '.join(role_text(r) for r in needed)} bands, "
            f"but {info.path} has {info.count} band(s) ({_band_facts(info)}) and no "
            f"{' or '.join(role_text(r) for r in missing)} band could be identified{why}. Pass "
            f"bands={{{example}}}, or sensor= with the file's band order ('sentinel2', "
            "'landsat8', 'rgbn' = red,green,blue,NIR, 'bgrn' = blue,green,red,NIR as "
            "PlanetScope), or use a raster whose bands are named.")
    chosen = {r: roles[r] for r in needed}
    return BandChoice(chosen, {r: band_label(info, i) for r, i in chosen.items()}, source, notes)


def sample_bands(src: Any, indexes: Sequence[int], max_side: int = 256) -> np.ndarray:
    """A decimated read of ``indexes`` (at most ``max_side`` pixels a side) with nodata as NaN."""
    h, w = min(src.height, max_side), min(src.width, max_side)
    data = src.read(list(indexes), out_shape=(len(indexes), h, w), out_dtype="float32",
                    resampling=Resampling.nearest)
    if src.nodata is not None and not (isinstance(src.nodata, float) and math.isnan(src.nodata)):
        data[data == np.float32(src.nodata)] = np.nan
    return np.asarray(data)


def reflectance_scale(src: Any, indexes: Sequence[int]) -> ReflectanceScale:
    """How stored values of ``indexes`` become 0-1 reflectance (see
    :func:`specialists.spectral.indices.detect_reflectance_scale`)."""
    first = indexes[0] - 1
    dtype = src.dtypes[first]
    sample = None if np.issubdtype(np.dtype(dtype), np.integer) else sample_bands(src, indexes)
    return detect_reflectance_scale(dtype, sample, scales=(src.scales[first],),
                                    offsets=(src.offsets[first],))


def read_roles(
    src: Any, window: Window | RioWindow, roles: dict[str, int], scale: ReflectanceScale
) -> dict[str, np.ndarray]:
    """Read the bands of ``roles`` in ``window`` as reflectance (float32, NaN = nodata)."""
    order = sorted(set(roles.values()))
    data = read_masked(src, window, order).filled(np.nan)
    return {r: scale.apply(data[order.index(i)]) for r, i in roles.items()}

"""GEDI L4A footprints (AGB density in Mg/ha) and the image patches under them.

Reads the footprints from a CSV (``lat``/``lon`` or ``lat_lowestmode``/``lon_lowestmode``,
``agbd`` or ``agbd_Mg_ha``, ``agbd_se``, ``l4_quality_flag``), from a GEDI L4A HDF5 granule
(``BEAMxxxx/lat_lowestmode, lon_lowestmode, agbd, agbd_se, l4_quality_flag``; needs ``h5py``), or
from a ZIP holding one of those. Footprints are reprojected from EPSG:4326 into the scene CRS,
placed on the pixel grid, and a patch centred on each is read with one small windowed read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer
from rasterio.windows import Window

from tools.core.errors import InputError
from tools.geo.raster import read_masked

_LAT = ("lat_lowestmode", "lat", "latitude")
_LON = ("lon_lowestmode", "lon", "longitude")
_AGBD = ("agbd", "agbd_Mg_ha", "agbd_mg_ha")
FILL_BELOW = 0.0
"""AGBD values below this are fill values (GEDI uses -9999)."""


@dataclass
class Footprints:
    """GEDI footprints: WGS84 position, AGB density (Mg/ha) and its standard error (Mg/ha)."""

    lat: np.ndarray
    lon: np.ndarray
    agbd: np.ndarray
    agbd_se: np.ndarray
    quality: np.ndarray
    source: str
    dropped_quality: int = 0
    dropped_fill: int = 0

    def __len__(self) -> int:
        return int(self.lat.size)


def _pick(columns: list[str], names: tuple[str, ...], path: Path, what: str) -> str:
    lower = {c.lower(): c for c in columns}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    raise InputError(f"footprints: {path} has no {what} column (looked for {', '.join(names)}; "
                     f"it has {', '.join(columns)}). Pass a GEDI L4A CSV or granule.")


def _from_csv(text: str, path: Path) -> dict[str, np.ndarray]:
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise InputError(f"footprints: {path} holds no rows")
    cols = list(rows[0])
    lat, lon = _pick(cols, _LAT, path, "latitude"), _pick(cols, _LON, path, "longitude")
    agbd = _pick(cols, _AGBD, path, "AGBD")
    se = next((c for c in cols if c.lower() == "agbd_se"), None)
    flag = next((c for c in cols if c.lower() == "l4_quality_flag"), None)

    def col(name: str | None, default: float) -> np.ndarray:
        if name is None:
            return np.full(len(rows), default)
        return np.array([float(r[name]) if r[name] not in ("", None) else np.nan for r in rows])

    return {"lat": col(lat, 0), "lon": col(lon, 0), "agbd": col(agbd, 0),
            "agbd_se": col(se, np.nan), "quality": col(flag, 1)}


def _from_h5(data: bytes | Path, path: Path) -> dict[str, np.ndarray]:
    try:
        import h5py
    except ImportError as exc:
        raise InputError(f"footprints: reading {path} (HDF5) needs h5py: pip install "
                         "'earthsight[deep]' (or pip install h5py), or pass the CSV") from exc
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("lat", "lon", "agbd", "agbd_se",
                                                          "quality")}
    handle = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        with h5py.File(handle, "r") as f:
            for beam in sorted(k for k in f if k.startswith("BEAM")):
                g = f[beam]
                if not all(k in g for k in ("agbd", "lat_lowestmode", "lon_lowestmode")):
                    continue  # beams without L4A shots in a subset
                n = g["agbd"].shape[0]
                parts["lat"].append(g["lat_lowestmode"][:].astype(float))
                parts["lon"].append(g["lon_lowestmode"][:].astype(float))
                parts["agbd"].append(g["agbd"][:].astype(float))
                parts["agbd_se"].append(g["agbd_se"][:].astype(float) if "agbd_se" in g
                                        else np.full(n, np.nan))
                parts["quality"].append(g["l4_quality_flag"][:].astype(float)
                                        if "l4_quality_flag" in g else np.ones(n))
    except OSError as exc:
        raise InputError(f"footprints: {path} is not a readable HDF5 file ({exc})") from exc
    if not parts["lat"]:
        raise InputError(f"footprints: {path} has no BEAM group with agbd, lat_lowestmode and "
                         "lon_lowestmode; pass a GEDI L4A granule (GEDI04_A_*.h5)")
    return {k: np.concatenate(v) for k, v in parts.items()}


def read_footprints(path: str | Path, quality_only: bool = True) -> Footprints:
    """Read GEDI L4A footprints from a CSV, an HDF5 granule, or a ZIP holding either.

    Args:
        path: ``.csv``, ``.h5``/``.hdf5``, or ``.zip``.
        quality_only: Keep ``l4_quality_flag == 1`` shots only (GEDI's recommendation).

    Raises:
        InputError: Missing file, unknown format, missing columns, or no usable shot.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"footprints: file not found: {p}")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        raw = _from_csv(p.read_text(encoding="utf-8"), p)
    elif suffix in (".h5", ".hdf5", ".he5"):
        raw = _from_h5(p, p)
    elif suffix == ".zip":
        with zipfile.ZipFile(p) as z:
            members = [n for n in z.namelist() if n.lower().endswith((".h5", ".hdf5", ".csv"))]
            if not members:
                raise InputError(f"footprints: {p} holds no .h5 or .csv file")
            name = members[0]
            data = z.read(name)
        raw = (_from_csv(data.decode("utf-8"), p) if name.lower().endswith(".csv")
               else _from_h5(data, p))
    else:
        raise InputError(f"footprints: {p} is not a .csv, .h5 or .zip; pass GEDI L4A footprints")
    finite = np.isfinite(raw["lat"]) & np.isfinite(raw["lon"]) & np.isfinite(raw["agbd"])
    fill = ~finite | (raw["agbd"] < FILL_BELOW)
    bad_q = ~fill & (raw["quality"] != 1) if quality_only else np.zeros_like(fill)
    keep = ~fill & ~bad_q
    if not keep.any():
        raise InputError(f"footprints: {p} has no shot with a valid AGBD"
                         f"{' and l4_quality_flag == 1' if quality_only else ''}")
    return Footprints(lat=raw["lat"][keep], lon=raw["lon"][keep], agbd=raw["agbd"][keep],
                      agbd_se=raw["agbd_se"][keep], quality=raw["quality"][keep],
                      source=str(p), dropped_quality=int(bad_q.sum()),
                      dropped_fill=int(fill.sum()))


def footprint_pixels(fp: Footprints, src: Any) -> tuple[np.ndarray, np.ndarray]:
    """Row and column (float, pixel centre at +0.5) of every footprint on the scene grid.

    Raises:
        InputError: The scene has no CRS.
    """
    if not src.crs:
        raise InputError(f"image: {src.name} has no CRS, so GEDI footprints (lat/lon) cannot be "
                         "placed on it. Assign one (gdal_edit.py -a_srs EPSG:...)")
    to_scene = Transformer.from_crs("EPSG:4326", src.crs, always_xy=True)
    x, y = to_scene.transform(fp.lon, fp.lat)
    cols, rows = ~src.transform * (np.asarray(x), np.asarray(y))
    return np.asarray(rows, dtype=float), np.asarray(cols, dtype=float)


def sample_patches(src: Any, rows: np.ndarray, cols: np.ndarray, patch_px: int,
                   bands: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Patches of ``patch_px`` pixels centred on each (row, col), windowed reads.

    Patches that leave the scene or touch nodata are dropped.

    Returns:
        ``(patches (K, bands, patch_px, patch_px) float32, kept indices (K,))``.
    """
    half = patch_px // 2
    out: list[np.ndarray] = []
    kept: list[int] = []
    for i, (r, c) in enumerate(zip(rows, cols, strict=True)):
        r0, c0 = int(np.floor(r)) - half, int(np.floor(c)) - half
        if r0 < 0 or c0 < 0 or r0 + patch_px > src.height or c0 + patch_px > src.width:
            continue
        data = read_masked(src, Window(c0, r0, patch_px, patch_px), bands)
        if np.ma.getmaskarray(data).any():
            continue
        out.append(np.asarray(data.data, dtype=np.float32))
        kept.append(i)
    if not out:
        return np.zeros((0, len(bands), patch_px, patch_px), np.float32), np.zeros(0, int)
    return np.stack(out), np.asarray(kept, dtype=int)

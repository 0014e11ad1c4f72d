"""Two dates of ``spectral_index`` on one grid: the ``before`` scene read on the ``image`` grid.

Used by dNBR (:mod:`tools.spectral.burn`) and by the difference of any other index
(:mod:`tools.spectral.difference`). The before scene is read directly when the grids match,
else warped on the fly (``WarpedVRT``, bilinear, with a warning); where it declares no nodata
value an alpha band marks the pixels it does not cover. A tile task gets a :class:`ScenePair`
without open datasets and opens the before scene by name on its worker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from rasterio.enums import Resampling

from specialists.spectral.indices import ReflectanceScale
from tools.core.errors import InputError
from tools.geo.bands import BandChoice, choose_bands, read_roles, reflectance_scale, role_text
from tools.geo.fanout import open_cached
from tools.geo.raster import RasterInfo, crs_to_str, describe, rio, same_grid, warped_onto
from tools.spectral.common import SpectralIndexInput

FULL_ALPHA = 255
"""Alpha of a warped pixel wholly inside the before scene (smaller: partly outside)."""


@dataclass
class DateScene:
    """One date: its open dataset (the before one possibly warped), bands and scaling."""

    ds: Any
    choice: BandChoice
    scale: ReflectanceScale
    alpha: int | None = None

    def read(self, window: Any) -> dict[str, np.ndarray]:
        """The role bands' reflectance of ``window`` (NaN where this date has no data)."""
        bands = read_roles(self.ds, window, self.choice.roles, self.scale)
        if self.alpha is not None:
            outside = np.asarray(self.ds.read(self.alpha, window=rio(window))) < FULL_ALPHA
            for values in bands.values():
                values[outside] = np.nan
        return bands


@contextlib.contextmanager
def on_grid(pre: Any, post: Any, args: SpectralIndexInput, what: str,
            warnings: list[str]) -> Iterator[tuple[Any, int | None]]:
    """The before dataset on the image grid and its alpha band (None: nodata marks it);
    ``what`` names the result in the warning ("dNBR")."""
    if same_grid(pre, post):
        yield pre, None
        return
    if not pre.crs or not post.crs:
        if (pre.width, pre.height) == (post.width, post.height):
            warnings.append(f"before ({args.before}) or image ({args.image}) has no CRS; the "
                            "two are assumed to be on the same grid (same size)")
            yield pre, None
            return
        raise InputError(f"before: {args.before} and image {args.image} differ in size and one "
                         "has no CRS, so the before scene cannot be placed on the image grid. "
                         "Assign both a CRS and transform (gdal_edit.py -a_srs / -a_ullr).")
    with warped_onto(pre, post, Resampling.bilinear) as (vrt, alpha):
        warnings.append(f"before ({args.before}, {crs_to_str(pre.crs)}) is on another grid than "
                        f"image ({crs_to_str(post.crs)}); it was warped onto the image grid on "
                        f"the fly (bilinear), so {what} along sharp edges mixes neighbouring "
                        "pixels")
        yield vrt, alpha


@dataclass
class ScenePair:
    """What a tile task needs to read both dates (sent to workers without open datasets)."""

    post: DateScene
    """The image (later date) bands and scaling (``ds`` None on a worker: the task's ``src``)."""
    pre: DateScene
    """The before bands, scaling and alpha (``ds`` None on a worker: opened by name)."""
    pre_name: str
    """GDAL name of the before scene."""
    warp: bool
    """The before scene is warped onto the image grid."""

    def for_workers(self) -> ScenePair:
        """A copy without open datasets (what pickles)."""
        return ScenePair(DateScene(None, self.post.choice, self.post.scale),
                         DateScene(None, self.pre.choice, self.pre.scale, self.pre.alpha),
                         self.pre_name, self.warp)


@contextlib.contextmanager
def dates(pair: ScenePair, src: Any) -> Iterator[tuple[DateScene, DateScene]]:
    """Both dates readable on ``src``'s grid: the open datasets in-process; on a worker, the
    before scene opened by name (and warped as in-process)."""
    if pair.pre.ds is not None:
        yield pair.post, pair.pre
        return
    post = DateScene(src, pair.post.choice, pair.post.scale)
    pre_src = open_cached(pair.pre_name)
    if not pair.warp:
        yield post, DateScene(pre_src, pair.pre.choice, pair.pre.scale, pair.pre.alpha)
        return
    with warped_onto(pre_src, src, Resampling.bilinear) as (vrt, alpha):
        yield post, DateScene(vrt, pair.pre.choice, pair.pre.scale, alpha)


def date_scenes(args: SpectralIndexInput, info: RasterInfo, src: Any, pre: Any,
                roles: tuple[str, ...], labels: tuple[str, str]
                ) -> tuple[DateScene, DateScene, list[str]]:
    """Bands and scaling of both dates (the bands / sensor arguments apply to both);
    ``labels`` name the index of the image and of the before scene in band errors ("dNBR
    (post-fire NBR)", "dNBR (pre-fire NBR)")."""
    assert args.before is not None
    post_choice = choose_bands(info, roles, labels[0], args.bands, args.sensor)
    pre_choice = choose_bands(describe(args.before, "before"), roles, labels[1], args.bands,
                              args.sensor, argument="before")
    notes = [*post_choice.notes, *(f"before: {n}" for n in pre_choice.notes)]
    return (DateScene(src, post_choice, reflectance_scale(src, list(post_choice.roles.values()))),
            DateScene(pre, pre_choice, reflectance_scale(pre, list(pre_choice.roles.values()))),
            notes)


def pair_fields(post: DateScene, pre: DateScene) -> dict[str, Any]:
    """The band and reflectance fields of a two-date ``SpectralIndexOutput``: each role's band
    of the image and of the before scene, how they were chosen and how values were scaled."""
    return {
        "bands_used": {**{role_text(r): lab for r, lab in post.choice.labels.items()},
                       **{f"before {role_text(r)}": lab for r, lab in pre.choice.labels.items()}},
        "band_source": f"image: {post.choice.source}; before: {pre.choice.source}",
        "reflectance": f"image: {post.scale.reason or 'values used as stored'}; before: "
                       f"{pre.scale.reason or 'values used as stored'}",
    }

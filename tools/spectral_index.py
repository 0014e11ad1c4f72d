"""``spectral_index``: NDVI, NDWI, MNDWI, NBR, NDSI, NDBI, SAVI, EVI, NDMI, GNDVI, NDRE, NDCI,
NDTI, and dNBR burn severity.

The tool record and its argument rules; the work is in :mod:`tools.spectral.single` (one date),
:mod:`tools.spectral.burn` (a pre-/post-fire pair) and :mod:`tools.spectral.difference` (the
change of another index between two dates). Default thresholds (``threshold:
"default"``) are :data:`specialists.spectral.presets.PRESETS`; the burn severity classes are
:data:`specialists.spectral.burn.SEVERITY_CLASSES` (Key & Benson 2006, USGS FIREMON).
"""

from __future__ import annotations

from specialists.spectral.presets import preset_for
from tools.core.errors import InputError
from tools.core.registry import ToolContext, tool_record
from tools.spectral.burn import burn_severity
from tools.spectral.common import (
    IndexName,
    OutOfRange,
    SeverityArea,
    SpectralIndexInput,
    SpectralIndexOutput,
    resolve_threshold,
)
from tools.spectral.difference import index_difference
from tools.spectral.single import single_date

__all__ = ["IndexName", "OutOfRange", "SeverityArea", "SpectralIndexInput",
           "SpectralIndexOutput", "spectral_index"]


@tool_record(SpectralIndexInput, SpectralIndexOutput)
def spectral_index(args: SpectralIndexInput, ctx: ToolContext) -> SpectralIndexOutput:
    """Compute a spectral index (NDVI, NDWI, MNDWI, NBR, NDSI, NDBI, SAVI, EVI; NDMI, GNDVI,
    NDRE and NDCI, which read the first red-edge band, and NDTI) as a float
    GeoTIFF on the scene grid (nodata NaN) with its mean, min and max; with a threshold, also a
    mask of the pixels at or above (or below) it with their area in m² and ha and their share
    of the valid area. threshold "default" takes the documented value and states it with its
    source: NDSI >= 0.4 snow cover (with SNOMAP's NIR reflectance > 0.11 test that keeps water
    out; Hall et al. 1995), NDVI >= 0.2 vegetation (Sobrino et al. 2004), NDWI / MNDWI >= 0
    water (McFeeters 1996, Xu 2006), NDBI >= 0 built-up (Zha et al. 2003), dNBR >= 0.1
    burned; a single-date NBR has none (use dNBR). index dNBR with `before`
    (the pre-fire scene; `image` is the post-fire one, and the pre-fire scene is warped onto
    its grid when they differ): dNBR = NBR(before) - NBR(image), unscaled (USGS tables print x
    1000), a class raster of the USGS FIREMON burn severity classes (Key & Benson 2006:
    enhanced regrowth high < -0.25, low -0.25 to -0.1, unburned -0.1 to 0.1, low severity 0.1
    to 0.27, moderate-low 0.27 to 0.44, moderate-high 0.44 to 0.66, high >= 0.66) with the
    area of each class in ha, and the burned area (dNBR >= 0.1 unless a threshold is given).
    Any other index with `before`: its change d<INDEX> = INDEX(before) - INDEX(image), positive
    where it dropped; a threshold selects a drop of at least it ("NDVI fell by more than 0.3":
    0.3), or with direction "rise" a rise of at least it ("NDBI rose by more than 0.1": 0.1).
    Bands come from the file's band names, wavelengths or colour interpretation, else a band
    order (`sensor`, or one assumed from 6/7 or 12/13 bands and stated); an alpha band is never
    data and four unnamed bands are refused until `bands` or `sensor` says which is which.
    Integer reflectance (x 10000) is scaled before SAVI and EVI, which depend on scale; pixels
    with reflectance outside 0-1 or an index outside -1 to 1 are counted.

    Args:
        args: Image, index, optional threshold / below, band overrides, sensor preset, and the
            earlier scene (dNBR's pre-fire scene, or the first date of an index change).
        ctx: Tool context.
    """
    if args.index == "NBR" and args.before is not None:
        args = args.model_copy(update={"index": "dNBR"})
        note = "index NBR with a before scene: computed dNBR = NBR(before) - NBR(image)"
    else:
        note = ""
    if args.direction is not None and (args.before is None or args.index == "dNBR"):
        raise InputError("direction: only for the change of an index other than NBR between "
                         "two dates (with before); drop it")
    if args.index != "dNBR":
        if args.before is not None:  # the change of another index between the two dates
            return index_difference(args, ctx)
        return single_date(args, ctx)
    if args.before is None:
        raise InputError("before: dNBR needs the pre-fire scene as before= (image is the "
                         "post-fire scene). With one date only, use index NBR.")
    if args.below:
        raise InputError("below: not used with dNBR; the enhanced-regrowth classes (dNBR < "
                         "-0.1) are in the severity areas. Drop below.")
    threshold, preset = resolve_threshold(args, "dNBR")
    if threshold is None:  # no threshold given: burned = the USGS low severity and above
        preset = preset_for("dNBR")
        threshold = preset.threshold
    result = burn_severity(args, ctx, threshold, preset)
    if note:
        result.warnings.insert(0, note)
    return result

"""The bimodality record of an Otsu threshold (map_water, detect_changes).

Otsu's threshold always splits a histogram in two; whether the two sides are two populations is
measured by :func:`specialists.stats.thresholds.bimodality` (Ashman's D of a two-Gaussian fit). This
module is its output form, shared by the tools that threshold with Otsu.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from specialists.stats.thresholds import Bimodality as HistogramBimodality
from tools.core.artifacts import Quantity


class HistogramMode(BaseModel):
    """One component of the two-Gaussian fit to the thresholded histogram."""

    mean: Quantity = Field(description="component mean (the histogram's units)")
    sd: Quantity = Field(description="component standard deviation (the histogram's units)")
    share_pct: Quantity = Field(description="component share of the valid pixels, %")


class Bimodality(BaseModel):
    """How clearly a scene histogram splits into two populations (Otsu thresholds only)."""

    ashman_d: float = Field(description="Ashman's D of a two-Gaussian fit to the histogram, "
                            "sqrt(2)|m1-m2|/sqrt(s1²+s2²) (dimensionless); above 2 the two "
                            "populations are cleanly separated and Otsu's threshold is "
                            "meaningful")
    separability: float = Field(description="Otsu's separability at the threshold: between-"
                                "class / total variance (0-1; a single Gaussian gives 0.64)")
    bimodal: bool = Field(description="ashman_d > 2")
    modes: list[HistogramMode] = Field(default_factory=list,
                                       description="the fitted components, low then high")


def bimodality_record(fit: HistogramBimodality, units: str) -> Bimodality:
    """The output record of a bimodality fit (component means and spreads in ``units``)."""
    modes = [] if not fit.d else [
        HistogramMode(mean=Quantity(value=m, unit=units), sd=Quantity(value=s, unit=units),
                      share_pct=Quantity(value=100.0 * w, unit="%"))
        for m, s, w in zip(fit.means, fit.sds, fit.weights, strict=True)]
    return Bimodality(ashman_d=fit.d, separability=fit.separability, bimodal=fit.bimodal,
                      modes=modes)

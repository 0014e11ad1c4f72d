"""What a request asks for, as read by :mod:`agent.planners.intents`: flags and slot values."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.planners import spatial
from agent.planners.files import Files
from agent.planners.gsd_slots import Gsd


@dataclass
class Analysis:
    """Intents and slot values of one request.

    Flags say which capabilities the request asks for; slots hold argument values (None when
    the request does not say). ``declined`` is set for out-of-scope requests. ``threshold``
    "default" asks for the index's preset threshold; ``index_thresholds`` those said of later
    indices on their own ("MNDWI above 0.05, then NDVI above 0.3").
    """

    declined: str | None = None
    metadata: bool = False
    caption: bool = False
    vqa: bool = False
    detect: bool = False
    segment: bool = False
    everything: bool = False
    object_area: bool = False
    water: bool = False
    biomass: bool = False
    change: bool = False
    change_event: bool = False
    change_region: bool = False
    change_map: bool = False
    in_water: bool = False
    trend: bool = False
    trend_strong: bool = False
    classify: bool = False
    search: bool = False
    composite: bool = False
    count_words: bool = False
    counting: bool = False
    count_outlines: bool = False
    question: bool = False
    statistic: str | None = None
    length_units: str | None = None
    classes: list[str] = field(default_factory=list)
    counted: list[str] = field(default_factory=list)  # a second set, detected on its own
    indices: list[str] = field(default_factory=list)
    threshold: float | str | None = None
    below: bool = False
    index_thresholds: dict[str, tuple[float, bool]] = field(default_factory=dict)
    min_confidence: float | None = None
    min_area_m2: float | None = None
    max_area_m2: float | None = None
    min_length_m: float | None = None
    units: str | None = None
    top_k: int | None = None
    wavelengths: list[float] | None = None
    bands: list[int] | None = None
    band_roles: dict[str, int] | None = None
    points: list[list[float]] | None = None
    oriented: bool | None = None
    labels: list[str] | None = None
    query: str | None = None
    mode: str | None = None
    group: int | None = None
    composite_preset: str | None = None
    stretch: str | None = None
    speckle: bool | None = None
    wgs84: bool = False
    water_db: float | None = None
    text_modality: str | None = None
    files: Files = field(default_factory=Files)
    gsd: Gsd = field(default_factory=Gsd)
    bbox: list[float] | None = None
    zone: spatial.Zone | None = None
    zone_statistic: str = "mean"
    iou_threshold: float | None = None
    change_target: str | None = None
    product: str | None = None
    band: int | None = None
    change_threshold: float | None = None
    index_change: str | None = None  # "drop" / "rise": "NDVI dropped by more than 0.3"
    change_method: str | None = None
    series_statistic: str | None = None
    tile_size: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def region(self) -> list[float] | str | None:
        """The region of interest every scene-reading step gets: a bbox or a vector file."""
        return self.bbox if self.bbox is not None else self.files.region

    @property
    def assess_only(self) -> bool:
        """Whether the request checks a named result (or the scene) against a reference, with
        nothing to make first."""
        return self.files.assess and not self.files.make

    @property
    def has_filter(self) -> bool:
        """Whether a size filter applies to detected objects."""
        return self.area_filter or self.min_length_m is not None

    @property
    def area_filter(self) -> bool:
        """Whether an area filter applies (a length statistic keeps a length filter)."""
        return self.min_area_m2 is not None or self.max_area_m2 is not None

    @property
    def quantity(self) -> bool:
        """Whether a per-scene quantity (water, index, biomass, objects, outlines) was asked
        for."""
        return bool(self.water or self.indices or self.biomass or self.detect or self.segment)

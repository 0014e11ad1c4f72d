"""The offline planner's step builder: one method per capability, composites remembered.

:class:`Builder` writes plan steps (``s1``, ``s2`` ...) from an :class:`Analysis`; SAR and
hyperspectral scenes get a ``pseudo_rgb`` composite before RGB-only specialists read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.plan import PlanStep
from agent.planners import band_slots
from agent.planners import scenes as facts
from agent.planners.analysis import Analysis
from agent.planners.vocab import Vocabulary

_AREA_UNITS = ("m2", "ha", "km2", "acre", "mi2", "ft2")


@dataclass
class SceneRef:
    """A scene of the plan: its path (or ``$image`` / ``$before`` / ``$after``) and modality."""

    path: str
    modality: str | None


_SAID_FALSE = frozenset(("oriented", "speckle_filter"))
"""Flags whose False is an analyst's choice against the tool's default, kept in the step."""


class Builder:
    """Accumulates plan steps; remembers pseudo-RGB composites per scene."""

    def __init__(self, vocab: Vocabulary, analysis: Analysis) -> None:
        self.vocab = vocab
        self.a = analysis
        self.steps: list[PlanStep] = []
        self.notes: list[str] = []
        self.rgb_of: dict[str, str] = {}
        self.pair: tuple[str, str] | None = None

    def add(self, tool: str, **args: Any) -> str:
        """Append a step (None and False arguments left out, but a False the request said:
        horizontal boxes, no speckle filter); returns its ``$sN``."""
        step_id = f"s{len(self.steps) + 1}"
        clean = {k: v for k, v in args.items() if v is not None and (
            v is not False or k in _SAID_FALSE)}
        if tool == "measure" and clean.get("statistic") == "length":  # "total length in km"
            clean.pop("units", None)
            if self.a.length_units:
                clean["units"] = self.a.length_units
        self.steps.append(PlanStep(id=step_id, tool=tool, args=clean))
        return f"${step_id}"

    def note(self, text: str) -> None:
        """Add a note to the plan (once)."""
        if text not in self.notes:
            self.notes.append(text)

    def trend_dates(self, scenes: list[SceneRef]) -> list[str] | None:
        """ISO dates from the file names (None, with a note, when some have none)."""
        dates = [facts.file_date(s.path) for s in scenes]
        if not all(dates):
            undated = [s.path for s, d in zip(scenes, dates, strict=True) if not d]
            self.note(f"no date in the file names of {', '.join(undated)}: trend reads the "
                      "dates from the TIFF tags")
            return None
        out = [d if d and len(d) == 10 else f"{d}-01" if d and len(d) == 7 else f"{d}-01-01"
               for d in dates]
        years = [s.path for s, d in zip(scenes, dates, strict=True) if d and len(d) == 4]
        if years:
            self.note(f"year-only dates read as 1 January of that year ({', '.join(years)})")
        months = [s.path for s, d in zip(scenes, dates, strict=True) if d and len(d) == 7]
        if months:
            self.note(f"month-only dates read as the 1st of the month ({', '.join(months)})")
        return out

    # --- single capabilities -------------------------------------------------------------

    def composite(self, scene: SceneRef) -> str:
        """A ``pseudo_rgb`` step for ``scene`` (mode, preset and bands from the request)."""
        a = self.a
        mode = a.mode or self.vocab.composite_mode.get(scene.modality or "", "auto")
        preset = None
        if a.composite_preset and scene.modality in (None, "multispectral", "rgb"):
            preset = a.composite_preset
            if mode == "auto":
                mode = "multispectral"
        if a.wavelengths and scene.modality is None and mode == "auto":
            mode = "hsi"
        ref = self.add("pseudo_rgb", image=scene.path, mode=mode,
                       wavelengths_nm=a.wavelengths, bands=None if a.wavelengths else a.bands,
                       composite=preset, speckle_filter=(bool(a.speckle) and mode == "sar") or None,
                       stretch=a.stretch,
                       group=a.group if mode == "recombine" else None)
        self.rgb_of[scene.path] = ref
        return ref

    def rgb(self, scene: SceneRef) -> str:
        """The image an RGB-only specialist reads: the scene, or its pseudo-RGB composite."""
        if scene.path in self.rgb_of:
            return self.rgb_of[scene.path]
        if scene.modality in self.vocab.needs_pseudo_rgb:
            self.note(f"{scene.path} is {scene.modality}: a pseudo_rgb composite feeds the "
                      "RGB specialists")
            return self.composite(scene)
        return scene.path

    def objects(self, scene: SceneRef | None, image: str | None = None,
                region: str | None = None) -> str | None:
        """Detect / segment / measure objects (inside ``region`` when given, e.g. the water
        mask); returns the last step's reference."""
        a = self.a
        img = image if image is not None else self.rgb(scene) if scene else "$image"
        if a.counted:  # "count the boats, and outline the seagrass": the counted set first
            self.add("detect_objects", image=img, classes=a.counted, region=region,
                     min_confidence=a.min_confidence, tile_size=a.tile_size)
        if a.segment and a.files.boxes:  # box prompts given as a file: nothing to detect
            return self.add("segment", image=img, boxes=a.files.boxes)
        if a.segment and not a.classes and not a.detect:
            seg = self.add("segment", image=img, points=a.points, everything=a.points is None)
            if a.counting or a.statistic or a.object_area:  # "find"/"mark" ask for no number
                stat = a.statistic or ("area" if a.object_area and not a.counting else "count")
                return self.add("measure", source=seg, statistic=stat,
                                units=a.units if stat not in ("count", "length") else None,
                                min_area_m2=a.min_area_m2, max_area_m2=a.max_area_m2)
            return seg
        outline = a.segment or a.object_area or a.statistic in ("length", "mean") or (
            a.min_area_m2 is not None or a.max_area_m2 is not None) or (
            a.statistic in ("max", "min") and a.units is not None)  # areas from masks, not boxes
        # ("the smallest ship, area in m2")
        if a.classes and ((a.statistic == "length" and set(a.classes) <= self.vocab.outlined) or (
                a.segment and not a.detect and not all(c in self.vocab.class_of
                                                       for c in a.classes))):
            # roads measured, or what a known class does not name ("outline the seagrass",
            # "trees and grass"): by name
            seg = self.add("segment", image=img, classes=a.classes, region=region)
            if a.statistic or a.object_area or a.counting:
                return self.amounts(seg, a.statistic or ("area" if a.object_area else "count"))
            return seg
        det = self.add("detect_objects", image=img, classes=a.classes or None,
                       min_confidence=a.min_confidence, oriented=a.oriented,
                       tile_size=a.tile_size, region=region)
        src = det
        if outline:  # lengths from outlines
            src = self.add("segment", image=img, boxes=det)
        if a.has_filter:  # ("the mean area of buildings, excluding those under 100 m2": a mean)
            return self.amounts(src, a.statistic if a.statistic in ("mean", "max", "min") else
                                "area" if a.object_area else "count")
        if a.statistic:
            units = a.units if a.statistic != "length" else None
            return self.add("measure", source=src, statistic=a.statistic, units=units)
        if a.object_area:
            return self.add("measure", source=src, statistic="area", units=a.units)
        if src != det and a.count_outlines:  # "segment the buildings, tell me how many"
            return self.add("measure", source=src, statistic="count")
        return src

    def amounts(self, src: str, stat: str) -> str:
        """The ``measure`` of outlines ``src`` with the request's filters: ``stat``, and the count
        first when an area is asked next to "how many" ("how many bars, and what area in ha");
        area units never on a count or a length (lengths take theirs in :meth:`add`)."""
        a = self.a
        filters = {"min_area_m2": a.min_area_m2, "max_area_m2": a.max_area_m2,
                   "min_length_m": a.min_length_m}
        if stat in ("area", "mean", "max", "min") and a.counting:  # "how many there are and
            self.add("measure", source=src, statistic="count", **filters)  # their mean area"
        return self.add("measure", source=src, statistic=stat, **filters,
                        units=a.units if stat not in ("count", "length") else None)

    def water(self, scene: SceneRef) -> str:
        """``map_water`` (and a ``measure`` of it when a statistic or count is asked)."""
        a = self.a
        ref = self.water_mask(scene, a.min_area_m2 if not a.detect else None)
        if a.statistic in ("max", "min", "mean") or (a.counting and not a.detect) or (
                a.statistic == "length" and not (a.classes or a.segment)):  # the waterline
            stat = a.statistic or "count"
            if stat == "count" and (a.object_area or a.units in _AREA_UNITS):  # "count the
                return self.amounts(ref, "area")  # ponds ... their total area in ha": both
            return self.add("measure", source=ref, statistic=stat,
                            units=a.units if stat not in ("count", "length") else None,
                            min_area_m2=a.min_area_m2 if not a.statistic else None,
                            max_area_m2=a.max_area_m2 if not a.statistic else None)
        if a.units and a.min_area_m2 is not None and not a.detect and a.statistic in (None, "area"):
            return self.add("measure", source=ref, statistic="area", units=a.units,
                            min_area_m2=a.min_area_m2)  # "drop patches under 500 m2 ... in ha"
        return ref

    def water_mask(self, scene: SceneRef, min_area_m2: float | None = None) -> str:
        """One ``map_water`` step (SAR or optical method from the scene's modality)."""
        method = {"sar": "sar", "multispectral": "optical"}.get(scene.modality or "")
        return self.add("map_water", image=scene.path, method=method, min_area_m2=min_area_m2,
                        threshold=self.a.water_db if method != "optical" else None,
                        speckle_filter=False if self.a.speckle is False and method != "optical"
                        else None)  # "without speckle filtering": off (on by default)

    def index(self, scene: SceneRef, name: str, first: bool = True) -> str:
        """A ``spectral_index`` step; the threshold (or "default") goes on the first index, and
        a later one's own threshold on it."""
        a = self.a
        if scene.modality == "sar":
            self.note(f"{name} needs optical bands; {scene.path} looks like SAR")
        threshold, below = (a.threshold, a.below) if first else a.index_thresholds.get(
            name, (None, False))
        return self.add("spectral_index", image=scene.path, index=name, threshold=threshold,
                        below=below and threshold is not None,
                        bands=band_slots.index_band_roles(a.band_roles, name))

    def mask_amount(self, ref: str, index: str | None = None) -> None:
        """The number a thresholded index mask ``ref`` answers: its patches counted ("how many
        green circles (NDVI above 0.3)", "count the burned patches over 5 acres") or its area
        in the unit asked ("in km²"); ``index``: a later index, with a threshold of its own."""
        a = self.a
        if (a.threshold if index is None else a.index_thresholds.get(index)) is None:
            return
        if a.counting and not a.classes:
            self.add("measure", source=ref, statistic="count", min_area_m2=a.min_area_m2)
            if a.units and a.object_area:  # "count them and give their total area in km2"
                self.add("measure", source=ref, statistic="area", units=a.units,
                         min_area_m2=a.min_area_m2)
        else:
            self.in_units(ref)

    def in_units(self, ref: str) -> None:
        """The area of a mask in the unit the request asks for, unless measured already."""
        a = self.a
        if (a.units or a.min_area_m2 is not None) and self.steps and \
                self.steps[-1].tool != "measure":  # "ignoring patches under 1 ha": filtered
            self.add("measure", source=ref, statistic="area", units=a.units,
                     min_area_m2=a.min_area_m2, max_area_m2=a.max_area_m2)

    def biomass(self, scene: SceneRef, region: str | None = None) -> str:
        """An ``estimate_biomass`` step, inside ``region`` when given."""
        return self.add("estimate_biomass", image=scene.path, region=region)

    def search(self, query: str, archive: str, on_hits: bool) -> str:
        """``search_images``, then the objects, water or index asked of its hits (``on_hits``:
        "then map the water on those hits", not words of the query)."""
        a = self.a
        ref = self.add("search_images", query=query, archive=archive, top_k=a.top_k)
        hits = SceneRef(ref, a.text_modality)
        if a.detect or a.segment:
            self.objects(None, image=ref)
        elif on_hits:
            if a.water:
                self.water(hits)
            for i, name in enumerate(a.indices):
                self.index(hits, name, first=i == 0)
        return ref

    def objects_before(self, scene: SceneRef, target: str, outlined: bool) -> None:
        """The objects of a pair's earlier scene ("what share of the buildings is damaged":
        all of them), outlined when asked; the damaged ones are then counted against them."""
        whole = self.add("detect_objects", image=scene.path, classes=[target])
        if outlined:
            self.add("segment", image=scene.path, boxes=whole)
        self.a.counting = self.a.counting or not self.a.biomass

    def describe(self, scene: SceneRef, question: str | None) -> str:
        """A ``describe_scene`` step (on the composite when one was made)."""
        return self.add("describe_scene", image=self.rgb_of.get(scene.path, scene.path),
                        question=question)

    # --- values inside zones, burn pairs, accuracy ---------------------------------------

    def zonal(self, scene: SceneRef, zones: str | None = None) -> None:
        """Values summarised inside zones: polygons of a file ("per field in fields.geojson")
        or an earlier step's ("inside the water areas", "within the detected buildings").

        Index values go through ``measure`` (``image`` summarised inside ``source``); biomass
        inside a step's zones is ``estimate_biomass`` with that ``region``.
        """
        a = self.a
        if zones is None and a.zone is not None:
            zones = (self.water_mask(scene) if a.zone.water else
                     self.add("detect_objects", image=self.rgb(scene), classes=a.zone.classes))
        if zones is None:
            return
        from_step = zones.startswith("$")
        values: list[str] = []
        if a.biomass:
            ref = self.biomass(scene, zones)  # computed inside the zones only
            if not from_step:
                values.append(ref)
        values += [self.index(scene, name, first=i == 0) for i, name in enumerate(a.indices)]
        for ref in values:
            self.values_in(zones, ref)

    def values_in(self, zones: str, ref: str) -> str:
        """A ``measure`` of the values of raster step ``ref`` inside each polygon of ``zones``."""
        return self.add("measure", source=zones, statistic=self.a.zone_statistic, image=ref)

    def burn_pair(self, before: SceneRef, after: SceneRef, index: str, first: bool) -> str:
        """One ``spectral_index`` step of a pair index (dNBR, or the change of another index):
        image = after, before = before; the request's threshold when ``index`` is the first
        index it names. dNBR is written as DESIGN.md names the index, NBR: with ``before`` the
        tool computes dNBR."""
        a = self.a
        self.pair = (before.path, after.path)
        threshold = a.threshold if first else None
        name = "NBR" if index == "dNBR" else index
        rise = a.index_change == "rise" and threshold is not None  # "NDBI rose by more than 0.1"
        return self.add("spectral_index", image=after.path, index=name, before=before.path,
                        threshold=threshold, below=a.below and threshold is not None,
                        direction="rise" if rise else None)

    def assess(self, result: str) -> str:
        """An ``assess`` step of ``result`` against the request's reference."""
        a = self.a
        return self.add("assess", result=result, reference=a.files.reference,
                        iou_threshold=a.iou_threshold)

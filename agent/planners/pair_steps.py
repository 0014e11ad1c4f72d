"""The steps of a before/after pair: the change map and what it feeds.

"How many new buildings, and their footprint in m2" -> ``detect_changes`` (target building) ->
``measure`` count and area; "how much forest was lost, in hectares" -> area in ha; "the
biomass lost" -> ``estimate_biomass`` on the earlier scene inside the change mask; "how many km
of new road" -> a length; water changes also map the later date's water.
"""

from __future__ import annotations

import re

from agent.planners import ask, option_labels, pair_rules, topics
from agent.planners.analysis import Analysis
from agent.planners.builder import Builder, SceneRef

_AREA_WORD = re.compile(r"\b(?:area|areas|footprints?|surface|extent|hectares?|ha|acres?|km2|m2|"
                        r"square)\b")
"""An area asked in words (not only a share of a count)."""


def change_steps(b: Builder, a: Analysis, norm: str, pair: tuple[SceneRef, SceneRef]) -> None:
    """Before/after: detect_changes, then what the change mask feeds (objects counted before,
    the water of a date, the biomass lost, a count, a length, an area, the index of each date).

    Args:
        b: The plan being built.
        a: What the request asks.
        norm: The normalised request.
        pair: The before and after scenes, in that order.
    """
    before, after = pair
    b.pair = (before.path, after.path)
    asked = ask.blank(norm, ask.background_spans(norm))
    offered = option_labels.change_answers(asked, b.vocab)  # ("what changed? a) water b)
    # road": the change of all of them)
    target = None if offered else a.change_target or (a.classes[0] if a.classes else None) or (
        None if a.water or a.indices else topics.changed_objects(  # said in an ask
            ask.blank(asked, ask.statement_spans(asked)), b.vocab))
    if target and pair_rules.objects_before(target, asked, b.vocab):  # "what share of the
        b.objects_before(pair_rules.counted_scene(asked, before, after), target,
                         re.search(r"\boutlined?\b", asked) is not None)
    change = b.add("detect_changes", before=before.path, after=after.path, target=target,
                   threshold=a.change_threshold, method=a.change_method,
                   min_area_m2=a.min_area_m2)  # "drop patches under 100 m2": the change map's
    if len(a.classes) > 1 and not offered:  # (the answers to choose from: all changes mapped)
        b.note(f"detect_changes takes one target class; using {target!r}")
    if target == "water":  # the later date's water next to the new water (both when asked)
        both = pair_rules.WATER_ON_BOTH.search(asked) or topics.WATER_GREW.search(asked)
        for scene in (before, after)[not both:]:
            b.water_mask(scene)
    if a.biomass:
        b.add("estimate_biomass", image=before.path, region=change)
        b.note(f"biomass lost: estimated on the earlier scene {before.path} inside the change "
               "mask")
    elif a.length_units and target in b.vocab.outlined:  # "how many km of new road"
        b.add("measure", source=change, statistic="length")
    elif a.counting or a.max_area_m2 is not None or a.min_length_m is not None:
        b.add("measure", source=change, statistic="count", min_area_m2=a.min_area_m2,
              max_area_m2=a.max_area_m2)
        if a.object_area and a.counting and a.statistic in (None, "area") and _AREA_WORD.search(
                asked):  # "how many new buildings, and their footprint in m2" (not a share)
            b.add("measure", source=change, statistic="area", units=a.units,
                  min_area_m2=a.min_area_m2, max_area_m2=a.max_area_m2)
    elif a.statistic in ("max", "min", "mean", "length"):
        b.add("measure", source=change, statistic=a.statistic, units=a.units)
    elif a.units:  # "how much forest was lost, in hectares"
        b.add("measure", source=change, statistic="area", units=a.units)
    if a.indices:
        for scene in (before, after):
            b.index(scene, a.indices[0])

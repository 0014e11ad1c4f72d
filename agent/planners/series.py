"""A dated series: one quantity step per date (water, an index, biomass or objects), then
their ``trend``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

from agent.planners import scenes as facts
from agent.planners.analysis import Analysis
from agent.planners.builder import Builder, SceneRef


def total_of_chips(norm: str, paths: Sequence[str]) -> bool:
    """Whether ``norm`` asks a total over two or more PNG / JPEG chips without a date in their
    names: "the total number of vehicles across all images" asks the counts per image and
    their sum, no trend over dates."""
    asked = re.search(r"\b(?:total|sum|altogether|combined|in all)\b", norm) is not None
    return len(paths) >= 2 and asked and not _OVER_TIME.search(norm) and not any(
        facts.file_date(p) for p in paths) and all(
        PurePath(p).suffix.lower() in (".png", ".jpg", ".jpeg") for p in paths)


_OVER_TIME = re.compile(r"\b(?:increas|decreas|ris(?:e|es|ing)\b|grow|declin|drop|fall|trend|"
                        r"over the|chang|evol)")
"""Words of a development over the images ("is the total count increasing over the frames")."""
_PRE_FIRE = re.compile(r"\bpre[\s-]?(fire|burn|event)\b|\bbefore the (fire|burn|blaze)\b")


def per_date(b: Builder, a: Analysis, scene: SceneRef) -> tuple[str, str]:
    """The quantity step of one date and the trend statistic it feeds."""
    stats = b.vocab.trend_statistic
    if a.water:
        return b.water(scene), stats["map_water"]
    if a.indices:
        key = "spectral_index_masked" if a.threshold is not None else "spectral_index"
        stat = a.series_statistic if a.series_statistic and a.threshold is None else stats[key]
        return b.index(scene, a.indices[0]), stat
    if a.biomass:
        return b.biomass(scene), stats["estimate_biomass"]
    ref = b.objects(scene)
    outlines = a.segment and (a.object_area or not (a.detect or a.counting))  # "is the oiled
    # area growing", "how its area has changed" (not how many)
    return ref or "$image", stats["segment" if outlines else "detect_objects"]


def plan(b: Builder, a: Analysis, norm: str, scenes: list[SceneRef]) -> list[SceneRef]:
    """The steps of a series over ``scenes`` (the request ``norm``): per date, then the trend;
    the scenes in date order (the pre-fire scene of a burn series left out)."""
    if a.files.zones is not None:  # one trend over all the zones together
        a.files.region, a.files.zones = a.files.zones, None
        b.note("a trend per zone is not planned: the trend is of the values inside all "
               f"the polygons of {a.files.region} together")
    ordered = sorted(scenes, key=lambda s: facts.file_date(s.path) or "")
    refs, stat = [], "auto"
    pre = ordered[0] if len(ordered) >= 3 and a.indices and a.indices[0] in ("NBR", "dNBR") \
        and _PRE_FIRE.search(norm) else None
    if pre is not None:  # "the pre-fire image and the post-fire days": dNBR of each day
        ordered = ordered[1:]
        b.note(f"burn severity of each later date against the pre-fire scene {pre.path}")
    for scene in ordered:
        if pre is not None:
            refs.append(b.burn_pair(pre, scene, "dNBR", True))
            stat = b.vocab.trend_statistic["spectral_index_masked" if a.threshold is not None
                                           else "spectral_index"]
            continue
        ref, stat = per_date(b, a, scene)
        refs.append(ref)
    b.add("trend", images=refs, statistic=stat, dates=b.trend_dates(ordered))
    return ordered

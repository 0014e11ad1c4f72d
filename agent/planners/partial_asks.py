"""Parts of an asking clause the plan's tools answer only in part: a product limited to a cover
or to another product's area ("the flooded cropland"), a part of the image, classes the
detectors report as one ("large and small vehicles separately"), a state of the counted
objects ("how many of them are empty"), a change asked of one scene. Each is reported by
:mod:`agent.planners.coverage` as not done, with why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from agent.plan import PlanStep
from agent.planners import spatial, topics
from agent.planners.text import read_request
from agent.planners.vocab import Vocabulary, singular

_OVERLAP = re.compile(r"\b(?:affected by|inside|within|overlap\w*|intersect\w*|covered by|"
                      r"under (?:the )?(?:flood|water)|hit by|reached by)\b", re.IGNORECASE)


def overlap_of_products(raw: str, steps: Sequence[PlanStep]) -> list[str]:
    """Two finished products each measured alone while the request asks where they overlap
    ("the cropland affected by the flood, from lc.tif and flood.tif"): no step intersects two
    rasters, so the overlap is reported as not computed."""
    given = [str(s.args["source"]) for s in steps if s.tool == "measure"
             and not str(s.args.get("source", "$")).startswith("$") and not s.args.get("image")]
    if len(given) < 2 or not _OVERLAP.search(raw) or any(
            s.args.get("region") for s in steps):  # "inside the city limits": the region
        return []
    return [f"the overlap of {' and '.join(given)} is not computed: each file is measured "
            "alone (no step intersects two rasters)"]


_IMAGE_PART = re.compile(
    r"\b(?:the |its )(?P<part>(?:north|south)?[\s-]?(?:east|west)(?:ern)?|north(?:ern)?|"
    r"south(?:ern)?|upper|lower|top|bottom|left|right|central|middle|(?:upper|lower|top|bottom)"
    r"[\s-](?:left|right)(?:[\s-]hand)?)[\s-](?:quarter|half|third|corner|quadrant|part|portion|"
    r"section|strip|edge)(?: of (?:the|this|my|each) (?:image|scene|tile|photo|picture|frame|"
    r"raster|mosaic|chip))?\b|\b(?:the )?(?:first|last|top|bottom) \d+ (?:rows|columns|lines)\b")
"""A part of the image the analyst limits a figure to ("in the north-east quarter", "the top
left corner", "the first 512 rows"): no region argument reads it without the image's size."""


_COVERS = (r"cropland|farmland|agricultural land|forest|woodland|grassland|urban area|"
           r"built[\s-]up area")
_COVER_HIT = re.compile(
    rf"\b(?:how many (?:hectares|ha|acres|km2|square \w+)|how much|what area|the area) of (?:the )?"
    rf"(?P<a>{_COVERS})\b[^.?!;]{{0,20}}?\b(?:was |were |is |are |got |has been |have been )?"
    rf"(?:flooded|inundated|burn(?:ed|t)|under water)\b|\b(?:flooded|inundated|burn(?:ed|t)) "
    rf"(?P<b>{_COVERS}) area\b")
"""A land cover an amount is limited to ("how many hectares of cropland were flooded", "the
burned forest area in hectares")."""


def cover_asked(part: str, norm: str, steps: Sequence[PlanStep]) -> list[str]:
    """A land cover an asking clause limits a flooded or burned area to while no step outlines
    it or has a region: reported, since the figure is of all the flooded or burned area."""
    m = _COVER_HIT.search(norm)
    if m is None or any(s.args.get("region") is not None or s.args.get("classes")
                        or s.tool in ("describe_scene", "classify_scene") for s in steps):
        return []
    return [f"{quote(part)}: not limited to {m.group('a') or m.group('b')} (no step outlines "
            "it and no land-cover region was given): the figure is the whole flooded or burned "
            "area"]


def part_asked(part: str, norm: str, steps: Sequence[PlanStep]) -> list[str]:
    """A part of the image an asking clause limits its figure to while no step has a region:
    reported, since the result covers the whole image."""
    m = _IMAGE_PART.search(norm)
    if m is None or any(s.args.get("region") is not None or s.tool == "describe_scene"
                        for s in steps) or re.search(  # (the question goes to the describer)
            r"\b(?:image|scene|photo|picture|tile|mosaic|orthophoto|frame|flight) of\s*$",
            norm[:m.start()]):  # "the image of the northern section": the whole image
        return []
    return [f"{quote(part)}: not limited to {m.group(0).removeprefix('its ')} (a region is "
            f"a pixel or lon/lat box or a polygon file; give one), so the result covers the "
            f"whole image"]


_SEPARATELY = re.compile(
    r"\b(?:separately|individually|each (?:class|type|kind|category)|per (?:class|type|kind|"
    r"category)|by (?:class|type|kind|category|size)|broken down|break(?:ing)? (?:it |them |that "
    r")?down|split (?:by|into|between)|distinguish\w*|tell (?:them )?apart|(?:as|in) separate "
    r"(?:counts|numbers|classes|totals))\b")
_JOINED = re.compile(r"\s*,?\s*(?:and|or|&|vs\.?|versus)\s+(?:the\s+|all\s+|any\s+)?")
_SIZES = re.compile(r"\b(large|big|heavy|small|light|long|short)\s+(?:and|or|&|vs\.?|versus)\s+"
                    r"(?:the\s+)?(large|big|heavy|small|light|long|short)\s+([a-z]+)")


def merged_classes(raw: str, steps: Sequence[PlanStep], vocab: Vocabulary) -> list[str]:
    """Classes the request wants apart that a planned step reports as one ("the large
    vehicles and the small vehicles separately", "cars and trucks per type": both
    ``vehicle``): two class words joined by "and" / "or" in a sentence that asks for them
    apart; [] when nothing asks for them apart or the plan's classes keep them apart."""
    classes = {str(c) for s in steps if s.tool in ("detect_objects", "segment")
               for c in s.args.get("classes") or []}
    out: list[str] = []
    for sentence in re.split(r"(?<=[.?!;])\s+", raw):
        norm = read_request(sentence, vocab.corrector).norm
        if not _SEPARATELY.search(norm):
            continue
        names = [(m, vocab.canonical_class(m.group(0)))
                 for m in vocab.class_pattern.finditer(norm)]
        pairs: list[tuple[str, str, str | None]] = [
            (singular(a.group(0)), singular(b.group(0)), name)
            for (a, name), (b, other) in pairwise(names)
            if name and name == other and _JOINED.fullmatch(norm, a.end(), b.start())]
        pairs += [(f"{m.group(1)} {singular(m.group(3))}", f"{m.group(2)} {singular(m.group(3))}",
                   vocab.canonical_class(m.group(3))) for m in _SIZES.finditer(norm)
                  if m.group(1) != m.group(2)]  # "large and small vehicles"
        out += [f"{quote(sentence)}: not counted separately ({one} and {two} are one class, "
                f"{name}, for the models: one count covers them all)"
                for one, two, name in pairs if name in classes and one != two
                and not {one, two} <= classes]
    return out


_STATE = re.compile(
    r"\bhow many (?:of )?(?:them|these|those|the (?:[a-z]+ ){0,2}?[a-z]+s)\s+(?:are|were|is|look|"
    r"looks|appear|appears|seem|seems|have been|has been)\s+(?:still\s+)?"
    r"(?P<state>[a-z]+(?: [a-z]+){0,3}?)(?=\s*(?:[?.,;!]|$|\b(?:and|or|but|so)\b))")
_SIZE_OR_PLACE = re.compile(
    r"(?:bigger|larger|smaller|longer|shorter|wider|taller|over|under|above|below|more|less|"
    r"within|inside|in|on|at|near|along|around|there|visible|present|left|detected|found|"
    r"counted|of|an?|the)$")


def states_asked(part: str, norm: str, vocab: Vocabulary) -> list[str]:
    """A state of the counted objects the plan cannot tell ("count the pools, and how many of
    them are empty"): the detectors give classes, not states, so the count covers all."""
    m = _STATE.search(norm)
    if m is None or _SIZE_OR_PLACE.match(m.group("state").split()[0]) or \
            vocab.class_pattern.fullmatch(m.group("state")):
        return []
    return [f"{quote(part)}: not told apart (no tool tells which objects are "
            f"{m.group('state')}; the count covers them all)"]


def change_of_one(part: str, norm: str, vocab: Vocabulary) -> list[str]:
    """Objects asked as new or gone of one scene ("point out the new buildings"): a change
    needs an earlier scene of the same place, so the plan finds them all."""
    found = topics.event_objects(norm, vocab, asked=True)
    return [f"{quote(part)}: not told apart (which {found} are new or gone needs an earlier "
            "scene of the same place; with one scene, all of them are found)"] if found else []


def cross_pol_asked(part: str, norm: str, steps: Sequence[PlanStep]) -> list[str]:
    """A threshold of a cross-polarised band said beside a co-polarised one ("VH below -22 dB
    and VV below -15 dB") in a clause whose plan maps water: map_water thresholds one band, the
    co-polarised one, so the other is reported."""
    found = spatial.cross_pol_thresholds(norm)
    if not found or not any(s.tool == "map_water" for s in steps):
        return []
    said = ", ".join(f"{pol.upper()} {value:g} dB" for value, pol in found)
    return [f"{quote(part)}: the {said} threshold is not applied (map_water thresholds the "
            "co-polarised VV / HH band only)"]


_SHARE_OF_IMAGE = re.compile(
    r"\b(?:what|which|the) (?:percentage|percent|share|fraction|proportion) of "
    r"(?:the |this |each )?(?:image|scene|chip|tile|photo|picture|frame)(?: area)?\b"
    r"[^.?!;]{0,40}\b(?:covered|occupied|taken up)\b|\bhow much of (?:the |this )?(?:image|"
    r"chip|tile|photo|picture)\b[^.?!;]{0,30}\b(?:covered|occupied|taken up) by\b")


def share_of_image(part: str, norm: str, steps: Sequence[PlanStep]) -> list[str]:
    """A share of the image covered by outlined objects ("what percentage of the image is
    covered by trees"): measure gives the objects' total area, not its share of the image (a
    water, index or change map reports its own share)."""
    if _SHARE_OF_IMAGE.search(norm) is None or not any(s.tool == "segment" for s in steps) or any(
            s.tool in ("map_water", "spectral_index", "detect_changes") for s in steps):
        return []
    return [f"{quote(part)}: the share of the image is not computed (measure gives the objects' "
            "total area; the image's own area is its width x height x GSD², from "
            "describe_raster)"]


def quote(part: str) -> str:
    """A clause as the not-done report quotes it (cut at 120 characters)."""
    text = part.strip().rstrip(".;,")
    return f"'{text[:117]}...'" if len(text) > 120 else f"'{text}'"

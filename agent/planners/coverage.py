"""Coverage check: every part of a request is planned, or reported as not done and why.

The request is cut into clauses (sentences, ";", "then", "and also", ", and <verb>" ...).
Each clause that asks for something (a question, a request marker or an imperative: see
:mod:`agent.planners.ask`) is read on its own by the same intent stage as the whole request,
and the tools it would need are compared with the plan's tools:

* a clause whose tools are all missing from the plan is reported ("I did not compute NDVI
  inside the water areas: no zonal measure step matched");
* a clause out of scope on its own (a download, a forecast) is reported with the decline reason;
* an asking clause in which no tool matched anything is reported as not understood;
* an asking clause that wants classes counted separately that the detectors report as one
  ("large and small vehicles separately": both are ``vehicle``) is reported: the counts are
  not split;
* an asking clause that wants a state of the counted objects ("how many of them are empty")
  is reported when no step judges states (no classification, change or description step);
* an asking clause that wants a figure no tool gives (a median, a perimeter, a width, a
  density per hectare, a distance, a rate in m per year) is reported even when its tools are
  planned: the plan answers with what the tools give, and says that it is not what was asked.

The parts a clause's tools answer only in part (a cover, a part of the image, classes told
apart, states, a change of one scene) are read by :mod:`agent.planners.partial_asks`.

Numbers that the main tools report themselves (an area from ``map_water``, a count from
``detect_objects``) need no ``measure`` step, so ``measure`` only counts for zonal statistics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.plan import PlanStep
from agent.planners import ask, cover_areas, partial_asks, slots, unsupported_figures
from agent.planners.analysis import Analysis
from agent.planners.answer_options import only_options, options_span
from agent.planners.files import read_files
from agent.planners.intents import analyse
from agent.planners.text import read_request
from agent.planners.vocab import Vocabulary

_VERBS = (r"what|how|which|where|compute|calculate|count|map|measure|estimate|detect|segment|"
          r"give|tell|show|make|list|report|classify|outline|delineate|derive|produce|create|"
          r"render|find|identify|locate|quantify|fit|search|describe|caption|assess|check|"
          r"download|fetch|order|buy|predict|forecast|send|email|upload|plot|draw|export|save")
_SPLIT = re.compile(
    rf"(?<=[.?!;])\s+|\s*;\s*|,?\s+(?:and then|then|and also|as well as)\s+|"
    rf",?\s+and\s+(?=(?:{_VERBS})\b)|,\s+(?=(?:also|plus)\b)|[,;]?\s+(?=\((?:[2-9]|1\d)\)\s)|"
    r"\s+\|\s+(?=[\w -]{1,20}:)|"
    r",\s*(?:and\s+)?(?=(?:for|in|on) the (?:first|second|third|fourth|"
    r"last|other|older|newer|earlier|later)(?: (?:one|image|scene|picture|photo))?,? (?:count|map|"
    r"detect|compute|classify|describe|segment|measure|estimate|find|give|show|calculate)\b)",
    re.IGNORECASE)
_COURTESY = re.compile(r"^\W*(thanks?|thank you|cheers|please|ok|okay|hi|hello|hey)\b",
                       re.IGNORECASE)
_FOLLOW_ON = re.compile(
    r"\b(it|its|it s|their|them|they|those|these|that|this|one|area|areas|extent|total|sum|"
    r"mean|average|avg|median|max|min|length|lengths|number|confiden\w*|fraction|proportion|"
    r"share|percent\w*|how many|how much|how big|"
    r"how large|how long|which|biggest|largest|smallest|longest|increas\w*|decreas\w*|"
    r"shrink\w*|grow\w*|trend\w*|use|using|keep|check|compare|where|per|units?|hectares?|acres?|ha|"
    r"acreage|square (?:kilomet|met|mile|f[eo]+t|km)\w*|"
    r"km2|m2|megagrams?|tonnes?|count|save|export|write|store|run|take|dates?|do the same|"
    r"do (?:it|everything|all|this|that) (?:on|for|with|in)|"
    r"(?:have a |take a )?look at (?:the|these|those|both|my|our) (?:two |three )?(?:images|"
    r"scenes|photos|pictures|files))\b")
"""A clause that only asks for a number or a detail of what another clause makes ("and how
big is it?", "give me the total in hectares"), repeats what the context describes ("could you
do the same for my image") or opens the ask ("can you look at the two images") needs no tool
of its own."""
_SAR_STEP = re.compile(r"\b(?:speckle|despeckl\w*|lee filter\w*|refined lee|"
                       r"(?:to|into|in) (?:db|decibels?)|"
                       r"log(?:arithmic)? scale)\b")
"""Steps of a radar water map the tool does itself (a speckle filter, backscatter in dB)."""
_DUTY = re.compile(r"^\W*(?:as|being) (?:a|an|the|our|my) [^,.;:?!]{2,80}? (?:i|we) (?:have to|"
                   r"must|need to|am required to|are required to|am supposed to) (?:report|"
                   r"monitor|track|publish|submit|brief|present|update|inform|file)\b[^?]*$")
"""A role and its duty ("As the port authority's environmental officer I have to report dredging
impacts quarterly."): the background of the ask, no part of it."""
_WHAT = {
    "detect_objects": "detect or count objects",
    "segment": "outline objects",
    "map_water": "map water",
    "spectral_index": "compute a spectral index",
    "estimate_biomass": "estimate biomass",
    "detect_changes": "detect changes between two scenes",
    "trend": "fit a trend over dates",
    "classify_scene": "classify the scenes",
    "search_images": "search the archive",
    "pseudo_rgb": "make a composite",
    "describe_raster": "read the raster metadata",
    "describe_scene": "answer a question about the picture",
    "measure": "compute statistics inside zones",
}
_SATISFIES = {
    "detect_objects": {"detect_objects", "segment", "detect_changes", "describe_scene",
                       "measure", "classify_scene"},
    "segment": {"segment", "detect_changes"},  # a change mask outlines the changed objects
    "describe_scene": {"describe_scene", "detect_objects", "map_water", "spectral_index",
                       "classify_scene", "detect_changes", "describe_raster", "segment"},
    "spectral_index": {"spectral_index", "map_water"},
    "map_water": {"map_water", "spectral_index", "detect_changes"},
    "measure": {"measure"},
    "detect_changes": {"detect_changes", "spectral_index", "map_water", "estimate_biomass",
                       "trend", "detect_objects"},
    "classify_scene": {"classify_scene", "assess", "measure"},
    "describe_raster": {"describe_raster", "measure"},
    "trend": {"trend", "detect_changes"},
}
"""Planned tools that answer what a clause needs (default: the tool itself)."""


def clauses(raw: str) -> list[str]:
    """The clauses of a request, as written; items numbered "1) ... 2) ..." each one (only
    when a "1)" opens them: "(channel 3)", "(bands 7, 4 and 2)" number nothing)."""
    if (span := options_span(raw)) is not None:  # "which land use? a. forest b. water": the
        head, tail = clauses(raw[:span[0]]), clauses(raw[span[1]:])  # options stay whole,
        options = raw[span[0]:span[1]].strip()  # with their question
        return [*head[:-1], f"{head[-1]} {options}" if head else options, *tail]
    split = _SPLIT.split(raw)
    if _FIRST_ITEM.search(raw):  # (not "1) harbor 2) airport", options read above)
        split = [c for part in split if part for c in _ITEM.split(part)]
    if _FIRST_LETTER.search(raw):  # "(a) map the water (b) count the ships"
        split = [c for part in split if part for c in _LETTER.split(part)]
    if _FIRST_BULLET.search(raw):  # "deliverables: - the flood extent - the boats"
        split = [c for part in split if part for c in _BULLET.split(part)]
    out: list[str] = []
    for c in (c.strip() for c in split if c and c.strip(" .?!;,")):
        if out and only_options(c):  # "What is the main land use? (a) residential (b) ...":
            out[-1] += " " + c  # the options go with their question
        else:
            out.append(c)
    return out


_FIRST_ITEM = re.compile(r"(?:^|[\s:])1\)\s")
_ITEM = re.compile(r"[,;]?\s+(?=(?:[2-9]|1\d)\)\s)")
_FIRST_LETTER = re.compile(r"(?:^|[\s:])\(a\)\s")
_LETTER = re.compile(r"[,;]?\s+(?=\([b-f]\)\s)")
_FIRST_BULLET = re.compile(r":\s*[-•*]\s+[A-Za-z]")
_BULLET = re.compile(r"(?<=[\w.):])\s+[-•*]\s+(?=[A-Za-z])")
"""Dash bullets of a list opened by a colon ("deliverables: - flood extent - boat count"); a
dash in prose ("dark vessels - key to ...") cuts nothing."""


def colon_parts(clause: str) -> list[str]:
    """A clause split at its colons where what follows is an ask of its own; a list after a
    colon stays with its opener ("which kind each one shows: mound, field or nothing")."""
    parts: list[str] = []
    for piece in re.split(r":\s+", clause):
        if parts and not ask.is_ask(read_request(piece, None).norm):
            parts[-1] = f"{parts[-1]}: {piece}"
        else:
            parts.append(piece)
    return parts


def needed_tools(a: Analysis, n_scenes: int) -> list[str]:
    """The tools the intents of one clause need (in plan order)."""
    out: list[str] = []
    flags = [
        ("describe_raster", a.metadata), ("pseudo_rgb", a.composite), ("assess", a.files.assess),
        ("search_images", a.search), ("classify_scene", a.classify),
        ("detect_changes", a.change and n_scenes in (0, 2) and not a.quantity),
        ("detect_objects", a.detect), ("segment", a.segment and not a.detect),
        ("map_water", a.water), ("spectral_index", bool(a.indices)),
        ("estimate_biomass", a.biomass), ("trend", a.trend_strong and n_scenes != 1),
        ("measure", a.zone is not None or a.product is not None),
        ("describe_scene", (a.caption or a.vqa)
                                          and not (a.detect or a.water or a.indices)),
    ]
    for tool, on in flags:
        if on:
            out.append(tool)
    return out


def not_done(raw: str, steps: Sequence[PlanStep], vocab: Vocabulary, n_scenes: int) -> list[str]:
    """The parts of ``raw`` that no planned step answers, each with why.

    Args:
        raw: The request as written.
        steps: The plan's steps.
        vocab: The planner vocabulary.
        n_scenes: How many scenes the request is about.
    """
    parts = clauses(raw)
    planned = {s.tool for s in steps}
    if any(s.tool == "measure" and not str(s.args.get("source", "$")).startswith("$")
           for s in steps):  # a finished product measured as it is answers what made it
        planned |= {"spectral_index", "map_water", "estimate_biomass", "detect_changes"}
    out = [] if "classify_scene" in planned else partial_asks.merged_classes(raw, steps, vocab)
    out += partial_asks.overlap_of_products(raw, steps)
    judged = planned & {"classify_scene", "detect_changes", "describe_scene"}  # (a measure
    # filters sizes, which no state check reads)
    for part in parts:
        req = read_request(part, vocab.corrector)
        if (not ask.is_ask(req.norm) and len(parts) > 1) or only_options(part):
            continue  # (a request of one fragment, "area with ndvi between 0.2 and 0.5", asks;
            # "options: 1, 2, 3" are a question's answers)
        figures = _figures_asked(part, req.norm, steps)  # even of a one-clause request
        out += figures
        out += partial_asks.part_asked(part, req.norm, steps)
        out += partial_asks.cover_asked(part, req.norm, steps)
        out += partial_asks.cross_pol_asked(part, req.norm, steps)
        out += partial_asks.share_of_image(part, req.norm, steps)
        if n_scenes == 1 and "detect_changes" not in planned:
            out += partial_asks.change_of_one(part, req.norm, vocab)
        if not judged:
            out += partial_asks.states_asked(part, req.norm, vocab)
        if len(parts) < 2 or (_COURTESY.match(part) and len(req.norm.split()) <= 3) \
                or len(req.norm.split()) <= 1:  # a bare verb ("detect and map X") shares X
            continue
        if "assess" in planned and vocab.has("assess", req.norm):
            continue  # "evaluate our mask against the reference footprints": the assess step
        files = read_files(req, vocab)
        a = analyse(req, vocab, n_scenes, files)
        quoted = partial_asks.quote(part)
        if a.declined:
            out.append(f"{quoted}: {a.declined}")
            continue
        needed = needed_tools(a, n_scenes)
        if not needed:
            if a.region is not None and any(s.args.get("region") == a.region for s in steps):
                continue  # "clip the image to the county boundary (c.geojson)", "look only at
                # the region (10,10)-(200,150)": the region
            if a.trend and "trend" in planned:
                continue  # "and tell me how the number varies": the trend step
            if any(s.args.get("top_k") is not None for s in steps if s.tool == "search_images") \
                    and re.search(r"\b(?:top|best|first)\s*\d+\b", req.norm):
                continue  # "give me the top 10": the search's number of hits
            if _SAR_STEP.search(req.norm) and any(s.tool == "map_water" and s.args.get(
                    "method") == "sar" for s in steps):
                continue  # "speckle filter", "convert to dB": what the radar water map does
            if re.search(r"\bthreshold", req.norm) and any(s.args.get("threshold") is not None
                                                            for s in steps):
                continue  # "(5) threshold VV at -19 dB": the thresholded step
            if len(req.norm.split()) > 3 and not (_FOLLOW_ON.search(req.norm) or figures
                                                  or _DUTY.match(req.norm)):
                out.append(f"{quoted}: no tool matched this part")
            continue
        if needed == ["segment"] and (_defined_by_threshold(raw, a.classes, steps, vocab) or (
                "spectral_index" in planned and a.classes
                and set(a.classes) <= cover_areas.COVER_CLASSES) or (not a.classes and any(
                s.tool == "map_water" or s.args.get("threshold") is not None for s in steps
                if s.tool in ("spectral_index", "map_water")))):
            continue  # "NDVI below 0.2 is bare soil; how many ha of bare soil?", "treat NDVI
            # above 0.3 as vegetated ... give me the vegetated area", "count the polygons" (of
            # a thresholded index or water mask): the mask
        missing = [t for t in needed if not planned & _SATISFIES.get(t, {t})]
        if missing == ["map_water"] and any(re.search(r"\b(?:flood|water|inundat)", str(
                s.args.get("labels", ""))) for s in steps if s.tool == "classify_scene"):
            continue  # "which tiles show flooded fields": a flooded label per tile
        if missing and len(missing) == len(needed) and not figures and not _index_answers(
                req.norm, needed, steps):  # (a figure no tool gives is said once)
            what = " or ".join(_WHAT[t] for t in missing)
            out.append(f"{quoted}: not planned (it asks to {what}, and no "
                       f"{'/'.join(missing)} step matched)")
    return out


_INDEX_VALUE = re.compile(r"\b(?:max|maximum|min|minimum|mean|average|highest|lowest|peak|"
                          r"largest|smallest) (?:index |pixel |[a-z]+ )?values?\b")
_GRADED = re.compile(r"\b(?:where|wherever|if|when) (?:it|the (?:index|value|difference)|"
                     r"values?) (?:is |are )?(?:exceeds?|above|below|over|under|greater|higher|"
                     r"lower|less|more)\b")


def _index_answers(norm: str, needed: Sequence[str], steps: Sequence[PlanStep]) -> bool:
    """Whether the plan's index step answers a clause that reads as another tool's: its own
    statistics ("tell me the max value": a measure), its threshold ("classify high severity
    where it exceeds 0.66": a scene classification) or a dNBR's severity classes."""
    index = [s for s in steps if s.tool == "spectral_index"]
    if needed == ["measure"]:
        return bool(index) and _INDEX_VALUE.search(norm) is not None
    if any(s.args.get("before") is not None for s in index) and _SEVERITY.search(norm) and \
            needed in (["classify_scene"], ["segment"]):
        return True  # "classify burn severity using the USGS thresholds", "the area of high
        # severity burn": dNBR's own classes and their areas
    if needed != ["classify_scene"]:
        return False
    return any(s.args.get("threshold") is not None for s in index) and _GRADED.search(norm) \
        is not None


_SEVERITY = re.compile(r"\b(?:burn|fire) severity\b|\bseverity (?:class|level|categor|burn)\w*")
"""Burn severity classes: the classes a dNBR step reports (USGS FIREMON)."""


def _defined_by_threshold(raw: str, classes: Sequence[str], steps: Sequence[PlanStep],
                          vocab: Vocabulary) -> bool:
    """Whether a thresholded index step of the plan makes the mask of ``classes``: a sentence
    names the index and calls what passes the threshold by their name ("NDVI below 0.2 is bare
    soil", "count pixels above 0.3 NDVI as green")."""
    if not classes or not any(s.tool == "spectral_index" and s.args.get("threshold") is not None
                              for s in steps):
        return False
    names = "|".join(re.escape(c) for c in classes)
    return any(
        re.search(rf"{slots.DEFINES}(?:{names})s?\b", sentence)
        and any(ask_index in sentence for ask_index in (i.lower() for i in vocab.index_names))
        for sentence in re.split(r"(?<=[.?!;])\s+", raw.lower()))


def _figures_asked(part: str, norm: str, steps: Sequence[PlanStep]) -> list[str]:
    """The figure no tool gives that an asking clause wants ("the median building size",
    "trees per hectare", "how wide is the river"), with why; [] for none. The area of each
    class is given when a step outlines several classes (measure's area per class) or makes
    dNBR (the area of each burn-severity class)."""
    classed = any((s.tool == "segment" and len(s.args.get("classes") or []) > 1) or (
        s.tool == "spectral_index" and s.args.get("before") and s.args.get("index") in (
            "NBR", "dNBR")) for s in steps)
    labelled = any(s.tool == "classify_scene" and s.args.get("labels") for s in steps)
    what = [w for w in unsupported_figures.named(norm)
            if not (classed and w.startswith(unsupported_figures.PER_CLASS))
            and not (labelled and w.startswith(unsupported_figures.DAMAGE))]  # (labels per image)
    return [f"{partial_asks.quote(part)}: not computed as asked (no EarthSight tool gives "
            f"{' or '.join(what)}; measure gives count, area, mean, sum, min, max and length)"
            ] if what else []

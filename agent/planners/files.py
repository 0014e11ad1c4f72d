"""The roles of the files a request names: scene, reference, result, zones, region, output.

A raster named in a request is a scene unless the words before it say otherwise:

* **reference** — the truth an accuracy request compares with ("against label.tif", "with the
  reference water.tif", else a name such as ``gt.tif`` / ``labels.tif``);
* **result** — the product an accuracy request checks, when nothing is to be made first
  ("how accurate is pred.tif against gt.tif");
* **output** — where something is to be written ("save it as out.tif").

A vector file is the region of interest ("inside fields.geojson", "parcels.shp"), or the zones
a value is summarised per ("mean NDVI per field in fields.geojson"), or a reference or result
as above.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from agent.planners import ask
from agent.planners.scene_roles import RELATED, excepted_here
from agent.planners.text import FILE_MASK, VECTOR_FILE, RequestText
from agent.planners.vocab import Vocabulary

_OUTPUT = re.compile(r"(?:\b(?:save|saving|export|exporting|write|writing|output|store|storing|"
                     r"dump|(?<!i ve )(?<!we ve )(?<!i have )(?<!we have )put(?:ting)?\s+(?:the\s+|"
                     r"all\s+)?(?:results?|outputs?|counts?|answers?|detections?|polygons?|masks?))|"
                     r"\b(?:be|been|get|gets)\s+(?:saved|exported|written|stored))\b"
                     r"[^.;?!]{0,30}?"
                     r"\b(to|as|into|in|under)\s+(?:(?:the|a|new|file|called|named)\s+)*$|"
                     r"\b(?:results?|outputs?)\s+(?:should\s+|will\s+|must\s+)?go(?:es)?\s+"
                     r"(?:to|into|in)\s+(?:the\s+)?(?:file\s+)?$|\b(?:output\s+)?file\s*name\s*[:=]?\s*$")
_LEFT_OUT = re.compile(r"(?:\b(?:except(?:\s+for)?|all\s+but|other\s+than|excluding|"
                       r"exclude|apart\s+from|ignore|ignoring|skip|skipping|leave\s+out|"
                       r"leaving\s+out|without|(?:do\s+)?not\s+(?:use|include|analy[sz]e|"
                       r"process)|(?P<not>but\s+not|(?<=[,;(] )not))|"
                       r"(?:images?|scenes?|files?|rasters?|ones?|tiles?)\s+but)"
                       r"\s+(?:(?:the\s+)?(?:file|image|scene|raster|one)\s+)?$")
"""Words that leave the next file out ("every image except b.tif", "count ships in b.tif, not
a.tif", "ignore c.tif"; "not" only where no words relate the scenes, :data:`RELATED`); also the
files listed right after it ("except a.tif and b.tif")."""
_LIST_ON = re.compile(r"\s*(?:,|and|or|nor|,\s*and|,\s*or)\s*")
_REFERENCE = re.compile(
    r"(?:\b(?:against|versus|vs)\.?|\b(?:reference|ground[\s-]*truth|truth|labels?|labell?ed|"
    r"annotations?|annotated|gold(?:\s+standard)?|relative to)|\b(?:compar\w*|check\w*|"
    r"validat\w*|evaluat\w*|assess\w*|scor\w*|measur\w*|test\w*|verif\w*)\b[^.;?!]{0,40}?"
    r"\b(?:with|to))\s+(?:[a-z0-9]+\s+){0,6}$")
_REGION_CUE = re.compile(r"\b(inside|within|clip\w* to|crop\w* to|limited to|restricted to)\s+"
                         r"(?:[a-z0-9]+\s+){0,4}$")
_BOX_PROMPTS = re.compile(r"\b(bounding )?box(es)?( prompts?)?\s+(in|from|of|given in|stored in)\s+"
                          r"(the )?(file\s+)?$")
_AS_PROMPTS = re.compile(r"^\s*(as|for) (the )?(box |bounding box |segmentation )?prompts?\b")
_TRUTH_NAMES = frozenset({"label", "labels", "truth", "gt", "groundtruth", "reference", "ref",
                          "annotation", "annotations", "gold", "manual", "lbl"})
_LABEL_NAMES = _TRUTH_NAMES - {"reference", "ref"}  # a "reference" image may be a before scene
_RESULT_NAMES = frozenset({"mask", "masks", "pred", "preds", "prediction", "predictions",
                           "predicted", "result", "results", "output", "out", "detections",
                           "dets", "seg", "segmentation", "classified", "classification",
                           "supervised", "unsupervised", "lulc", "landcover", "map"})
_PRODUCT_INTENTS = ("detect", "count", "segment", "water_strong", "water_weak", "biomass",
                    "change", "classify", "search", "composite")
_EXISTING = re.compile(
    r"\b(?:this|that|my|our|these|those|your|its|their|given|provided|predicted|the)\s+"
    r"(?:[a-z0-9]+(?:[-/][a-z0-9]+)*\s+){0,5}?(?:masks?|maps?|detections|predictions?|results?|"
    r"outputs?|rasters?|layers?|products?|mapping|segmentation|classification|polygons)\b(?!\s+(?:of|from|for|in)\s+(?:the\s+)?"
    + FILE_MASK + ")")
_GIVEN = re.compile(r"\b(?:reference|ground[\s-]*truth|truth|labell?ed|annotated|manual|gold|"
                    r"official|surveyed)\s+(?:[a-z]+\s+){0,2}?(?:footprints?|polygons?|outlines?|"
                    r"masks?|labels?|maps?|boxes|extents?)\b")
_ASSESSED = re.compile(r"\b(?:how (?:good|accurate|reliable|well)|scor\w*|evaluat\w*|assess\w*|"
                       r"validat\w*|check\w*|compar\w*)\b[^.;?!]{0,40}$")
"""The words before a file that is itself assessed ("how good is the tile x.tif against ...")."""
_DONE = re.compile(r"\W*(?:i|we)\s+(?:have\s+|had\s+|already\s+)?(?:ran|run|performed|produced|"
                   r"made|generated|created|did|done|computed|classified|trained|mapped|built|"
                   r"derived|exported|digiti[sz]ed|thresholded|calculated|segmented|detected|"
                   r"delineated|estimated|extracted)\b")
"""A sentence that says the analyst made the result already ("I ran a classification ...")."""
_DESCRIBED = re.compile(
    r"\b(?:a|an|the|our|my|their|its|this|that|your|own)\s+(?:[\w/-]+\s+){0,6}?"
    r"(?:masks?|maps?|extents?|classifications?|layers?|predictions?|delineations?)\b"
    r"(?:\s+(?!(?:scenes?|images?|imagery|tiles?|photos?|mosaics?|orthos?\w*|frames?|rasters?|"
    r"captures?|acquisitions?|pass(?:es)?|granules?|quicklooks?|chips?|xfilex)\b)"
    r"(?:[\w/,-]+|\((?![^()]*xfilex)[^()]*\))){0,8}?"  # "a water mask of lake x (y reservoir)"
    r"\s*\(\s*xfilex")
"""A file in brackets after the product it is ("our vh threshold ice mask for the nemunas on
10 january (x.tif)", "the gfm observed flood extent for the sindh floods (x.tif)"): a result,
unless a scene noun sits between ("the water map of the sentinel-1 scene (s1.tif)")."""
_SAME = re.compile(r"\b(?:do|repeat|redo) (?:the same|that|this|it)\b|\bsame (?:for|on|with)\b")
"""An ask that repeats what a statement describes ("the report gives the accuracy. do the same
for our map")."""
_CLAUSE = re.compile(r"[;?!]|\.(?!\d)|,?\s*\b(?:and then|then|and)\b")
_COMPARED = re.compile(r"\b(against|versus|vs|with|to)\.?\s+(?:[a-z0-9]+\s+){0,3}$")


@dataclass
class Files:
    """What each named file is for (see the module docstring).

    Attributes:
        assess: Accuracy is asked for and a reference is named.
        make: The product is to be made before it is assessed ("map the water and check it
            against label.tif"); else the result is a named file or the given scene.
        reference: The truth of an accuracy request.
        result: The named product an accuracy request checks (None: made first, or the scene).
        zones: Polygons a value is summarised per.
        region: The region of interest (a vector file, or a mask raster named as the
            extent the work is done inside).
        boxes: Box prompts for ``segment`` given as a vector file ("the boxes in b.geojson").
        outputs: Files to be written.
        left_out: Files the request leaves out ("every image except b.tif", "b.tif, not
            a.tif"): not analysed.
    """

    assess: bool = False
    make: bool = False
    reference: str | None = None
    result: str | None = None
    zones: str | None = None
    region: str | None = None
    boxes: str | None = None
    outputs: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    def truth(self) -> str | None:
        """The reference of an accuracy request when its name says so (gt.tif, flood_ref.tif):
        the truth compared against, never a scene to process."""
        return self.reference if self.reference and _truth_name(self.reference) else None

    def scenes(self, files: list[str]) -> list[str]:
        """The rasters of ``files`` that are scenes (no reference, result or output)."""
        drop = {self.reference, self.result, self.region, *self.outputs, *self.left_out}
        return [f for f in files if f not in drop]


def _windows(text: str, count: int) -> list[tuple[str, str]]:
    """(words since the clause start, words since the previous file) before each file mask."""
    out: list[tuple[str, str]] = []
    previous = 0
    for m in re.finditer(FILE_MASK, text):
        bounds = [b.end() for b in re.finditer(r"[;?!]|\.(?!\d)", text[:m.start()])]
        clause = bounds[-1] if bounds else 0
        out.append((text[clause:m.start()], text[max(clause, previous):m.start()]))
        previous = m.end()
    return out[:count]


def _truth_name(path: str, names: frozenset[str] = _TRUTH_NAMES) -> bool:
    tokens = set(re.split(r"[^a-z0-9]+", PurePath(path).stem.lower()))
    return bool(tokens & names)


def _asks_for_products(text: str, vocab: Vocabulary) -> bool:
    """Whether ``text`` asks for something a tool makes (objects, water, an index ...)."""
    return (any(vocab.has(i, text) for i in _PRODUCT_INTENTS)
            or vocab.index_pattern.search(text) is not None
            or any(p.search(text) for p in vocab.topic_patterns.values()))


_MISSED = re.compile(r"\bhow many (?:\w+ ){0,2}(?:were |are |did (?:we|it) )?(?:missed|miss|"
                     r"matched|match|false\w*|wrongly \w+)\b")


def _makes_first(text: str, ref_at: int, vocab: Vocabulary, result_named: bool) -> bool:
    """Whether the assessed product is to be made first: another clause asks for one ("map the
    water and check it against label.tif"), or the reference's clause does without naming an
    existing result ("the water mask", "my detections") or a result file."""
    seps = [m.span() for m in _CLAUSE.finditer(text)]
    start = max([e for s, e in seps if e <= ref_at], default=0)
    end = min([s for s, e in seps if s > ref_at], default=len(text))
    clause, rest = text[start:end], text[:start] + " . " + text[end:]
    if result_named:  # "evaluate our building mask against the reference footprints"
        rest = _GIVEN.sub(" ", _EXISTING.sub(" ", rest))
        done = [(a, b) for a, b in ask.sentences(rest) if _DONE.match(rest[a:b])]
        rest = ask.blank(rest, done)  # "I ran a supervised classification ...": made already
    rest = _MISSED.sub(" ", rest)  # "how many trees were missed" asks the assessment
    if _asks_for_products(rest, vocab):
        return True
    return (_asks_for_products(clause, vocab) and not _EXISTING.search(clause)
            and not result_named)


def read_files(req: RequestText, vocab: Vocabulary, given: Sequence[str] = ()) -> Files:
    """The role of every file ``req`` names, and of the files ``given`` with the scenes that
    it describes without naming them (:func:`named_mask`, :func:`given_assessment`,
    :func:`given_vector`).

    Args:
        req: The normalised request (``mentions`` in order of their masks in ``norm``).
        vocab: The planner vocabulary (``assess`` and ``per_zone`` cues, product intents).
        given: The paths of the scenes given with the request.

    Returns:
        The roles; rasters without one are the request's scenes.
    """
    text = req.norm
    mentions = req.mentions
    windows = _windows(text, len(mentions))
    masks = [m.start() for m in re.finditer(FILE_MASK, text)]
    ends = [m.end() for m in re.finditer(FILE_MASK, text)]
    out = Files()
    outputs = {i for i, (_, near) in enumerate(windows) if _OUTPUT.search(near)}
    out.outputs = list(dict.fromkeys(mentions[i] for i in sorted(outputs)))
    related = RELATED.search(text) is not None  # "the after image is b.tif, not a.tif"
    left = {i for i, (_, near) in enumerate(windows) if (m := _LEFT_OUT.search(near)) and not (
        related and m.group("not")) and excepted_here(text, masks[i])}  # not "apart from b.tif,
    # all scenes are from summer. map water in each": how things are
    left |= {i for i in range(1, len(windows)) if i - 1 in left and _LIST_ON.fullmatch(
        windows[i][1])}  # "except a.tif and b.tif"
    out.left_out = list(dict.fromkeys(mentions[i] for i in sorted(left)))
    candidates = [i for i in range(len(windows)) if i not in outputs and i not in left]
    labels_compared = any(_truth_name(mentions[i], _LABEL_NAMES) and
                          _COMPARED.search(windows[i][1]) for i in candidates)
    asked = ask.blank(text, ask.later_use_spans(text))  # "so I can check them later"
    if vocab.has("assess", asked) or labels_compared:  # "compare pred.tif with gt.tif"
        ref = next((i for i in candidates if _REFERENCE.search(windows[i][0])), None)
        back = [i for i in candidates[1:] if re.match(r"\W*against (?:it|them|this|that|those)\b",
                                                      text[ends[i]:])]
        if back:  # "... (a.geojson). check b.geojson against it": a is the reference
            ref = candidates[candidates.index(back[0]) - 1]
        if ref is None:
            ref = next((i for i in candidates if _truth_name(mentions[i])), None)
        named = {mentions[i] for i in candidates}  # (not the last of a set of chips, nor a
        # region: two files, or a region and a reference among the vector files)
        if ref is None and (len(named) == 2 or sum(
                bool(VECTOR_FILE.search(m)) for m in named) >= 2) and not _REGION_CUE.search(
                windows[candidates[-1]][1]) and (labels_compared or vocab.has(  # "i'm validating
                    "assess", asked if _SAME.search(asked) else ask.blank(  # task 143." asks
                        asked, ask.statement_spans(asked)))):  # nothing ("do the same": it does)
            vec = [i for i in candidates if VECTOR_FILE.search(mentions[i])]
            ref = vec[0] if len(named) == 2 and len(vec) == 1 and not _REGION_CUE.search(
                windows[vec[0]][1]) else candidates[-1]  # a scene and the polygons to check
            # its outlines against; "find the pivots inside aquifer.geojson": a region
        if ref is not None:
            out.assess, out.reference = True, mentions[ref]
            candidates = [i for i in candidates if mentions[i] != out.reference]
            results = [i for i in candidates if not _REGION_CUE.search(windows[i][1]) and (
                VECTOR_FILE.search(mentions[i]) or _truth_name(mentions[i], _RESULT_NAMES)
                or (_ASSESSED.search(windows[i][1])  # "how good is the tile x.tif against
                    and not re.search(r"\b(?:of|from|on|in|for)\s*$", windows[i][1])  # (not
                    # "the water map of s1.tif against ...": s1.tif is the scene)
                    and re.match(r"\W*(?:against|versus|vs)\b", text[ends[i]:])))]  # ..."
            context = ask.blank(text, ask.background_spans(text))  # "the report gives ..."
            described = [m.span() for m in _DESCRIBED.finditer(context)]
            results += [i for i in candidates if i not in results and not VECTOR_FILE.search(
                mentions[i]) and any(a <= masks[i] < b for a, b in described)]
            context = ask.blank(context, described)  # the products' names ask for nothing
            out.make = not all(VECTOR_FILE.search(m) for m in mentions) and _makes_first(
                context, masks[ref], vocab, bool(results))  # two vector files: nothing to make
            if not out.make:
                results += [i for i in candidates if not _REGION_CUE.search(windows[i][1])]
            if results and not out.make:
                out.result = mentions[results[0]]
                candidates = [i for i in candidates if mentions[i] != out.result]
    boxes = [i for i in candidates if VECTOR_FILE.search(mentions[i]) and (
        _BOX_PROMPTS.search(windows[i][1]) or _AS_PROMPTS.search(text[ends[i]:]))]
    if boxes:  # "segment the buildings using the boxes in b.geojson as prompts"
        out.boxes = mentions[boxes[0]]
        candidates = [i for i in candidates if mentions[i] != out.boxes]
    vectors = [mentions[i] for i in candidates if VECTOR_FILE.search(mentions[i])]
    if vectors and vocab.has("per_zone", text):
        out.zones = vectors.pop(0)
    masks_in = [mentions[i] for i in candidates if not VECTOR_FILE.search(mentions[i])
                and _IN_MASK.search(windows[i][1])]  # "inside the flood extent flood.tif"
    out.region = vectors[0] if vectors else masks_in[0] if masks_in else None
    if given:
        if out.region is None:  # "on the cropland mask" with cropland_mask.tif given
            out.region = named_mask(text, list(given))
        given_assessment(text, list(given), mentions, out, vocab)
        given_vector(text, list(given), mentions, out, vocab)  # "inside the polygon" with
        # aoi.geojson given
    return out


_IN_MASK = re.compile(r"\b(?:inside|within|in|over|across|on|onto)\s+"
                      r"(?:the\s+|a\s+|our\s+|my\s+|this\s+)?"
                      r"(?:[a-z-]+\s+){0,2}(?:extent|mask|footprint|outline|boundary|zone)s?"
                      r"\s*[(,:]?\s*$")
"""A raster named as the mask the work is done inside ("the buildings inside the flood extent
flood.tif", "overlay the flood on the cropland mask crops.tif"): the region, no scene."""


def named_mask(text: str, paths: list[str]) -> str | None:
    """A given raster the text names only by description as the mask the work is done inside
    ("overlay the flood extent on the cropland mask" with ``cropland_mask.tif`` among two or
    more scenes): the region. Its file name has the kind word and the describing word."""
    if len(paths) < 2:
        return None
    for m in re.finditer(r"\b(?:inside|within|over|across|on|onto)\s+(?:the|a|our|my|this)"
                         r"\s+((?:[a-z-]+\s+){0,2})(mask|extent|boundary|zone|aoi)s?\b", text):
        said = set(m.group(1).split()) - {"same", "given", "other"}
        named = [p for p in paths if m.group(2) in (tokens := set(re.split(
            r"[^a-z]+", PurePath(p).stem.lower()))) and said & tokens]
        if len(named) == 1:  # (two that fit are both scenes: "the flood extent of each")
            return named[0]
    return None


_OBJECTS_FILE = re.compile(r"(?:^|[^a-z])(?:buildings?|roads?|trees?|points?|boxes|box|labels?|"
                           r"osm|templates?|detections?|footprints?|ships?|objects?|crowns?|"
                           r"tracks?|lines?)(?:[^a-z]|$)")
"""A vector file named for the objects it holds (buildings.geojson, roads_osm.geojson): no
region."""
_GIVEN_REGION = re.compile(
    r"\b(?:inside|within|in|of|over|clip\w* to|crop\w* to|limited to|restricted to)\s+(?:the|my|"
    r"our|this|that|its|their)\s+(?:[\w-]+\s+){0,3}?(?:polygons?|boundary|boundaries|aoi|area of "
    r"interest|outline|perimeter|shapefile|footprint|zone|extent|parcel|field|stand|plot|"
    r"concession|buffer|district|municipality|catchment|basin|reserve|park|vector|geojson)\b|"
    r"\baoi\b|\barea of interest\b|\b(?:polygon|boundary|outline|perimeter)\s+(?:is\s+)?"
    r"attached\b|\battached\s+(?:polygon|boundary|outline|perimeter|shapefile)\b")
"""Where the work is done, said of a vector file given beside the scene but not named in the
text ("total AGB inside the polygon", "mean NDVI of the field polygon", "AOI attached", "in
AOI", "the polygon attached")."""


def _named_place(path: str, text: str) -> bool:
    """Whether the text names the place a vector file is named for, where the work is done
    ("only inside the protected area" of protected_area.geojson, "over the orchard" of
    orchard.geojson, "the watershed" of watershed.gpkg)."""
    words = [w for w in re.split(r"[^a-z]+", PurePath(path).stem.lower()) if len(w) > 2]
    if not words or len(words) > 3:
        return False
    place = r"[\s_-]+".join(re.escape(w) for w in words)
    if re.search(r"\b(?:outside|separately|whole scene|entire scene|beyond|except|share)\b", text):
        return False  # ("the mean for the protected area and outside it": the whole scene)
    relation = (r"(?:(?<!\d m )(?<!\d km )\b(?:inside|within|in|over|for|clip\w* to|limited to|"
                r"restricted to)|(?<!outside )(?<!north )(?<!south )(?<!east )(?<!west )"
                r"(?<!stream )(?<!near )(?<! m )(?<!km )(?<!side )\bof)")  # (not "north of")
    return re.search(rf"{relation}\s+(?:the|my|our|this|that|its|each)\s+(?:[\w-]+\s+){{0,2}}?"
                     rf"{place}s?\b", text) is not None


def given_assessment(text: str, paths: list[str], mentions: list[str], files: Files,
                     vocab: Vocabulary) -> None:
    """The truth and the product of an accuracy request whose files are given with the scenes
    but not named in the text ("accuracy of the water mask vs the reference" with
    water_mask.tif and ref_water.tif): the one file named as truth (label, ref, gt ...) is the
    reference; a vector file or one named as a product (mask, pred ...) is the result, else the
    product is made from the scene first. ``files`` is completed in place."""
    unnamed = [p for p in paths if p not in mentions]
    if files.assess or mentions or len(unnamed) < 2 or not vocab.has("assess", text):
        return
    truth = [p for p in unnamed if _truth_name(p)]
    if len(truth) != 1:
        return
    rest = [p for p in unnamed if p != truth[0]]
    products = [p for p in rest if VECTOR_FILE.search(p) or _truth_name(p, _RESULT_NAMES)]
    if not products and not _asks_for_products(text, vocab):
        return  # ("accuracy of the detections against the labels" with only the scene: no
        # product named or asked to be made)
    files.assess, files.reference = True, truth[0]
    if len(products) == 1 and len(rest) == 1:
        files.result = products[0]
    else:
        files.make = True


def given_vector(text: str, paths: list[str], mentions: list[str], files: Files,
                 vocab: Vocabulary) -> None:
    """The role of the one vector file given with the scenes but not named in the text: the
    zones of a per-zone summary, else the region when the text says where the work is done
    ("inside the polygon"); ``files`` is completed in place. A reference of an accuracy request
    or box prompts are left to the named-file rules."""
    vectors = [p for p in paths if VECTOR_FILE.search(p) and p not in mentions]
    if len(vectors) != 1 or files.assess or vocab.has("assess", text) or _truth_name(
            vectors[0]) or re.search(r"\b(?:against|versus|vs|boxes|prompts?)\b|\bcompar\w*\s+(?:"
                                     r"[\w-]+\s+){0,4}?(?:with|to)\s+(?:the\s+|our\s+|my\s+|this\s+)?"
                                     r"(?:[\w-]+\s+){0,2}?(?:polygons?|footprints?|layer|file|"
                                     r"shapefile|reference|geojson|cadastre|outlines?)\b", text) \
            or _OBJECTS_FILE.search(PurePath(vectors[0]).stem.lower()):
        return  # ("compare them against our cadastre polygons", "boxes from the attached
        # file", buildings.geojson, roads_osm.geojson: objects, no place to work in)
    if files.zones is None and vocab.has("per_zone", text):
        files.zones = vectors[0]
    elif files.region is None and files.zones is None and (_GIVEN_REGION.search(text) or (
            _named_place(vectors[0], text))):
        files.region = vectors[0]

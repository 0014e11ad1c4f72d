"""The offline planner: deterministic keyword-and-slot planning, no model, no network.

It reads the request (typos corrected, file names found), decides what is asked (see
:mod:`agent.planners.intents`) and writes the tool chain that answers it, in the plan format
of ``../shared/DESIGN.md``. SAR and hyperspectral scenes go through ``pseudo_rgb`` before
RGB-only specialists; two scenes become a before/after pair; three or more dated scenes with a
quantity become one step per date and a ``trend``. Requests that nothing applies to, or that
are out of scope (weather, downloads, routing ...), are declined with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial

from agent.plan import Plan, Scene
from agent.planners import (
    ask,
    clause_scenes,
    coverage,
    gsd_slots,
    pair_rules,
    products,
    ruled_out,
    scene_refs,
    search_slots,
    series,
    tool_review,
    topics,
)
from agent.planners import scenes as facts
from agent.planners.analysis import Analysis
from agent.planners.builder import Builder, SceneRef
from agent.planners.declines import IMAGE_WORDS
from agent.planners.files import read_files
from agent.planners.intents import analyse
from agent.planners.pair_order import ordered_pair, pair_scenes
from agent.planners.pair_steps import change_steps
from agent.planners.scope import RESULT_TOOLS, scene_options
from agent.planners.text import VECTOR_FILE, RequestText, read_request
from agent.planners.tool_model import scene_count
from agent.planners.vocab import get_vocabulary

NOTHING_APPLIES = (
    "I could not match this request to an EarthSight tool. I can describe a raster's metadata, "
    "make pseudo-RGB composites, compute spectral indices, map water, detect, count and "
    "segment objects, detect changes, estimate biomass, measure results, fit trends over "
    "dates, classify or search scenes, and caption or answer questions about a scene.")


class OfflinePlanner:
    """Deterministic planner from keywords and slots (the default, ``name = "offline"``)."""

    name = "offline"

    def __init__(self) -> None:
        """Compile the vocabulary from ``prompts/`` (once per process)."""
        self.vocab = get_vocabulary()

    def plan(self, request: str, scenes: Sequence[Scene] = ()) -> Plan:
        """Plan ``request`` over ``scenes`` (empty: scenes named in the text, else ``$image``):
        the rules' plan after the learned check of :mod:`agent.planners.tool_review`.

        Args:
            request: The analyst's request.
            scenes: The scenes it is about, with their modality when known.

        Returns:
            The plan; ``declined`` says why when nothing is planned.
        """
        return ruled_out.plan_as_said(request, self.vocab, partial(self._reviewed, scenes=scenes),
                                      self._names_work)

    def _names_work(self, part: str) -> bool:
        """Whether ``part`` names work a tool does: a class, an index or an intent of
        :data:`_WORK` ("vehicle counts", "the NDVI", "a water mask", "biomass")."""
        return self.vocab.names_work(read_request(part, None).norm, _WORK)

    def _reviewed(self, request: str, scenes: Sequence[Scene]) -> Plan:
        """The rules' plan of ``request`` after the learned check (see :meth:`plan`)."""
        req = read_request(request, self.vocab.corrector)
        n_scenes = scene_count((s.path for s in scenes), req, self.vocab)
        leaning = tool_review.probabilities(req.norm, n_scenes)
        plan = self._rules(request, scenes, req, leaning)
        if isinstance(plan, clause_scenes.JoinedPlan):
            return plan  # its parts were checked on their own words
        return tool_review.review(plan, req.norm, n_scenes, self.vocab, leaning)

    def _part(self, text: str, scenes: list[Scene]) -> Plan:
        """A part of a request asked of its own scenes, planned and checked on its own text
        (the whole request's wording says little of which tools one part needs)."""
        req = read_request(text, self.vocab.corrector)
        n_scenes = scene_count((s.path for s in scenes), req, self.vocab)
        leaning = tool_review.probabilities(req.norm, n_scenes)
        return tool_review.review(self._rules(text, scenes, req, leaning), req.norm, n_scenes,
                                  self.vocab, leaning)

    def _rules(self, request: str, scenes: Sequence[Scene] = (),
               req: RequestText | None = None, leaning: dict[str, float] | None = None) -> Plan:
        """The rules' plan of ``request`` (or of a part of it), with the tools the learned model
        is sure of added (:func:`agent.planners.tool_review.lean`); ``req``, ``leaning``: the
        request read and the model's probabilities, when known already (see :meth:`plan`)."""
        vocab = self.vocab
        req = req or read_request(request, vocab.corrector)
        if leaning is None:
            leaning = tool_review.probabilities(req.norm, scene_count(
                (s.path for s in scenes), req, vocab))
        files = read_files(req, vocab, [s.path for s in scenes])
        rasters = [s for s in scenes if not VECTOR_FILE.search(s.path)  # a vector is no scene,
                   and s.path not in (files.region, files.truth())]  # nor a mask it is
        # read inside, nor the truth an accuracy request compares against
        if kept := [s for s in rasters if s.path not in files.left_out]:
            rasters = kept  # "every image except b.tif"
        stated = facts.stated_modalities(req.norm, req.mentions, vocab)  # "a radar scene (a.tif)"
        paths = ([(s.path, s.modality or stated.get(s.path)) for s in rasters]
                 or [(f, stated.get(f)) for f in files.scenes(req.files)])
        guessed = dict(zip((p for p, _ in paths), facts.guess_modalities(
            [p for p, _ in paths], vocab), strict=True))
        moded = [(p, m or guessed[p]) for p, m in paths]
        if (joined := clause_scenes.plan_per_clause(request, moded, self._part,
                                                    req.norm)) is not None:
            return joined  # a different ask per scene (each part checked on its own text)
        named_all = scene_refs.names_all(req.norm, req.mentions, [p for p, _ in paths])
        chosen = [] if named_all or (  # "flood in s1.tif with the buildings of the optical b.tif"
            len(paths) == 2 and (topics.pair_class_change(req.norm, vocab)
                                 or topics.event_objects(req.norm, vocab))) else (
            scene_refs.referenced(  # "changed in the first image" names no scene to pick
                ask.blank(req.norm, ask.background_spans(req.norm)),  # context picks none
                moded, roles=not (clause_scenes.relates(req.norm) or vocab.has("change",
                                                                              req.norm)),
                context=req.norm))
        # ("is it flooded in the post-disaster image": a role picks a scene when nothing
        # relates the scenes)
        picked, given, every = [paths[i][0] for i in chosen], len(paths), [p for p, _ in paths]
        paths = [paths[i] for i in chosen] or paths
        a = analyse(req, vocab, len(paths), files)
        if a.declined:
            return self._decline_or_rest(request, scenes, paths, a.declined)
        if a.trend and not a.trend_strong and series.total_of_chips(req.norm,
                                                                      [p for p, _ in paths]):
            a.trend = False  # "the total number of vehicles across all images" of chips
        leaned = tool_review.lean(a, leaning, len(paths), req.norm, vocab)
        sensors = [m for _, m in moded] if len(paths) == 2 else []
        if pair_rules.across_sensors(a, req.norm, sensors):  # radar against optical
            leaned = [t for t in leaned if t != "detect_changes"]
        if files.zones is not None and not (a.indices or a.biomass):
            files.region, files.zones = files.region or files.zones, None
        if not scenes and len(paths) == 2 and a.trend:
            paths = [(p, None) for p in facts.year_range(paths[0][0], paths[1][0])]
        found = [SceneRef(p, m or (guessed[p] if p in guessed else facts.guess_modality(
            p, vocab)) or a.text_modality)
                 for p, m in paths]
        if a.indices and a.threshold is None and found and a.product is None and all(
                products.names_index(s.path, a.indices[0]) for s in found):
            a.product, a.indices = "mean", []  # "ndvi_2011_005.tif": given, not computed
        b = Builder(vocab, a)
        for old, new in req.corrections:
            b.note(f"read {old!r} as {new!r}")
        for note in a.notes:
            b.note(note)
        if left := [s.path for s in scenes if s.path in files.left_out and s not in rasters]:
            b.note(f"left out as asked: {', '.join(left)}")
        if picked:
            b.note(f"the request refers to {', '.join(picked)} of the {given} scenes given: only "
                   f"{'that one is' if len(picked) == 1 else 'those are'} analysed")
            if scene_refs.SEASON.search(req.norm):
                b.note("seasons read from the months in the file names, for the northern "
                       "hemisphere (winter: December to February, summer: June to August)")
        if a.assess_only:
            for result in ([files.result] if files.result else [s.path for s in found]
                           or ["$image"]):
                b.assess(result)
        elif not found and req.vectors and not req.folders and products.vector_only(a, req.norm):
            products.measure_vector(b, a, req.vectors[0], req.norm)
        else:
            _build(b, a, req, found)
            if files.assess:
                made = [s.id for s in b.steps if s.tool in RESULT_TOOLS]
                for result in ([f"${made[-1]}"] if made else [s.path for s in found]
                               or ["$image"]):
                    b.assess(result)
        if not b.steps and (a.question or a.caption) and (
                found or req.folders or IMAGE_WORDS.search(req.norm)):
            for scene in found or [SceneRef("$image", a.text_modality)]:
                b.describe(scene, request.strip())
            b.note(f"{_NO_SPECIFIC}: the question goes to describe_scene ("
                   f"{', '.join(s.path for s in found) or '$image'})")
        if not b.steps:
            return Plan(request=request, declined=NOTHING_APPLIES)
        tool_review.complete(b, leaned, leaning)
        scene_options(b.steps, a, b.pair, b.note, [s.path for s in found], every)
        return Plan(request=request, steps=b.steps, notes=b.notes,
                    not_done=coverage.not_done(request, b.steps, vocab, len(found)))


    def _decline_or_rest(self, request: str, scenes: Sequence[Scene],
                         paths: list[tuple[str, str | None]], reason: str) -> Plan:
        """Decline, unless the request has scenes and only some clauses are out of scope:
        then plan the others and report the out-of-scope ones as not done."""
        parts = [q for part in coverage.clauses(request) for p in coverage.colon_parts(part)
                 for q in _ASKED_NEXT.split(p)]
        if not paths or len(parts) < 2:
            return Plan(request=request, declined=reason)
        norms = [read_request(p, None).norm for p in parts]
        why = [analyse(read_request(p, self.vocab.corrector), self.vocab, len(paths)).declined
               for p in parts]  # each part's own reason
        asking = any(ask.is_ask(n) and not w for n, w in zip(norms, why, strict=True))
        chain = _CHAIN.search(request) is not None
        keep = [p for p, n, w in zip(parts, norms, why, strict=True) if not w and (
            ask.is_ask(n) or gsd_slots.find_gsd(n)[0].values or (asking and ask.carries_threshold(
                n)) or (chain and not _VERB.search(n) and (self._names_work(p) or _UNIT.search(
                n))))]  # ("GSD 0.5 m.", "the water mask comes from a -17 dB VV threshold." stay
        # beside a planned ask; so do a chain's later steps: "cloud mask first, then NDVI > 0.4")
        if not keep or len(keep) == len(parts):
            return Plan(request=request, declined=reason)
        rest = self._rules(" ".join(keep), scenes)
        asks = [p for p in re.split(r"(?<=[.?!])\s+", request.strip())
                if ask.is_ask(read_request(p, None).norm)]
        if not rest.steps or (any(n.startswith(_NO_SPECIFIC) for n in rest.notes) and (
                len(asks) <= 1 or re.search(r"\b(will|would|should|could|might|must)\b",
                                            " ".join(keep), re.IGNORECASE))):
            return Plan(request=request, declined=reason)  # only a picture question is left
            # of the one asking sentence ("who owns it now, the county or the city?") or it asks
            # what will be ("when will it ship, and what will it sell for?"): all declined
        not_done = coverage.not_done(request, rest.steps, self.vocab, len(paths))
        not_done += [f"{p.strip()!r}: {w}" for p, w in zip(parts, why, strict=True)
                     if w and p.strip().rstrip(".?!;") not in " ".join(not_done)]  # (said once)
        return rest.model_copy(update={"request": request, "not_done": not_done})


_REGEX_CACHE = 4096
"""Compiled expressions the ``re`` module keeps: the rules' inline patterns outnumber its
default 512, which made it compile some again for every request."""
re._MAXCACHE = max(re._MAXCACHE, _REGEX_CACHE)  # type: ignore[attr-defined]
_ASKED_NEXT = re.compile(r",\s+and\s+(?=(?:when|how long|will|would)\b)", re.IGNORECASE)
"""A question of its own after "and" ("..., and when will it go down?")."""
_CHAIN = re.compile(r"\b(?:then|first|next|finally|after that|afterwards|step\s*\d)\b",
                    re.IGNORECASE)
_VERB = re.compile(r"\b(?:is|are|was|were|has|have|had|did|does|do|saw|see|seen|shows?|showed|"
                   r"said|says|will|would)\b")
_UNIT = re.compile(r"\b(?:in|as)\s+(?:ha|hectares?|km2|m2|acres?)\b")
"""A verbless step of a chain that names its work or its unit ("..., then NDVI with threshold
0.4, then area in ha"), planned beside an out-of-scope step."""
_WORK = ("water_strong", "biomass", "composite", "classify", "detect", "segment", "change",
         "trend", "metadata", "caption", "search")
"""Intents whose words name work a part of a request may rule out ("no water mask")."""
_NO_SPECIFIC = "no specific tool applies"
"""The note of a plan whose only step is the picture question, the fallback."""


_ON_HITS = re.compile(r"\b(on|for|in|of) (those|these|the|each of the) (hits|results|matches|"
                      r"retrieved \w+)\b")
"""Steps asked of what a search returns, not words of its query."""
_HOW_CHANGED = re.compile(r"\bhow (did|has|have|does|do|will) (the )?[\w ]{0,30}?\b(chang|evolv|"
                          r"develop)\w*\b")
"""How an index developed over two dated scenes ("how did NDVI change from 2019 to 2024"): its
values per date and their trend."""


def _build(b: Builder, a: Analysis, req: RequestText, scenes: list[SceneRef]) -> None:
    """Write the steps: metadata, composites, search, classification, then per-date trend,
    a before/after pair, or the single-scene capabilities for each scene, then captions."""
    raw = req.raw
    if a.product is not None:  # a land-cover / biomass / index raster given: as it is
        products.finished(b, a, scenes)
        return
    if a.metadata:
        for scene in scenes or [SceneRef("$image", None)]:
            b.add("describe_raster", image=scene.path)
    if a.composite:
        for scene in scenes or [SceneRef("$image", a.text_modality)]:
            b.composite(scene)
    search_ref = None
    if a.search:
        archive = (req.folders[0] if req.folders else scenes[0].path if len(scenes) == 1
                   else search_slots.archive_of([s.path for s in scenes]) if scenes else "$image")
        search_ref = b.search(a.query or ask.intent_sentence(raw, b.vocab, ("search",)), archive,
                              _ON_HITS.search(req.norm) is not None)
    if a.classify:
        images = ([search_ref] if search_ref else [b.rgb(s) for s in scenes]) or (
            list(req.folders) or ["$image"])  # labels asked of the hits of a search
        b.add("classify_scene", images=images, labels=a.labels)
    scenes_left = [] if search_ref is not None else scenes
    n = len(scenes_left)
    dated = n >= 2 and len({facts.file_date(s.path) for s in scenes_left} - {None}) == n and (
        a.trend or not facts.different_sites([s.path for s in scenes_left], b.vocab))
    one_date = facts.one_acquisition([s.path for s in scenes_left])  # tiles: no trend
    trend = not one_date and a.quantity and ((n >= 3 and (dated or a.trend)) or (n == 2 and (
        a.trend_strong or (dated and bool(a.indices) and _HOW_CHANGED.search(
            req.norm))))) \
        and not (n >= 3 and a.change_target and a.change_event and not a.trend_strong) and (
            a.trend_strong or not topics.WHICH_IMAGE.search(req.norm) or bool(topics.RANKS.search(
                req.norm)))  # "how much forest was lost over these years": the change from the
    # first to the last date; "in which of the frames is a ship in the dock": no trend
    if n == 0 and search_ref is None and a.trend_strong and a.quantity:
        scenes_left, trend = [SceneRef("$before", a.text_modality), SceneRef("$after",
                                                                         a.text_modality)], True
        b.note("no scenes given: the plan shows two dates; a real run uses one per scene")
    paired = [i for i in a.indices if i in b.vocab.pair_index.values() or a.index_change]
    # ("where NDVI dropped by more than 0.3": the index's change over the pair)
    if not trend and paired and n in (0, 2):  # dNBR: one step over the pair
        burn = (ordered_pair(scenes_left, raw, b.note) if n == 2 else
                (SceneRef("$before", a.text_modality), SceneRef("$after", a.text_modality)))
        severity = b.burn_pair(*burn, paired[0], a.indices[0] == paired[0])
        b.mask_amount(severity)
        if a.files.zones is not None and a.threshold is None:  # "the mean dNBR of each stand
            # in stands.gpkg" (values; a burned area per polygon is the mask's)
            b.values_in(a.files.zones, severity)
        a.indices = [i for i in a.indices if i not in paired]
        if not (a.indices or a.detect or (a.segment and a.classes) or a.water or a.biomass):
            _describe(b, a, raw, [burn[1]])  # ("count the polygons": the mask's own)
            return
    if trend:
        _describe(b, a, raw, series.plan(b, a, req.norm, scenes_left)[:1])
        return
    pair = pair_scenes(a, scenes_left, raw, b.note)
    if pair is not None:
        _pair(b, a, req, pair)
        return
    if a.search and search_ref is not None:
        return
    targets = scenes_left or ([] if a.classify or a.search else
                              [SceneRef("$image", a.text_modality)])
    for scene in targets:
        _single(b, a, scene, partial(_applies, b, a, raw, scene, targets))
    _describe(b, a, raw, scenes_left or [SceneRef("$image", a.text_modality)])


def _pair(b: Builder, a: Analysis, req: RequestText, pair: tuple[SceneRef, SceneRef]) -> None:
    """Before/after: the change steps (:func:`agent.planners.pair_steps.change_steps`), then a
    caption of the later scene when asked."""
    change_steps(b, a, req.norm, pair)
    _describe(b, a, req.raw, [pair[1]])


def _applies(b: Builder, a: Analysis, raw: str, scene: SceneRef, scenes: list[SceneRef],
             capability: str) -> bool:
    """Whether ``capability`` of a request over several scenes is meant for ``scene``.

    Clauses that name their scene bind the capability to it ("water in the Sentinel-1 scene,
    and NDVI of the Landsat-8 scene"); unbound indices skip SAR scenes when optical ones exist.
    """
    if len(scenes) < 2:
        return True
    v = b.vocab
    hits: dict[str, Callable[[str], bool]] = {
        "objects": lambda t: any(v.has(i, t) for i in ("detect", "count", "segment",
                                                        "object_area")),
        "water": lambda t: v.has("water_strong", t) or v.has("water_weak", t),
        "index": lambda t: any(n.lower() in t.split() for n in a.indices),
        "biomass": lambda t: v.has("biomass", t),
    }
    bound = facts.bound_paths(raw, hits[capability], [(s.path, s.modality) for s in scenes], v)
    if bound is not None:
        return scene.path in bound
    if capability == "index" and scene.modality == "sar":
        return all(s.modality == "sar" for s in scenes)
    return True


def _single(b: Builder, a: Analysis, scene: SceneRef, applies: Callable[[str], bool]) -> None:
    """Everything asked of one scene: objects, water, indices, biomass, values in zones."""
    if (a.zone is not None or a.files.zones is not None) and (a.indices or a.biomass):
        if a.detect and applies("objects"):
            b.objects(scene)
        if a.water and not (a.zone and a.zone.water) and applies("water"):
            b.water(scene)
        b.zonal(scene, a.files.zones)
        return
    if a.in_water and applies("objects"):  # "how many buildings are inside the flood?"
        b.objects(scene, region=b.water(scene))
    elif (a.detect or (a.segment and (a.classes or not (a.water or a.indices or a.biomass)))
          or (a.object_area and a.classes)) and applies("objects"):
        b.objects(scene)
    if a.water and not a.in_water and applies("water"):
        ref = b.water(scene)  # map_water reports ha and km² itself, no other unit
        if a.units not in (None, "ha", "km2"):
            b.in_units(ref)
    region = None
    if a.biomass and a.indices and isinstance(a.threshold, float):
        region = b.index(scene, a.indices[0])
        b.note(f"biomass of {scene.path} limited to its {a.indices[0]} mask")
    elif applies("index"):
        for i, name in enumerate(a.indices):
            ref = b.index(scene, name, first=i == 0)
            b.mask_amount(ref, None if i == 0 else name)
    if a.biomass and applies("biomass"):
        if region is None and a.change_region:
            b.note(f"biomass over the whole of {scene.path}: one scene cannot show change")
        b.biomass(scene, region)


def _describe(b: Builder, a: Analysis, raw: str, scenes: list[SceneRef]) -> None:
    """Caption / question steps, one per scene, when asked for."""
    if not (a.caption or a.vqa):
        return
    question = ask.intent_sentence(raw, b.vocab, ("caption", "presence", "attribute"))
    for scene in scenes:
        b.describe(scene, question)

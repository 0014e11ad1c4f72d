"""What a request asks for: intents and slots, read from the normalised request text."""

from __future__ import annotations

import re

from agent.planners import (
    ask,
    band_slots,
    change_slots,
    composite_slots,
    cover_areas,
    cover_classes,
    declines,
    gsd_slots,
    index_change,
    index_thresholds,
    label_slots,
    named_amounts,
    number_words,
    object_nouns,
    object_sets,
    option_labels,
    outline_nouns,
    pair_rules,
    per_scene,
    picture_questions,
    products,
    scenes,
    search_slots,
    series_slots,
    slots,
    spatial,
    statistic_slots,
    topics,
    unit_slots,
    water_objects,
    yes_no_labels,
)
from agent.planners.analysis import Analysis
from agent.planners.files import Files
from agent.planners.text import RequestText
from agent.planners.vocab import Vocabulary

_AMOUNT = re.compile(r"\bhow many (square |sq )?(km|kilomet\w*|met(?:er|re)s|hectares?|ha|acres?|"
                     r"miles?|m2|km2|pixels?|tonnes|tons|megagrams|mg)\b")  # an amount, no count
_ANALYSIS = re.compile(
    r"\b(compute|calculate|count\w*|how many|how much|map the|map all|measure\w*|area|extent|"
    r"detect\w*|estimate|quantif\w*|percent\w*|share|fraction|hectares?|km2|m2|statistics?|"
    r"mean|average|threshold|mask|find|segment\w*|outline|delineat\w*|locate|identify|"
    r"classif\w*|search|spot|then|also|is there|are there|does|first|second|two things)\b")
"""Words that ask for a number or a map: a visualisation request without them is a picture."""


_MAKES = re.compile(r"\W*(?:to|in order to|so|so that) (?:it |they |the \w+ )?(?:make|create|"
                    r"produce|render|generate|build|get|shows?|displays?|looks?)\b")
"""A purpose clause that makes or shows the picture itself ("use the cube to make a pseudo-RGB",
"stretch it so it displays properly"), not one that uses pictures ("to check that band on May
composites")."""


_NO_SPECKLE = re.compile(r"\b(?:no|without|skip\w*|don'?t|do not|disabl\w*|turn(?:ed)? off|"
                         r"not)\s+(?:any\s+|the\s+|a\s+)?(?:speckle|lee)\b(?![^.;]{0,40}\bapply\b)|"
                         r"\bspeckle[\s-]?filter\w*\s+(?:off|disabled|false|not needed)\b")
"""A speckle filter refused ("without speckle filtering", "no speckle filter")."""


def analyse(req: RequestText, vocab: Vocabulary, n_scenes: int,
            files: Files | None = None) -> Analysis:
    """Read intents and slots from a normalised request.

    Args:
        req: The normalised request.
        vocab: The planner vocabulary.
        n_scenes: How many scenes the request is about (given, or named in the text).
        files: The roles of the files the request names (see :mod:`agent.planners.files`).

    Returns:
        The analysis; ``declined`` set when the request is out of scope.
    """
    t = slots.shared_heads(number_words.numerals(req.norm, vocab), vocab)
    asked = ask.blank(req.plain, ask.background_spans(req.plain)  # context declines nothing
                      + ask.later_use_spans(req.plain) + ask.reported_spans(req.plain))
    a = Analysis(declined=declines.decline(asked, vocab, n_scenes), files=files or Files())
    if a.declined:
        return a
    has = vocab.has
    # GSD, bbox and IoU numbers are no thresholds or filters, and their words no cues.
    a.gsd, gsd_spans = gsd_slots.find_gsd(t, req.mentions)
    a.bbox, box_spans = spatial.find_bbox(t)
    a.iou_threshold, iou_spans = (spatial.find_iou_threshold(t) if a.files.assess
                                  else (None, []))
    t = ask.blank(t, gsd_spans + box_spans + iou_spans + spatial.region_name_spans(  # "the lake
        t, req.mentions, {f for f in (a.files.region, a.files.zones) if f}))  # outline (l.gpkg)"
    t = composite_slots.blank_temporal(t)
    full = t  # labels may be listed in a context sentence ("the classes are: water, ...")
    t = ask.blank(t, ask.background_spans(t) + ask.later_use_spans(t))  # context: no intent
    if has("composite", t):  # "so that water looks dark" asks for no water ("use the cube to
        t = ask.blank(t, [s for s in ask.purpose_spans(t)  # make a pseudo-RGB" asks for one)
                          if not (has("composite", t[s[0]:s[1]]) and _MAKES.match(t, s[0]))])
    if a.files.assess:  # "compare the mask with the reference" asks for no change
        t = re.sub(r"\bcompar\w*", lambda m: " " * len(m.group(0)), t)

    # Spans whose words are labels, a search query or zones, not object classes to detect.
    skip: list[tuple[int, int]] = []
    label_span: tuple[int, int] | None = None
    values = [n for n, _ in slots.find_indices(t, vocab)]
    if (values or has("biomass", t)) and not set(values) & vocab.water_indices:
        a.zone = spatial.find_zone(t, vocab)
        if a.zone is not None:
            skip.append(a.zone.span)
            a.zone_statistic = spatial.zone_statistic(t)
    if a.files.zones is not None:
        a.zone_statistic = spatial.zone_statistic(t)
    a.classify = has("classify", t) and not has("classify_pixels", t) and has(
        "classify", re.sub(r"\b(classified|classification)\b(?! (of|into)\b)", " ", ask.blank(
            t, [(i, j) for i, j in ask.statement_spans(t) if not _LABEL_VERB.search(t, i, j)])))
    # statements name no classification ("daily imagery with monthly land-cover labels.")
    query_span = search_slots.read(a, t, vocab, n_scenes, req.folders)
    if a.search and a.top_k is None:  # "... show landslides? Top 3.": a fragment, no ask
        a.top_k = search_slots.find_top_k(full, vocab)
    skip += [query_span] if query_span else []
    offered, labels = option_labels.offered(full, label_slots.find_labels(
        full, vocab, n_scenes), vocab)  # ("options: forest, water or before")
    if offered and option_labels.change_answers(t, vocab):  # "what changed? a) water b)
        offered = False  # road": the change map
    words, (i, j) = labels or ([], (0, 0))
    objects = bool(words) and (has("count", t) or offered) and all(map(vocab.canonical_class,
                                                                       words))
    # ("which of the objects is present? a) plane b) ship": classes to detect, no labels)
    listed = bool(words) and (offered or label_slots.which_and(full, vocab, n_scenes) is not None
                              or (topics.ASKS_LABEL.search(t) is not None
                                  and re.search(r"\bor\b", full[i:j]) is not None))
    if (labels and ((a.classify and not (offered and objects)) or (listed and not objects))) or (
            n_scenes > 1 and (labels := yes_no_labels.presence_labels(t, vocab))) or (
            labels := yes_no_labels.land_use_labels(t)):
        a.labels, span = labels  # "for each tile, do you see oil palm?": [oil palm, no oil palm]
        a.classify, label_span = True, span
        skip.append(span)
        search_slots.yield_to_labels(a, query_span, span)
        t = ask.blank(t, [span]) if offered else t  # ("a) forest b) water": no index, no water)
    elif offered and objects:
        a.classify = False  # "which class is absent? a) ship b) plane": the classes detected
    cover, incidental = object_nouns.no_class_spans(t)
    names = spatial.place_names(req.raw, t)
    a.classes = ((slots.find_classes(t, vocab, skip + cover + incidental, names) if incidental
                  else []) or ([] if incidental and object_nouns.counted_nouns(  # "how many log
                      ask.blank(t, incidental), vocab) else  # piles are along the road"
                      slots.find_classes(t, vocab, skip + cover, names)))
    if a.classes and not slots.find_classes(t, vocab, skip + cover, names, places=False) and \
            object_nouns.counted_nouns(t, vocab):  # "count the gulls in the frames of the pier"
        a.classes = []  # the places only locate; the counted noun is the object
    if a.classes and object_nouns.asks_unknown(ask.blank(t, skip + cover), vocab):
        a.classes = []  # "how many cracks" in the photo of the bridge: the bridge places them
    if a.classes and (stated := ask.statement_spans(t)) and ((noun := outline_nouns.own_noun(
            ask.blank(t, stated), vocab)) or len(a.classes) > 1):  # "it shows streets full of
        a.classes = slots.find_classes(ask.blank(t, stated), vocab, skip + cover, names) or (
            [] if noun else a.classes)  # cars. count the vehicles": the ask's own classes; "the
        # helicopter crew sent it ... outline every slip": the ask's own noun
    a.classes = a.classes or object_nouns.antecedent_classes(t, full, vocab, skip + cover)
    asks, t = t, ask.blank(t, skip)  # label lists, queries and zones name no other intent
    a.min_confidence, conf_spans = slots.find_confidence(t)
    ruled = ask.blank(t, ask.stated_spans(t))  # "the audit found 532 sites over 115 ha"
    a.min_area_m2, a.max_area_m2, area_spans = unit_slots.find_area_filters(ruled)
    a.min_length_m, length_spans = unit_slots.find_length_filter(ruled)
    used = conf_spans + area_spans + length_spans
    a.units = unit_slots.find_output_units(ask.blank(t, area_spans))  # "under half a ha ... in km2"
    a.length_units = unit_slots.find_length_units(t)
    a.oriented = slots.find_oriented(t)
    a.wgs84 = composite_slots.find_wgs84(t)
    tile = re.search(r"\b(\d{2,5})\s*(?:x\s*\d{2,5}\s*)?(?:px|pixels?)\s+(?:windows?|tiles?|"
                     r"patch(?:es)?|slices?|chips?|crops?)\b|\b(?:(?:patch|tile|window|slice|chip)"
                     r"\s+size|tiles|windows|patches)\s*(?:of\s*)?(?:around\s*|about\s*|~\s*|"
                     r"roughly\s*)?(\d{2,5})\b(?!\s*(?:m|km|metres?|meters?)\b)", t)
    if tile:  # "slide 400 px windows", "a patch size of around 1000 px"
        a.tile_size = int(tile.group(1) or tile.group(2))
    a.text_modality = scenes.text_modality(t, vocab)

    named = slots.find_indices(t, vocab)
    asked_at = slots.computed_indices(t, vocab, topics.COMPUTE_BEFORE)
    if asked_at:  # "NDVI saturates, so compute EVI", "a thesis combined MNDWI and NDBI.
        named = [(n, asked_at[n]) for n, _ in named if n in asked_at]  # compute NDVI": asked
    a.indices = [n for n, _ in named]
    if "NDWI" in a.indices and "MNDWI" not in a.indices and re.search(
            r"\bgreen\b[^.?!;]{0,40}\b(swir|short[\s-]?wave infrared)|\bmodified\b", t):
        a.indices = ["MNDWI" if n == "NDWI" else n for n in a.indices]  # green and SWIR 1
    a.band_roles = band_slots.find_band_roles(t)  # "red (band 3) and near-infrared (band 4)"
    if named:
        index_thresholds.read(a, t, full, named, used)

    a.metadata = has("metadata", t)
    a.biomass = has("biomass", t)
    a.change = has("change", t)
    a.change_event = has("change_event", t)
    a.change_region = has("change_region", t)
    for text in (t, full):  # "300 acres of trees were lost. compare a.tif with b.tif": the
        a.change_target = a.change_target or (  # context says what the change is about
            "tree" if has("change_target_tree", text) else
            "building" if has("change_target_building", text) else
            "water" if has("change_target_water", text) and n_scenes == 2 else None)
        if not (a.change or has("change", text)):
            break
    a.change_map = n_scenes == 2 and has("change_map", t)
    a.change_threshold = change_slots.find_change_threshold(t)
    index_change.read(a, t, n_scenes)  # "where NDVI dropped by more than 0.3"
    a.change_method = change_slots.change_method(t)
    pair_class = topics.pair_class_change(t, vocab) if n_scenes == 2 and not a.index_change \
        else None
    if pair_class:
        a.change, a.change_target = True, pair_class  # "have the areas of water changed?"
    if (a.change_target or a.change_threshold is not None) and n_scenes in (0, 2):
        a.change = True  # "where were forests cleared between a.tif and b.tif"
    if a.metadata and a.change and not re.search(r"\b(chang|differen|lost|loss|gain|deforest|"
                                                 r"clear|new|gone|destr|damag|gr[eo]w|expan|"
                                                 r"shrink)\w*", t):
        a.change = False  # "for a comparison slide, what are the pixel sizes of a and b?"
    if a.change and per_scene.figures_per_scene(a, t):
        a.change = False  # "compare the total building area in both chips": a figure of each
    a.trend = has("trend", t)
    a.trend_strong = has("trend_strong", t)
    a.composite = has("composite", t) and not (re.search(  # "in this true-colour picture": the
        r"\b(in|on|from|of|at|with) (this|the|that|my|our|each|these) ([\w-]+ ){0,2}?((natural|"
        r"true|false)[\s-]colou?r|colou?r[\s-]infrared|cir|rgb|quicklooks?|thumbnails?|previews?|"
        r"(ndvi|evi|savi|ndwi|mndwi|nbr|median|mean|monthly|annual) composites?)\b", t)
        and not re.search(r"\b(make|create|render|produce|generate|give me|visuali[sz]e|display|"
                          r"show (me|it|them|xfilex|(the|this|these) \w+))\b", t))
    a.question = has("question", t)
    counts = re.sub(r"\b(band|channel|layer) counts?\b", " ", topics.COUNT_AS.sub(" ", ruled))
    # not "nasa counted 1.9 million acres"; "count pixels above 0.4 as vegetation": a class
    if a.labels:
        counts = topics.LABEL_COUNT.sub(" ", counts)  # "how many of each": the labels' tally
    a.count_words = has("count", counts)
    a.counting = has("counting", counts) and not _AMOUNT.search(t)  # "how many km of road"
    generic = has("generic_objects", t)
    detect_words = has("detect", t)
    a.detect = bool(detect_words or ((a.classes or generic) and has("count", _AMOUNT.sub(
        " ", counts))) or (a.classes and a.has_filter))
    a.segment = has("segment", topics.given_shapes(t, req.mentions)) or (
        has("classify_pixels", t) and bool(a.classes))
    a.count_outlines = a.segment and a.counting and not detect_words  # "segment ... how many"
    a.everything = has("everything", t)
    if a.everything and a.segment and not a.classes:
        a.detect = False  # "segment everything and count the objects": SAM's masks are counted
    a.object_area = has("object_area", t) or bool(  # "outline the slick, its area in km2"
        a.segment and a.units and not a.counting and not a.indices)

    water_index = any(n in vocab.water_indices for n in a.indices)
    tw = topics.no_water_plants(ask.blank(t, ask.statement_spans(t)) if a.indices else t)
    # "the water hyacinth mats": a plant; with an index named, water said in context asks none
    water_presence = re.search(r"\b(is|are) there (any |a |an |some |more |less |much )?"
                               r"(open |surface )?(water|lakes?|rivers?|ponds?|reservoirs?)\b",
                               tw) is not None
    weak_water = has("water_weak", tw) and (water_presence or not (
        a.classes or a.indices or a.labels or has("presence", t) or has("attribute", t)
        or (a.counting and object_nouns.counts_no_water(t, vocab))  # "count the deer on the
        or slots.topic_index(t, vocab) is not None  # "what burned between the rivers": NBR
        or not has("water_weak", (outline_nouns.outlined_noun(tw, vocab) or "water").split()[-1])))
    # frame" (of the river terrace); "outline the sediment plume off the river mouth": no map
    a.water = not water_index and (has("water_strong", topics.given_water(tw, req.mentions))
                                   or weak_water)  # not "inside the flood line f.geojson"
    if a.labels and n_scenes > 2:
        topics.labels_are_the_theme(a, t, vocab)
    a.water_db = spatial.find_db_threshold(t)  # "darker than -18 dB" (for any radar water map,
    # also one the learned review adds)

    statistic_slots.read(a, t, ruled, vocab)
    a.series_statistic = series_slots.series_statistic(t)
    if a.composite:
        composite_slots.read(a, t)
    a.speckle = False if _NO_SPECKLE.search(t) else True if re.search(
        r"\b(speckle|lee filter|despeckl\w*)\b", t) else None
    a.points = slots.find_points(t)

    picture_questions.read(a, t, full, req.folders, vocab, n_scenes)  # caption, yes/no, state
    if a.detect and a.classes and n_scenes <= 1 and re.search(
            r"\b(flooded|submerged|inundated|under water)\s+(\w+\s+)?\w+s\b|\b(inside|within|"
            r"in|under|affected by|reached by|hit by|intersect\w*( with)?|touched by)\s+(the |it|"
            r"them)?\s*(flood\w*|water|inundat\w*|it\b)", t) and (a.water or re.search(
                r"\b(flooded|submerged|inundated|under water)\b", t)):
        a.water = a.in_water = True  # "buildings inside the flood extent": detected there
    if n_scenes and ask.asks_why(t, req.norm):
        a.vqa, a.classify, a.change = True, False, False  # "why is the vegetation so bright?"
        a.detect = a.water = a.segment = a.biomass = a.trend = a.trend_strong = False
        a.classes, a.indices = [], []
    pair_change = a.change and n_scenes == 2
    pair = n_scenes == 2 or (n_scenes == 0 and has("pair_words", t))
    segment_objects = a.segment and bool(a.classes or a.everything)
    object_nouns.detect_named(a, t, vocab, counting=True)  # "how many penguins" (on snow)
    if a.vqa and n_scenes >= 2 and (a.change or a.trend) and (
            a.detect or a.water or a.change_target or a.indices):
        a.vqa = False  # "did the lake shrink?": the dates' maps answer it (one picture cannot)
    topic = None if a.indices else slots.topic_index(t, vocab)
    topic = cover_areas.area_by_class(a, t, topic, pair_change)  # "how has the forest area changed"
    topics.values_not_labels(a, t, vocab, n_scenes)  # "classify the burn severity into ..."
    if topic is None and not a.indices and n_scenes == 2 and (a.change or has("pair_words", t)) \
            and not (a.classes or a.change_target or re.search(r"\bchang", t)) \
            and topics.FIRE_EVENT.search(full):
        topic = "NBR"  # "the scenes before and after the Cazadores fire": burn severity
    if (topic or a.indices or a.water) and a.classify and not a.labels and re.search(
            r"\b(how much|area|share|percent\w*|fraction|proportion|hectares?|km2)\b", t):
        a.classify = False  # "classify the built-up pixels: what share?" maps them, no labels
    rgb = scenes.rgb_only(a.text_modality, req.mentions)
    if topic and not (a.water or a.biomass or (a.detect and a.classes) or segment_objects
                      or a.classify or (a.segment and rgb)  # no NIR band:
                      or a.search or a.vqa or a.caption or a.metadata  # "outline the weeds" by
                      or (a.files.assess and not a.files.make)) and (  # name; snow maps given
            not pair_change or (pair and topic in vocab.pair_index) or topic == "NDSI"):
        # "delineate the burn scar": the index mask outlines it; over a pair, dNBR; snow or
        a.indices, a.segment = [topic], segment_objects  # ice lost: its mask on each date
        a.change = a.change and topic != "NDSI"
        m = vocab.topic_patterns[topic].search(t)
        a.threshold, a.below = slots.find_threshold(t, m.start() if m else 0, used)
        if pair and topic in vocab.pair_index:
            a.indices, a.change = [vocab.pair_index[topic]], False
    pair_rules.index_presets(a, t, vocab, n_scenes)
    if a.segment and a.indices and not (a.classes or a.everything) and (  # "delineate the
            own := slots.topic_index(t, vocab)) and vocab.pair_index.get(  # burned area
            own, own) in [*a.indices, own]:  # with NBR": the index mask outlines it
        a.segment = False
    if a.indices and a.threshold is None and re.search(
            r"\blow[\s-](ndvi|ndwi|mndwi|nbr|ndsi|savi|evi|index|vegetation)\b|"
            r"\blow (ndvi|vegetation) (levels?|scores?|"
            r"values?)\b", t):
        a.below = True  # "map the low-NDVI areas"
    if detect_words and not (a.classes or generic or a.everything) and (
            not a.counting or a.water) and (
            a.indices or a.water or a.biomass or (a.change and n_scenes == 2)):
        a.detect = False  # "detect the burned area": the index, water or change map detects it
    elif detect_words and not (a.classes or generic or a.everything or a.counting) and \
            a.min_confidence is None and re.search(r"\bdetect(ion|ions|ed)\b", t) and \
            not re.search(r"\b(detect|redo|rerun|re run|repeat|again)\b", t):
        a.detect = False  # "the detections", "detection rate": a noun names no objects to find
    pair_rules.resolve(a, t, vocab, n_scenes, pair_class)
    make_map = re.search(r"\b(produce|generate|create|make|build|derive|map|provide|give me|"
                         r"get me|want|need)\b[^.?!;]{0,20}"
                         r"\b(land ?cover|land ?use|landuse|crop( type)?s?|vegetation( cover)? "
                         r"types?)( classification)? maps?\b|\bmap the crop types?\b", t)
    if make_map and not a.labels:
        a.classify = True  # "produce a land cover map": scene labels per tile, nothing given
    products.given_product(a, t, full, vocab, n_scenes, make_map is not None)
    if n_scenes >= 2 and has("set_question", t) and not (
            a.classify or a.detect or a.segment or a.water or a.indices or a.biomass or a.change
            or a.search or a.metadata or a.composite or per_scene.asks_figures(t, vocab)) and (
                topics.names_scene_label(t, vocab) or (not a.classes and re.search(
                    r"\b(which|what) (of )?(the |these |those )?(\d+ )?([\w-]+ ){0,2}(images|"
                    r"photos|pictures|tiles|scenes|chips|frames|patches)\b[^.?!;]{0,40}\b(shows?|contains?|"
                    r"depicts?|has|have|are|is|can)\b", t))):
        a.classify, a.vqa, a.caption = True, False, False  # "which of these photos show a port"
    if n_scenes >= 2 and not (named or a.classify or a.detect or a.search or a.metadata) and \
            topics.PICK_IMAGES.search(t) and not topics.RANKS.search(t):
        # "which of these scenes show flooded floodplain / active clearing": a label per image
        a.classify, a.vqa, a.caption = True, False, False
        a.water = a.change = a.trend = a.trend_strong = a.composite = False
        a.indices, a.threshold, a.change_target = [], None, None
    if a.classify and a.labels and a.detect and not (a.counting or a.segment) and \
            topics.CLASSIFY_AS.search(full) and not re.search(r"\bdetect (the|all|every|each)\b",
                                                              t):
        a.detect, a.classes = False, []  # "for each detected structure: classify it as oil, ..."
    if a.change and label_span and n_scenes >= 3 and not any(  # labels of a set of chips,
            a0 <= label_span[0] < b0 and has("change", full[a0:b0])  # no change in their
            for a0, b0 in ask.sentences(full)):  # sentence: "chips cut around change polygons"
        a.change, a.change_target = False, None
    if a.biomass and a.change_target == "tree":
        a.change_region = True  # "carbon lost to the clearing between the two dates"
    if a.composite and re.search(r"\bnot (a |an |the )?(colou?red |false colou?r |true colou?r )?"
                                 r"(visuali[sz]ations?|composites?|pictures?|rgb)\b", t):
        a.composite = False  # "the actual values, not a coloured visualisation"
    if a.composite and a.change and re.search(r"\bside by side\b", t) and not re.search(
            r"\b(how much|how many|area|percent\w*|share|hectares?|km2|mask|map the)\b", t):
        a.change = False  # "compare the composites side by side": pictures, no change map
    if a.composite and not _ANALYSIS.search(ask.blank(t, ask.statement_spans(t))):  # a picture
        a.water = a.detect = a.segment = a.vqa = False  # only: colours name no analysis
        a.search = a.search and bool(req.folders)  # (an archive is searched)
        a.change = a.change and bool(re.search(r"\b(chang\w*|differen\w*|compar\w*)\b", t))
        a.classes, a.indices = [], [n for n, _ in named]
    each = re.search(r"\b(?:classif\w*|label|sort|tag|grade)\s+(?:every|each|all(?: the)?|the)\s+"
                     r"([a-z]+)", t)  # "classify every building as damaged or ...": objects
    if a.classes and not (a.detect or a.segment or a.vqa or a.search or (a.change and not (
            n_scenes == 1 and topics.event_objects(t, vocab, asked=True))) or (
            a.classify and a.labels and not (each and vocab.class_pattern.search(each.group(1))))
            or a.indices or a.metadata):  # "how are the trees doing? NDVI": its subject
        a.detect = True  # a bare class ("ships in scene.tif?") asks for the objects
    cover_classes.read(a, asks, full, vocab, n_scenes)  # "map A, B and C: area of each"
    object_nouns.detect_named(a, t, vocab)  # "how many intersections?", "mark every oryx"
    named_amounts.read(a, t, vocab, n_scenes)  # "the total area of the craters"
    outline_nouns.outline_named(a, t, vocab, rgb, n_scenes)  # "the seagrass beds"
    object_sets.split(a, t, vocab, n_scenes)  # "count the boats, and outline the seagrass"
    water_objects.read(a, t, n_scenes, vocab)  # "how many shrimp ponds": objects, not open water
    if a.metadata and a.segment and not re.search(r"\b(outline|segment|delineate|trace|extract|"
                                                  r"digiti[sz]e|vectori[sz]e)\b", t):
        a.segment = False  # "overlapping footprints?" of two scenes: metadata
    if a.metadata and a.classify and not a.labels and not re.search(r"\bclassify\b", t):
        a.classify = False  # "is it a panchromatic or a colour image?": the header answers
    if a.files.assess and not a.files.make and (not a.labels or a.files.result):
        a.classify = a.detect = a.segment = a.water = a.biomass = False  # the result exists
        a.classes, a.indices = [], []
    return a


_LABEL_VERB = re.compile(r"\b(classify|label|sort|tag|assign|categori[sz]e|put)\b")

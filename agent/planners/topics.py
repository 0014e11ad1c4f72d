"""Topic slots: what a request is about when it names no object class or index.

* land-use and scene words ("which of these photos show a residential area") -> a question
  that ``classify_scene`` answers over a set of images;
* the patterns of a few event and selection topics (a fire between two scenes, picking or
  labelling the images of a set) that :mod:`agent.planners.intents` reads.
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis
from agent.planners.slots import topic_index
from agent.planners.text import VECTOR_FILE
from agent.planners.vocab import Vocabulary, participle, singular


def names_scene_label(text: str, vocab: Vocabulary) -> bool:
    """Whether ``text`` names a scene / land-use label ("residential", "farmland", "port")."""
    words = set(re.findall(r"[a-z]+", text))
    for label in vocab.scene_labels:
        parts = label.split()
        if parts and all(p in words or p.rstrip("s") in words for p in parts):
            return True
    return bool(words & _LAND_USE_WORDS)


_LAND_USE_WORDS = {"residential", "farmland", "cropland", "agricultural", "agriculture",
                   "industrial", "commercial", "urban", "rural", "forest", "forested", "desert",
                   "meadow", "grassland", "wetland", "park", "parking", "airport", "port",
                   "harbor", "harbour", "beach", "mountain", "river", "lake", "stadium",
                   "church", "school", "railway", "station", "highway", "village", "town",
                   "city", "suburb", "suburban", "orchard", "vineyard", "plantation", "land use",
                   "landuse", "flooded", "damaged", "snow", "cloud", "cloudy", "mine", "mining",
                   "quarry", "looting", "looted", "wellpad"}


_TREE_WORDS = {"vegetation", "forest", "forests", "woodland", "canopy", "tree", "trees",
               "greenery", "green"}

_WATERS = (r"water|lakes?|rivers?|reservoirs?|flood(?:ed)? areas?|flooding|water (?:area|body|"
           r"bodies|extent|surface)")
_COVER_GREW = (r"\b(?:has|have|did|is|are|was|were) (?:the |any )?{cover}(?:\s+(?:inside|within|"
               r"in|along|around|near|on) (?:[^.?!;]|\.\d){{1,80}}?)?\s+(?:area\s+|extent\s+)?"
               r"(?:been\s+)?(?:chang|increas|decreas|grow|grew|grown|shrink|shrank|shrunk|expand|"
               r"declin|reduc|rise|rose|risen|drop|recede|receded|retreat)")
"""A cover asked whether it grew or shrank ("has the lake shrunk?", "has the forest inside the
box ... decreased?"); ``{cover}``: its nouns."""
WATER_GREW = re.compile(_COVER_GREW.format(cover="(?:" + _WATERS + ")"))
"""Water asked whether it grew or shrank: the two dates' water is compared."""
_PAIR_CLASS_CHANGE = re.compile(
    r"\b(?:areas?|regions?|extent|cover(?:age)?|amount|parts?) of (?:the )?([a-z][a-z -]{1,40}?)\s+"
    r"(?:in (?:the )?(?:first|second|pre[\s-]?\w*|post[\s-]?\w*|earlier|later|before|after)"
    r"\s+\w+\s+)?(?:ha(?:s|ve) |did |been |mainly )*"
    r"(chang|increas|decreas|grow|grew|shrink|shrank|expand|declin|reduc|rise|rose|drop)|"
    r"\bchange (?:ratio|proportion|rate|share|percentage|fraction) of (?:the )?"
    r"([a-z][a-z -]{1,40}?)(?:\s+in\b|\s*[?.]|$)|"
    + _COVER_GREW.format(cover="(" + _WATERS + r"|forests?|woodlands?|tree cover|canopy|"
                                               r"vegetation|green cover|bare (?:soil|ground)|"
                                               r"cropland|farmland|grassland|built[\s-]?up area|"
                                               r"urban area|snow cover|sea ice|wetlands?|"
                                               r"mangroves?)"))
_WATER_BODY = re.compile(r"\b(?:water|lakes?|rivers?|reservoirs?|flood\w*)\b")
_CUT = re.compile(r"\b(?:threshold\w*|cut[\s-]?off|thr)\b|[<>]=?\s*-?\d|(?<![\w.])-?\d*\.\d+\b|"
                  r"\b(?:above|below|over|under|greater than|less than)\s+-?\d")
_SAR_CUT = re.compile(r"\b(?:db|vv|vh|backscatter)\b")
"""A "has the lake shrunk?" question that says how to map the water of each date (a water
index with a threshold, a backscatter cut): the steps it names, not a change map; a water
index alone too ("use NDWI"), unless asked beside the change ..."""
_ADDED = re.compile(r"\b(?:too|as well|also|in addition|additionally|besides)\b")
"""... ("compute NDWI in both years as well"). (A forest's or vegetation's index is computed
beside its change: "has the forest shrunk? compute NDVI > 0.5 in both years".)"""


_NEW_OR_GONE = re.compile(
    r"\bwhich ([a-z][a-z -]{1,30}?) (?:are|is|were|was) (?:new|gone|missing|removed|demolished)\b|"
    r"\bwhere (?:did |have |has |had |was |were )?(?:the |a |any )?([a-z][a-z -]{1,30}?) "
    r"(?:has |have |had |was |were )?(?:been )?(?:went in|went up|are gone|is gone|removed|"
    r"disappear\w*|appear\w*|added|changed|moved|lost|cleared|expanded|advanced)\b")
"""Objects that appeared or went between the two dates ("which crosswalks are new")."""
_GONE_OR_BUILT = (r"(?:went in|went up|gone|removed|demolished|disappeared|appeared|added|moved|"
                  r"shifted|spread|retreated|receded|encroached|built|installed|dug|constructed|"
                  r"erected|vanished|(?:torn|taken|pulled|knocked) down|grubbed out|put up)")
_CHANGED_OBJECTS = re.compile(
    r"\bwhich ([a-z][a-z -]{1,30}?) (?:(?:are|is|were|was|have been|has been|got) )?"
    + _GONE_OR_BUILT + r"\b|"
    r"\bwhere (?:did |have |has |had |was |were )?(?:the |a |any )?([a-z][a-z -]{1,30}?) "
    r"(?:has |have |had |was |were |get |got )?(?:been )?" + _GONE_OR_BUILT + r"\b|"
    r"\b(?:map|show|outline|count|detect|find|mark|highlight|locate|identify|list|how many)"
    r"(?: me)?(?: the| any| all)? (?:new|newly [a-z]+|fresh) ((?:[a-z-]+ ){0,2}?[a-z-]+s)\b|"
    r"\b(?:the|any|all) ([a-z][a-z -]{1,30}?) (?:(?:that|which) (?:were|was|have been|has been|"
    r"got) )?" + _GONE_OR_BUILT + r"\b|"
    r"\bthe ([a-z][a-z -]{1,30}?) (?:area|extent|footprint) (?:has |have |had )?(?:grown|grew|"
    r"shrunk|shrank|expanded|spread|increased|decreased)\b")
"""More ways to say it, read only when nothing else names the target ("which kilns were torn
down", "map the new landslides", "any net pens installed", "where sand has spread", "how much
the sediment plume area grew")."""
_NOT_OBJECT_WORDS = frozenset(("one", "ones", "of", "them", "those", "these", "area", "areas",
                               "part", "parts", "new", "did", "that", "which", "have", "has",
                               "had", "been", "were", "was", "is", "are", "images", "image",
                               "scenes", "scene", "photos", "dates", "tiles", "tile", "front",
                               "line", "edge", "margin", "limit", "boundary"))

_SETTLEMENTS = frozenset(("city", "town", "village", "settlement", "suburb", "suburbs", "cities",
                          "towns", "villages", "settlements"))


def _object_phrase(found: re.Match[str], text: str, vocab: Vocabulary) -> str | None:
    """The object class of a new-or-gone phrase (canonical, else as written in the singular);
    None for water, tree cover, indices, places and other words no target names."""
    phrase = re.sub(r"^(?:the |any |all )?(?:(?:largest|biggest|smallest|greatest|main) )?(?:new |"
                    r"old )?(?:[a-z]+-[a-z]+ed )?", "", re.split(
        r"\s(?:left|or|and)\b", next(g for g in found.groups() if g))[0])  # "canoes left or
    words = phrase.split()  # appeared"
    event = len(words) == 1 and phrase.endswith("ing") and not vocab.canonical_class(phrase)
    if not words or len(words) > 3 or event or words[0] in _NOT_OBJECT_WORDS or any(
            w.endswith("ly") or w in _TREE_WORDS or w in _NO_TARGET or w in _NOT_OBJECT_WORDS
            or "water" in w or participle(w) for w in words) or re.match(
            r"\s*(vigou?r|health|colou?rs?|leaves|value|condition)\b", text[found.end():]):
        return None  # "where lake water disappeared", "where the canopy disappeared"; "the
        # calving removed": an event, no thing
    if phrase in _SETTLEMENTS:
        return "building"  # "where the city has spread into the valleys"
    known = vocab.class_pattern.search(phrase)  # "new rooftop solar panels": solar panel
    return vocab.canonical_class(phrase) or (
        vocab.canonical_class(known.group(0)) if known and known.end() == len(phrase) else None
    ) or vocab.canonical_class(words[-1]) or singular(phrase)  # "which crosswalks are new"


def changed_objects(text: str, vocab: Vocabulary) -> str | None:
    """The objects a pair request says appeared, went or moved, when nothing else names the
    change's target ("which kilns were torn down" -> kiln); else None."""
    found = _CHANGED_OBJECTS.search(text)
    return _object_phrase(found, text, vocab) if found and not vocab.has(
        "water_strong", text) else None


_CALLED_NEW = re.compile(r"\b(?:new|newly [a-z]+|recently [a-z]+|demolished|destroyed|"
                         r"collapsed|missing|lost|removed|added|vanished|damaged)\s+"
                         r"((?:[a-z-]+\s+){0,2}?[a-z-]+)\b")
"""Objects called new or gone ("the new buildings", "destroyed homes")."""
_ASKED = re.compile(r"\b(?:show|find|point out|count|mark|locate|highlight|identify|list|detect|"
                    r"map|outline|spot|flag|how many|number of|where are|which are)\s+(?:me\s+)?"
                    r"(?:(?:the|all|any|every|of the)\s+)*$")


def event_objects(text: str, vocab: Vocabulary, asked: bool = False) -> str | None:
    """The objects a request calls new or gone ("the new buildings", "destroyed homes"), as
    written; else None. Over a pair they are the change; of one scene no step tells them.
    ``asked``: only objects an ask names ("show the new buildings", "how many destroyed
    homes"), not those a question mentions ("are boats using the new jetty?")."""
    for m in _CALLED_NEW.finditer(text):
        if asked and not _ASKED.search(text, max(0, m.start() - 40), m.start()):
            continue
        if (found := vocab.class_pattern.search(m.group(1))) is not None:
            return found.group(0)
    return None


_NO_TARGET = frozenset((
    "water", "lake", "lakes", "pond", "ponds", "canopy", "snow", "ice", "flood", "floodwater",
    "floodwaters", "land", "ground", "surface", "it", "they", "things", "anything", "something",
    "most", "much", "change", "changes", "image", "scene", "picture", "pixels", "extent",
    "channel", "ocean", "sea", "river", "shoreline", "coastline", "footprint", "footprints",
    "mangrove", "mangroves", "bush", "cover", "area", "areas", "built-up", "built", "urban",
    "zone", "zones", "region", "regions", "ndvi", "ndwi", "mndwi", "nbr", "index", "backscatter",
    "signal", "reflectance", "brightness", "value", "values", "burn", "scar", "get", "got",
    "shrink", "grow", "become", "turn", "go", "total", "overall", "main"))
"""Words that make "where the X appeared / changed" name no object target: water, tree cover,
indices and signals (read by their own rules), generic places, and verbs the lazy match took in
("where did the grassland get cleared")."""


def water_per_date(text: str, vocab: Vocabulary) -> bool:
    """Whether a water change over a pair says how to map the water of each date (a water
    index with a threshold, or alone unless asked "as well"; a backscatter cut in dB): those
    per-date steps are planned, not a change map (:func:`pair_class_change`,
    :func:`agent.planners.pair_rules.resolve`)."""
    indexed = any(vocab.index_of.get(i.group(0)) in vocab.water_indices
                  for i in vocab.index_pattern.finditer(text))
    return bool((indexed and (_CUT.search(text) or not _ADDED.search(text))) or (
        _SAR_CUT.search(text) and _CUT.search(text)))


def pair_class_change(text: str, vocab: Vocabulary) -> str | None:
    """The land-cover class whose change a request over a pair asks about ("have the areas of
    water changed?", "did the regions of trees increase?", "the change ratio of buildings"):
    its canonical object class, else the class phrase as written (singular)."""
    m = _PAIR_CLASS_CHANGE.search(text)
    if m is None and (new := _NEW_OR_GONE.search(text)) is not None and not vocab.has(
            "water_strong", text):  # "where the South Platte spread" in a flood: water
        return _object_phrase(new, text, vocab)
    if m is None:
        return None
    if m.group(4) and _WATER_BODY.match(m.group(4)):
        return None if water_per_date(text, vocab) else "water"  # "has the lake shrunk?", "did
        # the flooded area grow?"; "... use NDWI with threshold 0.2": its own steps
    phrase = re.sub(r"^(?:(?:significant|major|large|notable|marked|any|total|overall|the|largest|"
                    r"biggest|smallest|greatest|main)(?:\s+|$))+", "",
                    (m.group(1) or m.group(3) or m.group(4) or "").strip())
    if phrase.split()[:1] and phrase.split()[0] in _TREE_WORDS:
        return "tree"  # "areas of significant vegetation change": the tree cover target
    if not phrase or phrase in ("the image", "the scene", "it", "them"):
        return None
    canonical = vocab.canonical_class(phrase)
    if canonical:
        return canonical
    return singular(phrase)


CLASSIFY_AS = re.compile(r"\b(classify|label|categori[sz]e|sort|tag)\b[^.?!;]{0,40}\b(as|into)\b")
"""The ask is a label per image from a given list ("classify these patches as looted or ...")."""
PICK_IMAGES = re.compile(
    r"\b(which|what) (of )?(the |these |those |my )(\d+ |two |three |four |five |six |ten )?"
    r"([\w-]+ ){0,2}(images|photos|pictures|tiles|scenes|chips|frames|patches)\b[^.?!;]{0,40}?"
    r"\b(shows?|contains?|depicts?|are (mostly|mainly|covered)|have any|has any)\b|"
    r"\bwhich ones\b[^.?!;]{0,10}\b(show|contain|depict|have)\b[^.?!;]{0,60},? (and )?which\b")
"""Picking images of a set by what they show: answered by a label per image."""
WHICH_IMAGE = re.compile(r"\b(?:in|on) which (?:of )?(?:the |these |those )?(?:\w+ )?(?:images?|"
                         r"frames?|scenes?|photos?|pictures?|tiles?|chips?)\b")
"""An ask which images show something ("in which of the frames is ..."): per image, no trend
(not "on which date did the crop peak": a series)."""
RANKS = re.compile(r"\b(most|least|more|less|largest|smallest|highest|lowest|greatest|biggest|"
                   r"above|below|over|under|than|\d+(\.\d+)? ?(%|percent|ha|km2|m2))\b")
"""Ranking or thresholding the images on an amount: measured, not labelled."""

FIRE_EVENT = re.compile(
    r"\b(wild|bush|forest |brush |grass |vegetation )?fires?\b(?! (station|risk|hydrant|"
    r"department|brigade|fighters?|engine|safety|alarm|exit|hazard))|\bblaze\b")
"""A fire as the event between two scenes ("before and after the Cazadores fire")."""

_WHETHER_IT = (r"(?:its\b|(?:it|this|they|each|each one|the [a-z]+(?: [a-z]+)?) "
               r"(?:is|are|shows?|looks?|has|have|contains?)\b)")
"""After "whether": the image or its subject and a verb that takes a label ("whether the site
shows significant damage or looks undamaged", "whether it's a cleared pad ...")."""

ASKS_LABEL = re.compile(
    r"\b(each|every) (of (these|the|those|my) )?([\w-]+ ){0,3}(images?|chips?|tiles?|"
    r"photos?|pictures?|scenes?|patch(es)?|frames?|jpe?gs?|pngs?|orthophotos?|snapshots?|sites?|"
    r"locations?)\b[^.?!;]{0,120}\bwhether " + _WHETHER_IT + "|"
    r"\b(is|are|was|were) (it|this|these|they|each|each one|xfilex|(the|this) (target|object|"
    r"chip|image|scene|tile|photo|patch|area|site|place|land)( in \w+( \w+)?\s+xfilex)?)\b|"
    r"\beach (of (these |the |those |my |our )?)?([\w-]+ ){0,2}?(images?|chips?|tiles?|photos?|"
    r"pictures?|scenes?|patch(es)?|ones?|frames?|them)? ?is\b|"
    r"\b(does|do)\s+(it|this|xfilex|the \w+(\s+xfilex)?|they|these|any of them)\s+(show|contain|"
    r"depict)\b|"
    r"\bwhich (of )?(these |the )?\w+ (are |is )?present\b|"
    r"\b(best|most closely) (describes?|fits?|match(es)?|characteri[sz]es?)\b|"
    r"\b(for each|for every|each)\b[^.?!;]{0,120}\bsay\b|"
    r"\b(for each|for every|each) ((one|of them|image|chip|tile|photo|patch|hit|result|match)\b"
    r"[^.?!;]{0,40})?\bwhether " + _WHETHER_IT)
"""A question that asks a label of an image ("is it ... or ...", "whether each chip is ...",
"which of these best describes image 2: A, B or C")."""

_COMPUTE_VERB = r"(?:calculat|comput|creat|mak|deriv|produc|generat)\w*"
COMPUTE_BEFORE = re.compile(rf"\b(?:{_COMPUTE_VERB}|use|using|apply|run)\s+"
                            r"(?:the\s+|an?\s+|its\s+)?$")
COUNT_AS = re.compile(r"\bcount(?:ing)?\s+(?:[^.;?!\d]|\.\d){0,30}?\d(?:[^.;?!]|\.\d){0,40}?"
                      r"\bas\b(?! well\b)|\b(?:are|is|be|get|gets|were|was) (?:not )?counted as\b|"
                      r"\bcount(?:ing)?\s+(?:an?\s+|the\s+|every\s+|each\s+|any\s+)?(?:pixels?|cells?)"
                      r"\s+as\b(?! well\b)")
"""A "count pixels above X as Y" / "counting dNBR of 0.1 and above as burnt" class definition (a
count, a number, then "as"); "ponds that are always wet are not counted as flooding" and "count
a pixel as blacked out where ..." define a class, too."""

LABEL_COUNT = re.compile(
    r"\bhow many (?:of each|(?:\w+ ){0,2}?(?:fall|falls|are|were|go|end up|land) in(?:to)? (?:each|"
    r"every) (?:level|class|category|group|label|grade|type|bin)|(?:\w+ )?(?:per|in each) (?:level|"
    r"class|category|group|label|grade|type)|(?:of (?:them|these|those) )?(?:\w+ )?(?:contain|"
    r"show|have|has|contains|shows) (?:an? |any )?\w+)\b|\b(?:\w+ )?tally\b")
"""Counts of the images per label ("how many blocks fall in each level", "how many of each"):
the classification's own tally, no detection."""

ON_EACH = re.compile(r"\b(on|in|for|from) (each|both)\b(?! (other|pair)\b)|\beach (image|scene|"
                     r"date|one|picture|photo)\b|\bboth (images|scenes|dates|pictures|photos)\b")
"""Counts asked per scene of a pair ("count the cranes on each"): two counts, no change map."""
COUNTS_COMPARED = re.compile(r"\b(?:differen\w*|chang\w*) in (?:the )?(?:total )?"
                             r"(?:number|count)s? of\b")
"""The counts of a pair compared ("is there any change in the number of buildings"): the
change of those objects."""

COMPUTES_INDEX = re.compile(rf"\b{_COMPUTE_VERB}\b[^.?!;]{{0,20}}"
                            r"\b(ndvi|evi|savi|ndwi|mndwi|nbr)\b")
"""An index the analyst asks to compute ("compute NDVI for both periods"), not one given."""

_GIVEN_SHAPES = re.compile(
    r"\b(polygons?|outlines?(?! (?:the|all|every|each|any|their|its)\b)|outlined|footprints?|"
    r"boundar\w+|contours?|shapes?|areas? (?:i|we) drew)\b(?=[^.?!;]{0,40}?xfilex)")


_GIVEN_WATER = re.compile(
    r"\b(?:the|our|my|this|\w+s|\w+'s) (?:[\w-]+ )?(?:mapped |observed |official )?(?:flood\w*|"
    r"water|inundation)"
    r"(?: \w+){0,2}? (?:lines?|extents?|polygons?|outlines?|masks?|layers?|corridors?|buffers?|"
    r"zones?|paths?)\b"
    r"(?=\s*(?:\(\s*|in\s+|from\s+)?xfilex)|"
    r"\bfor (?:the |our |a )?(?:flood|water) (?:mapping|monitoring|analysis|work)\b|"
    r"\bwithin \d+(?:\.\d+)? ?(?:m|km|met(?:er|re)s|kilomet(?:er|re)s) of (?:the )?(?:\w+ )?"
    r"(?:shore\w*|coast\w*|water\w*|rivers?|lakes?)\b(?=\s*(?:\(\s*)?xfilex)")
"""Water words naming a given file: "the mapped flood line (f.geojson)", "the strip within 2 km
of the shoreline (s.geojson)"; or a purpose: "for the flood mapping"."""


def given_water(text: str, mentions: list[str]) -> str:
    """``text`` with water words blanked where they name a vector file the analyst gives ("the
    mapped flood line (f.geojson)") or a purpose ("for the flood mapping"): no water to map."""
    return _GIVEN_WATER.sub(lambda m: " " * len(m.group(0)) if m.group(0).startswith("for ")
                            or _names_vector(text, m, mentions) else m.group(0), text)


def _names_vector(text: str, m: re.Match[str], mentions: list[str]) -> bool:
    """Whether the first file mask at or after ``m`` stands for a vector file."""
    k = text.count("xfilex", 0, m.end() + max(0, text[m.end():].find("xfilex")))
    return k < len(mentions) and VECTOR_FILE.search(mentions[k]) is not None


_OWN_SHAPES = re.compile(r"\b(?:around|from|along|inside|within|of) (?:our|my|their) (?:own )?"
                         r"(?:[\w-]+ )?(?:polygons?|outlines?|footprints?)\b")
"""Shapes the analyst already has ("chips cut around our own change polygons")."""


def given_shapes(text: str, mentions: list[str]) -> str:
    """``text`` with shape words blanked where they describe a vector file the analyst gives
    ("the grove polygons (olives.gpkg)", "the lots outlined in lots.geojson"): such shapes
    are inputs, not outlines to make."""
    def blank(m: re.Match[str]) -> str:
        if re.search(r"\b(per|each|every|by)\s+(\w+\s+)?$", text[max(0, m.start() - 25):m.start()]):
            return m.group(0)  # "per sector polygon in s.geojson": zones, counted per polygon
        return " " * len(m.group(0)) if _names_vector(text, m, mentions) else m.group(0)
    text = _OWN_SHAPES.sub(lambda m: " " * len(m.group(0)), text)
    return _GIVEN_SHAPES.sub(blank, text)


def labels_are_the_theme(a: Analysis, t: str, vocab: Vocabulary) -> None:
    """Images sorted into labels: the labels' theme asks for no change ("the damage tally")
    or water map ("say standing water or dry soil", "rate these pond chips"), unless a change or
    an amount is named."""
    if not re.search(r"\b(chang\w*|between|differen\w*|since)\b", t):
        a.change = a.change_event = False
    if a.water and not re.search(r"\b(map|area|extent|how much|hectares?|km2|percent\w*|share)\b",
                                 t):  # "rate these pond chips as dry, ... or flooded"
        a.water = False


_WATER_PLANTS = re.compile(r"\bwater(?=[\s-](?:hyacinths?|lettuces?|lil(?:y|ies)|ferns?|chestnuts?|"
                           r"primroses?|milfoils?|cabbages?|soldiers?|weeds?)\b)")


def no_water_plants(text: str) -> str:
    """``text`` with "water" blanked in the names of water plants ("the water hyacinth mats"):
    a plant to outline, no water to map."""
    return _WATER_PLANTS.sub(lambda m: " " * len(m.group(0)), text)


def values_not_labels(a: Analysis, t: str, vocab: Vocabulary, n_scenes: int) -> None:
    """A "classify" that asks for classes of index or change values, or grades of the objects
    of a pair, not for scene labels: ``classify_scene`` is dropped ("classify snow with NDSI",
    "classify the change in NDVI", "classify the damage level of each building", "classify the
    burn severity into low, moderate and high")."""
    if a.classify and not a.labels and a.indices and re.search(
            r"\bclassify (the )?(snow|ice|snow ?/ ?ice|water|vegetation|forest|burn\w*|built|"
            r"urban)", t):
        a.classify = False  # "classify snow with NDSI": the index mask
    if a.classify and not a.labels and (a.indices or a.change) and re.search(
            r"\bclassify (the )?(change|changes|difference|differences|dnbr|ndvi|nbr|index|"
            r"values|raster|severity|burn)", t):
        a.classify = False  # "classify the change in NDVI": value classes of a map
    if a.classify and not a.labels and n_scenes == 2 and re.search(
            r"\b(classify|grade|rate|assess) (the )?(damage|destruction)\b", t):
        a.classify = False  # "classify the damage level of each building": of the objects
    if a.classify and a.labels and (a.indices or topic_index(t, vocab)) and re.search(
            r"\bclassify (the )?(burn\w* )?(severity|dnbr|ndvi|nbr|index|values)\b", t):
        a.classify, a.labels = False, []  # "classify the burn severity into low, moderate and
        # high": grades of the index values

"""What a request over two scenes compares: the water or class change, or two counts.

Runs after the intents are read (:func:`agent.planners.intents.analyse`): new flood water
against a reference is a water change; "where did the NDVI change" keeps the change map;
"count the cranes on each" is two counts, no change; a class whose change is asked ("have the
areas of water changed?") is the change target and nothing is mapped in each scene.
"""

from __future__ import annotations

import re

from agent.planners import ask, scene_refs, topics
from agent.planners.analysis import Analysis
from agent.planners.builder import SceneRef
from agent.planners.vocab import Vocabulary


def resolve(a: Analysis, t: str, vocab: Vocabulary, n_scenes: int,
            pair_class: str | None) -> None:
    """Settle the change intents of ``a`` (changed in place) from the request text ``t``.

    Args:
        a: The analysis so far.
        t: The normalised request, context blanked.
        vocab: The planner vocabulary.
        n_scenes: How many scenes the request is about.
        pair_class: The class whose change a pair request asks about, if any.
    """
    if n_scenes == 2 and a.water and (re.search(
            r"\b(reference|normal|static|permanent|baseline|usual|dry season|pre[\s-]?flood|"
            r"newly|no longer|reced\w*|reclaim\w*|new (flood|water|inundat)\w*)\b", t) or (
            a.change_target is None and re.search(r"\b(lost|loss|disappear\w*|vanish\w*|"
                                                  r"gained|shr[aiu]nk\w*|dried( up| out)?)\b", t)
            and not topics.water_per_date(t, vocab))):
        # new flood water against a reference water layer, water lost: a water change (not
        pair_class, a.change, a.change_target = "water", True, "water"  # "canopy lost")
    if n_scenes == 2 and a.change and not (a.change_target or a.water or a.indices or a.classes
                                           ) and _TREE_SUBJECT.search(t) and not (
            _OTHER_SUBJECT.search(t) or vocab.class_pattern.search(t)):
        a.change_target = "tree"  # "outline the mangroves; then tell me the area lost": the
        # one cover the request names is what changed
    if n_scenes == 2 and not a.change_target and not a.indices and _WATER_MOVED.search(t):
        pair_class, a.change, a.change_target = "water", True, "water"  # "land the sea took"
    if a.change_map and not a.change_target and a.water:
        pair_class, a.change, a.change_target = "water", True, "water"  # where water changed
    if a.change_target == "water" and not pair_class:
        pair_class, a.change = "water", True  # "how much land did the river take"
    if a.change_map and a.indices and not set(a.indices) & set(vocab.pair_index.values()):
        a.change = True  # "the NDVI difference between the dates, to see where it changed"
        if re.search(r"\b(ndvi|evi|savi|ndwi|mndwi|nbr|vegetation index|index) (rasters?|layers?|"
                     r"maps?|products?|grids?)\b", t) and not topics.COMPUTES_INDEX.search(t):
            a.indices = []  # "between the NDVI rasters of 2005 and 2017": the index is given
    if a.classify and a.change and n_scenes == 2 and not a.labels and not re.search(
            r"\bclassify\b", t):
        a.classify = False  # "where did land cover change": the change map, no scene labels
    if n_scenes == 2 and a.classes and a.counting and not pair_class and topics.ON_EACH.search(t):
        a.change = a.change_event = False  # "count the cranes on each": two counts
        a.change_target, a.detect = None, True
    elif n_scenes == 2 and a.change and a.classes and not a.change_target and \
            topics.COUNTS_COMPARED.search(t):
        a.change_target = a.classes[0]  # "any change in the number of buildings": the objects
    if pair_class:  # the class is the change target, not a thing to map in each scene
        a.water = a.detect = a.segment = a.vqa = a.caption = a.object_area = False
        a.classes = []
        if not topics.COMPUTES_INDEX.search(t):  # "compute NDVI for both periods ..." stays
            a.indices = []


_TREE_SUBJECT = re.compile(r"\b(?:forests?|mangroves?|woodlands?|tree cover|canopy|canopies|"
                           r"plantations?)\b")
_OTHER_SUBJECT = re.compile(r"\b(?:farm\w*|crop\w*|agricultur\w*|pastures?|grass\w*|urban|"
                            r"built|buildings?|roads?|houses?|settlements?|mines?|mining|water|"
                            r"lakes?|rivers?|sea|snow|ice|glaciers?|burn\w*|fire|dug|digging|"
                            r"ground|soil|trench\w*|excavat\w*|awnings?|umbrellas?|tents?|"
                            r"roofs?)\b")
"""A tree cover named as the only subject of a pair's change, and the other covers that would
make the change a conversion between two (its target then stays unsaid)."""
_WATER_MOVED = re.compile(
    r"\b(?:(?:sea|water|river|lake|ocean|bay|reservoir)s? (?:(?:has|have|had) (?:taken|claimed|"
    r"swallowed|eaten|filled|covered|pulled back|drained|gone)|took|claimed|swallowed|ate|"
    r"filled in|pulled back|drained away)|(?:has|have|had) the (?:sea|water|river|lake|ocean) "
    r"(?:taken|claimed|swallowed|eaten)|"
    r"(?:land|ground) (?:that )?(?:became|becomes|turned into|is now|are now|went under) "
    r"(?:sea|water|river|lake)|(?:sea|water|river|lake|bay) (?:became|turned into|is now) (?:dry )?"
    r"land|(?:fell|fallen|falls|fall|came|went|run|ran) dry|newly under water|from water to "
    r"(?:dry )?(?:land|ground)|(?:lake|reservoir|river) ?bed (?:that )?(?:has |have |were |was )?"
    r"(?:\w+ )?(?:exposed|uncovered|came dry)|(?:former|old) sea|water (?:surface )?"
    r"(?:turned up|appeared|has gone|is gone|was gone))\b")
"""Water gained or lost between two dates in words ("how much land has the sea taken", "the
lake bed that has fallen dry", "where the water pulled back"): the water change."""


_SHARE = re.compile(r"\b(share|percent\w*|proportion|fraction|ratio|what part|out of all|"
                    r"of all)\b([^.?!;]{0,40})")
_ALL_BEFORE = re.compile(
    r"\bhow many (\w+ ){0,2}(stood|existed|there were|were there|(are|were) (on|in|at))\b|"
    r"\b(were|was) there before|"
    r"\bcount (the|all|every) \w+ (on|in) the (\w+ ){0,2}(pre|before|first|earlier|older)|"
    r"\bwhere the \w+ (are|were) on the (\w+ ){0,2}(pre|before|first|earlier|older)")
"""A count of the objects before the event, beside the change ("what share of the buildings
is damaged" - a share of objects -, "how many stood in 2017, and how many were destroyed")."""

_LAND_TARGETS = frozenset(("water", "tree", "vegetation", "forest", "land", "cropland"))


def objects_before(target: str | None, t: str, vocab: Vocabulary) -> bool:
    """Whether a pair's change of object class ``target`` also needs those objects on the
    earlier scene: the whole of which a share is taken, or a count asked of that scene."""
    if not target or target in _LAND_TARGETS or not vocab.canonical_class(target):
        return False
    return bool(_ALL_BEFORE.search(t) or any(
        vocab.class_pattern.search(m.group(2)) or _DAMAGED.search(m.group(2))
        for m in _SHARE.finditer(t)))


_COMPARED = re.compile(r"\b(?:compar\w*|versus|vs|against|differ\w*|between|which (?:one|image|"
                       r"scene) has)\b")
_FLOODED = re.compile(r"\b(?:flood\w*|inundat\w*|normal|usual|reference|baseline|permanent|beyond|"
                      r"extra|additional|outside)\b")

_EXTENTS = re.compile(r"\bcompar\w* (?:the )?(?:flood(?:ed)?|water|inundat\w*) (?:extents?|areas?|"
                      r"maps?)\b")
"""Two extents compared ("compare the flood extent between the radar and the optical image"):
the word "flood" there names what each map shows, no change beyond a normal level."""


def across_sensors(a: Analysis, t: str, modalities: list[str | None]) -> bool:
    """Water compared between a radar and an optical scene ("compare the water extent between
    the radar image and the optical one"): a water map of each, not a change map - the two
    sensors see water differently, so their difference is no change. A change said in words
    ("new water", "lost", flood water beyond the normal river) stays a change. Returns whether
    the change was dropped."""
    if a.change_target == "water" and not a.change_event and _COMPARED.search(t) and not \
            _FLOODED.search(_EXTENTS.sub(" ", t)) and "sar" in modalities and any(
            m in ("rgb", "multispectral", "panchromatic") for m in modalities):
        a.change = a.change_map = False
        a.change_target, a.water = None, True
        return True
    return False


def counted_scene(t: str, before: SceneRef, after: SceneRef) -> SceneRef:
    """The scene whose objects are counted beside a pair's change: the earlier one, unless the
    count names the later ("how many buildings are in the 2021 image, and how many of them are
    new since 2019")."""
    m = _ALL_BEFORE.search(t)
    clause = re.split(r"[.?!;,]", t[m.start():])[0] if m else ""
    return after if clause and scene_refs.referenced(clause, [
        (before.path, before.modality), (after.path, after.modality)], roles=True) == [1] \
        else before


_DAMAGED = re.compile(r"\b(collapsed|destroyed|damaged|demolished|flattened|razed|gone)\b")
"""A share of what was damaged ("what share collapsed"): a share of the objects."""


_CLASS_BREAKS = re.compile(r"-?\d*\.\d+\s*(?:-|to)\s*-?\d*\.\d+")
"""A class given by its range of index values ("moderate-low 0.27-0.44")."""


def index_presets(a: Analysis, t: str, vocab: Vocabulary, n_scenes: int) -> None:
    """dNBR needs two scenes (NBR with one or 3+); NDSI / NBR / dNBR asked as an amount of
    cover ("snow cover percentage", "burned area in hectares") take the preset threshold; a
    single-date NBR threshold of burned ground with no direction said keeps what is below it
    (burned ground has a low NBR)."""
    if not a.indices:
        return
    if "NBR" in a.indices and n_scenes == 2 and re.search(
            r"\b(chang\w*|differen\w*|delta|pre[\s-]?fire|post[\s-]?fire|before and after|dnbr|"
            r"subtract\w*)\b|"
            r"\bbefore\b[^.?!;]{0,80}\bafter\b", t):
        a.indices = ["dNBR" if n == "NBR" else n for n in a.indices]
    if "dNBR" in a.indices and len(_CLASS_BREAKS.findall(t)) >= 2:
        a.threshold, a.below = None, False  # "low 0.1-0.27, moderate-low 0.27-0.44 ...":
        # dNBR's own severity classes, no one threshold
    if "dNBR" in a.indices and n_scenes not in (0, 2):
        a.indices = [n if n != "dNBR" else "NBR" for n in a.indices]
        a.notes.append("dNBR needs a pre-fire and a post-fire scene: NBR of each scene instead")
        a.indices = list(dict.fromkeys(a.indices))
    if "dNBR" in a.indices:
        a.change = False  # dNBR is the change between the two scenes
    if a.indices[0] == "NBR" and n_scenes <= 1 and isinstance(a.threshold, float) and not a.below \
            and re.search(
            r"\bburn(?:ed|t)? (?:areas?|scars?|ground|patch\w*|pixels?)\b", t) and not re.search(
            r"\b(?:above|over|greater|higher|more than|exceed\w*|at least)\b|>", t):
        a.below = True  # "map the burned areas with an NBR threshold of 0.1": low NBR burned
    if a.threshold is None and vocab.has("cover_amount", t):
        asks = ask.blank(t, ask.statement_spans(t))  # (an index named in context asks none)
        water = a.indices[0] in vocab.water_indices
        if a.indices[0] in vocab.default_threshold and (not water or (re.search(
                r"\b(water|flood\w*|inundat\w*|lakes?|reservoirs?|ponds?)\b",
                vocab.index_pattern.sub(" ", asks)) and vocab.index_pattern.search(asks))):
            a.threshold = "default"  # "the area of water" with NDWI (not the "water" of the
            # index's own name): NDWI >= 0
        elif a.indices[0] == "NBR":  # the tool has no single-date burned threshold
            a.notes.append("no accepted single-date NBR threshold: the NBR map is made; give "
                           "the pre-fire scene (dNBR) or a threshold for a burned mask")


WATER_ON_BOTH = re.compile(r"\b(?:water|flood(?:ed|ing)?|flood extent|inundat\w*)\b[^.?!;]{0,25}"
                           r"\b(?:in|on|of|for|from)\s+(?:both|each|xfilex\s*(?:,\s*|\s+and\s+)"
                           r"xfilex)\b")
"""Water asked of both scenes of a pair ("map the water in a.tif and b.tif and the change"):
both water maps beside the change, not only the later one (so too for "has the lake shrunk?",
:data:`agent.planners.topics.WATER_GREW`)."""

"""Slot extraction for the offline planner: the values a plan's arguments take.

Every function reads the normalised request (see :mod:`agent.planners.text`): classes,
index names, thresholds, confidences, counts, points, box kind. Band roles live in
:mod:`agent.planners.band_slots`, scene facts (dates, modality, before/after roles) in
:mod:`agent.planners.scenes`.
"""

from __future__ import annotations

import re

from agent.planners.vocab import Vocabulary

Span = tuple[int, int]
NUM = r"(-?\d+(?:\.\d+)?|-?\.\d+)"
_UNIT_AFTER = (r"(?!\d|\s*(?:%|percent|m\b|m2|km|ha\b|hect|acre|ac\b|nm|nanomet|sq|square|"
               r"met(?:er|re)|confiden|conf\b|years?|px|pixel|cm|ft|feet|deg|°|x\b))")
_ABOVE = (r"(?:>=|=>|>|(?:greater|more|higher|larger) than or equal to|(?:not|no) (?:less|lower|"
          r"smaller) than|above|over|greater than|more than|higher than|exceeding|exceeds?|"
          r"at least|(?:thresh(?:old)?(?:ed)?|cut[\s-]?off)(?:\s*(?:of|at|=|:|to|is|value))*|=|is)")
_BELOW = (r"(?:<=|=<|<|(?:less|lower|smaller) than or equal to|(?:not|no) (?:more|greater|higher|"
          r"larger) than|below|under|less than|lower than|smaller than|beneath|at most|"
          r"not (?:exceeding|above|over))")


def _inside(pos: int, spans: list[Span]) -> bool:
    return any(a <= pos < b for a, b in spans)


_FIXED = (r"(?:same\s+|whole\s+|big\s+|busy\s+|small\s+|large\s+|main\s+|container\s+|cargo\s+|"
          r"fishing\s+|ferry\s+|old\s+|new\s+|inner\s+|outer\s+|north\s+|south\s+|east\s+|"
          r"west\s+|local\s+|military\s+)?")
_DET = r"(?:the|a|an|this|that|these|those|its|their|each|every)"
_LOCATION = re.compile(r"(?:\b(?:in|at|on|along|near|inside|around|within|beside|next to|across|"
                       r"over|by|from|into|onto|off|outside|behind|alongside|close to|adjacent to|"
                       r"(?:up|moored) to|(?:lin(?:e|es|ing)|flank(?:s|ing)?|border(?:s|ing)?|"
                       r"cross(?:es|ing)?|overlook(?:s|ing)?|surround(?:s|ing)?)(?=\s+the\b)|"
                       r"(?:images?|scenes?|pictures?|photos?|tiles?|views?|mosaic|videos?|footage|"
                       r"frames?|flights?) of|\d+\s*(?:m|km|metres?|meters?|miles?|ft|feet) "
                       r"(?:of|from))\s+"  # "within 500 m of the overpass"
                       rf"(?:{_DET}\s+)?(?:(?!(?:and|or|then|outline|count|detect|find|map|segment|"
                       r"measure|give|show|mark|trace|all|every|each|both|which|what|how|any|least|"
                       r"most|number|numbers|count|counts|amount|percentage|proportion|share|"
                       r"total)\b)[a-z0-9'-]+\s+){0,2}|"  # (not "a change in the number of")
                       r"\b(?:left|right|north|south|east|west|top|bottom) of\s+"
                       rf"{_DET}?\s*{_FIXED})$")
"""A place before a class word ("ships in the harbour", "trucks on the pharr-reynosa bridge
deck", "boats in nuku'alofa's main port", "tied up at nizam zachman port"): up to two words
after the preposition (and its determiner); "to the right of the gray tank" names the tank."""

_INTO_CLASSES = re.compile(r"\b(?:segment\w*|classif\w*|split\w*|divid\w*|sort\w*|separat\w*|"
                           r"partition\w*|categori[sz]\w*)\b[^.;?!]{0,60}\binto\s+(?:the\s+)?$")
"""'segment the tile *into* buildings and trees': the classes to find, no place."""

_NEGATION = re.compile(r"\b(?:not|no|except|excluding|exclude|without|ignore|ignoring|other than|"
                       r"apart from|besides|but not|skip|skipping)\s+(?:the\s+|any\s+|all\s+)?$")


_SIZED = re.compile(r"\s+(?:that are |which are )?(?:under|below|smaller than|less than|over|above|"
                    r"larger than|bigger than|shorter than|longer than)\s+(?:\d|an?\b|half\b)")
"""A size after a negated class ("ignore buildings under 50 m2"): a filter of that class."""


_NOT_HEADS = frozenset(("across", "does", "this", "thus", "was", "has", "is", "its", "always",
                        "perhaps", "towards", "besides", "unless", "whereas"))
"""Words in -s after a hyphenated class that head no compound ("semi-trucks across ...")."""
_DATA_NOUN = re.compile(r"\s+(?:masks?|layers?|polygons?|files?|shapefiles?|vectors?|buffers?)\b")
"""A class word naming given data ("use the road mask r.geojson"): no object to find."""
_MODIFIED = {"road": re.compile(r"\s+(?:lights?|lamps?|lampposts?|markings?|furniture|signs?|"
                                r"signage|vendors?|sweepers?|verges?|kerbs?|curbs?|drains?|"
                                r"closures?)\b"),
             "harbor": re.compile(r"\s+(?:seals?|porpoises?|masters?|authorit(?:y|ies|ys)|pilots?|"
                                  r"police|dues)\b"),
             "": re.compile(r"\s+(?:farms?|ranch(?:es)?|markets?|owners?|operators?|companies|"
                            r"company|industry|sector|congestion|throughput|logistics|"
                            r"managers?|management|departments?|dept|office|staff|workers?)\b")}
_VERB_BEFORE = re.compile(r"\b(?:am|is|are|was|were|be|been|i m|we re|they re|it s|s|keep|"
                          r"keeps|kept|start|started|stop|stopped|are we|were we)\s+$")
_VERB_OBJECT = re.compile(r"\s+(?:a|an|up|our|my|their|its|baselines?|models?|capacity|"
                          r"momentum|pressure|towards?)\b")
_ASKS_OF = re.compile(r"(?:^|[.?!;:,]\s*)(?:is|are|was|were)\s+$")
""""building" as a verb: after a form of "be" ("the queue is building", not the question "is
building 7 damaged?") or before its object ("building baselines", "building a model")."""
_USE_BEFORE = re.compile(r"\b(?:fish|ice|oast|poultry|chicken|pig|hog|bath|pump|guard|"
                         r"billboard|smoke|hay|tool|aircraft)[\s-]$")
"""Class words that only modify the next noun ("street lights", "road markings"; any class:
"on cattle farms"), and uses that make a building word a kind of its own ("fish houses")."""

def places_only(classes: list[str], text: str, vocab: Vocabulary) -> bool:
    """Whether every class found in ``text`` is named only as a place ("the scorch mark on the
    runway"): then the thing asked about is no class of ours."""
    return bool(classes) and set(classes) <= set(find_classes(text, vocab)) and not \
        find_classes(text, vocab, places=False)


def find_classes(text: str, vocab: Vocabulary, skip: list[Span] | None = None,
                 names: list[Span] | None = None, places: bool = True) -> list[str]:
    """Canonical classes named in ``text`` (in order, once each), outside ``skip`` spans.

    A class named only as a place ("ships *in the harbour*", "cars *on the bridge*"), inside
    a proper name (``names``: "ships near *Charlotte Harbor*") or as given data ("the *road*
    mask") is dropped when another class is the subject (``places``: kept when none is); a
    negated one ("*not* helicopters") always.
    """
    found: list[str] = []
    found_places: list[str] = []
    for m in vocab.class_pattern.finditer(text):
        if skip and _inside(m.start(), skip):
            continue
        name = vocab.canonical_class(m.group(0))
        before = text[max(0, m.start() - 30):m.start()]
        head = re.match(r"\s+([a-z]{3,}(?<!s)s)\b", text[m.end():])  # a plural noun after it
        if m.group(0).endswith("s") and re.match(r"\s+(?:its|their|his|her)\b", text[m.end():]):
            continue  # a verb: "rubber sheds its leaves", "the block houses their offices"
        negated = _NEGATION.search(before) and not _SIZED.match(text, m.end())
        if m.group(0) == "building" and ((_VERB_BEFORE.search(before) and not _ASKS_OF.search(
                before)) or _VERB_OBJECT.match(text, m.end())):
            continue  # a verb: "the queue is building", "i'm building baselines"
        if not name or negated or any(p.match(text, m.end()) for c, p in
                                      _MODIFIED.items() if c in ("", name)) or (
                name == "building" and _USE_BEFORE.search(before)) or (before.endswith("-")
                                                                       and not re.search(
                r"\b(?:and|or|to)-$", before) and head and head.group(1) not in _NOT_HEADS):
            continue  # "not helicopters"; "the fixed-chimney kilns" are kilns
        if (_LOCATION.search(before) and not _INTO_CLASSES.search(before)) or (
                names and _inside(m.start(), names)) or _DATA_NOUN.match(text, m.end()):
            found_places.append(name)
        elif name not in found:
            found.append(name)
    if not found and places:
        found = list(dict.fromkeys(found_places))
    return found


_NOT_INDEX = re.compile(r"\b(?:no|not|without|instead of|rather than|never|cannot compute|"
                        r"can ?t compute|cannot use|can ?t use)\s+(?:an?\s+|the\s+|any\s+)?$")


def find_indices(text: str, vocab: Vocabulary) -> list[tuple[str, int]]:
    """Index names named in ``text`` (explicitly or by alias) with their positions; one said
    not to be used ("so no NBR", "instead of NDVI") is left out, and one wanted "instead" is
    the only one."""
    out: list[tuple[str, int]] = []
    preferred = None
    for m in vocab.index_pattern.finditer(text):
        key = " ".join(m.group(0).replace("-", " ").split())
        name = vocab.index_of.get(key)
        if _NOT_INDEX.search(text, max(0, m.start() - 25), m.start()):
            continue
        named = re.match(r"\s*[(,]?\s*([a-z]+)\b", text[m.end():])
        if name and key != name.lower() and named and named.group(1).upper() in vocab.index_names:
            continue  # "the water index MNDWI": the alias describes the index named after it
        if name and name not in (n for n, _ in out):
            out.append((name, m.start()))
        if name and re.match(r"\s+instead\b(?! of)", text[m.end():]):
            preferred = name  # "NDVI saturates, so we want EVI instead": EVI only
    return [(n, at) for n, at in out if n == preferred] if preferred else out


def computed_indices(text: str, vocab: Vocabulary, verb: re.Pattern[str]) -> dict[str, int]:
    """Indices a compute verb (``verb``, matched right before) asks for, with where: also those
    listed or chained after one ("compute NDVI, NDWI and NDBI", "compute MNDWI above 0.05, then
    NDVI"), wherever else they are named."""
    out: dict[str, int] = {}
    last_end = -1
    for m in vocab.index_pattern.finditer(text):
        name = vocab.index_of.get(" ".join(m.group(0).replace("-", " ").split()))
        listed = last_end >= 0 and re.fullmatch(
            r"\s*(?:(?:mean|average|median|max|min|values?|maps?|rasters?)\s*)?(?:,\s*(?:and\s+|"
            r"or\s+)?(?:then\s+)?|and\s+(?:then\s+)?|or\s+|&\s*|then\s+)",
            text[last_end:m.start()])  # ("EVI mean and SAVI", "first EVI, then SAVI")
        chained = last_end >= 0 and _THEN_INDEX.fullmatch(text, last_end, m.start())
        if name and (listed or chained or verb.search(text, max(0, m.start() - 30), m.start())):
            out.setdefault(name, m.start())
            last_end = m.end()
        else:
            last_end = -1
    return out


_THEN_INDEX = re.compile(r"(?:[^.?!;]|\.(?=\d)){0,50}?(?:,\s*|\s)(?:and\s+)?(?:then|next|"
                         r"after that|also|plus|as well as)\s+(?:(?:the|an?)\s+)?")
"""A later index of a chain of computed ones ("compute MNDWI with threshold 0.05, then NDVI")."""


def topic_index(text: str, vocab: Vocabulary) -> str | None:
    """The index a topic word implies ("vegetation" -> NDVI), or None."""
    for name, pattern in vocab.topic_patterns.items():
        if pattern.search(text):
            return name
    return None


def _number(value: str) -> float:
    return float(value)


def find_confidence(text: str) -> tuple[float | None, list[Span]]:
    """A minimum detection confidence ("under 0.5 confidence", "conf > 0.3", "60 %")."""
    patterns = [
        _BELOW + r"\s*" + NUM + r"\s*(%|percent)?\s*(?:confiden\w*|conf\b|score|certainty|probab)",
        r"(?:confiden\w*|conf|certainty|probability|scor(?:e|es|ing))(?:\s*(?:score|threshold|level|of|"
        r"above|over|>=|>|at least|=|:|to|is|min(?:imum)?|cut ?off))*\s*" + NUM
        + r"\s*(%|percent)?",
        r"\b(?:exclud\w*|ignor\w*|drop\w*|remov\w*|discard\w*|without|skip\w*)\b[^.;?!]{0,40}?"
        r"(?:confiden\w*|conf|scor(?:e|es|ing))\s*(?:below|under|less than|lower than|<=?)\s*" + NUM
        + r"\s*(%|percent)?",  # "excluding ships with confidence below 0.2": kept above 0.2
        r"(?:at least|above|over|>=?)\s*" + NUM + r"\s*(%|percent)?\s*(?:confident|sure|certain)",
        NUM + r"\s*(%|percent)?\s*(?:or (?:more|higher|above|greater)\s+)?(?:as (?:the|a|our|my) "
        r"(?:minimum )?)?(?:confiden\w*|conf\b)",  # "0.45 or more confidence", "0.4 as the
        # confidence cut-off"
    ]
    if re.search(r"\b(confiden\w*|conf)\b", text):  # "at 0.9 ... lowered to 0.7": the new one
        patterns.insert(0, r"\b(?:lower\w*|rais\w*|reduc\w*|increas\w*|decreas\w*|drop\w*|"
                           r"chang\w*|set|mov\w*)\s+(?:it\s+|the threshold\s+)?to\s*" + NUM
                        + r"\s*(%|percent)?")
    for pattern in patterns:
        m = re.search(pattern, text)
        if m:
            value = _number(m.group(1))
            if m.group(2) or value > 1:
                value /= 100.0
            if 0 <= value <= 1:
                return value, [m.span()]
    return None, []


_PARAMETER = re.compile(r"\b(?:l|c1|c2|g|gain|alpha|beta|gamma|coefficient|constant|(?:soil|"
                        r"adjustment|brightness|canopy background) factor|factor|radius|window|"
                        r"kernel|k|sigma|looks?)\s*$")
"""A formula parameter before "=" ("SAVI with L = 0.5", "radius = 5"): no threshold."""


_OF_MEAN = re.compile(r"\b(?:mean|average|avg|median)\s+(?:[a-z0-9]+\s+){0,2}?(?:is|was|are|were|"
                      r"falls?|fell|drops?|dropped|stays?|stayed|remains?|goes|went|lies|sits)?"
                      r"\s*$")
"""A comparison of a scene's mean ("flag the ones where mean NDVI is under 0.2"): no pixel
threshold."""


_DROPPED = re.compile(r"\b(?:mask(?:ing)? out|remov(?:e|ing)|discard(?:ing)?|exclud(?:e|ing)|"
                      r"filter(?:ing)? out|throw(?:ing)? away)\s+(?:(?:all|the|any|every(?:thing)?|"
                      r"anything|pixels?|values?|cells?|areas?|with|where|that are|whose|index|is|"
                      r"are|"
                      r"[a-z]*nd[a-z]+|evi|savi)\s+){0,4}$")
"""Values removed ("mask out pixels below 0", "filter out everything below 0.2"): the rest,
on the other side of the threshold, is what is kept."""
DEFINES = r"\s+(?:is|are|counts? as|as|means?|=)\s+(?:the\s+|an?\s+)?"
"""Words that name a class by a threshold ("NDVI below 0.2 is bare soil", "above 0.3 as green")."""


def find_threshold(text: str, near: int, skip: list[Span], limit: float = 1.0,
                   stated: str = "") -> tuple[float | None, bool]:
    """``(threshold, below)`` for an index named at ``near`` ("> 0.3", "above 0.6", "< 0"); when
    none, one that ``stated`` (statements not blanked) names a class by ("compute MNDWI;
    everything >= 0.1 is water")."""
    candidates: list[tuple[int, float, bool]] = []
    for comp, below in ((_BELOW, True), (_ABOVE, False)) if stated else ():
        for m in re.finditer(rf"(?<![a-z0-9]){comp}\s*{NUM}{_UNIT_AFTER}{DEFINES}(?!(?:typical|"
                             r"common|usual|normal|rare|likely|unlikely|found|seen|observed|"
                             r"reported|expected|recommended|suggested|proposed|used|cited)\b)[a-z]",
                             stated):
            if not _inside(m.start(1), skip):
                candidates.append((-1, _number(m.group(1)), below))  # used only when no other
    compared: dict[int, tuple[int, float, bool]] = {}  # number position -> (comparison start,
    for comp, below in ((_ABOVE, False), (_BELOW, True)):  # value, below)
        for m in re.finditer(r"(?<![a-z0-9<>=!])" + comp + r"\s*" + NUM + _UNIT_AFTER, text):
            if not _inside(m.start(1), skip) and not _PARAMETER.search(text, 0, m.start()) \
                    and not _OF_MEAN.search(text, max(0, m.start() - 40), m.start()) and (
                    m.start(1) not in compared or m.start() < compared[m.start(1)][0]):
                dropped = _DROPPED.search(text, max(0, m.start() - 60), m.start()) is not None
                compared[m.start(1)] = (m.start(), _number(m.group(1)), below != dropped)
    candidates += [(pos, value, below) for pos, (_, value, below) in compared.items()]  # the
    # longest comparison read at a number: "no more than 0" (not "more than"), "<=" (not "=")
    for comp, below in (("(?:above|over|greater than|more than|higher than|exceeding|at least)",
                         False), ("(?:below|under|less than|lower than|beneath)", True)):
        for m in re.finditer(rf"(?<![a-z0-9]){comp}\s+(?:an?\s+|the\s+)?(?:[a-z]*nd[a-z]+|evi|savi|"
                             rf"nbr|dnbr|index)(?:\s+(?:value|score|reading))?\s+(?:of|=)\s*{NUM}",
                             text):
            if not _inside(m.start(1), skip):
                candidates.append((m.start(1), _number(m.group(1)), below))  # ("above an
                # NDBI of 0.1")
    for m in re.finditer(NUM + r"\s*(?:as\s+(?:the|a|our|my)\s+)?(?:[a-z]+\s+)?"
                         r"(?:cut[\s-]?off|threshold)\b|" + NUM + r"\s+as\s+(?:the|a|our|my)\s+"
                         r"(?:[a-z]+\s+)?cut\b", text):
        at = 1 if m.group(1) is not None else 2
        candidates.append((m.start(at), _number(m.group(at)), False))  # "a 0.3 NDVI cut-off",
        # "using -0.3 as the water threshold", "with 0.2 as the cut"
    for m in re.finditer(r"\b(?:threshold|cut[\s-]?off)(?:ed)?\s+(?:it|them|this|that|the \w+|"
                         r"\w+)?\s*(?:at|of|=|to)\s*" + NUM, text):
        candidates.append((m.start(1), _number(m.group(1)), False))  # "threshold it at 0.35"
    below_it = re.search(r"\b(?:below|under|less than|lower than|beneath|short of) (?:the|this|"
                         r"that|our|its) (?:\w+ )?(?:threshold|cut[\s-]?off)\b", text) is not None
    for m in re.finditer(r"\b(?:threshold|cut[\s-]?off)\b[^.?!;\d]{0,40}?\b(?:is|of|=|at)\s+"
                         r"(?:[a-z]+\s+)?" + NUM + _UNIT_AFTER, text):  # "the threshold is NDVI
        candidates.append((m.start(1), _number(m.group(1)), below_it))  # 0.35 ... below it"
    for m in re.finditer(NUM + r"\s*(?:or|and)\s*(more|higher|above|greater|over|up|upwards?|"
                         r"less|lower|below|under|down|downwards?)\b", text):
        below = m.group(2) in ("less", "lower", "below", "under", "down", "downward", "downwards")
        candidates.append((m.start(1), _number(m.group(1)), below))
    for m in re.finditer(r"\b(?:where|wherever|when|if|whose|that|which) (?:it|its value|the index|"
                         r"(?:the )?values?|(?:the )?pixels?|[a-z]*nd[a-z]+|index) (?:is|are|be|"
                         r"stays?|remains?) (?:strictly )?(positive|negative)\b|(?<!false )"
                         r"(?<!true )\b(positive|negative) (?:[a-z]+ )?(?:values?|pixels?)\b",
                         text):  # "water where it is positive", "positive NDWI values": above 0
        candidates.append((m.start(), 0.0, (m.group(1) or m.group(2)) == "negative"))
    for m in re.finditer(r"\bthreshold\b[^.?!;]{0,20}\bfrom\s*" + NUM + r"\s*to\s*" + NUM, text):
        candidates = [c for c in candidates if c[0] != m.start(1)]  # "raise it from 0 to 0.15"
        candidates.append((m.start(2), _number(m.group(2)), False))
    candidates = [c for c in candidates if abs(c[1]) <= limit]
    if not candidates:
        return None, False
    candidates = [c for c in candidates if c[0] >= 0] or candidates[:1]
    after = [c for c in candidates if c[0] >= near]
    _, value, below = min(after or candidates, key=lambda c: abs(c[0] - near))
    return value, below


_SHARED_HEAD = re.compile(r"\b([a-z]+)(\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+))$")


def shared_heads(text: str, vocab: Vocabulary) -> str:
    """Class names sharing one head noun spelled out in full ("tennis and basketball courts"
    -> "tennis courts and basketball courts", "small, medium and large vehicles"), so each
    modifier names its own class (only where "modifier + head" is a class)."""
    out, last = [], 0
    for m in vocab.class_pattern.finditer(text):
        words = m.group(0).split()
        if len(words) < 2 or m.start() < last:
            continue
        head, start = words[-1], m.start()
        while (lead := _SHARED_HEAD.search(text, last, start)) and vocab.canonical_class(
                f"{lead.group(1)} {head}"):
            out.append((lead.end(1), head))
            start = lead.start()
        last = m.end()
    for pos, head in reversed(out):
        text = f"{text[:pos]} {head}{text[pos:]}"
    return text


def find_points(text: str) -> list[list[float]] | None:
    """Point prompts written as coordinates ("at (512300, 4100200)")."""
    pts = re.findall(r"\(\s*" + NUM + r"\s*,\s*" + NUM + r"\s*\)", text)
    return [[float(x), float(y)] for x, y in pts] or None


def find_oriented(text: str) -> bool | None:
    """True for oriented / rotated boxes, False for horizontal ones (or oriented ones refused:
    "not oriented", "--no-oriented"), None when unsaid."""
    refused = [m.end() for m in re.finditer(
        r"\b(horizontal|axis[\s-]*aligned|hbb|upright)\s*(bounding\s*)?box|(?:\bno|\bnot|\bnon|"
        r"\bwithout)[\s-]+oriented\s+(?:boxes|bounding|bbox|ones|detections?)\b|--no-oriented|"
        r"oriented\s*[=:]\s*false", text)]
    asked = [m.end() for m in re.finditer(r"(?<!non-)(?<!non )(?<!not )(?<!no )\b(oriented|"
                                          r"rotated|obb|rotation aware|angled|orientations?|"
                                          r"headings?)\b(?!\s*[=:]\s*false)", text)]
    if refused and (not asked or max(refused) >= max(asked)):
        return False  # ("non-oriented boxes would miss the hulls, so use oriented ones": True)
    return True if asked else None

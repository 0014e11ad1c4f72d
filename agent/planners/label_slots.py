"""Slots of the classification tool: candidate labels.

"farmland, forest or residential" -> ``classify_scene.labels`` (the search query is read by
:mod:`agent.planners.search_slots`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from agent.planners.label_heads import shared_head
from agent.planners.slots import Span
from agent.planners.vocab import PRONOUNS, Vocabulary, singular


def _trim(words: list[str], stop: frozenset[str], from_end: bool) -> list[str]:
    stop = stop | {"xfilex", "xfolderx"}  # "is a.tif clear, cloudy or hazy": the name ends it
    seq = list(reversed(words)) if from_end else list(words)
    skipped = 0
    while seq and seq[0] in stop:
        seq.pop(0)
        skipped += 1
    if skipped > (1 if from_end else 2):  # the label must open (or close) its list item
        return []
    run: list[str] = []
    for w in seq:
        if w in stop or len(run) == 3:
            break
        run.append(w)
    return list(reversed(run)) if from_end else run


_JOINING = frozenset(("of", "in", "without", "to", "with"))
_SCALES = frozenset(("level", "class", "category", "type", "grade", "stage", "label"))


def _strip(words: list[str], vocab: Vocabulary) -> list[str]:
    """An item's words without the stopwords around it (inner "and" kept: "snow and ice")."""
    inner = [w for i, w in enumerate(words) if w not in vocab.label_stopwords or w == "and" or (
        w in ("area", "areas") and i == len(words) - 1 and i > 0  # "industrial area": a head
        and words[i - 1] not in vocab.label_stopwords) or (  # that a shared-head check may drop
        w in _JOINING and 0 < i < len(words) - 1 and words[i - 1] not in vocab.label_stopwords
        and words[i - 1] not in ("one", "each", "any", "some", "all", "none", "kind", "type")
        and words[i + 1] not in vocab.label_stopwords)]  # "line of trees", "strip in bloom"
    if inner[:1] == ["one"]:  # "is each one a forest, ..."
        inner = inner[1:]
    while inner and inner[0] == "and":
        inner.pop(0)
    while inner and inner[-1] == "and":
        inner.pop()
    return inner


_PLACE_WORDS = frozenset(("over", "at", "near", "along", "around", "across", "within", "inside",
                          "outside", "under", "above", "below", "by", "during", "after", "before"))
"""Prepositions that end a list's last label ("usable, cloudy or no data over the pier")."""


def _label(words: list[str], vocab: Vocabulary, from_end: bool) -> str | None:
    run = _trim(words, vocab.label_stopwords | _PLACE_WORDS, from_end)
    if not run or any(not w.replace("-", "").isalpha() or w in ("xfilex", "xfolderx")
                      for w in run):
        return None
    phrase = " ".join(run)
    rest = [w for w in words if w not in vocab.label_stopwords]
    if not from_end and len(run) == 2 and rest == run and words[-2:] == run and \
            run[1] not in _HEADS:
        return phrase  # "corn, soybeans or winter wheat": the list's last item, whole
    if len(run) > 1 and phrase not in vocab.scene_labels:
        pair = " ".join(run[-2:] if from_end else run[:2])
        negated = not from_end and run[0] in ("no", "non", "not")  # "... or no data"
        phrase = " ".join(run) if negated else pair if pair in vocab.scene_labels else \
            run[-1] if from_end else run[0]
    return phrase


_HEADS = frozenset(("classification", "class", "classes", "category", "infrastructure", "area",
                    "areas", "land", "type", "types", "zone", "region", "structure", "feature",
                    "cover", "site", "one", "ones", "image", "images", "scene", "tile", "chip"))
"""Generic head nouns: "oil, wind or unknown infrastructure" lists "unknown", not a 2-word label."""

_VERBS = frozenset((
    "detect", "create", "compute", "calculate", "map", "count", "measure", "estimate", "make",
    "classify", "segment", "show", "give", "tell", "find", "produce", "generate", "plot",
    "export", "report", "extract", "identify", "compare", "run", "apply", "derive", "mask",
    "sort", "label", "tag", "overlay", "check", "submit", "validate", "assess", "evaluate"))
"""Verbs that open a step of a to-do list, never a candidate label."""
_AUXILIARY = frozenset(("does", "do", "did", "has", "have", "had", "can", "could", "will"))
"""Question verbs: "does it show A, or does it look B?" asks about the picture, no labels."""


"""A list item that is a pronoun ("..., or are they still dry?") is no label."""
_NAMING = re.compile(r"\s*(?:labell?ed|tagged|marked|called|named|flagged|classed)\b")
"""A participle that opens the label list inside a longer clause."""

_AMOUNTS = re.compile(r"\b(?:between \w+ and|more than|less than|fewer than|equal to|at least|"
                      r"at most)\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|ten)")

_NEXT_STEP = re.compile(r",?\s+(?:and\s+then|and|then)\s+(?=(?:how|what|which|where|give|tell|"
                        r"compute|"
                        r"calculate|show|report|measure|count|map|list|return|provide|export|make|"
                        r"estimate|say|state|sum|total|plot|note|find|write)\b)|"
                        r",\s+(?:since|because|so that|so)\s|"
                        r",\s+as\s(?![^,.;:?!]{1,40}(?:,|\bor\b))|"  # not ", as A, B or C"
                        r"\s+so (?:that )?(?:the |our |my )?(?:\w+ ){1,2}?(?:can|could|will|may)\b|"
                        r"\s+so (?:that )?(?:the|our|my|we|i|they)\b|"
                        r"\s+for (?:the|our|my|a|an) (?:[\w-]+ ){0,2}(?:report|briefing|slides?|"
                        r"presentation|records?|database|inventory|dashboard|team|crew|client)s?\b")
"""Where a label list ends: the next step ("..., and give me the area per class") or a reason
("flat roofs and pitched roofs, since the two need different layouts")."""


_OPENER_VERBS = (r"\b(?:label|tag|mark|(?<!pixels )(?<!cells )(?<!area )(?<!areas )(?<!hectares )"
                 r"(?<!land )classif\w*|categori[sz]e|sort|assign|flag|put|group|grade|"
                 r"rate|characteri[sz]e|describe|triage)\w*\b")
"""("the pixels classified as water": a class of a given map, no labels to give)"""
_AS_LIST = (r"\b(?:as|into)\s+(?!(?:you|we|i|needed|appropriate|necessary|required|well|such|"
            r"follows?|shown|described|usual)\b)(?:either\s+|one of\s+)?")
"""The verbs that open a label list, and the "as" / "into" that starts it."""
_LABEL_OPENER = re.compile(_OPENER_VERBS + r"[^,]*?" + _AS_LIST +
                           r"(?:(?:the\s+)?(?:\w+\s+)?(?:classes|categories|labels|types|groups)\s+)?"
                           r"(.+)$")
"""A step that opens a label list ("label each of these chips as spring wheat, corn or ...")."""
_AS_ITEM = re.compile(r"\s*" + _AS_LIST + r"(.+)$")
_OPENER_VERB = re.compile(_OPENER_VERBS)
_BY_CRITERION = (r"\b(?:by|with) (?:(?:its|their|the)\s+)?(?:(?!(?:classes|labels|categories|types)"
                 r"\b)\w+\s+){0,2}")
"""Before the first item of a list that names the criterion ("by their main distress, A, B",
"with its growth stage, one of A, B"), not a label."""
_CRITERION_BEFORE = re.compile(_BY_CRITERION + r"$")


def _names_criterion(body: str, first: str) -> bool:
    """Whether ``first`` is said as the criterion before a list ("sort these chips by crop,
    soybean, corn or rice"): right after "by"/"with" and followed by a comma."""
    at = body.find(first)
    while at >= 0:
        if body[at + len(first):].lstrip().startswith(",") and _CRITERION_BEFORE.search(
                body, 0, at):
            return True
        at = body.find(first, at + 1)
    return False


_BY_COLON = re.compile(_OPENER_VERBS + r"[^.?!;]*\bby (?:[a-z]+(?: [a-z]+)?|(?:the|its|their) "
                       r"(?:kind|type|sort|class) of [a-z]+(?: (?:it|they) (?:shows?|has|have))?)"
                       r"\s*:$|\b(?:class|category|stage|level|grade|status)\s*:$")
"""The colon after "sort ... by stage", "sorted by the kind of barrier it shows" or "give me
the damage class": whole labels follow."""
"""A list item that opens the labels after a comma: "label each chip by method, as A, B or C"."""
_HAVING = re.compile(r"^(?:having|with|containing|showing|has|have) (?:an? |any )?")
"""A verb opening a label ("as having a swimming pool or not"): the label is the thing."""
_MARK_EACH = re.compile(r"\b(?:label|tag|mark)\s+(?:each|every)\s+(?:one|tile|chip|image|photo|"
                        r"scene|frame|square|quadrat|site)\s+(?!as\b|into\b|with\b)(.+)$")
"""A label list right after "mark each one" ("mark each one seal present or no seal")."""
_WHICH_VERB = r"(?:are|is|were|was|show|shows|look|looks|have|has|carry|contain|hold)"
WHICH_AND = re.compile(
    rf"\bwhich ((?:[\w-]+ ){{0,10}}?){_WHICH_VERB} (?:still |now )?([a-z][a-z\- ]{{1,40}}?)"
    rf"((?:,\s*which (?:\w+ ){{0,2}}?{_WHICH_VERB} (?:still |now )?[a-z][a-z\- ]{{1,30}}?)*)"
    rf",? and which (?:\w+ ){{0,2}}?(?:{_WHICH_VERB}|like) (?:still |now )?"
    r"([a-z][a-z\- ]{1,30}?)\s*(?=[:.,;?!(]|$)")
"""Labels as questions ("which roofs are whitewashed and which still show clear plastic",
"which plots are freshly pruned, which are regrowing and which were not pruned")."""
_MIDDLE = re.compile(rf",\s*which (?:\w+ ){{0,2}}?{_WHICH_VERB} (?:still |now )?([a-z][a-z\- ]+)")
_RELATIVE = re.compile(r"^.*\b(?:that|which|who) (?:is|are|was|were|has|have) (?:still |now )?")
"""A label said as an object and its state ("a kiln that is firing"): the state."""


_NO_SCENES = frozenset(("pixels", "pixel", "detections", "detection", "objects", "object", "areas",
                        "parts", "cells", "values", "patches", "ones", "of"))
"""Things "which ... are A and which are B" may sort that are no images ("which pixels")."""


def which_and(text: str, vocab: Vocabulary, n_scenes: int = 0) -> tuple[list[str], Span] | None:
    """Labels asked as "which roofs are whitewashed and which still show clear plastic"; of
    a set of chips, "which buildings look damaged and which intact" labels each chip's
    building ("damaged building")."""
    m = WHICH_AND.search(text)
    sets = {"ones", "of", "them"} if n_scenes >= 2 else set()  # "which ones / which of them"
    if not m or (set(m.group(1).split()) - sets) & _NO_SCENES:  # of a set of scenes: images
        return None
    named = vocab.class_pattern.search(m.group(1))
    if named and n_scenes < 3:
        return None  # "which buildings are damaged and which ...": states of objects
    labels = []
    said = [m.group(2), *(x.group(1) for x in _MIDDLE.finditer(m.group(3))), m.group(4)]
    for label in said:
        words = [w for w in _RELATIVE.sub("", label).split() if w not in vocab.label_stopwords]
        if not words or len(words) > 3:
            return None
        labels.append(singular(" ".join(words)))
    if labels[-1] in ("none", "nothing", "no", "neither"):  # "which show an avalanche and which
        obj = re.match(r"(?:an? |the )?([a-z]+) (?:that|which|who)\b", said[0])  # show none"
        labels[-1] = f"no {obj.group(1) if obj else labels[0]}"  # ("a kiln that is firing")
    if named:
        thing = vocab.canonical_class(named.group(0)) or singular(named.group(0))
        labels = [f"{label} {thing}" for label in labels]
    return (shared_head(labels, last=False), m.span()) if len(set(labels)) == len(labels) \
        else None


_QUOTED = re.compile(r"(?:(?<=[\s(\[:])|^)['\"\u201c\u2018]([a-z][a-z0-9 \-/]{0,40}?)"
                     r"['\"\u201d\u2019](?![a-z])")
_QUOTE_JOIN = re.compile(r"\s*(?:,|/|\bor\b|\band\b|,\s*or\b|,\s*and\b)\s*$")


def quoted_labels(text: str) -> tuple[list[str], Span] | None:
    """Labels the analyst quotes ("as 'heavy destruction', 'moderate damage' or 'minimal
    visible damage'"): each quoted phrase whole, when two or more are joined as a list."""
    best: list[re.Match[str]] = []
    run: list[re.Match[str]] = []
    for m in _QUOTED.finditer(text):
        if run and not _QUOTE_JOIN.match(text[run[-1].end():m.start()]):
            run = []
        run.append(m)
        if len(run) > len(best):
            best = list(run)
    if len(best) < 2:
        return None
    labels = list(dict.fromkeys(singular(m.group(1).strip()) for m in best))
    return (labels, (best[0].start(), best[-1].end())) if len(labels) > 1 else None


def find_labels(text: str, vocab: Vocabulary, n_scenes: int = 0) -> tuple[list[str], Span] | None:
    """A candidate-label list ("farmland, forest or residential") and its span."""
    paired = which_and(text, vocab, n_scenes)
    if paired:
        return paired
    quoted = quoted_labels(text)
    found = [(rank, labels, span) for rank, labels, span in _label_lists(text, vocab)
             if not any(_METRIC.search(lab) for lab in labels)]  # "accuracy, kappa and ..."
    found = [(rank, [lab for lab in labels if not _HOW_MANY.search(lab)], span)
             for rank, labels, span in found]  # "into one of three groups, A, B or C"
    if not found:
        return quoted
    _, labels, span = min(found, key=lambda f: f[0])  # a list opened by "as", else the first
    if quoted and (len(quoted[0]) == len(labels)
                   or any(q in lab for q in quoted[0] for lab in labels)):
        return quoted  # the same list, its quoted items whole ("'minimal visible damage'")
    return labels, span


_METRIC = re.compile(r"^(?:overall |producers |users )?(?:accuracy|kappa|precision|recall|f1|"
                     r"iou|miou|confusion matrix|rmse|mae|bias)$")
"""Scores of an assessment, never class labels."""
_HOW_MANY = re.compile(r"^(?:one of )?(?:two|three|four|five|six|\d+) (?:groups?|classes|"
                       r"categories|types|labels|kinds|bins)$")
_GLOSS = re.compile(r"(\b(?!(?:scale|classes|categories|levels|labels|grades|types)\b)[a-z]+ )"
                    r"(\((?![^()]*(?:,|\bor\b))[^()]{1,40}\))")
"""A label's gloss in parentheses ("healthy (blue water), dirty (green water) or ..."): no
label of its own (a list in parentheses after "scale" is the labels themselves)."""


_TELL_WHETHER = re.compile(r"tell (?:me|us)\b[^,;]{0,30}\bwhether\b")


def _bodies(text: str) -> Iterator[tuple[int, int, str]]:
    """The parts of each clause where a label list may stand, with where each starts and where
    its clause ends: the clause up to its next step ("..., and give me the area per class"), and
    a next step that asks something of its own ("find the chips that best match 'glacier', then
    tell me for each whether it shows glacier, bare rock or cloud")."""
    for clause in re.finditer(  # these tiles (a.tif, b.tif) into A, B or C": one clause
            r"(?:[^.;:?!()\[\]]|\.(?=\d))+", text.replace(" - ", " ; ")):
        start, end = clause.span()
        cuts = [c for c in _NEXT_STEP.finditer(clause.group(0))
                if clause.group(0)[:c.start()].strip()]  # "for the report, label ...": no end
        bounds = [0, *(m.end() for m in cuts)]
        for k, begin in enumerate(bounds):
            stop = cuts[k].start() if k < len(cuts) else end - start
            if k == 0 or _TELL_WHETHER.match(clause.group(0), begin):
                yield start + begin, end, clause.group(0)[begin:stop]


_UNIT_PART = re.compile(r"\s*(?:(?:in|as|into|expressed in)\s+)?(?:hectares?|ha|km2|km²|m2|"
                        r"square (?:met\w+|kilomet\w+|miles?|feet)|acres?|percent\w*|%|met(?:er|"
                        r"re)s?|kilomet(?:er|re)s?)\s*$")
"""A part that states the unit of the answer (", in hectares"): no label."""
_EACH_TAIL = re.compile(r"(\bor\b[^,]*?),?\s+(?:for|in|on) (?:each|every|all)\b.*$")
"""What follows a list of alternatives ("A or B, for each (image)")."""
_ASSIGN_TO = re.compile(r"(\bassign\w*\b[^,.;:]{0,60}?\b)to(?=\s)")


def _label_lists(text: str, vocab: Vocabulary) -> Iterator[tuple[int, list[str], Span]]:
    """Every label list of ``text`` with its rank (0: opened by "as"/"into" or a colon, 1: asked
    "whether it is A or B", 2: other) and span, in order."""
    text = _GLOSS.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)  # "healthy (blue water)"
    text = _ASSIGN_TO.sub(lambda m: m.group(1) + "as", text)  # "assign each chip to A, B or C"
    files = re.sub(r"\([^()]*xfilex[^()]*\)", lambda m: " " * len(m.group(0)), text)  # "(a.tif)"
    files = re.sub(r"xfilex(?:\s*,\s*(?:and\s+)?xfilex|\s+and\s+xfilex)+",  # "sort a, b and c
                   lambda m: "xfilex".ljust(len(m.group(0))), files)  # into": one list of files
    for start, end, body in _bodies(files):
        body = _EACH_TAIL.sub(r"\1", body)  # "flooded or not flooded, for each"
        if _AMOUNTS.search(body) or vocab.has("metadata", body):
            continue  # ranges of a number; "the pixel size, projection and number of bands"
        has_or = re.search(r"\bor\b", body) is not None
        if not has_or and (lead := _LABEL_OPENER.search(body)) and "," in body[lead.start(1):]:
            body = body[:lead.start(1)].replace(" and ", " &&& ") + body[lead.start(1):]  # "the
            # pre and post chips into A, B, C": no list before the opener
        if not has_or and "," not in body and not _LABEL_OPENER.search(body):
            continue
        joiner = r"\s*,\s*(?:or\s+|and\s+)?|\s+or\s+" if has_or else r"\s*,\s*(?:and\s+)?|\s+and\s+"
        parts = [p for p in re.split(joiner, body) if p.strip() and not _UNIT_PART.match(p)]
        opened = [i for i, p in enumerate(parts) if _LABEL_OPENER.search(p) or _MARK_EACH.search(p)]
        late = [i for i, p in enumerate(parts[1:], 1) if not opened and _AS_ITEM.match(p)
                and _OPENER_VERB.search(" ".join(parts[:i]))]
        if late:  # "label each chip by irrigation method, as sprinkler-irrigated, ...": after
            m = _AS_ITEM.match(parts[late[0]])  # the comma
            assert m is not None
            parts, opened = [m.group(1), *parts[late[0] + 1:]], [0]
        if opened:  # "label each of these chips as spring wheat, corn ...": the list after "as"
            first = _LABEL_OPENER.search(parts[opened[-1]]) or _MARK_EACH.search(
                parts[opened[-1]])  # "mark each one nest present or no nest"
            parts = [first.group(1), *parts[opened[-1] + 1:]] if first else parts
        asked = [i for i, p in enumerate(parts) if re.search(
            r"\bwhether\b|\b(?:is|was)\s+(?:it|this|each|each one|the site|the scene|xfilex)\b|"
            r"\bsay\b", p)]
        whole = bool(asked and not opened)  # the first item is cut on its left: whole
        if whole:  # "for each of these chips, tell me whether it is A or B": A after the verb
            parts = parts[asked[-1]:]
            verb = r"\b(?:is|are|was|were|its|shows?|looks? (?:most |more )?like)\b"
            parts[0] = re.sub(r"^\s*(?:each|every)\s+(?:of\s+(?:these|the|those|my|our)\s+\w+\s+)?",
                              "", re.split(verb, re.sub(r"^.*\bxfilex\b\s*(?:(?:mostly|mainly|"
                                                        r"largely)\s+)?", "", parts[0]))[-1])
            # "is each of these plots A or B", "is this chip a.png A or B"
            parts[1:] = [re.sub(r"^\s*(?:is|are|has|have)\s+(?=an?\s)", "", p) for p in parts[1:]]
            # "whether it's a cleared pad, has a drilling rig ... or is a producing well"
        named = [i for i, p in enumerate(parts) if _NAMING.match(p)]
        if named and named[-1] > 0:  # "sites in Afghanistan, labelled looted or preserved"
            parts = parts[named[-1]:]
        if len(parts) < 2:
            continue
        before = text[:start].rstrip()  # "dominates: a, b or c", "the scale (a, b)"
        named_by = bool(_BY_COLON.search(before))  # "sort these chips by stage: A, B ..."
        colon = before.endswith((":", " -")) or bool(re.search(
            r"\b(?:scale|classes|categories|levels|labels|grades|types)\s*\($", before))
        labels: list[str] = []
        ok, having = True, False
        for i, part in enumerate(parts):
            words = re.findall(r"[a-z][a-z\-]*|\d+", part)
            inner = _strip(words, vocab)
            last = i == len(parts) - 1
            label: str | None = None
            if (i > 0 or opened or colon or whole) and not last:  # after "as" or ":" the first
                label = " ".join(inner) if 0 < len(inner) <= 3 or (  # item is whole ("forest
                    len(inner) <= 5 and "and" in inner) else None  # and other vegetation")
                if label is None and (opened or whole or named_by) and 3 < len(inner) <= 5:
                    label = " ".join(words[words.index(inner[0]):])  # "abandoned terraces under
                    # scrub", "pit mining with a washing plant": an item of a list opened by "as"
                    # (or asked "whether it is ...") is whole
            elif last and (opened or colon or whole) and 0 < len(inner) <= (
                    5 if "and" in inner else 3) \
                    and not (inner[-1] in _HEADS and all(" " not in lab for lab in labels)):
                label = " ".join(inner)  # "..., or snow and ice", "... or cleared land" (not
                # "oil, wind or unknown infrastructure": a head shared by one-word labels)
            if label is None and (last or i == 0):
                label = _label(words, vocab, from_end=(i == 0))
                if last and label and inner[-1:] == ["area"] and " " not in label and any(
                        lab.endswith(" area") for lab in labels):
                    label += " area"  # "an industrial area, a harbor or a residential area"
            if label is None:
                ok = False
                break
            having = having or bool(_HAVING.match(label))
            noun, of, rest = _HAVING.sub("", label).partition(" of ")
            labels.append(singular(noun) + of + rest)  # "lines of trees": the head singular
        if ok and any(lab.split()[0] in _VERBS or lab.split()[0] in _AUXILIARY
                      or lab.split()[0] in PRONOUNS or lab.split()[0] in (
                          "its", "their", "how", "what", "which", "where", "there", "then",
                          "also") or lab.startswith("default ")
                      for lab in labels):  # "how many transformers, and do any show A or B"
            ok = False  # "classify land cover, detect changes and create a map": steps, no
            # labels; "..., then classify", "the default vocabulary": no labels either
        if ok and len(labels) == 2 and labels[1] == "not":  # "a burial mound or not"; "as
            labels[1] = f"{'no' if having else 'not'} {labels[0]}"  # having a pool or not"
        if ok and len(labels) > 2 and _names_criterion(body, labels[0]):
            labels = labels[1:]  # "sort these chips by crop, soybean, corn or rice"
        if ok and len(labels) > 2 and labels[0].split()[-1] in _SCALES:
            labels = labels[1:]  # "one of our four occupancy levels, low, medium, high or full"
        if ok and len(labels) > 2 and labels[-1].split()[0] in ("whichever", "whatever"):
            labels = labels[:-1]  # "..., bare soil or water, whichever dominates"
        tail = labels[-1].split() if labels else []
        if ok and len(tail) == 2 and tail[0] in labels[:-1]:
            labels[-1] = tail[0]  # "forest/non-forest": the two words are no new label
        if ok and len(set(labels)) >= 2:
            head = _LABEL_OPENER.search(body) if opened else None
            # "detect the trees and sort them into A and B": the trees stay a class
            rank = 0 if opened or colon else 1 if whole else 2
            yield (rank, shared_head(list(dict.fromkeys(labels))),
                   (start + (head.start(1) if head else 0), end))

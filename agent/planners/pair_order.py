"""Whether two scenes are a before/after pair, and which is "before": the order the analyst
gave, never a silent reorder.

Role words next to the names or in them (pre/post, before/after, t0/t1), the baseline of a
comparison ("new since 2019") and years written in the request ("from 2018 to 2021") say the
order; else the order the scenes were given. When the file-name dates disagree with that order,
a note says so and names both files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath

from agent.planners import scene_refs
from agent.planners import scenes as facts
from agent.planners.analysis import Analysis
from agent.planners.builder import SceneRef
from agent.planners.scene_roles import roles_by_order


def ordered_pair(scenes: list[SceneRef], raw: str,
                  note: Callable[[str], None] | None = None) -> tuple[SceneRef, SceneRef]:
    """(before, after) in the order the analyst gave: role words next to the names or in them
    (pre/post, before/after, t0/t1), the baseline of a comparison ("new since 2019"; one the
    file-name dates make the later scene only when said with "since", not "more in 2010 than
    in 2020"), dates in the text in their order ("from 2018 to 2021"), else the order the
    scenes were given.
    File-name dates never reorder silently: when they disagree with that order, ``note`` says
    so, naming both files."""
    first, second = scenes[0], scenes[1]
    before, after = first, second
    r1, r2 = facts.role_of(first.path, raw), facts.role_of(second.path, raw)
    e1, e2 = facts.epoch_of(first.path), facts.epoch_of(second.path)
    told = _text_date_order(first.path, second.path, raw) or _said_date_order(first, second,
                                                                               raw)
    epoch_later = e1 is not None and e2 is not None and e1 > e2  # t1 given before t0
    by_epoch = r1 is None and r2 is None and epoch_later
    dates = [facts.file_date(s.path) for s in (first, second)]
    first_later = epoch_later or (dates[0] is not None and dates[1] is not None
                                  and _date_key(dates[0]) > _date_key(dates[1]))
    by_order = roles_by_order(raw, not first_later)  # said in words: over the names' roles
    if by_order is not None and (r1 is not None or r2 is not None):
        named = (r1 == "after" or r2 == "before") != (by_order == "swapped")
        r1 = r2 = None
        if named and note is not None:
            note(f"the request says which scene is before and after, but the file names "
                 f"{first.path} and {second.path} say the other way round: the request's "
                 "order is kept. Check the order; swap the images if the names are right")
    base = scene_refs.baseline(raw, [(first.path, first.modality), (second.path, second.modality)]
                               ) if r1 is None and r2 is None and by_order is None else None
    if base is not None and all(dates) and _date_key(str(dates[base])) > _date_key(
            str(dates[1 - base])) and not _SINCE.search(raw):
        base = None  # "more mangroves in 2010 than in 2020": a comparison, not a time order
    if base is not None:  # "how many are new since 2019": the baseline is "before"
        told = (first, second) if base == 0 else (second, first)
    if told is None and all(dates) and _BY_DATE.search(raw) and not _FROM_TO_FILES.search(raw):
        told = (first, second) if not first_later else (second, first)  # "the earliest and
        # the latest acquisitions"
    if r1 == "after" or r2 == "before" or by_order == "swapped" or (by_epoch and not by_order):
        before, after = second, first
    elif r1 is None and r2 is None and told is not None and by_order is None:
        before, after = told
    d1, d2 = facts.file_date(before.path), facts.file_date(after.path)
    if note is not None and d1 and d2 and _date_key(d1) > _date_key(d2):
        note(f"before = {before.path} and after = {after.path} as the request gives them, but "
             f"the file names date {before.path} {d1} and {after.path} {d2}: the 'before' scene "
             "looks newer. Check the order; swap the images if they are the other way round")
    return before, after


_SINCE = re.compile(r"\bsince\b", re.IGNORECASE)
"""A baseline said with "since" is "before" even against the file-name dates (then noted)."""
_BY_DATE = re.compile(r"\b(?:earliest|oldest|latest|newest|most recent)(?:\s+(?:\w+\s+)?(?:image|"
                      r"scene|acquisition|capture|date|one|photo|frame|file|picture)s?\b|(?=\s*(?:"
                      r"and|or|,|\?|\.|$)))", re.IGNORECASE)
"""Scenes named by their dates ("compare the earliest and the latest acquisitions"): the
older is before, whatever order they were given in."""
_FROM_TO_FILES = re.compile(r"\bfrom\s+\S+\.[a-z]\w{1,4}\s+(?:to|until|and)\s+\S+\.[a-z]\w{1,4}",
                            re.IGNORECASE)
"""An order said with the files' names ("from a_2023.tif to b_2021.tif"): kept as said."""


def _date_key(date: str) -> str:
    """Comparable key of a file-name date (a year compares as its first day)."""
    return date if len(date) == 10 else f"{date}-01-01"


def _text_date_order(a: str, b: str, raw: str) -> tuple[SceneRef, SceneRef] | None:
    """The pair in the order the request writes the years of the two files, when it does: in
    the first sentence that writes both, when that sentence orders them ("from 2018 to 2021"),
    else none; without such a sentence, the order the years are first written."""
    ya, yb = facts.file_date(a), facts.file_date(b)
    if not (ya and yb) or ya[:4] == yb[:4]:
        return None
    text = raw
    for name in (a, b):
        text = text.replace(PurePath(name).name, " ")
    both = [part for part in re.split(r"(?<=[.?!;])\s+", text) if all(
        re.search(rf"(?<!\d){y[:4]}(?!\d)", part) for y in (ya, yb))]
    if both and not _ORDERS.search(both[0]):
        return None  # "compare the 2021 image with the 2019 one": no order said (nor by a
        # year said alone in the background: "it dried out in 2022. compare 2019 with 2022")
    text = both[0] if both else text
    pa, pb = (re.search(rf"(?<!\d){y[:4]}(?!\d)", text) for y in (ya, yb))
    if pa is None or pb is None:
        return None
    return (SceneRef(a, None), SceneRef(b, None)) if pa.start() < pb.start() else (
        SceneRef(b, None), SceneRef(a, None))


_ORDERS = re.compile(r"\bfrom\b[^.?!;]*\b(?:to|until|till|through)\b|\bbetween\b|\bbefore\b|"
                     r"\bafter\b|\bthen\b|\bfollowed by\b|\bsince\b|->", re.IGNORECASE)
"""Words that order two dates in a sentence ("from 2018 to 2021", "between 2015 and 2019")."""


def _said_date_order(first: SceneRef, second: SceneRef,
                     raw: str) -> tuple[SceneRef, SceneRef] | None:
    """The pair by the years the request says of files whose names have none ("the 2019 image
    is lake_b.tif and the 2023 image is lake_a.tif"): the earlier is before."""
    if facts.file_date(first.path) or facts.file_date(second.path):
        return None
    y1, y2 = facts.said_date(first.path, raw), facts.said_date(second.path, raw)
    if y1 is None or y2 is None or y1 == y2:
        return None
    return (first, second) if y1 < y2 else (second, first)


_COMPARED = re.compile(r"\b(?:drop\w*|fell|fall\w*|rose|rise|risen|increas\w*|decreas\w*|"
                       r"declin\w*|grew|grow\w*|shr[aiu]nk\w*|expand\w*|lost|loss|gain\w*|"
                       r"chang\w*|differen\w*|compar\w*|since|between|new|gone)\b",
                       re.IGNORECASE)
"""Words that relate two dates ("where the radiance dropped"): a change, not an area of each."""
_EACH = re.compile(r"\b(?:for|on|in) (?:each|both)\b|\beach (?:year|date|image|scene)\b|"
                   r"\bboth (?:images|scenes|dates|years)\b|\b(?:in|on|at|for) the (?:morning|"
                   r"afternoon|evening|night|day|first|earlier|older|before)\b[^.?!;]{0,20}\band "
                   r"(?:in|on|at|for) the (?:morning|afternoon|evening|night|day|second|later|"
                   r"newer|after)\b", re.IGNORECASE)
"""Numbers asked of each of two scenes, not of the change between them ("its area in the
morning and in the evening")."""


def pair_scenes(a: Analysis, scenes: list[SceneRef], raw: str,
                note: Callable[[str], None]) -> tuple[SceneRef, SceneRef] | None:
    """The (before, after) pair when the request is about change between two scenes."""
    if len(scenes) == 2:
        roles = {facts.role_of(s.path, raw) for s in scenes}
        pair_words = a.change or (roles == {"before", "after"} and not (a.composite or a.metadata))
        # (pre/post names ask for no change of a picture or a header of each)
        if a.change_threshold is None and not (a.change_target or a.change_map) and (
                a.water or (a.indices and not a.biomass) or (a.biomass and not a.change_region)):
            return None
        if a.detect and not (a.change_event or a.change_target or a.change_method
                             or (pair_words and not a.count_words)):
            return None
        if (a.segment or a.detect) and not (a.change or a.change_target) and _EACH.search(raw):
            return None  # "trace the roads on the 2003 and the 2018 mosaic, length for each year"
        if a.segment and a.object_area and not (pair_words or a.change_target or a.change_map
                                                 or _COMPARED.search(raw)):
            return None  # "what is the forest area in ha?" of two dates: the area of each
        if pair_words or not (a.caption or a.vqa or a.classify or a.metadata or a.composite):
            return ordered_pair(scenes, raw, note)
        return None
    if len(scenes) >= 3 and a.change and (not a.quantity or a.change_target):
        keys = [facts.file_date(s.path) for s in scenes]
        if all(keys) and len(set(keys)) == len(keys):
            by_date = sorted(scenes, key=lambda s: _date_key(str(facts.file_date(s.path))))
            if (by_date[0], by_date[-1]) != (scenes[0], scenes[-1]):
                note(f"the scenes were not given in date order: the change is from the earliest "
                     f"({by_date[0].path}) to the latest ({by_date[-1].path}) by the dates in "
                     "their names")
            return ordered_pair([by_date[0], by_date[-1]], raw, note)
        return ordered_pair([scenes[0], scenes[-1]], raw, note)
    if not scenes and a.change and re.search(
            r"\b(between|before|after|two (images|scenes|dates)|pair|compare)\b", raw.lower()):
        return SceneRef("$before", a.text_modality), SceneRef("$after", a.text_modality)
    return None

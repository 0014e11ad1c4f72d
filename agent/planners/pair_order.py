"""Which scene of a pair is "before": the order the analyst gave, never a silent reorder.

Role words next to the names or in them (pre/post, before/after, t0/t1) and years written in
the request ("from 2018 to 2021") say the order; else the order the scenes were given. When
the file-name dates disagree with that order, a note says so and names both files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath

from agent.planners import scene_refs
from agent.planners import scenes as facts
from agent.planners.builder import SceneRef


def ordered_pair(scenes: list[SceneRef], raw: str,
                  note: Callable[[str], None] | None = None) -> tuple[SceneRef, SceneRef]:
    """(before, after) in the order the analyst gave: role words next to the names or in them
    (pre/post, before/after, t0/t1), dates in the text in their order ("from 2018 to 2021"),
    else the order the scenes were given. File-name dates never reorder silently: when they
    disagree with that order, ``note`` says so, naming both files."""
    first, second = scenes[0], scenes[1]
    before, after = first, second
    r1, r2 = facts.role_of(first.path, raw), facts.role_of(second.path, raw)
    e1, e2 = facts.epoch_of(first.path), facts.epoch_of(second.path)
    told = _text_date_order(first.path, second.path, raw)
    by_epoch = r1 is None and r2 is None and e1 is not None and e2 is not None and e1 > e2
    by_order = scene_refs.roles_by_order(raw) if r1 is None and r2 is None else None
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


def _date_key(date: str) -> str:
    """Comparable key of a file-name date (a year compares as its first day)."""
    return date if len(date) == 10 else f"{date}-01-01"


def _text_date_order(a: str, b: str, raw: str) -> tuple[SceneRef, SceneRef] | None:
    """The pair in the order the request writes the years of the two files, when it does."""
    ya, yb = facts.file_date(a), facts.file_date(b)
    if not (ya and yb) or ya[:4] == yb[:4]:
        return None
    text = raw
    for name in (a, b):
        text = text.replace(PurePath(name).name, " ")
    pa, pb = (re.search(rf"(?<!\d){y[:4]}(?!\d)", text) for y in (ya, yb))
    if pa is None or pb is None:
        return None
    return (SceneRef(a, None), SceneRef(b, None)) if pa.start() < pb.start() else (
        SceneRef(b, None), SceneRef(a, None))

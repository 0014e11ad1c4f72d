from __future__ import annotations

from agent.planners.analysis import Analysis
from agent.planners.intents import analyse
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary

V = get_vocabulary()


def _analyse(text: str) -> Analysis:
    return analyse(read_request(text, V.corrector), V, 1)


def test_count_and_outline_of_different_things_are_two_sets() -> None:
    a = _analyse("On cove.tif, count the moored boats, and outline the eelgrass and give me "
                 "its area in hectares.")
    assert a.counted == ["ship"]
    assert a.classes == ["eelgrass"] and a.segment and not a.detect


def test_one_thing_counted_and_outlined_is_one_set() -> None:
    a = _analyse("On bar.tif, outline the nearshore sandbars. How many separate bars are there?")
    assert a.counted == []


def test_outline_them_is_one_set() -> None:
    a = _analyse("On town.tif, count the buildings and outline them.")
    assert a.counted == []

from __future__ import annotations

import pytest

from agent.planners.analysis import Analysis
from agent.planners.search_slots import find_search_query, find_top_k, read
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary

V = get_vocabulary()


def norm(text: str) -> str:
    return read_request(text, V.corrector).norm


@pytest.mark.parametrize(("text", "query"), [
    ("images in archive/ that look most like a solar farm.", "solar farm"),
    ("find the tiles showing a flooded road, then count the cars", "flooded road"),
    ("search the collection for tiles similar to an open-pit mine", "open-pit mine"),
    ("search the tiles of this big mosaic for solar farms.", "solar farms"),
    ('give me the top 8 matches for "airport runway under construction" in /data/archive.',
     "airport runway under construction"),
])
def test_query(text: str, query: str) -> None:
    found = find_search_query(norm(text))
    assert found is not None and found[0] == query


def test_no_query() -> None:
    assert find_search_query(norm("count the ships")) is None


def test_top_k() -> None:
    assert find_top_k("the five images", V) == 5
    assert find_top_k("top-20 tiles", V) == 20
    assert find_top_k("the best three", V) == 3
    assert find_top_k("find the 3 least turbid scenes", V) == 3
    assert find_top_k("pull up a dozen images from the archive", V) == 12


@pytest.mark.parametrize(("text", "n_scenes", "folders", "searched"), [
    ("which of the tiles a.png, b.png, c.png show a quarry?", 3, (), False),  # ask each one
    ("find the 2 tiles among a.png, b.png, c.png that look most like a quarry", 3, (), True),
    ("which of the tiles in tiles/ show a quarry?", 0, ("tiles/",), True),  # an archive
    ("which of the tiles show a quarry?", 1, (), True),
])
def test_named_scenes_are_searched_only_when_ranked(text: str, n_scenes: int,
                                                    folders: tuple[str, ...],
                                                    searched: bool) -> None:
    a = Analysis()
    read(a, norm(text), V, n_scenes, folders)
    assert a.search is searched

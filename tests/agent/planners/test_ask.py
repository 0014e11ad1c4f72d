"""Finding the ask in a request (agent/planners/ask.py)."""

from __future__ import annotations

from agent.planners import ask


def test_abbreviations_end_no_sentence() -> None:
    """"sq. km", "e.g." and "vs." end no sentence: the unit is not blanked as context."""
    for text in ("total building area in sq. km", "count the vehicles, e.g. cars and vans",
                 "ships in image 1 vs. image 2"):
        assert len(ask.sentences(text)) == 1, text
    assert len(ask.sentences("map the water. count the ships.")) == 2


def test_asks_reported_as_others_requests_titles_and_thresholds() -> None:
    """A third party's request is the ask ("the mayor would like the total length of roads"),
    unless it was made in the past ("in 2019 the client asked for the water extent"); a
    procedure's title names its task; a stated threshold is carried into the rest of a
    partly declined request."""
    assert ask.is_ask("the mayor would like the total length of roads in the subdivision.")
    assert ask.is_ask("the agency asked for the water area of the reservoir in 2019 and 2021.")
    assert not ask.is_ask("in 2019 the client asked for the water extent.")
    assert not ask.is_ask("last month the mayor would like the building count.")
    assert ask.is_ask("flood mapping sop.")
    assert not ask.is_ask("we follow the usual protocol.")
    assert not ask.is_ask("the office is in the harbour.")
    assert ask.is_ask("the client would like the flooded area before and after the storm.")
    assert ask.is_ask("previously the client asked for the extent, so please redo it for 2023.")
    assert ask.carries_threshold("after that, the water mask comes from a -17 db vv threshold.")
    assert not ask.carries_threshold("the images are 5k-6k px wide.")


def test_typical_values_are_explanations() -> None:
    norm = "dense vegetation is typically above 0.6. your task: compute ndvi and report the mean."
    spans = ask.typical_spans(norm)
    assert [norm[a:b].strip() for a, b in spans] == ["dense vegetation is typically above 0.6."]


def test_asked_at_reads_the_sentence_of_a_position() -> None:
    text = "apart from xfilex, all scenes were taken in summer. compute ndvi for every scene."
    assert not ask.asked_at(text, text.index("xfilex"))
    assert ask.asked_at(text, text.index("compute"))
    text = "skip the first file and count the trucks in the others"
    assert ask.asked_at(text, 0)  # leaving out is asked too

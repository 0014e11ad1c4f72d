"""Finding the ask in a request (agent/planners/ask.py)."""

from __future__ import annotations

from agent.planners import ask


def test_abbreviations_end_no_sentence() -> None:
    """"sq. km", "e.g." and "vs." end no sentence: the unit is not blanked as context."""
    for text in ("total building area in sq. km", "count the vehicles, e.g. cars and vans",
                 "ships in image 1 vs. image 2"):
        assert len(ask.sentences(text)) == 1, text
    assert len(ask.sentences("map the water. count the ships.")) == 2

"""Self-corrections: the later value replaces the earlier one of its kind."""

from __future__ import annotations

import pytest

from agent.planners.self_corrections import read_corrections
from agent.planners.vocab import Vocabulary, get_vocabulary


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return get_vocabulary()


@pytest.mark.parametrize(("text", "read", "old", "new"), [
    ("Threshold NDVI at 0.3, no make it 0.4, and give me the area",
     "Threshold NDVI at 0.4, and give me the area", "0.3", "0.4"),
    ("Compute NDWI with threshold 0.2 — wait, use 0.1", "Compute NDWI with threshold 0.1",
     "0.2", "0.1"),
    ("Drop anything under 50 m², sorry, 80 m²", "Drop anything under 80 m²", "50 m²", "80 m²"),
    ("GSD is 0.5 m, no wait, it's 0.3 m. Area of the buildings?",
     "GSD is 0.3 m. Area of the buildings?", "0.5 m", "0.3 m"),
    ("How many planes? Actually no, count the helicopters", "How many helicopters?",
     "planes", "helicopters"),
    ("Count the cars — I mean the boats", "Count the boats", "cars", "boats"),
    ("Compute NDVI — no, sorry, SAVI", "Compute SAVI", "NDVI", "SAVI"),
    ("Changes between 2019 and 2021 — sorry, 2018 and 2021",
     "Changes between 2018 and 2021", "2019 and 2021", "2018 and 2021"),
    ("Last year we used NDVI above 0.4. This time use above 0.3.",
     "Last year we used NDVI above 0.3. This time use above 0.3.", "0.4", "0.3"),
    ("The previous run used a confidence of 0.25; now count with at least 0.5",
     "The previous run used a confidence of 0.5; now count with at least 0.5", "0.25", "0.5"),
])
def test_a_correction_replaces_the_earlier_value(vocab: Vocabulary, text: str, read: str,
                                                 old: str, new: str) -> None:
    out, done = read_corrections(text, vocab)
    assert out == read
    assert [(c.old, c.new) for c in done] == [(old, new)]


@pytest.mark.parametrize("text", [
    "Count the ships. No, I don't have the GSD.",  # no value after the marker
    "Actually, count the buildings with a confidence of 0.4",  # nothing before the marker
    "Map the water, then count the boats",
    "Is there water? No ships should be counted.",  # "no" that corrects nothing
    "Map the water above 0.2 and now count the ships at 0.5",  # nothing said of a past run
    "Last time we counted 40 ships; now count them above 0.5",  # a count is no setting
    "Compute NDVI, actually the EVI too",  # one more index, no correction
    "Count planes with confidence 0.5. Sorry, 3 planes were missed last time",  # a count
    "Count planes at 0.5 m GSD, actually use 0.3 confidence",  # another setting
])
def test_no_correction(vocab: Vocabulary, text: str) -> None:
    assert read_corrections(text, vocab) == (text, [])

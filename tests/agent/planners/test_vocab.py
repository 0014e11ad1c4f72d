"""The planner vocabulary: every cue entry of prompts/intents.yaml is a string."""

from __future__ import annotations

import pytest

from agent.planners import vocab


def test_a_cue_entry_parsed_as_a_mapping_is_an_error() -> None:
    # an unquoted YAML entry ending in ":" ("- re:...in each:") parses as {entry: None}
    with pytest.raises(ValueError, match=r"cue 'classify' has a non-string entry .* quote it"):
        vocab._entry("classify", {r"re:\bin each:": None})
    assert vocab._entry("classify", r"re:\bin each\s*:") == r"re:\bin each\s*:"


def test_the_shipped_vocabulary_loads() -> None:
    assert vocab.get_vocabulary().cues["classify"].search("which gear is on board in each: a, b")


def test_names_work() -> None:
    v = vocab.get_vocabulary()
    assert v.names_work("the ndvi")
    assert v.names_work("vehicle counts")
    assert not v.names_work("a water mask")
    assert v.names_work("a water mask", ("water_strong",))
    assert not v.names_work("the second one")

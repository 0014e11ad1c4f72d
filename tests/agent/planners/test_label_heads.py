from __future__ import annotations

from agent.planners.label_heads import shared_head


def test_grades_share_the_noun_given_once() -> None:
    assert shared_head(["low", "medium", "high congestion"]) == [
        "low congestion", "medium congestion", "high congestion"]


def test_a_scale_noun_is_dropped() -> None:
    assert shared_head(["good", "fair", "poor condition"]) == ["good", "fair", "poor"]


def test_catch_all_is_other_and_plain_labels_stay() -> None:
    assert shared_head(["forest", "farmland", "something else"]) == ["forest", "farmland", "other"]

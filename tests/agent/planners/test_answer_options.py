"""Answer options and formats of exam-style questions."""

from __future__ import annotations

import pytest

from agent.planners.answer_options import names_no_label, only_options, options_span, read_options


@pytest.mark.parametrize(("text", "read"), [
    ("which land use dominates? a) residential b) industrial c) farmland",
     "which land use dominates? options: residential, industrial or farmland"),
    ("what type of scene is this? 1) harbor 2) airport 3) forest 4) desert",
     "what type of scene is this? options: harbor, airport, forest or desert"),
    ("which is present? (a) plane (b) ship (c) storage tank.",
     "which is present? options: plane, ship or storage tank."),
    ("what is this? answer with one word from: airport, beach, forest.",
     "what is this? options: airport, beach, forest."),
    ("is this scene urban? answer yes or no.", "is this scene urban?  "),
    ("yes or no: is the lake smaller now?", " is the lake smaller now?"),
    ("what is the total area? answer with a number in m2.", "what is the total area? in m2."),
    ("how many tanks? a) 3 b) 5 c) 8 d) 12", "how many tanks? "),  # answers, no argument
    ("which image has more ships? a) first b) second c) same", "which image has more ships? "),
])
def test_options_are_read(text: str, read: str) -> None:
    assert read_options(text) == read


@pytest.mark.parametrize("text", [
    "deliverables: 1) count the planes 2) map the water",  # work, not options
    "bands (b8, b4, b3) please",
    "deliverables: 1) flood extent 2) damaged buildings",  # a list of work after a colon
    "tasks: a) water b) ships",
])
def test_no_options(text: str) -> None:
    assert read_options(text) == text
    assert options_span(text) is None


def test_options_of_a_question_are_one_clause() -> None:
    assert options_span("What type of scene is this? 1) harbor 2) airport 3) forest") == (27, 58)


@pytest.mark.parametrize(("text", "read"), [
    ("which of the images has more ships? options: a) xfilex b) xfilex c) same",
     "which of the images has more ships? options: "),  # files are answers
    ("which image shows flooding? a) the first image b) the second image",
     "which image shows flooding? "),
    ("what is the category? a. dense residential b. industrial c. none of the above",
     "what is the category? options: dense residential or industrial"),
    ("damage level? (a) no damage (b) minor damage (c) destroyed", "damage level? "),
])
def test_answers_that_name_no_label_are_dropped(text: str, read: str) -> None:
    assert read_options(text) == read


@pytest.mark.parametrize(("part", "only"), [
    ("(A) first (B) second", True),
    ("Choose from: (a) no damage (b) minor damage (c) destroyed", True),
    ("Options: 1, 2, 3", True),
    ("Choices: desert, beach, mountain or meadow", True),
    ("Choices: count the ships, map the water", False),
    ("(a) residential (b) commercial (c) forest", True),
    ("Count the ships", False),
    ("(a) map the water (b) count the ships", False),
])
def test_only_options(part: str, only: bool) -> None:
    assert only_options(part) is only


@pytest.mark.parametrize(("option", "no_label"), [
    ("january", True), ("in early may", True), ("winter", True), ("the second image", True),
    ("3", True), ("forest", False), ("may apple orchard", False),
])
def test_names_no_label(option: str, no_label: bool) -> None:
    assert names_no_label(option) is no_label

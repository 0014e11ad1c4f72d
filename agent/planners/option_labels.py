"""Answer options that are scene labels: "What is the dominant class? A. forest B. water C.
urban", "Which facility is shown? A) port B) airport C) stadium" -> ``classify_scene.labels``
(the option words then ask for no index, water map or detector of their own; options that are
no labels are read with the question as before).

Options that are mostly detector classes stay classes ("which is absent? a) ship b) plane");
options that are no labels are left out (numbers, index names, "before", "top left", "none of
the above"); options of qualities, amounts or directions ("increasing / stable", "low / high",
"about half") are no scene labels: the question's own words are read as before.
"""

from __future__ import annotations

import re

from agent.planners.answer_options import DIRECTIONS, listed_span, names_no_label
from agent.planners.slots import Span
from agent.planners.topics import names_scene_label
from agent.planners.vocab import Vocabulary

Labels = tuple[list[str], Span]
_COVER_WORDS = frozenset(("water", "vegetation", "vegetated", "bare", "soil", "sand", "built-up",
                          "impervious", "grass", "shrub", "shrubland", "snow", "ice", "burned",
                          "burnt", "crops", "rock", "buildings", "roads", "clouds"))
"""Land-cover words an option may be or hold ("water", "bare soil", "burned area")."""
_ASKS_KIND = re.compile(r"\b(?:land[\s-]?use|land[\s-]?cover|class|category|scene|label|"
                        r"(?:what|which) (?:type|kind|sort|category) of)\b")
"""A question asking for the kind of a scene ("what is the main land use?"): its options are
labels, whatever their words."""


def offered(full: str, labels: Labels | None, vocab: Vocabulary) -> tuple[bool, Labels | None]:
    """Whether ``labels`` (read from the request ``full``) are a question's answer options
    ("... ? options: forest, water or urban"), and the labels left (see the module docstring;
    None when fewer than two are left or they are not scene labels)."""
    if labels is None or not full[max(0, labels[1][0] - 12):labels[1][0]].rstrip().endswith(
            "options:"):
        return False, labels
    names = {n.lower() for n in vocab.index_names}
    words = [w for w in labels[0] if not names_no_label(w) and w not in names]
    classes = [w for w in words if vocab.canonical_class(w)]
    if len(words) < 2:
        return True, None
    if len(classes) == len(words):
        return True, (classes, labels[1])  # objects to detect
    if _ASKS_KIND.search(full, 0, labels[1][0]):
        return True, (words, labels[1])  # "what is the main land use? a) ... b) ..."
    if 2 * len(classes) > len(words) or not all(
            names_scene_label(w, vocab) or vocab.canonical_class(w) or _COVER_WORDS & set(
                w.split()) for w in words):
        return True, None  # mostly objects, or no scene labels ("a) increasing b) stable")
    return True, (words, labels[1])


def change_answers(text: str, vocab: Vocabulary) -> bool:
    """Whether the normalised ``text`` offers things that changed as the answers of a change
    question ("what changed? options: water, road or tree"): the change map answers them all,
    with no target and no scene labels. Not options of numbers, positions or directions
    ("options: 0, 1 or 2", "options: increase or decrease")."""
    options, span = listed_span(text)
    if span is None or sum(not (names_no_label(o) or o in DIRECTIONS) for o in options) < 2:
        return False
    return vocab.has("change", f"{text[:span[0]]} {text[span[1]:]}")

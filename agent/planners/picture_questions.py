"""Whether a request asks the picture itself (a caption, a yes/no or a state question) and
what that leaves of its other readings: "is there a bridge?" is answered by the detector's
count with the picture question, "what colour is the building?" by the picture alone, "is the
road flooded?" maps no water, "how many flooded buildings" counts them and asks their state.
"""

from __future__ import annotations

import re

from agent.planners.analysis import Analysis
from agent.planners.vocab import Vocabulary

_SUPERLATIVE = re.compile(r"\b(largest|biggest|smallest|tallest|longest|shortest|widest)\b")


def read(a: Analysis, t: str, full: str, folders: list[str], vocab: Vocabulary,
         n_scenes: int) -> None:
    """Set ``a.caption`` and ``a.vqa`` from the asks ``t`` (``full`` with the context
    sentences; ``folders`` the request's folders) and adjust what a picture question answers
    instead (see the module doc)."""
    has = vocab.has
    a.caption = has("caption", t) and not (a.metadata and not re.search(r"\bcaption", t)) and not (
        a.labels and re.search(r"\bdescribe (each|every|them|these)\b[^.?!;]{0,40}\bas\b", t))
    presence = has("presence", t) and not (n_scenes >= 2 and re.search(
        r"^\W*(is|are|were|was) there (more|fewer|less)\b", t)) and not (  # counts compared
        a.classify and re.search(r"^\W*(what|which)\b[^.?!;]{0,40}\b(does|do|did)\b", t))
    # over scenes; "what land use does this image show" asks for the label, no yes or no
    if has("object_state", t) and (a.classes or has("count", t)) and not (
            n_scenes == 2 and (a.change or a.change_event)):
        a.vqa = True  # "how many flooded buildings": count them, and ask about their state
    a.vqa = a.vqa or ((presence or has("attribute", t)) and not (a.metadata or a.count_words))
    if a.search and n_scenes <= 1 and not folders and (a.vqa or has("attribute", full)):
        a.search, a.query, a.vqa = False, None, True  # "does it look like a felling, or like"
    if a.vqa and a.water and not presence and not re.search(
            r"\b(how much|area|extent|percent\w*|share|fraction|hectares?|ha|km2|map)\b", t):
        a.water = False  # "is the road flooded?" is a question about the picture
    if a.vqa and a.classes and not a.detect:
        if (presence and not has("attribute", t)) or _SUPERLATIVE.search(t):
            a.detect = True  # "is there a bridge?": the detector's count answers it, with the VQA
        elif not (a.change and n_scenes == 2):  # (of a pair: the change's target)
            a.classes = []  # "what colour is the building?" is answered by describe_scene

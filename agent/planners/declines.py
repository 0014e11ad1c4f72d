"""Out-of-scope requests: which decline topic of ``prompts/intents.yaml`` a request meets."""

from __future__ import annotations

import re

from agent.planners.vocab import Vocabulary

IMAGE_WORDS = re.compile(r"\b(image|images|scene|scenes|picture|pictures|photo|photos|tile|tiles|"
                         r"raster|rasters|imagery|shown|visible|mosaic|orthophoto|this area|"
                         r"the area|xfilex|xfolderx)\b")
"""Words that tie a request to a scene (general-knowledge declines skip such requests)."""


_IMAGE_REF = re.compile(
    r"\b(this|these|that|those|the|my|our|attached|given|uploaded|each|every)\s+(\w+\s+)?"
    r"(image|images|scene|scenes|picture|pictures|photo|photos|tile|tiles|raster|rasters|"
    r"mosaic|chip|chips|frame|frames)\b|\b(xfilex|xfolderx|shown|visible|here)\b")
"""A reference to scenes at hand ("this image", "the tiles", a file name), not "optical
imagery" in general."""


def decline(text: str, vocab: Vocabulary, n_scenes: int = 0) -> str | None:
    """The reason an out-of-scope request is declined (a topic of ``prompts/intents.yaml``), or
    None. Topics marked ``unless_image`` skip requests about scenes at hand."""
    for topic in vocab.decline:
        if topic.unless_image and (n_scenes or _IMAGE_REF.search(text)):
            continue
        if any(not _PARTICIPLE.search(m.group(0)) and not _NEGATED.search(
                text, max(0, m.start() - 40), m.start()) for m in topic.cues.finditer(text)):
            return topic.reason
    return None


_PARTICIPLE = re.compile(r"^[a-z]+ed\b|(^|[\s-])[a-z]+ed$")
"""A cue met only as a past participle describes the data ("an orthorectified scene", "data
downloaded from the hub"), it asks for nothing."""


_NEGATED = re.compile(r"\b(?:not|no|never|without|dont|don t|wont|won t|cannot|can t|cant)(?:\s+(?:"
                      r"need|want|asking for|ask for|redoing|doing|running|interested in|looking "
                      r"for|after|any|an?|the))*\s*$")
"""A cue said not to be wanted ("I'm not redoing any InSAR, only a composite") asks for it not;
"not sure who owns it" still asks who owns it."""

"""Labels of a yes/no question asked of each image of a set.

"for each of these tiles, do you see oil palm?" -> ``classify_scene.labels`` [oil palm, no oil
palm]; "which of a.png, b.png and c.png are farmland?" -> [farmland, not farmland]; "is this a
residential area?" of one image or each -> [residential area, not residential area]. Lists of
labels ("farmland, forest or residential") are read by :mod:`agent.planners.label_slots`.
"""

from __future__ import annotations

import re

from agent.planners.scenes import text_modalities
from agent.planners.slots import Span
from agent.planners.vocab import Vocabulary, singular

_PRESENCE = re.compile(
    r"\b(?:for each|each of|in each|on each|go through|screen|which of|(?:in|on) how many of)\b"
    r"[^.?!;]{0,80}?\b(?:do you see|can you see|is there|are there|does (?:it|each|this one|"
    r"each one) (?:show|contain|have)|do they (?:show|contain|have))\s+(?:any\s+|visible\s+|"
    r"evidence of\s+|signs? of\s+|an?\s+)*(?P<thing>[a-z][a-z -]{1,30}?)\s*"
    r"(?=\?|$|\b(?:in|on|at|or|there)\b)")
_SET_NOUN = r"(?:images|photos|pictures|tiles|scenes|chips|frames|snapshots|patches)"
_FILES = r"(?:\s*xfilex\s*(?:,\s*(?:and\s+)?|and\s+)?)+"
_ARE = r"(?P<are>are|(?:look|looks|appear|appears|seem|seems) (?:like|to be))"
"""A label said of each image ("are farmland", "look like farmland"): its negation is "not"."""
_THING = (r"\s*(?:an? |any )?(?:(?:mostly|mainly|largely|predominantly|primarily|chiefly) )?"
          r"(?:an? )?(?P<thing>[a-z][a-z -]{1,30}?)\s*"
          r"(?=[?.,;:!]|$|\b(?:in|on|at|or|and)\b)")
_WHICH_HAVE = re.compile(
    r"\b(?:which|how many) (?:of (?P<set>(?:these|the|my|our|those) (?:\w+ ){0,3}?(?:" + _FILES
    + r")?|" + _FILES + r")|(?P<images>" + _SET_NOUN + r" (?:(?:in|of|from) (?:this|the|that|"
    r"my|our) (?:\w+ )?(?:series|set|sequence|collection|batch|stack|folder|archive) )?))"
    r"(?:contains?|shows?|has|have|depicts?|features?|includes?|captures?|portrays?|"
    r"are of |" + _ARE + r" )" + _THING)
_AMONG = re.compile(r"(?:\bamong\b[^.?!;]{0,120}?|\b(?:out of|of) "
                    r"(?:(?:these|the|my|our|those|all) )?"
                    r"(?:(?!(?:in|on|at|from|across)\b)\w+ ){0,3}?"
                    + _SET_NOUN + r"\b"
                    r"[^.?!;]{0,40}?)\bhow many (?:of them )?(?:contains?|shows?|has|have|depicts?|"
                    r"features?|includes?|" + _ARE + r")" + _THING)
"""A yes/no question over a set ("which of these village chips contain a sports pitch?",
"which of a.png, b.png and c.png are farmland?", "among a.tif, b.tif and c.tif, how many are
forest?", "out of these tiles, how many show an airport?")."""
_THAT = re.compile(r"\b(?:count|list|name|find|flag|mark|keep|select|pick out) (?:the |all )?"
                   r"(?:\w+ )?(?:" + _SET_NOUN + r"|ones) (?:that|which) (?:contains?|shows?|has|"
                   r"have|depicts?|" + _ARE + r")" + _THING)
"""The same asked as a selection ("count the scenes that are predominantly industrial", "list
the tiles that show a quarry", "out of these tiles, count the ones that are mostly cropland")."""
_IMAGE_SET = re.compile(r"^\w+ ((\w+ ){0,2}(images|photos|pictures|tiles|scenes|chips|frames|"
                        r"patches|candidates|ones|squares) )?\s*$|xfilex")
"""The set "which of ... are X" asks of, when it is images ("these", "the 12 tiles", files)."""
_STATE = re.compile(r"(?:flooded|submerged|damaged|destroyed|collapsed|burn(?:ed|t)|blocked|"
                    r"washed[ -]out|inundated|snow[ -]covered|abandoned|unfinished) ")
"""A state that makes a class a label ("which images show a flooded road"): no detector
class sees the state."""
_QUANTITY = re.compile(r"^(?:at least one|one or more|a single|any|some|an?|no)\s+")
"""A quantity before a thing asked of each image ("is there at least one plane")."""
_COMPARED = re.compile(r"\b(\w+er than|better|worse|(small|larg|bigg|high|low|fin|coars)(er|est)|"
                       r"best|worst)\b")


def presence_labels(text: str, vocab: Vocabulary) -> tuple[list[str], Span] | None:
    """Labels of a yes/no question asked of each image of a set ("for each of these tiles, do
    you see oil palm?" -> [oil palm, no oil palm]); a detectable class is no label ("which of
    these tiles contain buildings" counts buildings)."""
    m = _PRESENCE.search(text)
    if m is not None and vocab.canonical_class(singular(_QUANTITY.sub("", m.group("thing")))):
        return None  # "in how many of the images is there at least one plane": planes counted
    if m is None:
        m = _WHICH_HAVE.search(text) or _AMONG.search(text) or _THAT.search(text)
        if m is None or (vocab.class_pattern.search(m.group("thing"))
                         and not _STATE.match(m.group("thing"))):
            return None
    thing = singular(re.sub(r"^(?:classified|labell?ed|categori[sz]ed|tagged) (?:as )?", "",
                            m.group("thing").strip()))  # "how many are classified as X"
    if text_modalities(thing, vocab):
        return None  # "which of these are radar": the headers answer
    if not thing or thing.split()[0] in ("it", "them", "anything", "something", "any", "more",
                                         "less", "most", "least", "fewer", "the", "of") or (
            _COMPARED.search(thing)):
        return None  # "which of the two shows more water": a comparison, no yes/no
    are = m.groupdict().get("are")
    if are and m.groupdict().get("images"):
        return None  # "which images are filled with clouds": a state, not a label to give
    image_set = m.groupdict().get("set")
    if are and image_set is not None and not _IMAGE_SET.search(image_set):
        return None  # "how many of these boats are gone": objects, not images
    negated = "not" if are else "no"  # "are cloud free": not cloud free
    return [thing, f"{negated} {thing}"], m.span("thing")


_LAND_USE = (r"(?:residential|industrial|commercial|agricultural|urban|rural|suburban|farm ?land|"
             r"crop ?land|forest(?:ed)?|desert|meadow|grassland|wetland|orchard|vineyard|"
             r"plantation|mining|quarry|dense residential|sparse residential)")
_IS_LAND_USE = re.compile(
    r"^\W*(?:is|does) (?:this|it|that|the (?:image|scene|area|tile|photo|picture|"
    r"region|place|site|location))(?: (?:image|scene|tile|photo|picture|area|region))? "
    r"(?:(?:show|depict|contain)(?:s|ing)? )?(?:an? )?(?:(?:mostly|mainly|largely|"
    r"predominantly|primarily) )?(?:an? )?(?P<thing>" + _LAND_USE + r"(?: (?:area|scene|"
    r"region|zone|landscape|district|neighbou?rhood|land|site))?)\s*\?\W*$")
"""A request that is only a yes/no question whether a scene is of one land use ("is this a
residential area?", "is it urban?", "does the image show farmland?"): that label and its
negation (beside other asks the question is read by them: "is this a forest area? map the
forest in hectares")."""


def land_use_labels(text: str) -> tuple[list[str], Span] | None:
    """Labels of a yes/no land-use question ("is this a residential area?" -> [residential
    area, not residential area]); a list of labels ("rural or urban") is read elsewhere."""
    m = _IS_LAND_USE.search(text)
    if m is None:
        return None
    thing = m.group("thing")
    return [thing, f"not {thing}"], m.span("thing")

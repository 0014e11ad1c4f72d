"""Which of several scenes a request is about: "the radar image", "the 2019 one", "image B".

References (file names masked): **order** ("the last image", "image 2"), **letter** ("image
B": the file whose name ends in that token, else the letter's place), **date** ("the 2019 one",
"the latest image": dates from file names, else the order given), **modality** ("the radar /
optical one"). When they pick some but not all scenes, the request is about those (a note
says so); references to every scene ("the radar and the optical image") pick none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.planners import ask, scene_names
from agent.planners import scenes as facts
from agent.planners.scene_names import NOUN as _NOUN
from agent.planners.scene_roles import (
    ALL_SCENES,
    AS_ROLE,
    DATED_AS_ROLE,
    EVENT,
    LISTED,
    RELATED,
    ROLE_IS,
    ROLE_TAIL,
    excepted_here,
)
from agent.planners.text import read_request

ORDINALS = {"penultimate": -2, "second-to-last": -2, "second to last": -2, "next-to-last": -2,
            "next to last": -2, "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2,
            "fourth": 3, "4th": 3, "fifth": 4, "5th": 4, "last": -1, "final": -1, "former": 0,
            "latter": -1, "left": 0, "right": -1, "initial": 0}
"""Ordinal words -> index of the scene in the order given (negative: from the end, -1 the
last); also used by the chat follow-ups ("same for the second image")."""
_ORDINAL = "|".join(ORDINALS)
_SAR_WORDS = r"radar|sar|sentinel[\s-]*1[ab]?|s1"
_OPTICAL_WORDS = (r"optical|multispectral|sentinel[\s-]*2[ab]?|s2|landsat(?:[\s-]*\d{1,2})?|rgb|"
                  r"true colou?r|aerial")
_HSI_WORDS = r"hyperspectral|hsi|aviris"
_MODAL_WORDS = f"{_SAR_WORDS}|{_OPTICAL_WORDS}|{_HSI_WORDS}"
"""Words naming a scene by its sensor ("the radar image", "the Sentinel-1 scene", "the
Landsat-8 one")."""
_TIME_WORDS = (r"older|oldest|earlier|earliest|previous|newer|newest|later|latest|recent|"
               r"current|pre|post|before|after")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_MONTH_WORD = "|".join(_MONTHS)
_YEAR_WORD = r"(?:19|20)\d\d"
_DATE_WORDS = rf"{_YEAR_WORD}|{_MONTH_WORD}|winter|spring|summer|autumn|fall"
_END = r"(?=\s*(?:[?.!,;]|$))"
"""A reference word that ends its clause ("count the ships in the first.")."""
_COORD = (rf"(?=(?:\s*(?:,|and|or|&|vs\.?|versus|to|the|an?|most|in|on|{_ORDINAL}|{_MODAL_WORDS}|"
          rf"{_TIME_WORDS}|{_DATE_WORDS})\b)*\s*{_NOUN}s?\b)")
"""Lookahead: the reference word is followed by its noun, maybe across a coordination
("the radar and the optical image", "the first and the last scene", "the older and newer
image", "from the first to the second image")."""
_ORDER = re.compile(rf"(?:\b(?:the|in|on|of|for|from|with|and|or|(?:just|only)(?=\s+(?:first|last"
                    rf")))|,(?=\s+(?:{_ORDINAL})\s+(?:or|and|vs\.?|versus)\s+(?:the\s+)?(?:{_ORDINAL})"
                    rf"\b))\s+({_ORDINAL})\b(?:{_COORD}|{_END}|(?=(?:\s*(?:,|and|or|vs\.?|versus|the|"
                    rf"in|on|{_ORDINAL})\b)+\s*(?:[?.!;,]|$))|(?=\s+(?:count|map|detect|compute|"
                    r"classify|describe|segment|measure|estimate|find|give|show|calculate|into)\b))")
"""A scene by its order, maybe coordinated with another ("the first or the second?"), or before
the work asked of it ("for the second count the tanks", "classify the second into ...")."""
_ORDER_LIST = re.compile(rf"\bthe\s+(?:{_ORDINAL})((?:\s*,\s*(?:the\s+)?(?:{_ORDINAL}))+)\s*,?\s*"
                         rf"(?:and|or|&)\s+(?:the\s+)?(?:{_ORDINAL})\b")
"""A list of places ("the first, third and fifth images"): each inner one is a scene too."""
_MIDDLE = re.compile(rf"\b(?:the|in|on|of|for|from)\s+middle\b(?:{_COORD}|{_END})")
_COUNTS = ("two", "three", "four", "five")
_FIRST_N = re.compile(rf"\b(first|last|earliest|latest|final)\s+(two|three|four|five|[2-5])\s+"
                      rf"{_NOUN}s\b|\b(?:in|on|for|of|from|over) the (first|last|earliest|latest|"
                      r"final)\s+(two|three|four|five|[2-5])(?=\s*(?:[?.!,;]|$|and\b))")
"""Several scenes by order ("the last two images", "the first three scenes", "in the last
two and ..."; not "give me the first 3": hits)."""
_NUMBERED = re.compile(r"\b(?:image|scene|picture|photo|tile|chip|frame)s?\s*(?:no\.?\s*|#\s*)?"
                       r"(\d{1,2}|(?<![a-z])[b-e]|(?<![a-z])a(?!\s+(?:day|week|month|year|fortnight|season|date|"
                       r"pass|few|lot|bit|couple|dozen|hundred|thousand)\b))\b"
                       r"(?!\s*(?:m|km|cm|%|percent|px|pixels?)\b)")
"""A scene by its number or letter ("image 2", "scene B"); "one scene a month" names none."""
_NUMBERED_MORE = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+|&\s*|or\s+|(?P<to>to|through)\s+)"
                            r"(\d{1,2}(?!\s*(?:m|km|cm|%|percent|px|pixels?|[:.]\d)\b)|"
                            r"[a-e](?=\s*(?:[,.;:?!)]|$|\s(?:and|or|to|images?|scenes?)\b)))\b")
"""More numbers after one ("image 1 and 2", "scenes A, B and C", "images 2 to 4")."""
_OLD = re.compile(rf"\b(older|oldest|earlier|earliest|previous)\b{_COORD}|\bthe (?:oldest|earliest)"
                  rf"\b{_END}")
_NEW = re.compile(rf"\b(newer|newest|later|latest|most recent|recent|current)\b{_COORD}|"
                  rf"\bthe (?:newest|latest|most recent)\b{_END}")
_TAKEN = (rf"\b{_NOUN}s?\s+(?:taken|acquired|captured|recorded|shot|imaged|from)\s+(?:just\s+|"
          r"shortly\s+|right\s+|soon\s+)?{}\s+the\s+(?:flood\w*|fire|storm|event|earthquake|quake|"
          r"hurricane|disaster|eruption|cyclone|landslide|typhoon|tsunami|inundation)\b")
_PRE = re.compile(rf"\b(?:pre{EVENT}|before)\b{_COORD}|" + _TAKEN.format("before"))
_POST = re.compile(rf"\b(?:post{EVENT}|after)\b{_COORD}|" + _TAKEN.format("after"))
"""Roles of a pair ("the pre-flood image", "the after scene", "the image taken after the
flood"): read only per clause (see :func:`referenced`), since a whole change request names its
baseline the same way."""
_LEAD = r"(?:\b(?:the|and|or|vs\.?|versus|on|in|for|from)\s+|,\s*)"
"""What comes before a date word that names a scene ("the 2019 one", "the 2018 and 2020
images", "the june, july and august scenes")."""
_NOUN_OF = (rf"\b(?:the\s+)?{_NOUN}\s+(?:(?:is|was|that is|which is)\s+)?(?:from|of|taken in|"
            rf"acquired in|in)\s+")
"""A scene noun before its date ("the image from 2019", "the scene of june")."""
_YEAR = re.compile(rf"{_LEAD}({_YEAR_WORD})\b{_COORD}|{_NOUN_OF}({_YEAR_WORD})\b")
_RANGE = re.compile(r"\b(?:from|since) the (?:first|earliest|oldest)\b[^.?!;]{0,30}\b"
                    r"(?:to|until|till|through) the (?:last|latest|newest|most recent|final)\b|"
                    r"\b(?:from|between) (?:19|20)\d\d (?:to|until|till|through|and) "
                    r"(?:19|20)\d\d\b")
_BASELINE = re.compile(
    rf"\b(?:since|(?:as )?compared (?:with|to)|in comparison (?:with|to)|relative to|"
    rf"(?<!other )(?<!rather )than(?: (?:in|on|at|for))?|(?:versus|vs\.?)(?!\s+(?:the\s+)?"
    rf"{_NOUN}\s+(?:\d{{1,2}}|[a-e])\b)|against|"
    rf"(?:not|never|nt|no longer) (?:there |present |visible |seen |standing )?(?:in|on)|"
    rf"(?:absent|missing) (?:from|in|on))\s+"
    rf"((?:the\s+)?(?:(?:{_ORDINAL}|{_TIME_WORDS}|{_MODAL_WORDS})\s+{_NOUN}\b|"
    rf"(?:the\s+)?(?:{_ORDINAL}|{_TIME_WORDS})\b{_END}|"
    rf"(?:the\s+)?{_NOUN}\s+(?:\d{{1,2}}|[a-e])\b|(?:the\s+)?(?:{_DATE_WORDS})\b))")
"""A scene named as the baseline of a comparison ("new buildings since the first photo", "how
much is newly developed compared with the earlier image", "new since 2019", "damaged in image b
relative to image a", "new roads that were not there in the first image"): the comparison
spans it and the scene(s) compared with it."""
_LATER = ("later", "latest", "newer", "newest", "more recent", "most recent")
_OF_KIND = re.compile(rf"\bthe ({'|'.join(_LATER)}|earlier|earliest|older|oldest|first|second|"
                      rf"last) of the (?:two |three |four |\d+ )?({_MODAL_WORDS}) {_NOUN}s\b")
"""A scene by its place among the scenes of one modality ("the later of the two radar
images"): by the file-name dates (by the order given for first / second / last)."""
_OTHER = re.compile(r"\bthe other (?:one|image|scene|picture|photo|file|date|acquisition)\b")
"""The scene of a pair not described in a statement ("the first image is cloudy; ... the other
one")."""
_FLAW = r"(?:cloudy|hazy|blurry|dark|noisy|bad|corrupt\w*|broken|empty|smoky)"
"""What makes a scene left out ("skip the cloudy 2020 scene")."""
_EXCEPT = re.compile(
    rf"\b(?:skip(?:ping)?|except(?: for)?|all but|other than|excluding|exclude|apart from|"
    rf"ignore|ignoring|leave out|leaving out|besides|(?:{_NOUN}s?|everything) but|"
    rf"(?P<not>(?<![a-z] )(?<=[,;:(] )not|^not))\s+"
    rf"(?P<scene>(?:the\s+)?(?:{_FLAW}\s+)?(?:(?:{_ORDINAL}|middle|{_TIME_WORDS}|{_MODAL_WORDS})(?:\s+{_NOUN}s?\b|"
    rf"(?=\s*(?:[?.!,;]|$|and\b)))|(?:{_DATE_WORDS})(?:\s+{_NOUN})?\b|"
    rf"{_NOUN}\s+(?:\d{{1,2}}|[a-e])\b|(?:first|last|earliest|latest) (?:two|three|four|[2-4])"
    rf"(?:\s+{_NOUN}s)?\b))")
"""A scene left out ("skip the first file", "all but the first image", "except the 2019
one", "skip the cloudy 2020 scene", "every scene but the 2019 one", "image B, not image A"; not
"in the later one but not the earlier one": a change): the others are analysed."""
_GREW_IN = re.compile(
    rf"\b(?:expand\w*|grew|grown|grow|increas\w*|decreas\w*|shr[iau]nk\w*|spread|disappear\w*|"
    rf"vanish\w*|demolish\w*|destroy\w*|cleared|added|gained|lost|gone|no longer \w+)\b"
    rf"[^.?!;]{{0,20}}\b(?:in|by|on) (?:(?:the )?(?:later|newer|newest|latest|second|2nd|last|"
    rf"recent|current|post[\w-]*|after) {_NOUN}\b|(?:19|20)\d\d\b(?!\s*{_NOUN})|the (?:19|20)\d\d "
    rf"{_NOUN}\b)")
"""A change said of the later of two scenes ("by how much did the paved surface expand in
the later image", "what is in the 2015 image but gone in 2020", "which buildings no longer
exist in the 2023 image"): the later scene against the earlier one, both."""
_MORE_IN = re.compile(rf"\b(?:(?:is|are|was|were) there (?:any )?(?:more|less|fewer)\b"
                      rf"(?:(?!\bthan\b)[^.?!;]){{0,30}}|\b(?:is|are|was|were) (?:the |it |they )?"
                      rf"(?:[a-z]+ ){{0,2}}(?:bigger|larger|smaller|wider|narrower|longer|shorter|"
                      rf"higher|lower|greener|drier|wetter)\s|\b(?:appears?|appeared|appearing|"
                      rf"shows? up|showed up|present|visible|seen|exists?) only\s)"
                      rf"\b(?:in|on) (?:the )?(?:{_ORDINAL}|later|newer|latest|earlier|older) "
                      rf"{_NOUN}\b(?!\s+(?:than|compared|relative)\b)")
"""An amount compared in one of two scenes, the other left unsaid ("is there less snow in the
later image?", "is the lake bigger in the second image?", "the buildings that appear only in the
later image"): both scenes."""
_SIZE_STATED = re.compile(r"\d(?:\.\d+)?\s*(?:m|cm|mm|ft|metres?|meters?)\b")
"""A size stated in a sentence that asks nothing: each scene's GSD, no pick."""
_STATEMENT = re.compile(r"(?<!\bin\s)(?<!\bon\s)(?<!\bfor\s)(?<!\bin the\s)(?<!\bon the\s)"
                        r"(?<!\bfor the\s)\b(?:the\s+)?(?:first|second|third|last|1st|2nd|3rd)"
                        r"(?:\s+(?:one|image|"
                        r"scene|chip|photo|tile))?\s+(?:is|was|has|are|at|with|:)\s+[^.;,]{0,25}"
                        r"\d[^.;,]*|"
                        r"\b(?:pre|post|before|after)[\s-]?(?:event|fire|flood|disaster|storm)?\s+"
                        r"(?:image\s+|scene\s+|file\s+)?(?:is|was)\s+the\s+(?:first|second|last|1st|"
                        r"2nd)(?:\s+(?:one|image|scene|file))?\b|"
                        r"\bthe\s+(?:first|second|last|1st|2nd)(?:\s+(?:one|image|scene|file))?\s+"
                        r"(?:is|was)\s+(?:the\s+)?(?:pre|post|before|after)\b")
"""A sentence that describes a scene by its order ("the first one is 0.3 m per pixel", "pre-event
is the second file") picks no scene; nor do roles given by order
(:func:`agent.planners.scene_roles.roles_by_order`)."""
_MONTH = re.compile(rf"{_LEAD}({_MONTH_WORD})\b{_COORD}|{_NOUN_OF}({_MONTH_WORD})\b")
_MONTH_YEAR = re.compile(rf"\b(?:the\s+)({_MONTH_WORD}) ({_YEAR_WORD})\b{_COORD}|"
                         rf"{_NOUN_OF}({_MONTH_WORD}) ({_YEAR_WORD})\b")
"""A scene by month and year ("the may 2021 one", "the image from june 2019")."""
SEASON_MONTHS = {"winter": (12, 1, 2), "spring": (3, 4, 5), "summer": (6, 7, 8),
                 "autumn": (9, 10, 11), "fall": (9, 10, 11)}
"""Months of each season, read for the northern hemisphere (meteorological seasons)."""
SEASON = re.compile(rf"{_LEAD}({'|'.join(SEASON_MONTHS)})(?:time)?\b{_COORD}|"
                    rf"{_NOUN_OF}(?:the\s+)?({'|'.join(SEASON_MONTHS)})\b")
"""A scene by its season ("the winter image", "the summer scenes", "the image from the
autumn"), picked by the month in its file name."""
_MODALITY = {
    "sar": re.compile(rf"\b(?:{_SAR_WORDS})\b{_COORD}|\b(?:with|using|from|by|via)\s+(?:the\s+)?"
                      r"(?:radar|sar)\b(?=\s+-?\d|\s+(?:threshold|backscatter|data)\b)"),
    "optical": re.compile(rf"\b(?:{_OPTICAL_WORDS})\b{_COORD}"),
    "hyperspectral": re.compile(rf"\b(?:{_HSI_WORDS})\b{_COORD}"),
}


_ROLE_WORDS = re.compile(r"\b(pre|post)[\s-]?(?:event|flood|fire|burn|storm|disaster|quake|"
                         r"earthquake|hurricane|cyclone)\b")
_MADE = re.compile(r"\b(?:an?|one)\s+(?:true colou?r|rgb)\b")
"""A true-colour or RGB picture with an indefinite article is an output to make ("a true colour
picture of the 2019 image"), not one of the scenes."""
_DESCRIBES = re.compile(rf"\s*{_NOUN}s?(?:\s+(?:from|of|taken|acquired|captured|recorded|before|"
                        rf"after|during|on|in|at|the|a|an|event|flood|fire|storm|rains?|earthquake|"
                        rf"quake|eruption|\d{{1,4}})){{0,4}}\s*[(,:]?\s*xfilex")
"""A modality word whose noun is followed by a file name names that file, picks none ("the
Sentinel-1 scene from before (a.tif)")."""


_FILE_LIST = re.compile(r"xfilex(?:\s*(?:,\s*(?:and|or)\b|,|;|&|\band\b|\bor\b)\s*xfilex)+")


def names_all(norm: str, mentions: Sequence[str], paths: Sequence[str]) -> bool:
    """Whether the request names every one of several scenes itself, so that none is picked
    ("flood in s1.tif with the buildings of the optical b.tif"); not when three or more are all
    in one list after "?", ":" or "(" (it singles none out). Names given only in statements do
    not count when an ask refers to a scene by modality ("we have a radar scene (a.tif) and an
    optical image (b.tif). on the optical image, count the buildings")."""
    if len(paths) < 2 or not all(p in mentions for p in paths) or (len(paths) > 2 and (
            m := _FILE_LIST.search(norm)) and m.group(0).count("xfilex") == norm.count("xfilex")
            and norm[:m.start()].rstrip().endswith(("?", ":", "("))):
        return False  # ("in the third image ...? a.tif, b.tif, c.tif": a list names none)
    stated = ask.statement_spans(norm)
    asked = {name for name, m in zip(mentions, re.finditer("xfilex", norm), strict=False)
             if not any(a <= m.start() < b for a, b in stated)}
    asks = ask.blank(norm, stated)
    return all(p in asked for p in paths) or not any(
        not _DESCRIBES.match(asks, m.end()) for pattern in _MODALITY.values()
        for m in pattern.finditer(asks))


def referenced(norm: str, scenes: Sequence[tuple[str, str | None]],
               roles: bool = False, context: str | None = None) -> list[int]:
    """Indices (in the given order) of the scenes the request singles out; [] for none/all.

    Args:
        norm: The normalised request (file names masked).
        scenes: ``(path, modality)`` of the request's scenes, in the order given.
        roles: Also read pair roles ("the pre-flood image" is the older one): for one clause
            of a request, not for a whole request ("dNBR with the pre-fire scene as baseline").
        context: The request with its context sentences when ``norm`` has them blanked: "the
            other one" is the scene a statement there does not describe.
    """
    n = len(scenes)
    if n < 2:
        return []
    related = RELATED.search(norm) is not None
    left_out = set(_picks(_as_refs([re.sub(rf"\b{_FLAW}\s+", "", m.group("scene"))
                                    for m in _EXCEPT.finditer(context or norm)
                                    if not (related and m.group("not"))
                                    and excepted_here(context or norm, m.start())]), scenes,
                          roles))
    if left_out:  # "skip the first file and count the trucks in the others"
        rest = set(referenced(_EXCEPT.sub(" ", norm), scenes, roles) or range(n)) - left_out
        return sorted(rest) if rest else []
    sized = [(a, b) for a, b in ask.statement_spans(norm) if _SIZE_STATED.search(norm, a, b)
             and not _picks(norm[a:b], scenes, roles)]  # (of all or none; not "only the second
    # image matters, its GSD is 0.5 m": a pick)
    if sized and len(sized) < len(ask.sentences(norm)):  # "the left image is 0.3 m and the
        norm = ask.blank(norm, sized)  # right 0.6 m; ... in the left one", "gsd is 0.6 m for
        # all images": sizes, no pick
    if _RANGE.search(norm) or ALL_SCENES.search(norm):
        return []  # "from the first to the last date", "in both images": the whole series
    other = _OTHER.search(norm) if n == 2 else None
    if other:  # "the first image is cloudy; count the ships in the other one"
        full = context if context is not None else norm
        said = {i for a, b in ask.statement_spans(full) if not a <= other.start() < b
                for i in _picks(full[a:b], scenes, roles)}
        return [1 - said.pop()] if len(said) == 1 else []  # ("the first ... with the other
        # one": both)
    norm = _STATEMENT.sub(" ", norm)  # "the first one is 0.3 m per pixel" describes, not picks
    if n == 2 and (_GREW_IN.search(norm) or _MORE_IN.search(norm)):
        return []  # "did the paved surface expand in the later image": the pair
    if (bases := [m.group(1) for m in _BASELINE.finditer(norm)]) and (
            n == 2 or set(_picks(norm, scenes, roles)) <= set(_picks(_as_refs(bases), scenes,
                                                                    roles))):
        return []  # the baseline of a comparison: it and what it is compared with
    return _picks(norm, scenes, roles)


def _as_refs(bases: list[str]) -> str:
    """Baseline phrases as scene references of their own ("2019" -> "the 2019 image")."""
    def noun(base: str) -> str:
        if re.search(rf"{_NOUN}s$", base):
            return ""
        return " images" if re.search(r"(?:two|three|four|[2-4])$", base) else " image"
    return " . ".join(f"{'' if b.startswith('the ') else 'the '}{b}{noun(b)}" for b in bases)


def baseline(text: str, scenes: Sequence[tuple[str, str | None]]) -> int | None:
    """The index of the one scene of a pair named as the baseline of a comparison ("new
    since 2019", "compared with the earlier image"): the "before" scene; else None."""
    bases = [m.group(1) for m in _BASELINE.finditer(read_request(text, None).norm)]
    picked = _picks(_as_refs(bases), scenes, False) if bases else []
    return picked[0] if len(picked) == 1 and len(scenes) == 2 else None


def _picks(norm: str, scenes: Sequence[tuple[str, str | None]], roles: bool) -> list[int]:
    """The scenes :func:`referenced` reads in ``norm`` (statements taken out)."""
    n = len(scenes)
    for role in (LISTED, DATED_AS_ROLE, AS_ROLE, ROLE_IS, ROLE_TAIL):  # "the first as before", "the
        norm = role.sub(" ", norm)  # newer image as the reference", "..., image a after": roles,
    # no pick
    paths = [p for p, _ in scenes]
    picked: set[int] = set()
    for m in _OF_KIND.finditer(norm):  # "the later of the two radar images"
        kind = next((k for k, pattern in _MODALITY.items()
                     if pattern.match(m.group(2) + " image")), "optical")
        among = [i for i, (_, mod) in enumerate(scenes) if facts.of_kind(kind, mod) or (
            kind == "optical" and mod is None)]
        when = {i: facts.file_date(scenes[i][0]) for i in among}
        if len(among) > 1 and (m.group(1) in ORDINALS or all(when.values())):
            ranked = among if m.group(1) in ORDINALS else sorted(among, key=lambda i: str(when[i]))
            k = ORDINALS.get(m.group(1), -1 if m.group(1) in _LATER else 0)
            if -len(ranked) <= k < len(ranked):  # (not "the third radar image" of two)
                picked.add(ranked[k])
    norm = _OF_KIND.sub(" ", norm)
    inner = [w for m in _ORDER_LIST.finditer(norm)
             for w in re.findall(rf"\b(?:{_ORDINAL})\b", m.group(1))]
    for i in [ORDINALS[w] for w in inner] + [ORDINALS[m.group(1)]
                                             for m in _ORDER.finditer(norm)]:
        if -n <= i < n:
            picked.add(n + i if i < 0 else i)
    if n % 2 and _MIDDLE.search(norm):
        picked.add(n // 2)  # "the middle image" of three
    for m in _FIRST_N.finditer(norm):  # "the last two images"
        which, count = m.group(1) or m.group(3), m.group(2) or m.group(4)
        k = min(n, int(count) if count.isdigit() else _COUNTS.index(count) + 2)
        picked |= set(range(k) if which in ("first", "earliest") else range(n - k, n))
    for m in _NUMBERED.finditer(norm):
        tokens, end = [(m.group(1), False)], m.end()
        while more := _NUMBERED_MORE.match(norm, end):
            tokens.append((more.group(2), more.group("to") is not None))
            end = more.end()
        last: int | None = None
        for token, to in tokens:
            index = (scene_names.number_index(token, paths, m.group(0).split()[0])
                     if token.isdigit() else scene_names.letter_index(token, paths))
            if index is not None and 0 <= index < n:
                picked |= set(range(last + 1, index + 1)) if to and last is not None else {index}
                last = index
    picked |= scene_names.by_name(norm, paths)
    dates = [facts.file_date(p) for p in paths]
    keys = [d if d is None or len(d) == 10 else f"{d}-01-01" for d in dates]
    order = (sorted(range(n), key=lambda i: keys[i] or "") if all(keys)
             else list(range(n)))
    if _OLD.search(norm):
        picked.add(order[0])
    roles = roles and len({m.group(1) for m in _ROLE_WORDS.finditer(norm)}) < 2  # (not "from
    # the pre-fire and post-fire images": both)
    if _NEW.search(norm) or (roles and _POST.search(norm)):
        picked.add(order[-1])
    if roles and _PRE.search(norm):
        picked.add(order[0])
    undated = set(picked)

    def some(found: set[int]) -> set[int]:  # a date every scene has picks none ("of these
        return found if len(found) < n else set()  # files from 9 march, only the radar one")

    for m in _MONTH_YEAR.finditer(norm):  # "the may 2021 one": both must agree
        month = _MONTHS.index(m.group(1) or m.group(3)) + 1
        year = m.group(2) or m.group(4)
        picked |= some({i for i, d in enumerate(dates) if d and len(d) >= 7
                        and d.startswith(year) and int(d[5:7]) == month})
    norm = _MONTH_YEAR.sub(" ", norm)
    years = {m.group(1) or m.group(2) for m in _YEAR.finditer(norm)}
    for year in years:
        picked |= some({i for i, d in enumerate(dates) if d and d.startswith(year)})
    for m in _MONTH.finditer(norm):
        month = _MONTHS.index(m.group(1) or m.group(2)) + 1
        picked |= some({i for i, d in enumerate(dates) if d and len(d) >= 7  # 2023-06(-14)
                        and int(d[5:7]) == month})
    for m in SEASON.finditer(norm):  # "the winter image": by the month in its name
        months = SEASON_MONTHS[m.group(1) or m.group(2)]
        picked |= some({i for i, d in enumerate(dates) if d and len(d) >= 7
                        and int(d[5:7]) in months})
    stated = ask.statement_spans(norm)  # "the optical image is all cloud. use the radar one"
    norm = _MADE.sub(lambda m: " " * len(m.group(0)), norm)  # "a true colour picture of ..."
    dated, modal = picked - undated, set()
    for kind, pattern in _MODALITY.items():
        said = [m for m in pattern.finditer(norm) if not _DESCRIBES.match(norm, m.end())
                and (not any(a <= m.start() < b for a, b in stated)
                     or norm.endswith("only the ", 0, m.start()))]  # ("only the radar one is
        # clear"; not "a radar scene (a.tif)": it describes); unknown modality is optical
        by_name = scene_names.by_sensor([m.group(0) for m in said], paths)
        modal |= by_name or ({i for i, (_, mod) in enumerate(scenes) if facts.of_kind(
            kind, mod) or (kind == "optical" and mod is None)} if said else set())
    named = scene_names.by_token(norm, paths)  # "the VV image", "the PlanetScope one": of the
    modal = (modal & named or modal | named) if modal else named  # radar scenes, the one of
    # that token ("the radar VV image"); beside another one, both ("the Pléiades image, and on
    # the Sentinel-2 image")
    if dated & modal and _SENSOR_AND_DATE.search(norm) and len(years) < 2:  # (not "the 1998
        dated = modal = dated & modal  # and 2006 landsat images and the 2017 sentinel-2 image")
    picked = undated | dated | modal
    return sorted(picked) if 0 < len(picked) < n else []


_SENSOR_AND_DATE = re.compile(
    rf"\b(?:{_MODAL_WORDS})\s+(?:{_NOUN}s?\s+)?(?:(?:from|of|in|taken in|acquired in|dated)\s+)?"
    rf"(?:the\s+)?(?:{_DATE_WORDS})\b|\b(?:{_DATE_WORDS})\s+(?:{_MODAL_WORDS})\b")
"""A sensor and a date said of one scene ("the optical image from 2023", "the 2019 radar one"):
the scene both pick, not every scene either picks."""


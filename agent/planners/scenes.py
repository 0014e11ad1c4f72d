"""Scene facts for the offline planner: dates, modality and before/after roles.

Read from scene paths (``s2_2019-07-01.tif``, ``scene_s1.tif``, ``pre_event.tif``) and the
words next to them in the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import PurePath

from agent.planners.vocab import Vocabulary

_TIME_TOKEN = re.compile(r"(?i)\dt\d{4}|(?:^|[_\-.])(?:w\d{1,2}|[01]\d[0-5]\d|2[0-3][0-5]\d)"
                         r"(?=$|[_\-.])")


def one_acquisition(paths: list[str]) -> bool:
    """Whether the files are pieces of one acquisition: the same date in every name and no
    time or week that tells them apart ("..._20111112_map0018.tif", "..._map0019.tif"); such
    a set has no trend."""
    dates = {file_date(p) for p in paths}
    return len(paths) >= 2 and len(dates) == 1 and None not in dates and not any(
        _TIME_TOKEN.search(PurePath(p).stem) for p in paths)


def file_date(path: str) -> str | None:
    """ISO date in a file name (``s2_2019-07-01.tif`` -> 2019-07-01; a month ``lst_2018-04``
    -> 2018-04; a year -> YYYY)."""
    name = PurePath(path).name
    m = re.search(r"(?<!\d)((?:19|20)\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)",
                  name)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    m = re.search(r"(?<!\d)((?:19|20)\d{2})[-_](0[1-9]|1[0-2])(?![-_.]?\d|[a-z])", name)
    if m:  # a month: "lst_2018-04.tif"
        return f"{m.group(1)}-{m.group(2)}"
    m = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", name)
    return m.group(1) if m else None


_MONTHS = (r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*")
_SAID_HEAD = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*(?:(?:image|scene|one|file|acquisition|"
                        r"mosaic|capture|photo|frame)\s*(?:[:=]|\bis\b|\bwas\b)?|[:=]|\bis\b)"
                        r"\s*$")
_SAID_TAIL = re.compile(rf"\s*(?:\(\s*|,?\s*(?:is\s+|was\s+)?(?:from|of|dated|(?:taken|acquired|"
                        rf"captured|imaged|shot)\s+(?:in|on)|in)\s+|,\s*)(?:the\s+)?"
                        rf"(?:\d{{1,2}}\s+)?(?:{_MONTHS}\s+)?((?:19|20)\d{{2}})(?![\d-])")


def said_date(name: str, raw: str) -> str | None:
    """The year the request says of a file whose name has none ("the 2019 image is lake_b.tif",
    "lake_a.tif (June 2023)", "b.tif, acquired in 2018"); None when it says none."""
    low = raw.lower()
    pos = low.find(PurePath(name).name.lower())
    if pos < 0:
        return None
    end = pos + len(PurePath(name).name)
    if m := _SAID_TAIL.match(low, end):
        return m.group(1)
    m = _SAID_HEAD.search(re.split(r"[;.,]\s", low[max(0, pos - 40): pos])[-1])
    return m.group(1) if m else None


def guess_modality(path: str, vocab: Vocabulary) -> str | None:
    """Modality from a file name's tokens (s1/sar/vv -> sar, aviris -> hyperspectral ...), else
    from a hyperspectral cube's format (.mat, ENVI .hdr)."""
    pure = PurePath(path)
    tokens = re.split(r"[^a-z0-9]+", pure.stem.lower())
    for part in reversed(pure.parent.parts):
        tokens += re.split(r"[^a-z0-9]+", part.lower())
    for token in tokens:
        if token in vocab.file_modality:
            return vocab.file_modality[token]
    return "hyperspectral" if pure.suffix.lower() in (".mat", ".hdr") else None  # (the cubes
    # of Indian Pines, Pavia, Jasper Ridge)


def guess_modalities(paths: list[str], vocab: Vocabulary) -> list[str | None]:
    """:func:`guess_modality` of each path, except that a numbered series of three or more
    (``s1.png s2.png s3.png``) is numbered, not named by a sensor token."""
    stems = [re.fullmatch(r"([a-z]+)(\d+)", PurePath(p).stem.lower()) for p in paths]
    prefixes = [m.group(1) for m in stems if m]
    return [None if m and prefixes.count(m.group(1)) >= 3 else guess_modality(p, vocab)
            for p, m in zip(paths, stems, strict=True)]


def of_kind(kind: str, modality: str | None) -> bool:
    """Whether a scene of ``modality`` is of the ``kind`` a reference names ("optical": rgb,
    multispectral or panchromatic; else that modality)."""
    if kind == "optical":
        return modality in ("rgb", "multispectral", "panchromatic")
    return modality == kind


def text_modality(text: str, vocab: Vocabulary) -> str | None:
    """The modality the request says its scenes have ("this Sentinel-1 scene" -> sar)."""
    for modality, pattern in vocab.hint_patterns.items():
        if pattern.search(text):
            return modality
    return None


def text_modalities(text: str, vocab: Vocabulary) -> set[str]:
    """Every modality the text names ("the radar and the optical image" -> sar and the
    optical ones: rgb, multispectral, panchromatic)."""
    kinds = {m for m, pattern in vocab.hint_patterns.items() if pattern.search(text)}
    if re.search(r"\boptical\b", text):
        kinds |= {"rgb", "multispectral", "panchromatic"}
    return kinds


_NAMED_BY = re.compile(r"\b(?:image|scene|one|picture|photo|tile|file|raster|chip|frame|cube|"
                       r"mosaic|orthomosaic|granule|product|acquisition|capture)s?\s*[(,:]?\s*$")
"""A noun right before a file name ("a radar scene (a.tif)"): the words before it describe it."""


def stated_modalities(norm: str, mentions: list[str], vocab: Vocabulary) -> dict[str, str]:
    """Modalities the text gives one file each ("a radar scene (a.tif) and an optical image
    (b.tif)" -> a.tif sar, b.tif multispectral): the words of the noun phrase right before the
    name, not crossing another name or a sentence end."""
    out: dict[str, str] = {}
    previous = 0
    for k, m in enumerate(re.finditer(r"xfilex", norm)):
        window = re.split(r"[.;?!]\s|xfilex", norm[previous:m.start()])[-1][-60:]
        previous = m.end()
        if k >= len(mentions) or not _NAMED_BY.search(window):
            continue
        phrase = re.split(r"\b(?:and|or|with|than|versus|vs)\b", window)[-1]
        kinds = {mod for mod, pattern in vocab.hint_patterns.items() if pattern.search(phrase)}
        if not kinds:
            kinds = ({"multispectral"} if re.search(r"\boptical\b", phrase) else {"rgb"}
                     if re.search(r"\b(?:rgb|true[\s-]colou?r|natural[\s-]colou?r)\b", phrase)
                     else set())
        if len(kinds) == 1:
            out[mentions[k]] = kinds.pop()
    return out


def epoch_of(name: str) -> int | None:
    """The epoch number of names such as ``t0.tif``, ``area_t2.tif`` (else None)."""
    m = re.search(r"(?:^|[^a-z0-9])t(\d{1,2})(?:[^0-9]|$)", PurePath(name).stem.lower())
    return int(m.group(1)) if m else None


_AS = r"(?:as\s+(?:the\s+|a\s+|an\s+)?)?"
""""b.tif as the pre-fire image" says the role after the name."""


_JOINED_ROLE = re.compile(r"(pre|post)(?:fire|flood|event|storm|quake|earthquake|eq|burn|disaster|"
                          r"hurricane|typhoon|cyclone|tsunami|eruption|landslide|war|conflict|"
                          r"blast|explosion|spill|harvest|monsoon|breach)")
"""A role written into one token of a file name ("LC09_postfire_2023.tif", "preflood.tif")."""


def role_of(name: str, raw: str) -> str | None:
    """"before" / "after" when a scene's name or the words next to it say so."""
    stem = PurePath(name).stem.lower()
    tokens = set(re.split(r"[^a-z0-9]+", stem))
    joined = {m.group(1) for t in tokens if (m := _JOINED_ROLE.fullmatch(t))}  # "postfire"
    if tokens & {"before", "pre", "old", "earlier", "past"} or joined == {"pre"}:
        return "before"
    if tokens & {"after", "post", "new", "later", "current", "recent"} or joined == {"post"}:
        return "after"
    low = raw.lower()
    pos = low.find(name.lower())
    if pos < 0:
        return None
    tail = low[pos + len(name): pos + len(name) + 25]
    head = low[max(0, pos - 25): pos]
    tail = re.split(r"[;.]|,\s*(?=\w)", tail, maxsplit=1)[0]  # "pre: a.tif; post: b.tif";
    # after a closing parenthesis or a colon "first" is no role: "(a.tif, b.tif) first and
    # report", "a.tif and b.tif: first a false-colour view, then ..."
    if re.search(rf"^[^\w):]*\(?\s*{_AS}(before|earlier|older|pre|first|reference)", tail) or \
            re.search(r"(before|earlier|older|reference|\bpre[\s-]?[a-z]*)\s*(image|scene|file)?"
                      r"\s*(?:[:=(]|\bis\b|\bwas\b)?\s*$", head):  # ("before is b.png")
        return "before"
    if re.search(rf"^[^\w):]*\(?\s*{_AS}(after|later|newer|post|second|latest)", tail) or \
            re.search(r"(after|later|newer|\bpost[\s-]?[a-z]*)\s*(image|scene|file)?\s*(?:[:=(]|"
                      r"\bis\b|\bwas\b)?\s*$", head):
        return "after"
    return None


_CLAUSE_SPLIT = re.compile(
    r"[,;]|(?<=[.?!])\s+|\band (?=what|how|also|then|give|tell|compute|calculate|count|map|"
    r"measure|estimate|find|detect|show)|\b(?:with|against|and) (?=the \w+ (?:visible|seen|shown|"
    r"mapped|detected|in|of|from)\b)", re.I)

_FILE_LIST_COMMA = re.compile(
    r"(\S+\.[a-z][a-z0-9]{1,4}(?:\s*\([^()]{0,40}\))?)\s*,\s*(?=(?:and |or )?\S+\.[a-z]"
    r"[a-z0-9]{1,4}\b)", re.I)
"""The comma between two file names of one list ("a.png (GSD 0.5 m), b.png")."""


def bound_paths(
    raw: str, hit: Callable[[str], bool], scenes: Sequence[tuple[str, str | None]],
    vocab: Vocabulary,
) -> list[str] | None:
    """The scenes one capability of a multi-part request is about, or None when not bound.

    The request is cut into clauses; every clause where ``hit`` finds the capability must
    name its scenes, by file name or by modality ("in the Sentinel-1 scene"). If any such
    clause names none, the capability is not bound and applies to every scene.

    Args:
        raw: The request as written.
        hit: Whether a normalised clause asks for the capability.
        scenes: (path, modality) of the request's scenes.
        vocab: Vocabulary (modality hints).
    """
    picked: list[str] = []
    listed = _FILE_LIST_COMMA.sub(r"\1 ", raw)  # "count ships in a.tif, b.tif, c.tif": one clause
    for clause in _CLAUSE_SPLIT.split(listed):
        norm = " ".join(re.findall(r"[a-z0-9]+", clause.lower()))
        if not norm or not hit(norm):
            continue
        named = [p for p, _ in scenes if PurePath(p).name.lower() in clause.lower()]
        if not named:
            kinds = text_modalities(norm, vocab)
            named = [p for p, m in scenes if m in kinds]
        if not named:
            return None
        picked += [p for p in named if p not in picked]
    return picked or None


_NOT_SITE = frozenset(("skysat", "pleiades", "planet", "maxar", "sentinel", "landsat", "image",
                       "scene", "mosaic", "tile", "chip", "clip", "crop", "analytic", "composite",
                       "median", "mean", "before", "after", "pre", "post", "event", "disaster",
                       "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                       "nov", "dec", "june", "july", "tif", "tiff", "png", "jpg", "summer",
                       "winter", "spring", "autumn", "fall", "wet", "dry", "season", "monsoon",
                       "early", "late", "mid", "quarter"))


def different_sites(paths: Sequence[str], vocab: Vocabulary) -> bool:
    """Whether the files name different places ("skysat_renton_...", "skysat_moseslake_..."):
    each has a name word (not a sensor, product or month word) that the others lack - counts
    per site, not a series of one place."""
    words = [{w for w in re.split(r"[^a-z]+", PurePath(p).stem.lower()) if len(w) >= 3
              and w not in vocab.file_modality and w not in _NOT_SITE} for p in paths]
    common = set.intersection(*words) if words else set()
    return len(words) >= 2 and all(w - common for w in words) and not common


def year_range(first: str, last: str) -> list[str]:
    """``a_2018.tif``, ``a_2023.tif`` -> one name per year (else the two names)."""
    m1 = re.search(r"(?<!\d)(19|20)\d{2}(?!\d)", first)
    m2 = re.search(r"(?<!\d)(19|20)\d{2}(?!\d)", last)
    if not (m1 and m2) or first[:m1.start()] != last[:m2.start()] or \
            first[m1.end():] != last[m2.end():]:
        return [first, last]
    y1, y2 = int(m1.group(0)), int(m2.group(0))
    if not 1 < y2 - y1 <= 30:
        return [first, last]
    return [f"{first[:m1.start()]}{y}{first[m1.end():]}" for y in range(y1, y2 + 1)]


def rgb_only(text_modality: str | None, mentions: list[str]) -> bool:
    """Whether the scenes have only visible bands ("plain RGB frames" said in the request,
    photos as JPEG/PNG): no index that needs near or short-wave infrared applies."""
    return text_modality == "rgb" or (bool(mentions) and all(
        m.lower().endswith((".jpg", ".jpeg", ".png")) for m in mentions))

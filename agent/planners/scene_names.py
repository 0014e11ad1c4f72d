"""Scenes named by words of their file names: a sensor ("the Landsat scene" of LC08_....tif), a
token ("the VV image" of s1_vv_....tif, "the PlanetScope one"), a describing word ("the harbour
image" of harbour_P0023.png) or the name without its extension ("in P0002"). Read by
:mod:`agent.planners.scene_refs` among its other references.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

NOUN = (r"(?:image|scene|one|picture|photo|tile|acquisition|file|raster|chip|frame|date|cube|"
         r"mosaic|orthomosaic|orthophoto|ortho)")
"""The nouns a scene is called by ("the radar image", "the 2019 one", "the hyperspectral cube")."""
_SENSOR_NAMES = (
    ("landsat", re.compile(r"(?:^|[^a-z0-9])(?:l[cote]0\d|landsat|l[4-9][^a-z0-9])")),
    (r"sentinel[\s-]*2|s2", re.compile(r"(?:^|[^a-z0-9])(?:s2[ab]?[^a-z0-9]|sentinel[_-]?2)")),
    (r"sentinel[\s-]*1|s1", re.compile(r"(?:^|[^a-z0-9])(?:s1[ab]?[^a-z0-9]|sentinel[_-]?1)")),
)
"""A sensor word picks the scenes whose file names name that sensor ("the Landsat scene" of
LC08_....tif and S2A_....tif, "the S2 tile" of s2_bay.tif beside marina.png), before the
scenes of its modality; when no file names it, the modality picks ("the Sentinel-2 image" beside
calvi_pleiades.tif: the optical scenes)."""
_NAMED_BY = {
    "vv": r"vv", "vh": r"vh", "hh": r"hh", "hv": r"hv",
    "planetscope": r"ps|planet\w*", "planet": r"ps|planet\w*", "worldview": r"wv\d*|worldview\w*",
    "pleiades": r"phr\w*|pneo|pleiades\w*", "pléiades": r"phr\w*|pneo|pleiades\w*",
    "spot": r"spot\d*", "naip": r"naip",
    "skysat": r"ss\d*|skysat\w*", "modis": r"mod\w*|myd\w*|modis", "viirs": r"vnp\w*|viirs",
}
"""Words that name a scene by a token of its file name ("the VV image" of s1_vv_*.tif and
s1_vh_*.tif, "the PlanetScope image" of PS_*.tif and S2_*.tif): the tokens each word matches."""
_BY_TOKEN = re.compile(rf"\b(?:the|in|on|from|of|and|or)\s+({'|'.join(_NAMED_BY)})\b(?=(?:\s*(?:,|"
                       rf"and|or|the|{'|'.join(_NAMED_BY)})\b)*\s*{NOUN}s?\b)")
_CONTENT = re.compile(rf"\bthe ([a-z][a-z0-9-]*) {NOUN}\b(?!\s+(?:is|was|are|were|has|shows)\b)|"
                      rf"\bthe {NOUN} (?:of|with|showing) (?:the |an? )?([a-z][a-z0-9-]*)\b")
"""A scene named by a word of its file name ("the harbour image" of harbour_P0023.png, "the
image of the refinery" of refinery_P0500.png)."""


def by_sensor(words: Sequence[str], paths: Sequence[str]) -> set[int]:
    """The scenes whose file names name the sensor of one of ``words`` ("landsat", "s2",
    "sentinel-1"); empty when no file name names that sensor."""
    return {i for said in words for word, name in _SENSOR_NAMES if re.match(word, said)
            for i, path in enumerate(paths) if name.search(path.lower())}


def by_token(norm: str, paths: Sequence[str]) -> set[int]:
    """The scenes a token word names ("the VV image" of s1_vv_*.tif and s1_vh_*.tif)."""
    picked: set[int] = set()
    for m in _BY_TOKEN.finditer(norm):
        token = re.compile(rf"^(?:{_NAMED_BY[m.group(1)]})$")
        picked |= {i for i, path in enumerate(paths) if any(
            token.match(t) for t in re.split(r"[^a-z0-9]+", PurePath(path).stem.lower()))}
    return picked


_EPOCH = re.compile(r"(?<![\w.-])t\s?=?\s?(\d{1,2})\b(?!\s*(?:m|km|ha|%)\b)")
"""A time step written as in the file names ("t1", "t=0")."""
_EPOCH_RANGE = re.compile(r"(?<![\w.-])t(\d{1,2})\s*(?:\.\.\.?|-|(?P<to>to|through|until|till))\s*"
                          r"t(\d{1,2})\b")
_PAIR_WORDS = re.compile(r"\b(?:chang\w*|differen\w*|compar\w*|new|lost|gained|appeared|"
                         r"disappeared|between)\b")
"""Words that relate the two ends of a range said before it ("what changed from t1 to t3",
"compare t0 to t2"): those two steps, not every step between (a wider set than
:data:`agent.planners.per_scene.CHANGE_WORDS`, which asks for a change map)."""


def by_name(norm: str, paths: Sequence[str]) -> set[int]:
    """Scenes named by a word of their file name ("the harbour image", "the image of the
    refinery") or by their name without its extension ("in P0001"), when that picks some but
    not all of them."""
    stems = [PurePath(p).stem.lower() for p in paths]
    tokens = [set(re.split(r"[^a-z0-9]+", stem)) - {""} for stem in stems]
    picked: set[int] = set()
    for m in _CONTENT.finditer(norm):
        word = m.group(1) or m.group(2)
        hits = {i for i, own in enumerate(tokens) if word in own}
        if 0 < len(hits) < len(paths):
            picked |= hits
    for m in _EPOCH_RANGE.finditer(norm):  # "t0..t3", "from t1 through t3": every step between
        clause = re.split(r"[.;,?!]", norm[:m.start()])[-1]
        if not (m.group("to") == "to" and _PAIR_WORDS.search(clause)):  # (a change said
            # before it: "what changed from t1 to t3", the two ends)
            ends = sorted((int(m.group(1)), int(m.group(3))))
            steps = {f"t{k}" for k in range(ends[0], ends[1] + 1)}
            picked |= {i for i, own in enumerate(tokens) if own & steps}
            norm = norm[:m.start()] + " " * (m.end() - m.start()) + norm[m.end():]
    for m in _EPOCH.finditer(norm):  # "from t1 to t3", "at t=0": the files named t1, t3, t0
        picked |= {i for i, own in enumerate(tokens) if f"t{int(m.group(1))}" in own}
    for i, stem in enumerate(stems):  # "how many planes in P0002"
        if len(stem) >= 4 and any(c.isdigit() for c in stem) and re.search(
                rf"(?<![\w.]){re.escape(stem)}(?![\w.])", norm):
            picked.add(i)
    return picked if len(picked) < len(paths) else set()


def number_index(number: str, paths: Sequence[str], noun: str) -> int:
    """The scene "frame 0" names: the file whose name is that noun and number when the files
    are numbered from 0 ("frame_0.png" ... "frame_3.png"), else the number's place (1-based;
    "image 1" of frame_0 ... frame_3 is frame_0)."""
    names = [re.split(r"[^a-z0-9]+", PurePath(p).stem.lower()) for p in paths]
    ends = [tokens[-1] for tokens in names]
    if "0" in ends and number in ends and all(noun.rstrip("s") in tokens for tokens in names):
        return ends.index(number)
    return int(number) - 1


def letter_index(letter: str, paths: Sequence[str]) -> int | None:
    """The scene "image B" names: the file whose name ends in that letter token
    (``airport_B.tif``), else the letter's place (None past the last scene)."""
    for i, path in enumerate(paths):
        tokens = re.split(r"[^a-z0-9]+", PurePath(path).stem.lower())
        if tokens and tokens[-1] == letter:
            return i
    index = ord(letter) - ord("a")
    return index if index < len(paths) else None

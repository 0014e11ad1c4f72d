"""Request text for the offline planner: normalisation, file names, typo correction.

The planner matches its cues on one normalised string: lower case, apostrophes dropped
("what's" -> "whats"), unicode comparison and superscript signs spelled in ASCII, file and
folder names masked (so ``scene_s1.tif`` never reads as a cue), and tokens that are not words
the planner knows corrected to the nearest keyword within a small edit distance ("watr" ->
"water", "evrything" -> "everything").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from agent.planners.answer_options import read_options
from agent.planners.band_math import read_band_math
from agent.planners.wording import read_wording

FILE_MASK = "xfilex"
"""What a file name becomes in the normalised text (matches no cue)."""
FOLDER_MASK = "xfolderx"
"""What a folder or glob becomes in the normalised text."""

_EXTENSIONS = (
    "tiff?|jp2|png|jpe?g|img|vrt|nc|h5|hdf5?|he5|zarr|safe|zip|dat|bil|bsq|bip|hdr|envi|"
    "cog|geojson|json|shp|gpkg|kml|csv|parquet|npy"
)
_PATH = re.compile(
    r"(?<![\w./\\~-])((?:~?/|\.{1,2}/)?(?:[\w.*-]+[/\\])*[\w*-]+(?:\.[\w-]+)*\.(?:"
    + _EXTENSIONS + r"))(?![\w])",
    re.IGNORECASE,
)
_FOLDER = re.compile(r"(?<![\w./\\~-])((?:[a-z][a-z0-9]*://)?(?:~?/|\.{1,2}/)?(?:[\w.*-]+[/\\])+|"
                     r"(?:[a-z][a-z0-9]*://|~?/|\.{1,2}/)(?:[\w.*-]+/)*[\w*-]+)(?=[\s,.;:!?)]|$)")
# ("/data/tiles" (absolute), "s3://bucket/scenes")
_NAMED_ARCHIVE = re.compile(r"(?<![\w./\\~-])([A-Za-z][\w-]*_[\w-]+)(?=\s+(?:(?:tile|image|scene|"
                            r"photo|chip)s?\s+)?(?:archive|collection|catalog(?:ue)?|folder|"
                            r"directory|library|database)\b)|(?<=\b(?:index|Index|INDEX) ['\"])"
                            r"([A-Za-z][\w.-]*)(?=['\"])")
"""An archive named by an identifier ("the xinjiang_2023_harvest archive", "the index
'coastal_2022'")."""
_NOT_FOLDER = re.compile(r"(?i)(yes|no|and|or|km|m|per|with|w|s|h|n|y|either|and\\or)/")
VECTOR_FILE = re.compile(r"\.(geojson|json|shp|gpkg|kml|csv|parquet)$", re.IGNORECASE)
"""A vector file name (regions, references, zones, box prompts): never a scene."""
_GLOB = re.compile(r"[*?]")
_WORD = re.compile(r"[a-z]+")
_UNICODE = {
    "²": "2", "³": "3", "’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-",
    "≥": ">=", "≤": "<=", "×": "x", "µ": "u", "\u00a0": " ", "…": "...", "\u2212": "-",
    "\u2010": "-", "\u2011": "-", "\u2009": " ", "\u202f": " ", "⩾": ">=", "⩽": "<=",
}
_SUFFIXES = ("", "s", "es", "ed", "ing", "ion", "ions", "er", "ers", "y", "ies", "ication")


@dataclass(frozen=True)
class RequestText:
    """A request, normalised for matching.

    Attributes:
        raw: The request as given.
        norm: Lower case, normalised, files masked, typos corrected.
        plain: As ``norm`` before typo correction (out-of-scope topics match on this).
        files: Raster file names mentioned in the request, in order.
        folders: Folder names and globs mentioned (``survey_2024/``, ``tiles/*.tif``).
        vectors: Vector files mentioned (GeoJSON, shapefile, GeoPackage ...).
        mentions: Every raster or vector file name in the order written, repeats kept: the
            k-th ``xfilex`` of ``norm`` stands for ``mentions[k]``.
        corrections: ``(typed, read as)`` pairs of the typo corrections made.
    """

    raw: str
    norm: str
    plain: str = ""
    files: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    vectors: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance (Damerau: adjacent swaps cost 1).

    Args:
        a: First string.
        b: Second string.
        limit: Distances above this are reported as ``limit + 1`` (early exit).

    Returns:
        The distance, or ``limit + 1`` when it exceeds ``limit``.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def expand_stem(stem: str) -> list[str]:
    """Word forms a ``stem*`` cue stands for, as typo-correction targets.

    Short stems (``lake*``) only give the stem and its plural: longer made-up forms would
    attract real words ("condition" is two edits from "pond" + "ation").
    """
    if len(stem) < 6:
        return [stem, stem + "s"]
    return [stem + s for s in _SUFFIXES]


def short_typo(token: str, cand: str) -> bool:
    """Whether one edit turns ``token`` into ``cand`` the way short words get mistyped.

    A dropped letter ("watr" -> "water"), two swapped neighbours ("detetc" -> "detect") or a
    doubled letter ("shipps" -> "ships"); not a changed letter, which turns real short words
    into keywords ("skip" -> "ship", "word" -> "wood").
    """
    if len(cand) == len(token) + 1:
        return any(cand[:i] + cand[i + 1:] == token for i in range(len(cand)))
    if len(cand) == len(token) - 1:
        return any(token[i] == token[i + 1] and token[:i] + token[i + 1:] == cand
                   for i in range(len(token) - 1))
    if len(cand) == len(token):
        diff = [i for i in range(len(token)) if token[i] != cand[i]]
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and token[diff[0]] == cand[diff[1]] and token[diff[1]] == cand[diff[0]])
    return False


_INFLECTIONS = frozenset({"s", "es", "d", "ed", "ing", "ly", "r", "er", "ers"})


class TypoCorrector:
    """Corrects unknown tokens to the nearest keyword (symmetric-delete lookup).

    A token is left alone when it is a known word, shorter than 4 letters, or no keyword is
    close enough. Up to 7 letters: one dropped, doubled or swapped letter (:func:`short_typo`),
    same first letter, and up to 5 letters the same last letter unless two letters swapped;
    8 to 10 letters: any one edit;
    from 11 letters: two edits. Beyond 7 letters a different first letter needs a single edit.
    """

    def __init__(self, targets: Iterable[str], known: Iterable[str],
                 shorthand: dict[str, str] | None = None, stems: Iterable[str] = ()) -> None:
        """Index ``targets`` (keywords), remember ``known`` words (never corrected), the
        ``shorthand`` of chat writing ("u" -> "you", "r" -> "are") and the ``stems`` of
        ``stem*`` cues: a word a stem opens already matches its cue ("localize" with
        ``locali*``, "summarise" with ``summari*``) and is never corrected."""
        self.targets = sorted({t for t in targets if len(t) >= 3 and t.isalpha()})
        self.known = set(known) | set(self.targets)
        self.stems = tuple(sorted({s for s in stems if len(s) >= 4}))
        self.shorthand = dict(shorthand or {})
        self._index: dict[str, list[str]] = {}
        for word in self.targets:
            for d in _deletes(word, 2):
                self._index.setdefault(d, []).append(word)

    @staticmethod
    def _max_distance(token: str) -> int:
        return 1 if len(token) <= 10 else 2

    def _acceptable(self, token: str, cand: str, limit: int) -> int | None:
        if token.startswith(cand) and token[len(cand):] in _INFLECTIONS:
            return None  # "compared" is compare's past tense, no typo of it
        if len(token) <= 7:
            ok = cand[0] == token[0] and short_typo(token, cand) and (
                len(token) > 5 or cand[-1] == token[-1] or len(cand) == len(token))
            return 1 if ok else None
        dist = osa_distance(token, cand, limit)
        if dist > limit or (cand[0] != token[0] and dist > 1):
            return None
        return dist

    def correct(self, token: str) -> str | None:
        """The keyword ``token`` is a typo of (or the word it abbreviates), or None."""
        if token in self.shorthand:
            return self.shorthand[token]
        if len(token) < 4 or token in self.known or token.startswith(self.stems) or (
                token.endswith("s") and token[:-1] in self.known):  # the plural of a known
            return None  # word ("demolitions") is no typo
        limit = self._max_distance(token)
        candidates: set[str] = set()
        for d in _deletes(token, limit):
            candidates.update(self._index.get(d, ()))
        best: tuple[int, int, str] | None = None
        for cand in candidates:
            dist = self._acceptable(token, cand, limit)
            if dist is None:
                continue
            key = (dist, abs(len(cand) - len(token)), cand)
            if best is None or key < best:
                best = key
        return best[2] if best else None


_THOUSANDS = re.compile(r"(?<![\w.,])(\d{1,3})((?:,\d{3})+)(?![\w,])"
                        r"(?=(\s*(?:sq|square|m2|m\b|km|ha\b|hectares?|acres?|ac\b|ft|feet|"
                        r"met(?:er|re)s?))?)")


def _drop_separators(match: re.Match[str]) -> str:
    """ "2,000" -> "2000" when it reads as one number (short head, or a unit follows)."""
    if len(match.group(1)) <= 2 or match.group(3):
        return match.group(1) + match.group(2).replace(",", "")
    return match.group(0)


_UNIT_AHEAD = (r"(?=\s*(?:db\b|decibels?|m\b|m2|cm\b|mm\b|km|ha\b|hectares?|%|percent|sigma|"
               r"met(?:er|re)s?|m/px|m per|sq\b|square))")
_DECIMAL_COMMA = re.compile(r"(?<![\w.,])(-?\d{1,3}),(\d+)(?!\d|,\d)")
_DECIMAL_LEAD = re.compile(r"(?:[<>=]|\bthreshold|\bcut-?off|\bat|\bof|\bis|\bto|\bbetween)\s*"
                           r"(?:of\s+|at\s+|=\s*)?$")
_DECIMAL_UNIT = re.compile(_UNIT_AHEAD)
"""A decimal comma ("0,3", "-17,5 db", "1,5 m", "> 2,5", "threshold 2,5"); not a list ("images
1,2 and 3") nor thousands ("2,000")."""
_SPACED_THOUSANDS = re.compile(r"(?<![\w.,])(\d{1,3})((?: \d{3})+)(?![\w.,])" + _UNIT_AHEAD)
"""Thousands written with spaces before a unit ("1 000 m2", "10 000 m2")."""


_PARAMETERS = (
    (re.compile(r"[\"']?\bmin_area_m2[\"']?\s*[:=]\s*(\d+(?:\.\d+)?)"), r"min area \1 m2"),
    (re.compile(r"[\"']?\b(?:min_confidence|conf)[\"']?\s*[:=]\s*(\d*\.?\d+)"), r"confidence \1"),
    (re.compile(r"[\"']?\bunits?[\"']?\s*[:=]\s*[\"']?(km2|m2|ha|acres?|mi2|ft2)\b[\"']?"),
     r"in \1"),
    (re.compile(r"[\"']?\btop_k[\"']?\s*[:=]\s*(\d+)"), r"top \1"),
    (re.compile(r"[\"']?\b(?:threshold|thr|thresh)[\"']?\s*[:=]\s*(?=-?\.?\d)"), "threshold "),
    (re.compile(r"(?<!area )(?<!size )(?<!minimum )(?<!mapping )\b(?:threshold|thr|thresh)\s+"
                r"(-?(?:0?\.\d+|0|1(?:\.0+)?))\s+(?=(?:km2|ha|m2|"
                r"hectares?|acres?)\b)"), r"threshold \1, in "),
)
"""Arguments written as code ("min_area_m2=500", "conf: 0.3", "units=km2", "top_k=5",
"threshold=-16.5", "thr=0.3"), read as the words they stand for; an index threshold right
before an area unit is two things ("thr 0.4 km2": the threshold, and the answer in km2)."""


def _read_parameters(text: str) -> str:
    for pattern, words in _PARAMETERS:
        text = pattern.sub(words, text)
    return text


def _decimal(match: re.Match[str]) -> str:
    whole, part = match.group(1), match.group(2)
    text = match.string
    if re.search(r"\b(?:frames?|images?|scenes?|chips?|tiles?|bands?|photos?|files?|items?|steps?|"
                 r"labels?|class(?:es)?|ids?|values)\s*$", text[:match.start()]):
        return match.group(0)  # "frames 0,1 and 2": a list
    listed = re.match(r"\s*(?:,|and\b|&|or\b)\s*\d", text[match.end():]) and not re.search(
        r"\bbetween\s*$", text[:match.start()]) and not re.match(
        r"\s*(?:and|&|or)\s*-?\d{1,3},\d{1,2}\b", text[match.end():])  # "pixel sizes 10,20 and
    # 60 m" (not "1,5 and 2,5 m")
    if whole.lstrip("-") == "0" or (len(part) <= 2 and not listed and (
            _DECIMAL_UNIT.match(text, match.end()) or _DECIMAL_LEAD.search(
                text, max(0, match.start() - 14), match.start()))):
        return f"{whole}.{part}"
    return match.group(0)


def normalise(text: str) -> str:
    """Lower case, ASCII comparison signs, minus and units, apostrophes inside words dropped,
    thousands separators dropped from numbers ("2,000 sq ft", "1 000 m2"), decimal commas read
    as points ("-17,5 db")."""
    out = text
    for src, dst in _UNICODE.items():
        out = out.replace(src, dst)
    if ">" in out or "\u2192" in out:
        out = re.sub(r"(?<=[a-z\s])=>(?=\s*-?\.?\d)", " >= ", out)  # "ndvi => 0.3": at least
        out = re.sub(r"(?<=\d)\s*(?:-+>|=>|\u2192)\s*(?=\d)", " to ", out)  # "2020->2022"
        out = re.sub(r"\s*(?:-+>|=>|\u2192)\s*", " then ", out)  # "ndvi >0.3 -> area in ha"
    out = _read_parameters(read_wording(read_band_math(out.lower())))  # "(b8-b4)/(b8+b4)" is
    # "ndvi"; "more big than 0.3" is "above 0.3"
    out = _DECIMAL_COMMA.sub(_decimal, out)
    out = _THOUSANDS.sub(_drop_separators, out)
    out = _SPACED_THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(" ", ""), out)
    out = re.sub(r"\bminus (?=\.?\d)", "-", out)
    out = re.sub(r"(?<=[a-z0-9)\]])(<=|>=|<|>)(?=\s*-?\.?\d)", r" \1", out)  # "ndvi>0.45"
    out = re.sub(r"(?<![<>=-])(<=|>=|<|>)(?=-?\.?\d)", r"\1 ", out)
    return read_options(re.sub(r"(?<=[a-z])'(?=[a-z])", "", out))  # "a) farmland b) forest"


def read_request(raw: str, corrector: TypoCorrector | None) -> RequestText:
    """Normalise ``raw``: find and mask file names, then correct typos.

    A plan reads the same clause several times (the whole request, its parts, the coverage
    check); the reading is remembered (it is frozen, and a pure function of the text and the
    corrector).

    Args:
        raw: The request.
        corrector: Typo corrector (None: no correction).

    Returns:
        The normalised request with the files, folders and vector files it names.
    """
    return _read_request(raw, corrector)


@lru_cache(maxsize=4096)
def _read_request(raw: str, corrector: TypoCorrector | None) -> RequestText:
    files: list[str] = []
    folders: list[str] = []
    vectors: list[str] = []
    mentions: list[str] = []

    def keep_path(match: re.Match[str]) -> str:
        path = match.group(1)
        if VECTOR_FILE.search(path):
            vectors.append(path)
        elif _GLOB.search(path):
            folders.append(path)
            return f" {FOLDER_MASK} "
        else:
            files.append(path)
        mentions.append(path)
        return f" {FILE_MASK} "

    def keep_folder(match: re.Match[str]) -> str:
        name = next(g for g in match.groups() if g is not None)
        if _NOT_FOLDER.fullmatch(name):
            return match.group(0)
        folders.append(name)
        return f" {FOLDER_MASK} "

    # Paths are found in the original spelling (case kept); the rest is normalised.
    masked = _PATH.sub(keep_path, raw)
    masked = _FOLDER.sub(keep_folder, masked)
    masked = _NAMED_ARCHIVE.sub(keep_folder, masked)
    norm = plain = normalise(masked)
    corrections: list[tuple[str, str]] = []
    if corrector is not None:
        names = _proper_names(masked)

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            if re.match(r"\s*[=:]|\s*[,/]\s*g\b", match.string[match.end():]) or word in names:
                return word  # "r=29 g=20 b=12", "as R, G, B" name bands; "the Carr Fire": a name
            fixed = corrector.correct(word)
            if fixed is None:
                return word
            corrections.append((word, fixed))
            return fixed

        norm = _WORD.sub(fix, norm)
    return RequestText(raw=raw, norm=norm, plain=plain, files=_unique(files),
                       folders=_unique(folders), vectors=_unique(vectors),
                       mentions=mentions, corrections=corrections)


def _proper_names(text: str) -> set[str]:
    """Capitalised words inside a sentence ("the Carr Fire", "Lake Poyang"), lower-cased:
    names, never typos of keywords."""
    out: set[str] = set()
    for m in re.finditer(r"\b[A-Z][a-z]{2,}\b", text):
        before = text[:m.start()].rstrip()
        if before and before[-1] not in ".?!:;\n\"'([":
            out.add(m.group(0).lower())
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))

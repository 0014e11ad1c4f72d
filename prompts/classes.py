"""Canonical object class names (DESIGN.md, DOTA style) and the synonyms analysts use.

The vocabulary is ``classes.yaml`` in this package: the single list that the planner and the
tools both read.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from prompts import load_yaml


def _key(name: str) -> str:
    return " ".join(re.split(r"[\s\-_]+", str(name).strip().lower()))


def plural_forms(word: str) -> list[str]:
    """Regular plural spellings of an English noun (last word of a phrase)."""
    if word.endswith(("s", "x", "ch", "sh", "z")):
        return [word + "es"]
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return [word[:-1] + "ies"]
    return [word + "s"]


def class_table(doc: dict[str, Any]) -> dict[str, str]:
    """Synonym or plural (lower case, single spaces) -> canonical class, from a classes doc."""
    table: dict[str, str] = {}
    for canonical, synonyms in doc["classes"].items():
        for name in [canonical, *synonyms]:
            key = _key(name)
            head, _, last = key.rpartition(" ")
            table.setdefault(key, canonical)
            for plural in plural_forms(last):
                table.setdefault(f"{head} {plural}".strip(), canonical)
    for plural, singular in doc.get("plurals", {}).items():
        if singular in table:
            table.setdefault(str(plural), table[str(singular)])
    return table


@cache
def _table() -> dict[str, str]:
    return class_table(load_yaml("classes"))


def canonical_class(name: str) -> str:
    """Canonical class of a name (``Vessels`` -> ``ship``); unknown names lower-cased."""
    key = _key(name)
    return _table().get(key, key)

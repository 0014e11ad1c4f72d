"""Cue entries of ``prompts/*.yaml`` turned into matchers.

An entry is a phrase ("how many", ``chang*`` for a stem, word edges implied) or a Python
regular expression after ``re:``. One intent's entries become one alternation. Python's
``re`` tries every alternative at every position, so a long alternation is slow on a long
request; each matcher therefore also keeps the literal strings one of which every match must
contain (found from the parsed expression), and answers "no match" without running the
expression when none of them occurs in the text. The answer is always the expression's own.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from agent.planners.text import expand_stem

_PARSER: Any = importlib.import_module("re._parser")
_CONST: Any = importlib.import_module("re._constants")
_REPEATS = (_CONST.MAX_REPEAT, _CONST.MIN_REPEAT, _CONST.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (_CONST.AT, _CONST.ASSERT, _CONST.ASSERT_NOT)

Needs = frozenset[str] | None
"""Strings one of which every match contains; None when nothing is known."""


def _best(options: list[frozenset[str]]) -> Needs:
    """The most selective requirement: longest shortest string, then fewest strings."""
    if not options:
        return None
    return max(options, key=lambda o: (min(len(s) for s in o), -len(o)))


_MAX_STRINGS = 32
"""Most strings one requirement may list (alternatives of alternatives multiply)."""


def _exact(items: Sequence[tuple[Any, Any]]) -> frozenset[str] | None:
    """The strings a sequence matches when it is made of literals and groups or branches of
    literals only ("wh(?:ich|at)" -> which, what), else None."""
    strings = frozenset(("",))
    for op, av in items:
        if op is _CONST.LITERAL:
            part: frozenset[str] | None = frozenset((chr(av),))
        elif op in _ZERO_WIDTH:
            continue
        elif op is _CONST.SUBPATTERN and not av[1] & re.IGNORECASE:
            part = _exact(av[3])
        elif op is _CONST.BRANCH:
            alts = [_exact(branch) for branch in av[1]]
            part = (None if any(a is None for a in alts)
                    else frozenset(s for a in alts if a is not None for s in a))
        else:
            return None
        if part is None or len(strings) * len(part) > _MAX_STRINGS:
            return None
        strings = frozenset(a + b for a in strings for b in part)
    return strings


def _sequence(items: Sequence[tuple[Any, Any]]) -> Needs:
    """What a sequence of parsed items needs: the best of its parts' needs (every part of a
    sequence is in every match); adjacent literal parts are joined into longer strings."""
    options: list[frozenset[str]] = []
    run = frozenset(("",))
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the literals on both sides are adjacent in the text
        exact = _exact([(op, av)])
        if exact is not None and len(run) * len(exact) <= _MAX_STRINGS:
            run = frozenset(a + b for a in run for b in exact)
            continue
        if all(run):
            options.append(run)
        run = frozenset(("",))
        need = _item(op, av)
        if need is not None:
            options.append(need)
    if all(run):
        options.append(run)
    return _best(options)


def _item(op: Any, av: Any) -> Needs:
    """What one parsed item needs (groups, branches, repeats with a minimum of one)."""
    if op is _CONST.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _sequence(sub)
    if op is _CONST.ATOMIC_GROUP:
        return _sequence(av)
    if op in _REPEATS:
        low, _high, sub = av
        return _sequence(sub) if low >= 1 else None
    if op is _CONST.BRANCH:
        needs = [_sequence(branch) for branch in av[1]]
        if any(n is None for n in needs):
            return None
        return frozenset(s for n in needs if n is not None for s in n)
    return None


def required_literals(pattern: str) -> Needs:
    """Strings one of which every match of ``pattern`` contains (None: unknown, e.g. for a
    case-insensitive pattern or one that can match without any literal)."""
    parsed = _PARSER.parse(pattern)
    if parsed.state.flags & re.IGNORECASE:
        return None
    need = _sequence(list(parsed))
    return _minimal(need) if need and all(need) else None


def _minimal(strings: frozenset[str]) -> frozenset[str]:
    """The strings without those that contain another one (a text holding "counts" holds
    "count")."""
    return frozenset(s for s in strings if not any(t != s and t in s for t in strings))


class Cues:
    """A compiled alternation of cue entries with its literal prefilter.

    ``search`` and ``finditer`` answer exactly as the compiled expression does.
    """

    def __init__(self, patterns: list[str]) -> None:
        self.regex = re.compile("|".join(f"(?:{p})" for p in patterns) if patterns
                                else r"(?!x)x")
        needs = [required_literals(p) for p in patterns]
        self.literals: tuple[str, ...] | None = (
            None if not patterns or any(n is None for n in needs)
            else tuple(sorted(_minimal(frozenset(s for n in needs if n is not None for s in n)),
                              key=len)))

    @property
    def pattern(self) -> str:
        """The expression's source."""
        return self.regex.pattern

    def _possible(self, text: str) -> bool:
        return self.literals is None or any(s in text for s in self.literals)

    def search(self, text: str) -> re.Match[str] | None:
        """The first match in ``text``, or None."""
        return self.regex.search(text) if self._possible(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Every match in ``text``."""
        return self.regex.finditer(text) if self._possible(text) else iter(())


def phrase_pattern(entry: str) -> str:
    """Regular expression of one cue entry (see ``prompts/intents.yaml`` for the syntax)."""
    if entry.startswith("re:"):
        return entry[3:]
    parts = []
    for token in entry.split():
        if token.endswith("*"):
            parts.append(re.escape(token[:-1]) + r"[a-z0-9]*")
        else:
            parts.append(re.escape(token))
    body = r"[\s\-_/]+".join(parts)
    if re.fullmatch(r"[a-z0-9]", body[:1]):
        # the first letter before the word-edge check: alternatives that start with a literal
        # are skipped by their first character, and the whole alternation gets a prefix set
        return body[0] + rf"(?<![a-z0-9]{body[0]})" + body[1:] + r"(?![a-z0-9])"
    return r"(?<![a-z0-9])" + body + r"(?![a-z0-9])"


def compile_cues(entries: Iterable[str]) -> Cues:
    """One matcher for every cue entry (never matches when ``entries`` is empty)."""
    return Cues([phrase_pattern(e) for e in entries])


def cue_stems(entries: Iterable[str]) -> set[str]:
    """The stems of ``stem*`` tokens in phrase entries."""
    return {token[:-1] for entry in entries if not entry.startswith("re:")
            for token in entry.split() if token.endswith("*")}


def cue_words(entries: Iterable[str]) -> set[str]:
    """Literal words of phrase entries (stems expanded), for the typo corrector."""
    words: set[str] = set()
    for entry in entries:
        if entry.startswith("re:"):
            continue
        for token in entry.split():
            if token.endswith("*"):
                words.update(expand_stem(token[:-1]))
            else:
                words.add(token)
    return words

"""Cue matchers: the literal prefilter never changes an answer, only skips hopeless searches."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agent.planners.cues import Cues, compile_cues, phrase_pattern, required_literals
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary

ROOT = Path(__file__).resolve().parents[3]


def test_phrase_needs_its_longest_word() -> None:
    assert required_literals(phrase_pattern("how many")) == frozenset({"many"})
    # the word-edge check after the first letter does not split the word
    assert required_literals(phrase_pattern("tree cover")) == frozenset({"cover"})
    assert required_literals(phrase_pattern("trees")) == frozenset({"trees"})


def test_stem_and_branches() -> None:
    assert required_literals(phrase_pattern("chang*")) == frozenset({"chang"})
    # "which|what" parses as "wh(?:ich|at)": the strings are rebuilt, and joined with the space
    assert required_literals(r"\b(which|what)\b [a-z]+ is") == frozenset({"which ", "what "})
    assert required_literals(r"\bcount(s|ed|ing|)\b") == frozenset({"count"})
    # a branch with an empty or literal-free alternative needs nothing
    assert required_literals(r"\b(which|)\b") is None
    assert required_literals(r"\b(which|[a-z]+)\b") is None


def test_unknown_needs() -> None:
    assert required_literals(r"(?i)water") is None
    assert required_literals(r"(?:water)?\d+") is None
    assert required_literals(r"[0-9]+ m") == frozenset({" m"})
    assert required_literals(r"(water){2,}") == frozenset({"water"})


def test_cues_answer_as_the_expression() -> None:
    cues = compile_cues(["how many", "count*", r"re:\b(is|are) there\b"])
    assert cues.literals is not None
    for text in ("how many ships", "counting cars", "are there ships", "count", "tally ships",
                 "showhow many", "accounting", "is therein"):
        expected = cues.regex.search(text)
        found = cues.search(text)
        assert (found and found.span()) == (expected and expected.span()), text
    assert [m.span() for m in cues.finditer("how many, count and how many")] == \
        [(0, 8), (10, 15), (20, 28)]
    assert list(cues.finditer("nothing here")) == []
    assert Cues([]).search("anything") is None


def _old_pattern(entry: str) -> str:
    """A phrase entry as it was compiled before the first letter moved in front of the
    word-edge check (the reference the new form must agree with)."""
    if entry.startswith("re:"):
        return entry[3:]
    parts = [re.escape(t[:-1]) + r"[a-z0-9]*" if t.endswith("*") else re.escape(t)
             for t in entry.split()]
    return r"(?<![a-z0-9])" + r"[\s\-_/]+".join(parts) + r"(?![a-z0-9])"


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    vocab = get_vocabulary()
    lines = (ROOT / "eval" / "corpus" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [read_request(json.loads(line)["question"], vocab.corrector).norm
             for line in lines[::5] if line.strip()]
    # clauses too: the planner matches cues on parts of a request as well
    return texts + [c for t in texts for c in re.split(r"[.;:?!]", t) if c.strip()][::3]


def test_every_vocabulary_cue_agrees_with_its_plain_expression(corpus_texts: list[str]) -> None:
    from prompts import load_yaml

    intents = load_yaml("intents")
    vocab = get_vocabulary()
    checked = 0
    for name, entries in intents["intents"].items():
        cues = vocab.cues[name]
        old = re.compile("|".join(f"(?:{_old_pattern(str(e))})" for e in entries))
        for text in corpus_texts:
            expected = old.search(text)
            found = cues.search(text)
            assert (found and found.span()) == (expected and expected.span()), (name, text)
            checked += 1
    for topic, entry in zip(vocab.decline, intents["decline"], strict=True):
        old = re.compile("|".join(f"(?:{_old_pattern(str(c))})" for c in entry["cues"]))
        for text in corpus_texts:
            assert [m.span() for m in topic.cues.finditer(text)] == \
                [m.span() for m in old.finditer(text)], (topic.topic, text)
    assert checked > 10_000

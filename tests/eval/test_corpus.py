"""The planner corpus: public sources, split by source, the held-out part frozen."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agent.evaluate import Query
from tools.catalog import REGISTRY

CORPUS = Path(__file__).resolve().parents[2] / "eval" / "corpus"
sys.path.insert(0, str(CORPUS))
import split  # noqa: E402


def _items(part: str) -> list[dict[str, object]]:
    return [json.loads(x) for x in (CORPUS / f"{part}.jsonl").read_text().splitlines()]


def test_heldout_is_frozen() -> None:
    recorded = re.search(r"held-out sha256: `([0-9a-f]{64})`", (CORPUS / "SPLIT.md").read_text())
    assert recorded is not None
    assert split.sha256((CORPUS / "heldout.jsonl").read_text()) == recorded.group(1)


@pytest.mark.parametrize("part", ["dev", "heldout"])
def test_parts_are_their_sources(part: str) -> None:
    assert (CORPUS / f"{part}.jsonl").read_text() == "\n".join(split.part_lines(part)) + "\n"


def test_split_by_source_with_enough_items() -> None:
    dev, held = _items("dev"), _items("heldout")
    assert len(dev) + len(held) >= 200
    sources = {str(q["source"]) for q in dev} | {str(q["source"]) for q in held}
    assert len(sources) >= 5
    assert not {q["source"] for q in dev} & {q["source"] for q in held}
    ids = [q["id"] for q in dev + held]
    assert len(ids) == len(set(ids))


def test_every_item_is_well_formed() -> None:
    for q in _items("dev") + _items("heldout"):
        assert re.match(r"https?://\S+$", str(q["url"])), q["id"]
        query = Query.model_validate(q)
        for tool in query.gold.required + query.gold.optional + list(query.gold.args):
            assert tool in REGISTRY, (q["id"], tool)
        for tool, args in query.gold.args.items():
            fields = REGISTRY[tool].input_model.model_fields
            assert set(args) <= set(fields), (q["id"], tool, args)


@pytest.mark.slow
def test_parts_are_no_paraphrases() -> None:
    out = subprocess.run([sys.executable, str(CORPUS / "split.py"), "--check"],
                         capture_output=True, text=True, check=True).stdout
    assert float(out.split("similarity ")[1]) < split.MAX_SIMILARITY

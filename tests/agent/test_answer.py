"""The answer text: an unreliable figure is said in the first line; unitless figures carry no
stray unit '1'; the bundled demo says which of its numbers we know to be off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.answer import compose_answer, format_numbers, format_quantity
from agent.cli import main as cli
from agent.plan import Plan, PlanStep
from agent.serve.payloads import ask_payload
from agent.state import AgentResult, StepResult
from tools.core.artifacts import Quantity, Reliability

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _steps(flag: bool) -> tuple[Plan, dict[str, StepResult]]:
    plan = Plan(request="water and change?", steps=[
        PlanStep(id="s1", tool="map_water", args={"image": "a.tif"}),
        PlanStep(id="s2", tool="detect_changes", args={"before": "a.tif", "after": "b.tif"})])
    verdict = Reliability(reliable=not flag, diagnostics={"ashman_d": 1.54}, reasons=[
        "the change-magnitude histogram is not clearly bimodal (Ashman's D 1.54 <= 2)"]
        if flag else [])
    results = {
        "s1": StepResult(id="s1", tool="map_water", status="ok", summary="Water: 3 ha.",
                         reliability=Reliability(reliable=True, diagnostics={"ashman_d": 3.6})),
        "s2": StepResult(id="s2", tool="detect_changes", status="ok",
                         summary=verdict.lead("Changed area 2 ha."), reliability=verdict,
                         numbers={"ashman_d": Quantity(value=1.54, unit="1")}),
    }
    return plan, results


def test_unreliable_step_leads_the_answer() -> None:
    plan, results = _steps(flag=True)
    text = compose_answer(plan, results)
    first, second = text.splitlines()[:2]
    assert first == ("unreliable: s2 detect_changes: the change-magnitude histogram is not "
                     "clearly bimodal (Ashman's D 1.54 <= 2)")
    assert second.startswith("Results (2 of 2")
    assert "• s2 detect_changes: unreliable: the change-magnitude" in text
    result = AgentResult(request=plan.request, plan=plan, answer=text,
                         steps=list(results.values()))
    assert result.unreliable == [first.removeprefix("unreliable: ")]
    dumped = json.loads(result.model_dump_json())
    assert dumped["unreliable"] == result.unreliable  # in the HTTP / --json result
    assert dumped["steps"][1]["reliability"]["reliable"] is False
    assert ask_payload(result)["unreliable"] == result.unreliable  # in MCP's ask answer
    assert AgentResult.model_validate_json(result.model_dump_json()).unreliable == (
        result.unreliable)


def test_reliable_answer_has_no_flag_line() -> None:
    plan, results = _steps(flag=False)
    text = compose_answer(plan, results)
    assert text.startswith("Results (2 of 2") and "unreliable" not in text
    assert AgentResult(request="x", plan=plan, answer=text,
                       steps=list(results.values())).unreliable == []


def test_unitless_figures_have_no_unit() -> None:
    assert format_quantity(Quantity(value=2.554, unit="1")) == "2.55"
    assert format_quantity(Quantity(value=3.0, unit="1")) == "3"
    assert str(Quantity(value=0.5107, unit="1")) == "0.5107"
    assert format_quantity(Quantity(value=0.01, unit="1/yr")) == "0.01 per yr"
    assert format_quantity(Quantity(value=4.0, unit="count")) == "4"
    assert format_quantity(Quantity(value=321.84, unit="ha")) == "321.84 ha"
    assert format_numbers({"ashman_d": Quantity(value=2.554, unit="1")}) == "ashman d: 2.55"


@pytest.mark.realdata
def test_demo_flags_the_sar_water_and_keeps_ndvi(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled demo: 31 % 'water' on the S1 clip (8 % from the co-registered Landsat-8
    clip) is flagged in the first line; the Landsat NDVI 0.511 stays, its band order stated."""
    data = EXAMPLES / "data"
    demo = (EXAMPLES / "demo.sh").read_text(encoding="utf-8")
    question = demo.split('DEMO_QUESTION:-"', 1)[1].split('"}', 1)[0]
    status = cli.main(["ask", question, "--image", str(data / "S1_2018_VV_VH_clip.tif"),
                       "--image", str(data / "landsat8_LC08_003069_20180906_clip.tif"),
                       "--workspace", str(tmp_path / "ws"), "--json"])
    result = AgentResult.model_validate_json(capsys.readouterr().out)
    assert status == 0, result.errors
    first = result.answer.splitlines()[0]
    assert first.startswith("unreliable: s1 map_water: the class called water (mean -16.1 dB)")
    assert result.unreliable and result.unreliable[0].startswith("s1 map_water")
    ndvi = next(s for s in result.steps if s.tool == "spectral_index")
    assert round(ndvi.numbers["mean"].value, 3) == 0.511
    assert ndvi.reliability is None and not ndvi.unreliable
    assert any(w.startswith("assumed Landsat-8") for w in ndvi.warnings)
    assert "assumed Landsat-8 surface-reflectance band order" in result.answer
    assert " 1 ·" not in result.answer and not result.answer.rstrip().endswith(" 1")


def _counted(request: str) -> str:
    plan = Plan(request=request, steps=[
        PlanStep(id=f"s{i}", tool="detect_objects", args={"image": f"t{i}.png"})
        for i in (1, 2, 3)])
    results = {f"s{i}": StepResult(id=f"s{i}", tool="detect_objects", status="ok",
                                   summary=f"{n} storage tanks.",
                                   numbers={"count": Quantity(value=n, unit="count"),
                                            "count_storage_tank": Quantity(value=n, unit="count")})
               for i, n in ((1, 12), (2, 7), (3, 3))}
    return compose_answer(plan, results)


def test_total_over_scenes_when_asked() -> None:
    """A total asked over several scenes is the sum of the tools' counts, said as a sum (and
    that overlaps count twice); without a total asked, the counts stay per scene."""
    text = _counted("How many storage tanks are there in total across these three tiles?")
    assert "• count over 3 scenes: 22 (s1 + s2 + s3; an object in two overlapping scenes is " \
           "counted twice)" in text
    assert "• count storage tank over 3 scenes: 22" in text
    assert "over 3 scenes" not in _counted("How many storage tanks are in each tile?")


def test_difference_of_two_counts_when_asked() -> None:
    plan = Plan(request="Count the cranes on each and tell me how many were added.", steps=[
        PlanStep(id=f"s{i}", tool="detect_objects", args={"image": f"quay_{y}.tif"})
        for i, y in ((1, 2019), (2, 2023))])
    results = {f"s{i}": StepResult(id=f"s{i}", tool="detect_objects", status="ok",
                                   summary=f"{n} cranes.",
                                   numbers={"count": Quantity(value=n, unit="count")})
               for i, n in ((1, 4), (2, 9))}
    text = compose_answer(plan, results)
    assert "• count s2 - s1: +5 (the count of the second scene minus that of the first" in text
    plan = plan.model_copy(update={"request": "Count the cranes on each image."})
    assert "s2 - s1" not in compose_answer(plan, results)

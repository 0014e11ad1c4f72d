"""The answer text: each step's summary and numbers with units, then what failed and why.

No language model is involved: the text is composed from the typed results, so every number
in it is one a tool measured and recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agent.plan import Plan, PlanStep
from agent.state import StepResult
from tools.core.artifacts import Quantity, unit_text


def _name(key: str) -> str:
    return key.replace("_", " ")


_UNIT_SUFFIXES = ("_m2", "_km2", "_ha", "_m", "_km")


def visible_numbers(numbers: Mapping[str, Quantity]) -> dict[str, Quantity]:
    """The numbers worth showing: ``X_m2`` / ``X_km2`` / ``X_ha`` ... are dropped when ``X``
    is there too (the same quantity in another unit); every number stays in the result."""

    def twin(key: str) -> bool:
        return any(key.endswith(suffix) and key[: -len(suffix)] in numbers
                   for suffix in _UNIT_SUFFIXES)

    return {k: q for k, q in numbers.items() if not twin(k)}


def format_quantity(q: Quantity) -> str:
    """A number with its unit; whole numbers without decimals, counts and dimensionless
    figures (unit '1') without a unit."""
    if q.value.is_integer() and abs(q.value) < 1e15:
        text = f"{int(q.value):,}"
        unit = "" if q.unit == "count" else unit_text(q.unit)
        return f"{text} {unit}".strip()
    return str(q)


def reliability_line(results: Mapping[str, StepResult]) -> str | None:
    """``unreliable: s1 map_water: <why>`` for the steps whose tool flagged its figure (None
    when no step did): the answer's first line."""
    flagged = [r for r in results.values() if r.unreliable and r.reliability is not None]
    if not flagged:
        return None
    return "unreliable: " + " | ".join(
        f"{r.id} {r.tool}: {'; '.join(r.reliability.reasons or ['see its notes'])}"
        for r in flagged if r.reliability is not None)


def format_numbers(numbers: Mapping[str, Quantity]) -> str:
    """``water area: 1.23 km² · water share: 4.5 %`` (empty when there are none)."""
    return " · ".join(f"{_name(k)}: {format_quantity(q)}"
                      for k, q in visible_numbers(numbers).items())


def _arg_text(value: Any) -> str:
    if isinstance(value, str):
        return Path(value).name if ("/" in value or "\\" in value) else value
    if isinstance(value, list):
        return "[" + ", ".join(_arg_text(v) for v in value) + "]"
    return str(value)


def step_call(step: PlanStep) -> str:
    """``map_water(image=scene.tif)``: a step as a short call (file names, not full paths)."""
    args = ", ".join(f"{k}={_arg_text(v)}" for k, v in step.args.items())
    return f"{step.tool}({args})"


def _dry_run_text(plan: Plan) -> str:
    lines = [f"Dry run: {len(plan.steps)} step(s) planned for {plan.request!r}; nothing was run."]
    lines += [f"  {s.id}  {step_call(s)}" for s in plan.steps]
    return "\n".join(lines)


def _step_lines(result: StepResult) -> list[str]:
    lines = [f"• {result.id} {result.tool}: {result.summary.strip() or 'done.'}"]
    numbers = format_numbers(result.numbers)
    if numbers:
        lines.append(f"    {numbers}")
    lines += [f"    note: {w}" for w in result.warnings]
    return lines


_TOTAL = re.compile(r"\b(?:in total|totals?|altogether|all together|combined|overall|in all|"
                    r"summed|sum of|across (?:all|the|these|those|every|both))\b", re.IGNORECASE)
"""A request that asks for one figure over several scenes ("how many tanks in total across
these three tiles")."""
_DIFFERENCE = re.compile(r"\bhow many (?:\w+ ){0,3}?(?:more|fewer|less|new|added|were added|"
                         r"have been added|are gone|were gone|disappeared|appeared|were removed)\b|"
                         r"\b(?:the )?difference\b|\bhow (?:much|many) (?:has|have|did) (?:it|they|"
                         r"the \w+) (?:change|grow|drop|fall|rise)", re.IGNORECASE)
"""A request that asks how a count differs between two scenes ("how many more cars are
there now?", "count the cranes on each and tell me how many were added")."""


def _counts(done: Sequence[StepResult]) -> dict[tuple[str, str], list[tuple[str, float]]]:
    groups: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for r in done:
        for key, q in r.numbers.items():
            if q.unit == "count" and (key == "count" or key.startswith("count_")):
                groups.setdefault((r.tool, key), []).append((r.id, q.value))
    return groups


def total_lines(request: str, done: Sequence[StepResult]) -> list[str]:
    """Counts of one tool on several scenes combined as the request asks: summed when it asks
    for a total ("count over 3 scenes: 22 (s1 + s2 + s3)"), the later minus the earlier when it
    asks how two counts differ ("count s2 - s1: +5"); [] otherwise. Arithmetic on the tools' own
    counts, said as such; objects in overlapping scenes are counted twice."""
    groups = [(key, items) for (_, key), items in _counts(done).items() if len(items) > 1]
    if _TOTAL.search(request):
        return [f"• {_name(key)} over {len(items)} scenes: {int(sum(v for _, v in items)):,} "
                f"({' + '.join(i for i, _ in items)}; an object in two overlapping scenes is "
                f"counted twice)" for key, items in groups]
    if _DIFFERENCE.search(request):
        return [f"• {_name(key)} {items[1][0]} - {items[0][0]}: "
                f"{int(items[1][1] - items[0][1]):+,} (the count of the second scene minus "
                f"that of the first, as planned)" for key, items in groups if len(items) == 2]
    return []


def _not_done_text(plan: Plan) -> str:
    """The parts of the request no step answers (the planner's coverage check)."""
    return "Not done (no step answers these parts of the request):\n" + "\n".join(
        f"• {part}" for part in plan.not_done)


def compose_answer(
    plan: Plan, results: Mapping[str, StepResult], errors: Sequence[str] = (),
    dry_run: bool = False, workspace: str | None = None,
) -> str:
    """Compose the final answer text.

    Args:
        plan: The plan that was run (or only made, for dry runs).
        results: Step results by step id, in plan order.
        errors: Problems outside the steps (e.g. a scene that could not be read).
        dry_run: True when nothing was meant to run.
        workspace: Folder holding the artifacts, named at the end when anything was written.

    Returns:
        Multi-line text: results with numbers and units, then failures and declines. When a
        tool flagged its figure as unreliable, the first line says so: ``unreliable: <why>``.
    """
    lines: list[str]
    if plan.declined:
        lines = [f"I did not plan anything for this request: {plan.declined}"]
        lines += [f"Problem: {e}" for e in errors]
        return "\n".join(lines)
    if not plan.steps:
        lines = ["The planner returned no steps for this request, so nothing was run."]
        lines += [f"Problem: {e}" for e in errors]
        return "\n".join(lines)
    if dry_run:
        text = _dry_run_text(plan)
        if plan.not_done:
            text += "\n" + _not_done_text(plan)
        if plan.notes:
            text += "\nAssumptions: " + "; ".join(plan.notes)
        return text

    done = [r for r in results.values() if r.status == "ok"]
    problems = [r for r in results.values() if r.status != "ok"]
    not_run = [s for s in plan.steps if s.id not in results]
    headline = reliability_line(results)
    lines = [headline] if headline else []
    if done:
        lines.append(f"Results ({len(done)} of {len(plan.steps)} step(s) ran):")
        for result in done:
            lines += _step_lines(result)
        lines += total_lines(plan.request, done)
    else:
        lines.append("No step of the plan produced a result.")
    if problems or not_run or errors:
        lines.append("Could not do:")
        lines += [f"• {r.id} {r.tool} {'failed' if r.status == 'failed' else 'skipped'}: "
                  f"{r.error}" for r in problems]
        lines += [f"• {s.id} {s.tool} was not run." for s in not_run]
        lines += [f"• {e}" for e in errors]
    if plan.not_done:
        lines.append(_not_done_text(plan))
    if plan.notes:
        lines.append("Assumptions: " + "; ".join(plan.notes))
    if workspace and any(r.artifacts for r in done):
        lines.append(f"Files are in {workspace}.")
    return "\n".join(lines)

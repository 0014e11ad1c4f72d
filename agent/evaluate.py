"""Score a planner on evaluation queries (the JSONL format of ``../shared/DESIGN.md``).

Every query is planned as a dry run (its images become ``Scene(path)`` with unknown
modality) and compared with its gold annotation:

* **Tools** — the planned tool *names* form a set per query; tools listed in
  ``gold.optional`` are removed from it first, so they neither count for nor against.
  TP = planned ∩ required, FP = planned − required, FN = required − planned. Precision,
  recall and F1 are **micro-averaged**: TP/FP/FN are summed over all queries (out-of-scope
  queries included, where every planned tool is a false positive), then divided once.
  Repeating a tool (one step per date) counts once.
* **Exact set** — share of queries whose planned set (minus optional) equals ``required``
  (a declined out-of-scope query is exact: both sets are empty).
* **Order** — over ``gold.ordered`` queries: the required tools occur in the plan in the
  required order (``required`` is a subsequence of the plan's tool sequence, other steps
  may come in between).
* **Arguments** — every argument that ``gold.args`` names is one check. It is read from
  the step of that tool that matches the most gold arguments (first such step on ties); an
  argument the plan leaves out counts as the tool's default. Lists compare as sets, strings
  case-insensitively after the class-synonym mapping, hyphens read as spaces, and in the
  singular ("pastures" = "pasture"), numbers within 5 % (exactly for 0), booleans exactly.
  A missing required tool fails all its checks; the arguments of an optional tool the plan
  does not have are not checked (they say how to call that extra step if it is planned:
  "in hectares" for a ``measure`` after ``map_water``, which reports hectares itself). A
  ``spectral_index`` step with a ``before`` scene computes dNBR from ``index`` NBR or dNBR
  alike, so on such a step the two names are the same value (DESIGN.md lists NBR; the tool
  also takes dNBR); a ``trend`` of ``map_water`` steps with ``statistic`` water_area is
  their area ("area"). A
  ``segment`` step prompted with the boxes of a ``detect_objects`` step of classes C has
  ``classes`` C (detect-then-segment, DESIGN.md's "class names" prompt done in two steps).
  A ``measure`` step that summarises an ``image`` inside the polygons of its ``source`` file
  F (zonal statistics, one value per polygon) has ``region`` F: it answers "the mean inside
  F" polygon by polygon; so has the step whose output that measure summarises (the NDVI
  "inside each plot of F" is computed, then summarised per plot). Reported overall and per
  tool.
* **Out of scope** — queries with an empty ``required`` list are correct when the planner
  declines (``Plan.declined`` set, no steps). In-scope queries that were declined are
  counted as false declines.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.argument_checks import ArgCheck, check_args
from agent.plan import Plan, Planner, Scene
from agent.planners.shared import get_planner
from agent.planners.validate import plan_problems

METHOD = (__doc__ or "").split("\n\n", 1)[-1].strip()
"""The scoring rules (this module's docstring after its first paragraph), kept in reports."""
WORST_N = 10


class Gold(BaseModel):
    """Gold annotation of one query."""

    model_config = ConfigDict(extra="ignore")
    required: list[str] = Field(default_factory=list)
    optional: list[str] = Field(default_factory=list)
    args: dict[str, dict[str, Any]] = Field(default_factory=dict)
    ordered: bool = False


class Query(BaseModel):
    """One evaluation query (extra keys such as ``source`` and ``note`` are kept)."""

    model_config = ConfigDict(extra="allow")
    id: str
    question: str
    images: list[str] = Field(default_factory=list)
    gold: Gold = Field(default_factory=Gold)


class Rate(BaseModel):
    """``correct`` out of ``total``; ``rate`` is 1.0 when there is nothing to score."""

    correct: int = 0
    total: int = 0
    rate: float = 1.0

    def add(self, ok: bool) -> None:
        """Count one more case."""
        self.total += 1
        self.correct += int(ok)
        self.rate = round(self.correct / self.total, 4)


class ItemResult(BaseModel):
    """The scores of one query."""

    id: str
    question: str
    planned: list[str] = Field(description="the plan's tool sequence")
    required: list[str]
    optional: list[str]
    missing: list[str]
    extra: list[str]
    tp: int
    fp: int
    fn: int
    exact: bool
    in_order: bool | None = Field(None, description="None when the query is not ordered")
    args: list[ArgCheck] = Field(default_factory=list)
    out_of_scope: bool = False
    declined: str | None = None
    problems: list[str] = Field(default_factory=list, description="plan validation problems")
    error: str | None = None
    score: float = Field(1.0, description="mean of tool F1, argument share and exact set")


class EvalReport(BaseModel):
    """Scores of a planner over a query file (JSON-serialisable)."""

    file: str
    planner: str
    n_queries: int
    tool_precision: float
    tool_recall: float
    tool_f1: float
    tp: int
    fp: int
    fn: int
    exact_set: Rate
    order: Rate
    arguments: Rate
    arguments_per_tool: dict[str, Rate]
    out_of_scope: Rate
    false_declines: list[str]
    invalid_plans: list[str]
    mean_plan_ms: float
    worst: list[str]
    items: list[ItemResult]
    method: str = Field(default="", description="how the scores are computed (module doc)")


# --- scoring functions -------------------------------------------------------------------


def tool_counts(planned: Iterable[str], required: Iterable[str],
                optional: Iterable[str] = ()) -> tuple[int, int, int]:
    """``(tp, fp, fn)`` of planned tool names against required ones (optional ignored)."""
    req, opt = set(required), set(optional)
    plan = set(planned) - (opt - req)
    return len(plan & req), len(plan - req), len(req - plan)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 (each 1.0 when its denominator is empty)."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def in_order(planned: Sequence[str], required: Sequence[str]) -> bool:
    """Whether ``required`` occurs in ``planned`` in this order (gaps allowed)."""
    it = iter(planned)
    return all(any(p == r for p in it) for r in required)


def score_item(query: Query, plan: Plan, error: str | None = None) -> ItemResult:
    """Score one planned query against its gold annotation."""

    gold = query.gold
    planned = [s.tool for s in plan.steps]
    tp, fp, fn = tool_counts(planned, gold.required, gold.optional)
    kept = set(planned) - (set(gold.optional) - set(gold.required))
    exact = kept == set(gold.required)
    order = in_order(planned, gold.required) if gold.ordered else None
    checks = check_args(plan, gold.args, set(gold.optional) - set(gold.required))
    oos = not gold.required
    _, _, f1 = prf(tp, fp, fn)
    parts = [f1, float(exact)]
    if checks:
        parts.append(sum(c.correct for c in checks) / len(checks))
    if oos:
        parts = [float(bool(plan.declined) and not plan.steps)]
    return ItemResult(
        id=query.id, question=query.question, planned=planned, required=gold.required,
        optional=gold.optional, missing=sorted(set(gold.required) - kept),
        extra=sorted(kept - set(gold.required)), tp=tp, fp=fp, fn=fn, exact=exact,
        in_order=order, args=checks, out_of_scope=oos, declined=plan.declined,
        problems=plan_problems(plan) if error is None else [], error=error,
        score=round(sum(parts) / len(parts), 4),
    )


# --- running -----------------------------------------------------------------------------


def load_queries(path: str | Path) -> list[Query]:
    """Read a JSONL query file (blank lines and ``#`` comment lines skipped)."""
    queries: list[Query] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            queries.append(Query.model_validate_json(line))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not a valid query ({exc})") from exc
    return queries


def _resolve(planner: Planner | str) -> Planner:
    if isinstance(planner, str):

        return get_planner(planner)
    return planner


def evaluate_queries(queries: Sequence[Query], planner: Planner | str,
                     file: str = "<queries>") -> EvalReport:
    """Plan every query (dry run) and score the plans.

    Args:
        queries: The evaluation queries.
        planner: A planner, or a planner name for :func:`agent.planners.get_planner`.
        file: Where the queries came from (for the report).

    Returns:
        The report.
    """
    impl = _resolve(planner)
    items: list[ItemResult] = []
    elapsed = 0.0
    for query in queries:
        scenes = [Scene(path=p) for p in query.images]
        start = time.perf_counter()
        try:
            plan, error = impl.plan(query.question, scenes), None
        except Exception as exc:  # a crashing planner scores zero on that query
            plan, error = Plan(request=query.question), f"{type(exc).__name__}: {exc}"
        elapsed += time.perf_counter() - start
        items.append(score_item(query, plan, error))
    return _report(items, impl.name, file, elapsed)


def evaluate_file(path: str | Path, planner: Planner | str) -> EvalReport:
    """Plan and score every query of a JSONL file.

    Args:
        path: The query file (DESIGN.md evaluation format).
        planner: A planner, or a planner name for :func:`agent.planners.get_planner`.

    Returns:
        The report (``report.model_dump_json()`` writes it).
    """
    return evaluate_queries(load_queries(path), planner, file=str(path))


def _report(items: list[ItemResult], planner: str, file: str, elapsed: float) -> EvalReport:
    tp, fp, fn = (sum(getattr(i, k) for i in items) for k in ("tp", "fp", "fn"))
    precision, recall, f1 = prf(tp, fp, fn)
    exact, order, args, oos = Rate(), Rate(), Rate(), Rate()
    per_tool: dict[str, Rate] = {}
    for item in items:
        exact.add(item.exact)
        if item.in_order is not None:
            order.add(item.in_order)
        for check in item.args:
            args.add(check.correct)
            per_tool.setdefault(check.tool, Rate()).add(check.correct)
        if item.out_of_scope:
            oos.add(item.declined is not None and not item.planned)
    worst = sorted((i for i in items if i.score < 1.0), key=lambda i: (i.score, i.id))
    return EvalReport(
        file=file, planner=planner, n_queries=len(items),
        tool_precision=round(precision, 4), tool_recall=round(recall, 4), tool_f1=round(f1, 4),
        tp=tp, fp=fp, fn=fn, exact_set=exact, order=order, arguments=args,
        arguments_per_tool=dict(sorted(per_tool.items())), out_of_scope=oos,
        false_declines=[i.id for i in items if not i.out_of_scope and i.declined],
        invalid_plans=[i.id for i in items if i.problems or i.error],
        mean_plan_ms=round(1000 * elapsed / max(len(items), 1), 3),
        worst=[i.id for i in worst[:WORST_N]], items=items, method=METHOD,
    )


def render_report(report: EvalReport, items: bool = True) -> Any:
    """A rich renderable of the report (summary, arguments per tool, worst items; with
    ``items`` False the totals only, as for the frozen held-out part)."""
    from rich.console import Group
    from rich.table import Table

    def pct(rate: Rate) -> str:
        return f"{rate.rate:.3f} ({rate.correct}/{rate.total})"

    summary = Table(title=f"{report.planner} planner on {report.file} "
                          f"({report.n_queries} queries)", show_header=False)
    summary.add_column("score")
    summary.add_column("value", justify="right")
    rows = [
        ("tool precision", f"{report.tool_precision:.3f}"),
        ("tool recall", f"{report.tool_recall:.3f}"),
        ("tool F1 (micro)", f"{report.tool_f1:.3f}"),
        ("exact tool set", pct(report.exact_set)),
        ("order (ordered queries)", pct(report.order)),
        ("argument accuracy", pct(report.arguments)),
        ("out of scope declined", pct(report.out_of_scope)),
        ("false declines", str(len(report.false_declines))),
        ("invalid plans", str(len(report.invalid_plans))),
        ("mean plan time", f"{report.mean_plan_ms:.2f} ms"),
    ]
    for name, value in rows:
        summary.add_row(name, value)
    per_tool = Table(title="argument accuracy per tool")
    per_tool.add_column("tool")
    per_tool.add_column("accuracy", justify="right")
    for tool, rate in report.arguments_per_tool.items():
        per_tool.add_row(tool, pct(rate))
    if not items:
        return Group(summary, per_tool)
    worst = Table(title="worst items" if report.worst else "worst items: none, every query "
                  "scored 1.0")
    for col in ("id", "score", "missing", "extra", "wrong arguments", "question"):
        worst.add_column(col)
    by_id = {i.id: i for i in report.items}
    for item_id in report.worst:
        item = by_id[item_id]
        wrong = ", ".join(f"{c.tool}.{c.arg}={c.got!r} (want {c.expected!r})"
                          for c in item.args if not c.correct)
        worst.add_row(item.id, f"{item.score:.2f}", ", ".join(item.missing),
                      ", ".join(item.extra), wrong, item.question[:60])
    return Group(summary, per_tool, worst)

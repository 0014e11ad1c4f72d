"""The planner corpus: its dev part and its frozen held-out part, scored side by side.

The corpus (``eval/corpus/`` in the repository: public requests with source URLs and gold
plans, split by source; see ``eval/corpus/SPLIT.md``) has a dev part, which planner rules are
tuned on, and a held-out part, which is only scored. ``earthsight eval --corpus`` prints both
with the gap (dev minus held-out). The held-out part is reported as totals only: its items are
never listed, so reading the report cannot turn into tuning on them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agent.evaluate import EvalReport, Query, evaluate_queries, load_queries
from agent.plan import Planner

PARTS = ("dev", "heldout")
REPO_CORPUS = Path(__file__).resolve().parent.parent / "eval" / "corpus"


def corpus_dir(given: str | Path | None = None) -> Path:
    """The corpus folder: ``given``, else ``$EARTHSIGHT_CORPUS``, else the repository's.

    Raises:
        FileNotFoundError: The folder lacks dev.jsonl or heldout.jsonl (names the fix).
    """
    folder = Path(given or os.environ.get("EARTHSIGHT_CORPUS") or REPO_CORPUS)
    missing = [p for p in PARTS if not (folder / f"{p}.jsonl").is_file()]
    if missing:
        raise FileNotFoundError(
            f"corpus folder {folder} has no {', '.join(p + '.jsonl' for p in missing)}: pass "
            "--corpus DIR (a folder with dev.jsonl and heldout.jsonl, e.g. eval/corpus of the "
            "repository) or set EARTHSIGHT_CORPUS")
    return folder


def is_heldout(path: str | Path, folder: str | Path | None = None) -> bool:
    """Whether ``path`` holds the corpus' frozen held-out part (the file or a byte copy of it):
    its scores are then shown as totals only, never its items."""
    try:
        held = corpus_dir(folder) / "heldout.jsonl"
    except FileNotFoundError:
        return False
    return Path(path).read_bytes() == held.read_bytes()


def totals(report: EvalReport) -> dict[str, Any]:
    """JSON of one report's scores without any item (for the held-out part)."""
    return {
        "planner": report.planner, "queries": report.n_queries,
        "scores": {name: round(value, 4) for name, value, _ in rows({"dev": report,
                                                                   "heldout": report})},
        "false_declines": len(report.false_declines),
        "invalid_plans": len(report.invalid_plans),
        "mean_plan_ms": round(report.mean_plan_ms, 3),
    }


def evaluate_corpus(planner: Planner | str, folder: str | Path | None = None,
                    limit: int | None = None) -> dict[str, EvalReport]:
    """Score ``planner`` on both parts (each cut to its first ``limit`` queries)."""
    root = corpus_dir(folder)
    out: dict[str, EvalReport] = {}
    for part in PARTS:
        queries: list[Query] = load_queries(root / f"{part}.jsonl")
        if limit is not None:
            queries = queries[:limit]
        out[part] = evaluate_queries(queries, planner, file=str(root / f"{part}.jsonl"))
    return out


def rows(reports: dict[str, EvalReport]) -> list[tuple[str, float, float]]:
    """(score name, dev, held-out) for the headline scores."""
    dev, held = reports["dev"], reports["heldout"]
    return [
        ("tool F1 (micro)", dev.tool_f1, held.tool_f1),
        ("tool precision", dev.tool_precision, held.tool_precision),
        ("tool recall", dev.tool_recall, held.tool_recall),
        ("exact tool set", dev.exact_set.rate, held.exact_set.rate),
        ("order (ordered queries)", dev.order.rate, held.order.rate),
        ("argument accuracy", dev.arguments.rate, held.arguments.rate),
        ("out of scope declined", dev.out_of_scope.rate, held.out_of_scope.rate),
    ]


def summary(reports: dict[str, EvalReport]) -> dict[str, Any]:
    """JSON of the side-by-side scores (no held-out items)."""
    return {
        "planner": reports["dev"].planner,
        "queries": {p: reports[p].n_queries for p in PARTS},
        "scores": {name: {"dev": round(d, 4), "heldout": round(h, 4), "gap": round(d - h, 4)}
                   for name, d, h in rows(reports)},
        "invalid_plans": {p: len(reports[p].invalid_plans) for p in PARTS},
        "mean_plan_ms": {p: round(reports[p].mean_plan_ms, 3) for p in PARTS},
    }


def render_corpus(reports: dict[str, EvalReport]) -> Any:
    """A rich table: every headline score for dev and held-out, and the gap."""
    from rich.table import Table

    dev, held = reports["dev"], reports["heldout"]
    table = Table(title=f"{dev.planner} planner: dev ({dev.n_queries} queries) vs frozen "
                        f"held-out ({held.n_queries})")
    for col in ("score", "dev", "held-out", "gap"):
        table.add_column(col, justify="left" if col == "score" else "right")
    for name, d, h in rows(reports):
        table.add_row(name, f"{d:.3f}", f"{h:.3f}", f"{d - h:+.3f}")
    table.add_row("invalid plans", str(len(dev.invalid_plans)), str(len(held.invalid_plans)),
                  "")
    return table

"""Latency of the offline planner: every dev query planned N times, p50 / p95 per call.

The baseline, measured in the same run on the same queries, is a regex-only keyword
planner: one compiled alternation of a few words per tool, one ``PlanStep`` per matched tool,
no slots, no typo correction, no scenes logic. It is the floor for any keyword planner that
returns a pydantic ``Plan`` in Python, so the ratio says what the offline planner's slot
extraction, typo correction and chain building cost on top of reading the request once.
The one-off vocabulary compile (first ``OfflinePlanner()``) is reported separately and not
part of the per-call numbers.

Usage:
    python bench/planner_latency.py [--rounds 50] [--file QUERIES.jsonl ...]

The last line prints the offline planner's p95 against the goal.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.plan import Plan, PlanStep, Scene  # noqa: E402

GOAL_MS = 20.0
DEFAULT_FILES = [ROOT.parent / "shared" / "eval" / "queries_dev.jsonl",
                 ROOT / "eval" / "corpus" / "dev.jsonl", ROOT / "eval" / "corpus" / "heldout.jsonl"]
"""Our dev queries and both parts of the public-request corpus (latency only: no scores)."""
_BASELINE_WORDS = {
    "describe_raster": r"crs|nodata|pixel size|bands|metadata",
    "pseudo_rgb": r"composite|rgb|false.colou?r|pca",
    "spectral_index": r"ndvi|ndwi|mndwi|nbr|ndsi|ndbi|savi|evi",
    "map_water": r"water|flood",
    "detect_objects": r"count|detect|how many|find",
    "segment": r"segment|outline|sam\b",
    "detect_changes": r"chang|before|after",
    "estimate_biomass": r"biomass|agb",
    "measure": r"area|larg|longer|bigger",
    "trend": r"trend|across|through",
    "classify_scene": r"land.use|kind of place|classif",
    "search_images": r"look.*like|which tiles|archive",
    "describe_scene": r"caption|describe|is there",
}
_BASELINE = re.compile("|".join(f"(?P<{t}>{p})" for t, p in _BASELINE_WORDS.items()))


def baseline_plan(request: str, scenes: list[Scene]) -> Plan:
    """Regex-only keyword planner: one step per tool whose keyword occurs."""
    image = scenes[0].path if scenes else "$image"
    tools = {m.lastgroup for m in _BASELINE.finditer(request.lower()) if m.lastgroup}
    steps = [PlanStep(id=f"s{i}", tool=t, args={"image": image})
             for i, t in enumerate(sorted(tools), start=1)]
    return Plan(request=request, steps=steps)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--file", type=Path, action="append",
                        help="query JSONL (repeatable; default: our dev queries and the corpus)")
    args = parser.parse_args(argv)
    files = args.file or [f for f in DEFAULT_FILES if f.is_file()]
    queries = [json.loads(line) for f in files for line in f.read_text().splitlines()
               if line.strip()]
    cases = [(q["question"], [Scene(path=p) for p in q.get("images", [])]) for q in queries]

    start = time.perf_counter()
    from agent.planners.shared import get_planner

    planner = get_planner("offline")
    compile_ms = 1000 * (time.perf_counter() - start)

    ours: list[float] = []
    base: list[float] = []
    for _ in range(args.rounds):
        for request, scenes in cases:
            t0 = time.perf_counter()
            planner.plan(request, scenes)
            t1 = time.perf_counter()
            baseline_plan(request, scenes)
            t2 = time.perf_counter()
            ours.append(1000 * (t1 - t0))
            base.append(1000 * (t2 - t1))

    p50, p95 = percentile(ours, 50), percentile(ours, 95)
    b50, b95 = percentile(base, 50), percentile(base, 95)
    names = ", ".join(f.name for f in files)
    print(f"queries: {len(cases)} from {names}, rounds: {args.rounds}, calls: {len(ours)}")
    print(f"vocabulary compile (first get_planner('offline')): {compile_ms:.1f} ms, once")
    print(f"offline planner:     p50 {p50:.3f} ms  p95 {p95:.3f} ms  "
          f"mean {statistics.fmean(ours):.3f} ms  max {max(ours):.3f} ms")
    print(f"regex-only baseline: p50 {b50:.3f} ms  p95 {b95:.3f} ms  "
          f"mean {statistics.fmean(base):.3f} ms  max {max(base):.3f} ms")
    print(f"ratio offline / baseline: p50 {p50 / b50:.1f}x  p95 {p95 / b95:.1f}x")
    print(f"p95 = {p95:.3f} ms (goal < {GOAL_MS:.0f} ms)")
    return 0 if p95 < GOAL_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Write ``prompts/plan_examples.jsonl``: dev-corpus requests with plans built from their gold.

The LLM planner shows the requests nearest to the analyst's (``agent.planners.examples``) with
their plans. Each line is ``{"id", "request", "images", "plan": [{"tool", "args"}, ...]}``, the
plan being the gold's required tools in order with the gold arguments; what the gold leaves
open is filled simply and validly:

* scenes are placeholders: ``$image`` (one scene), ``$before`` / ``$after`` (a change pair),
  ``$image1`` ... (a time series; one step per date, then ``trend`` over ``$s1``, ``$s2`` ...);
  a gold argument naming one of the item's files becomes that file's placeholder;
* a step reads the earlier one it needs: ``detect_objects`` the ``pseudo_rgb`` composite,
  ``segment`` the boxes of ``detect_objects``, ``measure`` the latest result,
  ``estimate_biomass`` a mask as its region, ``assess`` the latest result against the last
  other file the request names; a change series compares the first date with each later one;
* out-of-scope items (no required tool) become ``{"plan": [], "declined": true}``.

Every plan is checked with :func:`agent.planners.validate.plan_problems`. Only development
data is read: the held-out part of the corpus (``heldout.jsonl`` and its sources, see
``split.py``) is refused by file name and by item source.

The requests' sentence embeddings go to ``prompts/plan_examples.npz`` (float16, keyed by the
SHA-256 of the requests) so that the planner need not embed 400 requests on first use.

Usage: python eval/corpus/examples.py [--check] [FILE.jsonl ...]
(default inputs: eval/corpus/dev.jsonl, tests/agent/planners/extra_queries.jsonl and, when
present, ../shared/eval/queries_dev.jsonl; --check: verify the written file, write nothing)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from split import SPLIT  # noqa: E402

from agent.planners.examples import requests_key  # noqa: E402

OUTPUT = ROOT / "prompts" / "plan_examples.jsonl"
EMBEDDINGS = ROOT / "prompts" / "plan_examples.npz"
DEFAULT_INPUTS = (HERE / "dev.jsonl", ROOT / "tests" / "agent" / "planners" / "extra_queries.jsonl",
                  ROOT.parent / "shared" / "eval" / "queries_dev.jsonl")
HELD_OUT = frozenset(SPLIT["heldout"])
SCENE_TOOLS = ("describe_raster", "pseudo_rgb", "spectral_index", "map_water", "detect_objects",
               "segment", "estimate_biomass", "describe_scene")
RGB_READERS = ("detect_objects", "segment")
"""Tools that read the ``pseudo_rgb`` composite when the plan makes one."""
INDICES = ("NDVI", "NDWI", "MNDWI", "NBR", "dNBR", "NDSI", "NDBI", "SAVI", "EVI")


def refuse_held_out(path: Path) -> None:
    """Exit when ``path`` is the held-out part or one of its source files."""
    if path.name == "heldout.jsonl" or (path.parent.name == "sources"
                                        and path.stem in HELD_OUT):
        raise SystemExit(f"{path}: held-out data is never used for planner examples")


def read_items(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """The query items of ``paths`` (blank and ``#`` lines skipped; held-out items refused)."""
    items: list[dict[str, Any]] = []
    for path in paths:
        refuse_held_out(path)
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            item = json.loads(line)
            if item.get("source") in HELD_OUT:
                raise SystemExit(f"{path}: item {item.get('id')} comes from held-out source "
                                 f"{item['source']!r}")
            items.append(item)
    return items


def _placeholders(images: list[str], series: bool) -> list[str]:
    """Placeholders of the item's scenes (``$image1``... for a series; three when the request
    names its files in the text only)."""
    if series:
        return [f"$image{i}" for i in range(1, (len(images) if len(images) > 1 else 3) + 1)]
    if len(images) == 2:
        return ["$before", "$after"]
    return ["$image"] if len(images) <= 1 else [f"$image{i}" for i in range(1, len(images) + 1)]


def _scene_value(value: Any, images: list[str], names: list[str]) -> Any:
    """A gold argument with the item's own file names replaced by their placeholders."""
    if isinstance(value, str) and value in images:
        return names[images.index(value)] if len(names) == len(images) else "$image"
    if isinstance(value, list):
        return [_scene_value(v, images, names) for v in value]
    return value


def _statistic(question: str, source_tool: str) -> str:
    """The ``measure`` statistic the gold leaves open, from the question's words."""
    text = question.lower()
    for words, statistic in ((("largest", "biggest"), "max"), (("smallest",), "min"),
                             (("average", "mean"), "mean"), (("how long", "length"), "length"),
                             (("how many", "count", "number of"), "count")):
        if any(w in text for w in words):
            return statistic
    return "count" if source_tool in ("detect_objects", "detect_changes") else "area"


def _indices(question: str) -> list[str]:
    """The index names a question mentions, in the order of :data:`INDICES` (NDVI if none)."""
    words = set(re.findall(r"[a-z]+", question.lower()))
    return [i for i in INDICES if i.lower() in words] or ["NDVI"]


def _series_step(tool: str, required: list[str]) -> bool:
    return "trend" in required and tool != "trend" and required.index(tool) == len(
        required) - 2


def build_plan(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan of one in-scope item: required tools in order with gold and filled arguments."""
    gold = item["gold"]
    required: list[str] = list(gold["required"])
    images: list[str] = list(item.get("images") or [])
    series = "trend" in required
    names = _placeholders(images, series)
    steps: list[dict[str, Any]] = []
    last: dict[str, str] = {}  # tool -> id of its latest step

    def add(tool: str, args: dict[str, Any]) -> str:
        steps.append({"tool": tool, "args": args})
        ref = f"$s{len(steps)}"
        last[tool] = ref
        return ref

    for tool in required:
        given = {k: _scene_value(v, images, names)
                 for k, v in (gold.get("args", {}).get(tool) or {}).items()}
        if tool == "trend":
            made = [f"$s{i + 1}" for i, s in enumerate(steps) if s["tool"] == required[-2]]
            add(tool, {"images": made or "$images", **given})
            continue
        if series and _series_step(tool, required):
            if tool == "detect_changes":  # the first date against each later one
                for name in names[1:]:
                    add(tool, {"before": names[0], "after": name, **given})
                continue
            for name in names:
                add(tool, {"image": name, **given})
            continue
        if tool == "spectral_index" and "index" not in given:
            for index in _indices(item["question"]):  # one step per index the request names
                add(tool, _fill(tool, {**given, "index": index}, names, last, steps, item))
            continue
        add(tool, _fill(tool, given, names, last, steps, item))
    return steps


def _fill(tool: str, args: dict[str, Any], names: list[str], last: dict[str, str],
          steps: list[dict[str, Any]], item: dict[str, Any]) -> dict[str, Any]:
    """``args`` plus the scene and earlier-step arguments of ``tool`` that the gold leaves out."""
    question: str = item["question"]
    images: list[str] = list(item.get("images") or [])
    scene = "$after" if names == ["$before", "$after"] else names[0]
    out: dict[str, Any] = {}
    if tool in SCENE_TOOLS and "image" not in args:
        if tool in RGB_READERS and "pseudo_rgb" in last:
            out["image"] = last["pseudo_rgb"]
        elif tool in RGB_READERS and "search_images" in last:
            out["image"] = last["search_images"]
        elif tool == "segment" and "detect_objects" in last:
            out["image"] = steps[int(last["detect_objects"][2:]) - 1]["args"]["image"]
        else:
            out["image"] = "$before" if tool == "estimate_biomass" and "detect_changes" in last \
                else scene
    if tool == "segment" and "detect_objects" in last and not {"boxes", "classes", "points",
                                                               "everything"} & set(args):
        out["boxes"] = last["detect_objects"]
    if tool == "detect_changes":
        out.update({"before": "$before", "after": "$after"})
    if tool == "classify_scene":
        out["images"] = "$images"
    if tool == "search_images":
        out.update({"query": _query(question), "archive": _archive(question, images)})
    if tool == "estimate_biomass" and "region" not in args:
        mask = next((last[t] for t in ("detect_changes", "spectral_index") if t in last), None)
        if mask is not None:
            out["region"] = mask
    if tool == "measure" and steps:
        source = steps[-1]
        out["source"] = f"$s{len(steps)}"
        if "statistic" not in args:
            out["statistic"] = _statistic(question, source["tool"])
    if tool == "measure" and not steps:
        out.update({"source": scene, "statistic": _statistic(question, "")})
    if tool == "assess":
        out["result"] = f"$s{len(steps)}" if steps else scene
        out["reference"] = _reference(question, images)
    out.update(args)
    return out


def _query(question: str) -> str:
    """A retrieval query from the question: quoted text, else the words after the last
    ``with`` / ``show`` / ``like`` / ``contain`` / ``similar to``, else the question."""
    quoted = re.search(r"['\"]([^'\"]+)['\"]", question)
    if quoted:
        return quoted.group(1)
    found = re.findall(r"\b(?:with|shows?|like|contains?|similar to)\s+(?:an?\s+|the\s+)?"
                       r"(.+?)(?=[?.,]|\s+in\s|\s+then\s|$)", question, flags=re.IGNORECASE)
    return (found[-1] if found else question).strip()[:60]


def _reference(question: str, images: list[str]) -> str:
    """The last file the question names that is not one of its scenes (the reference)."""
    files = re.findall(r"[\w./-]+\.(?:tiff?|geojson|shp|gpkg|png|jpe?g)\b", question,
                       flags=re.IGNORECASE)
    others = [f for f in files if f not in images]
    return others[-1] if others else "reference.tif"


def _archive(question: str, images: list[str]) -> str:
    """The folder the question names (``archive/``), else the folder of several given scenes
    (``.`` for none), else the one scene (cut in tiles)."""
    folder = re.search(r"(\S+/)(?=[\s,.?]|$)", question)
    if folder:
        return folder.group(1)
    if len(images) > 1:
        return os.path.commonpath([os.path.dirname(i) or "." for i in images]) or "."
    return "$image"


def build(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One example per distinct request (first item wins), plans checked for validity; an
    item whose gold leaves a required argument open ("how did the vegetation evolve", no index
    named) is no complete example and is left out."""
    from agent.plan import Plan, PlanStep
    from agent.planners.validate import plan_problems

    examples: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        key = " ".join(item["question"].lower().split())
        if key in seen:
            continue
        seen.add(key)
        example: dict[str, Any] = {"id": item["id"], "request": item["question"],
                                   "images": list(item.get("images") or [])}
        if not item["gold"]["required"]:
            examples.append({**example, "plan": [], "declined": True})
            continue
        plan = build_plan(item)
        steps = [PlanStep(id=f"s{i}", tool=s["tool"], args=s["args"])
                 for i, s in enumerate(plan, 1)]
        problems = plan_problems(Plan(request=item["question"], steps=steps))
        if problems and all("Field required" in p for p in problems):
            print(f"{item['id']}: left out, its gold leaves a required argument open "
                  f"({problems[0]})")
            continue
        if problems:
            raise SystemExit(f"{item['id']}: the plan from its gold is invalid: "
                             + "; ".join(problems))
        examples.append({**example, "plan": plan})
    return examples


def write_embeddings(requests: list[str], key: str) -> None:
    """Embed the requests (the planner's sentence encoder) and write them, float16, keyed."""
    from agent.planners.sentence_encoder import get_encoder

    matrix = get_encoder().encode(requests).astype(np.float16)
    np.savez_compressed(EMBEDDINGS, embeddings=matrix, key=np.array(key))


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check verify) prompts/plan_examples.jsonl."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path, help="query files (default: the dev data)")
    ap.add_argument("--check", action="store_true", help="verify the file, write nothing")
    ns = ap.parse_args(argv)
    paths = ns.files or [p for p in DEFAULT_INPUTS if p.is_file()]
    examples = build(read_items(paths))
    text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples)
    key = requests_key([e["request"] for e in examples])
    if ns.check:
        if not OUTPUT.is_file() or OUTPUT.read_text(encoding="utf-8") != text:
            raise SystemExit(f"{OUTPUT} differs from its sources: run eval/corpus/examples.py")
        with np.load(EMBEDDINGS, allow_pickle=False) as data:
            if str(data["key"]) != key:
                raise SystemExit(f"{EMBEDDINGS} is stale: run eval/corpus/examples.py")
        print(f"ok: {len(examples)} examples")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    write_embeddings([e["request"] for e in examples], key)
    declined = sum(1 for e in examples if e.get("declined"))
    print(f"{len(examples)} examples ({declined} declined) from {len(paths)} files -> {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Save a natural-language plan as a workflow that reruns on other scenes.

``earthsight ask "..." --image a.tif --save-workflow flow.yaml`` writes the planned steps with
every scene path (and ``$image`` / ``$before`` / ``$after`` / ``$images`` placeholder) turned into
a named input; the scene the plan was made on is the input's default.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from agent import references
from agent.plan import Plan
from tools.geo.atomic import atomic_path


def _input_names(images: Sequence[str], plan: Plan) -> dict[str, str]:
    """Scene path -> input name (image; before/after for change plans; image1.. otherwise)."""
    if len(images) == 1:
        return {images[0]: "image"}
    if len(images) == 2 and any(s.tool == "detect_changes" for s in plan.steps):
        return {images[0]: "before", images[1]: "after"}
    return {p: f"image{i}" for i, p in enumerate(images, start=1)}


def plan_to_workflow(plan: Plan, images: Sequence[str | Path] = ()) -> dict[str, Any]:
    """The workflow (as a YAML-ready dict) of a plan made over ``images``.

    Args:
        plan: The plan (``$sN`` references stay as they are: step ids are kept).
        images: The scenes the plan was made on; their paths become inputs with defaults.
    """
    paths = [str(p) for p in images]
    names = _input_names(paths, plan)
    inputs: dict[str, dict[str, Any]] = {}

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            if value in names:
                name = names[value]
                inputs.setdefault(name, {"type": "image", "default": value})
                return f"${name}"
            ref = references.parse(value)
            if ref is not None and ref.is_scene:
                name = ref.name
                kind = "images" if name == "images" else "image"
                spec: dict[str, Any] = {"type": kind}
                if kind == "images" and paths:
                    spec["default"] = paths
                inputs.setdefault(name, spec)
            return value
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    steps = [{"id": s.id, "tool": s.tool, "args": convert(dict(s.args))} for s in plan.steps]
    return {"name": re.sub(r"[^a-z0-9]+", "-", plan.request.lower()).strip("-")[:60] or "plan",
            "description": plan.request, "inputs": inputs, "steps": steps,
            "outputs": [s["id"] for s in steps]}


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename (never half-written)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def save_workflow(plan: Plan, images: Sequence[str | Path], path: str | Path) -> Path:
    """Write the workflow of ``plan`` to ``path`` (YAML, atomically) and return the path."""
    data = plan_to_workflow(plan, images)
    header = (f"# Saved by `earthsight ask --save-workflow` from: {plan.request}\n"
              f"# Rerun: earthsight run {Path(path).name}"
              + "".join(f" --set {n}=SCENE" for n in data["inputs"]) + "\n")
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return write_text_atomic(path, header + body)

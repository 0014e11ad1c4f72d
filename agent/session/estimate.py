"""Rough run-time estimates of plan steps, so a session can ask before a heavy one runs.

The estimate is scene pixels (read from the header) times a per-tool cost measured on a
2-core CPU (../shared/ENVIRONMENT.md): SAM embeds one 1024² tile in ~25 s, automatic ("segment
everything") masks cost ~150 s a tile, YOLO ~0.25 s a tile. A step is *heavy* when its
estimate exceeds ``EARTHSIGHT_APPROVE_SECONDS`` (default 60 s).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent import references
from agent.plan import Plan, PlanStep, Scene
from tools.geo.raster import describe

TILE_PX = 1024 * 1024
SECONDS_PER_TILE: dict[str, float] = {
    "segment": 25.0, "detect_objects": 0.25, "detect_changes": 2.0, "estimate_biomass": 1.0,
    "classify_scene": 0.5, "describe_scene": 5.0, "pseudo_rgb": 0.05, "spectral_index": 0.05,
    "map_water": 0.1,
}
EVERYTHING_SECONDS_PER_TILE = 150.0
DEFAULT_APPROVE_SECONDS = 60.0


@dataclass(frozen=True)
class StepEstimate:
    """How long one step is expected to take, and why."""

    step: str
    tool: str
    pixels: int
    seconds: float

    def text(self) -> str:
        """One line for the analyst."""
        minutes = f"{self.seconds / 60:.1f} min" if self.seconds >= 90 else f"{self.seconds:.0f} s"
        return (f"{self.step} {self.tool} over {self.pixels / 1e6:.1f} Mpx: about {minutes} "
                "on this CPU")


def approve_threshold() -> float:
    """Seconds above which a step needs approval (``EARTHSIGHT_APPROVE_SECONDS``)."""
    try:
        return float(os.environ.get("EARTHSIGHT_APPROVE_SECONDS", DEFAULT_APPROVE_SECONDS))
    except ValueError:
        return DEFAULT_APPROVE_SECONDS


def _scene_path(value: str, scenes: Sequence[Scene]) -> str | None:
    ref = references.parse(value)
    if ref is None:
        return value
    if not ref.is_scene or ref.name == "images":
        return None
    index = {"image": 0, "before": 0, "after": 1}.get(ref.name)
    if index is None:
        index = int(ref.name[len("image"):]) - 1
    return scenes[index].path if 0 <= index < len(scenes) else None


def _pixels(value: Any, steps: dict[str, PlanStep], scenes: Sequence[Scene], depth: int = 0) -> int:
    if not isinstance(value, str) or depth > 8:
        return 0
    ref = references.parse(value)
    if ref is not None and ref.is_step:
        earlier = steps.get(ref.name)
        image = earlier.args.get("image") or earlier.args.get("before") if earlier else None
        return _pixels(image, steps, scenes, depth + 1)
    path = _scene_path(value, scenes)
    if path is None or not Path(path).is_file():
        return 0
    known = next((s.info for s in scenes if s.path == path and s.info is not None), None)
    try:  # a request's scene carries its header (read once); other files are read here
        info = known or describe(path)
    except Exception:
        return 0
    return info.width * info.height


def estimate_step(step: PlanStep, steps: dict[str, PlanStep], scenes: Sequence[Scene]
                  ) -> StepEstimate:
    """The estimate of one step (0 s for tools that only read headers or results)."""
    image = step.args.get("image") or step.args.get("before")
    pixels = _pixels(image, steps, scenes)
    per_tile = SECONDS_PER_TILE.get(step.tool, 0.0)
    if step.tool == "segment" and (step.args.get("everything") or not step.args.get("boxes")):
        per_tile = EVERYTHING_SECONDS_PER_TILE if step.args.get("everything") else per_tile
    tiles = math.ceil(pixels / TILE_PX) if pixels else 0
    return StepEstimate(step=step.id, tool=step.tool, pixels=pixels, seconds=tiles * per_tile)


def heavy_steps(plan: Plan, scenes: Sequence[Scene], threshold: float | None = None
                ) -> list[StepEstimate]:
    """The steps of ``plan`` estimated to take longer than ``threshold`` seconds."""
    limit = approve_threshold() if threshold is None else threshold
    steps = {s.id: s for s in plan.steps}
    estimates = [estimate_step(s, steps, scenes) for s in plan.steps]
    return [e for e in estimates if e.seconds > limit]

"""What ``detect_objects`` runs on: a scene, or the hit windows of a ``search_images`` result.

A plan like "which tiles show an airport? then count the planes there" passes step s1's result
file (``$s1``) as ``image``. :func:`detection_targets` turns it into one :class:`Target` per hit
scene with its hit windows, so detection reads only the slices that touch them;
:func:`crs_groups` then keeps each CRS's boxes in their own GeoJSON (never reprojected).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specialists.detection.slicing import Detections
from specialists.tiling import Window
from tools.core.errors import InputError
from tools.core.sources import load_result, load_source

ACCEPTED = ("a raster file, or the result ($sN) of search_images (its hit windows are searched) "
            "or pseudo_rgb (its composite)")


@dataclass(frozen=True)
class HitWindow:
    """One search hit on a scene: its rank, score and window in the scene's pixels."""

    rank: int
    score: float
    window: Window


@dataclass
class Target:
    """A scene to detect in; ``hits`` empty means the whole scene."""

    scene: str
    hits: list[HitWindow] = field(default_factory=list)

    @property
    def windows(self) -> list[Window] | None:
        """The hit windows to restrict detection to (None: the whole scene)."""
        return [h.window for h in self.hits] or None


def _window(raw: Any, argument: str, path: Path) -> Window:
    try:
        col, row, width, height = (int(v) for v in raw)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{argument}: {path} has a hit window {raw!r}; expected "
                         "[col, row, width, height] in scene pixels") from exc
    return Window(col, row, width, height)


def detection_targets(image: str, argument: str = "image") -> tuple[list[Target], list[str]]:
    """The scenes (and hit windows) ``image`` names, and warnings.

    Raises:
        InputError: A result file of another tool, or hits naming missing scenes.
    """
    path = Path(image)
    if path.suffix.lower() != ".json" or not path.is_file():
        return [Target(scene=image)], []
    try:
        call, raw = load_result(path, argument)
    except InputError as exc:
        raise InputError(f"{exc}; detect_objects takes {ACCEPTED}") from exc
    if call.tool == "pseudo_rgb":  # its composite
        src = load_source(path, argument)
        return [Target(scene=str(Path(src.raster or str(src.image)).resolve()))], []
    if call.tool != "search_images":
        raise InputError(f"{argument}: {path} is a {call.tool} result; detect_objects takes "
                         f"{ACCEPTED}")
    targets: dict[str, Target] = {}
    for hit in raw.get("hits") or []:
        scene = str(hit["scene"])
        if not Path(scene).is_file():
            raise InputError(f"{argument}: hit scene {scene} of {path} no longer exists")
        targets.setdefault(scene, Target(scene=scene)).hits.append(HitWindow(
            rank=int(hit["rank"]), score=float(hit["score"]),
            window=_window(hit["window"], argument, path)))
    if not targets:
        return [], [f"{argument}: the search result {path.name} has no hits; nothing to detect"]
    return list(targets.values()), []


def touching(slices: Sequence[Window], within: Sequence[Window] | None) -> list[Window]:
    """The slices that overlap any window of ``within`` (all slices when it is None)."""
    if within is None:
        return list(slices)
    return [s for s in slices if any(s.intersects(w) for w in within)]


def _box_hits(dets: Detections, hits: Sequence[HitWindow]) -> list[HitWindow | None]:
    """Per box, the best-ranked hit whose window it overlaps (None: outside every hit)."""
    out: list[HitWindow | None] = []
    ranked = sorted(hits, key=lambda h: h.rank)
    for x0, y0, x1, y1 in dets.xyxy:
        out.append(next((h for h in ranked if h.window.overlaps_box(x0, y0, x1, y1)), None))
    return out


def keep_in_hits(dets: Detections, target: Target) -> tuple[Detections, list[HitWindow | None]]:
    """Boxes that overlap the target's hit windows, and the hit of each (all kept, hit None,
    for a whole-scene target)."""
    if not target.hits:
        return dets, [None] * len(dets)
    hits = _box_hits(dets, target.hits)
    sel = np.array([h is not None for h in hits], bool)
    return dets.select(sel), [h for h in hits if h is not None]


def crs_groups(crss: Sequence[str | None]) -> dict[str | None, list[int]]:
    """Indices of the scenes per CRS, in first-seen order."""
    groups: dict[str | None, list[int]] = {}
    for i, crs in enumerate(crss):
        groups.setdefault(crs, []).append(i)
    return groups


def crs_slug(crs: str | None) -> str:
    """A file/artifact-name-safe form of a CRS (``EPSG:32633`` -> ``epsg32633``)."""
    if not crs:
        return "nocrs"
    return "".join(c for c in crs.lower() if c.isalnum())[:40] or "crs"

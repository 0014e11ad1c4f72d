"""Resolve a ``source`` argument: an earlier step's result file, a GeoJSON, or a raster.

Plans write ``"$s2"``; the agent turns that into the path of step s2's result file. Tools that
read earlier outputs (measure, trend, segment boxes, biomass regions) call :func:`load_source`
and get the vector, mask, raster and numbers that result holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.core.artifacts import Quantity, ToolCall, ToolResult
from tools.core.errors import InputError

_VECTOR_SUFFIXES = (".geojson", ".json")


@dataclass
class Source:
    """What an earlier output offers to a tool that reads it."""

    path: Path
    call: ToolCall | None = None
    result: ToolResult | None = None
    vector: Path | None = None
    mask: Path | None = None
    raster: Path | None = None
    image: str | None = None
    numbers: dict[str, Quantity] = field(default_factory=dict)

    def require(self, what: str, argument: str) -> Path:
        """The ``vector``, ``mask`` or ``raster`` path, or a clear error when it has none."""
        path: Path | None = getattr(self, what)
        if path is None:
            made_by = f" (made by {self.call.tool})" if self.call else ""
            raise InputError(f"{argument}: {self.path}{made_by} holds no {what}. Pass the result "
                             f"of a step that writes a {what}.")
        return path


def load_source(value: str | Path, argument: str = "source") -> Source:
    """Load an earlier result (``*.json`` from a tool run), a GeoJSON file, or a raster.

    Args:
        value: Path (what a ``$sN`` reference resolved to, or a file the user names).
        argument: Name of the argument, used in error messages.
    """
    path = Path(value)
    if str(value).startswith("$"):
        raise InputError(f"{argument}: the reference {value} was not resolved; it must name an "
                         "earlier step of the same plan (e.g. $s1)")
    if not path.exists():
        raise InputError(f"{argument}: file not found: {path}")
    if path.suffix.lower() == ".json" and not path.name.endswith(".geojson"):
        try:
            call, raw = load_result(path, argument)
        except InputError:
            return Source(path=path, vector=path)
        result = ToolResult.model_validate(raw)
        src = Source(path=path, call=call, result=result, image=result.image,
                     numbers=result.numbers())
        for art in result.artifacts:
            if art.path is None or art.kind in ("number", "text", "table"):
                continue
            slot = {"vector": "vector", "mask": "mask", "raster": "raster"}[art.kind]
            if getattr(src, slot) is None:
                setattr(src, slot, Path(art.path))
        return src
    if path.suffix.lower() in _VECTOR_SUFFIXES:
        return Source(path=path, vector=path)
    return Source(path=path, mask=path, raster=path, image=str(path))


def load_result(path: str | Path, argument: str = "source") -> tuple[ToolCall, dict[str, Any]]:
    """Read a result file written by :func:`run_record` (what a ``$sN`` reference points to)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        return ToolCall.model_validate(data["call"]), dict(data["result"])
    except FileNotFoundError as exc:
        raise InputError(f"{argument}: result file not found: {p}") from exc
    except (KeyError, ValueError) as exc:
        raise InputError(f"{argument}: {p} is not an EarthSight result file") from exc

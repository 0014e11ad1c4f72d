"""What an LLM planner is shown: tool specs from the catalog, scene facts and thumbnails.

* :func:`tool_specs` turns every tool record's input JSON schema (``ToolRecord.input_schema``,
  the single source) into an OpenAI-style function spec, plus ``finish`` and ``decline``.
* :func:`scene_facts` is the ``describe_raster`` report of each scene (header only).
* :func:`quicklook_png` reads a small decimated copy of a scene (GDAL picks the overviews
  when the file has them; never a full-resolution read) and returns it as PNG bytes.
* :func:`system_prompt` is the planner's instructions (``prompts/planner_system.md``, or the
  short ``prompts/planner_local.md`` for small local models) followed by
  :func:`examples_text`: the development-corpus requests nearest to this one with their plans
  (:func:`agent.planners.examples.nearest`; 4 examples, 2 in the compact variant). The
  instructions come first and never change, so a backend that caches the prompt prefix
  reuses them across requests; the examples change per request and stay fixed across the
  planner's turns of one request.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.plan import Scene
from prompts import load_text
from tools.catalog import ALL_TOOLS
from tools.core.untrusted_text import quoted
from tools.geo.header import info_lines
from tools.geo.raster import describe

FINISH = "finish"
DECLINE = "decline"
CONTROL_TOOLS = (FINISH, DECLINE)
EXAMPLES_HEADER = "Examples of similar requests and their plans:"
EXAMPLES_K = 4
"""Examples in the full system prompt."""
COMPACT_EXAMPLES_K = 2
"""Examples in the compact prompt of small local models."""

_FINISH_SPEC = {"type": "function", "function": {
    "name": FINISH,
    "description": "Call once every step of the plan has been added.",
    "parameters": {"type": "object", "properties": {
        "summary": {"type": "string", "description": "one line: what the plan answers"}},
        "required": []}}}
_DECLINE_SPEC = {"type": "function", "function": {
    "name": DECLINE,
    "description": "Call instead of tools when no EarthSight tool can answer the request.",
    "parameters": {"type": "object", "properties": {
        "reason": {"type": "string", "description": "why, in one sentence"}},
        "required": ["reason"]}}}


def _clean(schema: Any) -> Any:
    """The schema without EarthSight's private keys and pydantic titles."""
    if isinstance(schema, dict):
        return {k: _clean(v) for k, v in schema.items()
                if not k.startswith("x-earthsight") and k != "title"}
    if isinstance(schema, list):
        return [_clean(v) for v in schema]
    return schema


def tool_specs(include_unavailable: bool = True) -> list[dict[str, Any]]:
    """Function specs of the catalog's tools (plus ``finish`` and ``decline``).

    Args:
        include_unavailable: Also list tools this installation cannot run (plans may still
            name them; running says why they cannot run).

    Returns:
        OpenAI-style ``{"type": "function", "function": {...}}`` dicts, accepted by
        ``bind_tools`` of every LangChain chat model.
    """
    specs: list[dict[str, Any]] = []
    for record in ALL_TOOLS:
        if record.requires is not None and not include_unavailable:
            continue
        description = " ".join(record.description.split())
        if record.requires is not None:
            description += f" (Not runnable in this installation: {record.requires}.)"
        specs.append({"type": "function", "function": {
            "name": record.name, "description": description,
            "parameters": _clean(record.input_schema())}})
    return [*specs, _FINISH_SPEC, _DECLINE_SPEC]


def scene_facts(scenes: Sequence[Scene]) -> str:
    """One block per scene: its placeholder and the ``describe_raster`` report.

    Files that do not exist (dry runs) are listed by name with their placeholder only.
    """
    if not scenes:
        return ("No scene files were given: refer to the scene as $image (two scenes: "
                "$before and $after).")
    blocks = []
    for index, scene in enumerate(scenes, start=1):
        names = [f"$image{index}"] + (["$image"] if index == 1 else [])
        if len(scenes) == 2:
            names.append("$before" if index == 1 else "$after")
        head = f"Scene {index} ({', '.join(names)}): {quoted(scene.path, 200)}"
        try:
            info = scene.info or (describe(scene.path) if Path(scene.path).is_file() else None)
            lines = info_lines(info) if info is not None else []
        except Exception as exc:  # the tools will report the same when run
            lines = [f"(unreadable: {exc})"]
        if not lines and scene.modality:
            lines = [f"Modality: {scene.modality}"]
        blocks.append("\n".join([head, *("  " + line for line in lines)]))
    return "\n".join(blocks)


def examples_text(request: str, k: int) -> str:
    """:data:`EXAMPLES_HEADER` and the ``k`` nearest examples, one JSON line each ("" for none).

    The examples are worked plans, not instructions: scene placeholders stand for the
    example's own scenes.
    """
    from agent.planners.examples import nearest

    chosen = nearest(request, k)
    if not chosen:
        return ""
    return "\n".join([EXAMPLES_HEADER, *(e.line() for e in chosen)])


def system_prompt(request: str, *, compact: bool = False, k: int | None = None) -> str:
    """The planner's system prompt for ``request``: instructions first, then the examples.

    Args:
        request: The analyst's request (picks the examples).
        compact: The short prompt of small local models (``planner_local.md``) instead of
            ``planner_system.md``.
        k: Examples to show (default :data:`EXAMPLES_K`, or :data:`COMPACT_EXAMPLES_K` when
            ``compact``; 0: none).
    """
    base = load_text("planner_local.md" if compact else "planner_system.md").strip()
    count = k if k is not None else (COMPACT_EXAMPLES_K if compact else EXAMPLES_K)
    block = examples_text(request, count)
    return f"{base}\n\n{block}" if block else base


def _stretch(band: Any) -> Any:
    import numpy as np

    data: Any = np.ma.masked_invalid(np.ma.asarray(band, dtype="float64"))
    valid = data.compressed()
    if valid.size == 0:
        return np.zeros(band.shape, dtype="uint8")
    low, high = np.percentile(valid, [2, 98])
    scaled = (data.filled(low) - low) / max(float(high - low), 1e-12)
    return (np.clip(scaled, 0, 1) * 255).astype("uint8")


def quicklook_png(path: str | Path, max_size: int = 256) -> bytes | None:
    """A thumbnail of a scene as PNG bytes (None when it cannot be read).

    The read asks GDAL for a decimated ``out_shape``: overviews are used when present, and at
    most ``max_size`` pixels on the long side are decoded per band (3 bands at most).
    """
    try:
        import numpy as np
        import rasterio
        from PIL import Image
    except ImportError:
        return None
    try:
        with rasterio.open(path) as src:
            scale = max(src.width, src.height) / max_size
            width = max(1, round(src.width / max(scale, 1)))
            height = max(1, round(src.height / max(scale, 1)))
            bands = [1, 2, 3] if src.count >= 3 else [1]
            data = src.read(bands, out_shape=(len(bands), height, width), masked=True)
    except Exception:
        return None
    planes = [_stretch(b) for b in data]
    array = np.stack(planes, axis=-1) if len(planes) == 3 else planes[0]
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def image_blocks(scenes: Sequence[Scene], max_size: int = 256) -> list[dict[str, Any]]:
    """Content blocks with one PNG thumbnail per readable scene (OpenAI ``image_url`` form)."""
    blocks: list[dict[str, Any]] = []
    for index, scene in enumerate(scenes, start=1):
        if not Path(scene.path).is_file():
            continue
        png = quicklook_png(scene.path, max_size)
        if png is None:
            continue
        data = base64.b64encode(png).decode("ascii")
        blocks.append({"type": "text", "text": f"Thumbnail of scene {index}:"})
        blocks.append({"type": "image_url",
                       "image_url": {"url": f"data:image/png;base64,{data}"}})
    return blocks

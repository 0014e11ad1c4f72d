"""The public tool surface: every tool record in one tuple, and what is derived from it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from specialists.runtime.models import MODELS, weights_present
from tools.assess import assess
from tools.biomass.estimate_biomass import estimate_biomass
from tools.change.detect_changes import detect_changes
from tools.clip.classify_search import classify_scene, search_images
from tools.core.artifacts import ToolResult
from tools.core.errors import InputError
from tools.core.registry import (
    Describer,
    ProgressCallback,
    ToolRecord,
    ToolRun,
    register_lookup,
    run_record,
)
from tools.core.workspace import Workspace
from tools.describe_raster import describe_raster
from tools.describe_scene import describe_scene
from tools.detection.detect_objects import detect_objects
from tools.measure import measure
from tools.pseudo_rgb import pseudo_rgb
from tools.segmentation.segment import segment
from tools.spectral_index import spectral_index
from tools.trend import trend
from tools.water.map_water import map_water

ALL_TOOLS: tuple[ToolRecord[Any, Any], ...] = (
    describe_raster, pseudo_rgb, spectral_index, map_water, detect_objects, segment,
    detect_changes, estimate_biomass, measure, trend, classify_scene, search_images,
    describe_scene, assess,
)
REGISTRY: dict[str, ToolRecord[Any, Any]] = {t.name: t for t in ALL_TOOLS}


def get_tool(name: str) -> ToolRecord[Any, Any]:
    """The record of tool ``name``, or an InputError listing the tool names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InputError(f"unknown tool {name!r}; tools are: {', '.join(REGISTRY)}") from None


register_lookup(get_tool)  # what tools call tools through (ToolContext.call_tool)


AVAILABLE, NEEDS_WEIGHTS, NOT_INSTALLED = "available", "needs weights", "not installed"
"""The states of a tool in this installation (:func:`tool_status`)."""


def tool_status(record: ToolRecord[Any, Any]) -> tuple[str, list[str]]:
    """Whether ``record`` can run here, and the weights files it lacks.

    Returns:
        ``("not installed", [])`` when the installation lacks a library it needs
        (``record.requires``); ``("needs weights", files)`` when it is installed but the
        weights of none of the models its default call loads are on this machine (no
        download is tried); else ``("available", [])``.
    """
    if record.requires is not None:
        return NOT_INSTALLED, []
    known = [MODELS[m] for m in record.models if m in MODELS]
    if known and not any(weights_present(m) for m in known):
        return NEEDS_WEIGHTS, [m.weights for m in known]
    return AVAILABLE, []


def tool_schemas() -> list[dict[str, Any]]:
    """Name, description, availability (``status``: :func:`tool_status`; ``weights``: the
    files it lacks) and input/output JSON schemas of every tool."""
    out = []
    for t in ALL_TOOLS:
        schema = t.schema()
        schema["status"], schema["weights_missing"] = tool_status(t)
        out.append(schema)
    return out


def run_tool(
    name: str, args: dict[str, Any], workspace: Workspace | str | Path,
    step: str | None = None, progress: ProgressCallback | None = None,
    describer: Describer | None = None,
) -> ToolRun:
    """Run tool ``name`` with ``args`` in ``workspace`` (see
    :func:`tools.core.registry.run_record`); its child calls look tools up here."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    return run_record(get_tool(name), args, ws, step=step, progress=progress,
                      describer=describer, lookup=get_tool)


def as_langchain_tools(workspace: Workspace | str | Path,
                       run: Callable[[str, dict[str, Any]], ToolResult] | None = None,
                       ) -> list[Any]:
    """Every available tool as a LangChain ``StructuredTool`` (the one wrapper; the name,
    description and argument schema come from the tool record).

    Each tool returns its result as JSON text (summary, numbers with units, artifact paths);
    tool errors are returned as text so the calling model can correct itself.

    Args:
        workspace: Where the tools write (when ``run`` is not given).
        run: How a call runs, ``(name, args) -> result`` (e.g. through an agent runtime, with
            its sandbox and limits); default: the tool itself in ``workspace``.
    """
    from langchain_core.tools import StructuredTool

    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)

    def direct(name: str, args: dict[str, Any]) -> ToolResult:
        return run_tool(name, args, ws).result

    runner = run or direct

    def make(record: ToolRecord[Any, Any]) -> Any:
        def call(**kwargs: Any) -> str:
            try:
                result = runner(record.name, kwargs)
            except Exception as exc:  # returned to the model, not raised
                return f"error: {exc}"
            return str(result.model_dump_json(exclude_none=True))

        return StructuredTool.from_function(  # a JSON-schema args_schema: LangChain passes
            func=call, name=record.name, description=record.description,  # arguments as
            args_schema=record.input_schema(),  # given, so unknown ones reach the check
        )

    return [make(t) for t in ALL_TOOLS if t.requires is None]

"""EarthSight tools: typed, georeferenced capabilities over rasters (one record per tool)."""

from tools.catalog import ALL_TOOLS, REGISTRY, as_langchain_tools, get_tool, run_tool, tool_schemas
from tools.core.artifacts import Artifact, Quantity, ToolCall, ToolResult
from tools.core.errors import EarthSightError, InputError, ToolUnavailable
from tools.core.registry import ToolContext, ToolRecord, ToolRun
from tools.core.workspace import Workspace

__all__ = [
    "ALL_TOOLS", "REGISTRY", "Artifact", "EarthSightError", "InputError", "Quantity", "ToolCall",
    "ToolContext", "ToolRecord", "ToolResult", "ToolRun", "ToolUnavailable", "Workspace",
    "as_langchain_tools", "get_tool", "run_tool", "tool_schemas",
]

"""The marks that tell every interface which tool arguments are files.

Sandboxes resolve and check exactly the fields marked here; the registry re-exports them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

PATH_MARK = "x-earthsight-path"
"""JSON-schema key that marks an input field holding a file path (or a list of them)."""

PATH_FIELD: dict[str, Any] = {PATH_MARK: True}
"""``json_schema_extra`` of every file argument: sandboxes resolve and check exactly these."""


MODEL_FIELD: dict[str, Any] = {PATH_MARK: "model"}
"""``json_schema_extra`` of a ``model`` argument: a model record name, or a weights file that
sandboxes resolve and check like any other file argument."""


def path_fields(model: type[BaseModel], kind: str | None = None) -> list[str]:
    """Names of the fields of ``model`` marked as file paths.

    Args:
        model: A tool's input model.
        kind: None for every marked field, "file" for plain file arguments
            (:data:`PATH_FIELD`), "model" for model arguments (:data:`MODEL_FIELD`).
    """
    out: list[str] = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        mark = extra.get(PATH_MARK) if isinstance(extra, dict) else None
        if not mark:
            continue
        field_kind = "model" if mark == "model" else "file"
        if kind is None or kind == field_kind:
            out.append(name)
    return out


SHARED_LAST = ("gsd", "region")
"""Options every scene tool shares (:mod:`tools.core.scene_options`): listed after a tool's
own arguments in schemas, help and messages."""


def argument_names(model: type[BaseModel]) -> list[str]:
    """The arguments of ``model`` in the order people read them: the tool's own first, then
    the shared scene options."""
    names = list(model.model_fields)
    return [n for n in names if n not in SHARED_LAST] + [n for n in names if n in SHARED_LAST]

"""A workflow's inputs: their types, and values (``--set`` text, HTTP ``inputs``) converted and
checked against them before anything runs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tools.core.arguments import value_problem
from tools.core.errors import InputError

INPUT_TYPES = ("image", "images", "number", "integer", "string", "boolean")


class WorkflowError(InputError):
    """A workflow file is invalid; the message lists every problem with its line."""


class WorkflowInput(BaseModel):
    """One named input."""

    type: str = "image"
    default: Any = None
    description: str = ""
    required: bool = True


def convert_input(name: str, spec: WorkflowInput, value: Any) -> Any:
    """``value`` as input ``name``'s type (text from ``--set`` converted; a number finite).

    Raises:
        WorkflowError: The value is not of the input's type.
    """
    kind = spec.type
    try:
        if isinstance(value, str) and kind != "string" and kind != "image":
            value = _from_text(kind, value)
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            value = int(value)
        if kind == "images" and isinstance(value, list) and all(
                isinstance(v, str) for v in value):
            return value
        ok = {"image": isinstance(value, str), "string": isinstance(value, str),
              "boolean": isinstance(value, bool),
              "integer": isinstance(value, int) and not isinstance(value, bool),
              "number": isinstance(value, int | float) and not isinstance(value, bool)}
        if not ok.get(kind, True):
            raise ValueError(value)
    except (ValueError, OverflowError):
        example = _EXAMPLE.get(kind, "a value of that type").replace("NAME", name)
        raise WorkflowError(f"input {name}: {_shown(value)} is not {_A.get(kind, kind)}; "
                            f"give {example}") from None
    problem = value_problem(value)
    if problem is not None:
        raise WorkflowError(f"input {name}: {problem}")
    return value


_A = {"image": "a file path", "images": "a list of file paths", "number": "a number",
      "integer": "an integer", "string": "text", "boolean": "true or false"}
_EXAMPLE = {"image": "--set NAME=scene.tif", "images": "--set NAME=a.tif,b.tif",
            "number": "a finite number, e.g. --set NAME=500", "integer": "e.g. --set NAME=3",
            "string": "text", "boolean": "true or false (yes/no, 1/0)"}


def _from_text(kind: str, value: str) -> Any:
    if kind == "images":
        return [v.strip() for v in value.split(",") if v.strip()]
    if kind == "number":
        return float(value)
    if kind == "integer":
        return int(value)
    if kind == "boolean":
        if value.strip().lower() not in ("true", "false", "yes", "no", "1", "0"):
            raise ValueError(value)
        return value.strip().lower() in ("true", "yes", "1")
    return value


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 15] + "..." + text[-12:]

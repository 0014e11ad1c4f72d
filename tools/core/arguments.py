"""The one argument check of every tool call, whichever interface it comes from.

:meth:`tools.core.registry.ToolRecord.validate_args` runs it (the CLI's ``run-tool``, the HTTP
API, the MCP server, workflows, the agent graph and ``ctx.call_tool`` all go through it):

* **Names.** Every argument must be one the tool takes; an unknown one (a misspelt ``thresh``)
  is an error naming the closest known argument, never silently dropped.
* **Values.** Numbers must be finite (no NaN or infinity, also inside lists and dicts, and also
  when given as text such as ``"nan"``) and integers within 64 bits; text must be valid
  Unicode without NUL characters.
* **Types and bounds**: the tool's pydantic input model.

Each problem is one :class:`~tools.core.errors.InputError` naming the tool, the argument and
the fix. :func:`check_values` is the part that needs no types: the request checks run it on
arguments that still hold ``$`` references, before any file is looked at.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tools.core.errors import InputError
from tools.core.fields import argument_names

M = TypeVar("M", bound=BaseModel)

INT_LIMIT = 2**63 - 1
"""Largest integer an argument may hold (what a 64-bit integer holds)."""


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name`` (difflib), or None when none is close."""
    lowered = {k.lower(): k for k in known}
    match = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[match[0]] if match else None


def unknown_message(tool: str, name: Any, known: Sequence[str]) -> str:
    """``<tool>: unknown argument 'x' (did you mean 'y'?)``."""
    near = closest(str(name), known)
    hint = f" (did you mean {near!r}?)" if near else ""
    return f"{tool}: unknown argument {_shown(name)}{hint}"


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 15] + "..." + text[-12:]


class _TooDeep:
    """Stands for a value nested deeper than :data:`MAX_DEPTH`."""


MAX_DEPTH = 32
"""Deepest nesting of lists and dicts an argument may have (tools take at most 2)."""


def _walk(value: Any, where: str, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every scalar inside ``value`` with where it is (``points[0][1]``, ``bands.red``)."""
    if depth > MAX_DEPTH:
        yield where, _TooDeep()
    elif isinstance(value, BaseModel):
        for key in type(value).model_fields:
            yield from _walk(getattr(value, key), f"{where}.{key}" if where else key, depth + 1)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield where or "arguments", key  # keys are checked like values
            yield from _walk(item, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            yield from _walk(item, f"{where}[{i}]", depth + 1)
    else:
        yield where, value


def value_problem(value: Any) -> str | None:
    """Why one scalar argument value is refused (None: it is fine)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, _TooDeep):
        return f"lists and mappings nested more than {MAX_DEPTH} deep are refused"
    if isinstance(value, float) and not math.isfinite(value):
        return (f"{value} is not a finite number; give a real number (NaN and infinity are "
                "refused)")
    if isinstance(value, complex):
        return "complex numbers are refused; give a real number"
    if isinstance(value, int) and abs(value) > INT_LIMIT:
        return (f"{_shown(value, 30)} is too large; integers must lie within "
                f"±{INT_LIMIT:,}")
    if isinstance(value, str):
        if "\x00" in value:
            return f"{_shown(value)} contains a NUL character; remove it"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{_shown(value)} is not valid Unicode text (a lone surrogate); fix its encoding"
    return None


def check_values(tool: str, args: Mapping[str, Any], known: Sequence[str]) -> None:
    """Refuse unknown argument names and values no tool can use (see the module docstring);
    types are not looked at, so ``$`` references pass.

    Raises:
        InputError: The first problem: the tool, the argument, what is wrong and the fix.
    """
    if not isinstance(args, Mapping):
        raise InputError(f"{tool}: arguments must be a mapping of argument names to values, "
                         f"not {type(args).__name__}")
    unknown = [k for k in args if k not in known]
    if unknown:
        problems = "; ".join(unknown_message(tool, k, known) for k in unknown[:5])
        raise InputError(f"{problems}. Arguments it takes: {', '.join(known)}.")
    for where, value in _walk(dict(args), ""):
        problem = value_problem(value)
        if problem is not None:
            raise InputError(f"{tool}: {where}: {problem}")


def validate(tool: str, model: type[M], args: Mapping[str, Any]) -> M:
    """``args`` checked (:func:`check_values`) and parsed into ``model``, whose values are
    checked again (text such as ``"nan"`` parses to a number).

    Raises:
        InputError: One readable message naming the tool and every bad argument.
    """
    known = argument_names(model)
    check_values(tool, args, known)
    try:
        parsed = model.model_validate(dict(args))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
            for e in exc.errors())
        raise InputError(f"{tool}: invalid arguments ({problems}). "
                         f"Arguments it takes: {', '.join(known)}.") from exc
    for where, value in _walk(parsed, ""):
        problem = value_problem(value)
        if problem is not None:
            raise InputError(f"{tool}: {where}: {problem}")
    return parsed

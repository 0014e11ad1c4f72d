"""The one reference grammar of plans, workflows and every interface that passes them on.

A reference is a whole string argument value, anywhere in an argument (inside lists and dicts
too):

* ``$sN`` — the result of plan step ``sN`` (its result record file); ``$sN.name`` — the value
  of that step's number ``name`` (or a top-level field of its result).
* ``$image``, ``$imageN``, ``$images``, ``$before``, ``$after`` — the request's scenes (the first,
  the N-th, all of them, the first and second of a pair).
* ``$name`` / ``${name}`` — in a workflow, the input or step called ``name`` (workflow step
  references are renamed to ``$sN`` when the workflow becomes a plan).

A reference that stands for a list (``$images``, a list input) is spliced into the list it
appears in. Nothing else in a string is substituted: ``"a$image"`` is plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

_REF = re.compile(r"^\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                  r"(?:\.(?P<field>[A-Za-z_][A-Za-z0-9_]*))?)$")
_STEP = re.compile(r"^s\d+$")
_SCENE = re.compile(r"^(image\d*|images|before|after)$")
SCENE_NAMES = ("$image", "$imageN", "$images", "$before", "$after")
"""The scene references a plan may use (for messages)."""


@dataclass(frozen=True)
class Reference:
    """One parsed reference.

    Attributes:
        name: What it names, without ``$`` (``s2``, ``image``, ``before``, a workflow name).
        field: The part after a dot (``$s2.water_area`` -> ``water_area``), else None.
    """

    name: str
    field: str | None = None

    @property
    def is_step(self) -> bool:
        """Whether it names a plan step (``$sN``)."""
        return bool(_STEP.match(self.name))

    @property
    def is_scene(self) -> bool:
        """Whether it names request scenes (``$image``, ``$imageN``, ``$images``...)."""
        return self.field is None and bool(_SCENE.match(self.name))

    def __str__(self) -> str:
        return f"${self.name}" + (f".{self.field}" if self.field else "")


def parse(value: Any) -> Reference | None:
    """The reference ``value`` is, or None (not a string, or not a whole reference)."""
    if not isinstance(value, str):
        return None
    match = _REF.match(value)
    if match is None:
        return None
    return Reference(match.group("braced") or match.group("name"), match.group("field"))


def is_reference(value: Any) -> bool:
    """Whether ``value`` is a whole reference string."""
    return parse(value) is not None


def find(value: Any) -> Iterator[tuple[Reference, str]]:
    """Every reference in ``value`` (searched inside lists and dicts) with where it is
    (``""`` for the value itself, ``[1]``, ``.key``...)."""
    ref = parse(value)
    if ref is not None:
        yield ref, ""
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            for found, where in find(item):
                yield found, f"[{i}]{where}"
    elif isinstance(value, dict):
        for key, item in value.items():
            for found, where in find(item):
                yield found, f".{key}{where}"


def step_ids(value: Any) -> list[str]:
    """Ids of the plan steps ``value`` reads (``$sN`` and ``$sN.name``), in order, once each."""
    out: list[str] = []
    for ref, _ in find(value):
        if ref.is_step and ref.name not in out:
            out.append(ref.name)
    return out


Replace = Callable[[Reference, str], Any]
"""``(reference, where) -> value``; return :data:`KEEP` to leave the reference as it is."""

KEEP: Any = object()
"""What a :data:`Replace` function returns to leave a reference unchanged."""


def substitute(value: Any, replace: Replace, where: str = "") -> Any:
    """``value`` with every reference replaced by ``replace(reference, where)``.

    Inside a list, a reference replaced by a list is spliced into it. ``where`` names the
    argument for messages (``image``, ``images[1]``, ``boxes.source``).
    """
    ref = parse(value)
    if ref is not None:
        got = replace(ref, where)
        return value if got is KEEP else got
    if isinstance(value, list | tuple):
        out: list[Any] = []
        for i, item in enumerate(value):
            got = substitute(item, replace, f"{where}[{i}]")
            if parse(item) is not None and isinstance(got, list):
                out.extend(got)
            else:
                out.append(got)
        return out
    if isinstance(value, dict):
        return {k: substitute(v, replace, f"{where}.{k}" if where else str(k))
                for k, v in value.items()}
    return value


def rename(value: Any, names: dict[str, Any]) -> Any:
    """Replace references whose name is in ``names`` by its value (a workflow's inputs and
    step ids); a field is kept on a reference-valued replacement (``$water.area`` with
    ``water -> "$s1"`` gives ``"$s1.area"``)."""
    def replace(ref: Reference, where: str) -> Any:
        if ref.name not in names:
            return KEEP
        new = names[ref.name]
        if ref.field is None:
            return new
        target = parse(new)
        return f"{target}.{ref.field}" if target is not None and target.field is None else KEEP

    return substitute(value, replace)

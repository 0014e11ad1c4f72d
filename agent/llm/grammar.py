"""The grammar of one tool call, ``{"tool": "<name>", "args": {...}}``, checked one character
at a time (:class:`CallGrammar`, a small incremental validator of the *prefix* of that text with
a copyable state):

* ``{"tool": "`` and ``, "args": {`` are forced literals (fed to the model as one chunk each,
  never chosen by it);
* the tool name may only grow along the bound tool names (a character trie) and close on one;
* the ``args`` object may only use the chosen tool's JSON-schema property names, each once; a
  value's first character must suit the property's JSON type(s) (``"`` string, digit/``-``
  number, ``t``/``f`` boolean, ``n`` null, ``[``, ``{``) and enum strings grow along the enum;
  nested values are any JSON; only single spaces after ``:`` and ``,`` are allowed, no newlines;
  strings and numbers are length-capped;
* :meth:`CallGrammar.completion` closes any prefix into valid JSON (used when the token budget
  runs out or no token in the model's top ranks fits).

:mod:`agent.llm.constrained` decodes with it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

_NUMBER_PREFIX = re.compile(r"-?(0|[1-9]\d*)?(\.\d*)?([eE][+-]?\d*)?")
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")
_LITERALS = {"t": "true", "f": "false", "n": "null"}
_FIRST = {"string": '"', "number": "-0123456789", "boolean": "tf", "null": "n",
          "array": "[", "object": "{"}
_DEFAULT = (("null", "n"), ("string", '"'), ("number", "0"), ("boolean", "f"),
            ("array", "["), ("object", "{"))
MAX_STRING = 64
MAX_NUMBER = 20


class Property:
    """What a top-level argument may hold: JSON kinds (None: any) and enum strings."""

    __slots__ = ("enum", "kinds")

    def __init__(self, kinds: frozenset[str] | None, enum: tuple[str, ...] | None) -> None:
        self.kinds = kinds
        self.enum = enum


def _resolve(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        return _resolve(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs)
    return schema if isinstance(schema, dict) else {}


def _property(schema: Any, defs: dict[str, Any]) -> Property:
    options = schema.get("anyOf") or schema.get("oneOf") or [schema] if isinstance(
        schema, dict) else [{}]
    kinds: set[str] = set()
    enum: list[str] = []
    free_string = False
    for option in (_resolve(o, defs) for o in options):
        values = option.get("enum", [option["const"]] if "const" in option else None)
        if values is not None:
            for value in values:
                kind = {str: "string", bool: "boolean", type(None): "null"}.get(
                    type(value), "number")
                kinds.add(kind)
                if isinstance(value, str):
                    enum.append(value)
            continue
        declared = option.get("type")
        if declared is None:
            return Property(None, None)
        for k in declared if isinstance(declared, list) else [declared]:
            kinds.add("number" if k == "integer" else str(k))
            free_string |= k == "string"
    return Property(frozenset(kinds) or None,
                    tuple(enum) if enum and not free_string else None)


def properties(parameters: dict[str, Any]) -> dict[str, Property]:
    """The top-level argument constraints of a function's JSON-schema ``parameters``."""
    defs = parameters.get("$defs", {}) or {}
    return {name: _property(sub, defs)
            for name, sub in (parameters.get("properties") or {}).items()}


class CallGrammar:
    """Incremental validator of a ``{"tool": ..., "args": {...}}`` prefix (see the module doc).

    Args:
        tools: Tool name -> its argument constraints (:func:`properties`).
    """

    def __init__(self, tools: dict[str, dict[str, Property]]) -> None:
        if not tools:
            raise ValueError("constrained decoding needs at least one tool")
        self.tools = tools
        self.phase = "lit"          # lit, name, json, done
        self.lit = '{"tool": "'     # forced text still to come (phase lit)
        self.after_lit = "name"
        self.name = ""
        self.stack: list[str] = []  # "{" / "[" of the open containers inside args
        self.mode = ""
        self.key = ""
        self.used: set[str] = set()
        self.buf = ""               # current string / number / literal text
        self.prop: Property | None = None
        self.spaced = False

    # --- state ---------------------------------------------------------------------------------

    def clone(self) -> CallGrammar:
        """An independent copy (for trying a token)."""
        twin = copy.copy(self)
        twin.stack = list(self.stack)
        twin.used = set(self.used)
        return twin

    @property
    def done(self) -> bool:
        """True when the call is complete (nothing more may follow)."""
        return self.phase == "done"

    def forced(self) -> str:
        """Text that must come next whatever the model says (a literal), else ``""``."""
        return self.lit if self.phase == "lit" else ""

    def accepts(self, text: str) -> bool:
        """Whether ``text`` may follow the current prefix (the state is not changed)."""
        twin = self.clone()
        return all(twin.step(c) for c in text)

    def feed(self, text: str) -> None:
        """Consume ``text`` (which :meth:`accepts`)."""
        for c in text:
            if not self.step(c):
                raise ValueError(f"{c!r} cannot continue the tool call")

    # --- helpers -------------------------------------------------------------------------------

    def _props(self) -> dict[str, Property]:
        return self.tools[self.name]

    def _top(self) -> bool:
        return len(self.stack) == 1

    def _free_keys(self) -> list[str]:
        return [k for k in self._props() if k not in self.used]

    def _kinds(self) -> frozenset[str] | None:
        if self._top() and self.prop is not None:
            return self.prop.kinds
        return None

    def _space(self, c: str) -> bool:
        if c == " " and not self.spaced:
            self.spaced = True
            return True
        return False

    def _close(self) -> bool:
        self.stack.pop()
        if self.stack:
            self.mode = "after"
        else:
            self.phase, self.lit, self.after_lit = "lit", "}", "done"
        return True

    def _value_start(self, c: str) -> bool:
        kinds = self._kinds()
        if kinds is not None and not any(c in _FIRST[k] for k in kinds if k in _FIRST):
            return False
        self.spaced = False
        if c == '"':
            self.mode, self.buf = "string", ""
        elif c in "{[":
            self.stack.append(c)
            self.mode = "key_or_end" if c == "{" else "value_or_end"
        elif c in "-0123456789":
            self.mode, self.buf = "number", c
        elif c in _LITERALS:
            self.mode, self.buf = "literal", c
        else:
            return False
        return True

    # --- the automaton -------------------------------------------------------------------------

    def step(self, c: str) -> bool:
        """Consume one character; False (state then undefined) when it cannot follow."""
        if self.phase == "done":
            return False
        if self.phase == "lit":
            if not self.lit or c != self.lit[0]:
                return False
            self.lit = self.lit[1:]
            if not self.lit:
                self.phase = self.after_lit
                if self.phase == "json":
                    self.stack, self.mode, self.spaced = ["{"], "key_or_end", False
            return True
        if self.phase == "name":
            if c == '"':
                if self.name not in self.tools:
                    return False
                self.phase, self.lit, self.after_lit = "lit", ', "args": {', "json"
                return True
            grown = self.name + c
            if not any(n.startswith(grown) for n in self.tools):
                return False
            self.name = grown
            return True
        mode, top = self.mode, self._top()
        if mode in ("key_or_end", "key_req"):
            if self._space(c) and mode == "key_req":
                return True
            if c == "}" and mode == "key_or_end":
                return self._close()
            if c == '"' and (not top or self._free_keys()):
                self.mode, self.key, self.spaced = "key", "", False
                return True
            return False
        if mode == "key":
            if c == '"':
                if top:
                    if self.key not in self._props() or self.key in self.used:
                        return False
                    self.used.add(self.key)
                    self.prop = self._props()[self.key]
                self.mode = "colon"
                return True
            if c < " " or c == "\\" or len(self.key) >= MAX_STRING:
                return False
            if top and not any(k.startswith(self.key + c) for k in self._free_keys()):
                return False
            self.key += c
            return True
        if mode == "colon":
            if c == ":":
                self.mode, self.spaced = "value", False
                return True
            return False
        if mode in ("value", "value_or_end"):
            if self._space(c):
                return True
            if c == "]" and mode == "value_or_end":
                return self._close()
            return self._value_start(c)
        if mode == "string":
            enum = self.prop.enum if top and self.prop is not None else None
            if c == '"':
                if enum is not None and self.buf not in enum:
                    return False
                self.mode = "after"
                return True
            if c < " " or len(self.buf) >= MAX_STRING:
                return False
            if c == "\\":
                if enum is not None:
                    return False
                self.mode = "escape"
                return True
            if enum is not None and not any(e.startswith(self.buf + c) for e in enum):
                return False
            self.buf += c
            return True
        if mode == "escape":
            if c not in '"\\/bfnrt':
                return False
            self.mode, self.buf = "string", self.buf + c
            return True
        if mode == "number":
            if c in "0123456789.eE+-":
                grown = self.buf + c
                if len(grown) > MAX_NUMBER or not _NUMBER_PREFIX.fullmatch(grown):
                    return False
                self.buf = grown
                return True
            if not _NUMBER.fullmatch(self.buf):
                return False
            self.mode = "after"
            return self.step(c)
        if mode == "literal":
            target = _LITERALS[self.buf[0]]
            if len(self.buf) >= len(target) or c != target[len(self.buf)]:
                return False
            self.buf += c
            if self.buf == target:
                self.mode = "after"
            return True
        if mode == "after":
            if c == " " and self.stack[-1] == "[":
                return self._space(c)
            if c == ",":
                if self.stack[-1] == "{":
                    if top and not self._free_keys():
                        return False
                    self.mode, self.spaced = "key_req", False
                else:
                    self.mode, self.spaced = "value", False
                return True
            if (c == "}" and self.stack[-1] == "{") or (c == "]" and self.stack[-1] == "["):
                return self._close()
            return False
        return False

    # --- closing -------------------------------------------------------------------------------

    def _default(self) -> str:
        """One character that surely continues the prefix towards a complete call."""
        if self.phase == "lit":
            return self.lit[0]
        if self.phase == "name":
            if self.name in self.tools:
                return '"'
            return next(n for n in self.tools if n.startswith(self.name))[len(self.name)]
        mode, top = self.mode, self._top()
        if mode == "key_or_end":
            return "}"
        if mode == "key_req":
            return '"'
        if mode == "key":
            if not top:
                return '"'
            if self.key in self._free_keys():
                return '"'
            return next(k for k in self._free_keys() if k.startswith(self.key))[len(self.key)]
        if mode == "colon":
            return ":"
        if mode == "value_or_end":
            return "]"
        if mode == "value":
            kinds = self._kinds()
            return next(c for k, c in _DEFAULT if kinds is None or k in kinds)
        if mode == "string":
            enum = self.prop.enum if top and self.prop is not None else None
            if enum is None or self.buf in enum:
                return '"'
            return next(e for e in enum if e.startswith(self.buf))[len(self.buf)]
        if mode == "escape":
            return "n"
        if mode == "number":
            return "0" if not _NUMBER.fullmatch(self.buf) else ("}" if self.stack[-1] == "{"
                                                                 else "]")
        if mode == "literal":
            return _LITERALS[self.buf[0]][len(self.buf)]
        return "}" if self.stack[-1] == "{" else "]"

    def completion(self) -> str:
        """Text that closes the current prefix into a complete, valid call."""
        twin, out = self.clone(), list[str]()
        for _ in range(10_000):
            if twin.done:
                return "".join(out)
            c = twin._default()
            if not twin.step(c):  # pragma: no cover - _default always fits
                break
            out.append(c)
        raise RuntimeError("cannot close the tool call")  # pragma: no cover



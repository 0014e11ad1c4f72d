"""Schema-constrained decoding of one tool call: ``{"tool": "<name>", "args": {...}}``.

:class:`CallGrammar` is a small incremental validator of the *prefix* of that text, one
character at a time, with a copyable state:

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

:func:`decode_call` runs the model token by token with a KV cache: at each step it walks the
tokens in order of the model's score and takes the first (greedy) - or samples among the first
few (retries) - whose text keeps the prefix valid. So whatever the model emits, the output parses
as a tool call naming a bound tool, with only known argument names. Whether the values suit the
tool (required arguments, ``$sN`` references, paths) is still the LLM planner's check (pydantic),
which sends errors back and falls back to the offline planner.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
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


class TokenTexts:
    """Decoded text of single tokens (cached), empty for special and partial-UTF-8 tokens."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.special = set(getattr(tokenizer, "all_special_ids", []) or [])
        self.cache: dict[int, str] = {}

    def __call__(self, token: int) -> str:
        text = self.cache.get(token)
        if text is None:
            text = "" if token in self.special else self.tokenizer.decode(
                [token], clean_up_tokenization_spaces=False)
            if "\ufffd" in text:
                text = ""
            self.cache[token] = text
        return text


def decode_call(model: Any, tokenizer: Any, prompt_ids: Sequence[int],
                grammar: CallGrammar, *, max_new_tokens: int = 96, sample: bool = False,
                temperature: float = 0.7, top_k: int = 8, scan: int = 2000,
                kv: dict[str, Any] | None = None, texts: TokenTexts | None = None,
                threads: int | None = None) -> tuple[dict[str, Any], int]:
    """Generate one tool call under ``grammar``; returns the parsed call and tokens generated.

    Args:
        model: A transformers causal LM.
        tokenizer: Its tokenizer.
        prompt_ids: The chat-templated prompt (ending with the assistant turn's header).
        grammar: A fresh :class:`CallGrammar` of the bound tools.
        max_new_tokens: Tokens the model may choose; then the call is closed by
            :meth:`CallGrammar.completion`.
        sample: Sample among the ``top_k`` best valid tokens (else greedy).
        temperature: Sampling temperature.
        top_k: Valid candidates sampled among.
        scan: Tokens looked at per step (in score order) before closing the call instead.
        kv: A dict reused across calls to keep the KV cache of the longest common prompt
            prefix (``{"ids": [...], "cache": DynamicCache}``).
        texts: Token text cache (:class:`TokenTexts`).
        threads: torch CPU threads while decoding (restored after); None leaves them.
    """
    import torch

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _decode(model, tokenizer, prompt_ids, grammar, max_new_tokens, sample,
                       temperature, top_k, scan, kv, texts)
    finally:
        torch.set_num_threads(before)


def _decode(model: Any, tokenizer: Any, prompt_ids: Sequence[int], grammar: CallGrammar,
            max_new_tokens: int, sample: bool, temperature: float, top_k: int, scan: int,
            kv: dict[str, Any] | None, texts: TokenTexts | None
            ) -> tuple[dict[str, Any], int]:
    import torch

    texts = texts or TokenTexts(tokenizer)
    ids = list(prompt_ids)
    state: dict[str, Any] = {"cache": None, "done": 0}
    if kv is not None and kv.get("cache") is not None:
        old = kv["ids"]
        common = 0
        for a, b in zip(old, ids, strict=False):
            if a != b:
                break
            common += 1
        common = min(common, len(ids) - 1)
        if common > 0:
            cache = kv["cache"]
            extra = cache.get_seq_length() - common
            if extra > 0:
                cache.crop(-extra)
            state["cache"], state["done"] = cache, common

    def forward(new: list[int]) -> Any:
        with torch.no_grad():
            out = model(input_ids=torch.tensor([new]), past_key_values=state["cache"],
                        use_cache=True)
        state["cache"] = out.past_key_values
        return out.logits[0, -1].float()

    logits = forward(ids[state["done"]:])
    text, generated = "", 0
    while not grammar.done:
        forced = grammar.forced()
        if forced:
            pieces = tokenizer.encode(forced, add_special_tokens=False)
            grammar.feed(forced)
            text += forced
            if grammar.done:
                ids += pieces
                break
            ids += pieces
            logits = forward(pieces)
            continue
        if generated >= max_new_tokens:
            rest = grammar.completion()
            grammar.feed(rest)
            text += rest
            break
        order = torch.argsort(logits, descending=True)[:scan].tolist()
        found: list[int] = []
        for token in order:
            piece = texts(token)
            if piece and grammar.accepts(piece):
                found.append(token)
                if not sample or len(found) >= top_k:
                    break
        if not found:
            rest = grammar.completion()
            grammar.feed(rest)
            text += rest
            break
        choice = found[0]
        if sample and len(found) > 1:
            weights = torch.softmax(logits[found] / max(temperature, 1e-3), dim=0)
            choice = found[int(torch.multinomial(weights, 1).item())]
        piece = texts(choice)
        grammar.feed(piece)
        text += piece
        ids.append(choice)
        generated += 1
        if grammar.done:
            break
        logits = forward([choice])
    if kv is not None:
        # the cache holds every token fed so far (the last chosen one is not fed: drop it)
        cache = state["cache"]
        kv["ids"], kv["cache"] = ids[:cache.get_seq_length()], cache
    call = json.loads(text)
    return call, generated

"""The grammar of one tool call, ``{"tool": "<name>", "args": {...}}``, as a JSON schema, and
the token matcher that the structured-generation library `xgrammar`_ compiles from it.

* :func:`call_schema` is ``{"anyOf": [{"tool": {"const": name}, "args": <the tool's
  parameters>}, ...]}`` over the bound tools, with the calls' compact separators (``", "`` and
  ``": "``, no other whitespace: the form in which earlier calls are shown to the model).
* :class:`CallCompiler` compiles it once per set of tools and tokenizer (cached);
  :meth:`CallCompiler.matcher` gives a fresh :class:`CallMatcher` for one call, the
  :class:`~agent.llm.constrained.TokenMatcher` that :func:`agent.llm.constrained.decode_call`
  decodes with: allowed-token masks, forced text (xgrammar's jump-forward string, tokenized),
  completion.

xgrammar was chosen over llguidance, lm-format-enforcer and outlines-core by
``bench/structured_decoding.py``: every library made 44/44 schema-valid calls on the dev
requests with SmolLM2-135M, and xgrammar took the fewest seconds per call. It is imported
lazily: ``import agent`` stays free of it and of torch.

.. _xgrammar: https://github.com/mlc-ai/xgrammar
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SEPARATORS = (", ", ": ")
"""Item and key separators of generated calls (as ``json.dumps`` writes them)."""


def _rename_refs(schema: Any, prefix: str) -> Any:
    """``schema`` with ``#/$defs/X`` references renamed ``#/$defs/<prefix>X``."""
    if isinstance(schema, dict):
        out = {k: _rename_refs(v, prefix) for k, v in schema.items() if k != "$defs"}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = "#/$defs/" + prefix + ref[len("#/$defs/"):]
        return out
    if isinstance(schema, list):
        return [_rename_refs(v, prefix) for v in schema]
    return schema


def call_schema(tools: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """JSON schema of one call of any of ``tools`` (name -> JSON-schema ``parameters``).

    Definitions (``$defs``) of the tools are hoisted to the top, prefixed with the tool name.

    Raises:
        ValueError: No tools.
    """
    if not tools:
        raise ValueError("constrained decoding needs at least one tool")
    options: list[dict[str, Any]] = []
    defs: dict[str, Any] = {}
    for name, parameters in tools.items():
        prefix = f"{name}__"
        for key, sub in (parameters.get("$defs") or {}).items():
            defs[prefix + key] = _rename_refs(sub, prefix)
        args = _rename_refs(dict(parameters), prefix) or {"type": "object"}
        args.setdefault("type", "object")
        options.append({"type": "object",
                        "properties": {"tool": {"const": name}, "args": args},
                        "required": ["tool", "args"], "additionalProperties": False})
    schema: dict[str, Any] = {"anyOf": options}
    if defs:
        schema["$defs"] = defs
    return schema


def tool_parameters(specs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Tool name -> JSON-schema ``parameters`` of OpenAI-form function specs."""
    out: dict[str, dict[str, Any]] = {}
    for spec in specs:
        fn = spec.get("function", spec)
        out[str(fn["name"])] = dict(fn.get("parameters") or {})
    return out


class CallMatcher:
    """The xgrammar matcher of one call (a :class:`~agent.llm.constrained.TokenMatcher`).

    Args:
        compiled: The compiled grammar (:meth:`CallCompiler.grammar`).
        vocab_size: Logits per step (the mask's length).
        stop: The end-of-sequence token ids.
        tokenizer: The Hugging Face tokenizer (to tokenize forced text).
    """

    def __init__(self, compiled: Any, vocab_size: int, stop: set[int], tokenizer: Any) -> None:
        import torch
        import xgrammar

        self.matcher = xgrammar.GrammarMatcher(compiled)
        self.bits = xgrammar.allocate_token_bitmask(1, vocab_size)
        self.shifts = torch.tensor([1 << i for i in range(32)], dtype=torch.int64).to(
            torch.int32)
        self.vocab_size = vocab_size
        self.stop = stop
        self.tokenizer = tokenizer
        self._mask: Any = None

    def allowed(self) -> Any:
        """Boolean tensor of the tokens that may come next (end-of-sequence excluded)."""
        if self._mask is None:
            self.matcher.fill_next_token_bitmask(self.bits)
            mask = (self.bits.reshape(-1, 1) & self.shifts).ne(0).reshape(-1)
            mask = mask[:self.vocab_size].clone()
            mask[[t for t in self.stop if t < self.vocab_size]] = False
            self._mask = mask
        return self._mask

    def forced(self) -> list[int]:
        """The tokens of the text the schema forces next (those the grammar takes), or []."""
        text = self.matcher.find_jump_forward_string()
        tokens = self.tokenizer.encode(text, add_special_tokens=False) if text else []
        taken = 0
        for token in tokens:
            if not self.matcher.accept_token(int(token)):
                break
            taken += 1
        if taken:
            self.matcher.rollback(taken)
        return [int(t) for t in tokens[:taken]]

    def accept(self, token: int) -> None:
        """Consume ``token``.

        Raises:
            RuntimeError: The grammar refuses it.
        """
        self._mask = None
        if not self.matcher.accept_token(int(token)):
            raise RuntimeError(f"token {token} cannot continue the tool call")

    @property
    def done(self) -> bool:
        """True when the call is complete (only end-of-sequence may follow)."""
        return bool(self.matcher.is_terminated()) or not bool(self.allowed().any())


class CallCompiler:
    """Compiles call grammars for one tokenizer, caching them by tool set.

    Args:
        tokenizer: A Hugging Face tokenizer.
        vocab_size: The model's logits per step (may exceed the tokenizer's length).
    """

    def __init__(self, tokenizer: Any, vocab_size: int | None = None) -> None:
        import xgrammar

        self.vocab_size = int(vocab_size or len(tokenizer))
        eos = tokenizer.eos_token_id
        self.stop = {int(eos)} if eos is not None else set()
        self.tokenizer = tokenizer
        info = xgrammar.TokenizerInfo.from_huggingface(
            tokenizer, vocab_size=self.vocab_size, stop_token_ids=sorted(self.stop) or None)
        self.compiler = xgrammar.GrammarCompiler(info)
        self.grammars: dict[str, Any] = {}

    def grammar(self, tools: Mapping[str, Mapping[str, Any]]) -> Any:
        """The compiled grammar of a call of ``tools`` (cached)."""
        key = json.dumps(call_schema(tools))  # property order matters: it is the output order
        if key not in self.grammars:
            self.grammars[key] = self.compiler.compile_json_schema(
                key, any_whitespace=False, separators=SEPARATORS, strict_mode=True)
        return self.grammars[key]

    def matcher(self, tools: Mapping[str, Mapping[str, Any]]) -> CallMatcher:
        """A fresh matcher of one call of ``tools`` (name -> JSON-schema ``parameters``)."""
        return CallMatcher(self.grammar(tools), self.vocab_size, self.stop, self.tokenizer)

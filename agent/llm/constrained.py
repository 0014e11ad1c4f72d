"""Schema-constrained decoding of one tool call: ``{"tool": "<name>", "args": {...}}``.

:func:`decode_call` runs the model token by token with a KV cache. A :class:`TokenMatcher` (the
structured-generation library behind :class:`agent.llm.grammar.CallMatcher`, compiled from the
JSON schema of the bound tools) says at each step which tokens may come next; the loop takes
the best of them (greedy) - or samples among the ``top_k`` best (retries) - and feeds the
tokens the schema forces (``{"tool": "``, ``", "args": {``, the rest of a unique name or key)
without asking the model. When the ``max_new_tokens`` budget runs out, the call is closed: each
next token is the first allowed of a short list that ends strings, objects, arrays and numbers
(``"``, ``}``, ``]``, ``,``, ``1``), else the model's best allowed token. So whatever the model
says, the output is a JSON call of a bound tool whose ``args`` satisfy that tool's schema
(names, types, enums, required arguments, bounds). Whether the values make sense (``$sN``
references, paths) is still the LLM planner's check, which sends errors back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

CLOSERS = ('"', "}", "]", ",", "1")
"""Characters preferred, in this order, once the budget is spent (each ends or shortens the
innermost open value: a string, an object, an array, a number, a required number)."""
MAX_CLOSING = 256
"""Tokens the closing phase may take before giving up (it needs far fewer)."""


class TokenMatcher(Protocol):
    """The token-level view of a grammar that :func:`decode_call` needs."""

    def allowed(self) -> Any:
        """Boolean tensor over the model's vocabulary: tokens that may come next."""

    def forced(self) -> list[int]:
        """Tokens that must come next whatever the model says (may be empty)."""

    def accept(self, token: int) -> None:
        """Consume ``token`` (one that :meth:`allowed` allows)."""

    @property
    def done(self) -> bool:
        """True when the call is complete (only an end-of-sequence token may follow)."""


def decode_call(model: Any, tokenizer: Any, prompt_ids: Sequence[int],
                matcher: TokenMatcher, *, max_new_tokens: int = 96, sample: bool = False,
                temperature: float = 0.7, top_k: int = 8,
                kv: dict[str, Any] | None = None,
                threads: int | None = None) -> tuple[dict[str, Any], int]:
    """Generate one tool call under ``matcher``; returns the parsed call and tokens generated.

    Args:
        model: A transformers causal LM.
        tokenizer: Its tokenizer.
        prompt_ids: The chat-templated prompt (ending with the assistant turn's header).
        matcher: A fresh matcher of the bound tools (:class:`agent.llm.grammar.CallMatcher`).
        max_new_tokens: Tokens the model may choose (forced tokens do not count); then the
            call is closed (see the module doc).
        sample: Sample among the ``top_k`` best allowed tokens (else greedy).
        temperature: Sampling temperature.
        top_k: Allowed candidates sampled among.
        kv: A dict reused across calls to keep the KV cache of the longest common prompt
            prefix (``{"ids": [...], "cache": DynamicCache}``).
        threads: torch CPU threads while decoding (restored after); None leaves them.

    Raises:
        RuntimeError: The matcher allows no token, or the call cannot be closed.
    """
    import torch

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _decode(model, tokenizer, prompt_ids, matcher, max_new_tokens, sample,
                       temperature, top_k, kv)
    finally:
        torch.set_num_threads(before)


def closer_ids(tokenizer: Any) -> list[int]:
    """Token ids of :data:`CLOSERS` (those the tokenizer has as single tokens), in order."""
    ids = []
    for text in CLOSERS:
        pieces = tokenizer.encode(text, add_special_tokens=False)
        if len(pieces) == 1:
            ids.append(int(pieces[0]))
    return ids


def _choose(logits: Any, allowed: Any, sample: bool, temperature: float, top_k: int) -> int:
    """The best allowed token, or one sampled among the ``top_k`` best allowed."""
    import torch

    masked = logits.masked_fill(~allowed[:logits.shape[0]], float("-inf"))
    if not sample:
        return int(torch.argmax(masked).item())
    k = max(1, min(top_k, int(allowed.sum().item())))
    values, indices = torch.topk(masked, k)
    weights = torch.softmax(values / max(temperature, 1e-3), dim=0)
    return int(indices[int(torch.multinomial(weights, 1).item())].item())


def _reuse(kv: dict[str, Any] | None, ids: list[int]) -> tuple[Any, int]:
    """The cached KV of the longest common prefix of ``ids`` with the last call (cropped)."""
    if kv is None or kv.get("cache") is None:
        return None, 0
    common = 0
    for a, b in zip(kv["ids"], ids, strict=False):
        if a != b:
            break
        common += 1
    common = min(common, len(ids) - 1)
    if common <= 0:
        return None, 0
    cache = kv["cache"]
    extra = cache.get_seq_length() - common
    if extra > 0:
        cache.crop(-extra)
    return cache, common


def _decode(model: Any, tokenizer: Any, prompt_ids: Sequence[int], matcher: TokenMatcher,
            max_new_tokens: int, sample: bool, temperature: float, top_k: int,
            kv: dict[str, Any] | None) -> tuple[dict[str, Any], int]:
    import torch

    ids = list(prompt_ids)
    cache, done = _reuse(kv, ids)
    state: dict[str, Any] = {"cache": cache}

    def forward(new: list[int]) -> Any:
        with torch.no_grad():
            out = model(input_ids=torch.tensor([new]), past_key_values=state["cache"],
                        use_cache=True)
        state["cache"] = out.past_key_values
        return out.logits[0, -1].float()

    closers = closer_ids(tokenizer)
    logits = forward(ids[done:])
    start, generated, closing = len(ids), 0, 0
    while not matcher.done:
        forced = matcher.forced()
        if forced:
            for token in forced:
                matcher.accept(token)
            ids += forced
            if matcher.done:
                break
            logits = forward(forced)
            continue
        allowed = matcher.allowed()
        if not bool(allowed.any()):
            raise RuntimeError("the tool-call grammar allows no next token")
        if generated < max_new_tokens:
            choice = _choose(logits, allowed, sample, temperature, top_k)
            generated += 1
        else:
            closing += 1
            if closing > MAX_CLOSING:
                raise RuntimeError("cannot close the tool call")
            choice = next((t for t in closers if bool(allowed[t])), -1)
            if choice < 0:
                choice = _choose(logits, allowed, False, temperature, top_k)
        matcher.accept(choice)
        ids.append(choice)
        if matcher.done:
            break
        logits = forward([choice])
    if kv is not None:
        # the cache holds every token fed so far (the last chosen one is not fed: drop it)
        cache = state["cache"]
        kv["ids"], kv["cache"] = ids[:cache.get_seq_length()], cache
    text = tokenizer.decode(ids[start:], skip_special_tokens=True,
                            clean_up_tokenization_spaces=False)
    call: dict[str, Any] = json.loads(text)
    return call, generated

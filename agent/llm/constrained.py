"""Schema-constrained decoding of one tool call: ``{"tool": "<name>", "args": {...}}``.

:func:`decode_call` runs the model token by token with a KV cache: at each step it walks the
tokens in order of the model's score and takes the first (greedy) - or samples among the first
few (retries) - whose text keeps the prefix valid under :class:`~agent.llm.grammar.CallGrammar`.
So whatever the model emits, the output parses as a tool call naming a bound tool, with only
known argument names. Whether the values suit the tool (required arguments, ``$sN`` references,
paths) is still the LLM planner's check (pydantic), which sends errors back and falls back to
the offline planner.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agent.llm.grammar import CallGrammar


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

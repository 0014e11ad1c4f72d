"""Constrained tool-call decoding on a tiny random-init Qwen2 (fast, no downloads)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.llm.constrained import decode_call
from agent.llm.grammar import CallGrammar, properties
from agent.planners.llm_context import tool_specs

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
                 "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n"
                 "{% endif %}")


@pytest.fixture(scope="module")
def tiny() -> tuple[Any, Any]:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = [json.dumps(s) for s in tool_specs()] + ['{"tool": "measure", "args": {}}'] * 5
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|im_end|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    config = transformers.Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=2048,
        bos_token_id=None, eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(0)
    model = transformers.Qwen2ForCausalLM(config).eval()
    return model, tokenizer


def _tools() -> dict[str, Any]:
    return {s["function"]["name"]: properties(s["function"]["parameters"]) for s in tool_specs()}


def test_grammar_accepts_calls_and_rejects_unknown_names() -> None:
    grammar = CallGrammar(_tools())
    assert grammar.accepts('{"tool": "measure", "args": {"source": "$s1", "statistic": "area"}}')
    assert not grammar.accepts('{"tool": "measures"')
    assert not grammar.accepts('{"tool": "measure", "args": {"sauce"')
    assert not grammar.accepts('{"tool": "measure", "args": {"statistic": "volume"')
    assert not grammar.accepts('{"tool": "measure", "args": {"band": "x"')  # integer
    grammar.feed('{"tool": "map_water", "args": {"image": "$ima')
    call = json.loads('{"tool": "map_water", "args": {"image": "$ima' + grammar.completion())
    assert call == {"tool": "map_water", "args": {"image": "$ima"}}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("sample", [False, True])
def test_random_model_always_emits_a_parsable_call(tiny: tuple[Any, Any], seed: int,
                                                   sample: bool) -> None:
    model, tokenizer = tiny
    torch.manual_seed(seed)
    tools = _tools()
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": f"plan {seed}"}],
                                           add_generation_prompt=True, tokenize=True,
                                           return_dict=True)["input_ids"]
    kv: dict[str, Any] = {}
    for budget in (0, 5, 40):
        call, generated = decode_call(model, tokenizer, prompt, CallGrammar(tools),
                                      max_new_tokens=budget, sample=sample, kv=kv)
        assert generated <= budget
        assert call["tool"] in tools
        assert isinstance(call["args"], dict)
        assert set(call["args"]) <= set(tools[call["tool"]])


def test_local_chat_model_makes_tool_calls(tiny: tuple[Any, Any]) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    from agent.llm.local import LocalToolChatModel

    model, tokenizer = tiny
    chat = LocalToolChatModel(model=model, tokenizer=tokenizer, max_new_tokens=12)
    bound = chat.bind_tools(tool_specs())
    names = {s["function"]["name"] for s in tool_specs()}
    messages: list[Any] = [SystemMessage(content="long prompt"), HumanMessage(content="hi")]
    for _ in range(2):
        reply = bound.invoke(messages)
        assert reply.tool_calls and reply.tool_calls[0]["name"] in names
        messages.append(reply)
    prompt = bound._chat(messages)[0]["content"]
    assert "long prompt" not in prompt and "measure(source: str" in prompt

"""Constrained tool-call decoding (xgrammar) on a tiny random-init Qwen2 (fast, no downloads)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.llm.constrained import decode_call
from agent.llm.grammar import CallCompiler, call_schema, tool_parameters
from agent.planners.llm_context import tool_specs
from tools.catalog import REGISTRY

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")
pytest.importorskip("xgrammar")

CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
                 "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n"
                 "{% endif %}")
TINY = {"pick": {"type": "object", "additionalProperties": False, "required": ["n", "kind"],
                 "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 3},
                                "kind": {"enum": ["a", "bb"]},
                                "ratio": {"type": "number", "exclusiveMinimum": 0},
                                "tags": {"type": "array", "items": {"type": "string"},
                                         "minItems": 1}}}}


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


@pytest.fixture(scope="module")
def compiler(tiny: tuple[Any, Any]) -> CallCompiler:
    return CallCompiler(tiny[1])


def _tools() -> dict[str, dict[str, Any]]:
    return tool_parameters(tool_specs())


def _prompt(tokenizer: Any, text: str) -> list[int]:
    ids = tokenizer.apply_chat_template([{"role": "user", "content": text}],
                                        add_generation_prompt=True, tokenize=True,
                                        return_dict=True)["input_ids"]
    return list(ids)


def _valid(call: dict[str, Any], tools: dict[str, dict[str, Any]]) -> None:
    """The call names a bound tool; a catalog tool's args pass its pydantic input model."""
    assert call["tool"] in tools
    assert isinstance(call["args"], dict)
    assert set(call["args"]) <= set(tools[call["tool"]]["properties"])
    assert set(tools[call["tool"]].get("required", [])) <= set(call["args"])
    if call["tool"] in REGISTRY:
        REGISTRY[call["tool"]].validate_args(call["args"])


def test_call_schema_lists_each_tool_and_hoists_definitions() -> None:
    params = {"a": {"type": "object", "properties": {"x": {"$ref": "#/$defs/X"}},
                    "$defs": {"X": {"type": "integer"}}},
              "b": {"type": "object", "properties": {}}}
    schema = call_schema(params)
    assert [o["properties"]["tool"] for o in schema["anyOf"]] == [{"const": "a"}, {"const": "b"}]
    assert schema["anyOf"][0]["properties"]["args"]["properties"]["x"] == {"$ref": "#/$defs/a__X"}
    assert schema["$defs"] == {"a__X": {"type": "integer"}}
    with pytest.raises(ValueError):
        call_schema({})


def _feed(compiler: CallCompiler, tokenizer: Any, tools: dict[str, Any], text: str) -> bool:
    matcher = compiler.matcher(tools)
    for token in tokenizer.encode(text, add_special_tokens=False):
        try:
            matcher.accept(token)
        except RuntimeError:
            return False
    return matcher.done


def test_matcher_accepts_calls_and_refuses_what_the_schema_refuses(
        tiny: tuple[Any, Any], compiler: CallCompiler) -> None:
    tokenizer, tools = tiny[1], _tools()
    ok = '{"tool": "measure", "args": {"source": "$s1", "statistic": "area"}}'
    assert _feed(compiler, tokenizer, tools, ok)
    for bad in ('{"tool": "measures", "args": {}}',                        # unknown tool
                '{"tool": "measure", "args": {"sauce": "$s1"}}',           # unknown argument
                '{"tool": "measure", "args": {"source": "$s1", "statistic": "volume"}}',
                '{"tool": "measure", "args": {"source": "$s1"}}',          # required missing
                '{"tool": "measure", "args": {"source": "$s1", "statistic": "area", '
                '"band": "x"}}',                                          # integer
                '{"tool":"measure","args":{"source":"$s1","statistic":"area"}}'):  # separators
        assert not _feed(compiler, tokenizer, tools, bad), bad


def test_grammars_are_compiled_once_per_tool_set(compiler: CallCompiler) -> None:
    tools = _tools()
    assert compiler.grammar(tools) is compiler.grammar(dict(tools))
    assert compiler.grammar({"finish": tools["finish"]}) is not compiler.grammar(tools)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("sample", [False, True])
def test_random_model_always_emits_a_valid_call(tiny: tuple[Any, Any], compiler: CallCompiler,
                                                seed: int, sample: bool) -> None:
    model, tokenizer = tiny
    torch.manual_seed(seed)
    tools = _tools()
    prompt = _prompt(tokenizer, f"plan {seed}")
    kv: dict[str, Any] = {}
    for budget in (0, 5, 40):
        call, generated = decode_call(model, tokenizer, prompt, compiler.matcher(tools),
                                      max_new_tokens=budget, sample=sample, kv=kv)
        assert generated <= budget
        _valid(call, tools)


@pytest.mark.parametrize("seed", range(6))
def test_tiny_schema_output_always_validates(tiny: tuple[Any, Any], compiler: CallCompiler,
                                             seed: int) -> None:
    model, tokenizer = tiny
    torch.manual_seed(seed)
    for budget in (0, 3, 12, 60):
        call, _ = decode_call(model, tokenizer, _prompt(tokenizer, "n?"), compiler.matcher(TINY),
                              max_new_tokens=budget, sample=True, temperature=2.0, top_k=50)
        assert call["tool"] == "pick"
        args = call["args"]
        assert set(args) >= {"n", "kind"} and set(args) <= {"n", "kind", "ratio", "tags"}
        assert isinstance(args["n"], int) and 1 <= args["n"] <= 3
        assert args["kind"] in ("a", "bb")
        assert "ratio" not in args or args["ratio"] > 0
        assert "tags" not in args or (args["tags"] and all(isinstance(t, str)
                                                           for t in args["tags"]))


def test_kv_cache_reuse_gives_the_same_greedy_call(tiny: tuple[Any, Any],
                                                   compiler: CallCompiler) -> None:
    model, tokenizer = tiny
    tools = _tools()
    prompt = _prompt(tokenizer, "count ships")
    fresh, _ = decode_call(model, tokenizer, prompt, compiler.matcher(tools), max_new_tokens=8)
    kv: dict[str, Any] = {}
    decode_call(model, tokenizer, _prompt(tokenizer, "count planes"), compiler.matcher(tools),
                max_new_tokens=8, kv=kv)
    reused, _ = decode_call(model, tokenizer, prompt, compiler.matcher(tools), max_new_tokens=8,
                            kv=kv)
    assert reused == fresh


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


def test_import_agent_stays_free_of_the_library() -> None:
    import subprocess
    import sys

    code = ("import sys, agent, agent.llm.grammar, agent.llm.constrained; "
            "print(any(m in sys.modules for m in ('torch', 'xgrammar')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"

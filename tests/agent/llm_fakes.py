"""Scripted tool-calling chat models and a no-network guard for the LLM planner tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import Field


class ScriptedChatModel(FakeMessagesListChatModel):
    """Replies with the scripted messages in turn; records every prompt it was sent."""

    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        """Fake models cannot call tools for real: the script already holds the calls."""
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.prompts.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def scripted(*replies: AIMessage) -> ScriptedChatModel:
    """A fresh scripted model (``i`` at 0, its own prompt log)."""
    model = ScriptedChatModel(responses=list(replies))
    model.i = 0
    model.prompts = []
    return model


def call(name: str, call_id: str = "", **args: Any) -> dict[str, Any]:
    """One tool call as LangChain's ``AIMessage.tool_calls`` holds it."""
    return {"name": name, "args": args, "id": call_id or f"id_{name}", "type": "tool_call"}


def calls(*tool_calls: dict[str, Any]) -> AIMessage:
    """An AI reply made of tool calls."""
    return AIMessage(content="", tool_calls=list(tool_calls))

"""Scripted tool-calling chat models and a no-network guard for the LLM planner tests."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
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


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection off loopback (a real model server) fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise AssertionError(f"a test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    for name in ("OPENAI_API_KEY", "EARTHSIGHT_LLM_API_KEY", "EARTHSIGHT_LLM_BACKEND",
                 "EARTHSIGHT_LLM_MODEL", "EARTHSIGHT_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield

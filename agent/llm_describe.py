"""A scene describer for ``describe_scene`` built on the configured chat model.

:class:`ChatDescriber` is the :data:`tools.registry.Describer` that the agent injects into the
tools (``tools`` never imports ``agent``): it sends the question and the measured facts, plus a
thumbnail (:func:`~agent.planners.llm_context.quicklook_png`) when the backend accepts images,
and returns the model's text. :func:`describer_for` takes the chat model of an
:class:`~agent.planners.llm.LLMPlanner`, so ``--planner llm`` describes with the same backend.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from tools.registry import DescribeRequest

SYSTEM = ("You describe one remote-sensing scene for an analyst. Use only the measured facts "
          "given (and the thumbnail, when there is one); say plainly what they cannot tell. "
          "Answer in a few sentences, without inventing numbers.")


class ChatDescriber:
    """Answers describe requests with a LangChain chat model.

    Args:
        chat_model: Any LangChain chat model (``invoke`` with a list of messages).
        images: Whether the backend accepts images (a thumbnail is then sent).
    """

    def __init__(self, chat_model: Any, *, images: bool = False) -> None:
        self.chat_model = chat_model
        self.images = images

    def thumbnail(self, path: str | Path) -> bytes | None:
        """A PNG thumbnail of ``path`` when the backend accepts images (else None)."""
        if not self.images:
            return None
        from agent.planners.llm_context import quicklook_png

        return quicklook_png(path)

    def messages(self, request: DescribeRequest) -> list[Any]:
        """System prompt and the question with the facts (and the thumbnail)."""
        from langchain_core.messages import HumanMessage, SystemMessage

        question = request.question or "Give a short caption of the scene."
        text = f"Question: {question}\n\nMeasured facts:\n{request.facts}"
        content: Any = text
        if request.thumbnail_png is not None:
            data = base64.b64encode(request.thumbnail_png).decode("ascii")
            content = [{"type": "text", "text": text},
                       {"type": "text", "text": "Thumbnail of the scene:"},
                       {"type": "image_url",
                        "image_url": {"url": f"data:image/png;base64,{data}"}}]
        return [SystemMessage(content=SYSTEM), HumanMessage(content=content)]

    def __call__(self, request: DescribeRequest) -> str:
        """The model's answer text (raises when the model fails or says nothing)."""
        reply = self.chat_model.invoke(self.messages(request))
        content = getattr(reply, "content", reply)
        if isinstance(content, list):
            content = " ".join(b.get("text", "") if isinstance(b, dict) else str(b)
                               for b in content)
        text = str(content).strip()
        if not text:
            raise ValueError("the chat model returned no text")
        return text


def describer_for(planner: Any) -> ChatDescriber | None:
    """The describer that uses ``planner``'s chat model (None unless it is an LLM planner)."""
    from agent.planners.llm import LLMPlanner

    if not isinstance(planner, LLMPlanner):
        return None
    return ChatDescriber(planner.chat_model, images=planner.images)

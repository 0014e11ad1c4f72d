"""One call at a time on chat models that need it (local in-process backends).

A local ``transformers`` model (:class:`agent.llm.local.LocalToolChatModel`) keeps the KV cache
of its last prompt and decodes on shared torch state, so two calls on it must not overlap. Such
a model carries its own ``call_lock`` (a :class:`threading.RLock`, shared by its ``bind_tools``
copies): one lock per model, taken by the LLM planner for a whole plan (its turns then reuse the
cache) and by the ``describe_scene`` describer for one answer. The servers share one chat model
per configuration (:func:`agent.llm.shared.shared_chat_model`) between the planner and the
describer, so a describe and a plan on the same local model run one after the other.

Remote backends (OpenAI-compatible servers, ollama over HTTP) carry no lock: their calls run at
once, bounded only by the server's job slots (``max_jobs``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any


def model_lock(chat_model: Any) -> AbstractContextManager[Any]:
    """The lock to hold around calls of ``chat_model``: its ``call_lock`` when it has one
    (local in-process models), else a no-op (remote models take calls at once)."""
    lock = getattr(chat_model, "call_lock", None)
    return lock if lock is not None else nullcontext()

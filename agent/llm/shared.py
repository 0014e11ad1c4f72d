"""Chat models made once per process and configuration, then shared.

The LLM planner and the ``describe_scene`` describer of one configuration take their chat model
from :func:`shared_chat_model`, so a local ``transformers`` model loads once for both; servers
and chat sessions share it across requests and threads.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from agent.llm import config as llm_config
from agent.llm.config import LLMConfig

T = TypeVar("T")

_CHAT_MODELS: dict[tuple[Any, ...], Any] = {}
_LOCKS: dict[tuple[Any, ...], threading.Lock] = {}
_GUARD = threading.Lock()


def config_key(config: LLMConfig) -> tuple[Any, ...]:
    """What makes two configurations the same model: the configuration plus a digest of its
    API key (a new key means a new client; only its digest is kept)."""
    secret = config.api_key()
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest() if secret else None
    return (config, digest)


def built_once(cache: dict[tuple[Any, ...], T], key: tuple[Any, ...],
               build: Callable[[], T]) -> T:
    """``cache[key]``, built by ``build`` on first use (once, even across threads; a build that
    raises is not remembered, the next call tries again)."""
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:  # one build per key; other keys (and cache hits) do not wait on it
        if key not in cache:
            cache[key] = build()
        return cache[key]


def shared_chat_model(config: LLMConfig) -> Any:
    """The chat model of ``config``, made once per process and configuration.

    Raises:
        InputError: The model cannot be made (see :func:`agent.llm.config.make_chat_model`).
    """
    return built_once(_CHAT_MODELS, ("chat model", *config_key(config)),
                      lambda: llm_config.make_chat_model(config))


def clear() -> None:
    """Forget every shared chat model (tests; a changed model on disk)."""
    with _GUARD:
        _CHAT_MODELS.clear()
        _LOCKS.clear()

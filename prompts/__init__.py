"""Prompt and tool-use text shipped as package data (Markdown / YAML files in this folder)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any


@cache
def load_yaml(name: str) -> Any:
    """Parse the YAML file ``name`` of this package (``"classes"`` or ``"classes.yaml"``).

    Args:
        name: File name in the ``prompts`` package, with or without the ``.yaml`` suffix.

    Returns:
        The parsed document (cached: treat it as read-only).

    Raises:
        FileNotFoundError: When the package has no such file.
    """
    import yaml

    file_name = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    resource = resources.files(__package__).joinpath(file_name)
    if not resource.is_file():
        raise FileNotFoundError(f"prompts has no file {file_name!r}")
    return yaml.safe_load(resource.read_text(encoding="utf-8"))


@cache
def load_text(name: str) -> str:
    """The text of file ``name`` of this package (e.g. a Markdown prompt).

    Args:
        name: File name in the ``prompts`` package, with its suffix.

    Returns:
        The file's text.

    Raises:
        FileNotFoundError: When the package has no such file.
    """
    resource = resources.files(__package__).joinpath(name)
    if not resource.is_file():
        raise FileNotFoundError(f"prompts has no file {name!r}")
    return resource.read_text(encoding="utf-8")

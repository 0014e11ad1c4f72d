"""The scripts of ``eval/corpus/`` (not a package), loaded from their files for the tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

CORPUS = Path(__file__).resolve().parents[3] / "eval" / "corpus"


def corpus_script(name: str) -> ModuleType:
    """``eval/corpus/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(f"corpus_{name}", CORPUS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

"""Module-level loaders and tasks for the worker-model tests (Dask workers import them by name)."""

from __future__ import annotations

import os
import uuid
from typing import Any

from specialists.runtime.worker_models import ModelSpec, worker_model


def load_token(name: str) -> dict[str, Any]:
    """A stand-in model: a fresh token per load, and the process that loaded it."""
    return {"name": name, "pid": os.getpid(), "token": uuid.uuid4().hex}


def refuse(name: str) -> dict[str, Any]:
    """A loader that refuses its file, as the safe loaders do."""
    raise ValueError(f"{name}: refused")


def use(i: int, spec: ModelSpec) -> tuple[int, int, str, str]:
    """A task: the model of ``spec`` here (item, pid, the model's token, the threads setting)."""
    model = worker_model(spec)
    return i, os.getpid(), str(model["token"]), os.environ.get("EARTHSIGHT_THREADS", "")

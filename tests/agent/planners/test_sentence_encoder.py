"""The NumPy MiniLM encoder against sentence-transformers' own forward pass."""

from __future__ import annotations

import numpy as np
import pytest

from agent.planners.sentence_encoder import cosine, get_encoder, model_dir

TEXTS = [
    "count ships in harbour.tif",
    "As the analyst for a port authority I track how busy the terminals get; how many vessels "
    "are moored in port_2021.tif?",
    "Make me a true-colour picture of the coast.",
]


def test_matches_sentence_transformers() -> None:
    st = pytest.importorskip("sentence_transformers")
    reference = st.SentenceTransformer(str(model_dir()), device="cpu").encode(
        TEXTS, normalize_embeddings=True)
    ours = get_encoder().encode(TEXTS)
    assert ours.shape == (3, 384)
    assert np.abs(ours - reference).max() < 1e-4


def test_deterministic_and_normalised() -> None:
    enc = get_encoder()
    a, b = enc.encode_one(TEXTS[0]), enc.encode_one(TEXTS[0])
    assert np.array_equal(a, b)
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-5


def test_similar_meaning_scores_higher() -> None:
    enc = get_encoder()
    rows = enc.encode(["how many boats are in the marina", "count the ships in the port",
                       "compute the vegetation index of the field"])
    sims = cosine(rows, rows)
    assert sims[0, 1] > sims[0, 2] + 0.2


def test_empty_batch() -> None:
    assert get_encoder().encode([]).shape == (0, 384)

"""The learned tool model: features, weights as plain arrays, the shipped file's provenance."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from agent.planners import tool_model as tm
from tests.agent.planners.corpus_scripts import CORPUS, corpus_script
from tools.catalog import REGISTRY


def trainer() -> ModuleType:
    """``eval/corpus/tool_model.py`` (not a package: loaded from its file)."""
    return corpus_script("tool_model")


def constant(probabilities: dict[str, float]) -> tm.ToolModel:
    """A model that gives every request the same probabilities."""
    labels = tuple(probabilities)
    return tm.ToolModel(
        labels=labels, index={"x": 0}, idf=np.ones(1, np.float32),
        coef=np.zeros((1, len(labels)), np.float32),
        intercept=np.array([math.log(p / (1 - p)) for p in probabilities.values()], np.float32))


def test_tokens_are_words_pairs_and_the_scene_count() -> None:
    feats = tm.tokens("count ships above 0.25 in  xfilex  ", 5)
    assert feats[:5] == ["count", "ships", "above", "0", "in"]
    assert "ships above" in feats and "above 0" in feats
    assert feats[-1] == "<scenes 3>"  # three and more count as three
    assert tm.tokens("", 0) == tm.tokens("", 1) == ["<scenes 1>"]  # a dry run without files


def test_probabilities_are_the_logistic_of_the_tfidf_row(tmp_path: Path) -> None:
    model = tm.ToolModel(labels=("map_water", tm.DECLINE), index={"water": 0, "map": 1},
                         idf=np.array([2.0, 1.0], np.float32),
                         coef=np.array([[3.0, -1.0], [1.0, 0.0]], np.float32),
                         intercept=np.array([-1.0, 0.5], np.float32))
    row = np.array([2.0, 1.0]) / math.sqrt(5.0)  # tf 1 each, weighted by idf, unit length
    want = 1 / (1 + math.exp(-(row @ np.array([3.0, 1.0]) - 1.0)))
    assert model.probabilities("map the water", 1)["map_water"] == pytest.approx(want, rel=1e-5)
    assert model.probabilities("nothing known", 1)[tm.DECLINE] == pytest.approx(
        1 / (1 + math.exp(-0.5)), rel=1e-6)  # no known word: the intercept alone
    path = tmp_path / "m.npz"
    model.save(path)
    again = tm.read(path)
    assert again.labels == model.labels and again.index == model.index
    assert again.probabilities("map the water", 1) == model.probabilities("map the water", 1)


def test_weights_are_read_without_pickle(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, labels=np.array("a"), terms=np.array("x"), idf=np.ones(1),
             coef=np.array([[object()]], dtype=object), intercept=np.zeros(1),
             meta=np.array("{}"))
    with pytest.raises(ValueError, match="allow_pickle"):
        tm.read(path)


def test_using_swaps_the_model_for_a_block() -> None:
    shipped = tm.get_model()
    fake = constant({"map_water": 0.9, tm.DECLINE: 0.1})
    with tm.using(fake):
        assert tm.get_model() is fake
    assert tm.get_model() is shipped


def test_shipped_model_was_fitted_on_the_current_dev_corpus() -> None:
    meta = tm.get_model().meta
    assert trainer().check() == 0, "rerun python eval/corpus/tool_model.py"
    assert meta["requests"] == sum(1 for line in (CORPUS / "dev.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip())


def test_shipped_model_labels_are_catalog_tools() -> None:
    model = tm.get_model()
    assert model.labels[-1] == tm.DECLINE
    assert set(model.labels[:-1]) <= set(REGISTRY)
    assert model.coef.shape == (len(model.index), len(model.labels))


def test_held_out_part_is_refused(tmp_path: Path) -> None:
    fit = trainer()
    with pytest.raises(SystemExit, match="held-out"):
        fit.load_items(CORPUS / "heldout.jsonl")
    item = json.loads((CORPUS / "heldout.jsonl").read_text(encoding="utf-8").splitlines()[0])
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(item) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="held-out sources"):
        fit.load_items(path)


def test_fit_learns_a_separable_corpus_deterministically() -> None:
    fit = trainer()

    def item(q: str, required: list[str]) -> dict[str, object]:
        return {"id": q, "question": q, "images": ["a.tif"], "source": "t",
                "gold": {"required": required, "optional": [], "args": {}}}

    items = [item(f"map the water of the {w} lake", ["map_water"]) for w in "abcdefgh"]
    items += [item(f"count the ships in the {w} port", ["detect_objects"]) for w in "abcdefgh"]
    items += [item(f"what will the {w} port earn next year", []) for w in "abcdefgh"]
    one, two = fit.fit(items, c=10.0), fit.fit(items, c=10.0)
    assert np.array_equal(one.coef, two.coef)
    assert one.labels == ("detect_objects", "map_water", tm.DECLINE)
    p = one.probabilities("map the water of the big lake", 1)
    assert p["map_water"] > 0.8 and p["detect_objects"] < 0.2 and p[tm.DECLINE] < 0.2
    assert one.probabilities("what will the port earn", 1)[tm.DECLINE] > 0.5

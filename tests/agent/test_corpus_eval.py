"""``earthsight eval`` on the corpus: dev and frozen held-out side by side, held-out as totals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent import corpus
from agent.cli import main as cli


def _write(folder: Path) -> None:
    ships = {"id": "a", "question": "count the ships in port.tif", "images": [],
             "gold": {"required": ["detect_objects"], "args": {"detect_objects": {
                 "classes": ["ship"]}}}}
    water = {"id": "b", "question": "secret held-out wording: how much water in lake.tif?",
             "images": [], "gold": {"required": ["map_water"]}}
    (folder / "dev.jsonl").write_text(json.dumps(ships) + "\n")
    (folder / "heldout.jsonl").write_text(json.dumps(water) + "\n")


def test_side_by_side_without_held_out_items(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path)
    out = tmp_path / "report.json"
    assert cli.main(["eval", "--corpus", str(tmp_path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "held-out" in printed and "gap" in printed
    assert "secret held-out wording" not in printed
    report = json.loads(out.read_text())
    assert report["scores"]["tool F1 (micro)"] == {"dev": 1.0, "heldout": 1.0, "gap": 0.0}
    assert "secret" not in out.read_text()


def test_the_held_out_file_given_directly_shows_totals_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path)
    monkeypatch.setenv("EARTHSIGHT_CORPUS", str(tmp_path))
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes((tmp_path / "heldout.jsonl").read_bytes())
    out = tmp_path / "held.json"
    assert cli.main(["eval", str(copy), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "secret held-out wording" not in captured.out + out.read_text()
    assert "totals only" in captured.err and "worst items" not in captured.out
    assert json.loads(out.read_text())["scores"]["tool F1 (micro)"] == 1.0
    assert cli.main(["eval", str(tmp_path / "dev.jsonl")]) == 0
    assert "worst items" in capsys.readouterr().out  # dev items are listed


def test_missing_corpus_names_the_fix(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["eval", "--corpus", str(tmp_path)]) == 2
    assert "--corpus DIR" in capsys.readouterr().err


def test_the_repository_corpus_scores_both_parts() -> None:
    reports = corpus.evaluate_corpus("offline", limit=5)
    assert reports["dev"].n_queries == reports["heldout"].n_queries == 5
    assert set(corpus.summary(reports)["scores"]["exact tool set"]) == {"dev", "heldout", "gap"}

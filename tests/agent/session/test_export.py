"""The session's export follow-up never replaces an earlier export."""

from __future__ import annotations

from pathlib import Path

from agent.session.export import export


def test_a_second_export_of_the_same_name_gets_a_new_file(tmp_path: Path) -> None:
    first = tmp_path / "a" / "boxes.geojson"
    second = tmp_path / "b" / "boxes.geojson"
    for path, text in ((first, '{"n": 1}'), (second, '{"n": 2}')):
        path.parent.mkdir()
        path.write_text(text)
    answer_1 = export([str(first)], str(tmp_path / "ws"))
    answer_2 = export([str(second)], str(tmp_path / "ws"))
    exports = tmp_path / "ws" / "exports"
    assert (exports / "boxes.geojson").read_text() == '{"n": 1}'
    assert (exports / "boxes-2.geojson").read_text() == '{"n": 2}'
    assert "boxes.geojson" in answer_1 and "boxes-2.geojson" in answer_2
    assert sorted(p.name for p in exports.iterdir()) == ["boxes-2.geojson", "boxes.geojson"]

"""The CLI's progress of a run on a 2-worker Dask LocalCluster (``EARTHSIGHT_CLUSTER=local:2``,
127.0.0.1): ``map_water`` on a real Sentinel-2 scene from $EARTHSIGHT_DATA in 128 px tiles
(16 tiles, counted over both workers as their results arrive).

* ``earthsight run-tool`` writing to a pipe: the plain progress lines end each tile pass at
  ``16/16 (100 %)`` and the step's last line says where the tiles ran (32 tasks on 2 workers of
  the scheduler's address).
* ``earthsight ask`` on a terminal: the step's rich bar counts 1..16 of 16 for each pass.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
from rich.console import Console

from agent.cli import main as cli
from agent.progress import ProgressEvent, RichProgress

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")

from specialists.runtime.cluster import DaskExecutor
from tests.agent.progress_scene import PASSES, SCENE, tiles

pytestmark = pytest.mark.realdata


def test_run_tool_lines_reach_the_tile_total_and_name_the_workers(
        data_dir: Path, tmp_path: Path, cluster: DaskExecutor,
        capsys: pytest.CaptureFixture[str]) -> None:
    n = tiles(data_dir)
    assert n == 16
    args = json.dumps({"image": str(data_dir / SCENE), "method": "optical"})
    assert cli.main(["run-tool", "map_water", "--args", args,
                     "--workspace", str(tmp_path / "ws")]) == 0
    err = capsys.readouterr().err
    lines = err.splitlines()
    for stage in PASSES:  # a pass's last line is always printed, whatever the interval
        last = f"… [1/1] run map_water: {stage} {n}/{n} (100 %) ("
        assert any(line.startswith(last) for line in lines), err
    done = next(line for line in lines if line.startswith("✓"))
    workers = sorted(cluster.client.scheduler_info()["workers"])
    assert len(workers) == 2
    assert f"; {n * len(PASSES)} tasks on 2 workers of {cluster.scheduler})" in done, done
    record = json.loads(next((tmp_path / "ws").glob("*map_water.json")).read_text("utf-8"))
    run = record["result"]["cluster"]
    assert run["tasks"] == n * len(PASSES) and sorted(run["workers"]) == workers


class Bars(RichProgress):
    """Rich bars on a (fake) terminal that note the step bar's count after each event."""

    seen: ClassVar[list[tuple[str, str, float, float | None]]] = []

    def __init__(self) -> None:
        super().__init__(Console(file=io.StringIO(), force_terminal=True, width=120))

    def _advance(self, event: ProgressEvent, label: str) -> None:
        super()._advance(event, label)
        task_id = self._tasks[event.step or ""]
        task = next(t for t in self._progress.tasks if t.id == task_id)
        Bars.seen.append((event.step or "", event.stage, task.completed, task.total))


def test_ask_bars_count_every_tile_of_each_pass(data_dir: Path, tmp_path: Path,
                                                cluster: DaskExecutor,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    n = tiles(data_dir)
    Bars.seen = []
    monkeypatch.setattr("agent.cli.ask.RichProgress", Bars)
    assert cli.main(["ask", "how much water is there", "--image", str(data_dir / SCENE),
                     "--workspace", str(tmp_path / "ws")]) == 0
    assert "water" in capsys.readouterr().out.lower()
    for stage in PASSES:
        counted = [(done, total) for step, s, done, total in Bars.seen
                   if step == "s1" and s == stage]
        assert counted == [(float(i), float(n)) for i in range(1, n + 1)], (stage, Bars.seen)
    record: dict[str, Any] = json.loads(
        next((tmp_path / "ws").glob("*map_water.json")).read_text("utf-8"))
    assert record["result"]["cluster"]["tasks"] == n * len(PASSES)
    assert re.fullmatch(r"tcp://127\.0\.0\.1:\d+", record["result"]["cluster"]["scheduler"])

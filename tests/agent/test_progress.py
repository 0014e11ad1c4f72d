"""Progress that never looks hung: an overall step count and the time elapsed; plain,
rate-limited lines when stderr is no terminal; a failed step's error shown once (by the
answer)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from agent.cli import main as cli
from agent.progress import ProgressEvent, RichProgress, clock
from tests.conftest import write_tiff


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def events(fake: FakeClock) -> list[tuple[float, ProgressEvent]]:
    """A two-step run: s1 advances 20 tiles over 20 s and fails, s2 is skipped."""
    out = [(0.0, ProgressEvent(kind="plan", count=2, message="s1 map_water, s2 measure")),
           (0.0, ProgressEvent(kind="step_start", step="s1", tool="map_water", index=1,
                               count=2))]
    out += [(1.0, ProgressEvent(kind="step_progress", step="s1", tool="map_water", index=1,
                                count=2, stage="tiles", done=i, total=20))
            for i in range(1, 21)]
    out += [(0.5, ProgressEvent(kind="step_finish", step="s1", tool="map_water", index=1,
                                count=2, status="failed", seconds=20.5,
                                message="image: boom, the file is corrupt")),
            (0.0, ProgressEvent(kind="step_skip", step="s2", tool="measure", index=2,
                                count=2, status="skipped", message="it needs s1"))]
    return out


def test_plain_lines_when_stderr_is_no_terminal() -> None:
    fake = FakeClock()
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=False, width=200)
    with RichProgress(console, interval=5.0, clock_fn=fake) as bars:
        assert not bars.live
        for step, event in events(fake):
            fake.now += step
            bars(event)
    lines = stream.getvalue().splitlines()
    progress = [line for line in lines if "tiles" in line]
    assert 3 <= len(progress) <= 5  # 20 updates over 20 s, at most one per 5 s
    assert "… [1/2] s1 map_water: tiles 5/20 (25 %) (0:05 elapsed)" in lines
    assert any(line.startswith("… [1/2] s1 map_water started") for line in lines)
    failed = next(line for line in lines if line.startswith("✗"))
    assert failed == "✗ [1/2] s1 map_water failed (20.5 s, 0:20 elapsed)"
    assert "boom" not in stream.getvalue()  # the answer shows the error, once
    assert lines[-1] == "– [2/2] s2 measure skipped (0:20 elapsed)"


def test_bars_show_the_overall_step_count_on_a_terminal() -> None:
    fake = FakeClock()
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    bars = RichProgress(console, clock_fn=fake)
    assert bars.live
    run = events(fake)
    for _, event in run[:5]:
        bars(event)
    overall = [t for t in bars._progress.tasks if t.description.startswith("step")]
    assert len(overall) == 1 and overall[0].description == "step 1/2"
    assert overall[0].total == 2 and overall[0].completed == 0
    for _, event in run[5:]:
        bars(event)
    assert overall[0].completed == 2


def test_clock() -> None:
    assert clock(5) == "0:05" and clock(125.9) == "2:05" and clock(3725) == "1:02:05"


def test_cli_prints_a_failed_steps_error_once(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    scene = write_tiff(tmp_path / "gray.tif", np.full((1, 8, 8), 7, "uint8"))
    flow = tmp_path / "flow.yaml"
    flow.write_text("name: w\ninputs:\n  image: image\nsteps:\n  - id: water\n"
                    "    tool: map_water\n    args: {image: $image, method: optical}\n",
                    encoding="utf-8")
    assert cli.main(["run", str(flow), "--set", f"image={scene}", "--workspace",
                     str(tmp_path / "ws")]) == 1
    captured = capsys.readouterr()
    both = captured.out + captured.err
    assert "✗ [1/1] s1 map_water failed" in captured.err
    assert both.count("green, NIR") == 1, both

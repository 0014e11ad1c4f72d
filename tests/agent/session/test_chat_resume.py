"""`earthsight chat` survives SIGKILL: a new process with the same --session resumes it.

Real subprocesses on a real scene: the first process answers a request and is killed with
SIGKILL; the second lists the earlier turn (``/history``), answers a follow-up that refers to
the first turn's result ("export that as GeoJSON") and quits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

SCENE = "sar/sen1floods11_Spain_7370579_S1Hand.tif"
REPO = Path(__file__).resolve().parents[3]
WAIT_S = 25.0

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


class Chat:
    """One `earthsight chat` process with its output collected by a reader thread."""

    def __init__(self, workspace: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", "TERM": "dumb",
               "NO_COLOR": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent.cli.main", "chat", "--workspace", str(workspace),
             "--session", "s1", "--yes", *args],
            cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            with self._lock:
                self._chunks.append(chunk)

    @property
    def output(self) -> str:
        with self._lock:
            return b"".join(self._chunks).decode("utf-8", "replace")

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def wait_for(self, *texts: str, after: int = 0) -> str:
        """Output after position ``after`` once it holds every one of ``texts`` (bounded)."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            out = self.output[after:]
            if all(t in out for t in texts):
                return out
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the reader drain the pipe
                out = self.output[after:]
                if all(t in out for t in texts):
                    return out
                pytest.fail(f"chat exited ({self.proc.returncode}) before {texts!r}:\n"
                            f"{self.output}")
            time.sleep(0.05)
        pytest.fail(f"no {texts!r} within {WAIT_S:.0f} s; output so far:\n{self.output}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


def test_chat_resumes_after_sigkill(data_dir: Path, tmp_path: Path) -> None:
    scene = data_dir / SCENE
    if not scene.is_file():
        pytest.skip(f"real scene not found: {scene}")
    workspace = tmp_path / "ws"

    first = Chat(workspace, "--image", str(scene))
    try:
        first.wait_for("(new, 0 turn(s))")
        first.send("how much water is in this scene?")
        answer = first.wait_for("water area", " ha", "Files are in")
        assert "map_water" in answer
        os.kill(first.proc.pid, signal.SIGKILL)
        assert first.proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        first.close()

    second = Chat(workspace)
    try:
        second.wait_for("(resumed, 1 turn(s))")
        mark = len(second.output)
        second.send("/history")
        history = second.wait_for("1. how much water is in this scene?", after=mark)
        assert "map_water" in history
        mark = len(second.output)
        second.send("export that as GeoJSON")
        exported = second.wait_for(".geojson", after=mark)
        assert "GeoJSON" in exported
        files = list((workspace / "exports").glob("*.geojson"))
        assert files and files[0].stat().st_size > 0
        second.send("/quit")
        assert second.proc.wait(timeout=WAIT_S) == 0
    finally:
        second.close()


SLOW = "give the metadata, then map the water"


def _slow_scene(path: Path, side: int = 3000) -> Path:
    """A Sentinel-1-like VV/VH scene large enough that map_water takes seconds (a window to
    kill the process in the middle of the tool call)."""
    import numpy as np

    from tests.conftest import write_tiff

    rng = np.random.default_rng(0)
    vv = rng.normal(-12, 3, (side, side)).astype("float32")
    vv[: side // 3, : side // 3] = -22
    return write_tiff(path, np.stack([vv, vv - 6]), crs="EPSG:32631",
                      descriptions=["VV", "VH"])


def _kill_during_map_water(chat: Chat, workspace: Path, request: str) -> None:
    """Send ``request`` (describe_raster, then map_water) and SIGKILL the process once the
    first step's record is written and map_water is running."""
    chat.send(request)
    deadline = time.monotonic() + WAIT_S
    while not list(workspace.glob("*describe_raster.json")):
        assert time.monotonic() < deadline, chat.output
        time.sleep(0.02)
    time.sleep(0.5)  # map_water takes seconds on this scene: it is running now
    assert not list(workspace.glob("*map_water.json")), "map_water finished before the kill"
    os.kill(chat.proc.pid, signal.SIGKILL)
    assert chat.proc.wait(timeout=10) == -signal.SIGKILL


def test_killed_during_the_first_turn_resumes_it(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    scene = _slow_scene(tmp_path / "s1.tif")
    first = Chat(workspace, "--image", str(scene))
    try:
        first.wait_for("(new, 0 turn(s))")
        _kill_during_map_water(first, workspace, SLOW)
    finally:
        first.close()
    described = list(workspace.glob("*describe_raster.json"))
    assert len(described) == 1
    stamp = described[0].stat().st_mtime_ns

    second = Chat(workspace)
    try:
        banner = second.wait_for("(resumed, 0 turn(s))", "interrupted", "/resume")
        assert SLOW in banner and "describe_raster" in banner
        mark = len(second.output)
        second.send("/resume")
        second.wait_for("water area", " ha", after=mark)
        # the finished step was not run again; the interrupted one ran once
        assert [p.stat().st_mtime_ns for p in workspace.glob("*describe_raster.json")] == [stamp]
        assert len(list(workspace.glob("*map_water.json"))) == 1
        mark = len(second.output)
        second.send("export that as GeoJSON")
        second.wait_for(".geojson", after=mark)
        mark = len(second.output)
        second.send("/history")
        history = second.wait_for(f"1. {SLOW}", after=mark)
        assert "interrupted" not in history  # finished after all
        second.send("/quit")
        assert second.proc.wait(timeout=WAIT_S) == 0
    finally:
        second.close()


def test_a_turn_killed_later_stays_listed_as_interrupted(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    scene = _slow_scene(tmp_path / "s1.tif")
    first = Chat(workspace, "--image", str(scene))
    try:
        first.wait_for("(new, 0 turn(s))")
        first.send("describe the raster")
        first.wait_for("Files are in")
        _kill_during_map_water(first, workspace, SLOW)
    finally:
        first.close()

    second = Chat(workspace)
    try:
        second.wait_for("(resumed, 1 turn(s))", "The last turn was interrupted")
        mark = len(second.output)
        second.send("describe the raster")  # a new question: the killed turn stays interrupted
        second.wait_for("Files are in", after=mark)
        mark = len(second.output)
        second.send("/history")
        history = second.wait_for("3. describe the raster", after=mark)
        assert f"2. {SLOW}" in history and "(interrupted)" in history
        assert not list(workspace.glob(".*.part*"))  # no temporary left by the killed run
        second.send("/quit")
        assert second.proc.wait(timeout=WAIT_S) == 0
    finally:
        second.close()

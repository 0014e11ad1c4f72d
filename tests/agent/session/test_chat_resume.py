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

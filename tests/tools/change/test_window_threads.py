"""The window threads of an in-process change pass stop before the caller goes on: an error
or Ctrl-C in the caller never closes the pair's datasets under a thread still reading them."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from specialists.tiling import Window
from tools.change.detect_changes import _Windows

_lock = threading.Lock()


def _slow(pair: Any, win: Window, running: set[int]) -> int:
    with _lock:
        running.add(win.col_off)
    time.sleep(0.15)
    with _lock:
        running.discard(win.col_off)
    return win.col_off


class _Stop(Exception):
    pass


def _runner(stop_at: int) -> Any:
    def progress(stage: str, done: int, total: int) -> None:
        if done == stop_at:
            raise _Stop
    return SimpleNamespace(executor=SimpleNamespace(in_process=True),
                           ctx=SimpleNamespace(progress=progress))


@pytest.mark.parametrize("where", ["progress", "caller"])
def test_an_interrupted_pass_leaves_no_thread_reading(where: str) -> None:
    running: set[int] = set()
    windows = [Window(i, 0, 1, 1) for i in range(12)]
    pairs: list[Any] = [object(), object(), object()]
    passes = _Windows(runner=_runner(2 if where == "progress" else 0), pairs=pairs,
                      before="b.tif", after="a.tif")
    with pytest.raises(_Stop), passes.each("change", windows, _slow, running) as found:
        for n, _ in enumerate(found, start=1):
            if where == "caller" and n == 3:
                raise _Stop  # an error of the caller itself
    assert running == set()  # every window thread finished before the error went on
    time.sleep(0.3)
    assert running == set()  # and none started afterwards

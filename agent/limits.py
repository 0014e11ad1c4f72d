"""The limits every request runs under: the largest raster, and how many runs go at once.

``EARTHSIGHT_MAX_PIXELS`` (default 10⁹ pixels) applies to every scene and file argument on
every interface, sandboxed or not; ``EARTHSIGHT_MAX_JOBS`` (default 2) bounds the runs of one
runtime (a server, an ``Analyst``) that go at once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from agent.errors import BusyError
from tools.core.errors import InputError

DEFAULT_MAX_PIXELS = 1_000_000_000
DEFAULT_MAX_JOBS = 2


def env_int(name: str, default: int) -> int:
    """A whole-number setting from the environment (``1_000`` allowed), at least 1.

    Raises:
        InputError: Not a whole number, or below 1 (the message names the variable).
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise InputError(f"{name}={text!r} is not a whole number; unset it or give e.g. "
                         f"{default}") from None
    if value < 1:
        raise InputError(f"{name}={text!r} must be at least 1")
    return value


def max_pixels_from_env() -> int:
    """``EARTHSIGHT_MAX_PIXELS``, default 1e9."""
    return env_int("EARTHSIGHT_MAX_PIXELS", DEFAULT_MAX_PIXELS)


def max_jobs_from_env() -> int:
    """``EARTHSIGHT_MAX_JOBS``, default 2."""
    return env_int("EARTHSIGHT_MAX_JOBS", DEFAULT_MAX_JOBS)


def check_pixels(width: int, height: int, path: str, argument: str, max_pixels: int) -> None:
    """Refuse a raster of more than ``max_pixels`` pixels.

    Raises:
        InputError: Over the limit (the message names it and the fix).
    """
    if width * height > max_pixels:
        raise InputError(
            f"{argument}: {path} has {width} x {height} = {width * height:,} pixels, over the "
            f"limit of {max_pixels:,} pixels (EARTHSIGHT_MAX_PIXELS). Clip the scene to the "
            "area of interest first.")


class JobLimiter:
    """At most ``max_jobs`` runs at once.

    Args:
        max_jobs: Number of slots (at least 1).
    """

    def __init__(self, max_jobs: int) -> None:
        self.max_jobs = max(1, int(max_jobs))
        self._slots = threading.BoundedSemaphore(self.max_jobs)
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def try_acquire(self) -> bool:
        """Take a slot if one is free, without waiting."""
        return self._take(blocking=False)

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait (up to ``timeout`` seconds, None: for ever) for a slot."""
        return self._take(blocking=True, timeout=timeout)

    def _take(self, blocking: bool, timeout: float | None = None) -> bool:
        got = self._slots.acquire(blocking, timeout) if blocking else self._slots.acquire(False)
        if got:
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
        return got

    def release(self) -> None:
        """Give a slot back."""
        with self._lock:
            self.running -= 1
        self._slots.release()

    @contextmanager
    def slot(self, wait: bool = True) -> Iterator[None]:
        """Hold a slot for the ``with`` block.

        Raises:
            BusyError: ``wait`` is False and every slot is taken.
        """
        if not (self.acquire() if wait else self.try_acquire()):
            raise BusyError(f"all {self.max_jobs} job slots are busy (EARTHSIGHT_MAX_JOBS); "
                            "retry shortly")
        try:
            yield
        finally:
            self.release()


"""Browser test helpers: the real app served by uvicorn on 127.0.0.1 (a thread of the test
process), and headless Debian Chromium driven by Playwright with every request that is not for
127.0.0.1 aborted and recorded.

A missing browser (or Playwright) fails the test, never skips it: ``make test`` installs
Chromium (``apt-get install -y chromium``) and Playwright comes with the ``dev`` extra.
"""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM_ENV = "EARTHSIGHT_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = (1400, 900)
"""The page's size in CSS pixels (the map gets what the two side panels leave)."""
LOOPBACK = "127.0.0.1"


def chromium_path() -> str:
    """The Chromium executable (``EARTHSIGHT_CHROMIUM``, default ``/usr/bin/chromium``); the
    test fails when it is missing."""
    path = os.environ.get(CHROMIUM_ENV, "").strip() or DEFAULT_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"no Chromium at {path}: the map page's browser tests need it. Run "
                    "`make test` (it installs it) or `apt-get install -y chromium` as root, or "
                    f"set {CHROMIUM_ENV} to a Chromium executable", pytrace=False)
    return path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(app: Any, port: int) -> Iterator[str]:
    """Serve ``app`` with uvicorn on ``127.0.0.1:port`` in a thread; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=LOOPBACK, port=port, log_level="warning",
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"uvicorn did not start on {LOOPBACK}:{port}", pytrace=False)
        time.sleep(0.05)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@dataclass
class Browser:
    """A page of a fresh browser context, and what it tried to reach off loopback."""

    page: Any
    context: Any
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def pixel(self, x: float, y: float) -> tuple[int, int, int]:
        """The RGB colour the page shows at page coordinates (x, y)."""
        from PIL import Image

        png = self.page.screenshot(clip={"x": int(x) - 1, "y": int(y) - 1, "width": 3,
                                         "height": 3})
        value = Image.open(io.BytesIO(png)).convert("RGB").getpixel((1, 1))
        assert isinstance(value, tuple), value
        return int(value[0]), int(value[1]), int(value[2])

    def wait(self, expression: str, timeout_s: float = 60, arg: Any = None) -> Any:
        """Wait until the JS ``expression`` (a function of ``arg``) is truthy; its value."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            handle = self.page.wait_for_function(expression, arg=arg, timeout=timeout_s * 1000)
        except PlaywrightTimeout:
            shown = self.page.evaluate(
                "() => window.earthsight && {errors: earthsight.errors, busy: earthsight.busy, "
                "live: earthsight.live, last: earthsight.lastTurn, layers: earthsight.layers}")
            pytest.fail(f"waited {timeout_s} s for {expression}; the page: {shown}; console: "
                        f"{self.console_errors[-5:]}; page errors: {self.page_errors}",
                        pytrace=False)
        return handle.json_value()

    def state(self, name: str) -> Any:
        """``window.earthsight[name]`` (the page's read-only test state)."""
        return self.page.evaluate("(name) => window.earthsight[name]", name)


@contextmanager
def browser() -> Iterator[Browser]:
    """Headless Chromium (loopback only) with one page; fails the test when Chromium or
    Playwright is missing."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"Playwright is missing ({exc}): pip install -e '.[dev]' (or `make test`)",
                    pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]},
                                       service_workers="block")
        session = Browser(page=None, context=context)

        def guard(route: Any) -> None:
            url = route.request.url
            if urlsplit(url).hostname == LOOPBACK:
                route.continue_()
            else:
                session.blocked.append(url)
                route.abort()

        context.route("**/*", guard)
        session.page = context.new_page()
        session.page.on("console", lambda m: session.console_errors.append(m.text)
                        if m.type == "error" else None)
        session.page.on("pageerror", lambda e: session.page_errors.append(str(e)))
        try:
            yield session
        finally:
            context.close()
            chromium.close()

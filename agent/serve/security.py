"""One security policy for both HTTP servers (the HTTP API and MCP over streamable HTTP).

:func:`install` adds these pure ASGI middlewares to a Starlette/FastAPI app, outermost first:

1. :class:`AccessLog`: one ``earthsight.access`` line per request (method, path without its
   query string, status, milliseconds, client address; never a header).
2. :class:`HostOriginGuard` (DNS rebinding): the ``Host`` header must name the server, else
   403. A loopback bind accepts ``127.0.0.1``, ``localhost`` and ``[::1]``; another address
   accepts itself; a wildcard bind (``0.0.0.0``, ``::``) the loopback names. Each also accepts
   the names in ``EARTHSIGHT_ALLOWED_HOSTS`` (comma-separated). **Any port** is accepted: the
   name is what a rebinding attack cannot fake, and proxies or port forwards change the port.
   A request with an ``Origin`` header is refused (403) unless the origin is the server's own
   (the same host and port the request addresses, or an allowed name with the bound port) or
   is listed in ``EARTHSIGHT_CORS_ORIGINS``.
3. :class:`BodyLimit`: a body over ``EARTHSIGHT_MAX_BODY_BYTES`` (default 1 MiB) is answered
   413, by its ``Content-Length`` or, for chunked bodies, as the bytes arrive, before the app
   reads any of it.
4. Starlette's ``CORSMiddleware`` with exactly the ``EARTHSIGHT_CORS_ORIGINS`` (only when set).
5. :class:`TokenAuth`: ``Authorization: Bearer <token>`` or the login cookie (an HMAC of the
   token, set by the API's ``/login``), else 401. ``public_paths`` (the login page) pass.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from agent.limits import env_int
from tools.core.errors import InputError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ALLOWED_HOSTS_ENV = "EARTHSIGHT_ALLOWED_HOSTS"
CORS_ENV = "EARTHSIGHT_CORS_ORIGINS"
MAX_BODY_ENV = "EARTHSIGHT_MAX_BODY_BYTES"
DEFAULT_MAX_BODY = 1024 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")
LOGIN_COOKIE = "earthsight_login"
access_logger = logging.getLogger("earthsight.access")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, int | None]:
    """``(name, port)`` of a Host header or netloc (``[::1]:80`` -> ``("::1", 80)``)."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif value.count(":") == 1:
        name, _, port = value.partition(":")
    else:
        name, port = value, ""
    try:
        number = int(port) if port else None
    except ValueError:
        number = -1  # a port that is not a number never matches
    return name.rstrip("."), number


def _names(text: str) -> list[str]:
    return [split_host(item)[0] for item in text.split(",") if item.strip()]


def token_ok(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries the bearer ``token``."""
    if not header or not header.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


@dataclass(frozen=True)
class SecurityPolicy:
    """What a server accepts: its token, the names it answers to, origins, body size.

    Build it with :meth:`from_env`; ``public_paths`` skip the token check (the login page).
    """

    token: str
    host: str = "127.0.0.1"
    port: int | None = None
    allowed_hosts: frozenset[str] = frozenset(LOOPBACK_NAMES)
    cors_origins: tuple[str, ...] = ()
    max_body: int = DEFAULT_MAX_BODY
    public_paths: frozenset[str] = field(default_factory=frozenset)
    login_path: str | None = None

    def __repr__(self) -> str:  # never the token
        return (f"SecurityPolicy(host={self.host!r}, port={self.port!r}, "
                f"allowed_hosts={sorted(self.allowed_hosts)!r}, cors={self.cors_origins!r}, "
                f"max_body={self.max_body})")

    @classmethod
    def from_env(cls, token: str, host: str = "127.0.0.1", port: int | None = None, *,
                 public_paths: Iterable[str] = (), login_path: str | None = None,
                 ) -> SecurityPolicy:
        """The policy of a server bound to ``host:port`` (``EARTHSIGHT_*`` variables read).

        Raises:
            InputError: An empty token, ``*`` in ``EARTHSIGHT_CORS_ORIGINS`` or a bad
                ``EARTHSIGHT_MAX_BODY_BYTES``.
        """
        if not token:
            raise InputError("a server needs a token (see agent.serve.token.load_token)")
        bind = host.strip().strip("[]").lower()
        allowed = set(LOOPBACK_NAMES) if is_loopback(bind) or bind in WILDCARDS else {bind}
        allowed.update(_names(os.environ.get(ALLOWED_HOSTS_ENV, "")))
        origins = tuple(o.strip().rstrip("/").lower()
                        for o in os.environ.get(CORS_ENV, "").split(",") if o.strip())
        if "*" in origins:
            raise InputError(f"{CORS_ENV}: '*' is not accepted; list the origins "
                             "(https://app.example.org,http://localhost:3000)")
        return cls(token=token, host=bind, port=port, allowed_hosts=frozenset(allowed),
                   cors_origins=origins, max_body=env_int(MAX_BODY_ENV, DEFAULT_MAX_BODY),
                   public_paths=frozenset(public_paths), login_path=login_path)

    # --- checks --------------------------------------------------------------------------------

    def cookie_value(self) -> str:
        """The login cookie's value: an HMAC of the token (the token itself is never stored)."""
        return hmac.new(self.token.encode(), b"earthsight-login-cookie",
                        hashlib.sha256).hexdigest()

    def authorized(self, authorization: str | None, cookies: dict[str, str]) -> bool:
        """Whether a request carries the bearer token or the login cookie."""
        if token_ok(authorization, self.token):
            return True
        cookie = cookies.get(LOGIN_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self.cookie_value().encode())

    def host_allowed(self, host_header: str | None) -> bool:
        """Whether a ``Host`` header names this server (any port)."""
        return bool(host_header) and split_host(host_header or "")[0] in self.allowed_hosts

    def origin_allowed(self, origin: str, host_header: str) -> bool:
        """Whether an ``Origin`` is this server's own or a configured CORS origin."""
        origin = origin.strip().rstrip("/").lower()
        if origin in self.cors_origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # "null" (sandboxed pages, files) and other schemes
        if parts.netloc == host_header.strip().lower():
            return True  # the very host and port the request addresses
        name, port = split_host(parts.netloc)
        return name in self.allowed_hosts and port is not None and port == self.port


# --- middlewares -------------------------------------------------------------------------------

async def send_json(send: Send, status: int, detail: str,
                    headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """Answer ``{"detail": ...}`` with ``status``."""
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *headers]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class AccessLog:
    """One ``earthsight.access`` line per HTTP request (no query string, no headers)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [0]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            client = scope.get("client") or ("-", 0)
            path = str(scope.get("path", "")).encode("unicode_escape").decode("ascii")
            access_logger.info('%s:%s "%s %s" %d %.1fms', client[0], client[1],
                               scope.get("method", "-"), path, status[0] or 500,
                               (time.perf_counter() - start) * 1000)


class HostOriginGuard:
    """403 unless the ``Host`` names this server and the ``Origin`` (if any) is allowed."""

    def __init__(self, app: Any, policy: SecurityPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # neither server speaks WebSocket
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] == "http":
            host = _header(scope, b"host") or ""
            if not self.policy.host_allowed(host):
                shown = host.encode("unicode_escape").decode("ascii")[:100]
                await send_json(send, 403, f"Host {shown!r} not allowed; this server answers "
                                f"to {', '.join(sorted(self.policy.allowed_hosts))} "
                                f"(more with {ALLOWED_HOSTS_ENV})")
                return
            origin = _header(scope, b"origin")
            if origin is not None and not self.policy.origin_allowed(origin, host):
                shown = origin.encode("unicode_escape").decode("ascii")[:100]
                await send_json(send, 403, f"Origin {shown!r} not allowed (cross-origin "
                                f"requests need {CORS_ENV})")
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """413 for request bodies over ``max_body`` bytes, before the app reads any of it."""

    def __init__(self, app: Any, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def _too_large(self, send: Send) -> None:
        await send_json(send, 413, f"request body over the limit of {self.max_body:,} bytes "
                        f"({MAX_BODY_ENV})", [(b"connection", b"close")])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await send_json(send, 400, "Content-Length is not a number")
                return
            if size > self.max_body:
                await self._too_large(send)
                return
        body = bytearray()
        pending: list[Message] = []
        while True:  # read the whole body (at most max_body bytes) before the app runs
            message = await receive()
            if message["type"] != "http.request":
                pending.append(message)
                break
            body.extend(message.get("body", b""))
            if len(body) > self.max_body:
                await self._too_large(send)
                return
            if not message.get("more_body", False):
                break
        queue: list[Message] = [{"type": "http.request", "body": bytes(body),
                                 "more_body": False}, *pending]

        async def replay() -> Message:
            return queue.pop(0) if queue else await receive()

        await self.app(scope, replay, send)


class TokenAuth:
    """401 for HTTP requests without the bearer token or login cookie (lifespan passes)."""

    def __init__(self, app: Any, policy: SecurityPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") not in self.policy.public_paths:
            from starlette.requests import cookie_parser

            cookies = cookie_parser(_header(scope, b"cookie") or "")
            if not self.policy.authorized(_header(scope, b"authorization"), cookies):
                login = self.policy.login_path
                accept = _header(scope, b"accept") or ""
                if login and scope.get("method") == "GET" and "text/html" in accept:
                    await send({"type": "http.response.start", "status": 303,
                                "headers": [(b"location", login.encode()),
                                            (b"content-length", b"0")]})
                    await send({"type": "http.response.body", "body": b""})
                    return
                await send_json(send, 401, "missing or wrong bearer token",
                                [(b"www-authenticate", b"Bearer")])
                return
        await self.app(scope, receive, send)


def install(app: Any, policy: SecurityPolicy) -> None:
    """Add the policy's middlewares to a Starlette (or FastAPI) ``app`` not yet started."""
    from starlette.middleware.cors import CORSMiddleware

    app.add_middleware(TokenAuth, policy=policy)
    if policy.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(policy.cors_origins),
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Accept", "Mcp-Session-Id",
                           "Mcp-Protocol-Version", "Last-Event-ID"],
            expose_headers=["Mcp-Session-Id", "Retry-After"])
    app.add_middleware(BodyLimit, max_body=policy.max_body)
    app.add_middleware(HostOriginGuard, policy=policy)
    app.add_middleware(AccessLog)  # added last: the outermost, it logs every refusal too


def check_bind(host: str) -> None:
    """Refuse a wildcard bind (``0.0.0.0``, ``::``) without ``EARTHSIGHT_ALLOWED_HOSTS``:
    clients elsewhere would address it by a name it would refuse.

    Raises:
        InputError: The bind is a wildcard and no host names are configured.
    """
    if host.strip().strip("[]") in WILDCARDS and not _names(
            os.environ.get(ALLOWED_HOSTS_ENV, "")):
        raise InputError(f"--host {host} listens on every address: name the host names or "
                         f"addresses clients use in {ALLOWED_HOSTS_ENV} "
                         "(e.g. earthsight.example.org,10.0.0.5), or bind one address")


def base_url(policy: SecurityPolicy) -> str:
    """``http://host:port`` of a policy's server (a wildcard bind shows a name it answers to)."""
    host = policy.host
    if host in WILDCARDS:
        names = sorted(policy.allowed_hosts - set(LOOPBACK_NAMES)) or ["127.0.0.1"]
        host = names[0]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{policy.port}" if policy.port else f"http://{shown}"


def announce(what: str, policy: SecurityPolicy, token_note: str, *, path: str = "",
             login: bool = False) -> None:
    """Print the one start-up line (stderr): address, token source, login URL."""
    url = base_url(policy)
    parts = [f"{what} on {url}{path}", token_note]
    if login:
        parts.append(f"browser login: {url}/login")
    if policy.cors_origins:
        parts.append(f"CORS: {', '.join(policy.cors_origins)}")
    print(" | ".join(parts), file=sys.stderr, flush=True)


@contextmanager
def access_log_to_stderr() -> Iterator[None]:
    """Send the ``earthsight.access`` lines to stderr while the block (the server) runs."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    saved = access_logger.level, access_logger.propagate
    access_logger.addHandler(handler)
    access_logger.setLevel(logging.INFO)
    access_logger.propagate = False
    try:
        yield
    finally:
        access_logger.removeHandler(handler)
        access_logger.setLevel(saved[0])
        access_logger.propagate = saved[1]

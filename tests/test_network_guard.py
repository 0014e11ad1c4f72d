"""The suite-wide guard: nothing a test runs may reach the network off loopback."""

from __future__ import annotations

import socket

import pytest


def test_connections_off_loopback_fail() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, \
            pytest.raises(AssertionError, match="tried to reach the network"):
        sock.connect(("203.0.113.1", 443))


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass

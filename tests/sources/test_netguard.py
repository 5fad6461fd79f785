"""The offline guard: non-loopback traffic is refused before any packet leaves; loopback
works. These tests also check the guard the whole suite runs under (guard_for_tests)."""

from __future__ import annotations

import socket

import httpx
import pytest
from manual_clock import ManualClock
from pytest_httpserver import HTTPServer

from litsynth.errors import OfflineError, UsageError
from litsynth.sources.http import HttpClient
from litsynth.sources.netguard import (
    NetworkBlocked,
    OfflineGuard,
    check_sources_allowed,
    guard_for_tests,
    is_loopback,
    offline_guard,
)

TEST_NET = "192.0.2.1"  # RFC 5737 documentation address: never routed


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("api.localhost", True),
        (b"127.0.0.1", True),
        (TEST_NET, False),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("api.semanticscholar.org", False),
        ("localhost.evil.com", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback(host: object, expected: bool) -> None:
    assert is_loopback(host) is expected


@pytest.fixture
def spied_connect(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every address that reaches the (real) socket connect under the guard."""
    reached: list[object] = []
    real = socket.socket.connect

    def spy(sock: socket.socket, address: object) -> None:
        reached.append(address)
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    return reached


def test_guard_refuses_before_the_real_connect(spied_connect, httpserver: HTTPServer) -> None:
    with OfflineGuard() as guard, socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        assert guard.active
        with pytest.raises(NetworkBlocked) as caught:
            sock.connect((TEST_NET, 80))
        assert spied_connect == []
        assert isinstance(caught.value, OfflineError)
        assert isinstance(caught.value, OSError)
        with pytest.raises(OSError):
            sock.getpeername()  # never connected
        with socket.create_connection(("127.0.0.1", httpserver.port), timeout=5):
            pass
    assert spied_connect == [("127.0.0.1", httpserver.port)]


def test_guard_covers_connect_ex_sendto_create_connection_and_dns() -> None:
    with offline_guard():
        with socket.socket() as sock, pytest.raises(NetworkBlocked):
            sock.connect_ex((TEST_NET, 80))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(NetworkBlocked):
            udp.sendto(b"x", (TEST_NET, 53))
        with pytest.raises(NetworkBlocked):
            socket.create_connection((TEST_NET, 80), timeout=1)
        with pytest.raises(NetworkBlocked):
            socket.getaddrinfo("api.semanticscholar.org", 443)
        assert socket.getaddrinfo("localhost", 80)
        assert socket.getaddrinfo(None, 80, flags=socket.AI_PASSIVE)


def test_loopback_http_works_under_the_guard(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ok").respond_with_json({"fine": True})
    with offline_guard():
        assert httpx.get(httpserver.url_for("/ok"), timeout=5).json() == {"fine": True}


def test_http_client_reports_offline_without_retrying() -> None:
    clock = ManualClock()
    client = HttpClient("s2", f"http://{TEST_NET}", max_retries=3, sleep=clock.sleep)
    with offline_guard(), pytest.raises(OfflineError) as caught:
        client.get_json("/graph/v1/paper/search", {"query": "q"}, query="q")
    assert caught.value.source == "s2"
    assert caught.value.query == "q"
    assert clock.sleeps == []


def test_uninstall_restores_the_socket_module() -> None:
    before = (socket.getaddrinfo, socket.create_connection, socket.socket.connect)
    own = "connect" in vars(socket.socket)
    guard = OfflineGuard().install()
    assert socket.getaddrinfo is not before[0]
    guard.uninstall()
    assert (socket.getaddrinfo, socket.create_connection, socket.socket.connect) == before
    assert ("connect" in vars(socket.socket)) is own
    assert not guard.active


def test_guard_for_tests_is_installed_and_idempotent() -> None:
    guard = guard_for_tests()
    assert guard.active
    assert guard_for_tests() is guard
    with socket.socket() as sock, pytest.raises(NetworkBlocked):
        sock.connect((TEST_NET, 443))


def test_check_sources_allowed() -> None:
    check_sources_allowed(["local", "s2"], offline=False)
    check_sources_allowed(["local"], offline=True)
    with pytest.raises(UsageError, match="openalex") as caught:
        check_sources_allowed(["local", "openalex"], offline=True)
    assert "--offline" in str(caught.value)

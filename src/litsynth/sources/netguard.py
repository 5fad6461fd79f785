"""Offline mode: no socket to any non-loopback address.

:class:`OfflineGuard` patches the socket module so that resolving a non-loopback name, or
connecting or sending to a non-loopback address, raises :class:`NetworkBlocked` *before* the
real call is made (no packet leaves the machine). Loopback LM servers keep working. The CLI
installs it for ``--offline``; the test suite installs it for every test via
:func:`guard_for_tests`.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from litsynth.errors import OfflineError, UsageError
from litsynth.sources.live import LIVE_SOURCES

_INET_FAMILIES = (socket.AF_INET, socket.AF_INET6)
#: Hosts a server may resolve to bind itself; resolving them reaches no other machine.
_UNSPECIFIED = {"", "0.0.0.0", "::"}
_INHERITED = object()


class NetworkBlocked(OfflineError, OSError):
    """A connection the offline guard refused. Also an ``OSError``, so libraries that treat
    network failures as ``OSError`` (and fall back to local files) keep doing so."""

    def __init__(self, host: object) -> None:
        super().__init__("offline", f"offline mode: network access to {host!r} blocked")


def is_loopback(host: object) -> bool:
    """Whether ``host`` (name or address, str or bytes) is this machine's loopback:
    ``localhost``, ``*.localhost``, ``127.0.0.0/8``, ``::1`` or IPv4-mapped loopback."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _check_inet_address(address: object) -> None:
    if isinstance(address, tuple) and address and not is_loopback(address[0]):
        raise NetworkBlocked(address[0])


class OfflineGuard:
    """Patches ``socket.socket.connect``/``connect_ex``/``sendto``,
    ``socket.create_connection`` and ``socket.getaddrinfo`` while installed.

    Guards stack: each one saves what it replaced and restores it on ``uninstall``, so
    uninstall in the reverse order of installing."""

    def __init__(self) -> None:
        self._saved: dict[tuple[Any, str], Any] = {}

    @property
    def active(self) -> bool:
        return bool(self._saved)

    def install(self) -> OfflineGuard:
        """Start refusing non-loopback traffic (no-op when already installed)."""
        if self.active:
            return self
        connect = socket.socket.connect
        connect_ex = socket.socket.connect_ex
        sendto = socket.socket.sendto
        create_connection = socket.create_connection
        getaddrinfo = socket.getaddrinfo

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            if sock.family in _INET_FAMILIES:
                _check_inet_address(address)
            return connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            if sock.family in _INET_FAMILIES:
                _check_inet_address(address)
            return connect_ex(sock, address)

        def guarded_sendto(sock: socket.socket, data: Any, *args: Any) -> int:
            if sock.family in _INET_FAMILIES and args:
                _check_inet_address(args[-1])
            return sendto(sock, data, *args)

        def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
            _check_inet_address(address)
            return create_connection(address, *args, **kwargs)

        def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
            if name is not None and name not in _UNSPECIFIED and not is_loopback(name):
                raise NetworkBlocked(name)
            return getaddrinfo(host, *args, **kwargs)

        patches = {
            (socket.socket, "connect"): guarded_connect,
            (socket.socket, "connect_ex"): guarded_connect_ex,
            (socket.socket, "sendto"): guarded_sendto,
            (socket, "create_connection"): guarded_create_connection,
            (socket, "getaddrinfo"): guarded_getaddrinfo,
        }
        for (owner, attr), replacement in patches.items():
            # socket.socket inherits connect & co. from _socket.socket: remember that the
            # attribute was not its own, so uninstall deletes rather than shadows it.
            self._saved[(owner, attr)] = vars(owner).get(attr, _INHERITED)
            setattr(owner, attr, replacement)
        return self

    def uninstall(self) -> None:
        """Put back what ``install`` replaced."""
        for (owner, attr), original in self._saved.items():
            if original is _INHERITED:
                delattr(owner, attr)
            else:
                setattr(owner, attr, original)
        self._saved.clear()

    def __enter__(self) -> OfflineGuard:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()


_process_guard = OfflineGuard()


def install_offline_guard() -> OfflineGuard:
    """Install the process-wide guard (idempotent) and return it."""
    return _process_guard.install()


def guard_for_tests() -> OfflineGuard:
    """For the top-level ``tests/conftest.py``: guard the whole test session so that no test
    can reach a non-loopback address (fake servers on 127.0.0.1 still work)."""
    return install_offline_guard()


@contextmanager
def offline_guard() -> Iterator[OfflineGuard]:
    """A guard for the duration of a ``with`` block (or a pytest fixture's ``yield``)."""
    with OfflineGuard() as guard:
        yield guard


def check_sources_allowed(names: Iterable[str], offline: bool) -> None:
    """Raise :class:`UsageError` (CLI exit 2) when a live source is named while offline."""
    live = [name for name in names if name in LIVE_SOURCES]
    if offline and live:
        raise UsageError(
            f"offline mode: live source(s) {', '.join(live)} cannot be used",
            hint="drop them from --sources, or leave offline mode (--offline/LITSYNTH_OFFLINE)",
        )

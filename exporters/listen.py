"""``--web.listen-address`` parsed and bound the way Prometheus exporters do it.

Accepted forms (Go's ``net.Listen("tcp", addr)``, which node_exporter and blackbox_exporter
pass the flag to): ``:9877`` (every interface, IPv4 and IPv6), ``0.0.0.0:9877``,
``127.0.0.1:9877``, ``localhost:9877`` (each address the name resolves to) and
``[::1]:9877`` (an IPv6 literal in brackets).

The sockets are bound *before* the exporter starts anything (worker processes, validator
monitors writing to their state directory, stream watches): a port already in use is one
:class:`ListenError` line and a non-zero exit, not a half-started second instance.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass

from chainwatch.exporters.limits import RECEIVE_BUFFER_BYTES

BACKLOG = 128


class ListenError(ValueError):
    """The address cannot be parsed or bound; ``str()`` is one line naming it and the cause."""


@dataclass(frozen=True)
class Address:
    host: str | None  # None: every interface (``:port``)
    port: int

    def __str__(self) -> str:
        if self.host is None:
            return f":{self.port}"
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_address(text: str) -> Address:
    """``":9877"`` -> ``Address(None, 9877)``; ``"[::1]:9877"`` -> ``Address("::1", 9877)``.

    Raises :class:`ListenError` for a missing or out-of-range port, an unbracketed IPv6
    literal (``::1:9877`` is ambiguous) or an unclosed bracket.
    """
    host, sep, port = text.rpartition(":")
    if not sep:
        raise ListenError(f"--web.listen-address {text!r}: expected [host]:port (e.g. :9877, 127.0.0.1:9877, [::1]:9877)")
    if host.startswith("[") or host.endswith("]"):
        if not (host.startswith("[") and host.endswith("]")) or ":" not in host[1:-1]:
            raise ListenError(f"--web.listen-address {text!r}: brackets are only for an IPv6 address ([::1]:9877)")
        host = host[1:-1]
    elif ":" in host:
        raise ListenError(f"--web.listen-address {text!r}: put an IPv6 address in brackets ([{host}]:{port})")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ListenError(f"--web.listen-address {text!r}: port must be 1-65535")
    return Address(host or None, int(port))


def bind(address: Address) -> list[socket.socket]:
    """Listening sockets for ``address`` (one per resolved address), or :class:`ListenError`
    (``address already in use``, ``cannot assign requested address``, an unknown host name)."""
    if address.host is None:
        families = [(socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")] if socket.has_ipv6 else [(socket.AF_INET, "0.0.0.0")]
        last: OSError | None = None
        for family, host in families:  # one dual-stack socket, as Go does; IPv4 alone where IPv6 is off
            try:
                return [_listen(family, (host, address.port), dual_stack=family == socket.AF_INET6)]
            except OSError as exc:
                if exc.errno not in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL):
                    raise ListenError(_because(address, exc)) from None
                last = exc
        raise ListenError(_because(address, last)) from None
    try:
        infos = socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {address}: {exc.strerror}") from None
    sockets: list[socket.socket] = []
    seen = set()
    try:
        for family, _, _, _, sockaddr in infos:
            if sockaddr[:2] in seen:
                continue
            seen.add(sockaddr[:2])
            sockets.append(_listen(family, sockaddr, dual_stack=False))
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise ListenError(_because(address, exc)) from None
    return sockets


def bind_all(addresses: list[Address]) -> list[socket.socket]:
    """:func:`bind` for each address (``--web.listen-address`` repeated); all or none."""
    sockets: list[socket.socket] = []
    try:
        for address in addresses:
            sockets.extend(bind(address))
    except ListenError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _listen(family: int, sockaddr: tuple, *, dual_stack: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":  # restart at once over connections in TIME_WAIT; a live listener still fails
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual_stack else 1)
        # Inherited by every accepted connection: a malformed request costs one small read.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        sock.bind(sockaddr)
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _because(address: Address, exc: OSError | None) -> str:
    cause = (exc.strerror or str(exc)).lower() if exc is not None else "no usable address family"
    return f"cannot listen on {address}: {cause}"

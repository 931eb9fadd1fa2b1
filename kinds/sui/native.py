"""Native gRPC (HTTP/2) calls to a Sui endpoint, through ``grpclib`` (pure asyncio, ``h2``).

Why grpclib and not grpcio: a probe makes one unary call per endpoint per round and the
stream watch one server stream, on the exporter's own (uv)loop. grpclib runs on that loop,
takes a codec that passes our hand-decoded protobuf bytes through (no generated stubs, no
``protobuf`` runtime) and weighs 187 KB of wheels (grpclib, h2, hpack, hyperframe) against
grpcio's 7.4 MB, whose C core runs its own threads and polling beside the loop. grpcio is
faster per call (0.35 vs 0.63 ms CPU for ``GetServiceInfo`` on loopback, measured in the
README's dependency notes), which at one call per endpoint per 15 s round is 0.02 ms/s.

Sources: the gRPC over HTTP/2 protocol (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md);
grpclib's ``Channel.request`` (https://grpclib.readthedocs.io/en/latest/client.html). The
endpoint's URL gives host, port (default 80/443) and TLS (``https://``: ALPN ``h2``, the
``tls:`` CA and client certificate when set); a path in the URL prefixes the method's path,
as some providers route by it. One channel (one HTTP/2 connection) is kept per endpoint and
event loop; a failed call closes it so the next one connects afresh.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import weakref
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from grpclib.client import Channel
from grpclib.const import Cardinality
from grpclib.encoding.base import CodecBase
from grpclib.exceptions import GRPCError, ProtocolError, StreamTerminatedError

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.redact import clip, scrub

MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # gRPC's default receive limit; a GetEpoch system state is ~100 KB


class NotGrpc(Exception):
    """The endpoint does not speak this gRPC API over HTTP/2 there (an HTTP/1.1 server dropped
    the connection preface, or UNIMPLEMENTED: no such service); ``failure`` is what to report
    when it is not a JSON-RPC node either."""

    def __init__(self, failure: ProbeFailure):
        super().__init__(str(failure))
        self.failure = failure


class RawCodec(CodecBase):
    """Messages are bytes both ways: :mod:`chainwatch.kinds.sui.grpcweb` encodes and decodes them."""

    __content_subtype__ = "proto"

    def encode(self, message, message_type) -> bytes:
        return message

    def decode(self, data: bytes, message_type) -> bytes:
        return data


_CHANNELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # loop -> {(url, tls): Channel}


def _ssl(endpoint) -> ssl.SSLContext:
    """A client context offering ALPN ``h2`` with the endpoint's ``tls:`` files. Built here, not
    taken from :func:`tlsinfo.context`: that one is shared with aiohttp (HTTP/1.1), which must
    not offer h2. ``tls.server_name`` is not supported on native gRPC (grpclib sends the URL's host)."""
    ctx = ssl.create_default_context()
    tls = endpoint.tls
    try:
        if tls is not None and tls.ca_file:
            ctx.load_verify_locations(cafile=tls.ca_file)
        if tls is not None and tls.cert_file:
            ctx.load_cert_chain(tls.cert_file, tls.key_file)
    except (OSError, ssl.SSLError) as exc:
        raise ProbeFailure("tls", f"tls: cannot load a file ({type(exc).__name__}: {getattr(exc, 'strerror', None) or exc})") from None
    if tls is not None and tls.insecure_skip_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    return ctx


def channel(endpoint) -> tuple[Channel, str]:
    """The endpoint's channel on this loop and the path prefix of its URL."""
    parts = urlsplit(endpoint.url)
    key = (endpoint.url, endpoint.tls)
    channels = _CHANNELS.setdefault(asyncio.get_running_loop(), {})
    found = channels.get(key)
    if found is None:
        secure = parts.scheme == "https"
        port = parts.port or (443 if secure else 80)
        found = Channel(parts.hostname, port, codec=RawCodec(), ssl=_ssl(endpoint) if secure else None)
        channels[key] = found
    return found, parts.path.rstrip("/")


def forget(endpoint) -> None:
    channels = _CHANNELS.get(asyncio.get_running_loop(), {})
    found = channels.pop((endpoint.url, endpoint.tls), None)
    if found is not None:
        found.close()


def metadata(endpoint, auth: dict[str, str]) -> dict[str, str]:
    """The endpoint's ``headers`` as gRPC metadata (lower-case keys, as HTTP/2 requires) and the
    bearer token's ``authorization``."""
    out = {k.lower(): v for k, v in endpoint.headers.items()}
    if auth:
        out["authorization"] = auth["Authorization"]
    return out


def failure(exc: BaseException, endpoint, secrets: tuple[str, ...]) -> ProbeFailure:
    """A bounded ProbeFailure for what a grpclib call raised (never the URL or a token)."""
    text = scrub(f"{type(exc).__name__}: {exc}", [endpoint.url, *secrets])
    if isinstance(exc, GRPCError):
        code = exc.status.value
        reason = "auth" if code in (7, 16) else "rpc_error"
        return ProbeFailure(reason, f"gRPC status {code}: {clip(scrub(exc.message or '', [endpoint.url, *secrets]), 80)}")
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return ProbeFailure("timeout", "no gRPC answer before the deadline")
    if isinstance(exc, ssl.SSLError):
        return ProbeFailure("tls", clip(text, 160))
    if isinstance(exc, OSError):
        return ProbeFailure("connect", clip(text, 160))
    return ProbeFailure("invalid_response", clip(text, 160))


def _not_grpc(exc: BaseException) -> bool:
    if isinstance(exc, (StreamTerminatedError, ProtocolError)):
        return True
    return isinstance(exc, GRPCError) and exc.status.value == 12  # UNIMPLEMENTED (also HTTP 404)


async def unary(endpoint, method: str, request: bytes, *, timeout: float, metadata: dict[str, str], secrets: tuple[str, ...] = ()) -> tuple[bytes, float]:
    """One unary call of ``method`` (``sui.rpc.v2.LedgerService/GetServiceInfo``): (answer, seconds).

    Raises :class:`NotGrpc` when the endpoint is no gRPC server there, else ProbeFailure
    (``auth`` for UNAUTHENTICATED/PERMISSION_DENIED, ``rpc_error`` for another status,
    ``timeout``, ``connect``, ``tls``)."""
    ch, prefix = channel(endpoint)
    started = time.perf_counter()
    try:
        async with ch.request(f"{prefix}/{method}", Cardinality.UNARY_UNARY, bytes, bytes, timeout=max(0.001, timeout), metadata=metadata) as stream:
            await stream.send_message(request, end=True)
            answer = await stream.recv_message()
    except asyncio.CancelledError:
        forget(endpoint)
        raise
    except Exception as exc:  # noqa: BLE001 - every transport error becomes a bounded reason
        forget(endpoint)
        if isinstance(exc, GRPCError) and _not_grpc(exc):
            raise NotGrpc(failure(exc, endpoint, secrets)) from None
        if _not_grpc(exc):
            raise NotGrpc(
                ProbeFailure("connect", "no gRPC (HTTP/2) server: " + clip(scrub(f"{type(exc).__name__}: {exc}", [endpoint.url, *secrets]), 120))
            ) from None
        raise failure(exc, endpoint, secrets) from None
    if answer is None:
        raise ProbeFailure("invalid_response", f"{method}: gRPC status 0 without a message")
    if len(answer) > MAX_MESSAGE_BYTES:
        raise ProbeFailure("invalid_response", f"{method}: answer of {len(answer)} bytes")
    return answer, time.perf_counter() - started


async def server_stream(
    endpoint, url: str, method: str, request: bytes, *, metadata: dict[str, str], connect_timeout: float, secrets: tuple[str, ...] = ()
) -> AsyncIterator[bytes]:
    """The messages of a server-streaming call to ``url`` (the endpoint's ``ws_url``), on a
    channel of its own (a stream outlives probe rounds); ends when the server ends the stream,
    raises ProbeFailure like :func:`unary`."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    ch = Channel(parts.hostname, parts.port or (443 if secure else 80), codec=RawCodec(), ssl=_ssl(endpoint) if secure else None)
    try:
        async with ch.request(f"{parts.path.rstrip('/')}/{method}", Cardinality.UNARY_STREAM, bytes, bytes, metadata=metadata) as stream:
            try:
                async with asyncio.timeout(connect_timeout):
                    await stream.send_message(request, end=True)
                    await stream.recv_initial_metadata()
                while True:
                    message = await stream.recv_message()
                    if message is None:
                        return
                    yield message
            except (GRPCError, StreamTerminatedError, ProtocolError, OSError) as exc:
                raise failure(exc, endpoint, secrets) from None
    finally:
        ch.close()

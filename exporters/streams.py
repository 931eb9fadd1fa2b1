"""Subscription liveness: one persistent stream per endpoint that configures ``ws_url``.

A node can answer HTTP polls while its WebSocket subscriptions go quiet or fall behind
(a stuck filter, a proxy that stopped forwarding, a node that stopped pushing): applications
built on subscriptions then see a frozen chain while every HTTP check is green. This module
keeps the subscription the applications would keep — the kind's own (``kinds/<k>/stream.py``,
``STREAM``, found through the registry: EVM ``eth_subscribe newHeads``, Solana
``slotSubscribe``, beacon API Server-Sent Events ``head``) — and reports per endpoint::

    chainwatch_stream_connected{chain="eth",endpoint="geth-1",network="mainnet",role="node"} 1
    chainwatch_stream_reconnects_total{...} 3
    chainwatch_stream_last_message_age_seconds{...} 0.4
    chainwatch_stream_head_height{...} 21000000
    chainwatch_stream_lag_blocks{...} 0

``last_message_age`` counts from the last head notification (or from the start of the
watch, before the first one); ``lag_blocks`` is the endpoint's HTTP head (its last probe)
minus the subscription's head, 0 when the subscription is ahead.

Connections are made with the endpoint's headers and ``tls:`` (same context as its probes),
a handshake deadline (10 s plus two block times), a frame size cap and WebSocket heartbeats; any failure closes the
connection and a new one is tried after an exponential back-off (0.5 s doubling to 30 s,
reset by a head notification). A malformed message is dropped (it does not count as a
message); the first problem per minute is logged, never the URL.

Kind interface (``STREAM``)::

    protocol: "websocket" | "sse" | "kind"
    def subscribe(self) -> dict            # websocket: the JSON-RPC subscription request
    path: str                              # sse: the route appended to ws_url
    async def follow(self, watch)          # kind: opens its own stream on ws_url within
                                           # watch.handshake_seconds, sets watch.connected, hands
                                           # each message to watch.heard(); returns when it ends
    def head(self, message) -> float|None  # a decoded message -> announced head, None if not a
                                           # head notification; raises StreamError if malformed
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from typing import Callable

import aiohttp

from chainwatch import kinds
from chainwatch.core.chain import Endpoint
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.transport import USER_AGENT, join_url, tls_options
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.tasks import cancel

log = logging.getLogger("chainwatch.stream")

# Families only stream watches produce (never in a probe round's per-endpoint block).
FAMILIES = frozenset(
    {
        "chainwatch_stream_connected",
        "chainwatch_stream_reconnects_total",
        "chainwatch_stream_last_message_age_seconds",
        "chainwatch_stream_head_height",
        "chainwatch_stream_lag_blocks",
    }
)

HANDSHAKE_SECONDS = 10.0
HEARTBEAT_SECONDS = 15.0
CLOSE_SECONDS = 2.0  # wait for the server's close frame at most this long (a hostile one never sends it)
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 30.0
MAX_MESSAGE_BYTES = 1024 * 1024  # a newHeads notification is ~1 KB; slot and head events less
WARN_EVERY_SECONDS = 60.0


class StreamError(ValueError):
    """A message the kind's parser cannot use (bounded text, no URL): dropped, the connection stays."""


class SubscriptionRefused(StreamError):
    """The node answered the subscription request with an error: reconnect (with back-off)."""


class StreamWatch:
    """The persistent subscription of one endpoint, started and stopped with the server."""

    def __init__(self, chain_name: str, chain, endpoint: Endpoint, stream, http_head: Callable[[], float | None]):
        self.chain_name = chain_name
        self.chain = chain
        self.endpoint = endpoint
        self.stream = stream
        self.http_head = http_head
        self.labels = {"chain": chain_name, "network": chain.network, "endpoint": endpoint.name, "role": endpoint.role.value}
        self.connected = False
        self.connections = 0
        self.head: float | None = None
        self.last_message = time.monotonic()
        self.last_warning = -math.inf
        self._task: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self.last_message = time.monotonic()
        self._session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}, trust_env=False, timeout=aiohttp.ClientTimeout(total=None))
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"stream:{self.endpoint.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel(task)
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.connected = False

    @property
    def handshake_seconds(self) -> float:
        """Connect-to-answer deadline. Some event streams (Lodestar) send their headers only with
        the first event, so two block times are added to the fixed part."""
        return HANDSHAKE_SECONDS + 2 * self.chain.block_time

    @property
    def reconnects(self) -> int:
        return max(0, self.connections - 1)

    def samples(self):
        yield "chainwatch_stream_connected", self.labels, 1 if self.connected else 0
        yield "chainwatch_stream_reconnects_total", self.labels, self.reconnects
        yield "chainwatch_stream_last_message_age_seconds", self.labels, round(time.monotonic() - self.last_message, 3)
        if self.head is not None:
            yield "chainwatch_stream_head_height", self.labels, self.head
            http = self.http_head()
            if http is not None:
                yield "chainwatch_stream_lag_blocks", self.labels, max(0.0, http - self.head)

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        backoff = BACKOFF_INITIAL
        while True:
            self.connections += 1
            heard = self.head_count
            try:
                if self.stream.protocol == "sse":
                    await self._sse()
                elif self.stream.protocol == "kind":
                    await self.stream.follow(self)  # a transport of the kind's own (Sui gRPC server streams)
                else:
                    await self._websocket()
                problem = "the server closed the stream"
            except asyncio.CancelledError:
                raise
            except StreamError as exc:
                problem = str(exc)
            except ProbeFailure as exc:
                problem = f"{exc.reason}: {exc.detail}"
            except TimeoutError:
                problem = f"no WebSocket/SSE handshake within {self.handshake_seconds:g}s"
            except Exception as exc:  # noqa: BLE001 - every network or parse error means: reconnect
                problem = f"{type(exc).__name__}: {exc}"
            self.connected = False
            self._warn(problem)
            if self.head_count != heard:
                backoff = BACKOFF_INITIAL  # that connection worked: start over
            await asyncio.sleep(backoff)
            backoff = min(BACKOFF_MAX, backoff * 2)

    head_count = 0

    def _heard(self, message) -> None:
        value = self.stream.head(message)  # StreamError on a malformed message
        if value is None:
            return
        if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise StreamError("head is not a non-negative number")
        self.head = float(value)
        self.last_message = time.monotonic()
        self.head_count += 1

    @property
    def session(self) -> aiohttp.ClientSession:
        """The watch's HTTP session (a kind's ``follow`` may stream over it)."""
        assert self._session is not None
        return self._session

    def heard(self, message) -> None:
        """One message of a kind's own stream: a head counts, a malformed one is dropped."""
        try:
            self._heard(message)
        except SubscriptionRefused:
            raise
        except StreamError as exc:
            self._drop(str(exc))

    def _drop(self, problem: str) -> None:
        """A malformed message: dropped, the connection stays."""
        self._warn(f"message dropped: {problem}")

    def _warn(self, problem: str) -> None:
        now = time.monotonic()
        if now - self.last_warning < WARN_EVERY_SECONDS:
            return
        self.last_warning = now
        text = scrub(problem, [self.endpoint.ws_url or "", self.endpoint.url, *self.endpoint.secrets])[:200]
        log.warning("stream problem", extra={"endpoint": self.endpoint.name, "chain": self.chain_name, "detail": text})

    async def _websocket(self) -> None:
        assert self._session is not None
        async with asyncio.timeout(self.handshake_seconds):
            ws = await self._session.ws_connect(
                self.endpoint.ws_url,
                headers=dict(self.endpoint.headers),
                heartbeat=HEARTBEAT_SECONDS,
                max_msg_size=MAX_MESSAGE_BYTES,
                autoping=True,
                timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_SECONDS),
                **tls_options(self.endpoint),
            )
        async with ws:
            await ws.send_str(json.dumps(self.stream.subscribe(), separators=(",", ":")))
            self.connected = True
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    try:
                        data = json.loads(msg.data)
                    except (ValueError, RecursionError):
                        self._drop("not JSON")
                        continue
                    try:
                        self._heard(data)
                    except SubscriptionRefused:
                        raise
                    except StreamError as exc:
                        self._drop(str(exc))
                elif msg.type is aiohttp.WSMsgType.BINARY:
                    self._drop("binary frame")
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    raise StreamError(f"WebSocket error: {type(ws.exception()).__name__}: {ws.exception()}")
                else:
                    break

    async def _sse(self) -> None:
        assert self._session is not None
        url = join_url(self.endpoint.ws_url, self.stream.path)
        headers = {**self.endpoint.headers, "Accept": "text/event-stream"}
        async with asyncio.timeout(self.handshake_seconds):
            resp = await self._session.get(url, headers=headers, allow_redirects=False, **tls_options(self.endpoint))
        async with resp:
            if resp.status != 200:
                raise StreamError(f"HTTP {resp.status} for the event stream")
            self.connected = True
            event, data = "message", []
            while True:
                try:
                    raw = await resp.content.readline()  # aiohttp caps a line (ValueError past its limit)
                except ValueError:
                    raise StreamError("event line too long") from None
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line == "":
                    if data:
                        self._sse_event(event, "\n".join(data))
                    event, data = "message", []
                elif line.startswith(":"):
                    continue  # comment / keep-alive
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        event = value
                    elif name == "data":
                        if sum(len(d) for d in data) + len(value) > MAX_MESSAGE_BYTES:
                            raise StreamError("event larger than the size cap")
                        data.append(value)

    def _sse_event(self, event: str, data: str) -> None:
        try:
            payload = json.loads(data)
        except (ValueError, RecursionError):
            self._drop("event data is not JSON")
            return
        try:
            self._heard({"event": event, "data": payload})
        except StreamError as exc:
            self._drop(str(exc))


def watches_for(config, http_head: Callable[[str], float | None]) -> dict[str, StreamWatch]:
    """A watch per endpoint with ``ws_url`` whose kind has a stream (``capabilities`` has ``stream``)."""
    out = {}
    for cname, chain, endpoint in config.endpoints():
        if not endpoint.ws_url:
            continue
        kind = kinds.get(chain.kind)
        if "stream" not in kind.capabilities:
            continue
        out[endpoint.name] = StreamWatch(cname, chain, endpoint, kind.stream(), lambda n=endpoint.name: http_head(n))
    return out

"""N fake EVM JSON-RPC endpoints on loopback, in one asyncio process.

    python -m bench.loadgen --endpoints 1000 --delay 0.1 --jitter 0.01

Each endpoint is its own listening port (the kernel picks them): a real deployment probes
distinct hosts, so the clients' connection pools are keyed per endpoint exactly as in
production (one port with a path per endpoint would let aiohttp and Go share a handful of
pooled connections between all endpoints, which no real fleet does). 1000 listening
sockets on loopback cost nothing.

The server is a raw ``asyncio.Protocol`` speaking just enough HTTP/1.1 (keep-alive,
Content-Length bodies) so that serving 1000 concurrent requests costs a few ms of CPU and
the load generator never becomes the slow side of the measurement. Every request is
answered after ``delay`` ± uniform ``jitter`` seconds, timed with ``loop.call_later``
from the moment the whole request has arrived; the delay actually served (arrival to
write, timer lateness included) for the last request of each endpoint is kept, so the
benchmark compares the exporter's reported latency with the real delay of that very
request.

The answer to a JSON-RPC batch is built per method (ids echoed) and cached per request
body, so repeated rounds cost no JSON work. ``eth_getBlockByNumber`` returns a block
stamped at start-up time; the chain id is 1.

Websocket mode, on the same endpoint ports (for a peer that holds an ``eth_subscribe("newHeads")``
subscription per endpoint, e.g. smartcontractkit/Blockchain-RPC-Exporter's EVM collector): a
request with ``Upgrade: websocket`` to ``/<token>/`` hands its connection to a websocket session
(framing by ``wsproto``, the ``bench`` extra; imported only when an upgrade arrives, so the HTTP
path neither needs nor pays for it). Each text message is one JSON-RPC call answered as over HTTP,
after the same delay and counted the same way; ``eth_subscribe`` ``["newHeads"]`` answers a
subscription id, and from then on every ``--block-interval`` seconds a head (number counting up
from ``HEAD``) is pushed as an ``eth_subscription`` notification (geth's format:
https://geth.ethereum.org/docs/interacting-with-geth/rpc/pubsub). Pings are answered with pongs.

Control port (printed on stdout as JSON with the endpoint ports):
``GET /state`` -> ``{"counts": [...], "last_delay": [...], "foreign": n, "ws_accepted": n,
"ws_open": n, "subscriptions": n, "heads_pushed": n}`` (requests that
were not a JSON-RPC POST to ``/<token>/``, e.g. another program on this shared machine still
probing a port it once used and the kernel has since handed to us, are answered 404 and
not counted; ``ws_accepted`` counts websocket handshakes since the last reset, ``subscriptions``
the newHeads subscriptions open now); ``POST /reset`` zeroes counts and ``ws_accepted``. ``--token`` is the run's random path prefix:
without it a foreign JSON-RPC POST to ``/`` was counted as the exporter's (bench run of
2026-11-29: one endpoint asked ~1.4-2× per round, at a steady rate whatever the scrapers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import signal
import sys
import time

HEAD = 20_000_000
STAMP = int(time.time())
RESULTS = {
    "eth_chainId": "0x1",
    "eth_blockNumber": hex(HEAD),
    "eth_syncing": False,
    "net_peerCount": "0x32",
    "txpool_status": {"pending": "0x10", "queued": "0x2"},
    "eth_getBlockByNumber": {"number": hex(HEAD), "timestamp": hex(STAMP), "baseFeePerGas": "0x3b9aca00", "hash": "0x" + "ab" * 32},
    "eth_gasPrice": "0x4a817c800",
    "web3_clientVersion": "Geth/v1.14.8-stable/linux-amd64/go1.22.6",
    "eth_getBalance": "0x0",
}


def answer(body: bytes) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}).encode()

    def one(item):
        method = item.get("method")
        if method in RESULTS:
            return {"jsonrpc": "2.0", "id": item.get("id"), "result": RESULTS[method]}
        return {"jsonrpc": "2.0", "id": item.get("id"), "error": {"code": -32601, "message": "method not found"}}

    out = [one(i) for i in data] if isinstance(data, list) else one(data)
    return json.dumps(out, separators=(",", ":")).encode()


def http_response(status: str, payload: bytes, content_type: bytes = b"application/json") -> bytes:
    return (
        b"HTTP/1.1 "
        + status.encode()
        + b"\r\nContent-Type: "
        + content_type
        + b"\r\nContent-Length: "
        + str(len(payload)).encode()
        + b"\r\nConnection: keep-alive\r\n\r\n"
        + payload
    )


class Fleet:
    def __init__(self, n: int, delay: float, jitter: float, seed: int = 1):
        self.n = n
        self.delay = delay
        self.jitter = jitter
        self.counts = [0] * n
        self.foreign = 0
        self.last_delay = [None] * n
        self.random = random.Random(seed)
        self._answers: dict[bytes, bytes] = {}
        self._texts: dict[str, str] = {}
        self.ws_accepted = 0
        self.ws_open = 0
        self.subscribers: dict[WebsocketSession, str] = {}  # session -> its newHeads subscription id
        self.heads_pushed = 0

    def text_for(self, message: str) -> str:
        """The JSON-RPC answer to a websocket text message, cached per message like ``reply_for``."""
        cached = self._texts.get(message)
        if cached is None:
            cached = self._texts[message] = answer(message.encode()).decode()
        return cached

    def reply_for(self, body: bytes) -> bytes:
        cached = self._answers.get(body)
        if cached is None:
            cached = self._answers[body] = http_response("200 OK", answer(body))
        return cached

    def injected(self) -> float:
        if self.jitter:
            return max(0.0, self.delay + self.random.uniform(-self.jitter, self.jitter))
        return self.delay


def is_websocket_upgrade(lines: list[str]) -> bool:
    """Whether the request's header lines carry ``Upgrade: websocket`` (names and token case-insensitive)."""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "upgrade" and value.strip().lower() == "websocket":
            return True
    return False


class HttpProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 server side: pipelining not needed, keep-alive yes."""

    def __init__(self, on_request, index: int = -1, on_upgrade=None):
        self.on_request = on_request
        self.index = index
        self.on_upgrade = on_upgrade
        self.buffer = b""
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            lines = head.split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            # A substring test first, so a plain POST pays ~50 ns for the websocket mode.
            if self.on_upgrade is not None and ("pgrade:" in head or "PGRADE:" in head) and is_websocket_upgrade(lines):
                # The connection stops being HTTP: the websocket session reads the handshake
                # (and anything sent after it) from the bytes as they arrived.
                data, self.buffer = self.buffer, b""
                self.on_upgrade(self, data)
                return
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = self.buffer[end + 4 : total]
            self.buffer = self.buffer[total:]
            parts = lines[0].split(" ")
            self.on_request(self, parts[0], parts[1] if len(parts) > 1 else "/", body)

    def send(self, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(payload)

    def connection_lost(self, exc):
        self.transport = None


class WebsocketSession(asyncio.Protocol):
    """One upgraded endpoint connection: JSON-RPC text messages in, answers and heads out.

    Replaces the ``HttpProtocol`` on its transport (``transport.set_protocol``). The handshake is
    refused with 404 (and counted as foreign) unless its path is the run's prefix; a message that
    is not JSON gets a JSON-RPC parse error, as over HTTP. Frames are built and parsed by
    ``wsproto`` (RFC 6455).
    """

    def __init__(self, fleet: Fleet, index: int, prefix: str, transport, loop, on_answer):
        from wsproto import ConnectionType, WSConnection

        self.fleet = fleet
        self.index = index
        self.prefix = prefix
        self.transport = transport
        self.loop = loop
        self.on_answer = on_answer
        self.ws = WSConnection(ConnectionType.SERVER)
        self.text: list[str] = []
        self.open = False

    def data_received(self, data: bytes) -> None:
        from wsproto.events import AcceptConnection, CloseConnection, Ping, RejectConnection, Request, TextMessage
        from wsproto.utilities import RemoteProtocolError

        try:
            self.ws.receive_data(data)
            for event in self.ws.events():
                if isinstance(event, Request):
                    if not event.target.startswith(self.prefix):
                        self.fleet.foreign += 1
                        self.write(self.ws.send(RejectConnection(status_code=404, headers=[(b"connection", b"close")])))
                        self.transport.close()
                        return
                    self.write(self.ws.send(AcceptConnection()))
                    self.open = True
                    self.fleet.ws_accepted += 1
                    self.fleet.ws_open += 1
                elif isinstance(event, TextMessage):
                    self.text.append(event.data)
                    if event.message_finished:
                        message, self.text = "".join(self.text), []
                        self.on_message(message)
                elif isinstance(event, Ping):
                    self.write(self.ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    self.write(self.ws.send(event.response()))
                    self.transport.close()
                    return
        except RemoteProtocolError:
            self.transport.close()

    def on_message(self, message: str) -> None:
        self.fleet.counts[self.index] += 1
        try:
            call = json.loads(message)
        except ValueError:
            call = None
        if isinstance(call, dict) and call.get("method") == "eth_subscribe" and call.get("params", [None])[0] == "newHeads":
            sub = f"0x{self.index:032x}"
            self.fleet.subscribers[self] = sub
            reply = json.dumps({"jsonrpc": "2.0", "id": call.get("id"), "result": sub})
        else:
            reply = self.fleet.text_for(message)
        self.loop.call_later(self.fleet.injected(), self.on_answer, self, reply, self.loop.time())

    def send_text(self, text: str) -> None:
        from wsproto.events import TextMessage

        if self.open and not self.transport.is_closing():
            self.write(self.ws.send(TextMessage(data=text)))

    def write(self, payload: bytes) -> None:
        if payload and not self.transport.is_closing():
            self.transport.write(payload)

    def connection_lost(self, exc) -> None:
        if self.open:
            self.fleet.ws_open -= 1
        self.open = False
        self.fleet.subscribers.pop(self, None)


async def push_heads(fleet: Fleet, interval: float) -> None:
    """Every ``interval`` seconds a new head to every newHeads subscription (number + 1 each time)."""
    number = HEAD
    while True:
        await asyncio.sleep(interval)
        number += 1
        head = json.dumps(
            {
                "number": hex(number),
                "hash": f"0x{number:064x}",
                "parentHash": f"0x{number - 1:064x}",
                "timestamp": hex(int(time.time())),
                "baseFeePerGas": "0x3b9aca00",
            },
            separators=(",", ":"),
        )
        for session, sub in list(fleet.subscribers.items()):
            session.send_text('{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"%s","result":%s}}' % (sub, head))
            fleet.heads_pushed += 1


async def serve(n: int, delay: float, jitter: float, host: str = "127.0.0.1", token: str = "", block_interval: float = 2.0) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    loop = asyncio.get_running_loop()
    fleet = Fleet(n, delay, jitter)
    prefix = f"/{token}/" if token else "/"

    def endpoint_handler(index: int):
        def on_request(proto: HttpProtocol, method: str, path: str, body: bytes) -> None:
            if method != "POST" or not path.startswith(prefix) or not body.lstrip().startswith((b"[", b"{")):
                # Not a probe: on a shared machine another test's Prometheus may still scrape a
                # port it once used and the kernel has since handed to us. Not counted.
                fleet.foreign += 1
                proto.send(http_response("404 Not Found", b"{}"))
                return
            fleet.counts[index] += 1
            reply = fleet.reply_for(body)
            arrived = loop.time()
            loop.call_later(fleet.injected(), answer_now, proto, reply, arrived)

        return on_request

    def answer_now(proto: HttpProtocol, reply: bytes, arrived: float) -> None:
        proto.send(reply)
        # The delay really served: the timer fires up to ~1 ms late (epoll's millisecond
        # timeout) and later still when this process waits for a CPU. That lateness is
        # the endpoint's, not the exporter's measurement error, so it is the reference.
        fleet.last_delay[proto.index] = loop.time() - arrived

    def answer_ws(session: WebsocketSession, reply: str, arrived: float) -> None:
        session.send_text(reply)
        fleet.last_delay[session.index] = loop.time() - arrived

    def upgrade(proto: HttpProtocol, data: bytes) -> None:
        try:
            session = WebsocketSession(fleet, proto.index, prefix, proto.transport, loop, answer_ws)
        except ImportError:  # wsproto missing: the bench extra is not installed
            fleet.foreign += 1
            proto.send(http_response("501 Not Implemented", b'{"error":"websocket mode needs wsproto: pip install -e .[bench]"}'))
            return
        proto.transport.set_protocol(session)
        session.data_received(data)

    def control(proto: HttpProtocol, method: str, path: str, body: bytes) -> None:
        if path.startswith("/reset"):
            fleet.counts = [0] * n
            fleet.ws_accepted = 0
            proto.send(http_response("200 OK", b"{}"))
        elif path.startswith("/state"):
            proto.send(
                http_response(
                    "200 OK",
                    json.dumps(
                        {
                            "counts": fleet.counts,
                            "last_delay": fleet.last_delay,
                            "foreign": fleet.foreign,
                            "ws_accepted": fleet.ws_accepted,
                            "ws_open": fleet.ws_open,
                            "subscriptions": len(fleet.subscribers),
                            "heads_pushed": fleet.heads_pushed,
                        }
                    ).encode(),
                )
            )
        else:
            proto.send(http_response("404 Not Found", b"{}"))

    servers = []
    ports = []
    for i in range(n):
        server = await loop.create_server(lambda i=i: HttpProtocol(endpoint_handler(i), i, upgrade), host, 0, backlog=1024)
        servers.append(server)
        ports.append(server.sockets[0].getsockname()[1])
    ctl = await loop.create_server(lambda: HttpProtocol(control), host, 0)
    print(json.dumps({"ports": ports, "control": ctl.sockets[0].getsockname()[1]}), flush=True)
    pusher = asyncio.create_task(push_heads(fleet, block_interval)) if block_interval > 0 else None
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    if pusher is not None:
        pusher.cancel()
    for server in [*servers, ctl]:
        server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--jitter", type=float, default=0.0)
    parser.add_argument("--block-interval", type=float, default=2.0, help="seconds between heads pushed to newHeads subscriptions (0: none)")
    parser.add_argument("--token", default="", help="count only requests to /<token>/ (the bench passes a random one per run)")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.endpoints, args.delay, args.jitter, token=args.token, block_interval=args.block_interval))
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(0)


if __name__ == "__main__":
    main()

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

Control port (printed on stdout as JSON with the endpoint ports):
``GET /state`` -> ``{"counts": [...], "last_delay": [...], "foreign": n}`` (requests that
were not a JSON-RPC POST to ``/<token>/``, e.g. another program on this shared machine still
probing a port it once used and the kernel has since handed to us, are answered 404 and
not counted); ``POST /reset`` zeroes counts. ``--token`` is the run's random path prefix:
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

    def reply_for(self, body: bytes) -> bytes:
        cached = self._answers.get(body)
        if cached is None:
            cached = self._answers[body] = http_response("200 OK", answer(body))
        return cached

    def injected(self) -> float:
        if self.jitter:
            return max(0.0, self.delay + self.random.uniform(-self.jitter, self.jitter))
        return self.delay


class HttpProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 server side: pipelining not needed, keep-alive yes."""

    def __init__(self, on_request, index: int = -1):
        self.on_request = on_request
        self.index = index
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


async def serve(n: int, delay: float, jitter: float, host: str = "127.0.0.1", token: str = "") -> None:
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

    def control(proto: HttpProtocol, method: str, path: str, body: bytes) -> None:
        if path.startswith("/reset"):
            fleet.counts = [0] * n
            proto.send(http_response("200 OK", b"{}"))
        elif path.startswith("/state"):
            proto.send(http_response("200 OK", json.dumps({"counts": fleet.counts, "last_delay": fleet.last_delay, "foreign": fleet.foreign}).encode()))
        else:
            proto.send(http_response("404 Not Found", b"{}"))

    servers = []
    ports = []
    for i in range(n):
        server = await loop.create_server(lambda i=i: HttpProtocol(endpoint_handler(i), i), host, 0, backlog=1024)
        servers.append(server)
        ports.append(server.sockets[0].getsockname()[1])
    ctl = await loop.create_server(lambda: HttpProtocol(control), host, 0)
    print(json.dumps({"ports": ports, "control": ctl.sockets[0].getsockname()[1]}), flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    for server in [*servers, ctl]:
        server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--jitter", type=float, default=0.0)
    parser.add_argument("--token", default="", help="count only requests to /<token>/ (the bench passes a random one per run)")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.endpoints, args.delay, args.jitter, token=args.token))
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(0)


if __name__ == "__main__":
    main()

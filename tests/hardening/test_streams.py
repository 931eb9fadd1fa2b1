"""Bad input on head subscriptions (``ws_url``): hostile WebSocket and SSE servers.

The servers here misbehave on purpose (aiohttp on loopback, not nodes): garbage and binary
frames, a frame over the size cap, a handshake that never ends, an HTTP page instead of a
WebSocket, an event stream with garbage and an endless line. Each watch must stay bounded:
no made-up head, reconnects with back-off instead of a storm, at most one warning per
endpoint per minute, and the exporter's other endpoints unaffected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import pytest
from aiohttp import web

from chainwatch.assembly.config import parse
from chainwatch.exporters import streams
from chainwatch.exporters.streams import watches_for
from chainwatch.devnet.procs import free_port
from tests.support.poll import async_wait_until

HEAD = {"jsonrpc": "2.0", "method": "eth_subscription", "params": {"subscription": "0x1", "result": {"number": "0x10"}}}


async def _ws(request: web.Request, frames) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=0)
    await ws.prepare(request)
    await ws.receive()  # the subscription request
    for frame in frames:
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
    try:
        await asyncio.sleep(30)  # the scenario, not a wait: the server keeps the socket open and silent
    finally:
        await ws.close()
    return ws


CASES = {
    # case: (frames, expected head, expects reconnects)
    "garbage_frames": (
        [
            "not json {",
            "[1,2,3]",
            json.dumps({"method": "eth_subscription", "params": {"result": {"number": 16}}}),
            json.dumps({"method": "eth_subscription", "params": "x"}),
            json.dumps(HEAD),
        ],
        16,
        False,
    ),
    "binary_frames": ([b"\x00\xff" * 100, json.dumps(HEAD)], 16, False),
    "huge_frame": (["[" + "1," * (streams.MAX_MESSAGE_BYTES // 2 + 10) + "1]"], None, True),
    "refused": ([json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "notifications not supported"}})], None, True),
}


@pytest.fixture
def hostile():
    loop_holder = {}

    async def start():
        app = web.Application()
        for case, (frames, _, _) in CASES.items():

            async def handler(request, f=frames):
                return await _ws(request, f)

            app.router.add_get(f"/{case}", handler)

        async def html(request):
            return web.Response(text="<html>Welcome to nginx!</html>", content_type="text/html")

        app.router.add_get("/html", html)
        app.router.add_get("/sse/eth/v1/events", _sse_garbage)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        # A TCP server that accepts and never says anything: the handshake never ends.
        silent = await asyncio.start_server(lambda r, w: loop_holder.setdefault("held", []).append(w), "127.0.0.1", 0)
        return runner, port, silent

    return start


async def _sse_garbage(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    await resp.write(b"event: head\ndata: {not json\n\n")
    await resp.write(b'event: head\ndata: {"slot": 17}\n\n')  # a number, not the API's decimal string
    await resp.write(b": keep-alive comment\n\n")
    await resp.write(b'event: head\ndata: {"slot": "18", "block": "0x1"}\n\n')
    await resp.write(b"event: head\ndata: " + b"9" * (200 * 1024))  # one endless line
    await asyncio.sleep(30)  # the scenario, not a wait: the line never ends
    return resp


def _config(port: int, silent_port: int) -> str:
    ws = [f'      - {{name: ws-{c.replace("_", "-")}, url: "http://127.0.0.1:1/", ws_url: "ws://127.0.0.1:{port}/{c}"}}' for c in CASES]
    return (
        "\n".join(
            [
                "chains:",
                "  e:",
                "    kind: evm",
                "    network: devnet",
                "    chain_id: 1",
                "    block_time_seconds: 1",
                "    endpoints:",
                *ws,
                f'      - {{name: ws-html, url: "http://127.0.0.1:1/", ws_url: "ws://127.0.0.1:{port}/html"}}',
                f'      - {{name: ws-silent, url: "http://127.0.0.1:1/", ws_url: "ws://127.0.0.1:{silent_port}/"}}',
                "  b:",
                "    kind: beacon",
                "    network: devnet",
                "    seconds_per_slot: 1",
                "    endpoints:",
                f'      - {{name: sse-garbage, url: "http://127.0.0.1:1/", ws_url: "http://127.0.0.1:{port}/sse"}}',
            ]
        )
        + "\n"
    )


def _sample(watch, name):
    return next((v for n, _, v in watch.samples() if n == name), None)


async def test_hostile_subscriptions_stay_bounded(hostile, monkeypatch, caplog):
    monkeypatch.setattr(streams, "HANDSHAKE_SECONDS", 1.0)
    monkeypatch.setattr(streams, "BACKOFF_MAX", 1.0)
    runner, port, silent = await hostile()
    try:
        config = parse(_config(port, silent.sockets[0].getsockname()[1]), env={})
    except Exception as exc:  # the beacon model's slot field name may differ: say so plainly
        raise AssertionError(f"test config rejected: {exc}") from None
    watches = watches_for(config, lambda name: 20.0)
    caplog.set_level(logging.WARNING, logger="chainwatch.stream")
    try:
        for w in watches.values():
            await w.start()
        # 15 s: two back-offs of the failing streams (BACKOFF_MAX patched low) on a loaded machine.
        # A miss is reported by the assertions below, which say which stream is wrong.
        with contextlib.suppress(AssertionError):
            await async_wait_until(
                lambda: (
                    watches["ws-garbage-frames"].head == 16
                    and watches["ws-binary-frames"].head == 16
                    and watches["sse-garbage"].head == 18
                    and all(watches[n].reconnects >= 2 for n in ("ws-huge-frame", "ws-refused", "ws-html", "ws-silent"))
                ),
                15,
                "every stream in its end state",
            )
        # Malformed messages are dropped, the good ones still count, the connection stays.
        for n in ("ws-garbage-frames", "ws-binary-frames"):
            assert watches[n].head == 16 and watches[n].connected and watches[n].reconnects == 0, n
            assert _sample(watches[n], "chainwatch_stream_lag_blocks") == 4  # HTTP head 20
        assert watches["sse-garbage"].head == 18  # then the endless line: dropped connection, reconnect
        # Over the cap, refused, not a WebSocket, no handshake at all: no head, retried with back-off.
        for n in ("ws-huge-frame", "ws-refused", "ws-html", "ws-silent"):
            w = watches[n]
            assert w.head is None and _sample(w, "chainwatch_stream_head_height") is None, n
            assert 2 <= w.reconnects <= 20, (n, w.reconnects)  # back-off, not a storm
        # Each problem said at most once per endpoint (the test runs well within a minute), never a URL.
        said = [r for r in caplog.records if r.name == "chainwatch.stream"]
        per = {}
        for r in said:
            per[r.endpoint] = per.get(r.endpoint, 0) + 1
        assert per and max(per.values()) == 1, per
        assert not any(f"127.0.0.1:{port}" in r.getMessage() + str(getattr(r, "detail", "")) for r in said)
    finally:
        for w in watches.values():
            await w.stop()
        silent.close()
        await runner.cleanup()

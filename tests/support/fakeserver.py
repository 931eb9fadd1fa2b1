"""The one fake upstream server of the tests: a programmable HTTP(S) server on loopback.

aioresponses (the aiohttp counterpart of respx) does not work with aiohttp 3.14
(``ClientResponse`` now needs a ``stream_writer``), and a real socket is the better
test anyway: the probe's real transport — deadline, size cap, decompression, error
mapping — is exercised exactly as in production. The server runs its own event loop in
a thread, so synchronous and asynchronous tests can both use it.

    with FakeServer() as srv:
        srv.jsonrpc("/", {"eth_chainId": "0x1"})
        srv.route("GET", "/eth/v1/node/health", status=206)
        ... probe srv.url("/") ...
        srv.assert_all_called()

What it answers comes from tables: :mod:`tests.support.answers` holds each kind's
well-behaved answers in the shapes of its API's public documentation (``srv.jsonrpc("/",
answers.evm_results())``), and :class:`tests.support.hostile.HostileServer` is this server
with the table of ways an upstream misbehaves (``/<case>/...``), per kind. Every request is
recorded in ``requests`` as ``(method, path_qs, headers, body)``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from chainwatch.devnet.procs import free_port

Handler = Callable[[web.Request, bytes], Any]


class Gate:
    """Answers held until the test says so: ``gate = srv.gate()``, ``srv.jsonrpc(path, ..., hold=gate)``,
    then ``gate.release()`` from the test. Lets a test keep a probe in flight for as long as it
    needs without guessing a delay."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()

    def release(self) -> None:
        self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self) -> None:
        await self._event.wait()


class FakeServer:
    def __init__(self, ssl_context=None) -> None:
        self.ssl_context = ssl_context  # serve HTTPS with this server context (tests/exporter/test_tls.py)
        self.port = free_port()
        self.routes: dict[tuple[str, str], Handler] = {}
        self.hits: dict[tuple[str, str], int] = {}
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self._closing = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context else "http"

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    async def sleep(self, seconds: float) -> None:
        """Sleep inside a handler, but wake up when the server stops (stop() never waits on a stall)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self._closing.is_set():
            await asyncio.sleep(min(0.1, end - time.monotonic()))

    # ------------------------------------------------------------------ routes

    def route(
        self,
        method: str,
        path: str,
        handler: Handler | None = None,
        *,
        json_body: Any = None,
        status: int = 200,
        body: bytes | str | None = None,
        headers: dict | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer ``method path`` with a fixed reply, or with ``handler(request, body)``.

        A handler may return a ``web.StreamResponse``, a (status, json) tuple or a JSON value.
        """
        if handler is None:

            async def handler(request, raw):
                if delay:
                    await asyncio.sleep(delay)
                if body is not None:
                    data = body.encode() if isinstance(body, str) else body
                    return web.Response(
                        status=status, body=data, headers=headers, content_type=None if headers and "Content-Type" in headers else "application/json"
                    )
                return web.json_response(json_body, status=status, headers=headers)

        self.routes[(method.upper(), path)] = handler
        self.hits.setdefault((method.upper(), path), 0)

    def gate(self) -> Gate:
        return Gate(self._loop)

    def jsonrpc(self, path: str, results: dict[str, Any] | Callable[[str, list], Any], *, delay: float = 0.0, hold: Gate | None = None) -> None:
        """JSON-RPC over POST ``path``: single calls and batches, results by method.
        ``hold``: every answer waits for that gate's release (counted on arrival, as always).

        ``results[method]`` may be a value, ``{"code":..,"message":..}`` (an error object),
        or a callable ``(params) -> value``. Methods not listed answer -32601.
        """

        def answer(call: dict) -> dict:
            method, params = call.get("method"), call.get("params", [])
            if callable(results):
                value = results(method, params)
            elif method in results:
                value = results[method]
                value = value(params) if callable(value) else value
            else:
                value = {"code": -32601, "message": f"the method {method} does not exist/is not available"}
            if isinstance(value, dict) and set(value) >= {"code", "message"} and len(value) <= 3:
                return {"jsonrpc": "2.0", "id": call.get("id"), "error": value}
            return {"jsonrpc": "2.0", "id": call.get("id"), "result": value}

        async def handler(request, raw):
            if hold is not None:
                await hold.wait()
            if delay:
                await asyncio.sleep(delay)
            payload = json.loads(raw)
            if isinstance(payload, list):
                return web.json_response([answer(c) for c in payload])
            return web.json_response(answer(payload))

        self.route("POST", path, handler)

    def calls(self, method: str, path: str) -> int:
        return self.hits.get((method.upper(), path), 0)

    def assert_all_called(self) -> None:
        missed = [f"{m} {p}" for (m, p), n in self.hits.items() if n == 0]
        assert not missed, f"routes never called: {missed}"

    # ------------------------------------------------------------------ lifecycle

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        key = (request.method, request.path)
        self.requests.append((request.method, request.path_qs, dict(request.headers), raw))
        handler = self.routes.get(key)
        if handler is None:
            return await self.unrouted(request, raw)
        self.hits[key] += 1
        out = handler(request, raw)
        if asyncio.iscoroutine(out):
            out = await out
        if isinstance(out, web.StreamResponse):
            return out
        if isinstance(out, tuple):
            return web.json_response(out[1], status=out[0])
        return web.json_response(out)

    async def unrouted(self, request: web.Request, raw: bytes) -> web.StreamResponse:
        """The answer to a request no route matches (a subclass may dispatch it by table)."""
        return web.Response(status=404, text="not found")

    # Request body cap and how long stop() lets an answer in flight finish (a delayed answer is
    # cancelled instead of holding the test's teardown for its delay).
    client_max_size = 1024**3
    shutdown_timeout = 0.25

    def start(self) -> "FakeServer":
        self._thread.start()

        async def boot():
            app = web.Application(client_max_size=self.client_max_size)
            app.router.add_route("*", "/{tail:.*}", self._dispatch)
            self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=self.shutdown_timeout, handle_signals=False)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=self.ssl_context).start()

        asyncio.run_coroutine_threadsafe(boot(), self._loop).result(10)
        return self

    def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(15)
            except Exception:  # noqa: BLE001 - a test server that dies while stopping is still stopped
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

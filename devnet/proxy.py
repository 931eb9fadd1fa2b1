"""A fault-injecting JSON-RPC proxy in front of a real node (demo and end-to-end tests).

One aiohttp server, one path per proxied endpoint: ``POST /<name>`` forwards the request
body unchanged to that route's upstream (an anvil) and returns its answer — unless a fault
is set on the route:

- ``slow``: every request waits ``delay`` seconds before it is forwarded (a congested node);
- ``errors``: every ``every``-th request is answered HTTP 503 without reaching the node
  (a flaky load balancer: some requests fail, the endpoint is not down);
- ``wrong_chain``: ``eth_chainId`` answers carry ``chain_id`` instead of the node's
  (a node pointed at another network).

    proxy = FaultProxy({"node-2": "http://127.0.0.1:8545"})
    await proxy.start()                     # proxy.url("node-2") -> http://127.0.0.1:<port>/node-2
    proxy.set_fault("node-2", "slow", delay=0.6)
    proxy.clear("node-2")

Only loopback upstreams configured at start are ever contacted.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from chainwatch.devnet.loopback import AppSite

FAULTS = ("slow", "errors", "wrong_chain")


@dataclass
class Route:
    upstream: str
    fault: str | None = None
    delay: float = 0.0
    every: int = 2
    chain_id: int = 1
    counter: itertools.count = field(default_factory=itertools.count)
    forwarded: int = 0
    failed: int = 0


class FaultProxy:
    def __init__(self, upstreams: dict[str, str], host: str = "127.0.0.1", port: int = 0):
        self.routes = {name: Route(url) for name, url in upstreams.items()}
        self.host = host
        self.port = port
        self._site = AppSite(self.host, self.port)
        self._session: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ control

    def set_fault(self, name: str, fault: str, *, delay: float = 0.6, every: int = 2, chain_id: int = 1) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown proxy fault {fault!r} (faults: {', '.join(FAULTS)})")
        route = self.routes[name]
        route.fault, route.delay, route.every, route.chain_id = fault, delay, max(1, every), chain_id
        route.counter = itertools.count()

    def clear(self, name: str | None = None) -> None:
        for n, route in self.routes.items():
            if name is None or n == name:
                route.fault = None

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.port}/{name}"

    def state(self) -> dict:
        return {n: {"fault": r.fault, "forwarded": r.forwarded, "failed": r.failed} for n, r in self.routes.items()}

    # ------------------------------------------------------------------ serving

    async def handle(self, request: web.Request) -> web.Response:
        route = self.routes.get(request.match_info["name"])
        if route is None:
            return web.Response(status=404, text="unknown route\n")
        body = await request.read()
        if route.fault == "slow":
            await asyncio.sleep(route.delay)
        if route.fault == "errors" and next(route.counter) % route.every == 0:
            route.failed += 1
            return web.Response(status=503, text="injected error (chainwatch demo)\n")
        assert self._session is not None
        async with self._session.post(route.upstream, data=body, headers={"Content-Type": "application/json"}) as resp:
            data = await resp.read()
            status = resp.status
        route.forwarded += 1
        if route.fault == "wrong_chain":
            data = _rewrite_chain_id(body, data, route.chain_id)
        return web.Response(status=status, body=data, content_type="application/json")

    async def start(self) -> "FaultProxy":
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/{name}", self.handle)
        self.port = await self._site.start(app)
        return self

    async def stop(self) -> None:
        await self._site.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None


def _rewrite_chain_id(request: bytes, answer: bytes, chain_id: int) -> bytes:
    """Replace the result of every ``eth_chainId`` call (single or batch) with ``chain_id``."""
    try:
        req, ans = json.loads(request), json.loads(answer)
    except ValueError:
        return answer
    reqs = req if isinstance(req, list) else [req]
    ids = {r.get("id") for r in reqs if isinstance(r, dict) and r.get("method") == "eth_chainId"}
    if not ids:
        return answer
    items = ans if isinstance(ans, list) else [ans]
    for item in items:
        if isinstance(item, dict) and item.get("id") in ids and "result" in item:
            item["result"] = hex(chain_id)
    return json.dumps(ans).encode()

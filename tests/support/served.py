"""The exporter served in the test's own event loop, on a free loopback port.

    async with ServedExporter(config_text) as ex:
        samples = await ex.scrape()                          # GET /metrics, parsed
        status, body = await ex.get("/health?target=geth-1")
        samples = await ex.until(lambda s: s.value("chainwatch_peers", endpoint="n") == 5, 10, "peers read")

The real aiohttp app (``build_app``) of a real :class:`Exporter`, so routing, scrape
coalescing and the exposition are the production ones; only the process is the test's.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from chainwatch.assembly.config import parse
from chainwatch.devnet.procs import free_port
from chainwatch.exporters.server import Exporter, build_app

from .poll import async_wait_until
from .stack import Samples


class ServedExporter:
    def __init__(self, config_text: str):
        self.exporter = Exporter(parse(config_text, env={}))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.runner: web.AppRunner | None = None
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "ServedExporter":
        self.runner = web.AppRunner(build_app(self.exporter), access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self.session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.session.close()
        await self.runner.cleanup()

    async def get(self, path: str) -> tuple[int, str]:
        async with self.session.get(self.url + path) as resp:
            return resp.status, await resp.text()

    async def scrape(self, path: str = "/metrics") -> Samples:
        status, text = await self.get(path)
        assert status == 200, text[:500]
        return Samples.parse(text)

    async def until(self, check, timeout: float = 20.0, what: str = "metrics condition", *, interval: float = 0.2, show=("chainwatch_",)) -> Samples:
        """Scrape until ``check(samples)`` holds; on failure show the series starting with ``show``."""
        seen: list[Samples] = []

        async def scraped():
            seen[:] = [await self.scrape()]
            return seen[0] if check(seen[0]) else None

        def rows(_) -> str:
            return str([r for s in seen for r in s.rows if r[0].startswith(tuple(show))])

        return await async_wait_until(scraped, timeout, what, interval=interval, errors=(), describe=rows)

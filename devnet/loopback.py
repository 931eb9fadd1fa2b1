"""Serve an aiohttp app on a local port for the pieces that are not the exporter.

The demo's control endpoint, its fault-injecting proxy and the simulators
(``devnet/simulator.py``) all need the same few steps: bind (port 0 picks a free port), read
back the bound port so it can be printed and handed out, and clean up on stop.
"""

from __future__ import annotations

from aiohttp import web


class AppSite:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self, app: web.Application) -> int:
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

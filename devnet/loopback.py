"""Serve an aiohttp app on a local port for the pieces that are not the exporter.

The demo's control endpoint, its fault-injecting proxy and the simulators all need the
same few steps: bind (port 0 picks a free port), read back the bound port so it can be
printed and handed out, and clean up on stop. The simulators also share one control surface
(:func:`control_app`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from aiohttp import web


async def _maybe_await(value: Any) -> None:
    if inspect.isawaitable(value):
        await value


def control_app(
    state: Callable[[], Any], control: Callable[[Any], Any], on_start: Callable[[], Any] | None = None, on_stop: Callable[[], Any] | None = None
) -> web.Application:
    """The app every simulator starts from: ``GET /-/state`` (``state()`` as JSON) and
    ``POST /-/control`` (a JSON action for ``control``; a bad one answers 400 with the reason,
    then the new state), with the simulator's background work started and stopped with the app.
    ``control``, ``on_start`` and ``on_stop`` may be plain or async."""

    async def handle_state(_request: web.Request) -> web.Response:
        return web.json_response(state())

    async def handle_control(request: web.Request) -> web.Response:
        try:
            await _maybe_await(control(await request.json()))
        except (ValueError, KeyError, TypeError) as exc:
            return web.Response(status=400, text=f"{exc}\n")
        return web.json_response(state())

    app = web.Application()
    app.router.add_get("/-/state", handle_state)
    app.router.add_post("/-/control", handle_control)
    if on_start is not None:

        async def started(_app: web.Application) -> None:
            await _maybe_await(on_start())

        app.on_startup.append(started)
    if on_stop is not None:

        async def stopped(_app: web.Application) -> None:
            await _maybe_await(on_stop())

        app.on_cleanup.append(stopped)
    return app


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

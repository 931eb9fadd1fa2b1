"""The base every chain simulator builds on: its HTTP server, control endpoint and clock.

A simulator (``kinds/<kind>/simulator.py``, for tests and the demo where no real node runs
here) is a :class:`Simulation` subclass holding only its chain's logic: its state, its
controls, its API routes and what one clock tick does. This module serves it the same way for
all of them:

- ``GET /-/state``: :meth:`Simulation.state` as JSON;
- ``POST /-/control``: a JSON action for :meth:`Simulation.control`; a bad one (``ValueError``,
  ``KeyError``, ``TypeError``) answers 400 with the reason, a good one the new state;
- a clock calling :meth:`Simulation.tick` every ``clock_seconds`` while the app runs, started
  after :meth:`Simulation.on_start` and stopped before :meth:`Simulation.on_stop`;
- :class:`Simulator` runs it on a loopback port inside a running event loop (tests, the
  fault-injecting demo); :func:`serve` runs it as ``python -m chainwatch.kinds.<kind>.simulator``.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from aiohttp import web

from chainwatch.devnet.loopback import AppSite


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


class Simulation:
    """A simulated chain (or node) behind one HTTP port; subclasses fill in the chain's logic."""

    # Seconds between two ticks of the clock; None: no clock.
    clock_seconds: float | None = None
    # A chain clock makes up for late ticks (its slots and blocks count wall time); a poller does not.
    catch_up: bool = True

    _clock: asyncio.Task | None = None

    def state(self) -> dict:
        raise NotImplementedError

    def control(self, body: Any) -> Any:
        """Apply one ``POST /-/control`` action (plain or async); raise ValueError for a bad one."""
        raise NotImplementedError

    def routes(self, app: web.Application) -> None:
        """Add the chain's own API to ``app``."""

    def tick(self) -> Any:
        """One step of the clock (plain or async)."""

    async def on_start(self) -> None:
        """Before the server answers (open client sessions, a first poll)."""

    async def on_stop(self) -> None:
        """After the clock stopped (close client sessions)."""

    # ------------------------------------------------------------------ clock

    def start_clock(self) -> None:
        if self._clock is None and self.clock_seconds is not None:
            self._clock = asyncio.get_running_loop().create_task(self._run_clock(self.clock_seconds))

    async def stop_clock(self) -> None:
        if self._clock is not None:
            self._clock.cancel()
            try:
                await self._clock
            except asyncio.CancelledError:
                pass
            self._clock = None

    def clock_started(self, now: float) -> None:
        """Called with the loop time the clock starts at (a second cadence counts from here)."""

    async def _run_clock(self, period: float) -> None:
        loop = asyncio.get_running_loop()
        nxt = loop.time()
        self.clock_started(nxt)
        while True:
            nxt += period
            await asyncio.sleep(max(0.0, nxt - loop.time()))
            await _maybe_await(self.tick())
            if not self.catch_up:
                nxt = max(nxt, loop.time())

    # ------------------------------------------------------------------ HTTP

    async def _handle_state(self, _request: web.Request) -> web.Response:
        return web.json_response(self.state())

    async def _handle_control(self, request: web.Request) -> web.Response:
        try:
            await _maybe_await(self.control(await request.json()))
        except (ValueError, KeyError, TypeError) as exc:
            return web.Response(status=400, text=f"{exc}\n")
        return web.json_response(self.state())

    async def _started(self, _app: web.Application) -> None:
        await self.on_start()
        self.start_clock()

    async def _stopped(self, _app: web.Application) -> None:
        await self.stop_clock()
        await self.on_stop()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/-/state", self._handle_state)
        app.router.add_post("/-/control", self._handle_control)
        self.routes(app)
        app.on_startup.append(self._started)
        app.on_cleanup.append(self._stopped)
        return app


class Simulator:
    """Run a :class:`Simulation` on a loopback port inside a running event loop (tests, demo)."""

    def __init__(self, sim: Simulation, host: str = "127.0.0.1", port: int = 0):
        self.sim = sim
        self.host = host
        self.port = port
        self._site = AppSite(host, port)

    async def start(self) -> "Simulator":
        self.port = await self._site.start(self.sim.app())
        return self

    async def stop(self) -> None:
        await self._site.stop()

    def url(self, path: str = "") -> str:
        """``http://host:port/<path>``: a node's URL for the simulators that serve several under their names."""
        return f"http://{self.host}:{self.port}/{path}"

    async def __aenter__(self) -> "Simulator":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()


def serve(sim: Simulation, host: str, port: int) -> None:
    """Serve until interrupted (the simulators' ``python -m`` entry point)."""
    web.run_app(sim.app(), host=host, port=port, print=None, access_log=None)

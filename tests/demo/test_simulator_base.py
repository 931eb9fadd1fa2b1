"""The simulators' shared base (devnet/simulator.py): what every simulator's user sees the same way.

A minimal Simulation (a counter) on a loopback port: ``GET /-/state``, ``POST /-/control`` (a bad
action answers 400 with the reason and changes nothing), the clock ticking while the app runs
and stopped with it, ``on_start``/``on_stop`` around it.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from chainwatch.devnet.simulator import Simulation, Simulator
from tests.support.poll import async_hold, async_wait_until


class Counter(Simulation):
    clock_seconds = 0.05

    def __init__(self) -> None:
        self.height = 0
        self.halted = False
        self.events: list[str] = []

    def state(self) -> dict:
        return {"height": self.height, "halted": self.halted}

    def control(self, body: dict) -> None:
        actions = {"halt": True, "resume": False}
        if body.get("action") not in actions:
            raise ValueError(f"unknown action {body.get('action')!r}")
        self.halted = actions[body["action"]]

    def routes(self, app: web.Application) -> None:
        async def height(_request: web.Request) -> web.Response:
            return web.json_response(self.height)

        app.router.add_get("/height", height)

    def tick(self) -> None:
        if not self.halted:
            self.height += 1

    async def on_start(self) -> None:
        self.events.append("start")

    async def on_stop(self) -> None:
        self.events.append("stop")


async def test_state_control_routes_and_clock_are_served_the_same_way():
    sim = Counter()
    async with Simulator(sim) as served, aiohttp.ClientSession() as http:
        assert sim.events == ["start"]
        await async_wait_until(lambda: sim.height >= 3, 5, "the clock ticks while the app runs")
        async with http.get(served.url("-/state")) as r:
            assert r.status == 200 and (await r.json())["halted"] is False
        async with http.get(served.url("height")) as r:  # the simulation's own route
            assert isinstance(await r.json(), int)

        async with http.post(served.url("-/control"), json={"action": "explode"}) as r:
            assert r.status == 400 and "unknown action 'explode'" in await r.text()
        assert sim.halted is False

        async with http.post(served.url("-/control"), json={"action": "halt"}) as r:
            assert r.status == 200 and (await r.json())["halted"] is True
        frozen = sim.height
        await async_hold(lambda: sim.height == frozen, 0.3, "a halted counter stays")
    assert sim.events == ["start", "stop"]
    sim.halted, stopped = False, sim.height
    await async_hold(lambda: sim.height == stopped, 0.3, "no tick after the server stopped")

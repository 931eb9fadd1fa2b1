"""The running demo's control endpoint, and the client ``chainwatch demo fault|heal`` uses.

The demo process serves a small HTTP API on loopback and writes its address (with every
other port) to ``<run dir>/state.json``:

- ``GET /state``: components, ports, active faults;
- ``GET /faults``: the fault catalog with each fault's expected alerts and budget;
- ``POST /fault/<name>``: inject; ``POST /heal`` (optional ``?fault=<name>``): undo;
- ``GET /pages?since=<unix time>``: pages and resolves the capture receiver got.

Fault actions run in a worker thread: some of them wait (a heal lets nodes catch up) and
the same event loop serves the fault proxy, which must keep answering meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

from aiohttp import web

from chainwatch.devnet import faults
from chainwatch.devnet.loopback import AppSite
from chainwatch.devnet.procs import http_json
from chainwatch.devnet.rundir import demo_command
from chainwatch.devnet.stack import Stack

STATE_FILE = "state.json"


class Control:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.port = 0
        self._site = AppSite()
        self._lock = asyncio.Lock()

    async def _in_thread(self, fn, *args):
        async with self._lock:
            return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def state(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stack.state())

    async def catalog(self, _request: web.Request) -> web.Response:
        out = []
        for f in faults.FAULTS.values():
            try:
                f.available(self.stack)
                why = ""
            except faults.FaultUnavailable as exc:
                why = str(exc)
            out.append({"name": f.name, "help": f.help, "expect": f.expect, "allow": f.allow, "budget": round(f.budget(self.stack), 1), "unavailable": why})
        return web.json_response(out)

    async def fault(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            fault = await self._in_thread(faults.inject, self.stack, name)
        except KeyError as exc:
            return web.json_response({"error": exc.args[0]}, status=404)
        except (faults.FaultUnavailable, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=409)
        return web.json_response(
            {
                "fault": fault.name,
                "help": fault.help,
                "injected_at": self.stack.active_faults[name],
                "expect": fault.expect,
                "allow": fault.allow,
                "budget": round(fault.budget(self.stack), 1),
            }
        )

    async def heal(self, request: web.Request) -> web.Response:
        only = request.query.getall("fault", [])
        active = dict(self.stack.active_faults)
        healed = await self._in_thread(faults.heal, self.stack, only or None)
        since = min((active[n] for n in healed), default=time.time())
        return web.json_response({"healed": healed, "healed_at": time.time(), "injected_at": since})

    async def pages(self, request: web.Request) -> web.Response:
        since = float(request.query.get("since", "0"))
        return web.json_response([p.to_json() for p in self.stack.pages(since)])

    async def start(self) -> "Control":
        app = web.Application()
        app.router.add_get("/state", self.state)
        app.router.add_get("/faults", self.catalog)
        app.router.add_post("/fault/{name}", self.fault)
        app.router.add_post("/heal", self.heal)
        app.router.add_get("/pages", self.pages)
        self.port = await self._site.start(app)
        return self

    async def stop(self) -> None:
        await self._site.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# --------------------------------------------------------------------------- client side


class NotRunning(RuntimeError):
    pass


def read_state(run_dir: Path) -> dict:
    path = Path(run_dir) / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        raise NotRunning(f"no demo is running (no {path}); start one with `{demo_command(run_dir)}`") from None
    try:
        os.kill(int(state["pid"]), 0)
    except (OSError, KeyError, ValueError):
        raise NotRunning(f"the demo that wrote {path} (pid {state.get('pid')}) is gone; start one with `{demo_command(run_dir)}`") from None
    return state


def call(state: dict, path: str, post: bool = False, timeout: float = 120) -> object:
    import urllib.error

    try:
        return http_json(state["control"] + path, {} if post else None, timeout=timeout)
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", "")
        except ValueError:
            message = ""
        raise RuntimeError(message or f"HTTP {exc.code} from the demo") from None

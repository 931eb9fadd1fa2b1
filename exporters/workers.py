"""Opt-in worker processes: ``chainwatch serve --workers N`` (default 1: one process, as before).

One event loop probes and renders on one core; with ``--workers N`` (N > 1) the parent keeps
the listener and N worker processes share the probing and rendering:

- **Ownership.** The parent owns every chain's reference endpoints (a chain without
  references: all its endpoints, which are then compared with each other). Every other
  endpoint belongs to worker ``crc32(name) % N`` — stable across restarts and reloads, and
  independent of the order of the config.
- **One reference snapshot.** On ``/metrics`` the parent reads the references first (once per
  round, shared by concurrent scrapes exactly as in one process) and hands the chain
  summaries (median head, its timestamp, ...) to every worker with the remaining deadline;
  each worker probes its endpoints (coalescing its own scrapes), computes lag against those
  summaries, renders its endpoints' lines (cached per probe result) and answers them family
  by family. The parent merges each family's lines (references first, then worker 0..N-1),
  so a family is never split, and adds the chain-wide, validator and exporter families.
- **Local sockets.** Parent and workers talk HTTP over Unix sockets in a private temporary
  directory; nothing but the parent's listener is reachable from the network.
- **Failure.** A worker that does not answer in time, or has died, costs only its
  endpoints: they are reported as failed probes (``reason="timeout"``) in that scrape, the
  parent logs ``worker failed`` with the worker's index and exit status, and a dead worker
  is started again. Workers carry a parent-death signal (``PR_SET_PDEATHSIG``, Linux): when
  the parent dies, however it dies, the kernel kills them.
- **Provider credits.** Each worker counts what its endpoints' requests cost (its own
  ``CreditMeter``) and sends its running totals with every answer; the parent adds their growth
  to its own meter, so ``chainwatch_provider_*`` is exported once, by the parent, with every
  process's requests in it (a restarted worker's totals start again: its new totals are growth).

Not (yet) in worker mode: ``/probe?target=`` and ``/health`` are answered by the parent's
own scheduler (the multi-target pattern scales by replicas, docs/scale-out.md); stream
watches and validator monitors run in the parent only, so ``chainwatch_stream_lag_blocks``
(which needs the endpoint's HTTP head) is absent for a worker's endpoint.

Wire format of a worker's answer (``POST /round``, body ``{"budget": seconds, "chains":
{name: ChainSummary fields}}``): for each family, ``b"<family name> <length>\\n"`` followed
by ``length`` bytes of exposition lines (no ``# HELP``/``# TYPE``); the provider credits as
the block ``chainwatch:credits`` (JSON of :meth:`CreditMeter.totals`, no family: ``:`` is in
no metric name chainwatch exports).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import dataclasses
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib

import aiohttp
import orjson
from aiohttp import web

from chainwatch.assembly.config import Config, ConfigError, load
from chainwatch.exporters.credits import CreditMeter
from chainwatch.exporters.exposition import endpoint_fragments, result_fragments
from chainwatch.exporters.probe import ProbeResult
from chainwatch.exporters.scheduler import ChainSummary, EndpointState, Scheduler
from chainwatch.exporters.transport import Transport
from chainwatch.exporters.logs import setup
from chainwatch.exporters.runtime import event_loop, tune_gc

log = logging.getLogger("chainwatch.workers")

READY_SECONDS = 60.0  # a worker imports the exporter and loads the config (~1-2 s; a loaded machine: more)
WARN_EVERY_SECONDS = 60.0
ANSWER_MARGIN = 0.25  # seconds after the scrape deadline (when a worker stops waiting for endpoints) for its answer to arrive
CREDITS = "chainwatch:credits"  # the block of a worker's answer with its provider credit totals


def parent_owned(config: Config) -> set[str]:
    """Names of the endpoints the parent probes itself: every chain's references."""
    names: set[str] = set()
    for chain in config.chains.values():
        names.update(e.name for e in (chain.references or chain.endpoints))
    return names


def owner(name: str, count: int) -> int:
    """The worker that owns endpoint ``name`` among ``count`` (a stable hash, not Python's ``hash``)."""
    return zlib.crc32(name.encode("utf-8")) % count


def partition(config: Config, count: int) -> list[list[str]]:
    """Worker index -> the names of its endpoints, in config order."""
    mine = parent_owned(config)
    out: list[list[str]] = [[] for _ in range(count)]
    for _, _, endpoint in config.endpoints():
        if endpoint.name not in mine:
            out[owner(endpoint.name, count)].append(endpoint.name)
    return out


def encode_block(fragments: list[dict[str, bytes]]) -> bytes:
    """Endpoints' cached lines, family by family, in the wire format above."""
    parts: list[bytes] = []
    for name in sorted({name for frag in fragments for name in frag}):
        data = b"".join([f[name] for f in fragments if name in f])
        parts.append(f"{name} {len(data)}\n".encode())
        parts.append(data)
    return b"".join(parts)


def decode_block(body: bytes) -> dict[str, bytes]:
    """A worker's answer as family -> lines; ValueError when it is cut or malformed."""
    out: dict[str, bytes] = {}
    view = memoryview(body)
    at = 0
    while at < len(body):
        end = body.index(b"\n", at)
        name, _, length = body[at:end].decode("ascii").partition(" ")
        size = int(length)
        if end + 1 + size > len(body):
            raise ValueError(f"family {name} cut short")
        out[name] = bytes(view[end + 1 : end + 1 + size])
        at = end + 1 + size
    return out


# ---------------------------------------------------------------------- worker side


class Worker:
    """One worker process: its own scheduler and transport, probing only its endpoints."""

    def __init__(self, config: Config, config_path: str, index: int, count: int):
        self.config_path = config_path
        self.index = index
        self.count = count
        self.transport = Transport(config.exporter.max_response_bytes)
        self.meter = CreditMeter()  # no state file: the parent keeps the period's count
        self.meter.configure(config.providers())
        self.transport.meter = self.meter
        self._use(Scheduler(config, self.transport))

    def _use(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        names = partition(scheduler.config, self.count)[self.index]
        self.owned: list[EndpointState] = [scheduler.states[n] for n in names]

    async def handle_round(self, request: web.Request) -> web.Response:
        ask = orjson.loads(await request.read())
        deadline = asyncio.get_running_loop().time() + float(ask["budget"])
        summaries = {name: ChainSummary(**fields) for name, fields in ask["chains"].items()}
        snap = await self.scheduler.round_against(self.owned, summaries, deadline)
        results, lag = snap.results, snap.lag
        fragments = [endpoint_fragments(s, results.get(s.endpoint.name), lag.get(s.endpoint.name)) for s in snap.states]
        if self.meter.tables:
            fragments.append({CREDITS: orjson.dumps(self.meter.totals())})
        return web.Response(body=encode_block(fragments), content_type="application/octet-stream")

    async def handle_ready(self, request: web.Request) -> web.Response:
        return web.Response(text=f"{len(self.owned)} endpoints\n")

    async def handle_reload(self, request: web.Request) -> web.Response:
        try:
            config = load(self.config_path)
        except ConfigError as exc:
            return web.Response(status=400, text=str(exc))
        self.transport.max_response_bytes = config.exporter.max_response_bytes
        self.meter.configure(config.providers())
        self._use(Scheduler(config, self.transport, previous=self.scheduler))
        return web.Response(text=f"{len(self.owned)} endpoints\n")

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/round", self.handle_round)
        app.router.add_post("/reload", self.handle_reload)
        app.router.add_get("/ready", self.handle_ready)

        async def cleanup(_app):
            await self.transport.close()

        app.on_cleanup.append(cleanup)
        return app


def worker_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m chainwatch.exporters.workers", description="one worker of chainwatch serve --workers N")
    parser.add_argument("--config.file", dest="config_file", required=True)
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--log.level", dest="log_level", default="info")
    parser.add_argument("--log.format", dest="log_format", default="logfmt")
    args = parser.parse_args(argv)
    setup(args.log_level, args.log_format)
    worker = Worker(load(args.config_file), args.config_file, args.index, args.count)
    tune_gc()
    web.run_app(worker.app(), path=args.socket, print=None, access_log=None, handle_signals=True, loop=event_loop())


# ---------------------------------------------------------------------- parent side

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_prctl = None
if sys.platform.startswith("linux"):
    try:
        _prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before any fork
        _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        _prctl.restype = ctypes.c_int
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        _prctl = None


def _die_with_parent(parent: int):
    """``preexec_fn``: SIGKILL this child when the parent dies (between fork and exec: only
    the already-resolved ``prctl`` and ``getppid``). The exporter starts workers from its
    main thread, the one that lives as long as the process (the signal follows the thread)."""

    def preexec() -> None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


@dataclasses.dataclass
class _Child:
    index: int
    socket: str
    proc: subprocess.Popen | None = None
    session: aiohttp.ClientSession | None = None
    last_warning: float = -1e9


class Workers:
    """The parent's side: start, ask, watch and restart N workers."""

    def __init__(self, config: Config, config_path: str, count: int, log_level: str = "info", log_format: str = "logfmt"):
        self.config = config
        self.config_path = config_path
        self.count = count
        self.log_args = ["--log.level", log_level, "--log.format", log_format]
        self.dir = tempfile.mkdtemp(prefix="chainwatch-workers-")
        self.children = [_Child(i, os.path.join(self.dir, f"worker-{i}.sock")) for i in range(count)]
        self._shared: asyncio.Future | None = None  # the workers' answers being fetched for the scrapes in flight
        self.meter: CreditMeter | None = None  # the parent's: the workers' provider credits are added to it
        self.adopt(config)

    def adopt(self, config: Config) -> None:
        self.config = config
        self.parent_names = parent_owned(config)
        self.owned = partition(config, self.count)

    def _spawn(self, child: _Child) -> None:
        try:
            os.unlink(child.socket)
        except FileNotFoundError:
            pass
        args = [
            sys.executable,
            "-m",
            "chainwatch.exporters.workers",
            "--config.file",
            self.config_path,
            "--index",
            str(child.index),
            "--count",
            str(self.count),
        ]
        args += ["--socket", child.socket, *self.log_args]
        kwargs = {"preexec_fn": _die_with_parent(os.getpid())} if _prctl is not None else {}
        child.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, **kwargs)
        log.info("worker started", extra={"worker": child.index, "pid": child.proc.pid, "endpoints": len(self.owned[child.index])})

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    async def ready(self, timeout: float = READY_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        for child in self.children:
            while True:
                if child.proc.poll() is not None:
                    raise RuntimeError(f"worker {child.index} exited with status {child.proc.returncode} while starting")
                try:
                    async with self._session(child).get("http://worker/ready") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"worker {child.index} not ready within {timeout:g}s")
                await asyncio.sleep(0.05)

    def _session(self, child: _Child) -> aiohttp.ClientSession:
        if child.session is None or child.session.closed:
            child.session = aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=child.socket), timeout=aiohttp.ClientTimeout(total=None))
        return child.session

    async def round(self, summaries: dict[str, ChainSummary], deadline: float) -> list[dict[str, bytes] | None]:
        """Every worker's families for this round (None for a worker that failed it).

        Scrapes coalesce here too: a scrape that arrives while the workers are answering
        another one waits for those answers (until its own deadline) instead of asking again,
        so ten concurrent scrapers cost each worker one request, one encoding and one copy
        of its answer in the parent (bench, N=1000, 10 scrapers: 185 MB per worker without)."""
        loop = asyncio.get_running_loop()
        shared = self._shared
        if shared is None or shared.done():
            chains = {name: dataclasses.asdict(s) for name, s in summaries.items()}
            shared = self._shared = asyncio.ensure_future(asyncio.gather(*(self._ask(child, chains, deadline) for child in self.children)))
        try:
            return list(await asyncio.wait_for(asyncio.shield(shared), timeout=max(0.0, deadline + ANSWER_MARGIN - loop.time())))
        except TimeoutError:
            return [None] * self.count  # this scrape's deadline, not a worker's failure: its endpoints time out

    async def _ask(self, child: _Child, chains: dict, deadline: float) -> dict[str, bytes] | None:
        loop = asyncio.get_running_loop()
        budget = deadline - loop.time()
        try:
            async with asyncio.timeout_at(deadline + ANSWER_MARGIN):
                body = orjson.dumps({"budget": max(0.0, budget), "chains": chains})
                async with self._session(child).post("http://worker/round", data=body) as resp:
                    if resp.status != 200:
                        raise RuntimeError(f"HTTP {resp.status}")
                    block = decode_block(await resp.read())
        except (aiohttp.ClientError, TimeoutError, RuntimeError, ValueError) as exc:
            self._failed(child, exc)
            return None
        totals = block.pop(CREDITS, None)
        if totals is not None and self.meter is not None:
            try:
                self.meter.merge(f"worker-{child.index}", orjson.loads(totals))
            except (ValueError, TypeError) as exc:  # a worker of another version: its endpoints still count, its credits not this round
                log.warning("worker's provider credits unreadable", extra={"worker": child.index, "detail": str(exc)[:200]})
        return block

    def _failed(self, child: _Child, exc: BaseException) -> None:
        status = child.proc.poll() if child.proc is not None else None
        now = time.monotonic()
        if status is not None or now - child.last_warning >= WARN_EVERY_SECONDS:
            child.last_warning = now
            log.error(
                "worker failed; its endpoints are reported as failed probes",
                extra={"worker": child.index, "exit_status": status, "error": type(exc).__name__, "endpoints": len(self.owned[child.index])},
            )
        if status is not None:
            self._spawn(child)  # back for a later scrape; this one reports the failure

    def failed_fragments(self, index: int, states: dict[str, EndpointState]) -> list[dict[str, bytes]]:
        """Worker ``index``'s endpoints as failed probes (``chainwatch_probe_success`` 0,
        ``reason="timeout"``). Their counters and histograms are left out of this scrape: they
        live in the worker, and a 0 from the parent would read as a reset to ``rate()``."""
        result = ProbeResult(False, reason="timeout", detail=f"worker {index} did not answer")
        return [result_fragments(states[name], result) for name in self.owned[index] if name in states]

    async def reload(self) -> None:
        self.adopt(load(self.config_path))
        for child in self.children:
            try:
                async with self._session(child).post("http://worker/reload") as resp:
                    await resp.read()
            except aiohttp.ClientError as exc:
                self._failed(child, exc)

    async def stop(self) -> None:
        for child in self.children:
            if child.session is not None:
                await child.session.close()
            if child.proc is not None and child.proc.poll() is None:
                child.proc.terminate()
        for child in self.children:
            if child.proc is not None:
                try:
                    await asyncio.get_running_loop().run_in_executor(None, child.proc.wait, 5)
                except subprocess.TimeoutExpired:
                    child.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":
    worker_main()

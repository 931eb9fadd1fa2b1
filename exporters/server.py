"""The exporter's HTTP server.

- ``/metrics``: every configured endpoint probed concurrently within the scrape deadline,
  chain-wide reference metrics, validator monitors and the exporter's own metrics.
- ``/probe?target=<endpoint name>``: one endpoint (the blackbox multi-target pattern, so
  Prometheus can shard targets across replicas); ``/probe?chain=<chain>``: that chain's
  chain-wide and validator metrics. Only configured names are accepted — the exporter
  never fetches a URL a request gives it.
- ``/health?target=<endpoint name>``: 200 or 503 and a one-line reason for a load balancer
  (:mod:`chainwatch.exporters.health`); 404 for a name that is not configured.
- ``/-/metrics``: only the exporter's own metrics (scrape it beside ``/probe`` targets).
  ``/metrics`` and ``/-/metrics`` also carry the process's own ``process_*`` series.
- Every exposition answer is OpenMetrics or text and gzipped or not, as the scraper's
  ``Accept``/``Accept-Encoding`` ask (:mod:`chainwatch.exporters.negotiate`); TLS and basic
  auth come from ``--web.config.file`` (:mod:`chainwatch.exporters.webconfig`).
- ``/-/healthy``, ``/-/ready``; ``POST /-/reload`` with ``--web.enable-lifecycle``
  (:mod:`chainwatch.exporters.lifecycle`), SIGHUP always. An invalid new config is
  rejected, logged, and the old one keeps serving.
- ``HEAD`` of every page: headers only, no probe (:mod:`chainwatch.exporters.head`).

The listener's request limits and its log of refused requests are
:mod:`chainwatch.exporters.limits`; SIGTERM's bounded drain is
:mod:`chainwatch.exporters.shutdown`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import signal
import time
from pathlib import Path
from collections.abc import Iterable
from dataclasses import replace

from aiohttp import web

from chainwatch.assembly import catalog
from chainwatch.assembly.config import NAME_PATTERN, Config, ConfigError, load
from chainwatch.exporters import __version__, head, lifecycle, limits, shutdown
from chainwatch.exporters.exposition import Block, endpoint_block, endpoint_fragments, family_lines, render, render_chunks, round_samples
from chainwatch.exporters.health import verdict
from chainwatch.exporters.listen import Address
from chainwatch.exporters.negotiate import OPENMETRICS, TEXT, ProcessMetrics, gzipped, to_openmetrics, wants_gzip, wants_openmetrics
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport
from chainwatch.exporters.webconfig import WebListener
from chainwatch.exporters.runtime import event_loop, tune_gc
from chainwatch.exporters.workers import Workers
from chainwatch.exporters.monitors import monitor_for
from chainwatch.exporters.accounts import watches_for as account_watches_for
from chainwatch.exporters.credits import CreditMeter
from chainwatch.exporters.erpc import watches_for as erpc_watches_for
from chainwatch.exporters.usage import watches_for as usage_watches_for
from chainwatch.exporters.streams import FAMILIES as STREAM_FAMILIES, watches_for

log = logging.getLogger("chainwatch.server")
CONTENT_TYPE = TEXT
_NAME = re.compile(NAME_PATTERN)


class Exporter:
    def __init__(self, config: Config, config_path: str | None = None, workers: Workers | None = None, web: WebListener | None = None):
        self.config = config
        self.web = web  # --web.config.file: TLS, basic auth, headers; re-read with the config
        self.process = ProcessMetrics()
        self.config_path = config_path
        self.workers = workers  # serve --workers N (N > 1): endpoints probed by worker processes
        self.transport = Transport(config.exporter.max_response_bytes)
        self.meter = CreditMeter()
        self.meter.configure(config.providers())
        self.transport.meter = self.meter
        if workers is not None:
            workers.meter = self.meter  # the workers' provider credits are exported here, once
        self._meter_attached = False
        self.scheduler = Scheduler(config, self.transport)
        self.monitors: dict[str, object] = {}
        self.accounts: dict[str, object] = {}  # chain name -> AccountsWatch (chains with accounts:)
        self.streams: dict[str, object] = {}  # endpoint name -> StreamWatch (endpoints with ws_url)
        self.usage: dict[str, object] = {}  # "usage:<provider>" -> UsageWatch (pricing usage_api), "erpc:<provider>" -> ERPCWatch (pricing erpc)
        self.reload_ok = True
        self.reload_at = time.time()
        self.last_scrape_seconds = 0.0
        self._reload_lock = asyncio.Lock()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self.workers is not None:
            self.workers.start()
            await self.workers.ready()
        await self._start_monitors()

    async def stop(self) -> None:
        await self._stop_monitors()
        self.meter.save()
        await self.transport.close()
        if self.workers is not None:
            await self.workers.stop()

    def _http_head(self, name: str) -> float | None:
        state = self.scheduler.states.get(name)
        last = state.last if state is not None else None
        return last.head_height if last is not None and last.success else None

    async def _start_monitors(self) -> None:
        self.streams = watches_for(self.config, self._http_head)
        for watch in self.streams.values():
            await watch.start()
        for cname, chain in sorted(self.config.chains.items()):
            monitor = monitor_for(cname, chain, self.transport, self.config.exporter)
            if monitor is not None:
                await monitor.start()
                self.monitors[cname] = monitor
        self.accounts = account_watches_for(self.config, self.transport)
        for watch in self.accounts.values():
            await watch.start()
        if self.config.providers() and not self._meter_attached:  # once: the file is read at the first start only
            self.meter.attach(Path(self.config.exporter.state_dir) / "provider-credits.json")
            self._meter_attached = True
        self.usage = {
            **{f"usage:{p}": w for p, w in usage_watches_for(self.config, self.transport, self.meter).items()},
            **{f"erpc:{p}": w for p, w in erpc_watches_for(self.config, self.transport, self.meter).items()},
        }
        for watch in self.usage.values():
            await watch.start()

    async def _stop_monitors(self) -> None:
        monitors, self.monitors = self.monitors, {}
        streams, self.streams = self.streams, {}
        accounts, self.accounts = self.accounts, {}
        usage, self.usage = self.usage, {}
        for monitor in [*monitors.values(), *streams.values(), *accounts.values(), *usage.values()]:
            try:
                await monitor.stop()
            except Exception:  # noqa: BLE001 - shutting down must not fail
                log.warning("background monitor did not stop cleanly", exc_info=True)

    async def reload(self) -> tuple[bool, str]:
        async with self._reload_lock:
            if self.web is not None:
                self.web.reload()
            try:
                config = load(self.config_path)
            except ConfigError as exc:
                self.reload_ok = False
                log.error("config reload rejected; keeping the previous config", extra={"problems": exc.problems})
                return False, str(exc)
            await self._stop_monitors()
            self.transport.max_response_bytes = config.exporter.max_response_bytes
            self.scheduler = Scheduler(config, self.transport, previous=self.scheduler)
            self.meter.configure(config.providers())
            self.config = config
            if self.workers is not None:
                await self.workers.reload()
            await self._start_monitors()
            self.reload_ok = True
            self.reload_at = time.time()
            log.info("config reloaded", extra={"endpoints": len(self.scheduler.states)})
            return True, "config reloaded"

    # ------------------------------------------------------------------ handlers

    def deadline(self, request: web.Request) -> float:
        settings = self.config.exporter
        timeout = settings.default_timeout_seconds
        header = request.headers.get("X-Prometheus-Scrape-Timeout-Seconds")
        if header:
            try:
                timeout = min(float(header), 300.0)
            except ValueError:
                pass
        budget = max(0.05, timeout - settings.timeout_offset_seconds)
        return asyncio.get_running_loop().time() + budget

    def exporter_samples(self):
        yield "chainwatch_build_info", {"version": __version__}, 1
        yield "chainwatch_config_last_reload_successful", {}, 1 if self.reload_ok else 0
        yield "chainwatch_config_last_reload_success_timestamp_seconds", {}, round(self.reload_at, 3)
        yield "chainwatch_scrape_duration_seconds", {}, round(self.last_scrape_seconds, 6)
        yield "chainwatch_endpoints_configured", {}, len(self.scheduler.states)
        yield from self.meter.samples()

    def monitor_samples(self, chains):
        for cname in chains:
            monitor = self.monitors.get(cname)
            if monitor is not None:
                yield from monitor.samples()
            watch = self.accounts.get(cname)
            if watch is not None:
                yield from watch.samples()

    def stream_samples(self, endpoints):
        for name in endpoints:
            watch = self.streams.get(name)
            if watch is not None:
                yield from watch.samples()

    async def handle_metrics(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        scheduler = self.scheduler
        if self.workers is not None:
            return await self._metrics_from_workers(request, started)
        snap = await scheduler.round(list(scheduler.states.values()), sorted(self.config.chains), self.deadline(request))
        streams = list(self.stream_samples(sorted(self.streams)))  # their own families: never in the endpoint block
        rest = [*round_samples(replace(snap, states=[])), *self.monitor_samples(sorted(self.config.chains)), *streams, *self.exporter_samples()]
        if any(catalog.get(name).scope == "endpoint" and name not in STREAM_FAMILIES for name, _, _ in rest):  # a family must not be split in two blocks
            chunks = render_chunks([*round_samples(snap), *self.monitor_samples(sorted(self.config.chains)), *streams, *self.exporter_samples()])
            self.last_scrape_seconds = time.perf_counter() - started
            return await _stream(request, chunks, sum(len(c) for c in chunks), self.process)
        # The per-endpoint families (~95 % of the body) come from each endpoint's cached
        # rendering of its probe result (exposition.endpoint_fragments): rendered once per
        # result, whatever the number of scrapes that report it. Chain-wide, validator and
        # exporter families are rendered per scrape.
        block = endpoint_block(snap)
        tail = render_chunks(rest)
        self.last_scrape_seconds = time.perf_counter() - started
        return await _stream(request, itertools.chain(block.pieces(STREAM_PIECE), tail), block.length + sum(len(c) for c in tail), self.process)

    async def _metrics_from_workers(self, request: web.Request, started: float) -> web.StreamResponse:
        """``/metrics`` with ``--workers N``: the references here, every other endpoint in its
        worker against this round's reference summaries (:mod:`chainwatch.exporters.workers`)."""
        scheduler, workers, deadline = self.scheduler, self.workers, self.deadline(request)
        mine = [s for name, s in scheduler.states.items() if name in workers.parent_names]
        snap = await scheduler.round(mine, sorted(self.config.chains), deadline)
        answers = await workers.round(snap.chains, deadline)
        fragments = [endpoint_fragments(s, snap.results.get(s.endpoint.name), snap.lag.get(s.endpoint.name)) for s in mine]
        for index, answer in enumerate(answers):
            fragments.extend([answer] if answer is not None else workers.failed_fragments(index, scheduler.states))
        rest = [
            *round_samples(replace(snap, states=[])),
            *self.monitor_samples(sorted(self.config.chains)),
            *self.stream_samples(sorted(self.streams)),
            *self.exporter_samples(),
        ]
        block = Block([*fragments, family_lines(rest)])  # one block: a family with lines from several sources is still written once
        self.last_scrape_seconds = time.perf_counter() - started
        return await _stream(request, block.pieces(STREAM_PIECE), block.length, self.process)

    async def handle_own_metrics(self, request: web.Request) -> web.StreamResponse:
        """Only the exporter's own health, for the multi-target pattern (no probing)."""
        body = render(list(self.exporter_samples()))
        return await _stream(request, [body], len(body), self.process)

    async def handle_probe(self, request: web.Request) -> web.Response:
        if len(request.query.getall("target", [])) > 1 or len(request.query.getall("chain", [])) > 1:
            return _bad("give one target or one chain per request")
        target = request.query.get("target")
        chain = request.query.get("chain")
        if (target is None) == (chain is None):
            return _bad("give exactly one of target=<endpoint name> or chain=<chain name>")
        name = target if target is not None else chain
        if len(name) > 64 or not _NAME.match(name):
            return _bad("not a configured name (names are lowercase letters, digits, '.', '_', '-')")
        scheduler = self.scheduler
        if target is not None:
            state = scheduler.states.get(target)
            if state is None:
                return _bad(f"unknown target {target!r}: /probe only accepts configured endpoint names")
            snap = await scheduler.round([state], [], self.deadline(request))
            snap.chains = {}  # chain-wide series come from /probe?chain=, once per chain
            samples = [*round_samples(snap), *self.stream_samples([target])]
        else:
            if chain not in self.config.chains:
                return _bad(f"unknown chain {chain!r}")
            snap = await scheduler.round([], [chain], self.deadline(request))
            samples = [*round_samples(snap), *self.monitor_samples([chain])]
        body = render(samples)
        return await _stream(request, [body], len(body))

    async def handle_health(self, request: web.Request) -> web.Response:
        """A load balancer's check of one endpoint: the shared, rate-limited probe result, judged."""
        targets = request.query.getall("target", [])
        if len(targets) != 1:
            return _bad("give one target=<endpoint name>")
        target = targets[0]
        if len(target) > 64 or not _NAME.match(target):
            return web.Response(status=404, text="unknown target: not a configured endpoint name\n")
        scheduler = self.scheduler
        state = scheduler.states.get(target)
        if state is None:
            return web.Response(status=404, text=f"unknown target {target}: /health only accepts configured endpoint names\n")
        snap = await scheduler.round([state], [], self.deadline(request))
        answer = verdict(state, snap)
        return web.Response(status=answer.status, text=answer.line + "\n", headers={"Cache-Control": "no-store"})

    async def handle_reload(self, request: web.Request) -> web.Response:
        ok, message = await self.reload()
        return web.Response(status=200 if ok else 400, text=message + "\n")

    async def handle_index(self, request: web.Request) -> web.Response:
        names = "".join(f'<li><a href="/probe?target={n}">{n}</a></li>' for n in sorted(self.scheduler.states))
        html = (
            f"<html><head><title>chainwatch</title></head><body><h1>chainwatch {__version__}</h1>"
            f'<p><a href="/metrics">/metrics</a></p><h2>Endpoints</h2><ul>{names}</ul></body></html>'
        )
        return web.Response(text=html, content_type="text/html")


async def _stream(request: web.Request, chunks: Iterable[bytes], length: int, process: ProcessMetrics | None = None) -> web.StreamResponse:
    """Send the exposition (``length`` bytes in ``chunks``, then ``process``'s series) piece by
    piece under flow control, in the format and encoding the request asks for.

    A 1000-endpoint exposition is ~6 MB. ``web.Response(body=...)`` would need it joined
    (one more copy) and hands it to the socket at once, so whatever the client has not read
    yet is copied into the transport's buffer: two extra copies per concurrent scrape.
    Written in pieces with drain, a slow scraper holds only its socket's buffer and the
    piece being written.
    """
    openmetrics = wants_openmetrics(request.headers.get("Accept"))
    tail = process.render(openmetrics) if process is not None else b""
    chunks = to_openmetrics(chunks, tail) if openmetrics else itertools.chain(chunks, [tail])
    resp = web.StreamResponse(headers={"Content-Type": OPENMETRICS if openmetrics else TEXT, "Vary": "Accept, Accept-Encoding"})
    pieces = (view[i : i + STREAM_PIECE] for chunk in chunks for view in (memoryview(chunk),) for i in range(0, len(view), STREAM_PIECE))
    if wants_gzip(request.headers.get("Accept-Encoding")):
        resp.headers["Content-Encoding"] = "gzip"  # chunked: the compressed length is known at the end only
        pieces = gzipped(pieces)
    elif not openmetrics:
        resp.content_length = length + len(tail)
    await resp.prepare(request)
    for piece in pieces:
        if piece:
            await resp.write(piece)
    await resp.write_eof()
    return resp


STREAM_PIECE = 256 * 1024


def _bad(message: str) -> web.Response:
    return web.Response(status=400, text=message + "\n")


async def _ok(_request: web.Request) -> web.Response:
    return web.Response(text="OK\n")


def build_app(exporter: Exporter, *, enable_lifecycle: bool = False, shutdown_timeout: float = shutdown.DEFAULT_SECONDS) -> web.Application:
    app = web.Application(client_max_size=64 * 1024, handler_args=limits.handler_args())
    if exporter.web is not None:
        exporter.web.install(app)
    app.router.add_get("/", exporter.handle_index, allow_head=False)
    app.router.add_get("/metrics", exporter.handle_metrics, allow_head=False)
    app.router.add_get("/probe", exporter.handle_probe, allow_head=False)
    app.router.add_get("/health", exporter.handle_health, allow_head=False)
    app.router.add_get("/-/metrics", exporter.handle_own_metrics, allow_head=False)
    app.router.add_get("/-/healthy", _ok, allow_head=False)
    app.router.add_get("/-/ready", _ok, allow_head=False)
    plain = "text/plain; charset=utf-8"
    head.add(
        app.router,
        {"/": "text/html; charset=utf-8", "/metrics": CONTENT_TYPE, "/probe": CONTENT_TYPE, "/-/metrics": CONTENT_TYPE, "/-/healthy": plain, "/-/ready": plain},
    )
    lifecycle.add(app.router, exporter.handle_reload, enabled=enable_lifecycle)
    app.on_shutdown.append(shutdown.Drain(exporter, shutdown_timeout).on_shutdown)

    async def on_startup(app: web.Application) -> None:
        await exporter.start()
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(exporter.reload()))
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not on the main thread
            pass

    async def on_cleanup(app: web.Application) -> None:
        await exporter.stop()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def run(
    config: Config,
    config_path: str,
    addresses: list[Address],
    sockets: list,
    workers: int = 1,
    log_level: str = "info",
    log_format: str = "logfmt",
    web_listener: WebListener | None = None,
    *,
    enable_lifecycle: bool = False,
    shutdown_timeout: float = shutdown.DEFAULT_SECONDS,
) -> None:
    """Serve on ``sockets``, already bound to ``addresses`` (:func:`chainwatch.exporters.listen.bind_all`):
    nothing (workers, monitors) starts before the port is ours."""
    pool = Workers(config, config_path, workers, log_level, log_format) if workers > 1 else None
    exporter = Exporter(config, config_path, pool, web_listener)
    tune_gc()
    tls = web_listener is not None and web_listener.ssl_context is not None
    log.info(
        "listening",
        extra={"address": ",".join(map(str, addresses)), "tls": tls, "endpoints": len(exporter.scheduler.states), "workers": workers, "version": __version__},
    )
    app = build_app(exporter, enable_lifecycle=enable_lifecycle, shutdown_timeout=shutdown_timeout)
    ssl_context = web_listener.ssl_context if tls else None
    web.run_app(
        app, sock=sockets, ssl_context=ssl_context, print=None, access_log=None, handle_signals=True, shutdown_timeout=shutdown_timeout, loop=event_loop()
    )

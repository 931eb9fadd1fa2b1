"""``chainwatch status``: the public status page as a small HTTP server in front of Prometheus.

Why a server and not files rendered by ``generate``: the page must say what Prometheus says
*now* (the same alerts that page, within the same evaluation), and a rendered file is only as
fresh as the cron that rewrites it; a stale "operational" is the failure this page exists to
prevent. The server asks Prometheus at most every ``--cache`` seconds whatever the traffic, so
it can face the public behind a reverse proxy; it talks to nobody but Prometheus and exposes
nothing but configured names (chainwatch.status.model).

Routes (Statuspage's public API paths, so its clients and aggregators read it):

- ``/`` and ``/index.html``: the HTML page (chainwatch.status.html);
- ``/api/v2/summary.json``, ``/api/v2/components.json``, ``/api/v2/status.json``,
  ``/api/v2/incidents.json`` (with the resolved incidents of ``--history``, from a range query of
  the alerts' history, refreshed at most every step), ``/api/v2/incidents/unresolved.json``;
- ``/-/healthy``.

Prometheus unreachable or answering an error: HTTP 503 with a fixed text (no address, no
error detail: those are logged).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time

from aiohttp import ClientSession, ClientTimeout, web

from chainwatch.assembly.config import Config
from chainwatch.core import durations
from chainwatch.status import html, model

log = logging.getLogger("chainwatch.status")
UNAVAILABLE = "Status temporarily unavailable."


class PrometheusError(Exception):
    pass


class StatusSource:
    """The current :class:`~chainwatch.status.model.Page`, from Prometheus' HTTP API (``GET
    /api/v1/query``: https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries;
    ``GET /api/v1/alerts``: the firing alerts and when each became active; ``GET
    /api/v1/query_range`` for the history), cached ``cache`` seconds; concurrent requests share
    one refresh."""

    def __init__(self, config: Config, prometheus_url: str, cache: float = 5.0, timeout: float = 10.0, history: str = "7d"):
        self.config = config
        self.history_seconds = durations.seconds(history)
        # ~1000 points per series, never finer than Prometheus' usual evaluation (1s here)
        self.step = max(1, int(self.history_seconds / 1000))
        self._past: list[model.Incident] = []
        self._past_at = -1e9
        self.url = prometheus_url.rstrip("/")
        self.cache = cache
        self.timeout = timeout
        self._page: model.Page | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def _query(self, session: ClientSession, expr: str) -> list[dict]:
        async with session.get(self.url + "/api/v1/query", params={"query": expr}) as r:
            body = await r.json(content_type=None)
        if r.status != 200 or body.get("status") != "success":
            raise PrometheusError(f"HTTP {r.status}: {body.get('error', '')[:200]}")
        return body["data"]["result"]

    async def _alerts(self, session: ClientSession) -> list[dict]:
        async with session.get(self.url + "/api/v1/alerts") as r:
            body = await r.json(content_type=None)
        if r.status != 200 or body.get("status") != "success":
            raise PrometheusError(f"HTTP {r.status}: {str(body.get('error', ''))[:200]}")
        return model.firing_alerts(self.config, body["data"])

    async def page(self) -> model.Page:
        async with self._lock:
            if self._page is not None and time.monotonic() - self._at < self.cache:
                return self._page
            try:
                async with ClientSession(timeout=ClientTimeout(total=self.timeout)) as session:
                    status, alerts = await asyncio.gather(self._query(session, model.status_query(self.config)), self._alerts(session))
            except PrometheusError:
                raise
            except Exception as exc:  # connection refused, timeout, not JSON
                raise PrometheusError(type(exc).__name__) from None
            page = model.derive(self.config, status, alerts, dt.datetime.now(dt.timezone.utc), self.config.status.title)
            ended = self._page is not None and {i.id for i in self._page.incidents} - {i.id for i in page.incidents}
            # an incident that just ended goes to the history now, not up to a step later
            if self.history_seconds and (ended or time.monotonic() - self._past_at >= max(self.cache, self.step)):
                try:
                    async with ClientSession(timeout=ClientTimeout(total=self.timeout)) as session:
                        series = await self._range(session, model.history_query(self.config, f"{self.step}s"), page.at.timestamp())
                    self._past = model.history(page, self.config, series, self.step)
                    self._past_at = time.monotonic()
                except Exception as exc:  # the current state is still worth showing
                    log.warning("status: history query failed: %s", type(exc).__name__)
            page.past = self._past
            self._page, self._at = page, time.monotonic()
            return page

    async def _range(self, session: ClientSession, expr: str, end: float) -> list[dict]:
        # on multiples of the step: the same points on every refresh, so a past incident keeps
        # its start, end and id from one answer to the next
        end = end // self.step * self.step
        params = {"query": expr, "start": f"{end - self.history_seconds:.0f}", "end": f"{end:.0f}", "step": str(self.step)}
        async with session.get(self.url + "/api/v1/query_range", params=params) as r:
            body = await r.json(content_type=None)
        if r.status != 200 or body.get("status") != "success":
            raise PrometheusError(f"HTTP {r.status}")
        return body["data"]["result"]


def app(source: StatusSource) -> web.Application:
    async def with_page(render, content_type: str) -> web.Response:
        try:
            page = await source.page()
        except PrometheusError as exc:
            log.warning("status: Prometheus query failed: %s", exc)
            return web.Response(status=503, text=UNAVAILABLE, headers={"Retry-After": "30"})
        return web.Response(text=render(page), content_type=content_type, headers={"Cache-Control": f"max-age={int(source.cache)}"})

    def as_json(make):
        return lambda page: json.dumps(make(page), sort_keys=True)

    async def index(_request):
        return await with_page(html.render, "text/html")

    async def summary(_request):
        return await with_page(as_json(lambda p: p.summary()), "application/json")

    async def components(_request):
        return await with_page(as_json(lambda p: {"page": p.page_json(), "components": p.components_json()}), "application/json")

    async def status(_request):
        return await with_page(as_json(lambda p: {"page": p.page_json(), "status": p.indicator()}), "application/json")

    async def incidents(_request):
        return await with_page(as_json(lambda p: {"page": p.page_json(), "incidents": p.incidents_json()}), "application/json")

    async def unresolved(_request):
        return await with_page(as_json(lambda p: {"page": p.page_json(), "incidents": p.summary()["incidents"]}), "application/json")

    async def healthy(_request):
        return web.Response(text="OK")

    application = web.Application()
    application.add_routes(
        [
            web.get("/", index),
            web.get("/index.html", index),
            web.get("/api/v2/summary.json", summary),
            web.get("/api/v2/components.json", components),
            web.get("/api/v2/status.json", status),
            web.get("/api/v2/incidents.json", incidents),
            web.get("/api/v2/incidents/unresolved.json", unresolved),
            web.get("/-/healthy", healthy),
        ]
    )
    return application


def run(config: Config, prometheus_url: str, host: str, port: int, cache: float = 5.0, history: str = "7d") -> None:
    web.run_app(app(StatusSource(config, prometheus_url, cache, history=history)), host=host, port=port, print=None, access_log=None)

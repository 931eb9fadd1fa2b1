"""eRPC's count of what it spent at a provider (``pricing.<p>.erpc``): the traffic chainwatch
does not send itself.

eRPC (https://github.com/erpc/erpc) proxies an organisation's RPC traffic and counts each
vendor's billing units per upstream attempt (retries and hedges included, cache hits free) as
``erpc_upstream_credit_units_total{project, network, upstream, vendor, category, finality}``
(erpc/erpc ``telemetry/metrics.go``; ``category`` is the method), a counter since eRPC started.

Why the exporter reads it rather than recording rules over it: the quota and budget
projections need the credits *of the billing period*, and PromQL has no ``increase()`` over a
range that starts at the period's first day; a fixed ``[30d]`` is not the billing period and
loses everything at an eRPC restart older than Prometheus's retention. The exporter turns the
counter into period credits as it does its own: every read adds the counter's growth since the
last read (a counter that went back is an eRPC restart: its new value is the growth) to
``chainwatch_provider_period_credits``, which survives chainwatch's restarts in
``provider-credits.json``.

The counter is followed per upstream (the sum of its series of the provider's vendor), and the
last values read are saved in ``provider-credits.json`` with the period's count. The first read
after a start or a reload adds the growth since those values: what eRPC spent while chainwatch
was down is counted. Prometheus' reset rule applies per upstream: a counter below the saved
value means eRPC restarted meanwhile, and its whole new value is the growth (what eRPC spent
before its restart and after chainwatch's last save is lost: no reader can know it); an
upstream with no saved value counts whole (eRPC creates its series at the first spend). Saved
values of another eRPC (another ``metrics_url``, ``vendor`` or ``project``: the file keeps a
digest of them, never the URL) or none at all (the first start): that first read is the
baseline only.

An endpoint whose URL is eRPC must not name the provider (``provider:``): eRPC counts that
traffic already. ``chainwatch_provider_erpc_read_success{provider}`` is 1 while eRPC answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time

from prometheus_client.parser import text_string_to_metric_families

from chainwatch.core import pricing
from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.tasks import Loop

log = logging.getLogger("chainwatch.erpc")

COUNTER = "erpc_upstream_credit_units_total"
TIMEOUT_SECONDS = 15.0


def credit_units(text: str, vendor: str, upstreams: list[str], project: str | None) -> float:
    """The sum of ``erpc_upstream_credit_units_total`` over the series of ``vendor`` (and of
    ``upstreams``, ``project`` when given) in a Prometheus text exposition. Raises ValueError on
    a body that is no exposition or a value that is not a finite non-negative number."""
    return sum(units_by_upstream(text, vendor, upstreams, project).values())


def units_by_upstream(text: str, vendor: str, upstreams: list[str], project: str | None) -> dict[str, float]:
    """:func:`credit_units` per ``upstream`` label: ``{"alchemy-a": 1400.0, ...}``; same errors."""
    total: dict[str, float] = {}
    families = text_string_to_metric_families(text)
    for family in families:
        if family.name not in (COUNTER, COUNTER.removesuffix("_total")):
            continue
        for sample in family.samples:
            labels = sample.labels
            if sample.name != COUNTER or labels.get("vendor") != vendor:
                continue
            if upstreams and labels.get("upstream") not in upstreams:
                continue
            if project is not None and labels.get("project") != project:
                continue
            if not (math.isfinite(sample.value) and sample.value >= 0):
                raise ValueError(f"{COUNTER}: not a count: {sample.value!r}")
            upstream = labels.get("upstream", "")
            total[upstream] = total.get(upstream, 0.0) + sample.value
    return total


def growth(last: dict[str, float], now: dict[str, float]) -> float:
    """What eRPC spent between two reads of its counters per upstream: each one's rise, or its
    whole value where it went back (an eRPC restart) or was not there before (a new series)."""
    return sum(value - last[up] if up in last and value >= last[up] else value for up, value in now.items())


def source_id(metrics_url: str, vendor: str, project: str | None) -> str:
    """A digest naming which eRPC counters were read (the URL may carry a token: never saved as is)."""
    return hashlib.sha256(f"{metrics_url}\n{vendor}\n{project or ''}".encode()).hexdigest()[:16]


class ERPCWatch(Loop):
    def __init__(self, provider: str, table: pricing.Pricing, transport, meter):
        self.provider = provider
        self.source = table.erpc
        self.vendor = self.source.vendor or provider
        self.transport = transport
        self.meter = meter
        self.last: dict[str, float] | None = None
        self.source_id = source_id(self.source.metrics_url, self.vendor, self.source.project)
        self.endpoint = Endpoint(name=f"{provider}-erpc", url=self.source.metrics_url)

    def task_name(self) -> str:
        return f"erpc-{self.provider}"

    async def _loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                self.add(await self.read())
            except asyncio.CancelledError:
                raise
            except (ProbeFailure, ValueError) as exc:
                self.meter.erpc_failure(self.provider)
                detail = scrub(str(exc), [self.source.metrics_url, *self.endpoint.secrets])
                log.warning("eRPC credit counter read failed", extra={"provider": self.provider, "detail": detail[:200]})
            await asyncio.sleep(max(0.05, self.source.interval_seconds - (time.monotonic() - started)))

    def add(self, counters: dict[str, float]) -> None:
        """Hand the counters' growth since the last read (the first read of this watch: since the
        values the meter kept or saved, none if it has none of this eRPC) to the meter."""
        if self.last is None:
            self.last = self.meter.erpc_baseline(self.provider, self.source_id)
        grown = 0.0 if self.last is None else growth(self.last, counters)
        self.last = dict(counters)
        self.meter.add_erpc(self.provider, grown, self.source_id, counters)

    async def read(self) -> dict[str, float]:
        deadline = asyncio.get_running_loop().time() + min(TIMEOUT_SECONDS, self.source.interval_seconds)
        reply = await self.transport.request(self.endpoint, method="GET", deadline=deadline, headers={"Accept": "text/plain"})
        try:
            text = reply.body.decode("utf-8")
            return units_by_upstream(text, self.vendor, self.source.upstreams, self.source.project)
        except (UnicodeDecodeError, ValueError) as exc:
            raise invalid(f"eRPC metrics: {str(exc)[:120]}") from None


def watches_for(config, transport, meter) -> dict[str, ERPCWatch]:
    return {name: ERPCWatch(name, table, transport, meter) for name, table in sorted(config.providers().items()) if table.erpc is not None}

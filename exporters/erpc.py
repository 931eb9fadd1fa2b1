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
``provider-credits.json``. The first read after chainwatch starts only sets the baseline.

An endpoint whose URL is eRPC must not name the provider (``provider:``): eRPC counts that
traffic already. ``chainwatch_provider_erpc_read_success{provider}`` is 1 while eRPC answers.
"""

from __future__ import annotations

import asyncio
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
    total = 0.0
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
            total += sample.value
    return total


class ERPCWatch(Loop):
    def __init__(self, provider: str, table: pricing.Pricing, transport, meter):
        self.provider = provider
        self.source = table.erpc
        self.vendor = self.source.vendor or provider
        self.transport = transport
        self.meter = meter
        self.last: float | None = None
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

    def add(self, total: float) -> None:
        """Hand the counter's growth since the last read to the meter (the first read: none)."""
        grown = 0.0 if self.last is None else (total - self.last if total >= self.last else total)
        self.last = total
        self.meter.add_erpc(self.provider, grown)

    async def read(self) -> float:
        deadline = asyncio.get_running_loop().time() + min(TIMEOUT_SECONDS, self.source.interval_seconds)
        reply = await self.transport.request(self.endpoint, method="GET", deadline=deadline, headers={"Accept": "text/plain"})
        try:
            text = reply.body.decode("utf-8")
            return credit_units(text, self.vendor, self.source.upstreams, self.source.project)
        except (UnicodeDecodeError, ValueError) as exc:
            raise invalid(f"eRPC metrics: {str(exc)[:120]}") from None


def watches_for(config, transport, meter) -> dict[str, ERPCWatch]:
    return {name: ERPCWatch(name, table, transport, meter) for name, table in sorted(config.providers().items()) if table.erpc is not None}

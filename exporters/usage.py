"""A provider's own count of the billing period, where it has an API for it (``pricing.<p>.usage_api``).

chainwatch counts only its own requests (exporters/credits.py); the provider counts every
request of the key. QuickNode answers ``GET /v0/usage/rpc?start_time=<period start>&end_time=<now>``
(header ``x-api-key``; https://www.quicknode.com/docs/admin-api/usage/v0-usage-rpc) with
``{"data": {"credits_used": n, "credits_remaining": n, "limit": n, "overages": n, ...}, "error": null}``.
While the last answer is fresh (3 intervals), ``chainwatch_provider_period_credits`` is its
``credits_used``, so the quota and budget projections see the whole key's use; otherwise
chainwatch's own count. ``chainwatch_provider_usage_read_success`` says which.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from chainwatch.core import pricing
from chainwatch.core.chain import Endpoint
from chainwatch.exporters import numbers
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.tasks import Loop

log = logging.getLogger("chainwatch.usage")

TIMEOUT_SECONDS = 15.0


class UsageWatch(Loop):
    def __init__(self, provider: str, table: pricing.Pricing, transport, meter):
        self.provider = provider
        self.table = table
        self.api = table.usage_api
        self.transport = transport
        self.meter = meter
        self._endpoint: Endpoint | None = None

    def endpoint(self, start: float, now: float) -> Endpoint:
        """The API as an endpoint of the shared transport, the round's window its query and the key
        a header and a secret (scrubbed from every message). The key file is read each round: a
        rotated key is picked up."""
        key = Path(self.api.api_key_file).read_text().strip()
        joiner = "&" if "?" in self.api.url else "?"
        url = f"{self.api.url}{joiner}start_time={int(start)}&end_time={int(now)}"
        endpoint = Endpoint(name=f"{self.provider}-usage", url=url, headers={"x-api-key": key})
        endpoint._secrets = (key,)
        self._endpoint = endpoint
        return endpoint

    def task_name(self) -> str:
        return f"usage-{self.provider}"

    async def _loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                used = await self.read()
                self.meter.report(self.provider, used, valid_for=3 * self.api.interval_seconds)
            except asyncio.CancelledError:
                raise
            except (ProbeFailure, OSError, ValueError) as exc:  # OSError: the key file
                self.meter.report_failure(self.provider)
                detail = scrub(str(exc), [self.api.url, *(self._endpoint.secrets if self._endpoint else ())])
                log.warning("provider usage API read failed", extra={"provider": self.provider, "detail": detail[:200]})
            await asyncio.sleep(max(0.05, self.api.interval_seconds - (time.monotonic() - started)))

    async def read(self) -> int:
        """``credits_used`` of the current billing period. Raises ProbeFailure on any unusable answer."""
        now = time.time()
        start, _ = pricing.period(now, self.table.period_start_day)
        endpoint = self.endpoint(start, now)
        deadline = asyncio.get_running_loop().time() + min(TIMEOUT_SECONDS, self.api.interval_seconds)
        reply = await self.transport.request(endpoint, method="GET", deadline=deadline)
        body = reply.json()
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise invalid("usage: expected {data: {credits_used: ...}}")
        if body.get("error"):
            raise ProbeFailure("rpc_error", f"usage: {str(body['error'])[:80]}")
        return numbers.uint(body["data"].get("credits_used"), "usage credits_used")


def watches_for(config, transport, meter) -> dict[str, UsageWatch]:
    return {name: UsageWatch(name, table, transport, meter) for name, table in sorted(config.providers().items()) if table.usage_api is not None}

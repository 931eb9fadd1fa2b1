"""An endpoint that never answers is backed off, so it stops setting every scrape's duration.

Two endpoints behind :class:`~tests.support.hostile.HostileServer`: one answers, one never
does. Scraped with a 1 s scrape timeout, the first scrapes wait out their deadline for it;
after ``TIMEOUT_BACKOFF_AFTER`` timeouts in a row it is reported ``timeout`` at once, without
a request, with ``chainwatch_probe_backoff_seconds`` saying for how long.
"""

from __future__ import annotations

import time

from chainwatch.exporters.scheduler import TIMEOUT_BACKOFF_AFTER, TIMEOUT_BACKOFF_SECONDS
from tests.support.hostile import HostileServer, evm_kind
from tests.support.served import ServedExporter
from tests.support.stack import Samples

SCRAPE_1S = {"X-Prometheus-Scrape-Timeout-Seconds": "1"}


def config(srv: HostileServer) -> str:
    return f"""
exporter: {{min_probe_interval_seconds: 0, timeout_offset_seconds: 0.2}}
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - {{name: node-ok, url: "{srv.url("ok", "a")}", role: node}}
      - {{name: node-dead, url: "{srv.url("stall_before_headers", "b")}", role: node}}
"""


async def scrape(ex: ServedExporter) -> tuple[float, Samples]:
    started = time.monotonic()
    async with ex.session.get(ex.url + "/metrics", headers=SCRAPE_1S) as resp:
        assert resp.status == 200
        text = await resp.text()
    return time.monotonic() - started, Samples.parse(text)


def dead_requests(srv: HostileServer) -> int:
    return sum(1 for _, path, _, _ in srv.requests if path.startswith("/stall_before_headers/"))


async def test_a_never_answering_endpoint_is_backed_off_after_timeouts_in_a_row():
    with HostileServer(evm_kind()) as srv:
        async with ServedExporter(config(srv)) as ex:
            for _ in range(TIMEOUT_BACKOFF_AFTER):
                took, samples = await scrape(ex)
                assert took >= 0.7, took  # waited out its deadline (1 s less the 0.2 s offset)
                assert samples.value("chainwatch_probe_failure_reason", endpoint="node-dead", reason="timeout") == 1
            assert dead_requests(srv) == TIMEOUT_BACKOFF_AFTER
            took, samples = await scrape(ex)
            assert took < 0.5, took  # no longer waits for it (0.5: a loaded 2-core machine)
            assert dead_requests(srv) == TIMEOUT_BACKOFF_AFTER  # and sends it nothing
            assert samples.value("chainwatch_probe_success", endpoint="node-dead") == 0
            assert samples.value("chainwatch_probe_failure_reason", endpoint="node-dead", reason="timeout") == 1
            assert 0 < samples.value("chainwatch_probe_backoff_seconds", endpoint="node-dead") <= TIMEOUT_BACKOFF_SECONDS
            assert samples.value("chainwatch_probe_success", endpoint="node-ok") == 1
            assert samples.value("chainwatch_probe_backoff_seconds", endpoint="node-ok") is None  # only while backing off

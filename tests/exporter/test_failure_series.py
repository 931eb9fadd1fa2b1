"""Failure reasons cost series only where they say something (issue #34).

An EVM endpoint exported 57 series, 24 of them a gauge and a counter per failure reason that
are 0 almost always. Now: the reason gauge only for the current failure, a reason's counter
from its first failure on and then for good (a counter that vanished would go stale and read
as a reset), and ``chainwatch_probe_successes_total`` always (what the availability SLI reads).
"""

from __future__ import annotations

import asyncio

import pytest

from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport
from tests.exporter.test_evm_probe import config_text, geth, reference
from tests.support.fakeserver import FakeServer
from tests.support.stack import Samples

NODE = {"endpoint": "geth-1"}


@pytest.fixture
def srv():
    with FakeServer() as server:
        yield server


async def test_reason_series_appear_with_the_failure_and_the_counter_stays(srv):
    reference(srv)
    config = parse(config_text(srv, extra="exporter: {min_probe_interval_seconds: 0, reference_max_age_seconds: 0}"), env={})
    transport = Transport(config.exporter.max_response_bytes)
    seen = []
    try:
        scheduler = Scheduler(config, transport)
        for answer in ("healthy", "bad gateway", "healthy"):
            if answer == "healthy":
                srv.jsonrpc("/node", geth())
            else:
                srv.route("POST", "/node", status=502, body="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})
            deadline = asyncio.get_running_loop().time() + 5
            snap = await scheduler.round(list(scheduler.states.values()), sorted(config.chains), deadline)
            seen.append(Samples.parse(render(round_samples(snap)).decode()))
    finally:
        await transport.close()
    healthy, failing, recovered = seen

    assert healthy.find("chainwatch_probe_failure_reason", **NODE) == []
    assert healthy.find("chainwatch_probe_failures_total", **NODE) == []
    assert healthy.value("chainwatch_probe_successes_total", **NODE) == healthy.value("chainwatch_probes_total", **NODE) == 1
    # The whole endpoint, with every optional value answered: at most 35 series (was 57).
    assert len([1 for name, labels, _ in healthy.rows if labels.get("endpoint") == "geth-1"]) <= 35

    assert [(labels["reason"], v) for labels, v in failing.find("chainwatch_probe_failure_reason", **NODE)] == [("http_status", 1)]
    assert [(labels["reason"], v) for labels, v in failing.find("chainwatch_probe_failures_total", **NODE)] == [("http_status", 1)]
    assert failing.value("chainwatch_probe_successes_total", **NODE) == 1
    assert failing.value("chainwatch_probes_total", **NODE) == 2

    assert recovered.find("chainwatch_probe_failure_reason", **NODE) == []  # gone: the last probe succeeded
    assert [(labels["reason"], v) for labels, v in recovered.find("chainwatch_probe_failures_total", **NODE)] == [("http_status", 1)]
    assert recovered.value("chainwatch_probe_successes_total", **NODE) == 2
    assert recovered.value("chainwatch_probes_total", **NODE) == 3

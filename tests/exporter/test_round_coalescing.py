"""A scrape that arrives while another scrape's round is in flight joins that round.

Issue #21 (bench, N=5000): a round slower than ``min_probe_interval_seconds`` let a second
scrape find the first endpoints' results already "stale" and probe them again — two
upstream requests per endpoint for one round of scrapes. These tests hold the upstream's
answers behind a gate (tests/support/fakeserver.py ``Gate``) and count its requests, so
they depend on order, not on timing margins: the intervals are 0 s, i.e. every finished
result is already older than the interval, which is exactly the slow-round case.

Upstream: the programmable loopback server answering EVM JSON-RPC as the Ethereum API
documents it (a fake, not a node). The exporter runs in-process behind its real HTTP app.
"""

from __future__ import annotations

import asyncio

from chainwatch.assembly.config import parse
from chainwatch.exporters.server import Exporter
from tests.support.answers import evm_table
from tests.support.fakeserver import FakeServer
from tests.support.poll import async_wait_until
from tests.support.served import ServedExporter

WAIT = 10  # seconds: an in-process exporter on loopback answering held requests; a loaded 2-core machine


def config_text(srv: FakeServer) -> str:
    return f"""
exporter: {{min_probe_interval_seconds: 0, reference_max_age_seconds: 0}}
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - {{name: ref-1, url: "{srv.url("/ref")}", role: reference}}
      - {{name: slow-1, url: "{srv.url("/slow")}", role: node}}
      - {{name: late-1, url: "{srv.url("/late")}", role: node}}
"""


async def test_a_scrape_arriving_during_a_slow_round_joins_it_instead_of_probing_again():
    with FakeServer() as srv:
        gate = srv.gate()
        srv.jsonrpc("/ref", evm_table())  # answers at once: its result is "stale" (interval 0) long before the round ends
        srv.jsonrpc("/slow", evm_table(), hold=gate)
        srv.jsonrpc("/late", evm_table(), hold=gate)
        async with ServedExporter(config_text(srv)) as served:
            exporter = served.exporter
            # Scrape A: slow-1 and its chain's reference. ref-1 answers; slow-1 is held.
            first = asyncio.ensure_future(served.scrape("/probe?target=slow-1"))
            ref = exporter.scheduler.states["ref-1"]
            await async_wait_until(lambda: ref.last is not None and srv.calls("POST", "/slow") == 1, WAIT, "A's reference read done, slow-1 in flight")
            # Scrape B, /metrics, while A's round runs: every endpoint. Probes are decided in
            # config order, so once late-1's request is seen, B has decided ref-1 and slow-1.
            second = asyncio.ensure_future(served.scrape("/metrics"))
            await async_wait_until(lambda: srv.calls("POST", "/late") == 1, WAIT, "B reached late-1")
            gate.release()
            a, b = await asyncio.wait_for(asyncio.gather(first, second), WAIT)
            assert (srv.calls("POST", "/ref"), srv.calls("POST", "/slow"), srv.calls("POST", "/late")) == (1, 1, 1)
            for name in ("ref-1", "slow-1", "late-1"):
                assert b.value("chainwatch_probe_success", endpoint=name) == 1
                assert b.value("chainwatch_probes_total", endpoint=name) == 1
            assert a.value("chainwatch_probe_success", endpoint="slow-1") == 1
            assert a.value("chainwatch_sync_lag_blocks", endpoint="slow-1") == b.value("chainwatch_sync_lag_blocks", endpoint="slow-1") == 0

            # Both rounds are over: the next scrape is a new round and reads every endpoint again.
            third = await asyncio.wait_for(served.scrape("/metrics"), WAIT)
            assert (srv.calls("POST", "/ref"), srv.calls("POST", "/slow"), srv.calls("POST", "/late")) == (2, 2, 2)
            assert third.value("chainwatch_probes_total", endpoint="ref-1") == 2


async def test_no_request_is_sent_for_a_scrape_whose_deadline_has_passed():
    with FakeServer() as srv:
        for path in ("/ref", "/slow", "/late"):
            srv.jsonrpc(path, evm_table())
        exporter = Exporter(parse(config_text(srv), env={}))
        try:
            state = exporter.scheduler.states["late-1"]
            loop = asyncio.get_running_loop()
            result = await exporter.scheduler.probe(state, loop.time() - 0.001)
            assert (result.success, result.reason) == (False, "timeout")
            assert state.deadline_exceeded == 1 and state.inflight is None
            assert srv.calls("POST", "/late") == 0  # the endpoint never sees a request nobody waits for
        finally:
            await exporter.stop()

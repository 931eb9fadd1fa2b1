"""/metrics scrapes that coalesce onto one probe round share one rendered per-endpoint block.

The block is reused only while the probe results are the very same objects; a new round
(new results) must never be served from the old block — counters, histograms and
latencies move on.
"""

from __future__ import annotations

import asyncio

import aiohttp

from tests.support.fakeserver import FakeServer
from tests.support.served import ServedExporter
from tests.support.stack import Samples
from tests.exporter.test_evm_probe import geth


def config_text(srv: FakeServer, interval: float) -> str:
    return f"""
exporter: {{min_probe_interval_seconds: {interval}, reference_max_age_seconds: {interval}}}
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - {{name: geth-1, url: "{srv.url("/node")}", role: node}}
      - {{name: ref-1, url: "{srv.url("/ref")}", role: reference}}
"""


async def get(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return (await resp.read()).decode()


def endpoint_part(text: str) -> list[str]:
    return [line for line in text.splitlines() if 'endpoint="' in line]


async def test_concurrent_scrapes_share_one_round_and_get_identical_endpoint_series():
    with FakeServer() as srv:
        srv.jsonrpc("/node", geth(), delay=0.2)
        srv.jsonrpc("/ref", geth(), delay=0.2)
        async with ServedExporter(config_text(srv, interval=0)) as ex:
            bodies = await asyncio.gather(*(get(ex.session, ex.url + "/metrics") for _ in range(3)))
        assert srv.calls("POST", "/node") == 1 and srv.calls("POST", "/ref") == 1  # one upstream batch each
        assert endpoint_part(bodies[0]) == endpoint_part(bodies[1]) == endpoint_part(bodies[2])
        for body in bodies:  # still a complete exposition: chain-wide and exporter families too
            samples = Samples.parse(body)
            assert samples.value("chainwatch_probe_success", endpoint="geth-1") == 1
            assert samples.value("chainwatch_references_reachable", chain="eth") == 1
            assert samples.value("chainwatch_endpoints_configured") == 2


async def test_a_new_round_is_never_served_from_the_previous_block():
    with FakeServer() as srv:
        srv.jsonrpc("/node", geth())
        srv.jsonrpc("/ref", geth())
        async with ServedExporter(config_text(srv, interval=0)) as ex:
            first = Samples.parse(await get(ex.session, ex.url + "/metrics"))
            srv.jsonrpc("/node", geth(net_peerCount="0x5"))
            second = Samples.parse(await get(ex.session, ex.url + "/metrics"))
        assert first.value("chainwatch_probes_total", endpoint="geth-1") == 1
        assert second.value("chainwatch_probes_total", endpoint="geth-1") == 2
        assert second.value("chainwatch_rpc_request_duration_seconds_count", endpoint="geth-1", method="batch") == 2
        assert (first.value("chainwatch_peers", endpoint="geth-1"), second.value("chainwatch_peers", endpoint="geth-1")) == (50, 5)

"""The demo's fault proxy in front of a programmable JSON-RPC server: what a probe would see."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest

from chainwatch.devnet.proxy import FaultProxy
from tests.support.fakeserver import FakeServer

BATCH = [{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []}]


@pytest.fixture
def upstream():
    with FakeServer() as srv:
        srv.jsonrpc("/", {"eth_chainId": "0x7a69", "eth_blockNumber": "0x10"})
        yield srv


async def post(session, url, body=BATCH):
    started = time.perf_counter()
    async with session.post(url, data=json.dumps(body), headers={"Content-Type": "application/json"}) as r:
        return r.status, (await r.json() if r.status == 200 else await r.text()), time.perf_counter() - started


async def test_healthy_route_forwards_unchanged_and_faults_change_only_what_they_say(upstream):
    proxy = await FaultProxy({"node-2": upstream.url("/"), "node-3": upstream.url("/")}).start()
    try:
        async with aiohttp.ClientSession() as s:
            status, body, _ = await post(s, proxy.url("node-2"))
            assert status == 200 and [r["result"] for r in body] == ["0x7a69", "0x10"]

            proxy.set_fault("node-2", "wrong_chain", chain_id=1)
            status, body, _ = await post(s, proxy.url("node-2"))
            assert [r["result"] for r in body] == ["0x1", "0x10"]  # only eth_chainId is rewritten
            status, body, _ = await post(s, proxy.url("node-3"))
            assert body[0]["result"] == "0x7a69"  # other routes are untouched

            proxy.set_fault("node-2", "errors", every=2)
            statuses = [(await post(s, proxy.url("node-2")))[0] for _ in range(6)]
            assert statuses == [503, 200, 503, 200, 503, 200]

            # A delayed answer takes at least the delay, so any faster answer proves the delay
            # gone; 1 s leaves a loaded machine ~0.9 s for the real round trip to anvil.
            delay = 1.0
            proxy.set_fault("node-2", "slow", delay=delay)
            _, _, took = await post(s, proxy.url("node-2"))
            assert took >= delay

            proxy.clear("node-2")
            status, body, took = await post(s, proxy.url("node-2"))
            assert status == 200 and body[0]["result"] == "0x7a69" and took < delay

            status, _, _ = await post(s, proxy.url("node-9"))
            assert status == 404  # only configured routes, never an arbitrary upstream
        assert proxy.state()["node-2"]["failed"] == 3
    finally:
        await proxy.stop()


def test_unknown_fault_is_refused():
    proxy = FaultProxy({"node-2": "http://127.0.0.1:1/"})
    with pytest.raises(ValueError, match="unknown proxy fault"):
        proxy.set_fault("node-2", "explode")

"""Wrong-network detection for Solana: ``genesis_hash`` against ``getGenesisHash``.

Unit cases go through the real scheduler with the aioresponses callback of
test_probe.py (answers shaped as the Solana RPC docs show them: the result is a base58
string). The end-to-end case uses the SIMULATED cluster (no real Solana node runs here),
whose ``set_genesis`` control makes one node answer devnet's genesis hash.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession, web
from aioresponses import aioresponses
from solders.rpc.responses import GetGenesisHashResp

from chainwatch.assembly.config import parse
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.server import Exporter, build_app
from chainwatch.kinds.solana import probe as solana_probe
from chainwatch.kinds.solana.config import MAINNET_BETA_GENESIS_HASH
from chainwatch.kinds.solana.simulator import DEVNET_GENESIS_HASH, SIM_GENESIS_HASH, Cluster, Simulator
from tests.support.poll import async_wait_until
from chainwatch.devnet.procs import free_port
from tests.support.stack import Samples

from tests.support.answers import METHOD_NOT_FOUND, solana_node as node

from .docs_shapes import Rpc

URL = "https://solana-mainnet.example.com/"


def config(genesis: str | None) -> str:
    line = f"\n    genesis_hash: {genesis}" if genesis else ""
    return f"""
exporter: {{min_probe_interval_seconds: 0, reference_max_age_seconds: 0}}
chains:
  solana:
    kind: solana
    network: mainnet-beta{line}
    endpoints:
      - {{name: rpc-1, url: "{URL}", role: node}}
"""


class Probe:
    def __init__(self, genesis: str | None):
        from chainwatch.exporters.transport import Transport

        self.transport = Transport()
        self.scheduler = Scheduler(parse(config(genesis), env={}), self.transport)
        self.state = self.scheduler.states["rpc-1"]

    async def run(self, rpc: Rpc):
        with aioresponses() as mock:
            mock.post(URL, callback=rpc, repeat=True)
            return await self.scheduler.probe(self.state, asyncio.get_running_loop().time() + 5)


@pytest.fixture
async def make():
    made = []

    def factory(genesis):
        made.append(Probe(genesis))
        return made[-1]

    yield factory
    for p in made:
        await p.transport.close()


async def test_matching_genesis_is_asked_once_in_the_batch(make):
    probe = make(MAINNET_BETA_GENESIS_HASH)
    rpc = Rpc(node(getGenesisHash=MAINNET_BETA_GENESIS_HASH))
    first = await probe.run(rpc)
    assert first.success, first.detail
    assert rpc.batches == 1 and rpc.seen.count("getGenesisHash") == 1  # rode in the one batch
    second = await probe.run(rpc)
    assert second.success and rpc.seen.count("getGenesisHash") == 1  # cached for GENESIS_TTL


async def test_devnet_endpoint_in_mainnet_chain_fails_wrong_chain(make):
    probe = make(MAINNET_BETA_GENESIS_HASH)
    rpc = Rpc(node(getGenesisHash=DEVNET_GENESIS_HASH))
    result = await probe.run(rpc)
    assert (result.success, result.reason) == (False, "wrong_chain")
    assert DEVNET_GENESIS_HASH in result.detail and MAINNET_BETA_GENESIS_HASH in result.detail
    assert result.head_height is None  # another cluster's slots are not recorded as this chain's head
    # Not cached: asked again next round, and an endpoint repointed to mainnet-beta recovers.
    rpc.answers["getGenesisHash"] = MAINNET_BETA_GENESIS_HASH
    fixed = await probe.run(rpc)
    assert fixed.success, fixed.detail
    assert rpc.seen.count("getGenesisHash") == 2


async def test_recheck_after_ttl_catches_a_repointed_endpoint(make, monkeypatch):
    probe = make(MAINNET_BETA_GENESIS_HASH)
    rpc = Rpc(node(getGenesisHash=MAINNET_BETA_GENESIS_HASH))
    assert (await probe.run(rpc)).success
    rpc.answers["getGenesisHash"] = DEVNET_GENESIS_HASH
    assert (await probe.run(rpc)).success  # within the TTL: not asked
    monkeypatch.setattr(solana_probe, "GENESIS_TTL", 0.0)
    result = await probe.run(rpc)
    assert (result.success, result.reason) == (False, "wrong_chain")


async def test_not_configured_never_asks(make):
    probe = make(None)
    rpc = Rpc(node(getGenesisHash=DEVNET_GENESIS_HASH))
    result = await probe.run(rpc)
    assert result.success, result.detail
    assert "getGenesisHash" not in rpc.seen


@pytest.mark.parametrize(
    "answer,reason",
    [
        (12345, "invalid_response"),
        ("0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95", "invalid_response"),  # not base58
        ({"error": {"code": -32000, "message": "boom"}}, "rpc_error"),
    ],
)
async def test_bad_genesis_answers(make, answer, reason):
    result = await make(MAINNET_BETA_GENESIS_HASH).run(Rpc(node(getGenesisHash=answer)))
    assert (result.success, result.reason) == (False, reason)


async def test_provider_without_get_genesis_hash_is_not_failed(make):
    result = await make(MAINNET_BETA_GENESIS_HASH).run(Rpc(node(getGenesisHash={"error": METHOD_NOT_FOUND})))
    assert result.success, result.detail


@pytest.mark.parametrize("bad", ["5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9O", "abc", "0x00"])
def test_config_rejects_a_non_base58_genesis_hash(bad):
    with pytest.raises(ValueError, match="genesis_hash"):
        parse(config(bad), env={})


async def test_simulated_node_serving_another_genesis_fails_through_the_exporter():
    cluster = Cluster(["rpc-1", "ref-1"], slot_seconds=0.025)
    sim = await Simulator(cluster).start()
    text = f"""
exporter: {{min_probe_interval_seconds: 0, reference_max_age_seconds: 0, default_timeout_seconds: 5}}
chains:
  solana:
    kind: solana
    network: simnet
    genesis_hash: {SIM_GENESIS_HASH}
    endpoints:
      - {{name: rpc-1, url: "{sim.url("rpc-1")}", role: node}}
      - {{name: ref-1, url: "{sim.url("ref-1")}", role: reference}}
"""
    runner = web.AppRunner(build_app(Exporter(parse(text, env={}))), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with ClientSession() as session:

            async def control(**body):
                async with session.post(f"http://127.0.0.1:{sim.port}/-/control", json=body) as resp:
                    assert resp.status == 200, await resp.text()

            async def scrape() -> Samples:
                async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                    return Samples.parse(await resp.text())

            async def scrape_until(check, what: str) -> Samples:
                # min_probe_interval 0: each scrape probes anew; 5 s is the probe's own timeout.
                async def ready():
                    s = await scrape()
                    return s if check(s) else None

                return await async_wait_until(ready, 5, what)

            async with session.post(sim.url("rpc-1"), json={"jsonrpc": "2.0", "id": 1, "method": "getGenesisHash"}) as resp:
                assert str(GetGenesisHashResp.from_json(await resp.text()).value) == SIM_GENESIS_HASH  # the documented shape

            await control(action="set_genesis", node="rpc-1")  # devnet's hash
            s = await scrape_until(lambda s: s.value("chainwatch_probe_success", endpoint="rpc-1") == 0, "rpc-1 failing after the genesis change")
            assert s.value("chainwatch_probe_failure_reason", endpoint="rpc-1", reason="wrong_chain") == 1
            assert s.value("chainwatch_probe_success", endpoint="ref-1") == 1
            await control(action="reset_genesis", node="rpc-1")
            await scrape_until(lambda s: s.value("chainwatch_probe_success", endpoint="rpc-1") == 1, "rpc-1 healthy again after the reset")
    finally:
        await runner.cleanup()
        await sim.stop()

"""The cosmos probe against the SIMULATED CometBFT chain (kinds/cosmos/simulator.py, loopback).

No real CometBFT node can be installed here; the simulator's shapes are checked by cosmjs
in test_cosmjs.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.cosmos.probe import PROBE
from chainwatch.kinds.cosmos.simulator import Chain, Simulator

from .support import chain_model


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


async def probe(chain: Chain, sim: Simulator, transport, node: str = "rpc-1") -> tuple[ProbeResult, ProbeContext]:
    cfg = chain_model(chain, sim, {"g": [chain.validators[0].address]}, Path("/nonexistent/state.json"))
    ctx = ProbeContext(transport, asyncio.get_running_loop().time() + 5, {}, cfg)
    result = ProbeResult(success=False)
    await PROBE.run(cfg.endpoint(node), ctx, result)
    return result, ctx


async def test_head_age_syncing_peers_and_version(transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        chain.advance()
        result, ctx = await probe(chain, sim, transport)
        assert result.head_height == chain.height
        assert result.get("chainwatch_head_height") == chain.height
        assert result.get("chainwatch_syncing") == 0
        assert result.get("chainwatch_peers") == 8
        assert result.get("chainwatch_node_info", client_version="cometbft/0.38.17") == 1
        assert abs(result.head_timestamp - chain.blocks[chain.height].time) < 1e-3  # nanosecond RFC 3339 read back
        assert 0 <= result.get("chainwatch_head_age_seconds") < 5
        assert sorted(c.method for c in ctx.calls) == ["net_info", "status"]


async def test_a_node_catching_up_reports_syncing_and_stays_behind(transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        chain.catch_up("rpc-1")
        for _ in range(4):
            chain.advance()
        result, _ = await probe(chain, sim, transport)
        assert result.get("chainwatch_syncing") == 1
        assert result.head_height == chain.height - 4


async def test_a_node_of_another_network_fails_with_wrong_chain_and_no_numbers(transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        chain.set_network("rpc-1", "othernet-1")
        with pytest.raises(ProbeFailure) as failure:
            await probe(chain, sim, transport)
        assert failure.value.reason == "wrong_chain"
        assert "othernet-1" in failure.value.detail


async def test_a_closed_net_info_drops_only_the_peer_count(transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        chain.node("rpc-1").net_info_closed = True
        result, ctx = await probe(chain, sim, transport)
        assert result.get("chainwatch_peers") is None
        assert result.head_height == chain.height
        assert sorted((c.method, c.ok) for c in ctx.calls) == [("net_info", False), ("status", True)]  # counted as an RPC error


async def test_a_down_node_fails_the_probe(transport):
    chain = Chain(manual=True)
    async with Simulator(chain) as sim:
        chain.set_down("rpc-1")
        with pytest.raises(ProbeFailure) as failure:
            await probe(chain, sim, transport)
        assert failure.value.reason == "http_status"

"""The avalanche probe against SIMULATED AvalancheGo nodes (kinds/avalanche/simulator.py, loopback).

No AvalancheGo can be installed here; the simulator's shapes are decoded by ava-labs' own client
in test_sdk_client.py.
"""

from __future__ import annotations

import asyncio

import pytest

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.avalanche.probe import PROBE, parse_health
from chainwatch.kinds.avalanche.simulator import Simulator, cb58, node_id

from .support import chain_model, sim_with


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


async def probe(sim, server, transport, node: str = "avax-1", subnets: dict | None = None) -> tuple[ProbeResult, ProbeContext]:
    cfg = chain_model(sim, server)
    if subnets:
        cfg = type(cfg).model_validate({**cfg.model_dump(mode="json", exclude_unset=True), "subnets": subnets})
    ctx = ProbeContext(transport, asyncio.get_running_loop().time() + 5, {}, cfg)
    result = ProbeResult(success=False)
    await PROBE.run(cfg.endpoint(node), ctx, result)
    return result, ctx


async def test_a_healthy_node_reports_height_health_peers_disk_version_and_its_own_uptime(transport):
    sim = sim_with()
    async with Simulator(sim) as server:
        result, ctx = await probe(sim, server, transport)
    assert result.head_height == sim.height
    assert result.get("chainwatch_syncing") == 0
    assert all(result.get("chainwatch_avalanche_bootstrapped", blockchain=c) == 1 for c in "PXC")
    assert all(result.get("chainwatch_avalanche_health_check_failing", check=c) == 0 for c in ("C", "P", "X", "bootstrapped", "network", "diskspace"))
    assert result.get("chainwatch_peers") == 12
    assert result.get("chainwatch_avalanche_disk_available_bytes") == 400 * 2**30
    assert result.get("chainwatch_node_info", client_version="avalanchego/1.13.2") == 1
    assert result.get("chainwatch_avalanche_rewarding_stake_ratio") == 1.0
    assert {c.method for c in ctx.calls} >= {"info.getNetworkID", "platform.getHeight", "info.isBootstrapped", "health", "info.getNodeVersion"}
    assert result.dropped == []


async def test_a_bootstrapping_node_is_syncing_has_no_head_and_names_its_failing_checks(transport):
    sim = sim_with()
    async with Simulator(sim) as server:
        sim.control({"action": "bootstrap", "node": "avax-1", "chain": "P"})
        sim.tick()
        sim.tick()
        result, _ = await probe(sim, server, transport)
    assert result.get("chainwatch_avalanche_bootstrapped", blockchain="P") == 0
    assert result.get("chainwatch_avalanche_bootstrapped", blockchain="C") == 1
    assert result.get("chainwatch_syncing") == 1
    assert result.head_height is None and result.get("chainwatch_head_height") is None
    assert result.unready and "P-chain" in result.unready
    assert result.get("chainwatch_avalanche_health_check_failing", check="P") == 1
    assert result.get("chainwatch_avalanche_health_check_failing", check="bootstrapped") == 1
    assert result.get("chainwatch_avalanche_health_check_failing", check="C") == 0
    assert result.get("chainwatch_avalanche_health_check_contiguous_failures", check="P") == 2


async def test_another_network_id_fails_wrong_chain_before_recording_anything(transport):
    sim = sim_with()
    async with Simulator(sim) as server:
        sim.control({"action": "set_network", "node": "avax-1", "network_id": 5})
        with pytest.raises(ProbeFailure) as failure:
            await probe(sim, server, transport)
    assert failure.value.reason == "wrong_chain"
    assert "5" in failure.value.detail and str(sim.network_id) in failure.value.detail


async def test_low_disk_and_no_peers_fail_their_checks(transport):
    sim = sim_with()
    async with Simulator(sim) as server:
        sim.control({"action": "set_disk", "node": "avax-1", "bytes": 2**30})
        sim.control({"action": "set_peers", "node": "avax-1", "peers": 0})
        result, _ = await probe(sim, server, transport)
    assert result.get("chainwatch_avalanche_health_check_failing", check="diskspace") == 1
    assert result.get("chainwatch_avalanche_health_check_failing", check="network") == 1
    assert result.get("chainwatch_avalanche_disk_available_bytes") == 2**30
    assert result.get("chainwatch_peers") == 0
    assert result.head_height == sim.height  # unhealthy, yet at the head


def test_unknown_checks_fold_into_other_and_a_bad_body_is_invalid():
    checks, peers, disk = parse_health({"checks": {"C": {"duration": 1}, "2XyZsubnetchain": {"error": "x", "contiguousFailures": 3}}, "healthy": False})
    assert checks == {"C": (False, 0), "other": (True, 3)}
    assert peers is None and disk is None
    with pytest.raises(ProbeFailure) as failure:
        parse_health({"checks": []})
    assert failure.value.reason == "invalid_response"
    with pytest.raises(ProbeFailure):
        parse_health({"checks": {"network": {"message": {"connectedPeers": -1}}}})


async def test_bad_answers_fail_with_a_bounded_reason_or_drop_only_their_value(transport):
    sim = sim_with()
    real_platform, real_info = sim.platform, sim.info
    async with Simulator(sim) as server:
        sim.platform = lambda n, m, p: {"height": "12a"} if m == "platform.getHeight" else real_platform(n, m, p)
        with pytest.raises(ProbeFailure) as failure:
            await probe(sim, server, transport)
        assert failure.value.reason == "invalid_response" and "platform.getHeight.height" in failure.value.detail

        sim.platform = real_platform
        sim.info = lambda n, m, p: {"isBootstrapped": "yes"} if m == "info.isBootstrapped" else real_info(n, m, p)
        result, _ = await probe(sim, server, transport)
        assert result.head_height == sim.height  # the head still counts
        assert result.get("chainwatch_avalanche_bootstrapped", blockchain="P") is None
        assert {f for f, _ in result.dropped} == {"isBootstrapped.P", "isBootstrapped.X", "isBootstrapped.C"}

        sim.info = real_info
        sim.health = lambda n: ({"checks": ["not", "an", "object"], "healthy": True}, True)
        result, _ = await probe(sim, server, transport)
        assert result.get("chainwatch_peers") is None and result.head_height == sim.height
        assert [f for f, _ in result.dropped] == ["health"]


async def test_a_reference_is_not_asked_for_its_own_uptime_and_a_non_validator_node_has_none(transport):
    sim = sim_with()
    async with Simulator(sim) as server:
        result, ctx = await probe(sim, server, transport, node="ref-1")
        assert "info.uptime" not in {c.method for c in ctx.calls}
        sim.validators["val-1"].node = node_id("elsewhere")  # avax-1 no longer validates: info.uptime answers an error
        result, _ = await probe(sim, server, transport)
    assert result.get("chainwatch_avalanche_rewarding_stake_ratio") is None
    assert result.dropped == []  # "not a validator" is an answer, not a lost value


async def test_each_configured_subnet_reports_its_tagged_health_on_our_nodes_only(transport):
    """GET /ext/health?tag=<subnetID>: the subnet's chains' checks and the node-wide ones."""
    sim = sim_with()
    up, down = sim.l1["l1-1"].subnet, cb58("subnet-other", 32)
    subnets = {"l1": up, "other": down}
    async with Simulator(sim) as server:
        sim.control({"action": "subnet", "node": "avax-1", "subnet": up})
        sim.control({"action": "subnet", "node": "avax-1", "subnet": down, "failing": True})
        result, ctx = await probe(sim, server, transport, subnets=subnets)
        assert result.get("chainwatch_avalanche_subnet_failing_checks", subnet="l1") == 0
        assert result.get("chainwatch_avalanche_subnet_failing_checks", subnet="other") == 1
        assert result.get("chainwatch_avalanche_health_check_failing", check="other") == 1  # the untagged answer: every chain's check
        assert [c.method for c in ctx.calls].count("health") == 3
        sim.control({"action": "set_disk", "node": "avax-1", "bytes": 2**30})  # a node-wide check is in every subnet's answer
        result, _ = await probe(sim, server, transport, subnets=subnets)
        assert result.get("chainwatch_avalanche_subnet_failing_checks", subnet="l1") == 1
        assert result.get("chainwatch_avalanche_subnet_failing_checks", subnet="other") == 2
        result, ctx = await probe(sim, server, transport, node="ref-1", subnets=subnets)
    assert result.get("chainwatch_avalanche_subnet_failing_checks", subnet="l1") is None  # a reference is not our node
    assert [c.method for c in ctx.calls].count("health") == 1
    assert result.dropped == []

"""The aptos probe and validator monitor against the SIMULATED Aptos network (loopback).

No aptos-node runs here; the simulator's shapes are checked by the SDK in test_ts_sdk.py.
"""

from __future__ import annotations

import asyncio
import logging
import types

import pytest

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.aptos.probe import PROBE
from chainwatch.kinds.aptos.simulator import Chain, Simulator

from tests.support.poll import async_wait_until

from chainwatch.kinds.aptos.monitor import AptosMonitor

from .support import chain_model, monitor, sample


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


async def probe(chain: Chain, sim: Simulator, transport, node: str = "apt-1") -> tuple[ProbeResult, ProbeContext]:
    cfg = chain_model(chain, sim)
    ctx = ProbeContext(transport, asyncio.get_running_loop().time() + 5, {}, cfg)
    result = ProbeResult(success=False)
    await PROBE.run(cfg.endpoint(node), ctx, result)
    return result, ctx


async def test_head_age_history_role_and_version(transport):
    chain = Chain(["apt-1"], manual=True)
    async with Simulator(chain) as sim:
        chain.tick()
        chain.control({"action": "prune", "node": "apt-1", "blocks": 300})
        result, ctx = await probe(chain, sim, transport)
    assert result.head_height == chain.height == result.get("chainwatch_head_height")
    assert abs(result.head_timestamp - chain.blocks[chain.height][1] / 1e6) < 1e-6  # µs read back
    assert 0 <= result.get("chainwatch_head_age_seconds") < 5
    assert result.get("chainwatch_aptos_history_blocks") == 300
    assert result.get("chainwatch_aptos_oldest_block_height") == chain.height - 300
    assert result.get("chainwatch_aptos_ledger_version") == chain.blocks[chain.height][0]
    assert result.get("chainwatch_aptos_node_role_info", node_role="full_node") == 1
    assert result.get("chainwatch_node_info", client_version="aptos-node/0c7ebe7c1f0a4e8c2f7a5d6b9e3d1a2b4c6e8f00") == 1
    assert [c.method for c in ctx.calls] == ["ledger_info"]


async def test_a_lagging_node_keeps_its_height_and_ledger_time(transport):
    chain = Chain(["apt-1"], manual=True, block_seconds=0.5)
    async with Simulator(chain) as sim:
        chain.control({"action": "lag", "node": "apt-1"})
        at = chain.height
        await asyncio.sleep(0.2)
        for _ in range(5):
            chain.tick()
        result, _ = await probe(chain, sim, transport)
    assert result.head_height == at < chain.height
    assert result.head_timestamp == chain.blocks[at][1] / 1e6


async def test_another_chain_id_is_wrong_chain(transport):
    chain = Chain(["apt-1"], manual=True)
    async with Simulator(chain) as sim:
        chain.control({"action": "set_chain_id", "node": "apt-1", "chain_id": 1})
        with pytest.raises(ProbeFailure) as failure:
            await probe(chain, sim, transport)
    assert failure.value.reason == "wrong_chain"
    assert "chain_id 1, expected 4" in failure.value.detail


@pytest.mark.parametrize(
    "body",
    [
        {
            "chain_id": 4,
            "epoch": 1,
            "ledger_version": "1",
            "oldest_ledger_version": "0",
            "ledger_timestamp": "1",
            "node_role": "full_node",
            "block_height": "1",
            "oldest_block_height": "0",
        },
        {
            "chain_id": "4",
            "epoch": "1",
            "ledger_version": "1",
            "oldest_ledger_version": "0",
            "ledger_timestamp": "1",
            "node_role": "full_node",
            "block_height": "1",
            "oldest_block_height": "0",
        },
        [],
    ],
    ids=["u64-as-number", "chain-id-as-string", "not-an-object"],
)
def test_a_misshapen_ledger_info_is_invalid_response(body):
    from chainwatch.kinds.aptos.api import ledger_info

    with pytest.raises(ProbeFailure) as failure:
        ledger_info(body)
    assert failure.value.reason == "invalid_response"


async def test_monitor_counts_failed_proposals_across_epochs_and_reports_state(transport):
    chain = Chain(["apt-ref-1"], manual=True, validators=4, epoch_blocks=20)
    groups = {"ops": [{"name": "v2", "pool_address": chain.vals[1].pool}, chain.vals[2].pool], "gone": ["0xdead"]}
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, groups, transport)
        await m.cycle()  # the baseline
        assert sample(m, "chainwatch_aptos_validator_proposals_total", group="ops", outcome="failed") == 0
        chain.control({"action": "fail_proposals", "validator": "val-2"})
        for _ in range(8):
            chain.tick()
        await m.cycle()
        failed_now = chain.vals[1].failed
        assert failed_now >= 2
        assert sample(m, "chainwatch_aptos_validator_proposals_total", group="ops", outcome="failed") == failed_now
        assert sample(m, "chainwatch_aptos_validator_epoch_proposals", group="ops", outcome="failed") == failed_now
        ok = chain.vals[1].successful + chain.vals[2].successful
        assert sample(m, "chainwatch_aptos_validator_epoch_failed_proposal_ratio", group="ops") == round(failed_now / (ok + failed_now), 6)
        for _ in range(16):  # into the next epoch: the epoch counts restart, the totals go on
            chain.tick()
        assert chain.epoch == 2
        chain.control({"action": "leave", "validator": "val-3"})
        await m.cycle()
        total = sample(m, "chainwatch_aptos_validator_proposals_total", group="ops", outcome="failed")
        assert total == failed_now + chain.vals[1].failed
        assert sample(m, "chainwatch_aptos_validators_state", group="ops", state="pending_inactive") == 1
        assert sample(m, "chainwatch_aptos_validators_state", group="ops", state="active") == 1
        assert sample(m, "chainwatch_validator_monitor_unresolved_validators", group="gone", reason="not_found") == 1
        assert sample(m, "chainwatch_validator_monitor_unresolved_validators", group="ops", reason="not_found") == 0


async def test_a_400_that_is_no_move_abort_fails_the_cycle_instead_of_hiding_the_validator(transport):
    from chainwatch.kinds.aptos import simulator

    class Proxy(Chain):
        def call_view(self, function, args):  # a gateway refusing the request: no vm_error_code
            raise simulator._Error(400, "invalid_input", "request rejected by the gateway")

    chain = Proxy(["apt-ref-1"], manual=True)
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, {"ops": [chain.vals[0].pool]}, transport)
        with pytest.raises(ProbeFailure) as failure:
            await m.cycle()
    assert failure.value.reason == "http_status" and "invalid_input" in failure.value.detail
    assert sample(m, "chainwatch_validator_monitor_unresolved_validators", group="ops", reason="not_found") is None


async def test_an_epoch_behind_the_counted_one_fails_rounds_then_resyncs_keeping_the_totals(transport):
    # A devnet reset (or a node restored from an older snapshot) sends the epoch back: the monitor
    # must not count silently nothing (issue #35) but fail, then take the new epoch as a baseline.
    chain = Chain(["apt-ref-1"], manual=True, validators=4, epoch_blocks=20)
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, {"ops": [chain.vals[1].pool]}, transport)
        await m.cycle()  # the baseline
        chain.control({"action": "fail_proposals", "validator": "val-2"})
        for _ in range(24):  # into epoch 2
            chain.tick()
        await m.cycle()
        counted = sample(m, "chainwatch_aptos_validator_proposals_total", group="ops", outcome="failed")
        assert chain.epoch == 2 and counted > 0
        chain.epoch = 1  # the chain was reset
        for rounds in (1, 2):
            await m.cycle()
            assert sample(m, "chainwatch_validator_monitor_failures_total") == rounds
            assert sample(m, "chainwatch_validator_monitor_resyncs_total", reason="ahead_of_chain") == 0
        last_success = m.last_success
        await m.cycle()  # the third round behind: restart from the chain's epoch
        assert sample(m, "chainwatch_validator_monitor_resyncs_total", reason="ahead_of_chain") == 1
        assert sample(m, "chainwatch_validator_monitor_failures_total") == 2
        assert m.last_success > last_success
        assert sample(m, "chainwatch_aptos_validator_proposals_total", group="ops", outcome="failed") == counted  # kept, nothing counted twice
        before = chain.vals[1].failed
        for _ in range(8):
            chain.tick()
        await m.cycle()
        grown = chain.vals[1].failed - before
        assert grown > 0
        assert sample(m, "chainwatch_aptos_validator_proposals_total", group="ops", outcome="failed") == counted + grown


async def test_the_running_monitor_retries_failed_rounds_and_says_so_once(transport, caplog):
    # On the monitor base: a wrong chain id fails every round; one warning naming the endpoint.
    chain = Chain(["apt-ref-1"], manual=True)
    caplog.set_level(logging.WARNING, logger="chainwatch.validators.aptos")
    async with Simulator(chain) as sim:
        m = monitor(chain, sim, {"ops": [chain.vals[0].pool]}, transport)
        m.interval = 0.1
        chain.chain_id += 1
        await m.start()
        try:
            await async_wait_until(lambda: sample(m, "chainwatch_validator_monitor_failures_total") >= 3, 10, "three failed rounds")
        finally:
            await m.stop()
    said = [r for r in caplog.records if r.getMessage() == "aptos validator monitor round failed; retrying"]
    assert len(said) == 1 and said[0].detail.startswith("apt-ref-1: ") and "chain_id" in said[0].detail


async def test_an_endpoint_behind_is_passed_over_for_a_fallback_in_the_counted_epoch(transport):
    # Our node restored from an older snapshot while the fallback follows the chain: the
    # monitor counts on the fallback, no failed round, no resync.
    class Restored(Chain):
        restored = False

        def ledger(self, node):
            info = super().ledger(node)
            if self.restored and node.name == "apt-1":
                info["epoch"] = "1"
            return info

    chain = Restored(["apt-1", "apt-ref-1"], manual=True, validators=4, epoch_blocks=20)
    async with Simulator(chain) as sim:
        validators = {"groups": {"ops": [chain.vals[1].pool]}, "endpoint": "apt-1", "fallbacks": ["apt-ref-1"]}
        m = AptosMonitor("sim", chain_model(chain, sim, validators=validators), transport, types.SimpleNamespace(default_timeout_seconds=5), interval=1)
        for _ in range(24):  # into epoch 2
            chain.tick()
        await m.cycle()  # the baseline, on apt-1
        baseline = chain.vals[1].failed
        chain.restored = True
        chain.control({"action": "fail_proposals", "validator": "val-2"})
        for _ in range(5):
            chain.tick()
            await m.cycle()
        assert chain.epoch == 2 and m.endpoint.name == "apt-ref-1"
        assert sample(m, "chainwatch_validator_monitor_failures_total") == 0
        assert sample(m, "chainwatch_validator_monitor_resyncs_total", reason="ahead_of_chain") == 0
        counted = sample(m, "chainwatch_aptos_validator_proposals_total", group="ops", outcome="failed")
        assert counted == chain.vals[1].failed - baseline > 0

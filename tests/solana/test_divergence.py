"""Solana divergence (issue #33) against the SIMULATED cluster (kinds/solana/simulator.py, loopback:
no real Solana validator can run here): the blockhash of a finalized slot from ``getBlock``
inside the probe's one batch, skipped slots not compared, a node on another fork diverged."""

from __future__ import annotations

import asyncio
import json

import pytest

from chainwatch.assembly.config import parse
from chainwatch.exporters import jsonrpc
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.solana import divergence
from chainwatch.kinds.solana.simulator import Cluster, Simulator, Validator
from tests.support.stack import Samples

SLOT = 0.025  # seconds: 64 slots (the confirmation depth) in 1.6 s


def config_text(sim: Simulator) -> str:
    endpoints = [{"name": n, "url": sim.url(n), "role": "reference" if n.startswith("ref") else "node"} for n in ("rpc-1", "ref-1", "ref-2", "ref-3")]
    return json.dumps(
        {
            "exporter": {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0},
            "chains": {"sol": {"kind": "solana", "network": "simnet", "endpoints": endpoints}},
        }
    )


async def rounds(sim: Simulator, n: int, *, pause: float = 0.3) -> Samples:
    config = parse(config_text(sim), env={})
    transport = Transport()
    try:
        scheduler = Scheduler(config, transport)
        for _ in range(n):
            deadline = asyncio.get_running_loop().time() + 5
            snap = await scheduler.round(list(scheduler.states.values()), sorted(config.chains), deadline)
            await asyncio.sleep(pause)  # the cluster moves on between rounds
        return Samples.parse(render(round_samples(snap)).decode())
    finally:
        await transport.close()


@pytest.fixture
async def cluster():
    # val-2 leads a third of the slots and skips half of them: skipped slots at the compared height
    validators = [Validator("val-1", 10**15), Validator("val-2", 2 * 10**15, skip_ratio=0.5), Validator("val-3", 3 * 10**15)]
    c = Cluster(["rpc-1", "ref-1", "ref-2", "ref-3"], validators, slot_seconds=SLOT)
    sim = await Simulator(c).start()
    c.sim = sim
    yield c
    await sim.stop()


async def test_a_node_on_another_fork_is_diverged_and_the_references_are_not(cluster):
    cluster.node("rpc-1").fork_from = cluster.tip  # every block from now on is another fork's on rpc-1
    await asyncio.sleep(100 * SLOT)  # the forked slots reach the compared height (head - 64)
    s = await rounds(cluster.sim, 4)
    assert s.value("chainwatch_block_hash_diverged", endpoint="rpc-1") == 1
    for ref in ("ref-1", "ref-2", "ref-3"):  # compared, not diverged: the diverged series exists only for a diverged endpoint
        assert s.value("chainwatch_block_hash_compared_height", endpoint=ref) is not None
        assert s.value("chainwatch_block_hash_diverged", endpoint=ref) is None
    # absent for a round whose slot the leader skipped (no reference answered a hash there)
    assert s.value("chainwatch_reference_hashes_disagree") in (0, None)
    compared = s.value("chainwatch_block_hash_compared_height", endpoint="rpc-1")
    assert compared >= cluster.node("rpc-1").fork_from
    assert compared not in cluster.skipped
    # getBlock rode in the batch: no request of its own, nothing dropped
    assert s.value("chainwatch_rpc_requests_total", method="getBlock", endpoint="rpc-1") is None
    assert not s.find("chainwatch_probe_dropped_values_total", field="getBlock")


async def test_a_healthy_node_matches_across_skipped_slots(cluster):
    await asyncio.sleep(100 * SLOT)  # a history longer than the confirmation depth (slots before the start have no block)
    s = await rounds(cluster.sim, 5)
    assert cluster.skipped  # the leader skipped slots in the meantime
    assert s.value("chainwatch_block_hash_compared_height", endpoint="rpc-1") is not None
    assert s.value("chainwatch_block_hash_diverged", endpoint="rpc-1") is None  # compared and matching
    assert not s.find("chainwatch_probe_dropped_values_total", field="getBlock")


def test_skipped_and_unavailable_slots_are_no_block_and_bad_answers_bounded_errors():
    for code in (-32007, -32009, -32004, -32001, -32014):
        assert divergence.read(jsonrpc.Outcome(error={"code": code, "message": f"Slot 5 was skipped ({code})"})) is None
    assert divergence.read(jsonrpc.Outcome(result=None)) is None
    good = "4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn"
    assert divergence.read(jsonrpc.Outcome(result={"blockhash": good, "parentSlot": 4})) == good
    for outcome in (
        jsonrpc.Outcome(result={"blockhash": "0xabc"}),
        jsonrpc.Outcome(result=[]),
        jsonrpc.Outcome(error={"code": -32602, "message": "Invalid params"}),
    ):
        with pytest.raises(ProbeFailure) as failure:
            divergence.read(outcome)
        assert failure.value.reason in ("invalid_response", "rpc_error")
    key, method, params = divergence.call(7)
    assert (method, params[0], params[1]["transactionDetails"], params[1]["rewards"], params[1]["commitment"]) == ("getBlock", 7, "none", False, "finalized")

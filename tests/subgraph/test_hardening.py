"""Malformed GraphQL answers drop only what they break: the probe against the SIMULATOR's
`raw` answers (a made-up body served verbatim) and a REAL anvil as the indexed chain's
reference, through the real scheduler (no HTTP exporter needed)."""

from __future__ import annotations

import asyncio
import json

import pytest

from chainwatch.assembly.config import parse
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.subgraph.simulator import SIM_DEPLOYMENT, Simulator, Subgraph
from tests.support.stack import Anvil

pytestmark = pytest.mark.anvil


def config(anvil_url: str, sim: Simulator, deployment: str = SIM_DEPLOYMENT):
    return parse(
        json.dumps(
            {
                "exporter": {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0},
                "chains": {
                    "devnet": {
                        "kind": "evm",
                        "network": "anvil",
                        "chain_id": 31337,
                        "endpoints": [{"name": "anvil-ref", "url": anvil_url, "role": "reference"}],
                    },
                    "sim": {
                        "kind": "subgraph",
                        "network": "anvil",
                        "indexes": "devnet",
                        "deployment": deployment,
                        "endpoints": [{"name": "graph-sim", "url": sim.subgraph_url, "index_node_url": sim.index_node_url}],
                    },
                },
            }
        ),
        env={},
    )


async def round_(cfg):
    transport = Transport()
    try:
        sched = Scheduler(cfg, transport)
        targets = [sched.states["graph-sim"]]
        loop = asyncio.get_running_loop()
        snap = await sched.round(targets, ["sim"], loop.time() + 10)
        return snap.results["graph-sim"], snap.lag.get("graph-sim")
    finally:
        await transport.close()


@pytest.fixture
def anvil(tmp_path):
    a = Anvil(tmp_path, name="indexed")
    a.call("anvil_mine", ["0x20"])
    yield a
    a.stop()


def run(coro):
    return asyncio.run(coro)


META_CASES = {
    # what the answer breaks -> (body, expectation)
    "timestamp a string": (lambda m: m["block"].update(timestamp="soon"), "ok"),
    "hash not hex": (lambda m: m["block"].update(hash="0xnothex"), "no_fork_check"),
    "hasIndexingErrors a string": (lambda m: m.update(hasIndexingErrors="no"), "no_errors_metric"),
    "number a string": (lambda m: m["block"].update(number="12"), "fail"),
    "block missing": (lambda m: m.pop("block"), "fail"),
}


@pytest.mark.parametrize("case", sorted(META_CASES))
def test_malformed_meta_drops_only_what_it_breaks(anvil, case):
    async def go():
        sim = Simulator(Subgraph(anvil.url, poll_seconds=0.1))
        await sim.start()
        try:
            meta = sim.subgraph.meta()
            mutate, expect = META_CASES[case]
            mutate(meta["data"]["_meta"])
            sim.subgraph.control({"action": "raw", "api": "meta", "body": meta})
            result, lag = await round_(config(anvil.url, sim))
        finally:
            await sim.stop()
        if expect == "fail":
            assert not result.success and result.reason == "invalid_response"
            return
        assert result.success, result.detail
        assert lag is not None and lag[0] <= 3  # the head and lag survive
        assert result.get("chainwatch_subgraph_health", state="healthy") == 1  # the index node is unaffected
        assert (result.get("chainwatch_subgraph_block_hash_mismatch") is None) == (expect == "no_fork_check")
        assert (result.get("chainwatch_subgraph_indexing_errors") is None) == (expect == "no_errors_metric")
        if case == "timestamp a string":
            assert result.head_timestamp is not None  # taken from the reference's block at that height

    run(go())


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"indexingStatuses": "nope"}},
        {"errors": [{"message": "boom"}]},
        {
            "data": {
                "indexingStatuses": [
                    {"subgraph": SIM_DEPLOYMENT, "health": "weird", "synced": "yes", "fatalError": 3, "chains": [{"chainHeadBlock": {"number": "0x10"}}]}
                ]
            }
        },
        [1, 2],
    ],
    ids=["not a list", "errors", "every field wrong", "not an object"],
)
def test_malformed_index_node_answer_drops_only_its_metrics(anvil, body):
    async def go():
        sim = Simulator(Subgraph(anvil.url, poll_seconds=0.1))
        await sim.start()
        try:
            sim.subgraph.control({"action": "raw", "api": "status", "body": body})
            return await round_(config(anvil.url, sim))
        finally:
            await sim.stop()

    result, lag = run(go())
    assert result.success, result.detail
    assert lag is not None and lag[0] <= 3
    assert result.get("chainwatch_subgraph_block_hash_mismatch") == 0
    for name in ("chainwatch_subgraph_fatal_error", "chainwatch_subgraph_synced", "chainwatch_subgraph_node_chain_head_height"):
        assert result.get(name) is None
    assert result.get("chainwatch_subgraph_health", state="healthy") is None


def test_graphql_errors_without_data_fail_as_rpc_error_and_another_deployment_is_wrong_chain(anvil):
    async def go():
        sim = Simulator(Subgraph(anvil.url, poll_seconds=0.1))
        await sim.start()
        try:
            wrong, _ = await round_(config(anvil.url, sim, deployment="Qm" + "a" * 44))
            sim.subgraph.control({"action": "raw", "api": "meta", "body": {"errors": [{"message": "deployment not found"}]}})
            errors, _ = await round_(config(anvil.url, sim))
            return wrong, errors
        finally:
            await sim.stop()

    wrong, errors = run(go())
    assert not wrong.success and wrong.reason == "wrong_chain"
    assert not errors.success and errors.reason == "rpc_error" and "deployment not found" in errors.detail


def test_older_graph_node_without_timestamp_uses_the_references_block_time(anvil):
    async def go():
        sim = Simulator(Subgraph(anvil.url, poll_seconds=0.1))
        await sim.start()
        try:
            sim.subgraph.control({"action": "null_timestamp"})
            return await round_(config(anvil.url, sim))
        finally:
            await sim.stop()

    result, lag = run(go())
    assert result.success
    assert result.head_timestamp is not None
    assert lag is not None and lag[1] <= 5

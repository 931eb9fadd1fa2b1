"""opnode probe parsing, hardening and the Nitro eth_syncing object, against a programmable
loopback server (tests/support/fakeserver.py) answering as the op-node source documents
``optimism_syncStatus`` (op-service/eth/sync_status.go, id.go: integers, not hex) and as
Arbitrum Nitro's SyncProgressMap (arbnode/sync_monitor.go). A fake, not a node: the real-anvil
rollup runs are in test_rollup_faults.py.
"""

from __future__ import annotations

import time

import pytest

from chainwatch.assembly.config import ConfigError, parse
from tests.exporter.test_evm_probe import geth, scrape
from tests.support.fakeserver import FakeServer

NOW = int(time.time())


def ref(number: int, ts: int) -> dict:
    return {"hash": "0x" + "ab" * 32, "number": number, "parentHash": "0x" + "cd" * 32, "timestamp": ts}


def l2ref(number: int, ts: int) -> dict:
    return {**ref(number, ts), "l1origin": {"hash": "0x" + "ef" * 32, "number": 100}, "sequenceNumber": 1}


def status(**overrides) -> dict:
    out = {
        "current_l1": ref(198, NOW - 24),
        "current_l1_finalized": ref(150, NOW - 600),
        "head_l1": ref(198, NOW - 24),
        "safe_l1": ref(190, NOW - 120),
        "finalized_l1": ref(150, NOW - 600),
        "unsafe_l2": l2ref(5000, NOW - 1),
        "safe_l2": l2ref(4850, NOW - 301),
        "finalized_l2": l2ref(4400, NOW - 1201),
        "pending_safe_l2": l2ref(4850, NOW - 301),
        "queued_unsafe_l2": l2ref(0, 0),
    }
    out.update(overrides)
    return out


def config_text(srv: FakeServer, l2_chain_id: str = "") -> str:
    return f"""
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - {{name: l1-ref, url: "{srv.url("/l1")}", role: reference}}
  op:
    kind: evm
    network: mainnet
    chain_id: 10
    endpoints:
      - {{name: l2-ref, url: "{srv.url("/l2")}", role: reference}}
  op-rollup:
    kind: opnode
    network: mainnet
    l1_chain: eth
    l2_chain: op
    {l2_chain_id}
    endpoints:
      - {{name: op-node-1, url: "{srv.url("/opnode")}"}}
"""


@pytest.fixture
def srv():
    with FakeServer() as server:
        server.jsonrpc("/l1", geth(eth_blockNumber=hex(200), eth_getBlockByNumber={"number": hex(200), "timestamp": hex(NOW)}))
        server.jsonrpc("/l2", geth(eth_chainId="0xa", eth_blockNumber=hex(5010), eth_getBlockByNumber={"number": hex(5010), "timestamp": hex(NOW)}))
        yield server


async def test_sync_status_heads_lags_and_l1_view(srv):
    srv.jsonrpc("/opnode", {"optimism_syncStatus": status(), "optimism_version": "v1.9.4"})
    _, s, _ = await scrape(config_text(srv))
    node = dict(endpoint="op-node-1", chain="op-rollup")
    assert s.value("chainwatch_probe_success", **node) == 1
    assert s.value("chainwatch_head_height", **node) == 5000
    assert s.value("chainwatch_opnode_head_height", head="safe_l2", **node) == 4850
    assert s.value("chainwatch_opnode_head_height", head="current_l1_finalized", **node) == 150
    assert s.find("chainwatch_opnode_head_height", head="queued_unsafe_l2") == []  # not one of the exported heads
    assert s.value("chainwatch_opnode_safe_lag_blocks", **node) == 150
    assert s.value("chainwatch_opnode_safe_lag_seconds", **node) == 300
    assert s.value("chainwatch_opnode_finalized_lag_seconds", **node) == 1200
    # L1 view against the eth references (head 200 at NOW): 2 blocks, 24 s.
    assert s.value("chainwatch_opnode_l1_lag_blocks", view="head_l1", **node) == 2
    assert s.value("chainwatch_opnode_l1_lag_seconds", view="current_l1", **node) == 24
    # Unsafe head against the op references (5010): the shared lag series.
    assert s.value("chainwatch_sync_lag_blocks", **node) == 10
    assert s.value("chainwatch_node_info", client_version="v1.9.4", **node) == 1
    assert s.value("chainwatch_head_age_seconds", **node) is None


@pytest.mark.parametrize(
    "answer,why",
    [
        ([], "an array"),
        ("synced", "a string"),
        (status(unsafe_l2=None), "unsafe_l2 null"),
        (status(unsafe_l2={"number": "5000", "timestamp": NOW}), "number as a decimal string"),
        (status(unsafe_l2={"number": -1, "timestamp": NOW}), "negative number"),
        (status(unsafe_l2={"number": True, "timestamp": NOW}), "boolean number"),
        (status(unsafe_l2={"number": 2**70, "timestamp": NOW}), "number beyond uint64"),
    ],
)
async def test_unusable_answer_fails_the_probe_as_invalid_response(srv, answer, why):
    srv.jsonrpc("/opnode", {"optimism_syncStatus": answer, "optimism_version": "v1"})
    _, s, _ = await scrape(config_text(srv))
    node = dict(endpoint="op-node-1")
    assert s.value("chainwatch_probe_success", **node) == 0, why
    assert s.value("chainwatch_probe_failure_reason", reason="invalid_response", **node) == 1, why
    assert s.find("chainwatch_opnode_safe_lag_blocks") == []


async def test_a_malformed_head_drops_only_what_it_breaks(srv):
    srv.jsonrpc(
        "/opnode",
        {
            "optimism_syncStatus": status(
                safe_l2={"number": "0x12", "timestamp": [1]}, head_l1="garbage", finalized_l2={"number": 4400, "timestamp": NOW - 1201, "hash": 7}
            ),
            "optimism_version": {"not": "a string"},
        },
    )
    _, s, _ = await scrape(config_text(srv))
    node = dict(endpoint="op-node-1")
    assert s.value("chainwatch_probe_success", **node) == 1
    assert s.value("chainwatch_opnode_safe_lag_blocks", **node) is None
    assert s.value("chainwatch_opnode_head_height", head="safe_l2", **node) is None
    assert s.value("chainwatch_opnode_l1_lag_blocks", view="head_l1", **node) is None
    assert s.value("chainwatch_opnode_l1_lag_blocks", view="current_l1", **node) == 2
    assert s.value("chainwatch_opnode_finalized_lag_blocks", **node) == 600
    assert s.value("chainwatch_node_info", client_version="unknown", **node) == 1  # a version that is not a string


async def test_rpc_error_and_missing_method(srv):
    srv.jsonrpc("/opnode", {})  # every method -32601, as an execution client answers optimism_*
    _, s, _ = await scrape(config_text(srv))
    assert s.value("chainwatch_probe_failure_reason", reason="rpc_error", endpoint="op-node-1") == 1


async def test_wrong_rollup_is_wrong_chain(srv):
    srv.jsonrpc("/opnode", {"optimism_syncStatus": status(), "optimism_version": "v1", "optimism_rollupConfig": {"l2_chain_id": 8453}})
    _, s, _ = await scrape(config_text(srv, "l2_chain_id: 10"))
    assert s.value("chainwatch_probe_failure_reason", reason="wrong_chain", endpoint="op-node-1") == 1
    srv.jsonrpc("/opnode", {"optimism_syncStatus": status(), "optimism_version": "v1", "optimism_rollupConfig": {"l2_chain_id": 10}})
    _, s, _ = await scrape(config_text(srv, "l2_chain_id: 10"))
    assert s.value("chainwatch_probe_success", endpoint="op-node-1") == 1


def test_config_names_other_chains_of_the_config(srv):
    with pytest.raises(ConfigError, match="not another chain"):
        parse(config_text(srv).replace("l1_chain: eth", "l1_chain: ethereum"), env={})
    with pytest.raises(ConfigError, match="two different chains"):
        parse(config_text(srv).replace("l1_chain: eth", "l1_chain: op"), env={})


# --------------------------------------------------------------------------- Arbitrum Nitro


NITRO_SYNCING = {  # FullSyncProgressMap of arbnode/sync_monitor.go while catching up
    "consensusSyncTargetMsgCount": 2000,
    "maxMessageCount": 2000,
    "msgCount": 1500,
    "feedPendingMessageCount": 0,
    "batchSeen": 120,
    "batchProcessed": 100,
    "messageOfProcessedBatch": 1490,
    "lastL1BlockNum": 19000000,
    "lastl1BlockHash": "0x" + "12" * 32,
    "builtBlock": 1499,
    "consensusSyncTarget": 2000,
    "maxMessageCountError": None,
}


async def test_nitro_syncing_object_is_syncing_with_bounded_progress_fields():
    with FakeServer() as srv:
        srv.jsonrpc(
            "/node",
            geth(eth_chainId="0xa4b1", eth_syncing=NITRO_SYNCING, eth_getBlockByNumber={"number": "0x10", "timestamp": hex(NOW), "l1BlockNumber": "0x121eac0"}),
        )
        text = f"""
chains:
  arb:
    kind: evm
    network: mainnet
    chain_id: 42161
    endpoints:
      - {{name: nitro-1, url: "{srv.url("/node")}"}}
"""
        _, s, _ = await scrape(text)
    node = dict(endpoint="nitro-1")
    assert s.value("chainwatch_probe_success", **node) == 1
    assert s.value("chainwatch_syncing", **node) == 1
    progress = {l["field"]: v for l, v in s.find("chainwatch_evm_sync_progress", **node)}
    assert progress == {
        "consensusSyncTargetMsgCount": 2000,
        "maxMessageCount": 2000,
        "msgCount": 1500,
        "feedPendingMessageCount": 0,
        "batchSeen": 120,
        "batchProcessed": 100,
        "messageOfProcessedBatch": 1490,
        "lastL1BlockNum": 19000000,
        "builtBlock": 1499,
        "consensusSyncTarget": 2000,
    }
    assert s.value("chainwatch_evm_l1_block_number", **node) == 19000000


async def test_geth_syncing_object_and_garbage_fields():
    with FakeServer() as srv:
        srv.jsonrpc(
            "/node",
            geth(eth_syncing={"startingBlock": "0x0", "currentBlock": "0x10", "highestBlock": "0x20", "msgCount": "lots", 'evil label"}': 1, "batchSeen": -3}),
        )
        text = f"""
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - {{name: geth-1, url: "{srv.url("/node")}"}}
"""
        _, s, _ = await scrape(text)
    progress = {l["field"]: v for l, v in s.find("chainwatch_evm_sync_progress", endpoint="geth-1")}
    assert progress == {"startingBlock": 0, "currentBlock": 16, "highestBlock": 32}
    assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1

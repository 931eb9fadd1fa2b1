"""Kind 2 of issue #25: a measurement beats a self-reported flag, and a sentinel is "unknown".

The two field cases handed with the issue are the first rows, with their recorded answers as
fixtures (tests/fixtures/field/): an op-node in execution-layer sync (``opnode-el-sync-safe-lag``)
and nodes at the head whose sync flag is stuck on (``health-syncing-flag-at-head``). The other
rows are the same two faults in every other chain kind's answers.

Servers: loopback fakes (tests/support/fakeserver.py) answering in the documented shapes
(tests/support/answers.py tables), with the recorded or sentinel value put in: simulated, not
nodes. ``/health`` is the real aiohttp app of a real exporter (tests/support/served.py).
"""

from __future__ import annotations

import copy
import subprocess
import sys
import time

import pytest

from chainwatch.exporters.sentinels import zero_hash, zero_ref, zero_time
from tests.exporter.test_evm_probe import geth
from tests.support.answers import COSMOS_CHAIN_ID, bitcoin_results, cosmos_table, evm_table
from tests.support.configs import IMMEDIATE, chain, config_text, mainnet, node_at, ref_at
from tests.support.fakeserver import FakeServer
from tests.support.served import ServedExporter

from .support import NODE, beacon_routes, chain_config, fixture, install_beacon, probe_rounds, solana_answers

NOW = int(time.time())


def unknown(samples, field: str, **labels) -> float | None:
    return samples.value("chainwatch_probe_value_unknown", field=field, **labels)


# --------------------------------------------------------------------------- the predicates


def test_sentinel_predicates():
    assert zero_time(0) and zero_time(-62135596800) and zero_time(None) and not zero_time(1)
    assert zero_hash("0x" + "00" * 32) and zero_hash("") and zero_hash("0x") and zero_hash(None) and zero_hash("0" * 64)
    assert not zero_hash("0x" + "00" * 31 + "01")
    assert zero_ref(0, 0, "0x" + "00" * 32) and zero_ref(5, 0) and zero_ref(0, 1700000000, "0x" + "00" * 32)
    assert not zero_ref(0, 1700000000, "0x" + "ab" * 32)  # a real genesis (new OP Stack chains start at 0)
    assert not zero_ref(0, 1700000000)  # number 0 and no hash given: a genesis, not the sentinel


# --------------------------------------------------------------------------- field case: op-node EL sync


def opnode_config(srv: FakeServer) -> str:
    chains = {
        "ethereum": mainnet("evm", ref_at(srv.url("/l1"), name="l1-ref")),
        "optimism": mainnet("evm", ref_at(srv.url("/l2"), name="l2-ref"), chain_id=10),
        "optimism-rollup": chain(
            "opnode", node_at(srv.url("/opnode"), name="op-node-1"), network="mainnet", l1_chain="ethereum", l2_chain="optimism", l2_chain_id=10
        ),
    }
    return config_text(chains, exporter=IMMEDIATE)


async def test_opnode_in_execution_layer_sync_has_no_safe_lag_and_is_not_served(tmp_path):
    """Field case opnode-el-sync-safe-lag: the zero refs were a 1.8e9 s safe lag and a critical
    "batcher stopped" page; now they are unknown, the node is syncing, /health drains it and
    ``check`` (which printed "ok") says the same as /health."""
    status = fixture("opnode-el-sync-syncStatus.json")["result"]
    head = status["unsafe_l2"]["number"]
    with FakeServer() as srv:
        srv.jsonrpc("/l1", geth(eth_blockNumber=hex(21355000), eth_getBlockByNumber={"number": hex(21355000), "timestamp": hex(NOW)}))
        srv.jsonrpc("/l2", geth(eth_chainId="0xa", eth_blockNumber=hex(head), eth_getBlockByNumber={"number": hex(head), "timestamp": hex(NOW)}))
        srv.jsonrpc("/opnode", {"optimism_syncStatus": status, "optimism_version": "v1.16.3", "optimism_rollupConfig": {"l2_chain_id": 10}})
        async with ServedExporter(opnode_config(srv)) as ex:
            s = await ex.scrape()
            code, body = await ex.get("/health?target=op-node-1")
        (tmp_path / "c.yaml").write_text(opnode_config(srv))
        check = subprocess.run(
            [sys.executable, "-m", "chainwatch.cli", "check", "--config.file", str(tmp_path / "c.yaml"), "--timeout", "10"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    node = {"endpoint": "op-node-1"}
    row = next(line for line in check.stdout.splitlines() if "op-node-1" in line)
    assert row.endswith(f"UNHEALTHY no safe L2 head yet (safe_l2 is the zero block ref: execution-layer sync); head {head}, 0 blocks behind (threshold 30)"), (
        row
    )
    assert check.returncode == 0, check.stderr  # it answers: not a failed probe that gates a deploy
    assert s.value("chainwatch_probe_success", **node) == 1
    for series in ("safe_lag_seconds", "safe_lag_blocks", "finalized_lag_seconds", "finalized_lag_blocks"):
        assert s.find(f"chainwatch_opnode_{series}") == [], series
    assert s.value("chainwatch_opnode_l1_lag_blocks", view="current_l1", **node) is None  # was 2.1e7
    assert s.value("chainwatch_opnode_l1_lag_blocks", view="head_l1", **node) == 0
    assert s.value("chainwatch_opnode_head_height", head="safe_l2", **node) is None
    for key in ("safe_l2", "finalized_l2", "pending_safe_l2", "current_l1"):
        assert unknown(s, key, **node) == 1, key
    assert unknown(s, "unsafe_l2", **node) is None
    assert s.value("chainwatch_syncing", **node) == 1
    assert s.value("chainwatch_sync_lag_blocks", **node) == 0  # the unsafe head is at the tip
    assert code == 503
    assert body == f"unhealthy: no safe L2 head yet (safe_l2 is the zero block ref: execution-layer sync); head {head}, 0 blocks behind (threshold 30)\n"


async def test_opnode_with_a_real_safe_head_is_not_syncing(tmp_path):
    status = copy.deepcopy(fixture("opnode-el-sync-syncStatus.json")["result"])
    unsafe = status["unsafe_l2"]
    for key in ("safe_l2", "finalized_l2", "pending_safe_l2"):
        status[key] = {**unsafe, "number": unsafe["number"] - 300, "timestamp": unsafe["timestamp"] - 600}
    status["current_l1"] = status["head_l1"]
    with FakeServer() as srv:
        srv.jsonrpc("/l1", geth(eth_blockNumber=hex(21355000), eth_getBlockByNumber={"number": hex(21355000), "timestamp": hex(NOW)}))
        srv.jsonrpc(
            "/l2", geth(eth_chainId="0xa", eth_blockNumber=hex(unsafe["number"]), eth_getBlockByNumber={"number": hex(unsafe["number"]), "timestamp": hex(NOW)})
        )
        srv.jsonrpc("/opnode", {"optimism_syncStatus": status, "optimism_version": "v1.16.3", "optimism_rollupConfig": {"l2_chain_id": 10}})
        async with ServedExporter(opnode_config(srv)) as ex:
            s = await ex.scrape()
            code, body = await ex.get("/health?target=op-node-1")
        (tmp_path / "c.yaml").write_text(opnode_config(srv))
        check = subprocess.run(
            [sys.executable, "-m", "chainwatch.cli", "check", "--config.file", str(tmp_path / "c.yaml"), "--timeout", "10"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    node = {"endpoint": "op-node-1"}
    row = next(line for line in check.stdout.splitlines() if "op-node-1" in line)
    assert row.endswith("  ok") and check.returncode == 0, (row, check.stderr)
    assert s.value("chainwatch_opnode_safe_lag_seconds", **node) == 600
    assert s.value("chainwatch_syncing", **node) == 0
    assert s.find("chainwatch_probe_value_unknown") == []
    assert (code, body) == (200, f"ok: head {unsafe['number']}, 0 blocks behind (threshold 30)\n")


# --------------------------------------------------------------------------- field case: flag stuck at the head


def flag_config(srv: FakeServer, references: bool = True) -> str:
    second = ref_at if references else node_at
    chains = {
        "zq2": chain(
            "evm",
            node_at(srv.url("/zq2-node"), name="zq2-node-1"),
            second(srv.url("/zq2-ref"), name="zq2-ref"),
            network="mainnet",
            chain_id=32769,
            block_time_seconds=1,
        ),
        "testhub": chain(
            "cosmos",
            node_at(srv.url("/hub"), name="hub-1"),
            second(srv.url("/hub-ref"), name="hub-ref"),
            network="testnet",
            chain_id="testhub-1",
            block_time_seconds=1,
        ),
    }
    return config_text(chains, exporter=IMMEDIATE)


def serve_flag_case(srv: FakeServer, node_head: int, ref_head: int, cosmos_ref_head: int) -> None:
    syncing = fixture("zq2-eth_syncing-at-head.json")["result"]
    status = fixture("cometbft-status-catching-up-at-head.json")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(NOW - 1))
    status["result"]["sync_info"]["latest_block_time"] = stamp  # recorded head, a fresh block time

    def evm(head: int, **more):
        return evm_table(head=head, chain_id=32769, **more)

    srv.jsonrpc("/zq2-node", evm(node_head, eth_syncing=syncing))
    srv.jsonrpc("/zq2-ref", evm(ref_head))
    srv.route("GET", "/hub/status", json_body=status)
    srv.route("GET", "/hub/net_info", json_body=cosmos_table()["/net_info"])
    ref = copy.deepcopy(status)
    ref["result"]["sync_info"].update(catching_up=False, latest_block_height=str(cosmos_ref_head))
    srv.route("GET", "/hub-ref/status", json_body=ref)
    srv.route("GET", "/hub-ref/net_info", json_body=cosmos_table()["/net_info"])


async def test_sync_flag_at_the_head_is_shown_but_not_counted():
    """Field case health-syncing-flag-at-head: both nodes were 503 "reports itself syncing" at lag 0."""
    head = int(fixture("zq2-eth_syncing-at-head.json")["result"]["currentBlock"], 16)
    hub_head = int(fixture("cometbft-status-catching-up-at-head.json")["result"]["sync_info"]["latest_block_height"])
    with FakeServer() as srv:
        serve_flag_case(srv, head, head, hub_head)
        async with ServedExporter(flag_config(srv)) as ex:
            s = await ex.scrape()
            zq2 = await ex.get("/health?target=zq2-node-1")
            hub = await ex.get("/health?target=hub-1")
    for name in ("zq2-node-1", "hub-1"):
        assert s.value("chainwatch_syncing", endpoint=name) == 1, name  # the flag, shown beside the lag
        assert s.value("chainwatch_sync_lag_blocks", endpoint=name) == 0, name
    note = "; the node reports itself syncing, not counted: measured at the references' head\n"
    assert zq2 == (200, f"ok: head {head}, 0 blocks behind (threshold 60){note}")
    assert hub == (200, f"ok: head {hub_head}, 0 blocks behind (threshold 60){note}")


async def test_sync_flag_counts_when_the_node_is_also_behind():
    head = int(fixture("zq2-eth_syncing-at-head.json")["result"]["currentBlock"], 16)
    with FakeServer() as srv:
        serve_flag_case(srv, head, head + 10, 2000013)  # 10 behind: past the 3-block tolerance, within the threshold 60
        async with ServedExporter(flag_config(srv)) as ex:
            zq2 = await ex.get("/health?target=zq2-node-1")
            hub = await ex.get("/health?target=hub-1")
    assert zq2 == (503, f"unhealthy: head {head}, 10 blocks behind (threshold 60) and the node reports itself syncing\n")
    assert hub == (503, "unhealthy: head 2000003, 10 blocks behind (threshold 60) and the node reports itself syncing\n")


async def test_sync_flag_counts_where_no_reference_measures_the_node():
    head = int(fixture("zq2-eth_syncing-at-head.json")["result"]["currentBlock"], 16)
    with FakeServer() as srv:
        serve_flag_case(srv, head, head, 2000003)
        async with ServedExporter(flag_config(srv, references=False)) as ex:
            code, body = await ex.get("/health?target=zq2-node-1")
    assert code == 503
    assert body == (
        f"unhealthy: head {head}, 0 blocks behind the chain's other endpoints (threshold 60);"
        " the node reports itself syncing, and with no reference to measure against its flag counts\n"
    )


# --------------------------------------------------------------------------- every kind's sentinels


async def test_evm_timestamp_zero_and_highest_block_zero_are_unknown():
    with FakeServer() as srv:
        srv.jsonrpc(
            "/node",
            evm_table(
                eth_getBlockByNumber={"number": "0x10", "timestamp": "0x0", "baseFeePerGas": "0x1"},
                eth_syncing={"startingBlock": "0x0", "currentBlock": "0x10", "highestBlock": "0x0"},
            ),
        )
        snap, s, _ = await probe_rounds(chain_config("evm", srv.url("/node")))
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value("chainwatch_head_age_seconds", **NODE) is None  # was ~1.7e9 s
    assert unknown(s, "eth_getBlockByNumber.timestamp", **NODE) == 1
    assert s.value("chainwatch_evm_sync_progress", field="highestBlock", **NODE) is None
    assert s.value("chainwatch_evm_sync_progress", field="currentBlock", **NODE) == 16
    assert unknown(s, "eth_syncing.highestBlock", **NODE) == 1


@pytest.mark.parametrize(
    "height,stamp,field",
    [
        ("0", "0001-01-01T00:00:00Z", "sync_info.latest_block_height"),  # no block yet: Go's zero time
        ("16", "0001-01-01T00:00:00Z", "sync_info.latest_block_time"),
        ("16", "1970-01-01T00:00:00Z", "sync_info.latest_block_time"),
    ],
)
async def test_cosmos_height_zero_and_zero_times_are_unknown(height, stamp, field):
    table = cosmos_table()
    table["/status"]["result"]["sync_info"].update(latest_block_height=height, latest_block_time=stamp, catching_up=True)
    with FakeServer() as srv:
        for route, body in table.items():
            srv.route("GET", "/node" + route, json_body=body)
        chain = chain_config("cosmos", srv.url("/node"))
        chain["chain_id"] = COSMOS_CHAIN_ID
        snap, s, _ = await probe_rounds(chain)
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert unknown(s, field, **NODE) == 1
    assert s.value("chainwatch_head_age_seconds", **NODE) is None
    assert s.value("chainwatch_syncing", **NODE) == 1
    if height == "0":
        assert s.value("chainwatch_head_height", **NODE) is None and s.value("chainwatch_sync_lag_blocks", **NODE) is None
        assert snap.results["node-1"].unready == "no block yet (latest_block_height 0)"
    else:
        assert s.value("chainwatch_head_height", **NODE) == 16


async def test_beacon_zero_root_checkpoints_are_unknown():
    zero = {"epoch": "0", "root": "0x" + "00" * 32}
    routes = beacon_routes()
    routes["/eth/v1/beacon/states/head/finality_checkpoints"] = {
        "data": {"previous_justified": zero, "current_justified": zero, "finalized": zero},
        "finalized": False,
        "execution_optimistic": False,
    }
    with FakeServer() as srv:
        install_beacon(srv, "/node", routes)
        _, s, _ = await probe_rounds(chain_config("beacon", srv.url("/node")))
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value("chainwatch_beacon_epochs_since_finalized", **NODE) is None
    assert s.value("chainwatch_beacon_epochs_since_justified", **NODE) is None
    assert s.value("chainwatch_beacon_finalized_epoch", **NODE) is None
    assert unknown(s, "finality_checkpoints.finalized", **NODE) == 1
    assert unknown(s, "finality_checkpoints.current_justified", **NODE) == 1


async def test_solana_block_time_zero_is_unknown():
    with FakeServer() as srv:
        srv.jsonrpc("/node", solana_answers(getBlockTime=0))
        _, s, _ = await probe_rounds(chain_config("solana", srv.url("/node")))
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value("chainwatch_head_age_seconds", **NODE) is None
    assert unknown(s, "getBlockTime", **NODE) == 1


@pytest.mark.parametrize(
    "override,field",
    [
        ({"getblockheader": {"hash": "00" * 32, "height": 16, "time": 0}}, "getblockchaininfo.time"),
        ("zero_best", "getblockchaininfo.bestblockhash"),
    ],
)
async def test_bitcoin_zero_time_and_zero_best_hash_are_unknown(override, field):
    if override == "zero_best":
        info = bitcoin_results()("getblockchaininfo", [])
        override = {"getblockchaininfo": {**info, "bestblockhash": "00" * 32}}
    with FakeServer() as srv:
        srv.jsonrpc("/node", bitcoin_results(**override))
        chain = {"kind": "bitcoin", "network": "mainnet", "chain": "main", "endpoints": [{"name": "node-1", "url": srv.url("/node")}]}
        _, s, _ = await probe_rounds(chain)
        asked = srv.calls("POST", "/node")
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value("chainwatch_head_age_seconds", **NODE) is None
    assert unknown(s, field, **NODE) == 1
    if field.endswith("bestblockhash"):
        assert asked == 1  # no getblockheader for a hash that names no block

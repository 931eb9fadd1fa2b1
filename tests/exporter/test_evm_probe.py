"""EVM probe parsing and failure reasons, against a programmable loopback server.

The server (tests/support/fakeserver.py) answers with bodies shaped as the Ethereum
JSON-RPC spec documents (geth-like values); it is a fake, not a node. Real-node
behaviour is covered by test_anvil.py against real anvil processes.
"""

from __future__ import annotations

import asyncio
import gzip
import time

import pytest
from aiohttp import web

from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport
from tests.support.answers import DROP, evm_table
from tests.support.fakeserver import FakeServer
from chainwatch.devnet.procs import free_port
from tests.support.stack import Samples

SECRET = "SECRETKEY123456"


def geth(**overrides):
    """A healthy geth by method (tests/support/answers.py ``evm_table``), its head block 3 s old."""
    return evm_table(age=3, **overrides)


def reference(srv: FakeServer, head: int = 20) -> None:
    srv.jsonrpc(
        f"/v3/{SECRET}",
        geth(eth_blockNumber=hex(head), eth_getBlockByNumber=lambda p: {"number": hex(head), "timestamp": hex(int(time.time())), "baseFeePerGas": "0x1"}),
    )


def config_text(srv: FakeServer, node_url: str | None = None, extra: str = "") -> str:
    return f"""
{extra}
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    endpoints:
      - {{name: geth-1, url: "{node_url or srv.url("/node")}", role: node}}
      - {{name: ref-1, url: "{srv.url("/v3/" + SECRET)}", role: reference}}
"""


async def scrape(text: str, timeout: float = 5.0, after_load=None):
    """One probe round of the config ``text``: (snapshot, parsed exposition, exposition text).
    ``after_load()`` runs between the config's load and the round (a file changed meanwhile)."""
    config = parse(text, env={})
    if after_load is not None:
        after_load()
    transport = Transport(config.exporter.max_response_bytes)
    try:
        scheduler = Scheduler(config, transport)
        deadline = asyncio.get_running_loop().time() + timeout
        snap = await scheduler.round(list(scheduler.states.values()), sorted(config.chains), deadline)
        body = render(round_samples(snap)).decode()
        return snap, Samples.parse(body), body
    finally:
        await transport.close()


@pytest.fixture
def srv():
    with FakeServer() as server:
        yield server


async def test_parses_every_signal_and_computes_lag(srv):
    srv.jsonrpc("/node", geth())
    reference(srv)
    _, s, _ = await scrape(config_text(srv))
    node = dict(endpoint="geth-1")
    assert s.value("chainwatch_probe_success", **node) == 1
    assert s.value("chainwatch_head_height", **node) == 16
    assert s.value("chainwatch_peers", **node) == 50
    assert s.value("chainwatch_mempool_transactions", state="pending", **node) == 7
    assert s.value("chainwatch_mempool_transactions", state="queued", **node) == 2
    assert s.value("chainwatch_base_fee_wei", **node) == 1e9
    assert s.value("chainwatch_gas_price_wei", **node) == 20e9
    assert s.value("chainwatch_syncing", **node) == 0
    assert 2.5 <= s.value("chainwatch_head_age_seconds", **node) < 10
    assert s.value("chainwatch_node_info", client_version="Geth/v1.14.8-stable/linux-amd64/go1.22.6", **node) == 1
    # Reference head 20 vs node 16; block timestamps 3 s apart.
    assert s.value("chainwatch_sync_lag_blocks", **node) == 4
    assert 2 <= s.value("chainwatch_sync_lag_seconds", **node) <= 4
    assert s.value("chainwatch_references_reachable", chain="eth") == 1
    assert s.value("chainwatch_reference_head_height", chain="eth") == 20
    assert s.value("chainwatch_rpc_requests_total", method="batch", **node) == 1
    assert s.value("chainwatch_rpc_request_duration_seconds_count", method="batch", **node) == 1
    assert srv.calls("POST", "/node") == 1  # everything came from one batch
    srv.assert_all_called()


async def test_unsupported_methods_leave_metrics_absent_not_zero(srv):
    srv.jsonrpc("/node", geth(net_peerCount=DROP, txpool_status=DROP))  # -> -32601 like anvil/hardhat
    reference(srv)
    _, s, _ = await scrape(config_text(srv))
    assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1
    assert s.value("chainwatch_peers", endpoint="geth-1") is None
    assert s.find("chainwatch_mempool_transactions", endpoint="geth-1") == []


def _batch_without(method):
    async def handler(request, raw):
        import json

        calls = json.loads(raw)
        results = geth()
        return web.json_response([{"jsonrpc": "2.0", "id": c["id"], "result": results[c["method"]]} for c in calls if c["method"] != method])

    return handler


async def test_optional_method_missing_from_the_batch_drops_only_its_metric(srv):
    srv.route("POST", "/node", _batch_without("eth_gasPrice"))
    reference(srv)
    _, s, _ = await scrape(config_text(srv))
    assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1
    assert s.value("chainwatch_gas_price_wei", endpoint="geth-1") is None
    assert s.value("chainwatch_peers", endpoint="geth-1") == 50
    assert s.value("chainwatch_probe_dropped_values_total", endpoint="geth-1", field="eth_gasPrice") == 1


def _out_of_order(request, raw):
    import json

    calls = json.loads(raw)
    results = geth()
    return web.json_response([{"jsonrpc": "2.0", "id": c["id"], "result": results[c["method"]]} for c in reversed(calls)])


FAILURES = [
    ("wrong_chain", lambda s: s.jsonrpc("/node", geth(eth_chainId="0x89"))),
    ("http_status", lambda s: s.route("POST", "/node", status=502, body="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})),
    ("invalid_json", lambda s: s.route("POST", "/node", body="<html>oops</html>", headers={"Content-Type": "text/html"})),
    ("invalid_json", lambda s: s.route("POST", "/node", body='[{"jsonrpc":"2.0","id":0,"res')),
    ("invalid_json", lambda s: s.route("POST", "/node", body="")),
    ("rpc_error", lambda s: s.jsonrpc("/node", geth(eth_chainId={"code": -32000, "message": "internal error"}))),
    ("rpc_error", lambda s: s.route("POST", "/node", json_body={"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch too large"}})),
    # a decimal string is not an EVM encoding (no client sends one): the head is unreadable
    ("invalid_response", lambda s: s.jsonrpc("/node", geth(eth_blockNumber="16", eth_getBlockByNumber={"number": "16", "timestamp": "0x1"}))),
    ("invalid_response", lambda s: s.jsonrpc("/node", geth(eth_blockNumber="-0x1", eth_getBlockByNumber={"number": "-0x1", "timestamp": None}))),
    ("invalid_response", lambda s: s.route("POST", "/node", _batch_without("eth_chainId"))),  # no identity
    ("rate_limited", lambda s: s.route("POST", "/node", status=429, body="slow down", headers={"Retry-After": "30", "Content-Type": "text/plain"})),
]


@pytest.mark.parametrize("reason, setup", FAILURES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(FAILURES)])
async def test_each_failure_has_one_bounded_reason_and_spares_the_others(srv, reason, setup):
    setup(srv)
    reference(srv)
    _, s, _ = await scrape(config_text(srv))
    assert s.value("chainwatch_probe_success", endpoint="geth-1") == 0
    assert s.value("chainwatch_probe_failure_reason", endpoint="geth-1", reason=reason) == 1
    assert sum(v for _, v in s.find("chainwatch_probe_failure_reason", endpoint="geth-1")) == 1
    assert s.value("chainwatch_probe_success", endpoint="ref-1") == 1
    assert s.find("chainwatch_sync_lag_blocks", endpoint="geth-1") == []


async def test_batch_answered_out_of_order_is_matched_by_id(srv):
    srv.route("POST", "/node", _out_of_order)
    reference(srv)
    _, s, _ = await scrape(config_text(srv))
    assert s.value("chainwatch_probe_success", endpoint="geth-1") == 1
    assert s.value("chainwatch_peers", endpoint="geth-1") == 50


async def test_connection_refused_is_connect(srv):
    reference(srv)
    _, s, _ = await scrape(config_text(srv, node_url=f"http://127.0.0.1:{free_port()}/"))
    assert s.value("chainwatch_probe_failure_reason", endpoint="geth-1", reason="connect") == 1


async def test_oversized_and_gzip_bomb_bodies_are_response_too_large(srv):
    srv.route("POST", "/node", body="[" + " " * 5000 + "]")
    srv.route("POST", "/bomb", body=gzip.compress(b" " * 5_000_000), headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    reference(srv)
    small = "exporter: {max_response_bytes: 2048}"
    _, s, _ = await scrape(config_text(srv, extra=small))
    assert s.value("chainwatch_probe_failure_reason", endpoint="geth-1", reason="response_too_large") == 1
    _, s, _ = await scrape(config_text(srv, node_url=srv.url("/bomb"), extra="exporter: {max_response_bytes: 100000}"))
    assert s.value("chainwatch_probe_failure_reason", endpoint="geth-1", reason="response_too_large") == 1


async def test_rate_limited_endpoint_backs_off_instead_of_retrying(srv):
    srv.route("POST", "/node", status=429, body="slow down", headers={"Retry-After": "60", "Content-Type": "text/plain"})
    reference(srv)
    config = parse(config_text(srv, extra="exporter: {min_probe_interval_seconds: 0, reference_max_age_seconds: 0}"), env={})
    transport = Transport()
    try:
        scheduler = Scheduler(config, transport)
        for _ in range(3):
            snap = await scheduler.round([scheduler.states["geth-1"]], [], asyncio.get_running_loop().time() + 5)
            assert snap.results["geth-1"].reason == "rate_limited"
    finally:
        await transport.close()
    assert srv.calls("POST", "/node") == 1  # the next two rounds waited out Retry-After


async def test_secret_in_url_never_reaches_output(srv, caplog):
    srv.jsonrpc("/node", geth())
    srv.route("POST", f"/v3/{SECRET}", status=500, body=f"upstream failed for /v3/{SECRET}", headers={"Content-Type": "text/plain"})
    caplog.set_level("DEBUG")
    snap, s, body = await scrape(config_text(srv))
    assert snap.results["ref-1"].reason == "http_status"
    assert SECRET not in snap.results["ref-1"].detail
    assert SECRET not in body
    assert SECRET not in caplog.text


async def test_slow_endpoint_times_out_within_deadline_without_delaying_others(srv):
    srv.jsonrpc("/node", geth(), delay=5)
    reference(srv)
    started = time.monotonic()
    _, s, _ = await scrape(config_text(srv), timeout=0.5)
    assert time.monotonic() - started < 0.5 + 1.0  # the 0.5 s deadline, not the 5 s delay; 1 s for a loaded loop
    assert s.value("chainwatch_probe_failure_reason", endpoint="geth-1", reason="timeout") == 1
    assert s.value("chainwatch_probe_success", endpoint="ref-1") == 1


async def test_timed_methods_get_their_own_latency_series(srv):
    srv.jsonrpc("/node", geth())
    reference(srv)
    text = config_text(srv).replace("role: node}", "role: node, timed_methods: [eth_blockNumber]}")
    _, s, _ = await scrape(text)
    assert s.value("chainwatch_rpc_request_duration_seconds_count", endpoint="geth-1", method="eth_blockNumber") == 1
    assert s.value("chainwatch_rpc_request_duration_seconds_count", endpoint="geth-1", method="batch") == 1
    assert s.value("chainwatch_rpc_requests_total", endpoint="geth-1", method="eth_blockNumber") == 1
    assert srv.calls("POST", "/node") == 2

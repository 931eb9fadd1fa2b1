"""Beacon probe parsing, optional routes and lag, against a simulated beacon node.

Simulated because Lodestar 1.5.1 (the real node of test_lodestar.py) lacks ``el_offline``
and answers every route; aioresponses would be the mock for our aiohttp transport but does
not work with aiohttp 3.14, so this uses a real loopback FakeServer. Bodies are shaped as
the Beacon API spec documents them (decimal strings in ``{"data": ...}`` envelopes).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport
from tests.support.fakeserver import FakeServer
from tests.support.stack import Samples

SPS, SPE = 12, 32
ROOT = "0x" + "ab" * 32


def install(
    srv: FakeServer,
    prefix: str,
    *,
    head: int,
    genesis: int,
    el_offline=None,
    optimistic=False,
    syncing=False,
    health=200,
    finalized: int | None = None,
    justified: int | None = None,
    without=(),
):
    sync = {"head_slot": str(head), "sync_distance": "0", "is_syncing": syncing, "is_optimistic": optimistic}
    if el_offline is not None:
        sync["el_offline"] = el_offline
    wall_epoch = int((time.time() - genesis) // SPS) // SPE
    routes = {
        "/eth/v1/beacon/genesis": {"data": {"genesis_time": str(genesis), "genesis_validators_root": ROOT, "genesis_fork_version": "0x00000000"}},
        "/eth/v1/config/spec": {"data": {"SECONDS_PER_SLOT": str(SPS), "SLOTS_PER_EPOCH": str(SPE), "PRESET_BASE": "mainnet"}},
        "/eth/v1/node/syncing": {"data": sync},
        "/eth/v1/node/peer_count": {"data": {"disconnected": "12", "connecting": "1", "connected": "3", "disconnecting": "0"}, "meta": {"count": 16}},
        "/eth/v1/node/peers": {
            "data": [
                {"peer_id": f"16Uiu2HAm{i}", "enr": None, "last_seen_p2p_address": "/ip4/10.0.0.1/tcp/9000", "state": "connected", "direction": d}
                for i, d in enumerate(["inbound", "inbound", "outbound"])
            ],
            "meta": {"count": 3},
        },
        "/eth/v1/node/version": {"data": {"version": "Lighthouse/v5.3.0-d6ba8c3/x86_64-linux"}},
        "/eth/v1/beacon/states/head/finality_checkpoints": {
            "execution_optimistic": False,
            "finalized": False,
            "data": {
                "previous_justified": {"epoch": str((justified if justified is not None else wall_epoch - 1) - 1), "root": ROOT},
                "current_justified": {"epoch": str(justified if justified is not None else wall_epoch - 1), "root": ROOT},
                "finalized": {"epoch": str(finalized if finalized is not None else wall_epoch - 2), "root": ROOT},
            },
        },
    }
    for path, body in routes.items():
        if path in without:
            srv.route("GET", prefix + path, status=404, json_body={"code": 404, "message": "Not Found"})
        else:
            srv.route("GET", prefix + path, json_body=body)
    srv.route("GET", prefix + "/eth/v1/node/health", body=b"", status=health)


def config_text(srv: FakeServer, *, reference: bool = False, key: str = "") -> str:
    endpoints = [{"name": "bn-1", "url": srv.url("/node" + key)}]
    if reference:
        endpoints.append({"name": "ref-1", "url": srv.url("/ref"), "role": "reference"})
    return json.dumps({"chains": {"eth-cl": {"kind": "beacon", "network": "mainnet", "endpoints": endpoints}}})


async def scrape(text: str, rounds: int = 1):
    config = parse(text, env={})
    transport = Transport()
    try:
        scheduler = Scheduler(config, transport)
        for _ in range(rounds):
            for state in scheduler.states.values():
                state.last = None  # no reuse between rounds
            deadline = asyncio.get_running_loop().time() + 5
            snap = await scheduler.round(list(scheduler.states.values()), sorted(config.chains), deadline)
        return snap, Samples.parse(render(round_samples(snap)).decode())
    finally:
        await transport.close()


@pytest.fixture
def srv():
    with FakeServer() as server:
        yield server


NODE = {"endpoint": "bn-1"}


async def test_current_spec_node_every_signal(srv):
    genesis = int(time.time()) - 1000 * SPS - 5  # wall-clock slot 1000, 5 s into it
    install(srv, "/node", head=998, genesis=genesis, el_offline=True, optimistic=True, health=206)
    snap, s = await scrape(config_text(srv), rounds=2)
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value("chainwatch_head_height", **NODE) == 998
    assert 2 * SPS + 4 <= s.value("chainwatch_head_age_seconds", **NODE) <= 2 * SPS + 7
    assert s.value("chainwatch_beacon_el_offline", **NODE) == 1
    assert s.value("chainwatch_beacon_optimistic", **NODE) == 1
    assert s.value("chainwatch_beacon_health_status_code", **NODE) == 206  # an answer, not a failure
    assert s.value("chainwatch_beacon_sync_distance_slots", **NODE) == 0
    assert s.value("chainwatch_syncing", **NODE) == 0
    assert s.value("chainwatch_peers", **NODE) == 3
    assert s.value("chainwatch_beacon_peers", state="disconnected", **NODE) == 12
    assert s.value("chainwatch_beacon_connected_peers", direction="inbound", **NODE) == 2
    assert s.value("chainwatch_beacon_connected_peers", direction="outbound", **NODE) == 1
    assert s.value("chainwatch_node_info", client_version="Lighthouse/v5.3.0-d6ba8c3/x86_64-linux", **NODE) == 1
    wall_epoch = 1000 // SPE
    assert s.value("chainwatch_beacon_finalized_epoch", **NODE) == wall_epoch - 2
    assert s.value("chainwatch_beacon_epochs_since_finalized", **NODE) == 2
    assert s.value("chainwatch_beacon_epochs_since_justified", **NODE) == 1
    # No references: lag against the wall-clock slot.
    assert s.value("chainwatch_sync_lag_blocks", **NODE) == 2
    assert s.value("chainwatch_sync_lag_seconds", **NODE) == 2 * SPS
    # Genesis and spec were read once over two rounds; version too (cached for 10 minutes).
    assert srv.calls("GET", "/node/eth/v1/beacon/genesis") == 1
    assert srv.calls("GET", "/node/eth/v1/config/spec") == 1
    assert srv.calls("GET", "/node/eth/v1/node/version") == 1
    assert srv.calls("GET", "/node/eth/v1/node/syncing") == 2
    assert s.value("chainwatch_rpc_requests_total", method="syncing", **NODE) == 2
    srv.assert_all_called()


async def test_optional_routes_404_leave_metrics_absent(srv):
    genesis = int(time.time()) - 500 * SPS
    optional = ("/eth/v1/node/peer_count", "/eth/v1/node/peers", "/eth/v1/node/version", "/eth/v1/beacon/states/head/finality_checkpoints")
    install(srv, "/node", head=500, genesis=genesis, health=503, without=optional)
    _, s = await scrape(config_text(srv))
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value("chainwatch_head_height", **NODE) == 500
    assert s.value("chainwatch_beacon_health_status_code", **NODE) == 503
    for metric in (
        "chainwatch_peers",
        "chainwatch_beacon_peers",
        "chainwatch_beacon_connected_peers",
        "chainwatch_beacon_finalized_epoch",
        "chainwatch_beacon_epochs_since_finalized",
        "chainwatch_beacon_el_offline",
    ):
        assert s.find(metric, **NODE) == [], metric
    assert s.value("chainwatch_node_info", client_version="unknown", **NODE) == 1


async def test_finality_stall_shows_in_epochs_since_finalized(srv):
    genesis = int(time.time()) - 3200 * SPS  # wall epoch 100
    install(srv, "/node", head=3200, genesis=genesis, finalized=90, justified=91)
    _, s = await scrape(config_text(srv))
    assert s.value("chainwatch_beacon_epochs_since_finalized", **NODE) == 10
    assert s.value("chainwatch_beacon_epochs_since_justified", **NODE) == 9


async def test_lag_against_reference_beacon_node(srv):
    genesis = int(time.time()) - 2000 * SPS
    install(srv, "/node", head=1990, genesis=genesis)
    install(srv, "/ref", head=1999, genesis=genesis)
    _, s = await scrape(config_text(srv, reference=True))
    assert s.value("chainwatch_reference_head_height", chain="eth-cl") == 1999
    assert s.value("chainwatch_sync_lag_blocks", **NODE) == 9
    assert s.value("chainwatch_sync_lag_seconds", **NODE) == 9 * SPS  # from slot start times


@pytest.mark.parametrize(
    "case,reason",
    [
        ("syncing_500", "http_status"),
        ("head_not_a_number", "invalid_response"),
        ("genesis_404", "http_status"),
    ],
)
async def test_failures_map_to_bounded_reasons(srv, case, reason):
    genesis = int(time.time()) - 100 * SPS
    install(srv, "/node", head=100, genesis=genesis)
    if case == "syncing_500":
        srv.route("GET", "/node/eth/v1/node/syncing", status=500, json_body={"code": 500, "message": "Internal"})
    elif case == "head_not_a_number":
        srv.route("GET", "/node/eth/v1/node/syncing", json_body={"data": {"head_slot": "100.0", "sync_distance": "0", "is_syncing": False}})
    elif case == "peers_500":
        srv.route("GET", "/node/eth/v1/node/peers", status=500, json_body={"code": 500, "message": "Internal"})
    elif case == "genesis_404":  # before genesis: "Chain genesis info is not yet known"
        srv.route("GET", "/node/eth/v1/beacon/genesis", status=404, json_body={"code": 404, "message": "Chain genesis info is not yet known"})
    snap, s = await scrape(config_text(srv))
    assert s.value("chainwatch_probe_success", **NODE) == 0
    assert s.value("chainwatch_probe_failure_reason", reason=reason, **NODE) == 1


async def test_optional_route_failing_drops_only_its_metrics(srv):
    # The head was read; only the optional /node/peers route broke: counted, not a failed node.
    install(srv, "/node", head=100, genesis=int(time.time()) - 100 * SPS)
    srv.route("GET", "/node/eth/v1/node/peers", status=500, json_body={"code": 500, "message": "Internal"})
    snap, s = await scrape(config_text(srv))
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.find("chainwatch_beacon_connected_peers", **NODE) == []
    assert s.value("chainwatch_probe_dropped_values_total", field="peers", **NODE) == 1
    assert snap.results["bn-1"].dropped[0][1] == "http_status: HTTP 500"


async def test_api_key_in_url_never_leaks(srv):
    genesis = int(time.time()) - 100 * SPS
    install(srv, "/node/SECRETKEY123456", head=100, genesis=genesis)
    srv.route("GET", "/node/SECRETKEY123456/eth/v1/node/syncing", status=500, json_body={"code": 500, "message": "boom"})
    snap, s = await scrape(config_text(srv, key="/SECRETKEY123456"))
    assert s.value("chainwatch_probe_success", **NODE) == 0
    assert "SECRETKEY123456" not in snap.results["bn-1"].detail
    assert "SECRETKEY123456" not in render(round_samples(snap)).decode()

"""Kind 4 of issue #14: an optional REST route answering 404, 405 or 501 is "not supported by
this client (or the proxy in front of it)": its metrics are absent, the probe succeeds, nothing
is counted as dropped. Every optional route of every REST kind (``rest.NOT_SUPPORTED``).

Server: a loopback fake answering the Beacon API routes as the spec shows (tests/support/answers.py beacon_table);
the field case ``beacon-health-404-fails-probe`` is the health rows.
"""

from __future__ import annotations

import pytest

from chainwatch.exporters import rest
from tests.support.fakeserver import FakeServer

from .support import NODE, beacon_routes, chain_config, install_beacon, probe_rounds

# route -> the metrics it alone provides
OPTIONAL = {
    "/eth/v1/node/health": ["chainwatch_beacon_health_status_code"],
    "/eth/v1/node/peer_count": ["chainwatch_beacon_peers"],
    "/eth/v1/node/peers": ["chainwatch_beacon_connected_peers"],
    "/eth/v1/beacon/states/head/finality_checkpoints": ["chainwatch_beacon_finalized_epoch", "chainwatch_beacon_epochs_since_finalized"],
    "/eth/v1/node/version": [],  # client_version="unknown"
}
ROWS = [(route, status) for route in OPTIONAL for status in rest.NOT_SUPPORTED]


@pytest.mark.parametrize("route, status", ROWS, ids=[f"{r.rsplit('/', 1)[-1]}-{s}" for r, s in ROWS])
async def test_optional_route_not_supported_leaves_its_metrics_absent(route, status):
    with FakeServer() as srv:
        install_beacon(srv, "/node", beacon_routes(**{route: {"code": status, "message": "not found"}}), statuses={route: status})
        snap, s, _ = await probe_rounds(chain_config("beacon", srv.url("/node")))
    assert s.value("chainwatch_probe_success", **NODE) == 1, snap.results["node-1"].detail
    assert s.value("chainwatch_head_height", **NODE) == 16
    for metric in OPTIONAL[route]:
        assert s.find(metric, **NODE) == [], metric
    assert s.find("chainwatch_probe_dropped_values_total", **NODE) == []
    if route.endswith("/version"):
        assert s.value("chainwatch_node_info", client_version="unknown", **NODE) == 1
    else:
        assert s.value("chainwatch_node_info", client_version="Lighthouse/v5.3.0-d6ba8c3/x86_64-linux", **NODE) == 1


@pytest.mark.parametrize("status", [200, 206, 503])
async def test_health_answers_are_recorded_as_status_codes(status):
    with FakeServer() as srv:
        install_beacon(srv, "/node", beacon_routes(), statuses={"/eth/v1/node/health": status})
        _, s, _ = await probe_rounds(chain_config("beacon", srv.url("/node")))
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value("chainwatch_beacon_health_status_code", **NODE) == status


async def test_required_route_not_supported_still_fails():
    with FakeServer() as srv:
        install_beacon(srv, "/node", beacon_routes(), statuses={"/eth/v1/node/syncing": 404})
        _, s, _ = await probe_rounds(chain_config("beacon", srv.url("/node")))
    assert s.value("chainwatch_probe_failure_reason", reason="http_status", **NODE) == 1

"""Transport fixes found by the hardening work, each pinned by a focused test."""

from __future__ import annotations

import asyncio
import time

import pytest

from chainwatch.assembly.config import parse
from chainwatch.exporters import redact
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport, join_url
from tests.support.hostile import HostileServer, beacon_kind, evm_kind


@pytest.mark.parametrize(
    "base, route, expected",
    [
        ("http://h:5052", "/eth/v1/node/syncing", "http://h:5052/eth/v1/node/syncing"),
        ("http://h:5052/", "/eth/v1/node/syncing", "http://h:5052/eth/v1/node/syncing"),
        ("https://h/key/K?apikey=Q", "/eth/v1/node/peers?state=connected", "https://h/key/K/eth/v1/node/peers?apikey=Q&state=connected"),
        ("https://u:p@h/v1/", "eth/v1/node/health", "https://u:p@h/v1/eth/v1/node/health"),
        ("https://h/key", "", "https://h/key"),
    ],
)
def test_routes_are_appended_to_the_path_and_queries_merged(base, route, expected):
    assert join_url(base, route) == expected


def config(endpoints: list[tuple[str, str]], kind: str = "evm") -> str:
    rows = "\n".join(f"      - {{name: {n}, url: '{u}'}}" for n, u in endpoints)
    head = "kind: evm\n    chain_id: 1" if kind == "evm" else f"kind: {kind}"
    return f"chains:\n  c:\n    {head}\n    network: n\n    endpoints:\n{rows}\n"


async def one_round(text: str, timeout: float):
    cfg = parse(text, env={})
    transport = Transport(cfg.exporter.max_response_bytes)
    try:
        scheduler = Scheduler(cfg, transport)
        started = time.monotonic()
        snap = await scheduler.round(list(scheduler.states.values()), [], asyncio.get_running_loop().time() + timeout)
        return snap, time.monotonic() - started
    finally:
        await transport.close()


async def test_stalled_endpoints_do_not_starve_others_on_the_same_host():
    # Beacon probes send ~7 requests at once; two stalled beacon endpoints on one host
    # used to fill aiohttp's per-host pool (4) and time out every other endpoint there.
    with HostileServer(beacon_kind()) as srv:
        text = config([("stall-1", srv.url("stall_before_headers")), ("stall-2", srv.url("stall_before_headers")), ("good", srv.url("ok"))], kind="beacon")
        snap, took = await one_round(text, timeout=2.0)
    assert snap.results["good"].success, snap.results["good"].detail
    assert snap.results["stall-1"].reason == "timeout"
    # The round ends at its 2 s deadline, not when the stalls (60 s) end; 1 s for a loaded event loop.
    assert took < 2.0 + 1.0
    # The good endpoint's latency is its own, not the time it waited for a connection.
    assert max(c.seconds for c in snap.results["good"].calls if c.seconds is not None) < 0.5


async def test_redirects_are_not_followed():
    with HostileServer(evm_kind()) as srv:
        snap, _ = await one_round(config([("moved", srv.url("redirect"))]), timeout=2.0)
        assert snap.results["moved"].reason == "http_status"
        assert srv.count("redirect") == 1
        assert not any(p.startswith("/redirected") for _, p, _, _ in srv.requests)


def test_clip_scrubs_a_secret_that_the_cut_would_halve():
    redact.use(("0123456789abcdef",))
    text = "x" * 30 + "0123456789abcdef" + "tail"
    assert redact.clip(text, 40) == "x" * 30 + redact.MASK
    assert "0123456789"[:8] not in ProbeFailure("invalid_json", "at " + redact.clip(text, 38)).detail
    assert "0123456789abcdef" not in ProbeFailure("rpc_error", text).detail


@pytest.mark.parametrize(
    "header, seconds",
    [("120", 120.0), ("-5", 0.0), ("1e9", 3600.0), ("nan", None), ("inf", None), ("Wed, 21 Oct 2026 07:28:00 GMT", None), ("", None), (None, None)],
)
def test_retry_after_is_bounded_and_unusable_values_fall_back(header, seconds):
    from chainwatch.exporters.transport import _retry_after

    assert _retry_after(header) == seconds

"""The benchmark still runs end to end (tiny: 5 endpoints), so it does not rot between runs.

No timing assertions (figures belong in bench/results, not in tests). What is asserted is
what a user of the exporter relies on and the benchmark reports: whatever the number of
concurrent scrapers, every endpoint receives exactly one JSON-RPC batch per probe round,
and the results file has the shape docs/benchmark.md describes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.poll import async_wait_until

REPO = Path(__file__).resolve().parents[1]

CHAINWATCH_KEYS = {
    "scrape_seconds",
    "failed_probes",
    "series",
    "cpu_seconds_per_endpoint",
    "cpu_seconds_total",
    "peak_rss_mb",
    "peak_rss_mb_one_scraper",
    "idle_rss_mb",
    "latency_error_seconds",
    "upstream_requests_per_endpoint_per_round",
    "endpoints_not_asked_once_per_round",
    "foreign_requests_ignored",
    "concurrent_scrapers",
}
BLACKBOX_KEYS = {"wall_seconds_for_n_probes", "failed_probes", "cpu_seconds_per_probe", "cpu_seconds_total", "peak_rss_mb", "latency_error_seconds"}


def test_bench_runs_and_keeps_one_upstream_request_per_endpoint_per_round(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--endpoints", "5", "--rounds", "2", "--scrapers", "1", "3", "--scraper-rounds", "2", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "scrape / N probes wall ms" in proc.stdout  # the table was printed

    report = json.loads(out.read_text())
    assert set(report) == {"machine", "generated_at", "scenarios", "targets"}
    (scenario,) = report["scenarios"]
    assert scenario["endpoints"] == 5 and scenario["delay_seconds"] == 0.1
    cw = scenario["chainwatch"]
    assert CHAINWATCH_KEYS <= set(cw)
    assert cw["failed_probes"] == 0
    # Series per endpoint (issue #34: at most 35 for an EVM endpoint, the block-hash comparison
    # of a chain with references included: its diverged series only for a node that differs),
    # plus ~10 of the chain and the exporter and the exporter process's own process_* series (~7).
    assert 5 * 20 < cw["series"] <= 5 * 35 + 25
    assert cw["latency_error_seconds"]["samples"] == 5 * 2  # every endpoint's batch latency was reported each round

    # Upstream load: exactly one batch per endpoint per round, sequential or concurrent scrapes.
    assert cw["upstream_requests_per_endpoint_per_round"] == {"min": 1.0, "max": 1.0}
    assert cw["endpoints_not_asked_once_per_round"] == {}
    assert set(cw["concurrent_scrapers"]) == {"1", "3"}
    for scrapers in cw["concurrent_scrapers"].values():
        assert scrapers["upstream_requests_per_endpoint_per_round"] == {"min": 1.0, "max": 1.0}
    assert report["targets"]["upstream_one_request_per_endpoint_per_round"] is True

    if scenario["blackbox"] is not None:  # Debian's prometheus-blackbox-exporter is installed
        assert BLACKBOX_KEYS <= set(scenario["blackbox"])
        assert scenario["blackbox"]["failed_probes"] == 0
        assert set(scenario["ratio_chainwatch_over_blackbox"]) == {"wall_seconds_median", "cpu_seconds_per_endpoint", "peak_rss_mb"}


def test_bench_with_workers_keeps_one_upstream_request_per_endpoint_per_round(tmp_path):
    """``--workers 2`` (chainwatch serve --workers 2): the same contract through worker processes."""
    out = tmp_path / "bench.json"
    args = ["--endpoints", "9", "--rounds", "2", "--scrapers", "1", "3", "--scraper-rounds", "2", "--workers", "2", "--no-blackbox", "--out", str(out)]
    proc = subprocess.run([sys.executable, "-m", "bench", *args], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (scenario,) = json.loads(out.read_text())["scenarios"]
    cw = scenario["chainwatch"]
    assert scenario["workers"] == 2 and cw["failed_probes"] == 0
    assert cw["upstream_requests_per_endpoint_per_round"] == {"min": 1.0, "max": 1.0}
    for scrapers in cw["concurrent_scrapers"].values():
        assert scrapers["upstream_requests_per_endpoint_per_round"] == {"min": 1.0, "max": 1.0}


async def _rpc(ws, call: dict) -> dict:
    """Send one JSON-RPC call and return its answer, skipping pushed heads in between."""
    await ws.send_json(call)
    while True:
        message = await ws.receive_json(timeout=10)
        if "id" in message:
            return message


async def test_fleet_websocket_mode_serves_new_heads_and_calls_like_a_node():
    """What a newHeads peer (Blockchain-RPC-Exporter's EVM collector) meets on the fleet's ports.

    Over a real websocket client (aiohttp's): the subscription id, then heads pushed with
    rising numbers; the calls the peer sends per scrape answered with the same results as over
    HTTP; a garbled message gets a parse error, not a dropped connection; a handshake to a path
    that is not the run's token is refused 404 and counted as foreign; plain HTTP POST still
    works on the same port; the control port counts it all.
    """
    import aiohttp

    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen", "--endpoints", "2", "--delay", "0.01", "--block-interval", "0.05", "--token", "tok"],
        cwd=REPO,
        stdout=subprocess.PIPE,
    )
    try:
        info = json.loads(proc.stdout.readline())
        port, control = info["ports"][1], info["control"]
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"ws://127.0.0.1:{port}/tok/", autoping=True) as ws:
                sub = await _rpc(ws, {"jsonrpc": "2.0", "id": 7, "method": "eth_subscribe", "params": ["newHeads"]})
                assert sub["id"] == 7 and sub["result"].startswith("0x")
                heads = []
                while len(heads) < 2:
                    note = await ws.receive_json(timeout=10)
                    assert note["method"] == "eth_subscription" and note["params"]["subscription"] == sub["result"]
                    heads.append(int(note["params"]["result"]["number"], 16))
                assert heads[1] == heads[0] + 1

                async with session.get(f"http://127.0.0.1:{control}/state") as resp:
                    state = await resp.json()
                assert state["subscriptions"] == 1 and state["ws_open"] == 1

                finalized = await _rpc(ws, {"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": ["finalized", False]})
                assert int(finalized["result"]["number"], 16) == 20_000_000
                version = await _rpc(ws, {"jsonrpc": "2.0", "id": 1, "method": "web3_clientVersion", "params": []})
                assert version["result"].startswith("Geth/")
                await ws.send_str("not json")
                garbled = await ws.receive_json(timeout=10)
                while "id" not in garbled:
                    garbled = await ws.receive_json(timeout=10)
                assert garbled["error"]["code"] == -32700
                assert not ws.closed

            try:
                async with session.ws_connect(f"ws://127.0.0.1:{port}/other/"):
                    raise AssertionError("a handshake outside the token's path was accepted")
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 404

            async with session.post(f"http://127.0.0.1:{port}/tok/", json={"jsonrpc": "2.0", "id": 3, "method": "eth_chainId"}) as resp:
                assert (await resp.json())["result"] == "0x1"

            async def state_when_closed():
                async with session.get(f"http://127.0.0.1:{control}/state") as resp:
                    state = await resp.json()
                return state if state["subscriptions"] == 0 else None  # the closed socket's subscription is gone

            state = await async_wait_until(state_when_closed, 5, "the subscription of the closed websocket dropped")  # closing is loopback-fast
        assert state["counts"] == [0, 5]  # subscribe, finalized, clientVersion, garbled, the HTTP POST
        assert state["foreign"] == 1 and state["ws_accepted"] == 1 and state["ws_open"] == 0
    finally:
        proc.terminate()
        proc.wait(10)


PEER_CHECKOUT = os.environ.get("CHAINWATCH_BENCH_PEER_CHECKOUT")


@pytest.mark.skipif(not PEER_CHECKOUT, reason="CHAINWATCH_BENCH_PEER_CHECKOUT names no Blockchain-RPC-Exporter checkout")
async def test_bench_runs_the_peer_from_a_checkout_on_loopback(tmp_path):
    """``--peer-checkout``: the peer answers for every endpoint of the fleet, bound to loopback only.

    Its venv is made once under build/ (the first run installs its requirements: not part of
    this test's budget when the venv exists). Every endpoint's subscription opens and each scrape
    asks each endpoint twice over two new websocket connections (finalized block and client
    version), which is what docs/benchmark.md reports of it.
    """
    import aiohttp

    from bench import run
    from bench.peer import bench_peer, ensure_venv

    checkout = Path(PEER_CHECKOUT)
    python = ensure_venv(checkout)
    loadgens, ports, controls = run.start_loadgens(3, 0.01, 0.0, 0.2)
    try:
        async with aiohttp.ClientSession() as session:
            peer = await bench_peer(session, 3, ports, run.Loadgen(session, controls), 2, tmp_path, python, checkout, rest=0.2)
    finally:
        for loadgen in loadgens:
            loadgen.stop()
    assert peer["error"] is None, peer
    assert peer["subscriptions_open"] == 3 and peer["failed_probes"] == 0 and peer["rounds_measured"] == 2
    assert peer["upstream_requests_per_endpoint_per_round"] == {"min": 2.0, "max": 2.0}
    assert peer["websocket_connections_per_endpoint_per_round"] == 2.0
    assert 3 * 7 <= peer["series"]  # health, heads, disconnects, heights, client version, latency per endpoint

"""The exporter against real anvil nodes (npm @foundry-rs/anvil-linux-amd64).

A reference anvil and an operated node anvil; faults are caused in the real node:
mining frozen, mempool filled, process stopped with SIGSTOP.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from tests.support.configs import anvil_chain, node_at, ref_at
from tests.support.poll import wait_until
from tests.support.stack import DEV_ACCOUNT, Anvil, Exporter, Samples, write_config

pytestmark = pytest.mark.anvil


@pytest.fixture
def devnet(tmp_path):
    ref = Anvil(tmp_path, name="ref")
    node = Anvil(tmp_path, name="node")
    try:
        yield ref, node
    finally:
        node.stop()
        ref.stop()


def start_exporter(tmp_path, ref, node, args=(), **exporter):
    settings = {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0, **exporter}
    path = write_config(tmp_path / "chainwatch.yaml", {"devnet": anvil_chain(ref_at(ref.url), node_at(node.url))}, exporter=settings)
    return Exporter(path, tmp_path, extra_args=list(args))


def test_frozen_node_lag_and_head_age_grow(tmp_path, devnet):
    ref, node = devnet
    with start_exporter(tmp_path, ref, node) as exporter:
        first = exporter.metrics()
        assert first.value("chainwatch_probe_success", endpoint="node-1") == 1
        assert first.value("chainwatch_sync_lag_blocks", endpoint="node-1") <= 1
        assert first.value("chainwatch_peers", endpoint="node-1") is None  # anvil: net_peerCount -32601
        node.freeze()
        # The references make a block a second: 3 blocks behind within ~3 s, 10 s on a loaded machine.
        later = wait_until(
            lambda: (
                (s := exporter.metrics()).value("chainwatch_sync_lag_blocks", endpoint="node-1") >= 3
                and s.value("chainwatch_sync_lag_seconds", endpoint="node-1") >= 3
                and s.value("chainwatch_head_age_seconds", endpoint="node-1") >= 3
                and s
            ),
            10,
            "node-1 frozen 3 s behind",
            interval=0.25,
        )
        assert later.value("chainwatch_sync_lag_blocks", endpoint="node-1") >= 3
        assert later.value("chainwatch_sync_lag_seconds", endpoint="node-1") >= 3
        assert later.value("chainwatch_head_age_seconds", endpoint="node-1") >= 3
        assert later.value("chainwatch_head_age_seconds", endpoint="ref-1") < 2
        node.resume()


def test_filled_mempool_is_reported_pending(tmp_path, devnet):
    ref, node = devnet
    node.freeze()
    for _ in range(5):
        node.call("eth_sendTransaction", [{"from": DEV_ACCOUNT, "to": DEV_ACCOUNT, "value": "0x1"}])
    with start_exporter(tmp_path, ref, node) as exporter:
        s = exporter.metrics()
        assert s.value("chainwatch_mempool_transactions", endpoint="node-1", state="pending") == 5
        assert s.value("chainwatch_mempool_transactions", endpoint="node-1", state="queued") == 0


def test_stopped_node_times_out_within_deadline_while_reference_reports(tmp_path, devnet):
    ref, node = devnet
    with start_exporter(tmp_path, ref, node) as exporter:
        assert exporter.metrics().value("chainwatch_probe_success", endpoint="node-1") == 1
        node.signal(signal.SIGSTOP)
        took: list[float] = []
        seen: list[list[str]] = []  # node-1's probe lines of each scrape, for the failure message

        def scrape():
            started = time.monotonic()
            status, text = exporter.get("/metrics", {"X-Prometheus-Scrape-Timeout-Seconds": "5"})
            took.append(time.monotonic() - started)  # what Prometheus waits for (not our parsing below)
            assert status == 200, status
            seen.append([line for line in text.splitlines() if 'endpoint="node-1"' in line and "chainwatch_probe_" in line])
            s = Samples.parse(text)
            return s if s.value("chainwatch_probe_failure_reason", endpoint="node-1", reason="timeout") == 1 else None

        try:
            # Polled: once, on a loaded CI machine, the first scrape after the stop did not yet
            # say timeout (cause not seen; a failure now prints node-1's probe lines). The contract
            # is that the stopped node is reported as timeout and every scrape stays in time.
            s = wait_until(scrape, 20, "node-1 reported as timeout", interval=0.2, errors=(), describe=lambda _: str(seen[-1:]))
        finally:
            node.signal(signal.SIGCONT)
        # Contract: every answer is in before Prometheus' 5 s scrape timeout; the exporter's own
        # 0.5 s offset (probes cut at 4.5 s) is the margin for a loaded machine, and the
        # reference's probe has those 4.5 s on a machine running the suite on both cores.
        assert max(took) < 5.0, took
        assert s.value("chainwatch_probe_success", endpoint="ref-1") == 1
        assert s.value("chainwatch_head_height", endpoint="ref-1") is not None


def test_concurrent_scrapes_share_one_probe_per_endpoint(tmp_path, devnet):
    ref, node = devnet
    with start_exporter(tmp_path, ref, node, min_probe_interval_seconds=1, reference_max_age_seconds=1) as exporter:
        results = []
        threads = [threading.Thread(target=lambda: results.append(exporter.metrics())) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 10
        last = exporter.metrics()
        # 11 scrapes within the reuse window: one batch to each endpoint.
        assert last.value("chainwatch_rpc_requests_total", endpoint="node-1", method="batch") == 1
        assert last.value("chainwatch_rpc_requests_total", endpoint="ref-1", method="batch") == 1


def test_probe_endpoint_accepts_only_configured_names(tmp_path, devnet):
    ref, node = devnet
    with start_exporter(tmp_path, ref, node) as exporter:
        status, body = exporter.get("/probe?target=node-1")
        assert status == 200 and 'endpoint="node-1"' in body and 'endpoint="ref-1"' not in body
        for bad in ["http://169.254.169.254/latest/meta-data", "../node-1", "node-1%2F..", "x" * 5000, "unknown"]:
            status, body = exporter.get("/probe?target=" + bad)
            assert status == 400, bad
        assert exporter.get("/probe?target=node-1&target=ref-1")[0] == 400
        assert exporter.get("/probe?target=node-1&chain=devnet")[0] == 400
        status, body = exporter.get("/probe?chain=devnet")
        assert status == 200 and "chainwatch_references_reachable" in body


def test_reload_rejects_invalid_config_and_keeps_serving(tmp_path, devnet):
    ref, node = devnet
    with start_exporter(tmp_path, ref, node, args=["--web.enable-lifecycle"]) as exporter:
        path = tmp_path / "chainwatch.yaml"
        good = path.read_text()
        path.write_text(good.replace("network: anvil", "netwerk: anvil"))
        status, body = exporter.post("/-/reload")
        assert status == 400 and "netwerk: unknown key" in body
        s = exporter.metrics()
        assert s.value("chainwatch_config_last_reload_successful") == 0
        assert s.value("chainwatch_probe_success", endpoint="node-1") == 1
        exporter.signal(signal.SIGHUP)  # also rejected via SIGHUP (it says so in its log)
        wait_until(lambda: exporter.log_path.read_text().count("config reload rejected") >= 2, 5, "the SIGHUP reload rejected")
        assert exporter.proc.poll() is None
        path.write_text(good.replace("name: node-1", "name: node-2"))
        exporter.signal(signal.SIGHUP)
        s = wait_until(
            lambda: (m := exporter.metrics()).value("chainwatch_probe_success", endpoint="node-2") is not None and m,
            5,
            "node-2 served after the SIGHUP reload",
            interval=0.2,
        )
        assert s.value("chainwatch_probe_success", endpoint="node-2") == 1
        assert s.value("chainwatch_config_last_reload_successful") == 1


def test_check_prints_table_and_fails_only_for_operated_nodes(tmp_path, devnet):
    import subprocess
    import sys

    ref, node = devnet
    chains = {"devnet": anvil_chain(ref_at(ref.url), node_at(node.url))}
    path = write_config(tmp_path / "ok.yaml", chains)
    run = lambda p: subprocess.run([sys.executable, "-m", "chainwatch.cli", "check", "--config.file", str(p), "--timeout", "3"], capture_output=True, text=True)
    ok = run(path)
    assert ok.returncode == 0, ok.stderr
    header, *rows = ok.stdout.splitlines()
    assert header.split()[:3] == ["chain", "endpoint", "role"]
    assert any(r.split()[1] == "node-1" and r.split()[3] == "ok" and r.rstrip().endswith("ok") for r in rows)
    wrong = {
        "devnet": {
            **chains["devnet"],
            "endpoints": [*chains["devnet"]["endpoints"], {"name": "other", "url": ref.url.replace(str(ref.port), "1"), "role": "provider"}],
        }
    }
    assert run(write_config(tmp_path / "provider-down.yaml", wrong)).returncode == 0  # a provider down is not our node
    node.stop()
    failed = run(path)
    assert failed.returncode == 1
    assert "FAIL connect" in failed.stdout and "1 operated node(s) failing: node-1" in failed.stderr

"""``chainwatch serve --workers N``: worker processes behind one listener.

Real processes (``chainwatch serve`` and its workers) against the programmable loopback
server answering EVM JSON-RPC as the Ethereum API documents it (a fake, not a node): the
references answer head 0x20, the nodes 0x10, so lag is visibly measured against the
parent's one reference snapshot. What a user sees: every endpoint in one ``/metrics``,
one upstream request per endpoint per scrape, a family never split, a dead worker costing
only its endpoints (failed probes, a log line, then back), and no worker outliving the
exporter.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest
import yaml

from chainwatch.assembly.config import load
from chainwatch.exporters.workers import parent_owned, partition
from tests.support.answers import evm_table
from tests.support.fakeserver import FakeServer
from tests.support.poll import wait_until
from tests.support.stack import Exporter, Samples, write_config

NODES = [f"node-{i}" for i in range(8)]
STARTUP = 60  # seconds: the parent and two workers import the exporter on a loaded 2-core machine
SCRAPE = {"X-Prometheus-Scrape-Timeout-Seconds": "10"}


def fleet(srv: FakeServer, tmp_path: Path) -> Path:
    srv.jsonrpc("/ref-1", evm_table(head=0x20))
    srv.jsonrpc("/ref-2", evm_table(head=0x20))
    for name in NODES:
        srv.jsonrpc(f"/{name}", evm_table())
    endpoints = [{"name": f"ref-{i}", "url": srv.url(f"/ref-{i}"), "role": "reference"} for i in (1, 2)]
    endpoints += [{"name": n, "url": srv.url(f"/{n}"), "role": "node"} for n in NODES]
    return write_config(
        tmp_path / "chainwatch.yaml",
        {"eth": {"kind": "evm", "network": "mainnet", "chain_id": 1, "endpoints": endpoints}},
        exporter={"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0},
    )


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def series(text: str) -> set[tuple]:
    """Every series of an exposition, without values (durations differ from scrape to scrape)."""
    return {(name, tuple(sorted(labels.items()))) for name, labels, _ in Samples.parse(text).rows}


def calls(srv: FakeServer) -> dict[str, int]:
    return {path: srv.calls("POST", f"/{path}") for path in ["ref-1", "ref-2", *NODES]}


def test_the_endpoints_are_split_between_the_parent_and_the_workers(tmp_path):
    with FakeServer() as srv:
        config = load(fleet(srv, tmp_path))
    owned = partition(config, 2)
    assert parent_owned(config) == {"ref-1", "ref-2"}
    assert sorted(owned[0] + owned[1]) == sorted(NODES) and not set(owned[0]) & set(owned[1])
    assert owned[0] and owned[1]  # eight names hash to both workers (a stable crc32, not Python's salted hash)
    assert partition(config, 2) == owned


def test_workers_serve_every_endpoint_once_per_scrape_with_lag_against_the_parents_references(tmp_path):
    with FakeServer() as srv:
        path = fleet(srv, tmp_path)
        with Exporter(path, tmp_path, extra_args=["--workers", "1"]) as single:
            status, one = single.get("/metrics", SCRAPE)
            assert status == 200
        before = calls(srv)
        with Exporter(path, tmp_path, extra_args=["--workers", "2"]) as exporter:
            assert len(children(exporter.proc.pid)) == 2
            status, text = exporter.get("/metrics", SCRAPE)
            assert status == 200
            assert {k: v - before[k] for k, v in calls(srv).items()} == dict.fromkeys(before, 1)  # one request per endpoint
            status, text2 = exporter.get("/metrics", SCRAPE)
            assert {k: v - before[k] for k, v in calls(srv).items()} == dict.fromkeys(before, 2)
    samples = Samples.parse(text)
    for name in NODES:
        assert samples.value("chainwatch_probe_success", endpoint=name) == 1
        assert samples.value("chainwatch_sync_lag_blocks", endpoint=name) == 16  # 0x20 - 0x10, against the parent's references
        assert samples.value("chainwatch_probes_total", endpoint=name) == 1
    assert samples.value("chainwatch_references_reachable", chain="eth") == 2
    for family in {n for n, _, _ in samples.rows}:  # a family is one block: one TYPE line each
        base = re.sub(r"_(bucket|count|sum)$", "", family)
        assert text.count(f"# TYPE {base} ") == 1, base
    assert series(text) == series(one)  # the same series as one process serves


def test_a_killed_worker_costs_its_endpoints_one_scrape_and_comes_back(tmp_path):
    with FakeServer() as srv:
        path = fleet(srv, tmp_path)
        owned = partition(load(path), 2)
        with Exporter(path, tmp_path, extra_args=["--workers", "2"]) as exporter:
            exporter.metrics(headers=SCRAPE)
            victim = children(exporter.proc.pid)[0]  # worker 0: started first
            os.kill(victim, signal.SIGKILL)
            wait_until(lambda: not alive(victim) or victim not in children(exporter.proc.pid), 10, "worker 0 gone")
            started = time.monotonic()
            status, text = exporter.get("/metrics", SCRAPE, timeout=20)
            assert status == 200 and time.monotonic() - started < 10  # within the scrape timeout, never hung
            samples = Samples.parse(text)
            for name in owned[0]:
                assert samples.value("chainwatch_probe_success", endpoint=name) == 0
                assert samples.value("chainwatch_probe_failure_reason", endpoint=name, reason="timeout") == 1
                assert samples.value("chainwatch_probes_total", endpoint=name) is None  # not a 0 that rate() would read as a reset
            for name in owned[1] + ["ref-1", "ref-2"]:
                assert samples.value("chainwatch_probe_success", endpoint=name) == 1
            assert "worker failed" in exporter.log_path.read_text()

            def all_up():
                s = exporter.metrics(headers=SCRAPE)
                return all(s.value("chainwatch_probe_success", endpoint=n) == 1 for n in NODES)

            wait_until(all_up, STARTUP, "the restarted worker serves its endpoints again")
            assert len(children(exporter.proc.pid)) == 2


def test_workers_die_with_the_exporter(tmp_path):
    with FakeServer() as srv:
        path = fleet(srv, tmp_path)
        with Exporter(path, tmp_path, extra_args=["--workers", "2"]) as exporter:
            workers = children(exporter.proc.pid)
            assert len(workers) == 2
            exporter.proc.send_signal(signal.SIGKILL)  # the parent only, not its process group: no cleanup runs
            exporter.proc.wait(10)
            wait_until(lambda: not any(alive(pid) for pid in workers), 10, "workers killed by the kernel (PR_SET_PDEATHSIG)")


@pytest.mark.parametrize("count", ["0", "65"])
def test_a_worker_count_out_of_range_is_refused(tmp_path, count):
    import subprocess
    import sys

    with FakeServer() as srv:
        path = fleet(srv, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "chainwatch.cli", "serve", "--config.file", str(path), "--workers", count], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "--workers" in done.stderr


def test_a_reload_reaches_the_workers(tmp_path):
    with FakeServer() as srv:
        path = fleet(srv, tmp_path)
        with Exporter(path, tmp_path, extra_args=["--workers", "2", "--web.enable-lifecycle"]) as exporter:
            assert exporter.metrics(headers=SCRAPE).value("chainwatch_probe_success", endpoint="node-new") is None
            srv.jsonrpc("/node-new", evm_table())
            doc = yaml.safe_load(path.read_text())
            doc["chains"]["eth"]["endpoints"].append({"name": "node-new", "url": srv.url("/node-new"), "role": "node"})
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
            status, body = exporter.post("/-/reload")
            assert status == 200, body
            samples = exporter.metrics(headers=SCRAPE)
            assert samples.value("chainwatch_probe_success", endpoint="node-new") == 1
            assert samples.value("chainwatch_sync_lag_blocks", endpoint="node-new") == 16
            assert samples.value("chainwatch_endpoints_configured") == 11

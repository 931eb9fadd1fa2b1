"""The benchmark still runs end to end (tiny: 5 endpoints), so it does not rot between runs.

No timing assertions (figures belong in bench/results, not in tests). What is asserted is
what a user of the exporter relies on and the benchmark reports: whatever the number of
concurrent scrapers, every endpoint receives exactly one JSON-RPC batch per probe round,
and the results file has the shape docs/benchmark.md describes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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

"""Load: 50 concurrent scrapers against 100 endpoints — no failed scrape, flat memory,
and the upstream sees no more requests than with one scraper (coalescing).

The exporter (``chainwatch serve``) watches 100 EVM endpoints on a local well-behaved
server (tests/support/hostile.py ``ok`` case, 5 references + 95 nodes). 50 scrapers run
at once, as 50 Prometheus replicas / blackbox-style jobs would: each requests
``/probe?target=<endpoint>`` round-robin over the endpoints, and every tenth request is a
full ``/metrics``. A scrape fails if it is not a 200 within its 10 s scrape timeout or if
the endpoint it asked about is not reported up.

CI runs 15 s; the 60 s run of the issue is ``-m nightly``. RSS of the exporter is sampled
every second; after warm-up it must not grow. Upstream requests per endpoint are bounded
by ``min_probe_interval_seconds`` (1 s): 50 scrapers cost the node what one does.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter

import aiohttp
import pytest

from tests.support.hostile import HostileServer, evm_kind

from .harness import start

ENDPOINTS = 100
REFERENCES = 5
SCRAPERS = 50
SUCCESS = re.compile(rb'chainwatch_probe_success\{[^}]*endpoint="([^"]+)"[^}]*\} ([0-9.]+)')


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def scraper(session: aiohttp.ClientSession, base: str, index: int, stop_at: float, names: list[str], outcome: Counter, failures: list):
    i = index
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": "10"}
    while time.monotonic() < stop_at:
        full = i % 10 == 0
        target = names[i % len(names)]
        path = "/metrics" if full else f"/probe?target={target}"
        started = time.monotonic()
        try:
            async with session.get(base + path, headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                body = await resp.read()
                status = resp.status
        except Exception as exc:  # noqa: BLE001 - any failure to scrape is what we count
            failures.append(f"{path}: {type(exc).__name__} {exc}")
            outcome["failed"] += 1
        else:
            up = {m.group(1).decode(): m.group(2) for m in SUCCESS.finditer(body)}
            if status != 200:
                failures.append(f"{path}: HTTP {status}")
                outcome["failed"] += 1
            elif full and (len(up) != len(names) or any(v != b"1.0" for v in up.values())):
                failures.append(f"{path}: {sum(v == b'1.0' for v in up.values())}/{len(names)} up")
                outcome["failed"] += 1
            elif not full and up.get(target) != b"1.0":
                failures.append(f"{path}: {up.get(target)!r}")
                outcome["failed"] += 1
            else:
                outcome["ok"] += 1
                outcome["metrics" if full else "probe"] += 1
        outcome["seconds"] += time.monotonic() - started
        i += 1
        await asyncio.sleep(0.25)  # the scenario (the load), not a wait: each scraper ~3 requests per second


async def run_load(base: str, names: list[str], seconds: float, pid: int) -> tuple[Counter, list, list[int]]:
    outcome: Counter = Counter()
    failures: list = []
    samples: list[int] = []
    stop_at = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def sample_memory():
            while time.monotonic() < stop_at:
                samples.append(rss_kib(pid))
                await asyncio.sleep(1.0)  # the scenario: one RSS sample a second for the whole run

        await asyncio.gather(sample_memory(), *(scraper(session, base, k * 7, stop_at, names, outcome, failures) for k in range(SCRAPERS)))
    return outcome, failures, samples


def load_run(tmp_path, seconds: float):
    with HostileServer(evm_kind()) as srv:
        endpoints = [{"name": f"ep-{i:03d}", "url": srv.url("ok", f"ep-{i:03d}"), "role": "reference" if i < REFERENCES else "node"} for i in range(ENDPOINTS)]
        chains = {"eth": {"kind": "evm", "network": "mainnet", "chain_id": 1, "endpoints": endpoints}}
        with start(tmp_path, chains, min_probe_interval_seconds=1, reference_max_age_seconds=2) as exporter:
            names = [e["name"] for e in endpoints]
            exporter.metrics()  # warm: first round, sessions open
            before = Counter(p.split("/")[2] for _, p, _, _ in srv.requests)
            started = time.monotonic()
            outcome, failures, rss = asyncio.run(run_load(exporter.url, names, seconds, exporter.proc.pid))
            elapsed = time.monotonic() - started
            after = Counter(p.split("/")[2] for _, p, _, _ in srv.requests)
            assert exporter.proc.poll() is None
        upstream = {n: after[n] - before[n] for n in names}
        return outcome, failures, rss, upstream, elapsed


def check(outcome, failures, rss, upstream, elapsed, seconds):
    total = outcome["ok"] + outcome["failed"]
    # The load really ran: each scraper paces itself at ~3 requests/s; at least 1/s even on a
    # machine so loaded that every request waits (seen: 1380 in 16 s at load 20 on 2 cores).
    assert total > SCRAPERS * seconds, f"only {total} scrapes in {elapsed:.0f}s"
    assert outcome["failed"] == 0, failures[:10]
    # Coalescing: at most one probe per endpoint per min_probe_interval (1 s), whatever the
    # number of scrapers; +2 for the edges of the run.
    worst = max(upstream.values())
    assert worst <= elapsed / 1.0 + 2, f"upstream saw {worst} requests for one endpoint in {elapsed:.0f}s"
    assert min(upstream.values()) >= 1
    # Memory: flat after warm-up (first third): no more than 16 MiB above the warm level.
    warm = rss[len(rss) // 3 :]
    assert max(warm) <= warm[0] + 16 * 1024, f"RSS grew from {warm[0] // 1024} to {max(warm) // 1024} MiB: {rss}"
    print(
        f"{total} scrapes ({outcome['probe']} /probe, {outcome['metrics']} /metrics) in {elapsed:.1f}s, "
        f"mean {outcome['seconds'] / total * 1000:.0f} ms; upstream max {worst}/endpoint; RSS {rss[0] // 1024}->{rss[-1] // 1024} MiB"
    )


def test_fifty_scrapers_fifteen_seconds(tmp_path):
    seconds = 15
    check(*load_run(tmp_path, seconds), seconds)


@pytest.mark.nightly
def test_fifty_scrapers_sixty_seconds(tmp_path):
    seconds = 60
    check(*load_run(tmp_path, seconds), seconds)

"""The same-job Python peer on the bench's fake fleet: smartcontractkit/Blockchain-RPC-Exporter.

    python -m bench --endpoints 100 1000 --peer-checkout ~/src/Blockchain-RPC-Exporter

None of the peer's code is in this repository: the bench is pointed at a local checkout, makes a
venv for it under ``build/peer-venv-<hash of its requirements.txt>`` (its ``requirements.txt``,
pinned there, from the package index), writes its config for the fleet and runs its
``src/exporter.py`` unchanged through ``bench/peer_launch.py``, which binds it to 127.0.0.1 on
free ports instead of ``''`` (every interface) on 8000/8001.

What the peer does (read at ``e0f8536``, ``src/collectors.py`` ``EvmCollector``,
``src/interfaces.py``, ``src/metrics.py``): per endpoint a thread with its own event loop holds a
websocket ``eth_subscribe("newHeads")`` subscription and keeps the latest head; each
``/metrics`` scrape then, for every endpoint, in a thread pool of 10 × N workers, opens two
*new* websocket connections, one for ``eth_getBlockByNumber("finalized")`` and one for
``web3_clientVersion`` (its cache is cleared at the start of every scrape). The fleet answers
those over the websocket after the same delay as the HTTP probes (``bench/loadgen.py``).

Measured like chainwatch: ``rounds`` sequential scrapes ``GAP`` apart, wall time of each, CPU
(utime + stime of the process, all threads) per endpoint per scrape, peak RSS (VmHWM), samples
in a scrape; besides: threads at rest and at peak, CPU at rest (holding the subscriptions, heads
arriving every ``--block-interval``), seconds until every subscription is open, and upstream
requests and websocket connections per endpoint per scrape as the fleet counted them, and a
start-up timeline (subscriptions open, handshakes, threads, CPU, load every ``TICK`` s): at
N = 1000 the start-up is the result. An endpoint
fails a round unless its scrape has ``brpc_health`` 1, ``brpc_block_height``,
``brpc_finalized_block_height`` and ``brpc_client_version_info``. A scrape that errors or takes
longer than ``SCRAPE_LIMIT`` counts all N as failed; one over 10 s would have been a timeout for
Prometheus at our scrape timeout, and is counted as such. A scrape over ``SLOW`` ends the rounds
(CPU is then per endpoint per round measured).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import aiohttp

from .run import GAP, REPO, SCRAPE_TIMEOUT, TOKEN, Child, Loadgen, cpu_seconds, free_port, peak_rss_mb, quantiles, wait_http

LAUNCH = Path(__file__).with_name("peer_launch.py")
SCRAPE_LIMIT = 300.0  # seconds one peer scrape may take before the round counts as failed
SLOW = 60.0  # a scrape this slow ends the rounds: the figure is the result, and more rounds only keep the machine busy
STARTUP_LIMIT = 300.0  # seconds for the peer to answer and open every subscription before measuring anyway
TICK = 10.0  # seconds between the start-up timeline's points
REST = 3.0  # seconds of CPU measured at rest, between subscribing and the first scrape
SAMPLE = re.compile(r'^(brpc_\w+)\{[^}]*provider="ep-(\d+)"[^}]*\} (\S+)$', re.M)
NEEDED = ("brpc_block_height", "brpc_finalized_block_height", "brpc_client_version_info")


def ensure_venv(checkout: Path) -> Path:
    """The peer's interpreter: ``build/peer-venv-<sha256[:12] of requirements.txt>/bin/python``.

    Created once (``python -m venv``, ``pip install -r requirements.txt``) and reused while the
    requirements are unchanged. Raises ``SystemExit`` naming the directory when it is not a
    checkout of the peer (no ``requirements.txt`` or ``src/exporter.py``), ``RuntimeError`` with
    pip's last lines when the install fails.
    """
    checkout = checkout.resolve()
    req = checkout / "requirements.txt"
    if not req.is_file() or not (checkout / "src" / "exporter.py").is_file():
        raise SystemExit(
            f"--peer-checkout {checkout}: no requirements.txt and src/exporter.py (a checkout of smartcontractkit/Blockchain-RPC-Exporter expected)"
        )
    venv = REPO / "build" / f"peer-venv-{hashlib.sha256(req.read_bytes()).hexdigest()[:12]}"
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    if not marker.exists():
        print(f"-- creating the peer's venv {venv} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        proc = subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(req)], capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"pip install -r {req} failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-1500:]}")
        marker.write_text(req.read_text())
    return python


def checkout_commit(checkout: Path) -> str | None:
    """The checkout's HEAD commit when it is a git work tree (a plain copy has none)."""
    proc = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def peer_config(ports: list[int]) -> str:
    """The peer's config (``src/configuration.py``'s schema): one EVM chain, an endpoint per port.

    ``provider`` carries our endpoint name, so samples map back to the fleet's endpoints.
    ``connection_parameters`` is left out: the peer's defaults (open 7 s, close 3 s, ping every
    10 s, ping and query timeout 7 s) are what it runs with unless told otherwise.
    """
    lines = [
        'blockchain: "Ethereum"',
        "chain_id: 1",
        'network_name: "bench"',
        'network_type: "Mainnet"',
        'integration_maturity: "development"',
        'canonical_name: "bench"',
        "chain_selector: -1",
        'collector: "evm"',
        "endpoints:",
    ]
    lines += [f'  - {{url: "ws://127.0.0.1:{port}/{TOKEN}/", provider: "ep-{i:04d}"}}' for i, port in enumerate(ports)]
    return "\n".join(lines) + "\n"


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def failed_endpoints(text: str, n: int) -> int:
    """Endpoints of a scrape without health 1 or without one of the ``NEEDED`` samples."""
    seen: dict[int, dict[str, float]] = defaultdict(dict)
    for name, idx, value in SAMPLE.findall(text):
        seen[int(idx)][name] = float(value)
    return sum(1 for i in range(n) if seen[i].get("brpc_health") != 1 or any(m not in seen[i] for m in NEEDED))


async def bench_peer(
    session: aiohttp.ClientSession, n: int, ports: list[int], gen: Loadgen, rounds: int, workdir: Path, python: Path, checkout: Path, rest: float = REST
) -> dict:
    cfg = workdir / f"peer-{n}.yml"
    cfg.write_text(peer_config(ports))
    port, liveness = free_port(), free_port()
    log = workdir / f"peer-{n}.log"
    env = {**os.environ, "CONFIG_FILE_PATH": str(cfg), "LOGLEVEL": "WARNING"}
    started = time.monotonic()
    child = Child([str(python), str(LAUNCH), str(checkout.resolve()), str(port), str(liveness)], log=log, env=env)
    url = f"http://127.0.0.1:{port}/metrics"
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": SCRAPE_TIMEOUT}
    limit = aiohttp.ClientTimeout(total=SCRAPE_LIMIT)
    out: dict = {"checkout_commit": checkout_commit(checkout), "error": None}
    peak_threads = 0

    async def scrape() -> tuple[float, str]:
        t0 = time.perf_counter()
        async with session.get(url, headers=headers, timeout=limit) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"/metrics answered {resp.status}")
        return time.perf_counter() - t0, body.decode()

    async def watch_threads() -> None:
        nonlocal peak_threads
        while True:
            try:
                peak_threads = max(peak_threads, threads(child.pid))
            except OSError:
                return
            await asyncio.sleep(0.2)

    timeline: list[dict] = []  # start-up, every TICK seconds: what a user of the peer would watch

    async def watch_startup() -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                state = await gen.state()
                timeline.append(
                    {
                        "seconds": round(time.monotonic() - started, 1),
                        "subscriptions_open": state["subscriptions"],
                        "websocket_handshakes": state["ws_accepted"],
                        "threads": threads(child.pid),
                        "cpu_seconds": cpu_seconds(child.pid),
                        "peak_rss_mb": peak_rss_mb(child.pid),
                        "load_average_1m": os.getloadavg()[0],
                    }
                )
            except (OSError, aiohttp.ClientError):
                return

    watcher = ticker = None
    try:
        watcher = asyncio.create_task(watch_threads())
        ticker = asyncio.create_task(watch_startup())
        # The peer registers its collector before it listens, and registering runs one whole
        # collect (prometheus_client describes a collector by collecting it): its start-up is a
        # scrape of every endpoint while N subscription threads start.
        await wait_http(session, f"http://127.0.0.1:{liveness}/readiness", child, timeout=STARTUP_LIMIT)
        out["seconds_to_ready"] = time.monotonic() - started
        subscribed = 0
        while time.monotonic() - started < STARTUP_LIMIT and child.proc.poll() is None:
            subscribed = (await gen.state())["subscriptions"]
            if subscribed >= n:
                break
            await asyncio.sleep(0.25)
        out["subscriptions_open"] = subscribed
        out["seconds_to_subscribe_all"] = time.monotonic() - started if subscribed >= n else None
        ticker.cancel()
        out["startup_cpu_seconds"] = cpu_seconds(child.pid)
        out["threads_at_rest"] = threads(child.pid)
        out["idle_rss_mb"] = peak_rss_mb(child.pid)
        cpu_rest = cpu_seconds(child.pid)
        await asyncio.sleep(rest)
        out["cpu_seconds_per_endpoint_per_second_at_rest"] = (cpu_seconds(child.pid) - cpu_rest) / (rest * n)
        # No warm-up scrape: the peer pools no connections (each scrape opens its own), and its
        # start-up already ran one whole collect.
        await gen.reset()
        walls, failed, series, errors = [], 0, 0, []
        cpu0 = cpu_seconds(child.pid)
        for _ in range(rounds):
            try:
                wall, text = await scrape()
            except (asyncio.TimeoutError, aiohttp.ClientError, RuntimeError) as exc:
                errors.append(repr(exc))
                failed += n
                break  # the next request would queue behind this collect in its one-threaded server
            walls.append(wall)
            series = max(series, sum(1 for line in text.splitlines() if line and not line.startswith("#")))
            failed += failed_endpoints(text, n)
            if wall > SLOW:
                break
            await asyncio.sleep(GAP)
        measured = len(walls) + len(errors)
        try:
            cpu = cpu_seconds(child.pid) - cpu0
            peak = peak_rss_mb(child.pid)
        except OSError:  # it died
            cpu = peak = None
        state = await gen.state()
        per_round = [c / measured for c in state["counts"]]
        out.update(
            {
                "scrape_seconds": quantiles(walls),
                "scrapes_over_10s": sum(1 for w in walls if w > float(SCRAPE_TIMEOUT)),
                "scrape_errors": len(errors),
                "scrape_error_first": errors[0] if errors else None,
                "failed_probes": failed,
                "series": series,
                "rounds_measured": measured,
                "cpu_seconds_per_endpoint": cpu / (measured * n) if cpu is not None else None,
                "cpu_seconds_total": cpu,
                "peak_rss_mb": peak,
                "threads_peak": peak_threads,
                "upstream_requests_per_endpoint_per_round": {"min": min(per_round), "max": max(per_round)},
                "websocket_connections_per_endpoint_per_round": state["ws_accepted"] / (measured * n),
                "subscriptions_open_at_end": state["subscriptions"],
            }
        )
        if child.proc.poll() is not None:
            out["error"] = f"the peer exited with {child.proc.returncode} during the rounds; log: {log}"
    except (RuntimeError, TimeoutError) as exc:
        out["error"] = f"{exc}"
        if child.proc.poll() is None:  # what it had cost by the time we gave up
            out.update({"cpu_seconds_total": cpu_seconds(child.pid), "peak_rss_mb": peak_rss_mb(child.pid), "threads_peak": peak_threads})
    finally:
        for task in (watcher, ticker):
            if task is not None:
                task.cancel()
        out["startup_timeline"] = timeline
        child.stop()
        if out["error"] and log.exists():
            out["log_tail"] = log.read_text(errors="replace")[-600:]
    return out

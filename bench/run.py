"""chainwatch vs blackbox_exporter: scrape time, CPU, memory, latency fidelity, upstream load.

    python -m bench                       # N = 10, 100, 1000 at 100 ms, writes bench/results/latest.json
    python -m bench --endpoints 5 --rounds 3 --out /tmp/b.json --quick

Three processes per scenario, all on loopback: the load generator (``bench/loadgen.py``,
N fake EVM JSON-RPC endpoints, one port each), the exporter under test (``chainwatch
serve``, a fresh process per N so its peak RSS is that scenario's), and this driver, which
scrapes like Prometheus would. CPU is read from ``/proc/<pid>/stat`` (utime + stime of the
exporter process, all threads), peak RSS from ``VmHWM`` in ``/proc/<pid>/status``.

chainwatch (one chain, 3 references + N-3 nodes, ``min_probe_interval_seconds`` and
``reference_max_age_seconds`` 0.5 s so rounds can be repeated every ~0.6 s):
- scrape: ``rounds`` sequential ``/metrics`` scrapes, wall time median / p95;
- CPU seconds per probed endpoint over those rounds (probe + render + serve);
- latency error: ``chainwatch_rpc_last_request_duration_seconds{method="batch"}`` of every
  endpoint against the delay the load generator injected for that very request;
- scrapers 1, 2, 10 at once: upstream requests per endpoint per round (must be 1), latency.

blackbox_exporter (Debian's, an ``http`` POST module whose body is the same batch), driven
as Prometheus drives it: N concurrent ``/probe?target=`` requests per round; wall time for
all N, CPU per probe, peak RSS, and its ``probe_duration_seconds`` against the injected delay.

With ``--peer-checkout DIR``, smartcontractkit/Blockchain-RPC-Exporter (the same-job Python
exporter) from that checkout, on the same fleet over websockets (``bench/peer.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from chainwatch.exporters import jsonrpc
from chainwatch.kinds.evm.probe import calls_for

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "latest.json"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PROBE_INTERVAL = 0.5  # min_probe_interval_seconds = reference_max_age_seconds in the bench config
GAP = PROBE_INTERVAL + 0.1  # pause between rounds so every round probes afresh
SCRAPE_TIMEOUT = "10"
BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
LAST_BATCH = re.compile(r'^chainwatch_rpc_last_request_duration_seconds\{[^}]*endpoint="ep-(\d+)"[^}]*method="batch"[^}]*\} (\S+)$', re.M)
BB_DURATION = re.compile(r"^probe_duration_seconds (\S+)$", re.M)
BB_SUCCESS = re.compile(r"^probe_success (\S+)$", re.M)


# ---------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(pid: int) -> list[int]:
    """``pid`` and its live children (``serve --workers N``: the parent and its workers)."""
    try:
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        kids = []
    return [pid, *kids]


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its live children (fields 14, 15 of /proc/<pid>/stat)."""
    total = 0
    for p in tree(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def peak_rss_mb(pid: int) -> float:
    """VmHWM of ``pid``, plus its children's (with workers: a sum of peaks, an upper bound)."""
    total = 0.0
    for p in tree(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total if total else float("nan")


class Child:
    def __init__(self, args: list[str], log: Path | None = None, stdout=None, env: dict | None = None):
        self.log = log
        out = stdout if stdout is not None else (open(log, "wb") if log else subprocess.DEVNULL)
        self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT if stdout is None else None, start_new_session=True, cwd=REPO, env=env)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        except ProcessLookupError:
            pass


async def wait_http(session: aiohttp.ClientSession, url: str, child: Child, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise RuntimeError(f"{child.proc.args[0]} exited with {child.proc.returncode}; log: {child.log}")
        try:
            async with session.get(url) as resp:
                if resp.status < 500:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


TOKEN = secrets.token_hex(6)  # the endpoints' path: the load generator counts only requests to it (bench/loadgen.py)


def start_loadgen(n: int, delay: float, jitter: float, block_interval: float = 2.0) -> tuple[Child, list[int], int]:
    args = [sys.executable, "-m", "bench.loadgen", "--endpoints", str(n), "--delay", str(delay), "--jitter", str(jitter), "--token", TOKEN]
    args += ["--block-interval", str(block_interval)]
    child = Child(args, stdout=subprocess.PIPE)
    line = child.proc.stdout.readline()
    if not line:
        raise RuntimeError("load generator did not start")
    info = json.loads(line)
    return child, info["ports"], info["control"]


def chainwatch_config(ports: list[int]) -> str:
    lines = [
        "exporter:",
        f"  min_probe_interval_seconds: {PROBE_INTERVAL}",
        f"  reference_max_age_seconds: {PROBE_INTERVAL}",
        "chains:",
        "  bench:",
        "    kind: evm",
        "    network: mainnet",
        "    chain_id: 1",
        "    endpoints:",
    ]
    refs = min(3, max(1, len(ports) // 3))
    for i, port in enumerate(ports):
        role = "reference" if i < refs else "node"
        lines.append(f'      - {{name: ep-{i:04d}, url: "http://127.0.0.1:{port}/{TOKEN}/", role: {role}}}')
    return "\n".join(lines) + "\n"


def blackbox_config() -> str:
    body = json.dumps(jsonrpc.build(calls_for({})), separators=(",", ":"))
    return (
        "modules:\n"
        "  evm_batch:\n"
        "    prober: http\n"
        "    timeout: 10s\n"
        "    http:\n"
        "      method: POST\n"
        "      headers:\n"
        "        Content-Type: application/json\n"
        f"      body: {json.dumps(body)}\n"
        "      valid_status_codes: [200]\n"
        "      preferred_ip_protocol: ip4\n"
        "      ip_protocol_fallback: false\n"
    )


# ---------------------------------------------------------------------- measuring


def quantiles(values: list[float]) -> dict:
    if not values:
        return {"median": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"median": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


class Loadgen:
    """The load generators' control ports as one: their endpoints in order."""

    def __init__(self, session: aiohttp.ClientSession, ports: list[int]):
        self.session = session
        self.bases = [f"http://127.0.0.1:{port}" for port in ports]

    async def state(self) -> dict:
        out = {"counts": [], "last_delay": [], "foreign": 0, "ws_accepted": 0, "ws_open": 0, "subscriptions": 0, "heads_pushed": 0}
        for base in self.bases:
            async with self.session.get(base + "/state") as resp:
                part = json.loads(await resp.read())
            for key, value in part.items():
                out[key] += value
        return out

    async def reset(self) -> None:
        for base in self.bases:
            async with self.session.post(base + "/reset") as resp:
                await resp.read()


# Endpoints per load generator process: each holds a listening socket and a connection per
# endpoint, and the hard limit of open files here is 20,000 (N = 10,000 takes two).
LOADGEN_MAX = 5000


def start_loadgens(n: int, delay: float, jitter: float, block_interval: float = 2.0) -> tuple[list[Child], list[int], list[int]]:
    children, ports, controls = [], [], []
    try:
        for first in range(0, n, LOADGEN_MAX):
            child, some, control = start_loadgen(min(LOADGEN_MAX, n - first), delay, jitter, block_interval)
            children.append(child)
            ports += some
            controls.append(control)
    except BaseException:
        for child in children:
            child.stop()
        raise
    return children, ports, controls


async def timed_get(session: aiohttp.ClientSession, url: str, headers: dict | None = None) -> tuple[float, bytes, int]:
    started = time.perf_counter()
    async with session.get(url, headers=headers) as resp:
        body = await resp.read()
        status = resp.status
    return time.perf_counter() - started, body, status


async def bench_chainwatch(
    session, n: int, ports: list[int], gen: Loadgen, rounds: int, scrapers: list[int], scraper_rounds: int, delay: float, workdir: Path, workers: int = 1
) -> dict:
    cfg = workdir / f"chainwatch-{n}.yaml"
    cfg.write_text(chainwatch_config(ports))
    port = free_port()
    child = Child(
        [sys.executable, "-m", "chainwatch.cli", "serve", "--config.file", str(cfg), "--web.listen-address", f"127.0.0.1:{port}", "--log.level", "warning"]
        + (["--workers", str(workers)] if workers > 1 else []),
        log=workdir / f"chainwatch-{n}.log",
    )
    url = f"http://127.0.0.1:{port}/metrics"
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": SCRAPE_TIMEOUT}
    try:
        await wait_http(session, f"http://127.0.0.1:{port}/-/healthy", child)
        idle_rss = peak_rss_mb(child.pid)
        await timed_get(session, url, headers)  # warm-up: connections, web3_clientVersion
        await asyncio.sleep(GAP)
        await gen.reset()
        walls, errors, failed, series = [], [], 0, 0
        cpu0 = cpu_seconds(child.pid)
        for _ in range(rounds):
            wall, body, status = await timed_get(session, url, headers)
            walls.append(wall)
            text = body.decode()
            series = max(series, sum(1 for line in text.splitlines() if line and not line.startswith("#")))
            failed += text.count("chainwatch_probe_success{") - len(re.findall(r"^chainwatch_probe_success\{[^}]*\} 1\.0$", text, re.M))
            injected = (await gen.state())["last_delay"]
            for idx, value in LAST_BATCH.findall(text):
                if injected[int(idx)] is not None:
                    errors.append(float(value) - injected[int(idx)])
            await asyncio.sleep(GAP)
        cpu = cpu_seconds(child.pid) - cpu0
        counts = (await gen.state())["counts"]
        per_round = [c / rounds for c in counts]
        excess = {f"ep-{i:04d}": c for i, c in enumerate(counts) if c != rounds}
        peak_one_scraper = peak_rss_mb(child.pid)
        concurrent = {}
        for k in scrapers:
            await gen.reset()
            lat = []
            for _ in range(scraper_rounds):
                got = await asyncio.gather(*(timed_get(session, url, headers) for _ in range(k)))
                lat.extend(w for w, _, _ in got)
                await asyncio.sleep(GAP)
            state = await gen.state()
            counts = state["counts"]
            per = [c / scraper_rounds for c in counts]
            concurrent[str(k)] = {
                "upstream_requests_per_endpoint_per_round": {"min": min(per), "max": max(per)},
                "endpoints_not_asked_once_per_round": dict(list({f"ep-{i:04d}": c for i, c in enumerate(counts) if c != scraper_rounds}.items())[:20]),
                "foreign_requests_ignored": state["foreign"],
                "scrape_seconds": quantiles(lat),
            }
        abs_err = [abs(e) for e in errors]
        return {
            "scrape_seconds": quantiles(walls),
            "failed_probes": failed,
            "series": series,  # samples in the largest scrape (histogram buckets count one each)
            "cpu_seconds_per_endpoint": cpu / (rounds * n),
            "cpu_seconds_total": cpu,
            "peak_rss_mb": peak_rss_mb(child.pid),  # whole scenario, 10 concurrent scrapers included
            "peak_rss_mb_one_scraper": peak_one_scraper,  # before the concurrent-scraper rounds
            "idle_rss_mb": idle_rss,
            "latency_error_seconds": {
                "median_abs": statistics.median(abs_err) if abs_err else None,
                "p95_abs": quantiles(abs_err)["p95"],
                "max_abs": max(abs_err) if abs_err else None,
                "median_signed": statistics.median(errors) if errors else None,
                "max_abs_relative": max(abs_err) / delay if abs_err and delay else None,
                "samples": len(errors),
            },
            "upstream_requests_per_endpoint_per_round": {"min": min(per_round), "max": max(per_round)},
            "endpoints_not_asked_once_per_round": dict(list(excess.items())[:20]),
            "foreign_requests_ignored": (await gen.state())["foreign"],
            "concurrent_scrapers": concurrent,
        }
    finally:
        child.stop()


async def bench_blackbox(session, n: int, ports: list[int], gen: Loadgen, rounds: int, workdir: Path) -> dict | None:
    if not Path(BLACKBOX).exists() and not shutil.which("prometheus-blackbox-exporter"):
        return None
    cfg = workdir / "blackbox.yml"
    cfg.write_text(blackbox_config())
    port = free_port()
    binary = BLACKBOX if Path(BLACKBOX).exists() else shutil.which("prometheus-blackbox-exporter")
    child = Child([binary, f"--config.file={cfg}", f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"], log=workdir / f"blackbox-{n}.log")
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": SCRAPE_TIMEOUT}
    urls = [f"http://127.0.0.1:{port}/probe?module=evm_batch&target=http://127.0.0.1:{p}/{TOKEN}/" for p in ports]

    async def probe_round():
        started = time.perf_counter()
        got = await asyncio.gather(*(timed_get(session, u, headers) for u in urls))
        return time.perf_counter() - started, got

    try:
        await wait_http(session, f"http://127.0.0.1:{port}/-/healthy", child)
        await probe_round()  # warm-up
        await asyncio.sleep(GAP)
        walls, errors, failed = [], [], 0
        cpu0 = cpu_seconds(child.pid)
        for _ in range(rounds):
            wall, got = await probe_round()
            walls.append(wall)
            injected = (await gen.state())["last_delay"]
            for i, (_, body, _) in enumerate(got):
                text = body.decode()
                ok = BB_SUCCESS.search(text)
                if not ok or float(ok.group(1)) != 1:
                    failed += 1
                    continue
                duration = BB_DURATION.search(text)
                if duration and injected[i] is not None:
                    errors.append(float(duration.group(1)) - injected[i])
            await asyncio.sleep(GAP)
        cpu = cpu_seconds(child.pid) - cpu0
        abs_err = [abs(e) for e in errors]
        return {
            "wall_seconds_for_n_probes": quantiles(walls),
            "failed_probes": failed,
            "cpu_seconds_per_probe": cpu / (rounds * n),
            "cpu_seconds_total": cpu,
            "peak_rss_mb": peak_rss_mb(child.pid),
            "latency_error_seconds": {
                "median_abs": statistics.median(abs_err) if abs_err else None,
                "p95_abs": quantiles(abs_err)["p95"],
                "max_abs": max(abs_err) if abs_err else None,
            },
        }
    finally:
        child.stop()


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


async def scenario(n: int, args, workdir: Path) -> dict:
    loadgens, ports, controls = start_loadgens(n, args.delay, args.jitter, args.block_interval)
    try:
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
            gen = Loadgen(session, controls)
            rounds = args.rounds or max(10, min(30, 300 // n))
            load = {"chainwatch": os.getloadavg()[0]}  # per phase: the peer's own runnable threads raise the load average
            cw = await bench_chainwatch(session, n, ports, gen, rounds, args.scrapers, args.scraper_rounds, args.delay, workdir, args.workers)
            load["blackbox"] = os.getloadavg()[0]
            bb = None if args.no_blackbox else await bench_blackbox(session, n, ports, gen, min(rounds, 10), workdir)
            peer = None
            if args.peer_checkout:
                from .peer import bench_peer

                load["peer"] = os.getloadavg()[0]
                peer = await bench_peer(session, n, ports, gen, args.peer_rounds or min(rounds, 10), workdir, args.peer_python, args.peer_checkout)
    finally:
        for loadgen in loadgens:
            loadgen.stop()
    out = {
        "endpoints": n,
        "workers": args.workers,
        "delay_seconds": args.delay,
        "jitter_seconds": args.jitter,
        "rounds": rounds,
        "chainwatch": cw,
        "blackbox": bb,
        "load_average_1m_at_phase_start": load,
    }
    if args.peer_checkout:
        out["peer"] = peer
        out["block_interval_seconds"] = args.block_interval
        out["ratio_chainwatch_over_peer"] = {
            "wall_seconds_median": ratio(cw["scrape_seconds"]["median"], (peer.get("scrape_seconds") or {}).get("median")),
            "cpu_seconds_per_endpoint": ratio(cw["cpu_seconds_per_endpoint"], peer.get("cpu_seconds_per_endpoint")),
            "peak_rss_mb": ratio(cw["peak_rss_mb"], peer.get("peak_rss_mb")),
        }
    if bb:
        out["ratio_chainwatch_over_blackbox"] = {
            "wall_seconds_median": ratio(cw["scrape_seconds"]["median"], bb["wall_seconds_for_n_probes"]["median"]),
            "cpu_seconds_per_endpoint": ratio(cw["cpu_seconds_per_endpoint"], bb["cpu_seconds_per_probe"]),
            "peak_rss_mb": ratio(cw["peak_rss_mb"], bb["peak_rss_mb"]),
        }
    return out


def targets(results: list[dict], delay: float) -> dict:
    """The goals of issue #21, each True/False; ratios are against blackbox_exporter in the same run."""
    big = next((r for r in results if r["endpoints"] == 1000), None)
    huge = next((r for r in results if r["endpoints"] == 5000), None)
    out = {
        "upstream_one_request_per_endpoint_per_round": all(
            s["upstream_requests_per_endpoint_per_round"]["max"] <= 1.0
            for r in results
            for s in [r["chainwatch"], *r["chainwatch"]["concurrent_scrapers"].values()]
        )
    }
    if big:
        cw, rt = big["chainwatch"], big.get("ratio_chainwatch_over_blackbox", {})
        if rt:
            out["n1000_scrape_wall_le_0_5x_blackbox"] = rt["wall_seconds_median"] <= 0.5
            out["n1000_cpu_per_endpoint_le_0_4x_blackbox"] = rt["cpu_seconds_per_endpoint"] <= 0.4
        out["n1000_latency_error_median_le_5ms"] = cw["latency_error_seconds"]["median_abs"] <= 0.005
        out["n1000_peak_rss_le_100mb_one_scraper"] = cw["peak_rss_mb_one_scraper"] <= 100
        out["n1000_peak_rss_le_120mb_with_10_scrapers"] = cw["peak_rss_mb"] <= 120
    if huge:
        cw = huge["chainwatch"]
        out["n5000_scrape_median_under_5s"] = cw["scrape_seconds"]["median"] < 5
        out["n5000_every_probe_succeeds"] = cw["failed_probes"] == 0
        out["n5000_peak_rss_le_300mb"] = cw["peak_rss_mb"] <= 300
    return out


def ms(v):
    return "-" if v is None else f"{v * 1000:.1f}"


def fmt(v, spec=".2f"):
    return "-" if v is None else format(v, spec)


def table(results: list[dict]) -> str:
    with_peer = any("peer" in r for r in results)
    rows = [("N", "figure", "chainwatch", "blackbox", "cw/bb", "BRE peer", "cw/peer")]
    for r in results:
        cw, bb, rt = r["chainwatch"], r["blackbox"] or {}, r.get("ratio_chainwatch_over_blackbox", {})
        pe, rp = r.get("peer") or {}, r.get("ratio_chainwatch_over_peer") or {}
        n = str(r["endpoints"])
        load = r.get("load_average_1m")
        if load:
            rows.append((n, "load average (1 min) at start / end", f"{load['start']:.1f} / {load['end']:.1f}", "", "", "", ""))
        phases = r.get("load_average_1m_at_phase_start") or {}
        if phases:
            rows.append(
                (
                    n,
                    "load average (1 min) at phase start",
                    fmt(phases.get("chainwatch"), ".1f"),
                    fmt(phases.get("blackbox"), ".1f"),
                    "",
                    fmt(phases.get("peer"), ".1f"),
                    "",
                )
            )
        bbw, pew = bb.get("wall_seconds_for_n_probes", {}), pe.get("scrape_seconds") or {}
        rows += [
            (
                n,
                "scrape / N probes wall ms (median)",
                ms(cw["scrape_seconds"]["median"]),
                ms(bbw.get("median")),
                fmt(rt.get("wall_seconds_median")),
                ms(pew.get("median")),
                fmt(rp.get("wall_seconds_median")),
            ),
            (n, "scrape / N probes wall ms (p95)", ms(cw["scrape_seconds"]["p95"]), ms(bbw.get("p95")), "", ms(pew.get("p95")), ""),
            (
                n,
                "CPU ms per endpoint / per probe",
                fmt(cw["cpu_seconds_per_endpoint"] * 1000, ".3f"),
                fmt(bb["cpu_seconds_per_probe"] * 1000, ".3f") if bb else "-",
                fmt(rt.get("cpu_seconds_per_endpoint")),
                fmt(pe["cpu_seconds_per_endpoint"] * 1000, ".3f") if pe.get("cpu_seconds_per_endpoint") is not None else "-",
                fmt(rp.get("cpu_seconds_per_endpoint")),
            ),
            (
                n,
                "peak RSS MB (1 scraper / all phases)",
                f"{fmt(cw['peak_rss_mb_one_scraper'], '.1f')} / {fmt(cw['peak_rss_mb'], '.1f')}",
                fmt(bb.get("peak_rss_mb"), ".1f"),
                fmt(rt.get("peak_rss_mb")),
                fmt(pe.get("peak_rss_mb"), ".1f"),
                fmt(rp.get("peak_rss_mb")),
            ),
            (
                n,
                "latency error ms (median abs)",
                ms(cw["latency_error_seconds"]["median_abs"]),
                ms(bb.get("latency_error_seconds", {}).get("median_abs")),
                "",
                "",
                "",
            ),
            (n, "latency error ms (p95 abs)", ms(cw["latency_error_seconds"]["p95_abs"]), ms(bb.get("latency_error_seconds", {}).get("p95_abs")), "", "", ""),
            (n, "latency error ms (max abs)", ms(cw["latency_error_seconds"]["max_abs"]), ms(bb.get("latency_error_seconds", {}).get("max_abs")), "", "", ""),
            (n, "failed probes", str(cw["failed_probes"]), str(bb.get("failed_probes", "-")), "", str(pe.get("failed_probes", "-")), ""),
            (
                n,
                "series in a scrape (per endpoint)",
                f"{cw.get('series', 0)} ({cw.get('series', 0) / r['endpoints']:.1f})",
                "",
                "",
                f"{pe['series']} ({pe['series'] / r['endpoints']:.1f})" if pe.get("series") else "-",
                "",
            ),
        ]
        if "peer" in r:
            up = pe.get("upstream_requests_per_endpoint_per_round") or {}
            rows += [
                (n, "peer: threads at rest / peak", "", "", "", f"{pe.get('threads_at_rest', '-')} / {pe.get('threads_peak', '-')}", ""),
                (
                    n,
                    "peer: subscriptions open, s to open all",
                    "",
                    "",
                    "",
                    f"{pe.get('subscriptions_open', '-')}, {fmt(pe.get('seconds_to_subscribe_all'), '.1f')}",
                    "",
                ),
                (
                    n,
                    "peer: CPU ms per endpoint per s at rest",
                    "",
                    "",
                    "",
                    fmt((pe.get("cpu_seconds_per_endpoint_per_second_at_rest") or 0) * 1000, ".3f")
                    if "cpu_seconds_per_endpoint_per_second_at_rest" in pe
                    else "-",
                    "",
                ),
                (
                    n,
                    "peer: upstream req / ws connections per endpoint per scrape",
                    "",
                    "",
                    "",
                    f"{fmt(up.get('max'))} / {fmt(pe.get('websocket_connections_per_endpoint_per_round'))}",
                    "",
                ),
                (n, "peer: scrapes over 10 s / errors", "", "", "", f"{pe.get('scrapes_over_10s', '-')} / {pe.get('scrape_errors', '-')}", ""),
            ]
            if pe.get("error"):
                rows.append((n, "peer: error", "", "", "", pe["error"][:120], ""))
        for k, s in cw["concurrent_scrapers"].items():
            up = s["upstream_requests_per_endpoint_per_round"]
            rows.append(
                (
                    n,
                    f"{k} scrapers: upstream req/endpoint/round, scrape ms med/p95",
                    f"{up['max']:.2f}  {ms(s['scrape_seconds']['median'])}/{ms(s['scrape_seconds']['p95'])}",
                    "",
                    "",
                    "",
                    "",
                )
            )
    columns = 7 if with_peer else 5
    widths = [max(len(row[i]) for row in rows) for i in range(columns)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": sys.version.split()[0], "load_average_at_start": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="chainwatch vs blackbox_exporter on N fake EVM endpoints")
    parser.add_argument("--endpoints", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--jitter", type=float, default=0.0, help="uniform +- seconds added to each answer's delay")
    parser.add_argument("--rounds", type=int, default=0, help="scrapes per scenario (default: 30 at N=10, 10 at N>=30)")
    parser.add_argument("--scrapers", type=int, nargs="+", default=[1, 2, 10])
    parser.add_argument("--scraper-rounds", type=int, default=3)
    parser.add_argument("--no-blackbox", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="chainwatch serve --workers N (default 1: one process)")
    parser.add_argument(
        "--peer-checkout", type=Path, help="a checkout of smartcontractkit/Blockchain-RPC-Exporter: measured too, on the same fleet (bench/peer.py)"
    )
    parser.add_argument("--peer-rounds", type=int, default=0, help="peer scrapes per scenario (default: as blackbox, at most 10)")
    parser.add_argument("--block-interval", type=float, default=2.0, help="seconds between heads the fleet pushes to websocket subscriptions")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.peer_checkout:
        from .peer import ensure_venv

        args.peer_python = ensure_venv(args.peer_checkout)  # before any scenario: a first install takes a while
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit: 1000 sockets each
    results = []
    with tempfile.TemporaryDirectory(prefix="chainwatch-bench-") as tmp:
        for n in args.endpoints:
            print(f"-- N={n} ...", file=sys.stderr, flush=True)
            load_before = os.getloadavg()[0]
            result = asyncio.run(scenario(n, args, Path(tmp)))
            result["load_average_1m"] = {"start": load_before, "end": os.getloadavg()[0]}  # every figure comes with the load it was taken under
            results.append(result)
    report = {
        "machine": machine(),
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "scenarios": results,
        "targets": targets(results, args.delay),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    args.out.write_text(text)
    if args.out == RESULTS:  # the history: one file per run next to latest.json
        (RESULTS.parent / f"{report['generated_at'].replace(':', '')}.json").write_text(text)
    print(table(results))
    print("targets:", json.dumps(report["targets"]))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

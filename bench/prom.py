"""What the generated pack costs Prometheus at fleet scale: rule evaluation, samples, series, memory.

    python -m bench prometheus --endpoints 1000 --days 3          # writes bench/results/prometheus-latest.json
    python -m bench prometheus --endpoints 50 --days 0.1 --warmup 40 --measure 30   # a quick look

The scenario, all on loopback:

1. **One real endpoint's series.** The bench's fake fleet (``bench/loadgen.py``) answers a real
   ``chainwatch serve``; one scrape of it gives the exact series an EVM node endpoint exports
   (names, labels, types), so whatever encoding the exporter has, the scenario has it too.
2. **A fleet config**: ``--chains`` EVM chains (20) sharing ``--endpoints`` endpoints, three
   references each, and ``chainwatch generate --only rules`` for it: every generated rule group.
3. **Live data**: a replay server exposes those series for every endpoint of the fleet (counters
   advance with the clock at one probe per 15 s; 2 % of the nodes fail 1 % of their probes with
   ``timeout``), and real Prometheus scrapes it every 15 s with the generated rules loaded.
4. **History**: every series a rule reads through a range of 30 minutes or more (raw series and
   recorded ones, matched by the selectors in the generated rule expressions) is backfilled for ``--days`` at one
   sample per ``--step`` seconds with ``promtool tsdb create-blocks-from openmetrics`` into
   Prometheus' data directory (recorded series with the values the rules gave on the live data;
   Prometheus is stopped for the backfill and started again). A real Prometheus keeps them at
   its scrape / evaluation interval, so the history's samples per range are ``step / 15`` (raw)
   fewer: the long-window figures here are a lower bound of what raw-counter ranges cost. The
   newest ``FINE_SECONDS`` (1 h) are written as a real Prometheus holds them, a sample per
   scrape (raw series) or per evaluation (recorded ones), so ranges up to 1 h cost what they do
   in production.
5. **Measure** after ``--warmup`` seconds, every evaluation interval for ``--measure`` seconds,
   from Prometheus' own ``/metrics``: ``prometheus_rule_group_last_duration_seconds`` of every
   group (median and max over the polls), head series, resident memory, CPU; then the samples
   each group's queries load in one evaluation (query API ``stats=all``, rule by rule).

The machine's load average is recorded with the figures: on a shared machine they move with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import aiohttp
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bench import run

RESULTS = run.REPO / "bench" / "results"
SCRAPE_SECONDS = 15
ENDPOINT_LABELS = ("chain", "network", "endpoint", "role")
COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
FAILING_EVERY = 50  # one node in 50 fails ...
FAILING_SHARE = 0.01  # ... 1 % of its probes
# A range or a subquery's range (``x{...}[30d:1h]``: the step does not change what history it needs).
RANGE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\[(\d+)([smhdw])(?::\d+[smhdw])?\]")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
LONG_RANGE = 1800  # a series read through a range this long or longer gets history
FINE_SECONDS = 3600  # the newest history at full resolution: the SLO windows of 30m and 1h read it all
BLOCK = 7200  # promtool's block length, seconds
TOP_RULES = 15  # the rules loading the most samples, kept in the results


# ---------------------------------------------------------------------- the series of one endpoint


def endpoint_template() -> tuple[list[tuple[str, dict, float]], list[tuple[str, dict, float]], int]:
    """The samples of one EVM node endpoint and of one chain, from a real exporter's second
    scrape of the fake fleet: ``([(name, extra labels, value)], [chain samples], series per endpoint)``."""

    async def scrape() -> str:
        gen, ports, _ = run.start_loadgen(4, 0.01, 0.0)
        cfg = Path(tempfile.mkdtemp(prefix="chainwatch-prom-tpl-")) / "chainwatch.yaml"
        cfg.write_text(run.chainwatch_config(ports))
        port = run.free_port()
        child = run.Child([sys.executable, "-m", "chainwatch.cli", "serve", "--config.file", str(cfg), "--web.listen-address", f"127.0.0.1:{port}"])
        try:
            async with aiohttp.ClientSession() as session:
                await run.wait_http(session, f"http://127.0.0.1:{port}/-/healthy", child)
                body = b""
                for _ in range(2):  # the second round: counters past their first probe
                    _, body, _ = await run.timed_get(session, f"http://127.0.0.1:{port}/metrics")
                    await asyncio.sleep(run.GAP)
                return body.decode()
        finally:
            child.stop()
            gen.stop()
            shutil.rmtree(cfg.parent, ignore_errors=True)

    text = asyncio.run(scrape())
    node, chain = [], []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("endpoint") == "ep-0003":
                node.append((s.name, {k: v for k, v in s.labels.items() if k not in ENDPOINT_LABELS}, s.value))
            elif "chain" in s.labels and "endpoint" not in s.labels:
                chain.append((s.name, {k: v for k, v in s.labels.items() if k not in ("chain", "network")}, s.value))
    return node, chain, len(node)


# ---------------------------------------------------------------------- the fleet


def chain_name(c: int) -> str:
    return f"chain-{c:02d}"


def fleet_config(n: int, chains: int) -> str:
    lines = ["chains:"]
    members: dict[int, list[int]] = {c: [] for c in range(chains)}
    for i in range(n):
        members[i % chains].append(i)
    for c in range(chains):
        lines += [f"  {chain_name(c)}:", "    kind: evm", "    network: mainnet", f"    chain_id: {1000 + c}", "    block_time_seconds: 12", "    endpoints:"]
        for j, i in enumerate(members[c]):
            role = "reference" if j < 3 else "node"
            lines.append(f'      - {{name: ep-{i:05d}, url: "http://127.0.0.1:9/{i}", role: {role}}}')
    return "\n".join(lines) + "\n"


def labels_text(labels: dict) -> str:
    return ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))


class Fleet:
    """Every series of the fleet as ``(series text, kind, base)``: kind ``c`` counter (base per
    probe), ``g`` gauge (base), ``f`` the failing nodes' timeout counter (share per probe)."""

    def __init__(self, n: int, chains: int, node: list, chain: list):
        self.series: list[tuple[str, str, str, float, dict]] = []  # (name, text, kind, base, labels)
        for i in range(n):
            c = i % chains
            role = "reference" if i // chains < 3 else "node"
            base = {"chain": chain_name(c), "network": "mainnet", "endpoint": f"ep-{i:05d}", "role": role}
            failing = role == "node" and i % FAILING_EVERY == 7
            for name, extra, value in node:
                labels = {**base, **extra}
                if name == "chainwatch_chain_id":
                    value = 1000 + c
                if name == "chainwatch_probe_failures_total" and extra.get("reason") == "timeout" and failing:
                    continue  # added below
                if name.endswith(COUNTER_SUFFIXES):
                    per_probe = value / 2  # the template is the second scrape: two probes
                    if failing and name == "chainwatch_probe_successes_total":
                        per_probe -= FAILING_SHARE
                    self.series.append((name, f"{name}{{{labels_text(labels)}}}", "c", per_probe, labels))
                else:
                    self.series.append((name, f"{name}{{{labels_text(labels)}}}", "g", value, labels))
            if failing:
                name = "chainwatch_probe_failures_total"
                labels = {**base, "reason": "timeout"}
                self.series.append((name, f"{name}{{{labels_text(labels)}}}", "c", FAILING_SHARE, labels))
        for c in range(chains):
            for name, extra, value in chain:
                labels = {"chain": chain_name(c), "network": "mainnet", **extra}
                self.series.append((name, f"{name}{{{labels_text(labels)}}}", "c" if name.endswith(COUNTER_SUFFIXES) else "g", value, labels))

    def render(self, now: float) -> bytes:
        k = now / SCRAPE_SECONDS
        out = [f"{text} {base * k:.6g}\n" if kind == "c" else f"{text} {base:.6g}\n" for _, text, kind, base, _ in self.series]
        return "".join(out).encode()

    def selected(self, selectors: list[tuple[str, str]]) -> list[tuple[str, str, float]]:
        """``(text, kind, base)`` of the series ``selectors`` (``(name, "{matchers}")``) select."""
        by_name: dict[str, list[str]] = {}
        for name, matchers in selectors:
            by_name.setdefault(name, []).append(matchers)
        return [(text, kind, base) for name, text, kind, base, labels in self.series if any(matches(labels, m) for m in by_name.get(name, ()))]


class Replay(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fleet: Fleet):
        self.fleet = fleet

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                body = fleet.render(time.time())
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", run.free_port()), Handler)


# ---------------------------------------------------------------------- the rules


def range_reads(rules_dir: Path) -> dict[tuple[str, str], int]:
    """Every selector a rule reads through a range, ``(name, "{matchers}")``, with its longest
    range in seconds."""
    out: dict[tuple[str, str], int] = {}
    for path in sorted(rules_dir.glob("*.rules.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                for name, matchers, number, unit in RANGE.findall(str(rule["expr"])):
                    key = (name, matchers)
                    out[key] = max(out.get(key, 0), int(number) * UNIT[unit])
    return out


def matches(labels: dict, matchers: str) -> bool:
    for label, op, value in MATCHER.findall(matchers):
        have = labels.get(label, "")
        if op == "=" and have != value or op == "!=" and have == value:
            return False
        if op == "=~" and not re.fullmatch(value, have) or op == "!~" and re.fullmatch(value, have):
            return False
    return True


# ---------------------------------------------------------------------- Prometheus


class Prometheus:
    """One Prometheus in ``workdir``: rules from ``workdir/rules<suffix>/*.rules.yml``."""

    def __init__(self, workdir: Path, target_port: int, eval_interval: str, suffix: str = ""):
        self.workdir = workdir
        self.data = workdir / f"data{suffix}"
        self.rules = workdir / f"rules{suffix}"
        self.log = workdir / f"prometheus{suffix}.log"
        self.port = run.free_port()
        self.config = workdir / f"prometheus{suffix}.yml"
        self.config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "scrape_timeout": "10s", "evaluation_interval": eval_interval},
                    "rule_files": [str(self.rules / "*.rules.yml")],
                    "scrape_configs": [{"job_name": "chainwatch", "honor_labels": True, "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}]}],
                }
            )
        )
        self.child: run.Child | None = None

    def start(self) -> None:
        args = [
            shutil.which("prometheus") or "prometheus",
            f"--config.file={self.config}",
            f"--storage.tsdb.path={self.data}",
            "--storage.tsdb.retention.time=60d",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=warn",
        ]
        self.child = run.Child(args, log=self.log)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.child.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError("prometheus not ready in 300 s")

    def stop(self) -> None:
        if self.child:
            self.child.stop()
            self.child = None

    def metrics(self) -> dict[str, list[tuple[dict, float]]]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as resp:
            text = resp.read().decode()
        out: dict[str, list[tuple[dict, float]]] = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                out.setdefault(s.name, []).append((s.labels, s.value))
        return out

    def query(self, expr: str) -> list[dict]:
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url, timeout=60) as resp:
            return json.loads(resp.read())["data"]["result"]


def query_samples(prom: Prometheus, rules_dir: Path) -> tuple[dict[str, int], list[dict]]:
    """Samples each group's rule queries load in one evaluation (the query API's
    ``stats=all``: ``totalQueryableSamples``), evaluated once now, rule by rule:
    ``({group: samples}, [{"group", "rule", "samples"}] of the rules that load the most)``."""
    out: dict[str, int] = {}
    per_rule: list[dict] = []
    for path in sorted(rules_dir.glob("*.rules.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            total = 0
            for rule in group["rules"]:
                url = f"http://127.0.0.1:{prom.port}/api/v1/query?" + urllib.parse.urlencode({"query": rule["expr"], "stats": "all"})
                with urllib.request.urlopen(url, timeout=120) as resp:
                    n = json.loads(resp.read())["data"].get("stats", {}).get("samples", {}).get("totalQueryableSamples", 0)
                total += n
                per_rule.append({"group": group["name"], "rule": rule.get("record") or rule.get("alert"), "samples": n})
            out[group["name"]] = total
    return out, sorted(per_rule, key=lambda r: (-r["samples"], r["group"], r["rule"]))[:TOP_RULES]


def one(metrics: dict, name: str, default: float = 0.0) -> float:
    return sum(v for _, v in metrics.get(name, [])) if name in metrics else default


def wait_evaluated(prom: Prometheus, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stamps = [v for _, v in prom.metrics().get("prometheus_rule_group_last_evaluation_timestamp_seconds", [])]
        if stamps and min(stamps) > 0:
            return
        time.sleep(2)
    raise TimeoutError("rule groups not evaluated")


def backfill(proms: list[Prometheus], fleet: Fleet, reads: dict[str, int], days: float, step: float, end: float, eval_interval: float) -> dict:
    """Stop the Prometheus servers, write the history of the long-range series into each one's
    data directory (the same blocks), start them."""
    long = sorted(key for key, secs in reads.items() if secs >= LONG_RANGE)
    raw = [(name, m) for name, m in long if ":" not in name]
    recorded = [(name, m) for name, m in long if ":" in name]
    seen, recorded_series = set(), []
    for prom in proms:
        for name, m in recorded:
            for r in prom.query(name + m):
                key = tuple(sorted(r["metric"].items()))
                if key not in seen:
                    seen.add(key)
                    recorded_series.append(r)
    for prom in proms:
        prom.stop()
    prom = proms[0]
    blocks = prom.workdir / "history-blocks"
    blocks.mkdir()
    series = fleet.selected(raw)
    for r in recorded_series:  # constant: the value the rules gave on the live data
        text = f"{r['metric']['__name__']}{{{labels_text({k: v for k, v in r['metric'].items() if k != '__name__'})}}}"
        series.append((text, "r", float(r["value"][1])))
    start = end - days * 86400
    fine = max(start, end - FINE_SECONDS)

    def times(lo: float, hi: float, every: float, origin: float) -> list[float]:
        first = origin + max(0, -(-(lo - origin) // every)) * every
        return [t for t in (first + i * every for i in range(int((hi - first) // every) + 1)) if lo <= t < hi]

    started = time.monotonic()
    samples, size, written = 0, 0, 0.0
    # One file per 2h block: promtool reads its whole input once per block it writes.
    first = int(start // BLOCK * BLOCK)
    for block in range(first, int(end) + 1, BLOCK):
        coarse = times(max(block, start), min(block + BLOCK, fine), step, start)
        # The last FINE_SECONDS as a real Prometheus holds them: a sample per scrape (raw), per evaluation (recorded).
        raw_stamps = coarse + times(max(block, fine), min(block + BLOCK, end), SCRAPE_SECONDS, fine)
        rec_stamps = coarse + times(max(block, fine), min(block + BLOCK, end), eval_interval, fine)
        if not raw_stamps and not rec_stamps:
            continue
        t0 = time.monotonic()
        om = prom.workdir / "history.om"
        with open(om, "w") as out:
            for text, kind, base in series:
                stamps = rec_stamps if kind == "r" else raw_stamps
                samples += len(stamps)
                if kind == "c":
                    out.write("".join(f"{text} {base * t / SCRAPE_SECONDS:.6g} {t:.0f}\n" for t in stamps))
                else:
                    out.write("".join(f"{text} {base:.6g} {t:.0f}\n" for t in stamps))
            out.write("# EOF\n")
        size += om.stat().st_size
        written += time.monotonic() - t0
        proc = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(om), str(blocks)], capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"promtool: {proc.stderr[-2000:]}")
        om.unlink()
    for block in sorted(blocks.iterdir()):
        for p in proms:
            shutil.copytree(block, p.data / block.name)
    shutil.rmtree(blocks)
    info = {
        "raw_selectors": len(raw),
        "raw_metrics": sorted({name for name, _ in raw}),
        "recorded_metrics": sorted({name for name, _ in recorded}),
        "recorded_series": len(recorded_series),
        "samples": samples,
        "full_resolution_seconds": FINE_SECONDS,
        "openmetrics_mb": size / 1e6,
        "write_seconds": written,
        "promtool_seconds": time.monotonic() - started - written,
    }
    for p in proms:
        p.start()
    return info


def measure(prom: Prometheus, seconds: float, interval: float) -> dict:
    polls = []
    m0 = prom.metrics()
    cpu0, t0 = one(m0, "process_cpu_seconds_total"), time.monotonic()
    deadline = time.monotonic() + seconds
    while True:
        polls.append(prom.metrics())
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    last = polls[-1]
    elapsed = time.monotonic() - t0
    groups: dict[str, list[float]] = {}
    for m in polls:
        for labels, v in m.get("prometheus_rule_group_last_duration_seconds", []):
            groups.setdefault(labels["rule_group"].rsplit(";", 1)[-1], []).append(v)
    rules = {labels["rule_group"].rsplit(";", 1)[-1]: v for labels, v in last.get("prometheus_rule_group_rules", [])}
    intervals = {labels["rule_group"].rsplit(";", 1)[-1]: v for labels, v in last.get("prometheus_rule_group_interval_seconds", [])}
    per_group = {
        g: {"rules": int(rules.get(g, 0)), "median_seconds": statistics.median(v), "max_seconds": max(v), "interval_seconds": intervals.get(g)}
        for g, v in sorted(groups.items())
    }
    total = sum(g["median_seconds"] for g in per_group.values())
    # Each group's share of its own interval: a group with an `interval:` of its own counts as such.
    share = sum(g["median_seconds"] / g["interval_seconds"] for g in per_group.values() if g["interval_seconds"])
    return {
        "polls": len(polls),
        "groups": per_group,
        "rules": int(sum(rules.values())),
        "total_median_seconds": total,
        "total_share_of_interval": share if intervals else None,
        "longest_group": max(per_group.items(), key=lambda kv: kv[1]["median_seconds"])[0] if per_group else None,
        "longest_group_median_seconds": max((g["median_seconds"] for g in per_group.values()), default=None),
        "rule_evaluation_failures": one(last, "prometheus_rule_evaluation_failures_total"),
        "head_series": one(last, "prometheus_tsdb_head_series"),
        "resident_memory_mb": one(last, "process_resident_memory_bytes") / 1e6,
        "heap_inuse_mb": one(last, "go_memstats_heap_inuse_bytes") / 1e6,
        "cpu_cores": (one(last, "process_cpu_seconds_total") - cpu0) / elapsed,
    }


def scenario(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="chainwatch-prom-"))
    load_start = os.getloadavg()
    try:
        node, chain, per_endpoint = endpoint_template()
        cfg = workdir / "chainwatch.yaml"
        cfg.write_text(fleet_config(args.endpoints, args.chains))
        proc = subprocess.run(
            # The Prometheus Operator flavour: the same groups without the promtool tests and
            # page audit, whose generation for thousands of endpoints takes minutes.
            [
                sys.executable,
                "-m",
                "chainwatch.cli",
                "generate",
                "--config.file",
                str(cfg),
                "--out",
                str(workdir / "gen"),
                "--only",
                "rules",
                "--format",
                "prometheus-operator",
            ],
            cwd=run.REPO,
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            raise RuntimeError(f"chainwatch generate: {proc.stderr[-2000:]}")
        (workdir / "rules").mkdir()
        for path in (workdir / "gen" / "rules").glob("*.prometheusrule.yaml"):
            groups = yaml.safe_load(path.read_text())["spec"]["groups"]
            (workdir / "rules" / path.name.replace(".prometheusrule.yaml", ".rules.yml")).write_text(yaml.safe_dump({"groups": groups}))
        suffixes = [""]
        if args.baseline_rules:
            # The same pack with some files swapped for another version's: both servers scrape
            # the same replay, hold the same history and share the machine's load at the same time.
            shutil.copytree(workdir / "rules", workdir / "rules-baseline")
            for path in sorted(Path(args.baseline_rules).glob("*.rules.yml")):
                shutil.copy(path, workdir / "rules-baseline" / path.name)
            suffixes.append("-baseline")
        reads = range_reads(workdir / "rules")
        if args.baseline_rules:
            for key, secs in range_reads(workdir / "rules-baseline").items():
                reads[key] = max(reads.get(key, 0), secs)
        fleet = Fleet(args.endpoints, args.chains, node, chain)
        server = Replay(fleet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        proms = [Prometheus(workdir, server.server_address[1], f"{args.eval_interval:g}s", suffix) for suffix in suffixes]
        try:
            live_from = time.time()
            for prom in proms:
                prom.start()
            for prom in proms:
                wait_evaluated(prom)
            history = backfill(proms, fleet, reads, args.days, args.step, live_from - SCRAPE_SECONDS, args.eval_interval) if args.days > 0 else None
            time.sleep(args.warmup)
            measured: list[dict] = [{} for _ in proms]

            def poll(i: int) -> None:
                measured[i] = measure(proms[i], args.measure, args.eval_interval)

            threads = [threading.Thread(target=poll, args=(i,)) for i in range(len(proms))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for prom, figures in zip(proms, measured):
                samples, figures["top_rules_by_samples"] = query_samples(prom, prom.rules)
                figures["query_samples_per_evaluation"] = sum(samples.values())
                for name, count in samples.items():
                    figures["groups"].setdefault(name, {})["query_samples"] = count
            figures = measured[0]
        finally:
            for prom in proms:
                prom.stop()
            server.shutdown()
        return {
            "endpoints": args.endpoints,
            "chains": args.chains,
            "days": args.days,
            "history_step_seconds": args.step,
            "scrape_interval_seconds": SCRAPE_SECONDS,
            "evaluation_interval_seconds": args.eval_interval,
            "series_per_evm_endpoint": per_endpoint,
            "scraped_series": len(fleet.series),
            "history": history,
            "prometheus": figures,
            "baseline": {"rules": str(args.baseline_rules), "prometheus": measured[1]} if args.baseline_rules else None,
            "load_average": {"start": load_start, "end": os.getloadavg()},
        }
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def table(r: dict) -> str:
    p = r["prometheus"]
    rows = [
        ("endpoints x chains, history", f"{r['endpoints']} x {r['chains']}, {r['days']:g} d at {r['history_step_seconds']:g} s"),
        ("load average (1 min) start / end", f"{r['load_average']['start'][0]:.1f} / {r['load_average']['end'][0]:.1f}"),
        ("series per EVM endpoint", str(r["series_per_evm_endpoint"])),
        (
            "history: samples, OpenMetrics MB, promtool s",
            f"{r['history']['samples']:,}, {r['history']['openmetrics_mb']:.0f}, {r['history']['promtool_seconds']:.0f}" if r["history"] else "-",
        ),
        ("scraped series / head series", f"{r['scraped_series']} / {p['head_series']:.0f}"),
        ("rules", str(p["rules"])),
        ("rule evaluation total (median) s", f"{p['total_median_seconds']:.3f} ({100 * (p['total_share_of_interval'] or 0):.1f} % of interval)"),
        ("longest group (median) s", f"{p['longest_group_median_seconds']:.3f} {p['longest_group']}"),
        ("query samples per evaluation of all rules", f"{p['query_samples_per_evaluation']:,}"),
        ("resident memory MB / heap in use MB", f"{p['resident_memory_mb']:.0f} / {p['heap_inuse_mb']:.0f}"),
        ("Prometheus CPU cores", f"{p['cpu_cores']:.2f}"),
        ("rule evaluation failures", f"{p['rule_evaluation_failures']:.0f}"),
    ]
    for rule in p.get("top_rules_by_samples", [])[:5]:
        rows.append((f"  samples of {rule['rule']}", f"{rule['samples']:,} ({rule['group']})"))
    width = max(len(a) for a, _ in rows)
    return "\n".join(f"{a.ljust(width)}  {b}" for a, b in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench prometheus", description="what the generated rules cost Prometheus for N endpoints")
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=20)
    parser.add_argument("--days", type=float, default=3.0, help="history backfilled for the long-range series (0: none)")
    parser.add_argument("--step", type=float, default=300.0, help="seconds between backfilled samples")
    parser.add_argument("--eval-interval", type=float, default=30.0, help="Prometheus evaluation_interval, seconds")
    parser.add_argument("--warmup", type=float, default=180.0, help="seconds of live scraping before measuring")
    parser.add_argument("--measure", type=float, default=120.0, help="seconds of polling Prometheus' own metrics")
    parser.add_argument("--label", default="latest", help="results file: bench/results/prometheus-<label>.json")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (rules, data, logs)")
    parser.add_argument(
        "--baseline-rules",
        metavar="DIR",
        help="a second Prometheus beside the first, same replay, history and time, with the generated"
        " rule files replaced by DIR's *.rules.yml of the same name (another version's): an A/B under one load",
    )
    args = parser.parse_args(argv)
    if args.baseline_rules and not sorted(Path(args.baseline_rules).glob("*.rules.yml")):
        # Otherwise both servers run the same rules and the "A/B" compares a pack with itself.
        parser.error(f"--baseline-rules {args.baseline_rules}: no *.rules.yml there")
    result = scenario(args)
    result["generated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result["machine"] = run.machine()
    out = RESULTS / f"prometheus-{args.label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(table(result))
    if result.get("baseline"):
        print(f"\nbaseline ({args.baseline_rules}), same run:")
        print(table({**result, "prometheus": result["baseline"]["prometheus"]}))
    print(f"wrote {out}")
    return 0

"""docs/scale-out.md run for real: 3 exporter replicas behind HAProxy (the "Service"),
2 Prometheus shards splitting the endpoint names with ``hashmod``, a global Prometheus
fed by both shards' ``remote_write`` (its remote-write receiver) that evaluates the
recording and SLO rules, and one Alertmanager behind both shards and the global one.

Real processes only: anvil (the chain; every endpoint is an RPC name for it, one is a
closed loopback port), ``chainwatch serve`` ×3, Debian HAProxy, Prometheus 2.42 ×3 and
Alertmanager; PagerDuty is the capture server (chainwatch.devnet.capture).

What a user of the doc relies on, in the order it is shown:
1. every endpoint is scraped by exactly one shard, and the global view holds all of them
   with the recording and SLO rules evaluated over both shards' series;
2. one endpoint's fault is one page, fired by the shard that scrapes it;
3. killing one exporter replica costs only the scrapes in flight on it (at most one scrape
   per target, every target back up at once through the other replicas), and pages nothing;
4. the chain halt (anvil frozen) fires on both shards (each scrapes the chain job) and is
   one page.

Budgets are generous for a loaded 2-core machine; everything polls.
"""

from __future__ import annotations

import signal
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from chainwatch.alertmanager import generate as am_generate
from chainwatch.assembly.config import parse
from chainwatch.devnet.capture import CaptureServer
from chainwatch.rules import generate as rules_generate
from tests.alertmanager.support import Alertmanager
from tests.support.poll import hold, wait_until
from chainwatch.devnet.procs import Proc, free_port, wait_http
from tests.support import require_binary
from tests.support.stack import Anvil, Exporter, Prometheus

pytestmark = [pytest.mark.anvil, pytest.mark.prometheus, pytest.mark.alertmanager]

CHAIN = "ethereum"
REFERENCES = ["ref-1", "ref-2"]
NODES = [f"node-{i:02d}" for i in range(1, 13)]
BROKEN = "node-broken"  # a closed loopback port: probe_success 0 from the first probe
ENDPOINTS = REFERENCES + NODES + [BROKEN]
SHARDS = 2
REPLICAS = 3
DURATIONS = {
    "down": "5s",
    "sync_lag": "10s",
    "head_stale": "10s",
    "chain_halt": "3s",
    "reference_quorum": "20s",
    "rpc_latency": "30s",
    "rpc_errors": "30s",
    "mempool": "30s",
}
PAGERDUTY_KEY = "scaleout-pagerduty-key"


def config_text(anvil_url: str, dead_url: str, pd_key: Path, capture_url: str) -> str:
    endpoints = [{"name": r, "url": anvil_url, "role": "reference"} for r in REFERENCES]
    endpoints += [{"name": n, "url": anvil_url} for n in NODES]
    endpoints.append({"name": BROKEN, "url": dead_url})
    fast = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
    doc = {
        "exporter": {"min_probe_interval_seconds": 0.5, "reference_max_age_seconds": 1.0},
        "alertmanager": {"critical": fast, "warning": fast, "info": fast},
        "teams": {"core-infra": {"pagerduty": {"routing_key_file": str(pd_key), "url": capture_url}}},
        "chains": {
            CHAIN: {
                "kind": "evm",
                "network": "anvil",
                "chain_id": 31337,
                "team": "core-infra",
                "block_time_seconds": 1,
                "thresholds": {
                    "sync_lag_blocks_warning": 5,
                    "sync_lag_blocks_critical": 20,
                    "sync_lag_seconds_warning": 5,
                    "sync_lag_seconds_critical": 20,
                    "head_stale_blocks": 5,
                    "head_stale_min_seconds": 5,
                    "chain_halt_blocks": 5,
                    "chain_halt_min_seconds": 5,
                    "peers_min": 0,
                    "durations": DURATIONS,
                },
                "slo": {"availability": 0.5, "latency": {"threshold_seconds": 0.5, "target": 0.5}, "freshness": {"target": 0.5}},
                "endpoints": endpoints,
            }
        },
    }
    return yaml.safe_dump(doc, sort_keys=False)


class HAProxy(Proc):
    """Debian HAProxy as the replicas' Service: round robin, health checks on ``/-/ready``,
    a refused connection retried on another replica (``option redispatch``)."""

    def __init__(self, workdir: Path, backends: list[str]):
        binary = require_binary("haproxy", "/usr/sbin/haproxy")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(f"    server r{i} {b} check inter 500ms fall 1 rise 2" for i, b in enumerate(backends))
        path = workdir / "haproxy.cfg"
        path.write_text(f"""global
    maxconn 512
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure empty-response
frontend chainwatch
    bind 127.0.0.1:{self.port}
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /-/ready
{servers}
""")
        super().__init__("haproxy", [binary, "-db", "-f", str(path)], log=workdir / "haproxy.log")
        self.start()
        wait_http(self.url + "/-/healthy", proc=self)


def shard_config(shard: int, service: str, replicas: list[str], global_url: str) -> tuple[list[dict], dict]:
    """The README's multi-target pattern with the doc's hashmod lines; the chain job and each
    replica's own ``/-/metrics`` stay whole on every shard."""
    probe = {
        "job_name": "chainwatch-probe",
        "metrics_path": "/probe",
        "scrape_interval": "1s",
        "scrape_timeout": "1s",
        "static_configs": [{"targets": ENDPOINTS}],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"source_labels": ["__param_target"], "modulus": SHARDS, "target_label": "__tmp_shard", "action": "hashmod"},
            {"source_labels": ["__tmp_shard"], "regex": str(shard), "action": "keep"},
            {"target_label": "__address__", "replacement": service},
        ],
    }
    chain = {"job_name": "chainwatch-chain", "metrics_path": "/probe", "params": {"chain": [CHAIN]}, "static_configs": [{"targets": [service]}]}
    own = {"job_name": "chainwatch", "metrics_path": "/-/metrics", "static_configs": [{"targets": replicas}]}
    extra = {
        "global": {"external_labels": {"prometheus_shard": str(shard)}},
        # a shard's chain-wide aggregates cover only its endpoints: the global ruler computes its own
        "remote_write": [
            {
                "url": global_url + "/api/v1/write",
                "write_relabel_configs": [{"source_labels": ["__name__"], "regex": "chain:.*|chain_slo:.*", "action": "drop"}],
                "queue_config": {"batch_send_deadline": "1s", "min_backoff": "100ms", "max_backoff": "1s"},
            }
        ],
    }
    return [probe, chain, own], extra


def endpoints_of(prom: Prometheus, expr: str) -> set[str]:
    return {r["metric"].get("endpoint", r["metric"].get("instance")) for r in prom.query(expr)}


def own_metric(prom: Prometheus, name: str) -> float:
    """One sample of a Prometheus server's own /metrics (``prometheus_tsdb_head_series``)."""
    with urllib.request.urlopen(prom.url + "/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not in {prom.url}/metrics")


def pages_of(capture, alertname: str) -> list:
    return [p for p in capture.pages("pagerduty") if p.body["payload"]["class"] == alertname]


@pytest.fixture
def stack(tmp_path):
    with CaptureServer() as capture:
        (tmp_path / "secrets").mkdir()
        pd_key = tmp_path / "secrets" / "pagerduty.key"
        pd_key.write_text(PAGERDUTY_KEY)
        with Anvil(tmp_path, block_time=1) as anvil:
            dead = f"http://127.0.0.1:{free_port()}"
            text = config_text(anvil.url, dead, pd_key, capture.pagerduty_url)
            src = tmp_path / "chainwatch.yaml"
            src.write_text(text)
            config = parse(text, str(src), need_secrets=False)
            am_generate.write(config, tmp_path / "out")
            rule_paths = {p.name: str(p) for p in rules_generate.write(config, tmp_path / "out") if p.name.endswith(".rules.yml")}
            # the global ruler: recording + SLO; the shards: every alert file, and the recording file too because the
            # per-endpoint alerts read its endpoint:* records (their chain:* records stay on the shard, see shard_config)
            slo_files = [v for k, v in rule_paths.items() if k.endswith("-slo.rules.yml")]
            global_files = [v for k, v in rule_paths.items() if k.endswith("-recording.rules.yml")] + slo_files
            shard_files = [v for v in rule_paths.values() if v not in slo_files]
            replicas = [Exporter(src, tmp_path) for _ in range(REPLICAS)]
            try:
                with (
                    HAProxy(tmp_path, [r.url.removeprefix("http://") for r in replicas]) as lb,
                    Alertmanager(tmp_path / "out" / "alertmanager" / "alertmanager.yml", tmp_path) as am,
                ):
                    am_addr = f"127.0.0.1:{am.port}"
                    with Prometheus(
                        tmp_path / "global", [], rule_files=global_files, alertmanager=am_addr, extra_args=["--web.enable-remote-write-receiver"]
                    ) as glob:
                        shards = []
                        try:
                            for i in range(SHARDS):
                                scrape, extra = shard_config(i, lb.url.removeprefix("http://"), [r.url.removeprefix("http://") for r in replicas], glob.url)
                                shards.append(Prometheus(tmp_path / f"shard-{i}", scrape, rule_files=shard_files, alertmanager=am_addr, extra_config=extra))
                            yield {"anvil": anvil, "replicas": replicas, "lb": lb, "am": am, "global": glob, "shards": shards, "capture": capture}
                        finally:
                            for s in shards:
                                s.stop()
            finally:
                for r in replicas:
                    r.stop()


def test_two_shards_three_replicas_one_global_ruler(stack):
    shards, glob, capture, replicas = stack["shards"], stack["global"], stack["capture"], stack["replicas"]
    started = time.monotonic()
    probe = 'chainwatch_probe_success{job="chainwatch-probe"}'

    # 1. Every endpoint on exactly one shard; the global view holds them all, once each.
    owned = [wait_until(lambda s=s: endpoints_of(s, probe), 60, f"shard {i} scraping") for i, s in enumerate(shards)]
    wait_until(lambda: set().union(*[endpoints_of(s, probe) for s in shards]) == set(ENDPOINTS), 60, "both shards together scraping every endpoint")
    owned = [endpoints_of(s, probe) for s in shards]
    assert owned[0].isdisjoint(owned[1]), owned
    assert owned[0] | owned[1] == set(ENDPOINTS)
    assert all(owned), f"hashmod left a shard empty: {owned}"
    per_endpoint = wait_until(
        lambda: (r := glob.query(f"count by (endpoint) ({probe})")) and len(r) == len(ENDPOINTS) and r,
        60,
        "the global Prometheus holding every endpoint from remote_write",
    )
    assert {r["metric"]["endpoint"]: r["value"][1] for r in per_endpoint} == {e: "1" for e in ENDPOINTS}
    shard_of = {r["metric"]["endpoint"]: r["metric"]["prometheus_shard"] for r in glob.query(probe)}
    assert {e for e, s in shard_of.items() if s == "0"} == owned[0]
    # the cross-endpoint recording rules are evaluated globally over both shards' endpoints:
    # 12 of the 13 nodes succeed (the broken one fails), whichever shard scrapes them
    avg = f'chain:chainwatch_probe_success:avg{{chain="{CHAIN}"}}'
    nodes = len(NODES) + 1
    got = wait_until(
        lambda: (r := glob.query(avg)) and abs(float(r[0]["value"][1]) - len(NODES) / nodes) < 1e-9 and r,
        60,
        f"{avg} = {len(NODES)}/{nodes} on the global Prometheus",
        describe=lambda r: str(glob.query(avg)),
    )
    assert len(got) == 1 and "prometheus_shard" not in got[0]["metric"], got  # the global's own result, no shard copy
    for i, s in enumerate(shards):  # what one shard alone would say: its own nodes only
        mine = owned[i] - set(REFERENCES)
        [r] = s.query(avg)
        assert abs(float(r["value"][1]) - len(mine - {BROKEN}) / len(mine)) < 1e-9
    sli = f'chain_slo:sli_error:ratio_rate5m{{chain="{CHAIN}",slo="availability"}}'
    assert len(wait_until(lambda: glob.query(sli), 60, f"{sli} evaluated on the global Prometheus")) == 1
    sharded_at = time.monotonic() - started

    # 2. One endpoint's fault: one page, from the shard that scrapes it.
    broken_shard = 0 if BROKEN in owned[0] else 1
    wait_until(lambda: pages_of(capture, "ChainwatchEndpointDown"), 90, "the broken endpoint paging")
    firing_on = [i for i, s in enumerate(shards) if s.query(f'ALERTS{{alertname="ChainwatchEndpointDown",alertstate="firing",endpoint="{BROKEN}"}}')]
    assert firing_on == [broken_shard]
    assert len({p.body["dedup_key"] for p in pages_of(capture, "ChainwatchEndpointDown")}) == 1
    down = pages_of(capture, "ChainwatchEndpointDown")[0]
    assert down.body["payload"]["custom_details"]["endpoint"] == BROKEN
    assert down.body["routing_key"] == PAGERDUTY_KEY
    fault_paged_at = time.monotonic() - started

    pages_before = len(capture.pages("pagerduty"))
    # 3. The chain halts: both shards fire it (each scrapes the chain job); one page.
    stack["anvil"].freeze()
    wait_until(
        lambda: pages_of(capture, "ChainwatchChainHalted"),
        90,
        "the chain halt paging",
        describe=lambda _: str([(s.query("ALERTS"), s.query("chainwatch_reference_head_stall_seconds")) for s in shards]) + str(capture.pages()),
    )
    wait_until(lambda: all(s.query('ALERTS{alertname="ChainwatchChainHalted",alertstate="firing"}') for s in shards), 30, "the halt firing on both shards")
    # one incident: every notification of the halt carries the same dedup key (the second shard's copy joins the group)
    incidents = lambda: {p.body["dedup_key"] for p in pages_of(capture, "ChainwatchChainHalted")}  # noqa: E731
    hold(lambda: len(incidents()) == 1, 4, "the halt is one PagerDuty incident although two shards fire it")
    new = {p.body["payload"]["class"] for p in capture.pages("pagerduty")[pages_before:]}
    assert new <= {"ChainwatchChainHalted", "ChainwatchExporterAbsent"}, new  # every symptom of the halt is inhibited
    halt_paged_at = time.monotonic() - started

    # 4. Kill one replica: each target loses at most its one in-flight scrape; no endpoint pages.
    pages_before = len(capture.pages("pagerduty"))
    replicas[1].signal(signal.SIGKILL)
    killed = time.time()
    # every target scraped successfully again after the kill, on each shard
    for i, (s, mine) in enumerate(zip(shards, owned)):
        wait_until(
            lambda s=s, mine=mine: len(s.query(f'up{{job="chainwatch-probe"}} == 1 and timestamp(up{{job="chainwatch-probe"}}) > {killed + 1}')) == len(mine),
            30,
            f"shard {i}: every target up again after the kill",
        )
    window = int(time.time() - killed) + 3
    lost = {}
    for s in shards:
        for r in s.query(f'count_over_time(up{{job="chainwatch-probe"}}[{window}s]) - sum_over_time(up{{job="chainwatch-probe"}}[{window}s])'):
            lost[r["metric"]["instance"]] = int(float(r["value"][1]))
    assert set(lost) == set(ENDPOINTS)
    assert max(lost.values()) <= 1, f"a target lost more than its in-flight scrape: {lost}"
    # the dead replica's own health (job chainwatch, /-/metrics) pages as ChainwatchExporterAbsent; no endpoint pages
    replica_only = lambda: {p.body["payload"]["class"] for p in capture.pages("pagerduty")[pages_before:]} <= {"ChainwatchExporterAbsent"}  # noqa: E731
    hold(
        replica_only,
        5,
        "no endpoint page for the lost replica's in-flight scrapes",
        describe=lambda _: str([p.body["payload"]["class"] for p in capture.pages("pagerduty")]),
    )
    lost_scrapes = sum(lost.values())

    elapsed = time.monotonic() - started
    shard_load = [(int(own_metric(s, "prometheus_tsdb_head_series")), own_metric(s, "process_cpu_seconds_total") / elapsed) for s in shards]
    print(
        f"\nscale-out: shards (head series, CPU s/s since start): {shard_load}; replica RSS MB: "
        f"{[round(int(open(f'/proc/{r.proc.pid}/status').read().split('VmHWM:')[1].split()[0]) / 1024) for r in replicas if r.proc.poll() is None]}"
    )
    print(
        f"scale-out: sharded+global in {sharded_at:.1f}s, fault paged at {fault_paged_at:.1f}s, "
        f"replica kill lost {lost_scrapes} scrapes of {len(ENDPOINTS)} targets, halt paged at {halt_paged_at:.1f}s, done at {time.monotonic() - started:.1f}s; "
        f"shard sizes {[len(o) for o in owned]}"
    )

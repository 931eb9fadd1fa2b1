"""Through real Prometheus: the generated rules evaluate a halted chain with five lagging
nodes, Prometheus sends every firing alert to a real Alertmanager running the generated
config, and PagerDuty (the capture server) receives exactly one page — the halt.

The chain's metrics come from a static exposition (the exporter's own schema, names checked
against the catalog): every node 40+ blocks behind and every head 300 s old, no reference advancing for 300 s. ``for:`` is 0
so everything fires on the first evaluation, which is the hardest case for inhibition:
symptoms and cause arrive at the same moment.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chainwatch.assembly import catalog
from chainwatch.assembly.config import parse
from chainwatch.devnet.capture import CaptureServer
from chainwatch.rules import generate as rules_generate
from tests.support.poll import hold, wait_until
from tests.support.stack import Prometheus

from .support import FAST, PAGERDUTY_KEY, Alertmanager, generated, write_secrets

pytestmark = [pytest.mark.alertmanager, pytest.mark.prometheus]

NODES = [f"geth-{i}" for i in range(1, 6)]


# What the exporter reports for a halted chain: nothing advances, every node looks behind.
STATE = {
    "chainwatch_probe_success": lambda endpoint, i: 1,
    "chainwatch_sync_lag_blocks": lambda endpoint, i: 0 if endpoint == "infura" else 40 + i,
    "chainwatch_head_age_seconds": lambda endpoint, i: 300,
    "chainwatch_reference_head_stall_seconds": lambda endpoint, i: 300,
}


def exposition() -> str:
    lines = []
    for name, value_of in STATE.items():
        metric = catalog.get(name)  # a KeyError here means the metric was renamed in the catalog
        lines.append(f"# TYPE {name} gauge")
        if metric.scope == "chain":
            lines.append(f'{name}{{chain="ethereum",network="mainnet"}} {value_of(None, 0)}')
            continue
        for i, endpoint in enumerate(NODES + ["infura"]):
            role = "reference" if endpoint == "infura" else "node"
            lines.append(f'{name}{{chain="ethereum",endpoint="{endpoint}",network="mainnet",role="{role}"}} {value_of(endpoint, i)}')
    return "\n".join(lines) + "\n"


class _Metrics(BaseHTTPRequestHandler):
    def do_GET(self):
        body = exposition().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def metrics_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_halted_chain_with_five_lagging_nodes_pages_once_through_prometheus(tmp_path, metrics_server):
    secrets = write_secrets(tmp_path / "secrets")
    with CaptureServer() as capture:
        text = (
            f"""
alertmanager:
{FAST}
teams:
  core-infra:
    pagerduty: {{routing_key_file: "{secrets["pagerduty"]}", url: "{capture.pagerduty_url}"}}
chains:
  ethereum:
    kind: evm
    network: mainnet
    chain_id: 1
    team: core-infra
    thresholds:
      sync_lag_blocks_warning: 5
      sync_lag_blocks_critical: 25
      durations: {{sync_lag: 0s, head_stale: 0s, chain_halt: 0s, down: 0s}}
    endpoints:
"""
            + "".join(f'      - {{name: {e}, url: "http://10.0.1.1{i}:8545"}}\n' for i, e in enumerate(NODES))
            + """      - {name: infura, url: "https://mainnet.infura.io/v3/key", role: reference}
"""
        )
        am_file = generated(tmp_path, text)
        config = parse(text, need_secrets=False)
        rule_paths = [p for p in rules_generate.write(config, tmp_path / "out") if p.name.endswith(".rules.yml")]
        assert rule_paths, "the rules generator wrote no rule files"
        with (
            Alertmanager(am_file, tmp_path) as am,
            Prometheus(
                tmp_path / "prometheus",
                [{"job_name": config.generate.exporter_job, "static_configs": [{"targets": [metrics_server]}]}],
                rule_files=[str(p) for p in rule_paths],
                alertmanager=f"127.0.0.1:{am.port}",
            ) as prom,
        ):
            firing = prom.wait_for('ALERTS{alertstate="firing", alertname="ChainwatchChainHalted"}')
            capture.wait_for(lambda got: any(n.is_page for n in got), timeout=30)
            lagging = prom.wait_for('ALERTS{alertstate="firing", alertname="ChainwatchSyncLagHigh", severity="critical"}')
            # every symptom reached Alertmanager and is held back there
            held_back = lambda: [a for a in am.alerts() if a["labels"]["alertname"] != "ChainwatchChainHalted" and a["status"]["inhibitedBy"]]  # noqa: E731
            held = wait_until(lambda: len(held_back()) >= 2 * len(NODES) and held_back(), 15, "every symptom inhibited in Alertmanager", interval=0.5)
            # Three 1 s group intervals and a second of margin: a symptom that would page has paged.
            hold(
                lambda: [p.body["payload"]["class"] for p in capture.pages("pagerduty")] == ["ChainwatchChainHalted"],
                4,
                "only the halt pages",
                describe=lambda _: str([p.body["payload"]["class"] for p in capture.pages("pagerduty")]),
            )
            pages = capture.pages("pagerduty")
            halted = [a for a in am.alerts() if a["labels"]["alertname"] == "ChainwatchChainHalted"]

    assert firing and len(lagging) == len(NODES)
    assert len(held) >= 2 * len(NODES)  # 5 critical + 5 warning lag alerts (plus head-stale)
    assert [p.body["payload"]["class"] for p in pages] == ["ChainwatchChainHalted"]
    summary = halted[0]["annotations"]["summary"]  # as Prometheus rendered it from the rule
    assert pages[0].body["payload"]["summary"] == f"[ethereum] {summary.replace(' on ethereum', '')}"
    assert pages[0].body["routing_key"] == PAGERDUTY_KEY
    assert pages[0].body["payload"]["custom_details"]["runbook"] == halted[0]["annotations"]["runbook_url"]
    # the rules' value annotation, as Prometheus rendered it, is the page's value (the 300s stall: "300s")
    assert pages[0].body["payload"]["custom_details"]["value"] == halted[0]["annotations"]["value"]
    assert halted[0]["annotations"]["value"] == "300s"

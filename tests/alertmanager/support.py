"""Shared by the Alertmanager tests: a test config with three kinds of team, amtool, a real
Alertmanager on loopback, and realistic alerts built from the rules' label contract.

Teams in the test config (each shows one way to page):
- core-infra: PagerDuty + Opsgenie (P1 for critical, P3 for warnings)
- l2-infra:   Opsgenie only, warnings only during business hours
- data:       PagerDuty for critical, warnings and info to Slack
and four chains with per-chain routing overrides (sepolia, polygon-amoy, base, solana-devnet).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import urllib.request
from pathlib import Path

import yaml

from chainwatch import kinds
from chainwatch.alertmanager import generate
from chainwatch.assembly.config import parse
from chainwatch.assembly import names
from chainwatch.devnet.procs import Proc, free_port, wait_http
from tests.support import require_binary

# What the secret files hold; no generated file may contain these.
PAGERDUTY_KEY = "pd-routing-key-7f3a9c"
OPSGENIE_KEY = "og-api-key-51b2e8"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/slack-secret-9d4e"

CHAINS = """
chains:
  ethereum:
    kind: evm
    network: mainnet
    chain_id: 1
    team: core-infra
    endpoints:
      - {name: geth-1, url: "http://10.0.1.11:8545"}
      - {name: geth-2, url: "http://10.0.1.12:8545"}
      - {name: geth-3, url: "http://10.0.1.13:8545"}
      - {name: geth-4, url: "http://10.0.1.14:8545"}
      - {name: geth-5, url: "http://10.0.1.15:8545"}
      - {name: infura, url: "https://mainnet.infura.io/v3/abcdef0123456789", role: reference}
  ethereum-beacon:
    kind: beacon
    network: mainnet
    team: core-infra
    endpoints:
      - {name: lighthouse-1, url: "http://10.0.1.21:5052"}
  polygon:
    kind: evm
    network: mainnet
    chain_id: 137
    team: l2-infra
    endpoints:
      - {name: bor-1, url: "http://10.0.2.11:8545"}
  solana:
    kind: solana
    network: mainnet-beta
    team: data
    endpoints:
      - {name: agave-1, url: "http://10.0.6.11:8899"}
  uniswap-v3:                     # a subgraph indexing ethereum, owned by the data team
    kind: subgraph
    network: mainnet
    indexes: ethereum
    team: data
    endpoints:
      - {name: graph-node-1, url: "http://10.0.7.11:8000/subgraphs/name/uniswap/uniswap-v3"}
  cosmoshub:
    kind: cosmos
    network: mainnet
    chain_id: cosmoshub-4
    team: core-infra
    endpoints:
      - {name: gaia-1, url: "http://10.0.7.11:26657"}
  bitcoin:
    kind: bitcoin
    network: mainnet
    chain: main
    team: data
    endpoints:
      - {name: btc-1, url: "http://10.0.7.11:8332", cookie_file: /var/lib/bitcoind/.cookie}
  avalanche:
    kind: avalanche
    network: mainnet
    network_id: 1
    team: core-infra
    endpoints:
      - {name: avax-1, url: "http://10.0.7.21:9650"}
  aptos:
    kind: aptos
    network: mainnet
    chain_id: 1
    team: core-infra
    endpoints:
      - {name: apt-1, url: "http://10.0.8.11:8080/v1"}
    validators:
      groups:
        ops: ["0x0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"]
  sui:
    kind: sui
    network: mainnet
    chain_id: 4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S
    team: data
    endpoints:
      - {name: sui-1, url: "http://10.0.8.21:9000"}
  # Per-chain routing overrides: testnets and a low-value chain that must not page like mainnet.
  sepolia:                        # testnet: never page, tickets only (critical -> the team's warnings)
    kind: evm
    network: sepolia
    chain_id: 11155111
    team: core-infra
    routing: {critical_to: warnings}
    endpoints:
      - {name: geth-sepolia-1, url: "http://10.0.1.31:8545"}
  polygon-amoy:                   # testnet of a business-hours team: its criticals are P3s in office hours
    kind: evm
    network: amoy
    chain_id: 80002
    block_time_seconds: 2
    team: l2-infra
    routing: {critical_to: warnings}
    endpoints:
      - {name: bor-amoy-1, url: "http://10.0.2.31:8545"}
  base:                           # mainnet of a business-hours team: warnings at any hour
    kind: evm
    network: mainnet
    chain_id: 8453
    team: l2-infra
    routing: {business_hours_only: false}
    endpoints:
      - {name: base-1, url: "http://10.0.2.41:8545"}
  base-rollup:                    # the op-node of base: rollup alerts of a business-hours team
    kind: opnode
    network: mainnet
    team: l2-infra
    l1_chain: ethereum
    l2_chain: base
    endpoints:
      - {name: op-node-1, url: "http://10.0.2.42:9545"}
  solana-devnet:                  # nothing critical about devnet: warnings to Slack, criticals nowhere
    kind: solana
    network: devnet
    team: data
    routing: {critical_to: none}
    endpoints:
      - {name: agave-devnet-1, url: "http://10.0.6.31:8899"}
"""


def chains_of_kind() -> dict[str, list[str]]:
    """Which chains each registered kind's alerts are tried on in the routing table: the test
    config's chains of that kind without a routing override (at most two); a kind it has none
    of (a kind added since) gets a chain named after it, routed by the default team like any
    chain, so a new kind is tested instead of stopping collection."""
    chains = yaml.safe_load(CHAINS)["chains"]
    out = {}
    for kind in kinds.NAMES:
        mine = [name for name, chain in chains.items() if chain["kind"] == kind and "routing" not in chain][:2]
        out[kind] = mine or [f"{kind}-chain"]
    return out


CHAIN_OF_KIND = chains_of_kind()
TEAM_OF_CHAIN = {
    "uniswap-v3": "data",
    "ethereum": "core-infra",
    "ethereum-beacon": "core-infra",
    "polygon": "l2-infra",
    "solana": "data",
    "cosmoshub": "core-infra",
    "bitcoin": "data",
    "avalanche": "core-infra",
    "aptos": "core-infra",
    "sui": "data",
    "sepolia": "core-infra",
    "polygon-amoy": "l2-infra",
    "base": "l2-infra",
    "base-rollup": "l2-infra",
    "solana-devnet": "data",
}
NETWORK_OF_CHAIN = {
    "uniswap-v3": "mainnet",
    "ethereum": "mainnet",
    "ethereum-beacon": "mainnet",
    "polygon": "mainnet",
    "solana": "mainnet-beta",
    "cosmoshub": "mainnet",
    "bitcoin": "mainnet",
    "avalanche": "mainnet",
    "aptos": "mainnet",
    "sui": "mainnet",
    "sepolia": "sepolia",
    "polygon-amoy": "amoy",
    "base": "mainnet",
    "base-rollup": "mainnet",
    "solana-devnet": "devnet",
}
ENDPOINT_OF_CHAIN = {
    "uniswap-v3": "graph-node-1",
    "ethereum": "geth-1",
    "ethereum-beacon": "lighthouse-1",
    "polygon": "bor-1",
    "solana": "agave-1",
    "bitcoin": "btc-1",
    "aptos": "apt-1",
    "sui": "sui-1",
    "sepolia": "geth-sepolia-1",
    "polygon-amoy": "bor-amoy-1",
    "base": "base-1",
    "base-rollup": "op-node-1",
    "solana-devnet": "agave-devnet-1",
}


def write_secrets(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"pagerduty": folder / "pagerduty.key", "opsgenie": folder / "opsgenie.key", "slack": folder / "slack.url"}
    files["pagerduty"].write_text(PAGERDUTY_KEY + "\n")  # Alertmanager trims this one ...
    files["opsgenie"].write_text(OPSGENIE_KEY)  # ... but sends this one verbatim (0.25): no newline
    files["slack"].write_text(SLACK_URL)
    return files


BERLIN_OFFICE = '{timezone: Europe/Berlin, start: "09:00", end: "17:00"}'


def config_text(
    secrets: dict[str, Path],
    *,
    capture_url: str | None = None,
    timings: str = "",
    external_url: str = "http://alertmanager.test:9093",
    business_hours: str = BERLIN_OFFICE,
) -> str:
    pd_url = f', url: "{capture_url}/pagerduty/v2/enqueue"' if capture_url else ""
    og_url = f'\n      api_url: "{capture_url}/opsgenie/"' if capture_url else ""
    return f"""
alertmanager:
  external_url: {external_url}
{timings}
generate:
  runbook_base_url: https://runbooks.test/chainwatch
  grafana_url: https://grafana.test
teams:
  core-infra:
    pagerduty: {{routing_key_file: "{secrets["pagerduty"]}"{pd_url}}}
    opsgenie:
      api_key_file: "{secrets["opsgenie"]}"{og_url}
      responders: [{{type: team, name: core-infra}}]
      tags: [blockchain]
  l2-infra:
    opsgenie:
      api_key_file: "{secrets["opsgenie"]}"{og_url}
      responders: [{{type: team, name: l2-infra}}]
    business_hours: {business_hours}
  data:
    pagerduty: {{routing_key_file: "{secrets["pagerduty"]}"{pd_url}}}
    slack: {{api_url_file: "{secrets["slack"]}", channel: "#data-alerts"}}
    warnings_to: slack
{CHAINS}"""


FAST = """  critical: {group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
  warning: {group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
  info: {group_wait: 1s, group_interval: 1s, repeat_interval: 1h}"""


def generated(tmp: Path, text: str) -> Path:
    """Write the chainwatch config, generate, return the path of alertmanager.yml."""
    src = tmp / "chainwatch.yaml"
    src.write_text(text)
    config = parse(text, str(src), need_secrets=False)
    generate.write(config, tmp / "out")
    return tmp / "out" / "alertmanager" / "alertmanager.yml"


def amtool(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    binary = require_binary("amtool")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30, check=check)


# --------------------------------------------------------------------------- alerts


def labels_for(alert: names.AlertSpec, chain: str, severity: str, **extra) -> dict[str, str]:
    """The labels the rules put on ``alert`` firing for ``chain`` (rules/names.py contract)."""
    if alert.scope == "exporter":  # one per team that owns a chain, chain "*" (core/alerts.py)
        team = TEAM_OF_CHAIN.get(chain, "core-infra")
        return {"alertname": alert.name, "severity": severity, "team": team, "chain": "*", "job": "chainwatch", "instance": "chainwatch:9877", **extra}
    out = {
        "alertname": alert.name,
        "severity": severity,
        "team": TEAM_OF_CHAIN.get(chain, "core-infra"),
        "chain": chain,
        "network": NETWORK_OF_CHAIN.get(chain, "mainnet"),
    }
    if alert.scope == "endpoint":
        out.update(endpoint=ENDPOINT_OF_CHAIN.get(chain, "node-1"), role="node")
    elif alert.scope == "group":
        out["group"] = "berlin"
    return {**out, **extra}


def firing(labels: dict[str, str], summary: str, description: str = "", value: str = "", *, runbook: str = "", dashboard: str = "") -> dict:
    """An alert as Prometheus posts it to /api/v2/alerts."""
    name = labels["alertname"]
    annotations = {
        "summary": summary,
        "description": description or summary,
        "runbook_url": runbook or f"https://runbooks.test/chainwatch/{name}.md",
        "dashboard_url": dashboard or f"https://grafana.test/d/chainwatch-chain/chain?var-chain={labels.get('chain', '')}",
    }
    if value:
        annotations["value"] = value
    now = dt.datetime.now(dt.timezone.utc)
    return {"labels": labels, "annotations": annotations, "startsAt": now.isoformat(), "generatorURL": "http://prometheus.test/graph"}


def resolved(alert: dict) -> dict:
    return {**alert, "endsAt": dt.datetime.now(dt.timezone.utc).isoformat()}


class Alertmanager(Proc):
    """The Debian prometheus-alertmanager on a free loopback port, no clustering."""

    def __init__(self, config_file: Path, workdir: Path, external_url: str = "http://alertmanager.test:9093"):
        binary = require_binary("prometheus-alertmanager", "/usr/bin/prometheus-alertmanager")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            binary,
            f"--config.file={config_file}",
            f"--storage.path={workdir / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
            f"--web.external-url={external_url}",
            "--log.level=debug",
        ]
        super().__init__("alertmanager", args, log=workdir / "alertmanager.log")
        self.start()
        try:
            wait_http(f"{self.url}/-/ready", proc=self)
        except Exception:
            self.stop()
            raise

    def post(self, *alerts: dict) -> None:
        req = urllib.request.Request(f"{self.url}/api/v2/alerts", json.dumps(list(alerts)).encode(), {"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200

    def alerts(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=5) as r:
            return json.loads(r.read())

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log else ""

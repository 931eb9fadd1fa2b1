"""Who gets notified, checked with ``amtool config routes test`` on the generated config.

The table reads as the paging policy of the test config's three teams:

    team        critical                       warning                          info
    core-infra  PagerDuty + Opsgenie P1        Opsgenie P3                      nobody
    l2-infra    Opsgenie P1                    Opsgenie P3 (business hours)     nobody
    data        PagerDuty                      Slack #data-alerts               Slack #data-alerts

and alerts without an owning team (the exporter's own alert, a typo in a team label)
go to every team's receiver for that severity. Chains with a ``routing`` override go
their own way before their team's routes:

    chain (team)              override                        critical        warning          info
    sepolia (core-infra)      critical_to: warnings           Opsgenie P3     Opsgenie P3      nobody
    polygon-amoy (l2-infra)   critical_to: warnings           Opsgenie P3 (business hours, as its warnings)
    base (l2-infra)           business_hours_only: false      Opsgenie P1     Opsgenie P3 (any hour)
    solana-devnet (data)      critical_to: none               nobody          Slack            Slack
"""

from __future__ import annotations

import pytest

from chainwatch.assembly import names

from .support import CHAIN_OF_KIND, amtool, config_text, generated, labels_for, write_secrets

pytestmark = pytest.mark.alertmanager

RECEIVER = {  # team -> severity -> receiver
    "core-infra": {"critical": "core-infra-critical", "warning": "core-infra-warning", "info": "null"},
    "l2-infra": {"critical": "l2-infra-critical", "warning": "l2-infra-warning", "info": "null"},
    "data": {"critical": "data-critical", "warning": "data-warning", "info": "data-info"},
}

# Hand-written rows: the cases a reader checks first.
TABLE = [
    # labels                                                                          receivers
    ({"alertname": "ChainwatchSyncLagHigh", "severity": "critical", "team": "core-infra", "chain": "ethereum", "endpoint": "geth-1"}, "core-infra-critical"),
    ({"alertname": "ChainwatchSyncLagHigh", "severity": "warning", "team": "core-infra", "chain": "ethereum", "endpoint": "geth-1"}, "core-infra-warning"),
    ({"alertname": "ChainwatchChainHalted", "severity": "critical", "team": "l2-infra", "chain": "polygon"}, "l2-infra-critical"),
    ({"alertname": "ChainwatchPeersLow", "severity": "warning", "team": "l2-infra", "chain": "polygon", "endpoint": "bor-1"}, "l2-infra-warning"),
    ({"alertname": "ChainwatchSolanaSkipRateHigh", "severity": "warning", "team": "data", "chain": "solana", "group": "main"}, "data-warning"),
    ({"alertname": "ChainwatchSolanaClusterHalted", "severity": "critical", "team": "data", "chain": "solana"}, "data-critical"),
    # info never pages: Slack where the team has one, else nowhere
    ({"alertname": "ChainwatchRpcLatencyHigh", "severity": "info", "team": "data", "chain": "solana", "endpoint": "agave-1"}, "data-info"),
    ({"alertname": "ChainwatchRpcLatencyHigh", "severity": "info", "team": "core-infra", "chain": "ethereum", "endpoint": "geth-1"}, "null"),
    # the exporter's own alert: the rules write one per team (chain "*"), each pages its team
    ({"alertname": "ChainwatchExporterAbsent", "severity": "critical", "team": "l2-infra", "chain": "*", "job": "chainwatch"}, "l2-infra-critical"),
    # unowned alerts (no or an unknown team label) reach every team that would hear that severity
    (
        {"alertname": "ChainwatchExporterAbsent", "severity": "critical", "job": "chainwatch", "instance": "chainwatch:9877"},
        "core-infra-critical,data-critical,l2-infra-critical",
    ),
    (
        {"alertname": "ChainwatchSyncLagHigh", "severity": "warning", "team": "typo-team", "chain": "ethereum"},
        "core-infra-warning,data-warning,l2-infra-warning",
    ),
    ({"alertname": "ChainwatchSyncLagHigh", "severity": "info", "team": "typo-team", "chain": "ethereum"}, "data-info"),
    # no severity label: treated like info (never a page)
    ({"alertname": "ChainwatchSyncLagHigh", "team": "core-infra", "chain": "ethereum"}, "null"),
    # per-chain overrides: a testnet never pages, its criticals become the team's tickets ...
    ({"alertname": "ChainwatchChainHalted", "severity": "critical", "team": "core-infra", "chain": "sepolia"}, "core-infra-warning"),
    (
        {"alertname": "ChainwatchEndpointDown", "severity": "critical", "team": "core-infra", "chain": "sepolia", "endpoint": "geth-sepolia-1"},
        "core-infra-warning",
    ),
    (
        {"alertname": "ChainwatchSyncLagHigh", "severity": "warning", "team": "core-infra", "chain": "sepolia", "endpoint": "geth-sepolia-1"},
        "core-infra-warning",
    ),
    (
        {"alertname": "ChainwatchSLOErrorBudgetBurn", "severity": "critical", "team": "core-infra", "chain": "sepolia", "slo": "availability"},
        "core-infra-warning",
    ),
    ({"alertname": "ChainwatchRpcLatencyHigh", "severity": "info", "team": "core-infra", "chain": "sepolia", "endpoint": "geth-sepolia-1"}, "null"),
    ({"alertname": "ChainwatchChainHalted", "severity": "critical", "team": "l2-infra", "chain": "polygon-amoy"}, "l2-infra-warning"),
    ({"alertname": "ChainwatchSolanaClusterHalted", "severity": "critical", "team": "data", "chain": "solana-devnet"}, "null"),
    (
        {"alertname": "ChainwatchSolanaNodeBehind", "severity": "warning", "team": "data", "chain": "solana-devnet", "endpoint": "agave-devnet-1"},
        "data-warning",
    ),
    ({"alertname": "ChainwatchRpcLatencyHigh", "severity": "info", "team": "data", "chain": "solana-devnet", "endpoint": "agave-devnet-1"}, "data-info"),
    # ... an override that changes only hours keeps the team's receivers
    ({"alertname": "ChainwatchChainHalted", "severity": "critical", "team": "l2-infra", "chain": "base"}, "l2-infra-critical"),
    ({"alertname": "ChainwatchPeersLow", "severity": "warning", "team": "l2-infra", "chain": "base", "endpoint": "base-1"}, "l2-infra-warning"),
    # ... and never leaks to the mainnet of the same team, nor to the exporter's own alert
    ({"alertname": "ChainwatchChainHalted", "severity": "critical", "team": "core-infra", "chain": "ethereum"}, "core-infra-critical"),
    ({"alertname": "ChainwatchExporterAbsent", "severity": "critical", "team": "data", "chain": "*", "job": "chainwatch"}, "data-critical"),
    # a chain name that merely starts like an overridden one is not overridden (exact match)
    ({"alertname": "ChainwatchChainHalted", "severity": "critical", "team": "core-infra", "chain": "sepolia-2"}, "core-infra-critical"),
]


def every_alert():
    """Every alert x each severity it fires with x each chain it applies to (names.ALERTS)."""
    for alert in names.ALERTS:
        if alert.name == names.WATCHDOG:  # never a page: its heartbeat route is tested in test_heartbeat.py
            continue
        chains = sorted({c for kind in alert.kinds for c in CHAIN_OF_KIND[kind]})
        for severity in alert.severities:
            if alert.scope == "exporter":  # the rules write one per team
                for chain in ("ethereum", "polygon", "solana"):
                    labels = labels_for(alert, chain, severity)
                    yield pytest.param(labels, RECEIVER[labels["team"]][severity], id=f"{alert.name}-{severity}-{labels['team']}")
                continue
            for chain in chains:
                labels = labels_for(alert, chain, severity)
                yield pytest.param(labels, RECEIVER[labels["team"]][severity], id=f"{alert.name}-{severity}-{chain}")


@pytest.fixture(scope="module")
def am_config(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("routes")
    return generated(tmp, config_text(write_secrets(tmp / "secrets")))


def route(config, labels: dict[str, str], expected: str) -> None:
    args = [f"{k}={v}" for k, v in labels.items()]
    result = amtool("config", "routes", "test", f"--config.file={config}", f"--verify.receivers={expected}", *args, check=False)
    got = result.stdout.strip().splitlines()[0] if result.stdout.strip() else result.stderr
    assert result.returncode == 0, f"{labels} went to {got}, expected {expected}"


@pytest.mark.parametrize("labels,expected", TABLE, ids=lambda v: v if isinstance(v, str) else None)
def test_routing_table(am_config, labels, expected):
    route(am_config, labels, expected)


@pytest.mark.parametrize("labels,expected", list(every_alert()))
def test_every_alert_reaches_its_team(am_config, labels, expected):
    route(am_config, labels, expected)


def test_wrong_receiver_is_reported(am_config):
    """The check above can fail: amtool rejects a wrong expectation."""
    labels = {"alertname": "ChainwatchSyncLagHigh", "severity": "critical", "team": "core-infra", "chain": "ethereum"}
    with pytest.raises(AssertionError, match="went to core-infra-critical, expected core-infra-warning"):
        route(am_config, labels, "core-infra-warning")


def test_a_kind_the_test_config_does_not_list_is_still_tried(monkeypatch):
    """A kind registered after this test config was written gets a chain of its own (no KeyError
    at collection): its alerts are routed by team like every other."""
    from chainwatch import kinds

    from .support import chains_of_kind

    monkeypatch.setattr(kinds, "NAMES", (*kinds.NAMES, "newkind"))
    assert chains_of_kind()["newkind"] == ["newkind-chain"]
    assert chains_of_kind()["evm"] == CHAIN_OF_KIND["evm"]

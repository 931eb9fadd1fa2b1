"""Which firing alerts move a chain's public component (status/model.py ``derive``), from the
two query results as Prometheus returns them: no server here, the states only."""

from __future__ import annotations

import datetime as dt

from chainwatch.assembly import health
from chainwatch.assembly.config import parse
from chainwatch.status.model import OPERATIONAL, PARTIAL, derive

CONFIG = """
teams: {ops: {}}
chains:
  devnet:
    kind: evm
    network: anvil
    chain_id: 31337
    team: ops
    accounts: [{name: hot-wallet, address: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", purpose: fees, minimum: 10}]
    endpoints:
      - {name: node-1, url: "http://127.0.0.1:1/"}
      - {name: ref-1, url: "http://127.0.0.1:2/", role: reference}
"""
AT = dt.datetime(2026, 12, 7, tzinfo=dt.timezone.utc)


def state(*alerts: dict) -> str:
    config = parse(CONFIG, env={})
    status = [{"metric": {"chain": "devnet"}, "value": [0, str(health.OK)]}]
    page = derive(config, status, [{"metric": {"chain": "devnet", **a}} for a in alerts], AT, "t")
    return page.components[0].status


def test_an_operator_account_running_low_is_no_public_outage():
    """Field trial: a wallet below its minimum made the public page say "Partial outage" while
    every endpoint answered. It pages on-call; no user request fails because of it."""
    for alert in ("ChainwatchAccountBalanceLow", "ChainwatchAccountRunwayLow"):
        assert state({"alertname": alert, "severity": "critical", "account": "hot-wallet"}) == OPERATIONAL, alert


def test_a_critical_alert_about_the_service_is_a_partial_outage():
    assert state({"alertname": "ChainwatchSyncLagHigh", "severity": "critical", "endpoint": "node-1"}) == PARTIAL

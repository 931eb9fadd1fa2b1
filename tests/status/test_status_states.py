"""Which firing alerts move a chain's public component (status/model.py ``derive``), from the
two query results as Prometheus returns them: no server here, the states only."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from chainwatch.assembly import health
from chainwatch.assembly.config import parse
from chainwatch.status import html
from chainwatch.status.model import OPERATIONAL, PARTIAL, derive, firing_alerts, history

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


def api_alert(name: str, active_at: str, state: str = "firing", chain: str = "devnet", **labels) -> dict:
    """One alert as Prometheus' ``GET /api/v1/alerts`` lists it."""
    return {"labels": {"alertname": name, "chain": chain, **labels}, "state": state, "activeAt": active_at, "value": "1e+00"}


def test_an_incident_started_when_its_alert_became_active_not_when_the_page_was_loaded():
    """Field report: every incident of the page and of summary.json "started" at the request time."""
    config = parse(CONFIG, env={})
    answer = {
        "alerts": [
            api_alert("ChainwatchSyncLagHigh", "2026-12-06T23:41:07.123456789Z", severity="critical", endpoint="node-1"),
            api_alert("ChainwatchEndpointDown", "2026-12-06T23:58:00Z", severity="critical", endpoint="node-1"),
            api_alert("ChainwatchSyncLagHigh", "2026-12-06T23:59:00Z", state="pending", severity="critical", endpoint="ref-1"),
            api_alert("ChainwatchSyncLagHigh", "2026-12-06T20:00:00Z", chain="elsewhere", severity="critical", endpoint="x"),
        ]
    }
    alerts = firing_alerts(config, answer)
    assert len(alerts) == 2  # neither the pending alert nor another config's chain
    status = [{"metric": {"chain": "devnet"}, "value": [0, str(health.OK)]}]
    page = derive(config, status, alerts, AT, "t")
    [incident] = page.summary()["incidents"]
    assert incident["started_at"] == incident["created_at"] == "2026-12-06T23:41:07.123Z"
    assert incident["status"] == "identified" and incident["resolved_at"] is None
    assert [u["created_at"] for u in incident["incident_updates"]] == ["2026-12-06T23:41:07.123Z"]
    # the same answer a minute later: the same incident, the same start
    again = derive(config, status, alerts, AT + dt.timedelta(minutes=1), "t").summary()["incidents"][0]
    assert (again["id"], again["started_at"]) == (incident["id"], incident["started_at"])


def test_history_lists_ended_incidents_with_their_start_and_end():
    config = parse(CONFIG, env={})
    status = [{"metric": {"chain": "devnet"}, "value": [0, str(health.OK)]}]
    page = derive(config, status, [], AT, "t")
    end = AT.timestamp()
    step = 60.0

    def series(alert: str, start: float, stop: float) -> dict:
        return {"metric": {"chain": "devnet", "alertname": alert}, "values": [[t, "1"] for t in range(int(start), int(stop) + 1, int(step))]}

    halt = series("ChainwatchChainHalted", end - 7200, end - 5400)
    stale_before_halt = series("ChainwatchHeadStale", end - 7260, end - 5400)  # the halt's symptom, before its `for:` ran out
    lag_in_halt = series("ChainwatchSyncLagHigh", end - 7140, end - 5340)  # the halt's symptom
    down_in_halt = series("ChainwatchEndpointDown", end - 6000, end - 5700)  # ours: the halt does not explain it
    own = series("ChainwatchEndpointDown", end - 3600, end - 1800)
    just_ended = series("ChainwatchSyncLagHigh", end - 600, end)  # no current incident: it ended
    past = history(page, config, [halt, stale_before_halt, lag_in_halt, down_in_halt, own, just_ended], step)
    got = [(i.upstream, i.started.timestamp(), i.resolved.timestamp()) for i in past]
    assert got == [(False, end - 660, end), (False, end - 3660, end - 1800), (False, end - 6060, end - 5700), (True, end - 7260, end - 5400)]
    for item in page.__class__(page.title, page.components, [], page.at, past).incidents_json():
        assert item["status"] == "resolved" and item["resolved_at"] > item["started_at"]
        assert [u["status"] for u in item["incident_updates"]] == ["resolved", "identified"]
        assert item["incident_updates"][0]["created_at"] == item["resolved_at"] == item["updated_at"]


class Text(HTMLParser):
    """The text of each element carrying ``data-incident``/``data-past``, as a reader hears it."""

    def __init__(self):
        super().__init__()
        self.items: list[tuple[str, str]] = []
        self.depth = 0
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.scripts += tag == "script"
        kind = attrs.get("data-incident") or attrs.get("data-past")
        if kind:
            self.items.append((kind, ""))
            self.depth = 1
        elif self.depth:
            self.depth += 1
            self.items[-1] = (self.items[-1][0], self.items[-1][1] + " ")  # a block: words apart

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            kind, text = self.items[-1]
            self.items[-1] = (kind, text + data)


def test_a_halt_is_the_networks_incident_and_our_outage_during_it_is_ours_in_html_and_json():
    """A reader without JavaScript, colour or CSS tells the network's incident from ours by its
    words; a Statuspage client by the incident's components (the chain's network component)."""
    config = parse(CONFIG, env={})
    status = [{"metric": {"chain": "devnet"}, "value": [0, str(health.DEGRADED)]}]
    alerts = [
        {"metric": {"chain": "devnet", "alertname": "ChainwatchChainHalted", "severity": "critical"}, "active_at": AT.timestamp() - 600},
        {"metric": {"chain": "devnet", "alertname": "ChainwatchSyncLagHigh", "severity": "critical", "endpoint": "node-1"}, "active_at": AT.timestamp() - 500},
        {"metric": {"chain": "devnet", "alertname": "ChainwatchEndpointDown", "severity": "critical", "endpoint": "node-1"}, "active_at": AT.timestamp() - 300},
    ]
    page = derive(config, status, alerts, AT, "t")
    data = page.summary()
    upstream, own = data["incidents"]
    network = next(c for c in data["components"] if c["name"] == "devnet: Network (upstream)")
    assert network["status"] == "degraded_performance" and network["group_id"] == page.components[0].id
    assert upstream["name"].startswith("Upstream:") and network["id"] in [c["id"] for c in upstream["components"]]
    assert network["id"] not in [c["id"] for c in own["components"]]
    # the lag is the halt's symptom; a down endpoint is not: ours, since it went down
    assert own["started_at"] == "2026-12-06T23:55:00.000Z" and own["impact"] == "major"

    past = history(page, config, [{"metric": {"chain": "devnet", "alertname": "ChainwatchChainHalted"}, "values": [[AT.timestamp() - 7200, "1"]]}], 60)
    text = Text()
    text.feed(html.render(page.__class__(page.title, page.components, page.incidents, page.at, past)))
    assert text.scripts == 0
    assert [(kind, " ".join(words.split())) for kind, words in text.items] == [
        ("upstream", f"Upstream network incident (not our infrastructure) {upstream['name']} Since 2026-12-06 23:50 UTC {page.incidents[0].body}"),
        ("own", f"Our service {own['name']} Since 2026-12-06 23:55 UTC {page.incidents[1].body}"),
        ("upstream", f"Upstream network incident (not our infrastructure): {upstream['name']}, 2026-12-06 21:59 UTC to 2026-12-06 22:00 UTC (resolved)"),
    ]

"""End to end on a real Alertmanager: the generated config, alerts posted to its v2 API,
PagerDuty and Opsgenie replaced by the capture server (chainwatch.devnet.capture),
which records the exact JSON they would have received.

Timings are shortened through the config's ``alertmanager`` section (1s group wait and
interval), so a page arrives within about a second and a resolve a second after the end.
"""

from __future__ import annotations

import time

import pytest

from chainwatch.assembly import names
from chainwatch.devnet.capture import CaptureServer
from tests.support.poll import hold, wait_until

from .support import FAST, OPSGENIE_KEY, PAGERDUTY_KEY, Alertmanager, config_text, firing, generated, labels_for, resolved, write_secrets

pytestmark = pytest.mark.alertmanager

EXTERNAL = "http://alertmanager.test:9093"
# A negative contract ("nothing else is sent") is watched for 3 of FAST's 1 s group
# intervals plus a second of margin for a loaded machine, failing at the first stray page.
SETTLE = 3 * 1.0 + 1.0


@pytest.fixture
def capture():
    with CaptureServer() as server:
        yield server


@pytest.fixture
def am(tmp_path, capture):
    text = config_text(write_secrets(tmp_path / "secrets"), capture_url=capture.url, timings=FAST, external_url=EXTERNAL)
    with Alertmanager(generated(tmp_path, text), tmp_path, external_url=EXTERNAL) as server:
        yield server


def lag(endpoint: str, behind: int, chain: str = "ethereum", severity: str = "critical") -> dict:
    labels = labels_for(names.ALERT_BY_NAME["ChainwatchSyncLagHigh"], chain, severity, endpoint=endpoint)
    return firing(
        labels,
        f"{endpoint} is {behind} blocks behind",
        f"{endpoint} on {chain}/mainnet is {behind} blocks behind the best reference.",
        str(behind),
        runbook="https://runbooks.test/chainwatch/ChainwatchSyncLagHigh.md",
        dashboard=f"https://grafana.test/d/chainwatch-endpoint/endpoint?var-endpoint={endpoint}",
    )


def halted(chain: str = "ethereum") -> dict:
    labels = labels_for(names.ALERT_BY_NAME["ChainwatchChainHalted"], chain, "critical")
    return firing(labels, f"[{chain}] no new block on any reference for 2m", f"Every reference of {chain} is stuck.")


def test_critical_alert_pages_pagerduty_and_opsgenie_then_resolves(am, capture):
    alert = lag("geth-1", 42)
    am.post(alert)
    capture.wait_for(lambda got: len([n for n in got if n.is_page]) >= 2, timeout=20)

    [pd] = capture.pages("pagerduty")
    body = pd.body
    assert body["routing_key"] == PAGERDUTY_KEY  # read from the file (trailing newline trimmed)
    assert body["event_action"] == "trigger"
    assert len(body["dedup_key"]) == 64  # Alertmanager's hash of the group key
    payload = body["payload"]
    assert payload["summary"] == "[ethereum] geth-1 is 42 blocks behind"
    assert payload["severity"] == "critical"
    assert (payload["source"], payload["component"], payload["group"], payload["class"]) == ("ethereum/geth-1", "geth-1", "ethereum", "ChainwatchSyncLagHigh")
    details = payload["custom_details"]
    assert {k: details[k] for k in ("chain", "network", "endpoint", "severity", "team", "value", "runbook", "dashboard", "firing")} == {
        "chain": "ethereum",
        "network": "mainnet",
        "endpoint": "geth-1",
        "severity": "critical",
        "team": "core-infra",
        "value": "42",
        "runbook": "https://runbooks.test/chainwatch/ChainwatchSyncLagHigh.md",
        "dashboard": "https://grafana.test/d/chainwatch-endpoint/endpoint?var-endpoint=geth-1",
        "firing": "geth-1: geth-1 is 42 blocks behind",
    }
    assert details["description"] == "geth-1 on ethereum/mainnet is 42 blocks behind the best reference.\n"
    assert [link["text"] for link in body["links"]] == ["Runbook", "Dashboard", "Silence this alert"]
    assert body["links"][0]["href"] == details["runbook"]
    assert body["links"][2]["href"].startswith(f"{EXTERNAL}/#/silences/new?filter=")
    assert body["client_url"] == f"{EXTERNAL}/#/alerts?receiver=core-infra-critical"

    [og] = capture.pages("opsgenie")
    assert og.headers["Authorization"] == f"GenieKey {OPSGENIE_KEY}"
    assert og.path == "/opsgenie/v2/alerts"
    assert og.body["message"] == "[ethereum] geth-1 is 42 blocks behind"
    assert og.body["alias"] == body["dedup_key"]  # same group, same identity everywhere
    assert og.body["priority"] == "P1"
    assert og.body["tags"] == ["chainwatch", "chain:ethereum", "severity:critical", "team:core-infra", "blockchain"]
    assert og.body["responders"] == [{"type": "team", "name": "core-infra"}]
    assert og.body["entity"] == "ethereum/geth-1"
    assert {k: og.body["details"][k] for k in ("chain", "endpoint", "severity", "team", "value")} == {
        "chain": "ethereum",
        "endpoint": "geth-1",
        "severity": "critical",
        "team": "core-infra",
        "value": "42",
    }
    assert og.body["description"].startswith("geth-1 on ethereum/mainnet is 42 blocks behind the best reference.\n\nRunbook: https://runbooks.test/")

    am.post(resolved(alert))
    capture.wait_for(lambda got: len([n for n in got if n.action in ("resolve", "close")]) >= 2, timeout=20)
    [pd_resolve] = capture.resolves("pagerduty")
    assert pd_resolve.body["dedup_key"] == body["dedup_key"]
    assert pd_resolve.body["routing_key"] == PAGERDUTY_KEY
    [og_close] = capture.resolves("opsgenie")
    assert og_close.path == f"/opsgenie/v2/alerts/{og.body['alias']}/close?identifierType=alias"
    assert og_close.headers["Authorization"] == f"GenieKey {OPSGENIE_KEY}"


def test_dedup_key_is_stable_per_endpoint_and_differs_between_endpoints(am, capture):
    am.post(lag("geth-1", 42), lag("geth-2", 30))
    capture.wait_for(lambda got: len([n for n in got if n.service == "pagerduty"]) >= 2, timeout=20)
    keys = {n.body["payload"]["custom_details"]["endpoint"]: n.body["dedup_key"] for n in capture.pages("pagerduty")}
    assert set(keys) == {"geth-1", "geth-2"} and keys["geth-1"] != keys["geth-2"]
    # the same alert again (Prometheus re-sends every evaluation): no new incident
    capture.clear()
    am.post(lag("geth-1", 44))
    hold(lambda: capture.pages("pagerduty") == [], SETTLE, "no new PagerDuty incident for a re-sent alert")


def test_chain_halt_and_five_lagging_endpoints_page_once(am, capture):
    lagging = [lag(f"geth-{i}", 40 + i) for i in range(1, 6)]
    am.post(halted(), *lagging)
    capture.wait_for(lambda got: any(n.is_page for n in got), timeout=20)
    halt_only = ["[ethereum] no new block on any reference for 2m"]
    hold(
        lambda: all(set(n.summary for n in capture.pages(s)) <= set(halt_only) for s in ("pagerduty", "opsgenie")),
        SETTLE,
        "nothing but the halt pages",
        describe=lambda _: str([n.summary for n in capture.pages()]),
    )
    capture.wait_for(lambda got: len([n for n in got if n.is_page]) >= 2, timeout=20)
    assert [n.summary for n in capture.pages("pagerduty")] == halt_only
    assert [n.summary for n in capture.pages("opsgenie")] == halt_only
    suppressed = [a for a in am.alerts() if a["labels"]["alertname"] == "ChainwatchSyncLagHigh"]
    assert len(suppressed) == 5
    assert all(a["status"]["state"] == "suppressed" and a["status"]["inhibitedBy"] for a in suppressed)


def test_without_a_halt_the_same_five_endpoints_page_five_times(am, capture):
    """Control for the test above: it is the inhibition that saves four pages, not grouping."""
    am.post(*[lag(f"geth-{i}", 40 + i) for i in range(1, 6)])
    capture.wait_for(lambda got: len([n for n in got if n.service == "pagerduty"]) >= 5, timeout=20)
    hold(lambda: len(capture.pages("pagerduty")) == 5, 2 * 1.0, "exactly five PagerDuty incidents (two group intervals)")
    assert sorted(n.body["payload"]["custom_details"]["endpoint"] for n in capture.pages("pagerduty")) == [f"geth-{i}" for i in range(1, 6)]


def alert_named(name: str, chain: str = "ethereum", severity: str | None = None, **extra) -> dict:
    spec = names.ALERT_BY_NAME[name]
    labels = labels_for(spec, chain, severity or spec.severities[0], **extra)
    return firing(labels, f"{name} on {extra.get('endpoint', chain)}")


INHIBITION = [
    # (why, alerts posted, alert -> inhibited?)  — read straight from Alertmanager's API
    (
        "endpoint down mutes that endpoint's symptoms, not another endpoint's",
        [
            alert_named("ChainwatchEndpointDown", endpoint="geth-1"),
            alert_named("ChainwatchSyncLagHigh", endpoint="geth-1", severity="critical"),
            alert_named("ChainwatchPeersLow", endpoint="geth-1"),
            alert_named("ChainwatchMempoolHigh", endpoint="geth-1"),
            alert_named("ChainwatchRpcLatencyHigh", endpoint="geth-1"),
            alert_named("ChainwatchSyncLagHigh", endpoint="geth-2", severity="critical"),
        ],
        {
            "ChainwatchEndpointDown/geth-1": False,
            "ChainwatchSyncLagHigh/geth-1": True,
            "ChainwatchPeersLow/geth-1": True,
            "ChainwatchMempoolHigh/geth-1": True,
            "ChainwatchRpcLatencyHigh/geth-1": True,
            "ChainwatchSyncLagHigh/geth-2": False,
        },
    ),
    (
        "a halted chain mutes endpoint symptoms and SLO burn on that chain only",
        [
            alert_named("ChainwatchChainHalted"),
            alert_named("ChainwatchHeadStale", endpoint="geth-1"),
            # a warning on polygon: no page, so it explains nothing of polygon's burn
            alert_named("ChainwatchPeersLow", chain="polygon", endpoint="bor-1"),
            alert_named("ChainwatchRpcErrorRatioHigh", endpoint="geth-1"),
            alert_named("ChainwatchSLOErrorBudgetBurn", slo="freshness"),
            alert_named("ChainwatchSLOErrorBudgetBurn", chain="polygon", slo="freshness"),
        ],
        {
            "ChainwatchChainHalted/ethereum": False,
            "ChainwatchHeadStale/geth-1": True,
            "ChainwatchPeersLow/bor-1": False,
            "ChainwatchRpcErrorRatioHigh/geth-1": False,
            "ChainwatchSLOErrorBudgetBurn/ethereum": True,
            "ChainwatchSLOErrorBudgetBurn/polygon": False,
        },
    ),
    (
        "a critical endpoint page explains its chain's SLO burn: one incident, one page (issue #25)",
        [
            alert_named("ChainwatchEndpointDown", chain="polygon", endpoint="bor-1"),
            alert_named("ChainwatchSLOErrorBudgetBurn", chain="polygon", slo="availability"),
            alert_named("ChainwatchSLOErrorBudgetBurn", slo="availability"),
        ],
        {
            "ChainwatchEndpointDown/bor-1": False,
            "ChainwatchSLOErrorBudgetBurn/polygon": True,
            "ChainwatchSLOErrorBudgetBurn/ethereum": False,
        },
    ),
    (
        "stalled finality mutes beacon node lag",
        [
            alert_named("ChainwatchFinalityStalled", chain="ethereum-beacon"),
            alert_named("ChainwatchSyncLagHigh", chain="ethereum-beacon", endpoint="lighthouse-1", severity="warning"),
        ],
        {"ChainwatchFinalityStalled/ethereum-beacon": False, "ChainwatchSyncLagHigh/lighthouse-1": True},
    ),
    (
        "critical mutes the warning of the same alert and endpoint",
        [
            alert_named("ChainwatchSyncLagHigh", endpoint="geth-1", severity="critical"),
            alert_named("ChainwatchSyncLagHigh", endpoint="geth-1", severity="warning"),
            alert_named("ChainwatchSyncLagHigh", endpoint="geth-2", severity="warning"),
        ],
        {"ChainwatchSyncLagHigh/geth-1/critical": False, "ChainwatchSyncLagHigh/geth-1/warning": True, "ChainwatchSyncLagHigh/geth-2/warning": False},
    ),
    (
        "lag in seconds is muted by lag in blocks of the same endpoint and severity",
        [
            alert_named("ChainwatchSyncLagHigh", endpoint="geth-1", severity="critical"),
            alert_named("ChainwatchSyncLagSecondsHigh", endpoint="geth-1", severity="critical"),
            alert_named("ChainwatchSyncLagSecondsHigh", endpoint="geth-2", severity="critical"),
            alert_named("ChainwatchSyncLagHigh", endpoint="geth-3", severity="warning"),
            alert_named("ChainwatchSyncLagSecondsHigh", endpoint="geth-3", severity="critical"),
        ],
        {
            "ChainwatchSyncLagHigh/geth-1": False,
            "ChainwatchSyncLagSecondsHigh/geth-1": True,
            "ChainwatchSyncLagSecondsHigh/geth-2": False,
            "ChainwatchSyncLagHigh/geth-3": False,
            "ChainwatchSyncLagSecondsHigh/geth-3": False,
        },
    ),
    (
        "a stale head mutes that endpoint's lag",
        [
            alert_named("ChainwatchHeadStale", endpoint="geth-1"),
            alert_named("ChainwatchSyncLagHigh", endpoint="geth-1", severity="critical"),
            alert_named("ChainwatchSyncLagSecondsHigh", endpoint="geth-1", severity="warning"),
            alert_named("ChainwatchSyncLagHigh", endpoint="geth-2", severity="critical"),
        ],
        {
            "ChainwatchHeadStale/geth-1": False,
            "ChainwatchSyncLagHigh/geth-1": True,
            "ChainwatchSyncLagSecondsHigh/geth-1": True,
            "ChainwatchSyncLagHigh/geth-2": False,
        },
    ),
    (
        "a rollup's sequencer down (labelled with its L2 chain) mutes that chain's halt and stale heads only",
        [
            alert_named("ChainwatchSequencerDown", chain="polygon"),
            alert_named("ChainwatchChainHalted", chain="polygon"),
            alert_named("ChainwatchHeadStale", chain="polygon", endpoint="bor-1"),
            alert_named("ChainwatchHeadStale", endpoint="geth-1"),
        ],
        {
            "ChainwatchSequencerDown/polygon": False,
            "ChainwatchChainHalted/polygon": True,
            "ChainwatchHeadStale/bor-1": True,
            "ChainwatchHeadStale/geth-1": False,
        },
    ),
    (
        "an op-node's lagging L1 view mutes that op-node's safe-head and finality lag",
        [
            alert_named("ChainwatchRollupL1ViewBehind", chain="base", endpoint="op-node-1"),
            alert_named("ChainwatchRollupSafeHeadLagging", chain="base", endpoint="op-node-1"),
            alert_named("ChainwatchRollupFinalityLagging", chain="base", endpoint="op-node-1"),
            alert_named("ChainwatchRollupSafeHeadLagging", chain="base", endpoint="op-node-2"),
        ],
        {
            "ChainwatchRollupL1ViewBehind/op-node-1": False,
            "ChainwatchRollupSafeHeadLagging/op-node-1": True,
            "ChainwatchRollupFinalityLagging/op-node-1": True,
            "ChainwatchRollupSafeHeadLagging/op-node-2": False,
        },
    ),
    (
        "a stalled subgraph mutes its critical lag (the same incident), not a lag warning",
        [
            alert_named("ChainwatchSubgraphStalled", chain="uniswap-v3", endpoint="graph-node-1"),
            alert_named("ChainwatchSyncLagHigh", chain="uniswap-v3", severity="critical", endpoint="graph-node-1"),
            alert_named("ChainwatchSyncLagSecondsHigh", chain="uniswap-v3", severity="warning", endpoint="graph-node-1"),
        ],
        {
            "ChainwatchSubgraphStalled/graph-node-1": False,
            "ChainwatchSyncLagHigh/graph-node-1": True,
            "ChainwatchSyncLagSecondsHigh/graph-node-1": False,
        },
    ),
    (
        "exporter absent mutes everything it fed",
        [
            alert_named("ChainwatchExporterAbsent"),
            alert_named("ChainwatchEndpointDown", endpoint="geth-1"),
            alert_named("ChainwatchChainHalted", chain="polygon"),
            alert_named("ChainwatchAttestationsMissed", chain="ethereum-beacon"),
        ],
        {
            "ChainwatchExporterAbsent/*": False,
            "ChainwatchEndpointDown/geth-1": True,
            "ChainwatchChainHalted/polygon": True,
            "ChainwatchAttestationsMissed/berlin": True,
        },
    ),
]


def key(alert: dict, keys: dict) -> str:
    labels = alert["labels"]
    who = labels.get("endpoint") or labels.get("group") or labels.get("chain") or labels.get("job")
    base = f"{labels['alertname']}/{who}"
    return f"{base}/{labels['severity']}" if f"{base}/{labels['severity']}" in keys else base


@pytest.mark.parametrize("why,alerts,expected", INHIBITION, ids=[c[0] for c in INHIBITION])
def test_inhibition(am, why, alerts, expected):
    am.post(*alerts)
    state = lambda: {key(a, expected): bool(a["status"]["inhibitedBy"]) for a in am.alerts()}  # noqa: E731
    wait_until(lambda: state() == expected, 10, why, interval=0.2, describe=lambda _: str(state()))


def test_secrets_stay_out_of_alertmanager_logs(am, capture):
    am.post(lag("geth-1", 42))
    capture.wait_for(lambda got: len([n for n in got if n.is_page]) >= 2, timeout=20)
    log = am.log_text()
    assert "ChainwatchSyncLagHigh" in log  # debug logging is on: the alert passed through
    assert PAGERDUTY_KEY not in log and OPSGENIE_KEY not in log


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@pytest.mark.parametrize("office_open", [True, False], ids=["inside-business-hours", "outside-business-hours"])
def test_business_hours_hold_back_warnings_but_never_criticals(tmp_path, capture, office_open):
    """l2-infra takes warnings only in business hours; here "business hours" is all of today
    (UTC) or every day but today, so the test does not depend on when it runs."""
    today = WEEKDAYS[time.gmtime().tm_wday]
    days = [today] if office_open else [d for d in WEEKDAYS if d != today]
    hours = "{timezone: UTC, weekdays: [" + ", ".join(days) + '], start: "00:00", end: "24:00"}'
    text = config_text(write_secrets(tmp_path / "secrets"), capture_url=capture.url, timings=FAST, external_url=EXTERNAL, business_hours=hours)
    with Alertmanager(generated(tmp_path, text), tmp_path, external_url=EXTERNAL) as server:
        slow = firing(labels_for(names.ALERT_BY_NAME["ChainwatchRpcLatencyHigh"], "polygon", "warning"), "RPC p95 latency of bor-1 on polygon is 0.812s")
        server.post(slow, halted("polygon"))
        capture.wait_for(lambda got: any(n.body.get("priority") == "P1" for n in got if n.is_page), timeout=20)
        if office_open:
            capture.wait_for(lambda got: any(n.body.get("priority") == "P3" for n in got if n.is_page), timeout=20)
        else:  # held back: nothing but the P1 for three group intervals and a margin
            hold(lambda: all(n.body.get("priority") == "P1" for n in capture.pages("opsgenie")), SETTLE, "no warning outside business hours")
    assert sorted((n.body["priority"], n.body["message"]) for n in capture.pages("opsgenie")) == (
        [("P1", "[polygon] no new block on any reference for 2m")] + ([("P3", "[polygon] RPC p95 latency of bor-1 is 0.812s")] if office_open else [])
    )

"""The notification texts, rendered by ``amtool template render`` from the generated templates."""

from __future__ import annotations

import json

import pytest

from .support import amtool, config_text, generated, write_secrets

pytestmark = pytest.mark.alertmanager

EXTERNAL = "http://alertmanager.test:9093"
RUNBOOK = "https://runbooks.test/chainwatch/ChainwatchSyncLagHigh.md"
DASHBOARD = "https://grafana.test/d/chainwatch-endpoint/endpoint?var-chain=ethereum&var-endpoint=geth-1"


def alert(endpoint: str, behind: int, status: str = "firing", **labels) -> dict:
    return {
        "status": status,
        "labels": {
            "alertname": "ChainwatchSyncLagHigh",
            "severity": "critical",
            "team": "core-infra",
            "chain": "ethereum",
            "network": "mainnet",
            "endpoint": endpoint,
            "role": "node",
            **labels,
        },
        "annotations": {
            "summary": f"{endpoint} is {behind} blocks behind",
            "description": f"{endpoint} on ethereum/mainnet is {behind} blocks behind the best reference (critical above 25 blocks for 5m).",
            "runbook_url": RUNBOOK,
            "dashboard_url": DASHBOARD,
            "value": str(behind),
        },
        "startsAt": "2026-11-25T12:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-25T12:30:00Z",
        "generatorURL": "http://prometheus.test/graph",
        "fingerprint": f"{abs(hash(endpoint)):x}",
    }


def group(alerts: list[dict], group_labels: dict, receiver: str = "core-infra-critical") -> dict:
    common_labels = {k: v for k, v in alerts[0]["labels"].items() if all(a["labels"].get(k) == v for a in alerts)}
    common_ann = {k: v for k, v in alerts[0]["annotations"].items() if all(a["annotations"].get(k) == v for a in alerts)}
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {
        "receiver": receiver,
        "status": status,
        "alerts": alerts,
        "groupLabels": group_labels,
        "commonLabels": common_labels,
        "commonAnnotations": common_ann,
        "externalURL": EXTERNAL,
    }


ONE = group([alert("geth-1", 42)], {"alertname": "ChainwatchSyncLagHigh", "chain": "ethereum", "team": "core-infra", "endpoint": "geth-1"})
TWO = group([alert("geth-1", 42), alert("geth-2", 40)], {"alertname": "ChainwatchSyncLagHigh", "chain": "ethereum", "team": "core-infra"})
HALT = group(
    [
        {
            "status": "firing",
            "labels": {"alertname": "ChainwatchChainHalted", "severity": "critical", "team": "core-infra", "chain": "ethereum", "network": "mainnet"},
            "annotations": {
                "summary": "[ethereum] no new block on any reference for 2m10s",
                "description": "All 3 references of ethereum/mainnet are stuck at block 21000000.",
                "runbook_url": "https://runbooks.test/chainwatch/ChainwatchChainHalted.md",
                "dashboard_url": "https://grafana.test/d/chainwatch-chain/chain?var-chain=ethereum",
            },
            "startsAt": "2026-11-25T12:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "",
            "fingerprint": "1",
        }
    ],
    {"alertname": "ChainwatchChainHalted", "chain": "ethereum", "team": "core-infra"},
)
RULES_STYLE = group(  # the summary as rules/ writes it: "{endpoint} on {chain} is {value} blocks behind"
    [{**alert("geth-1", 42), "annotations": {**alert("geth-1", 42)["annotations"], "summary": "geth-1 on ethereum is 42 blocks behind"}}],
    ONE["groupLabels"],
)
EXPORTER = group(
    [
        {
            "status": "firing",
            "labels": {
                "alertname": "ChainwatchExporterAbsent",
                "severity": "critical",
                "team": "core-infra",
                "chain": "*",
                "job": "chainwatch",
                "instance": "chainwatch:9877",
            },
            "annotations": {
                "summary": "chainwatch exporter is not being scraped",
                "description": "Prometheus has not scraped the chainwatch exporter (job chainwatch) for 2m.",
                "runbook_url": "https://runbooks.test/chainwatch/ChainwatchExporterAbsent.md",
                "dashboard_url": "https://grafana.test/d/chainwatch-overview",
            },
            "startsAt": "2026-11-25T12:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "",
            "fingerprint": "2",
        }
    ],
    {"alertname": "ChainwatchExporterAbsent", "chain": "*", "team": "core-infra"},
)
WARN = group(
    [alert("geth-1", 12, severity="warning")],
    {"alertname": "ChainwatchSyncLagHigh", "chain": "ethereum", "team": "core-infra", "endpoint": "geth-1"},
    "core-infra-warning",
)
RESOLVED = group([alert("geth-1", 42, status="resolved")], ONE["groupLabels"])

SILENCE_ONE = (
    f"{EXTERNAL}/#/silences/new?filter=%7Balertname%3D%22ChainwatchSyncLagHigh%22%2Cchain%3D%22ethereum%22"
    "%2Cendpoint%3D%22geth-1%22%2Cteam%3D%22core-infra%22%7D"
)

CASES = [
    # template, data, expected text
    ("chainwatch.pagerduty.summary", ONE, "[ethereum] geth-1 is 42 blocks behind"),
    ("chainwatch.pagerduty.summary", TWO, "[ethereum] geth-1 is 42 blocks behind (2 firing)"),
    ("chainwatch.pagerduty.summary", HALT, "[ethereum] no new block on any reference for 2m10s"),  # already prefixed
    ("chainwatch.pagerduty.summary", RULES_STYLE, "[ethereum] geth-1 is 42 blocks behind"),  # " on ethereum" dropped
    ("chainwatch.pagerduty.summary", EXPORTER, "[all chains] chainwatch exporter is not being scraped"),
    ("chainwatch.pagerduty.severity", ONE, "critical"),
    ("chainwatch.pagerduty.severity", WARN, "warning"),
    ("chainwatch.pagerduty.client_url", ONE, f"{EXTERNAL}/#/alerts?receiver=core-infra-critical"),
    ("chainwatch.endpoint", ONE, "geth-1"),
    ("chainwatch.endpoint", TWO, "geth-1, geth-2"),
    ("chainwatch.endpoint", HALT, "all endpoints"),
    ("chainwatch.entity", ONE, "ethereum/geth-1"),
    ("chainwatch.value", ONE, "42"),
    ("chainwatch.value", TWO, "geth-1: 42; geth-2: 40"),
    ("chainwatch.value", HALT, "see description"),
    ("chainwatch.firing", TWO, "geth-1: geth-1 is 42 blocks behind; geth-2: geth-2 is 40 blocks behind"),
    ("chainwatch.runbook_url", ONE, RUNBOOK),
    ("chainwatch.dashboard_url", ONE, DASHBOARD),
    ("chainwatch.silence_url", ONE, SILENCE_ONE),
    ("chainwatch.opsgenie.message", ONE, "[ethereum] geth-1 is 42 blocks behind"),
    ("chainwatch.opsgenie.priority", ONE, "P1"),
    ("chainwatch.opsgenie.priority", WARN, "P3"),
    ("chainwatch.opsgenie.tags", ONE, "chainwatch,chain:ethereum,severity:critical,team:core-infra"),
    ("chainwatch.opsgenie.tags", EXPORTER, "chainwatch,chain:*,severity:critical,team:core-infra"),
    ("chainwatch.entity", EXPORTER, "all chains"),
    (
        "chainwatch.opsgenie.description",
        ONE,
        "geth-1 on ethereum/mainnet is 42 blocks behind the best reference (critical above 25 blocks for 5m).\n\n"
        f"Runbook: {RUNBOOK}\nDashboard: {DASHBOARD}\nSilence: {SILENCE_ONE}",
    ),
    (
        "chainwatch.description",
        TWO,
        "- geth-1: geth-1 on ethereum/mainnet is 42 blocks behind the best reference (critical above 25 blocks for 5m).\n"
        "- geth-2: geth-2 on ethereum/mainnet is 40 blocks behind the best reference (critical above 25 blocks for 5m).\n",
    ),
    ("chainwatch.description", RESOLVED, "Resolved: geth-1\n"),
    ("chainwatch.slack.title", WARN, "[WARNING] [ethereum] geth-1 is 12 blocks behind"),
    ("chainwatch.slack.title", RESOLVED, "[RESOLVED] [ethereum] geth-1 is 42 blocks behind"),
]


@pytest.fixture(scope="module")
def template_glob(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("templates")
    config = generated(tmp, config_text(write_secrets(tmp / "secrets")))
    return str(config.parent / "templates" / "*.tmpl"), tmp


@pytest.mark.parametrize("name,data,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_template_renders(template_glob, name, data, expected):
    glob, tmp = template_glob
    data_file = tmp / f"data-{abs(hash(json.dumps(data, sort_keys=True)))}.json"
    data_file.write_text(json.dumps(data))
    result = amtool(
        "template", "render", f"--template.glob={glob}", f'--template.text={{{{ template "{name}" . }}}}', f"--template.data={data_file}", check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected

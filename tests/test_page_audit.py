"""The page audit (rules/audit.py): one fault, at most one page; a healthy chain, none.

Run with the real promtool (Debian prometheus 2.42) on the default config (the minimal one a
new user writes, ``tests/rules/default.yaml``) and on ``examples/chainwatch.yaml``. The
audit's model of Alertmanager (inhibition as PromQL, routing as a walk of the generated route
tree) is checked against the real Alertmanager and ``amtool config routes test``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request

import pytest
import yaml

from chainwatch.alertmanager import generate as am_generate
from chainwatch.assembly import names
from chainwatch.assembly.config import load
from chainwatch.rules import audit, generate
from tests.alertmanager.support import Alertmanager
from tests.support import REPO, require_binary

DEFAULT = REPO / "tests" / "rules" / "default.yaml"
EXAMPLE = REPO / "examples" / "chainwatch.yaml"

pytestmark = pytest.mark.prometheus


def _generate(path, out):
    config = load(path, need_secrets=False)
    generate.write(config, out)
    am_generate.write(config, out)
    return config


@pytest.fixture(scope="module")
def default_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit-default")
    return _generate(DEFAULT, out), out


def _check(config, out):
    results = audit.run(out, config, promtool=require_binary("promtool"))
    text = audit.report(results)
    assert results and all(r.fired or r.healthy or r.scenario for r in results)
    bad = [r for r in results if not r.ok]
    assert not bad, text
    return results, text


def test_default_config_pages_once_per_fault(default_out):
    """One of two EVM nodes down pages once (EndpointDown), not twice (plus the availability
    burn) — the double page of issue #25 — and every other recipe pages at most once."""
    config, out = default_out
    results, text = _check(config, out)
    down = next(r for r in results if r.scenario.startswith("ChainwatchEndpointDown critical"))
    assert [a["alertname"] for a in down.delivered] == ["ChainwatchEndpointDown"], text
    assert down.notifications == {"infra-critical": 1}, text
    assert not any(a["alertname"] == "ChainwatchSLOErrorBudgetBurn" for a in down.fired), text
    healthy = [r for r in results if r.healthy]
    assert healthy and all(not r.delivered for r in healthy), text


@pytest.fixture(scope="module")
def example_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit-example")
    return _generate(EXAMPLE, out), out


# One test per audit file (a chain and its evaluation interval), so that the ~20 promtool runs
# spread over both cores. The committed generation names them (the drift test proves it fresh).
EXAMPLE_AUDITS = sorted(p.name for p in (REPO / "examples" / "generated" / "rules" / audit.AUDIT_DIR).glob("*.audit.yml"))


@pytest.mark.parametrize("name", EXAMPLE_AUDITS)
def test_example_config_pages_once_per_fault(example_out, name, tmp_path):
    config, out = example_out
    (tmp_path / "rules" / audit.AUDIT_DIR).mkdir(parents=True)
    for f in (out / "rules").glob("*.yml"):
        (tmp_path / "rules" / f.name).symlink_to(f)
    shutil.copy(out / "rules" / audit.AUDIT_DIR / name, tmp_path / "rules" / audit.AUDIT_DIR / name)
    (tmp_path / "alertmanager").symlink_to(out / "alertmanager")
    results, _ = _check(config, tmp_path)
    assert len(results) == len(yaml.safe_load((out / "rules" / audit.AUDIT_DIR / name).read_text())["tests"])


def test_every_chain_of_the_example_is_audited(example_out):
    config, out = example_out
    fresh = sorted(p.name for p in (out / "rules" / audit.AUDIT_DIR).glob("*.audit.yml"))
    assert fresh == EXAMPLE_AUDITS
    assert {re.sub(r"-\d+[sm]$", "", n.removesuffix(".audit.yml")) for n in fresh} == set(config.chains)  # per-step files: -15s, -5m


def test_the_audit_catches_a_double_page(default_out, tmp_path):
    """Not vacuous: the burn alerts as they were (no ``for:``, no guard) page a second time
    when one node of two is down, and the audit says so."""
    config, out = default_out
    (tmp_path / "rules").mkdir()
    for f in (out / "rules").glob("*.rules.yml"):
        text = f.read_text()
        if f.name.endswith("-slo.rules.yml"):
            doc = yaml.safe_load(text)
            for rule in doc["groups"][0]["rules"]:
                if rule.get("alert") == "ChainwatchSLOErrorBudgetBurn":
                    rule.pop("for")
                    rule["expr"] = rule["expr"].split(" unless on (chain)")[0]
            text = yaml.safe_dump(doc)
        (tmp_path / "rules" / f.name).write_text(text)
    (tmp_path / "rules" / audit.AUDIT_DIR).mkdir()
    source = out / "rules" / audit.AUDIT_DIR / "ethereum.audit.yml"
    doc = yaml.safe_load(source.read_text())
    doc["tests"] = [t for t in doc["tests"] if "ChainwatchEndpointDown critical" in t["name"]]
    (tmp_path / "rules" / audit.AUDIT_DIR / "ethereum.audit.yml").write_text(yaml.safe_dump(doc))
    [result] = audit.run(tmp_path, config, promtool=require_binary("promtool"))
    assert not result.ok
    assert result.pages == {"infra": 2}
    assert {a["alertname"] for a in result.delivered} >= {"ChainwatchEndpointDown", "ChainwatchSLOErrorBudgetBurn"}


def test_burn_alerts_wait_for_and_stay_quiet_after_the_explaining_page(default_out):
    config, out = default_out
    doc = yaml.safe_load((out / "rules" / "chainwatch-ethereum-slo.rules.yml").read_text())
    burns = [r for r in doc["groups"][0]["rules"] if r.get("alert") == "ChainwatchSLOErrorBudgetBurn"]
    assert len(burns) == 6
    chain = yaml.safe_load((out / "rules" / "chainwatch-ethereum.rules.yml").read_text())
    rules = chain["groups"][0]["rules"]
    longest = max(audit.seconds(r.get("for", "0s")) for r in rules if r["labels"]["severity"] == "critical" and r["alert"] in names.EXPLANATIONS)
    for rule in burns:
        assert audit.seconds(rule["for"]) > longest  # the explanation (SyncLagHigh, 5m) fires first
        assert 'alertname=~"ChainwatchChainHalted|ChainwatchEndpointDown|' in rule["expr"]
        # The longest short window (30m page, 6h ticket) plus the 5m a window derived from the
        # recorded 5m ratio still holds a burn after it ended.
        memory = "35m" if rule["labels"]["severity"] == "critical" else "6h5m"
        assert rule["expr"].endswith(f"[{memory}])")


# --------------------------------------------------------------------------- the model vs the real tools


def _alert(labels: dict[str, str]) -> dict:
    return {"labels": labels, "annotations": {"summary": "s"}, "startsAt": "2024-01-01T00:00:00Z"}


SCENE = [
    {"alertname": "ChainwatchEndpointDown", "severity": "critical", "team": "infra", "chain": "ethereum", "endpoint": "geth-1"},
    {"alertname": "ChainwatchProbeFailing", "severity": "warning", "team": "infra", "chain": "ethereum", "endpoint": "geth-1", "reason": "timeout"},
    {"alertname": "ChainwatchProbeFailing", "severity": "warning", "team": "infra", "chain": "ethereum", "endpoint": "geth-2", "reason": "timeout"},
    {"alertname": "ChainwatchSLOErrorBudgetBurn", "severity": "critical", "team": "infra", "chain": "ethereum", "slo": "availability"},
    {"alertname": "ChainwatchSLOErrorBudgetBurn", "severity": "warning", "team": "infra", "chain": "ethereum", "slo": "availability"},
    {"alertname": "ChainwatchSyncLagHigh", "severity": "warning", "team": "infra", "chain": "ethereum", "endpoint": "geth-2"},
    {"alertname": "ChainwatchSyncLagHigh", "severity": "critical", "team": "infra", "chain": "ethereum", "endpoint": "geth-2"},
    {"alertname": "ChainwatchHeadStale", "severity": "critical", "team": "infra", "chain": "ethereum", "endpoint": "geth-2"},
    {"alertname": "ChainwatchPeersLow", "severity": "warning", "team": "infra", "chain": "polygon", "endpoint": "bor-1"},
    {"alertname": "ChainwatchChainHalted", "severity": "critical", "team": "infra", "chain": "polygon"},
    {"alertname": "ChainwatchSLOErrorBudgetBurn", "severity": "critical", "team": "infra", "chain": "polygon", "slo": "freshness"},
    {"alertname": "ChainwatchSLOErrorBudgetBurn", "severity": "critical", "team": "infra", "chain": "bsc", "slo": "latency"},
]


def test_the_inhibition_model_is_alertmanagers(default_out, tmp_path):
    """The PromQL the audit uses for inhibition leaves exactly what the real Alertmanager
    leaves, on the generated config, for alerts of several inhibit rules at once."""
    _, out = default_out
    am = Alertmanager(out / "alertmanager" / "alertmanager.yml", tmp_path)
    try:
        am.post(*[_alert(labels) for labels in SCENE])
        deadline = time.time() + 10
        while True:
            with urllib.request.urlopen(f"{am.url}/api/v2/alerts?inhibited=false&silenced=false&active=true", timeout=5) as r:
                left = {json.dumps(a["labels"], sort_keys=True) for a in json.loads(r.read())}
            with urllib.request.urlopen(f"{am.url}/api/v2/alerts", timeout=5) as r:
                known = json.loads(r.read())
            if len(known) == len(SCENE) or time.time() > deadline:
                break
            time.sleep(0.2)
    finally:
        am.stop()
    assert len(known) == len(SCENE)
    # The same alerts as ALERTS series, through the audit's PromQL in promtool.
    series = [{"series": "ALERTS{" + ",".join(f'{k}="{v}"' for k, v in sorted({**a, "alertstate": "firing"}.items())) + "}", "values": "1x5"} for a in SCENE]
    doc = {
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [{"expr": audit.delivered(), "eval_time": "2m", "exp_samples": []}],
            }
        ],
    }
    (tmp_path / "t.yml").write_text(yaml.safe_dump(doc))
    proc = subprocess.run([require_binary("promtool"), "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True)
    text = proc.stdout + proc.stderr  # promtool prints failures on stderr
    got = audit._parse_got(text.split("got:", 1)[1]) if "got:" in text else []
    model = {json.dumps({k: v for k, v in s.items() if k not in ("__name__", "alertstate")}, sort_keys=True) for s in got}
    assert model == left
    assert len(left) < len(SCENE)  # something was inhibited, or the check would be vacuous


def test_the_route_walk_is_amtools(default_out):
    _, out = default_out
    config_file = out / "alertmanager" / "alertmanager.yml"
    tree = yaml.safe_load(config_file.read_text())["route"]
    amtool = require_binary("amtool")
    checked = 0
    for spec in names.ALERTS:
        for severity in spec.severities:
            for team in ("infra", "nobody"):
                labels = {"alertname": spec.name, "severity": severity, "team": team, "chain": "ethereum", "endpoint": "geth-1"}
                mine = sorted({receiver for receiver, _ in audit.route(tree, labels)})
                proc = subprocess.run(
                    [amtool, "config", "routes", "test", f"--config.file={config_file}", *(f"{k}={v}" for k, v in labels.items())],
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
                assert sorted(proc.stdout.strip().split(",")) == mine, (labels, proc.stdout, proc.stderr)
                checked += 1
                if checked > 40:
                    return

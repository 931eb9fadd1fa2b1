"""``chainwatch generate --only rules``: Prometheus rule files, their unit tests and runbooks.

Writes into ``OUT/rules/``:

- ``chainwatch-<chain>-recording.rules.yml``: the chain's records that dashboards and alerts read (the same rules for every chain);
- ``chainwatch-exporter.rules.yml``: the exporter-absent alert, one per team;
- ``chainwatch-watchdog.rules.yml``: the always-firing ChainwatchWatchdog, one per team (its heartbeat);
- ``chainwatch-providers.rules.yml``: paid providers' projected credits and cost (recording rules) and their quota and budget alerts (``provider:``);
- ``chainwatch-<chain>.rules.yml``: the chain's alerts (its own thresholds);
- ``chainwatch-<chain>-slo.rules.yml``: the chain's SLI recording rules, error budget and burn-rate alerts;
- ``tests/*.yml``: promtool unit tests for every alert and recording rule (``promtool test rules``);
- ``audit/<chain>.audit.yml``: the page audit (:mod:`chainwatch.rules.audit`): every fault recipe
  pages at most once, a healthy chain never (``promtool test rules``);

and ``OUT/runbooks/<AlertName>.md``. With ``--format prometheus-operator`` the same groups are
written as ``PrometheusRule`` custom resources (``*.prometheusrule.yaml``) instead of rule files
and tests.

The pipeline: build alerts per chain -> post-process (runbook and dashboard links and the
``value`` annotation on every alert) -> dump deterministically (sorted keys, rounded numbers, generated header).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from chainwatch.assembly import catalog
from chainwatch.assembly.config import Config
from chainwatch.core.generated import dump_yaml, write as write_file

from chainwatch.rules import alerts as alert_rules
from chainwatch.rules import audit, operator, recording, runbooks, slo, unittests, values
from chainwatch.rules.common import ALL_CHAINS, QUERIES, Alert
from chainwatch.core.accountalerts import ACCOUNT_ALERTS
from chainwatch.core.provideralerts import PROVIDER_ALERTS, records as provider_records
from chainwatch.rules.files import EXPORTER_FILE, PROVIDERS_FILE, WATCHDOG_FILE, accounts_file, chain_file, recording_file, slo_file


class RuleFile:
    def __init__(self, name: str, groups: list[dict], alerts: list[Alert], slo_chain: str | None = None):
        self.name = name
        self.groups = groups
        self.alerts = alerts
        self.slo_chain = slo_chain  # the chain whose SLOs this file holds


ACCOUNT_ALERT_NAMES = frozenset(a.name for a in ACCOUNT_ALERTS)
# The runbooks' folder in the generated output: runbook_url's base while runbook_base_url is unset.
RUNBOOKS_DIR = "runbooks"


def annotate(alert: Alert, config: Config) -> Alert:
    """The post-processing pass: every alert gets its runbook and dashboard links and its
    ``value`` annotation (the measured value with its unit, rules/values.py) here."""
    base = (config.generate.runbook_base_url or RUNBOOKS_DIR).rstrip("/")
    grafana = config.generate.grafana_url.rstrip("/")
    url = f"{grafana}/d/{alert.dashboard}"
    if alert.chain != ALL_CHAINS:
        url += f"?var-chain={quote(alert.chain)}"
    alert.annotations = {"runbook_url": f"{base}/{alert.name}.md", "dashboard_url": url}
    chain = config.chains.get(alert.chain)
    alert.value_text = values.value_text(alert, chain.kind if chain is not None else None)
    return alert


def build(config: Config) -> list[RuleFile]:
    files = [RuleFile(recording_file(name), [recording.group(config, name)], []) for name in sorted(config.chains)]
    exporter = [annotate(a, config) for a in alert_rules.exporter_absent(config)]
    files.append(RuleFile(EXPORTER_FILE, [{"name": "chainwatch-exporter", "rules": [a.rule() for a in exporter]}], exporter))
    watchdog = [annotate(a, config) for a in alert_rules.watchdog(config)]
    files.append(RuleFile(WATCHDOG_FILE, [{"name": "chainwatch-watchdog", "rules": [a.rule() for a in watchdog]}], watchdog))
    providers = [annotate(a, config) for spec in PROVIDER_ALERTS for a in spec.build(spec, config)]
    if config.providers():
        group = {"name": "chainwatch-providers", "rules": provider_records(config) + [a.rule() for a in providers]}
        files.append(RuleFile(PROVIDERS_FILE, [group], providers))
    # An alert lives in the file of the chain it is labelled with: a rollup's SequencerDown is the
    # L2 chain's, in the L2 chain's group after that chain's own alerts, so within one evaluation
    # the symptoms it inhibits (HeadStale, ChainHalted) resolve before it does.
    own: dict[str, list[Alert]] = {name: [] for name in config.chains}
    foreign: dict[str, list[Alert]] = {name: [] for name in config.chains}
    for name in sorted(config.chains):
        for a in alert_rules.chain_alerts(config, name):
            (own[name] if a.chain == name or a.chain not in own else foreign[a.chain]).append(a)
    for name in sorted(config.chains):
        chain_alerts = [annotate(a, config) for a in own[name] + foreign[name]]
        slo_group, slo_alerts = slo.group(config, name, chain_alerts)
        slo_alerts = [annotate(a, config) for a in slo_alerts]
        slo_group["rules"] += [a.rule() for a in slo_alerts]
        accounts = [a for a in chain_alerts if a.name in ACCOUNT_ALERT_NAMES]
        chain_alerts = [a for a in chain_alerts if a.name not in ACCOUNT_ALERT_NAMES]
        files.append(RuleFile(chain_file(name), [{"name": f"chainwatch-{name}-alerts", "rules": [a.rule() for a in chain_alerts]}], chain_alerts))
        if accounts:
            files.append(RuleFile(accounts_file(name), [{"name": f"chainwatch-{name}-accounts", "rules": [a.rule() for a in accounts]}], accounts))
        files.append(RuleFile(slo_file(name), [slo_group], slo_alerts, slo_chain=name))
    for f in files:  # a renamed metric breaks the build, not the rule
        for group in f.groups:
            for rule in group["rules"]:
                catalog.check_expr(rule["expr"])
    for query, _ in QUERIES.values():
        catalog.check_expr(query)
    return files


def operator_resource(rule_file: RuleFile, config: Config) -> dict:
    return operator.prometheus_rule(config, rule_file.name.removesuffix(".rules.yml"), rule_file.groups)


def _clean(directory: Path, patterns: tuple[str, ...]) -> None:
    """Remove files a previous run generated (a chain removed from the config must not linger)."""
    if not directory.is_dir():
        return
    for pattern in patterns:
        for path in directory.glob(pattern):
            if path.is_file() and path.read_text(encoding="utf-8", errors="replace").startswith("# Generated by chainwatch"):
                path.unlink()


def write(config: Config, out: Path, fmt: str = "prometheus", preview: bool = False, **_) -> list[Path]:
    out = Path(out)
    rules_dir = out / "rules"
    source = config.path
    files = build(config)
    _clean(rules_dir, ("*.rules.yml", "*.prometheusrule.yaml"))
    _clean(rules_dir / "tests", ("*.yml",))
    _clean(rules_dir / audit.AUDIT_DIR, ("*.yml",))
    written: list[Path] = []
    if fmt == "prometheus-operator":
        for f in files:
            target = rules_dir / (f.name.removesuffix(".rules.yml") + ".prometheusrule.yaml")
            written.append(write_file(target, dump_yaml(operator_resource(f, config), source)))
        written.append(write_file(out / "operator" / "probe.yaml", dump_yaml(operator.probe(config), source)))
        written.append(write_file(out / "operator" / "servicemonitor.yaml", dump_yaml(operator.service_monitor(config), source)))
    else:
        for f in files:
            written.append(write_file(rules_dir / f.name, dump_yaml({"groups": f.groups}, source)))
        for name, body in unittests.test_files(config, files):
            written.append(write_file(rules_dir / "tests" / name, dump_yaml(body, source)))
        for name, body in audit.test_files(config, files):
            written.append(write_file(rules_dir / audit.AUDIT_DIR / name, dump_yaml(body, source)))
    written += runbooks.write(config, out / RUNBOOKS_DIR, [a for f in files for a in f.alerts])
    return written

"""Names shared by the rules, Alertmanager and dashboards generators, derived from the
alert declarations.

Every alert is declared once (:class:`~chainwatch.core.alertkit.AlertSpec`): the shared ones in
:mod:`chainwatch.core.alerts`, each kind's own in its package (``kinds/<kind>/alerts.py``).
This module assembles them in one order (exporter, shared, each kind's, SLO) and resolves
which chain kinds each applies to. Alertmanager inhibitions match on alert names and labels,
dashboards query recording rules: a renamed alert breaks the build of every generator that
referred to it.

``scope`` says which labels identify one firing instance, which is what inhibitions
and ``group_by`` rely on:
- ``endpoint``: chain, network, endpoint, role (one probed URL)
- ``chain``: chain, network (chain-wide; pages once per chain)
- ``group``: chain, network, group (a validator group)
- ``exporter``: the chainwatch exporter itself (job, instance)
Every alert also carries ``severity`` and ``team`` labels.
"""

from __future__ import annotations

from dataclasses import replace

from chainwatch import kinds as registry
from chainwatch.assembly import catalog
from chainwatch.core import alerts as shared
from chainwatch.core import alertkit
from chainwatch.core.provideralerts import PROVIDER_ALERTS, RECORDS as PROVIDER_RECORDS
from chainwatch.core.alertkit import AlertSpec  # noqa: F401 (the record type, for callers)


def _resolve(alert: AlertSpec, kind=None) -> AlertSpec:
    if kind is not None:
        return replace(alert, kinds=(kind.name,), package=kind.package)
    return replace(alert, kinds=tuple(k.name for k in registry.all_kinds() if not alert.needs or alert.needs in k.capabilities))


ALERTS: tuple[AlertSpec, ...] = (
    (_resolve(shared.EXPORTER_ABSENT), _resolve(shared.WATCHDOG))
    + tuple(_resolve(a) for a in shared.SHARED)
    + tuple(_resolve(a, k) for k in registry.all_kinds() for a in k.alert_specs())
    + (_resolve(shared.SLO_BURN),)
    + tuple(_resolve(a) for a in PROVIDER_ALERTS)
)

ALERT_BY_NAME = {a.name: a for a in ALERTS}
ALERT_NAMES = tuple(a.name for a in ALERTS)
if len(ALERT_BY_NAME) != len(ALERTS):
    raise ValueError("two alert declarations share a name: " + ", ".join(sorted({a.name for a in ALERTS if sum(b.name == a.name for b in ALERTS) > 1})))

# Always firing, routed to each team's heartbeat (alertmanager/generate.py); never inhibited.
WATCHDOG = shared.WATCHDOG.name
# Chain-wide incidents that make per-endpoint symptoms noise (inhibit them on the same chain).
CHAIN_WIDE = tuple(a.name for a in ALERTS if a.chain_wide)
# Per-endpoint symptoms of a chain-wide incident or of the endpoint being down.
ENDPOINT_SYMPTOMS = tuple(a.name for a in ALERTS if a.symptom)
# Alerts that say an endpoint is down because the node serving it is (alertkit.HOSTED).
HOST_FAULTS = tuple(a.name for a in ALERTS if a.host_fault)
# Pages that explain the SLO burn of their chain (their critical variant; AlertSpec.explains_burn).
EXPLANATIONS = tuple(a.name for a in ALERTS if a.explains_burn)


def explanations(alerts, chain: str) -> list:
    """The built alerts (:class:`~chainwatch.core.alertkit.Alert`) among ``alerts`` that explain
    ``chain``'s SLO burn: the critical variants of :data:`EXPLANATIONS` labelled with the chain."""
    return [a for a in alerts if a.name in EXPLANATIONS and a.severity == "critical" and a.chain == chain]


def for_kind(kind: str) -> tuple[AlertSpec, ...]:
    """The alerts a chain of ``kind`` gets, in rule order (the SLO burn alert is built apart)."""
    apart = (shared.EXPORTER_ABSENT.name, shared.WATCHDOG.name, shared.SLO_BURN.name, *(a.name for a in PROVIDER_ALERTS))
    return tuple(a for a in ALERTS if kind in a.kinds and a.name not in apart)


# Recording rules the dashboards, alerts and SLOs rely on (level:metric:operations).
RECORDING = (
    "chain:chainwatch_probe_success:ratio_rate5m",
    "chain:chainwatch_probe_success:avg",
    "endpoint:chainwatch_rpc_request_duration_seconds:p95_5m",
    "endpoint:chainwatch_rpc_errors:ratio_rate5m",
    # the short windows of the multi-window alerts (core/alerts.py SHORT)
    "endpoint:chainwatch_rpc_request_duration_seconds:p95_1m",
    "endpoint:chainwatch_rpc_errors:ratio_rate1m",
    "group:chainwatch_validator_attestations_missed:ratio_rate1h",
    # operational accounts (accounts:): spend rate over the chain's account_spend_window, runway
    "account:chainwatch_account_spent:rate",
    "account:chainwatch_account_runway:seconds",
    # an Avalanche L1 validator's balance in the account schema (kinds/avalanche/alerts.py account_records)
    "account:chainwatch_avalanche_l1_validator_balance_avax:max",
    # SLI / error budget per chain, one per slo (availability | latency | freshness) and window
    "chain_slo:sli_error:ratio_rate5m",
    "chain_slo:sli_error:ratio_rate30m",
    "chain_slo:sli_error:ratio_rate1h",
    "chain_slo:sli_error:ratio_rate2h",
    "chain_slo:sli_error:ratio_rate6h",
    "chain_slo:sli_error:ratio_rate1d",
    "chain_slo:sli_error:ratio_rate3d",
    "chain_slo:sli_error:ratio_rate30d",
    "chain_slo:sli_error:ratio_rate28d",  # when a chain's slo.window is 28d
    "chain_slo:sli_error:ratio_rate7d",  # when a chain's slo.window is 7d
    "chain_slo:error_budget_remaining:ratio",
    "chain_slo:objective:ratio",
    # 1 while an endpoint's lag exceeds the chain's freshness SLO threshold (input of the freshness SLI)
    "endpoint_slo:freshness_error:bool",
    # provider cost (pricing:): the credits and the dollars the billing period will end with, the
    # plan's quota and budget, and when the quota runs out
    *PROVIDER_RECORDS,
)


# --------------------------------------------------------------------------- inhibitions


def _alternatives(alternatives) -> str:
    return "|".join(alternatives)


def _matcher(names_: list[str] | tuple[str, ...]) -> str:
    return f'alertname="{names_[0]}"' if len(names_) == 1 else f'alertname=~"{_alternatives(names_)}"'


def kinds_of(config) -> frozenset[str]:
    """The chain kinds a config (``assembly.config.Config``) has chains of."""
    return frozenset(chain.kind for chain in config.chains.values())


# Built apart from the chains' alerts (rules/generate.py): there for every config of their kinds.
_APART = (shared.EXPORTER_ABSENT.name, shared.WATCHDOG.name, shared.SLO_BURN.name, *(a.name for a in PROVIDER_ALERTS))


def alerts_of(config) -> frozenset[str]:
    """The names of the alerts a config's rules hold: what each chain's declarations build for it
    (a chain of a kind that could fire an alert may still have none: the account alerts of a
    chain without ``accounts:``, the upgrade alert without ``upgrades:``), and the ones built apart."""
    found = {a.name for a in ALERTS if a.name in _APART and set(a.kinds) & kinds_of(config)}
    for name, chain in config.chains.items():
        c = alertkit.Ctx(config, name, registry.get(chain.kind), catalog.METRICS)
        found.update(spec.name for spec in for_kind(chain.kind) if spec.name not in found and alertkit.build(spec, c))
    return frozenset(found)


def inhibit_rules(config=None) -> list[dict]:
    """Derived from the declarations: every alert says which inhibitions silence it
    (``AlertSpec.inhibited_by``); one rule per inhibition, its targets in declaration order.
    The common ones (a halted chain, a down endpoint) come first, then alert-to-alert ones.

    ``config`` (``assembly.config.Config``): only the alerts its rules hold are named
    (:func:`alerts_of`), so a kind or a feature the config does not use changes nothing and no
    rule inhibits with or targets an alert that cannot fire; None: every alert."""
    in_use = None if config is None else alerts_of(config)
    used = [a for a in ALERTS if in_use is None or a.name in in_use]
    names_used = {a.name for a in used}
    targets: dict[alertkit.Inhibition, list[str]] = {i: [] for i in alertkit.COMMON_INHIBITIONS}
    for alert in used:
        for inhibition in alert.inhibited_by:
            targets.setdefault(inhibition, []).append(alert.name)
    chain_wide = [n for n in CHAIN_WIDE if n in names_used]
    explaining = [n for n in EXPLANATIONS if n in names_used]
    host_faults = [n for n in HOST_FAULTS if n in names_used]
    # The watchdog is no target of any inhibition: it must reach the heartbeat whatever else fires.
    # Every alert the config's kinds can fire, built for this config or not (the two that do not
    # come from the exporter's series aside): a dead exporter must silence whatever it fed.
    kinds_used = None if config is None else kinds_of(config)
    fed = [
        a.name
        for a in ALERTS
        if a.name not in ("ChainwatchExporterAbsent", WATCHDOG) and (kinds_used is None or a.name in names_used or set(a.kinds) & kinds_used)
    ]
    rules = []
    for inhibition, alerts in targets.items():
        if not alerts:
            continue
        sources = {alertkit.CHAIN_WIDE: chain_wide, alertkit.EXPLANATION: explaining, alertkit.HOST_FAULT: host_faults}
        if inhibition.source in sources and not sources[inhibition.source]:
            continue  # no alert of the config's kinds is its source
        if inhibition.source == alertkit.CHAIN_WIDE:
            source = f'alertname=~"{_alternatives(chain_wide)}"'
        elif inhibition.source == alertkit.HOST_FAULT:
            source = f'alertname=~"{_alternatives(host_faults)}"'
        elif inhibition.source == alertkit.EXPLANATION:
            rules.append(
                {
                    "source_matchers": [f'alertname=~"{_alternatives(explaining)}"', 'severity="critical"'],
                    "target_matchers": [_matcher(alerts)],
                    "equal": list(inhibition.equal),
                }
            )
            continue
        elif inhibition.source in ALERT_BY_NAME:
            if inhibition.source not in names_used:
                continue  # no chain of the config's kinds can fire the source (a rollup's sequencer)
            source = f'alertname="{inhibition.source}"'
        else:  # an alert was renamed: fail the build, not the inhibition
            raise RuntimeError(f"{', '.join(alerts)}: inhibited by {inhibition.source}, which no declaration has")
        target = [_matcher(alerts), *([f'severity="{inhibition.severity}"'] if inhibition.severity else [])]
        rules.append({"source_matchers": [source], "target_matchers": target, "equal": list(inhibition.equal)})
    return rules + [
        {
            # The critical variant of an alert silences its warning variant for the same thing.
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["alertname", "chain", "endpoint", "group", "slo", "account"],
        },
        {
            # Without the exporter every probe fails: page for the exporter, not for each symptom.
            "source_matchers": ['alertname="ChainwatchExporterAbsent"'],
            "target_matchers": [f'alertname=~"{_alternatives(fed)}"'],
        },
    ]

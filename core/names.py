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
from chainwatch.core import alerts as shared
from chainwatch.core.alertkit import AlertSpec  # noqa: F401 (the record type, for callers)


def _resolve(alert: AlertSpec, kind=None) -> AlertSpec:
    if kind is not None:
        return replace(alert, kinds=(kind.name,), package=kind.package)
    return replace(alert, kinds=tuple(k.name for k in registry.all_kinds() if not alert.needs or alert.needs in k.capabilities))


ALERTS: tuple[AlertSpec, ...] = (
    (_resolve(shared.EXPORTER_ABSENT),)
    + tuple(_resolve(a) for a in shared.SHARED)
    + tuple(_resolve(a, k) for k in registry.all_kinds() for a in k.alert_specs())
    + (_resolve(shared.SLO_BURN),)
)

ALERT_BY_NAME = {a.name: a for a in ALERTS}
if len(ALERT_BY_NAME) != len(ALERTS):
    raise ValueError("two alert declarations share a name: " + ", ".join(sorted({a.name for a in ALERTS if sum(b.name == a.name for b in ALERTS) > 1})))

# Chain-wide incidents that make per-endpoint symptoms noise (inhibit them on the same chain).
CHAIN_WIDE = tuple(a.name for a in ALERTS if a.chain_wide)
# Per-endpoint symptoms of a chain-wide incident or of the endpoint being down.
ENDPOINT_SYMPTOMS = tuple(a.name for a in ALERTS if a.symptom)


def for_kind(kind: str) -> tuple[AlertSpec, ...]:
    """The alerts a chain of ``kind`` gets, in rule order (the SLO burn alert is built apart)."""
    apart = (shared.EXPORTER_ABSENT.name, shared.SLO_BURN.name)
    return tuple(a for a in ALERTS if kind in a.kinds and a.name not in apart)


# Recording rules the dashboards, alerts and SLOs rely on (level:metric:operations).
RECORDING = (
    "chain:chainwatch_probe_success:ratio_rate5m",
    "chain:chainwatch_probe_success:avg",
    "endpoint:chainwatch_rpc_request_duration_seconds:p50_5m",
    "endpoint:chainwatch_rpc_request_duration_seconds:p95_5m",
    "endpoint:chainwatch_rpc_request_duration_seconds:p99_5m",
    "endpoint:chainwatch_rpc_errors:ratio_rate5m",
    # the short windows of the multi-window alerts (core/alerts.py SHORT)
    "endpoint:chainwatch_rpc_request_duration_seconds:p95_1m",
    "endpoint:chainwatch_rpc_errors:ratio_rate1m",
    "group:chainwatch_validator_attestations_missed:ratio_rate1h",
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
)

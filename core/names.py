"""Names shared by the rules, Alertmanager and dashboards generators.

Alert names and recording-rule names are a contract: Alertmanager inhibitions match on
alert names and labels, dashboards query recording rules. Declaring them here once means
a renamed alert breaks the build of every generator that referred to it.

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
from chainwatch.core.declarations import AlertName

# Alerts every chain kind shares (or every kind with the capability in ``needs``); each
# kind's own alerts are in its package (``KIND.alerts``).
SHARED: tuple[AlertName, ...] = (
    AlertName("ChainwatchExporterAbsent", "exporter", ("critical",)),
    AlertName("ChainwatchEndpointDown", "endpoint", ("critical",)),
    AlertName("ChainwatchProbeFailing", "endpoint", ("warning",)),  # labelled by reason
    AlertName("ChainwatchWrongChain", "endpoint", ("critical",)),
    AlertName("ChainwatchSyncLagHigh", "endpoint", ("warning", "critical"), symptom=True),
    AlertName("ChainwatchSyncLagSecondsHigh", "endpoint", ("warning", "critical"), symptom=True),
    AlertName("ChainwatchHeadStale", "endpoint", ("critical",), symptom=True),
    AlertName("ChainwatchPeersLow", "endpoint", ("warning",), needs="peers", symptom=True),
    AlertName("ChainwatchMempoolHigh", "endpoint", ("warning",), needs="mempool", symptom=True),
    AlertName("ChainwatchMempoolNotMined", "endpoint", ("warning",), needs="mempool", symptom=True),
    AlertName("ChainwatchRpcLatencyHigh", "endpoint", ("warning",)),
    AlertName("ChainwatchRpcErrorRatioHigh", "endpoint", ("warning",)),
    AlertName("ChainwatchTLSCertExpiringSoon", "endpoint", ("warning", "critical")),
    AlertName("ChainwatchStreamQuiet", "endpoint", ("warning",), needs="stream"),
    AlertName("ChainwatchStreamBehind", "endpoint", ("warning",), needs="stream"),
    AlertName("ChainwatchReferenceQuorumLost", "chain", ("warning",)),
    AlertName("ChainwatchChainHalted", "chain", ("critical",), needs="reference_halt", chain_wide=True),
)
# The SLO burn alerts summarise every chain's endpoints; they come after every kind's own.
SLO: tuple[AlertName, ...] = (AlertName("ChainwatchSLOErrorBudgetBurn", "chain", ("critical", "warning")),)  # labelled by slo


def _resolve(alert: AlertName, kind: str | None) -> AlertName:
    if kind is not None:
        return replace(alert, kinds=(kind,))
    return replace(alert, kinds=tuple(k.name for k in registry.all_kinds() if not alert.needs or alert.needs in k.capabilities))


ALERTS: tuple[AlertName, ...] = (
    tuple(_resolve(a, None) for a in SHARED)
    + tuple(_resolve(a, k.name) for k in registry.all_kinds() for a in k.alerts)
    + tuple(_resolve(a, None) for a in SLO)
)

ALERT_BY_NAME = {a.name: a for a in ALERTS}

# Chain-wide incidents that make per-endpoint symptoms noise (inhibit them on the same chain).
CHAIN_WIDE = tuple(a.name for a in ALERTS if a.chain_wide)
# Per-endpoint symptoms of a chain-wide incident or of the endpoint being down.
ENDPOINT_SYMPTOMS = tuple(a.name for a in ALERTS if a.symptom)

# Recording rules the dashboards rely on (level:metric:operations).
RECORDING = (
    "chain:chainwatch_sync_lag_blocks:max",
    "chain:chainwatch_sync_lag_seconds:max",
    "chain:chainwatch_head_age_seconds:min",
    "chain:chainwatch_probe_success:ratio_rate5m",
    "chain:chainwatch_probe_success:avg",
    "endpoint:chainwatch_rpc_request_duration_seconds:p50_5m",
    "endpoint:chainwatch_rpc_request_duration_seconds:p95_5m",
    "endpoint:chainwatch_rpc_request_duration_seconds:p99_5m",
    "endpoint:chainwatch_rpc_errors:ratio_rate5m",
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

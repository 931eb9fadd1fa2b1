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

from dataclasses import dataclass


@dataclass(frozen=True)
class AlertName:
    name: str
    scope: str
    kinds: tuple[str, ...]  # chain kinds it applies to
    severities: tuple[str, ...]  # severities it can fire with (several = warning and critical variants)


ALL = ("evm", "beacon", "solana")

ALERTS: tuple[AlertName, ...] = (
    AlertName("ChainwatchExporterAbsent", "exporter", ALL, ("critical",)),
    AlertName("ChainwatchEndpointDown", "endpoint", ALL, ("critical",)),
    AlertName("ChainwatchProbeFailing", "endpoint", ALL, ("warning",)),  # labelled by reason
    AlertName("ChainwatchWrongChain", "endpoint", ALL, ("critical",)),
    AlertName("ChainwatchSyncLagHigh", "endpoint", ALL, ("warning", "critical")),
    AlertName("ChainwatchSyncLagSecondsHigh", "endpoint", ALL, ("warning", "critical")),
    AlertName("ChainwatchHeadStale", "endpoint", ALL, ("critical",)),
    AlertName("ChainwatchPeersLow", "endpoint", ("evm", "beacon"), ("warning",)),
    AlertName("ChainwatchMempoolHigh", "endpoint", ("evm",), ("warning",)),
    AlertName("ChainwatchMempoolNotMined", "endpoint", ("evm",), ("warning",)),
    AlertName("ChainwatchRpcLatencyHigh", "endpoint", ALL, ("warning",)),
    AlertName("ChainwatchRpcErrorRatioHigh", "endpoint", ALL, ("warning",)),
    AlertName("ChainwatchReferenceQuorumLost", "chain", ALL, ("warning",)),
    AlertName("ChainwatchChainHalted", "chain", ("evm", "beacon"), ("critical",)),
    AlertName("ChainwatchFinalityStalled", "chain", ("beacon",), ("critical",)),
    AlertName("ChainwatchAttestationsMissed", "group", ("beacon",), ("critical",)),  # consecutive misses
    AlertName("ChainwatchAttestationMissRatioHigh", "group", ("beacon",), ("warning",)),
    AlertName("ChainwatchProposalMissed", "group", ("beacon",), ("warning",)),
    AlertName("ChainwatchValidatorSlashed", "group", ("beacon",), ("critical",)),
    AlertName("ChainwatchValidatorExited", "group", ("beacon",), ("warning",)),
    AlertName("ChainwatchValidatorMonitorStuck", "chain", ("beacon",), ("warning",)),
    AlertName("ChainwatchSolanaNodeBehind", "endpoint", ("solana",), ("warning",)),
    AlertName("ChainwatchSolanaVoteDelinquent", "group", ("solana",), ("critical",)),
    AlertName("ChainwatchSolanaSkipRateHigh", "group", ("solana",), ("warning",)),
    AlertName("ChainwatchSolanaClusterHalted", "chain", ("solana",), ("critical",)),
    AlertName("ChainwatchSLOErrorBudgetBurn", "chain", ALL, ("critical", "warning")),  # labelled by slo
)

ALERT_BY_NAME = {a.name: a for a in ALERTS}

# Chain-wide incidents that make per-endpoint symptoms noise (inhibit them on the same chain).
CHAIN_WIDE = ("ChainwatchChainHalted", "ChainwatchFinalityStalled", "ChainwatchSolanaClusterHalted")
# Per-endpoint symptoms of a chain-wide incident or of the endpoint being down.
ENDPOINT_SYMPTOMS = (
    "ChainwatchSyncLagHigh",
    "ChainwatchSyncLagSecondsHigh",
    "ChainwatchHeadStale",
    "ChainwatchPeersLow",
    "ChainwatchMempoolHigh",
    "ChainwatchMempoolNotMined",
    "ChainwatchSolanaNodeBehind",
)

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

"""Every metric chainwatch exports, declared once.

Exporters build their metric families from these entries, the rules and dashboards
generators reference metrics only through them, and ``docs/metrics.md`` is generated
from them — so renaming a metric here breaks the build of every alert that used it,
instead of silently breaking the alert.

Scopes decide the identifying labels every sample carries:

- ``endpoint``: ``chain, network, endpoint, role`` — one probed URL, labelled by its
  configured name (never its URL, which may carry an API key);
- ``chain``: ``chain, network`` — chain-wide facts such as the reference head;
- ``group``: ``chain, network, group`` — validator groups the user named;
- ``validator``: ``chain, network, group, validator`` — opt-in, capped per chain;
- ``exporter``: no identifying labels — the exporter's own health.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily


class Type(StrEnum):
    GAUGE = "gauge"
    COUNTER = "counter"
    HISTOGRAM = "histogram"


SCOPE_LABELS = {
    "endpoint": ("chain", "network", "endpoint", "role"),
    "chain": ("chain", "network"),
    "group": ("chain", "network", "group"),
    "validator": ("chain", "network", "group", "validator"),
    "exporter": (),
}

ALL_KINDS = ("evm", "beacon", "solana")

# Failure reasons are a closed set so that `reason` stays a bounded label.
FAILURE_REASONS = (
    "timeout",
    "connect",
    "tls",
    "http_status",
    "rate_limited",
    "invalid_json",
    "invalid_response",
    "rpc_error",
    "wrong_chain",
    "response_too_large",
)

# The request whose round trip stands for "the endpoint's latency" per chain kind (latency
# SLO, RPC latency alert, dashboards): the JSON-RPC batch, or the beacon node's
# /eth/v1/node/syncing read, the one request a beacon probe cannot do without.
PRIMARY_METHOD = {"evm": "batch", "solana": "batch", "beacon": "syncing"}

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Metric:
    name: str
    type: Type
    unit: str  # base unit, or "" for counts/ratios/booleans
    help: str
    scope: str
    labels: tuple[str, ...] = ()  # extra labels beyond the scope's
    kinds: tuple[str, ...] = ALL_KINDS  # chain kinds that export it
    example: str = ""  # one exposition line, for the docs

    @property
    def all_labels(self) -> tuple[str, ...]:
        return SCOPE_LABELS[self.scope] + self.labels

    @property
    def series_names(self) -> tuple[str, ...]:
        """Names that appear in PromQL (histograms expose _bucket/_sum/_count)."""
        if self.type is Type.HISTOGRAM:
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        if self.type is Type.COUNTER:
            return (self.name,)
        return (self.name,)

    def family(self):
        """A fresh, empty metric family with the catalog's name, help and labels."""
        labels = list(self.all_labels)
        base = self.name.removesuffix("_total") if self.type is Type.COUNTER else self.name
        if self.type is Type.GAUGE:
            return GaugeMetricFamily(base, self.help, labels=labels)
        if self.type is Type.COUNTER:
            return CounterMetricFamily(base, self.help, labels=labels)
        return HistogramMetricFamily(base, self.help, labels=labels)


def _m(name, type_, unit, help_, scope="endpoint", labels=(), kinds=ALL_KINDS, example=""):
    return Metric(name, Type(type_), unit, help_, scope, tuple(labels), tuple(kinds), example)


G, C, H = "gauge", "counter", "histogram"
EVM, BEACON, SOLANA = ("evm",), ("beacon",), ("solana",)

METRICS: tuple[Metric, ...] = (
    # ----------------------------------------------------------------- probe outcome
    _m("chainwatch_probe_success", G, "", "1 if the last probe of the endpoint succeeded, 0 if it failed.",
       example='chainwatch_probe_success{chain="ethereum",endpoint="geth-1",network="mainnet",role="node"} 1'),
    _m("chainwatch_probe_duration_seconds", G, "seconds", "Wall time of the last probe of the endpoint."),
    _m("chainwatch_probe_failure_reason", G, "", "1 for the reason the last probe failed, 0 for every other reason (all reasons always present).",
       labels=("reason",), example='chainwatch_probe_failure_reason{...,reason="timeout"} 1'),
    _m("chainwatch_probes_total", C, "", "Probes of the endpoint since the exporter started."),
    _m("chainwatch_probe_failures_total", C, "", "Failed probes of the endpoint by reason since the exporter started.", labels=("reason",)),
    _m("chainwatch_probe_deadline_exceeded_total", C, "", "Scrapes that reported this endpoint as timed out because the scrape deadline ran out."),
    # ----------------------------------------------------------------- RPC
    _m("chainwatch_rpc_request_duration_seconds", H, "seconds",
       "Round trip of RPC requests to the endpoint; method=batch is the probe's batched request, others are individually timed calls.",
       labels=("method",)),
    _m("chainwatch_rpc_last_request_duration_seconds", G, "seconds", "Round trip of the last RPC request to the endpoint.", labels=("method",)),
    _m("chainwatch_rpc_requests_total", C, "", "HTTP requests sent to the endpoint (one batch counts once).", labels=("method",)),
    _m("chainwatch_rpc_errors_total", C, "", "Requests to the endpoint that failed (transport, HTTP status or JSON-RPC error).", labels=("method",)),
    # ----------------------------------------------------------------- head and sync
    _m("chainwatch_head_height", G, "", "Latest block number (EVM), head slot (beacon) or confirmed slot (Solana) of the endpoint."),
    _m("chainwatch_head_age_seconds", G, "seconds", "Seconds since the endpoint's head block was produced (from its timestamp, or slot time for beacon/Solana)."),
    _m("chainwatch_sync_lag_blocks", G, "", "Blocks (slots) the endpoint is behind the median head of the chain's reachable references; 0 when ahead."),
    _m("chainwatch_sync_lag_seconds", G, "seconds", "Seconds the endpoint's head is behind the references' head, from block timestamps."),
    _m("chainwatch_syncing", G, "", "1 if the endpoint reports itself syncing (eth_syncing / is_syncing / getHealth behind)."),
    _m("chainwatch_peers", G, "", "Connected peers reported by the endpoint (absent when the node does not expose it).", kinds=("evm", "beacon")),
    _m("chainwatch_mempool_transactions", G, "", "Transactions in the node's mempool by state (absent when txpool_status is unsupported). Solana has no public mempool.",
       labels=("state",), kinds=EVM),
    _m("chainwatch_chain_id", G, "", "Chain id the endpoint reports (eth_chainId).", kinds=EVM),
    _m("chainwatch_gas_price_wei", G, "wei", "eth_gasPrice of the endpoint.", kinds=EVM),
    _m("chainwatch_base_fee_wei", G, "wei", "Base fee per gas of the endpoint's head block (EIP-1559 chains).", kinds=EVM),
    _m("chainwatch_node_info", G, "", "Client version reported by the endpoint; value is always 1.", labels=("client_version",)),
    # ----------------------------------------------------------------- chain-wide (references)
    _m("chainwatch_reference_head_height", G, "", "Median head of the chain's reachable reference endpoints.", scope="chain"),
    _m("chainwatch_references_configured", G, "", "Reference endpoints configured for the chain.", scope="chain"),
    _m("chainwatch_references_reachable", G, "", "Reference endpoints that answered the last round.", scope="chain"),
    _m("chainwatch_references_agreeing", G, "", "Reachable references within tolerance of the median reference head.", scope="chain"),
    _m("chainwatch_reference_head_stall_seconds", G, "seconds",
       "Seconds since any reference's head last advanced, i.e. how long every reference has been stuck — a chain-wide halt, not one node lagging.", scope="chain"),
    # ----------------------------------------------------------------- beacon node
    _m("chainwatch_beacon_sync_distance_slots", G, "", "sync_distance the beacon node reports.", kinds=BEACON),
    _m("chainwatch_beacon_optimistic", G, "", "1 if the beacon node's head is optimistic (execution payload not verified).", kinds=BEACON),
    _m("chainwatch_beacon_el_offline", G, "", "1 if the beacon node reports its execution client offline (absent on clients without el_offline).", kinds=BEACON),
    _m("chainwatch_beacon_health_status_code", G, "", "HTTP status of /eth/v1/node/health (200 ready, 206 syncing, 503 not initialized).", kinds=BEACON),
    _m("chainwatch_beacon_peers", G, "", "Beacon node peers by connection state (/eth/v1/node/peer_count).", labels=("state",), kinds=BEACON),
    _m("chainwatch_beacon_connected_peers", G, "", "Connected beacon node peers by direction.", labels=("direction",), kinds=BEACON),
    _m("chainwatch_beacon_finalized_epoch", G, "", "Finalized checkpoint epoch at the node's head.", kinds=BEACON),
    _m("chainwatch_beacon_epochs_since_finalized", G, "", "Epochs between the wall-clock epoch and the finalized checkpoint (2 is normal).", kinds=BEACON),
    _m("chainwatch_beacon_epochs_since_justified", G, "", "Epochs between the wall-clock epoch and the current justified checkpoint.", kinds=BEACON),
    # ----------------------------------------------------------------- beacon validators (per group)
    _m("chainwatch_validator_attestations_checked_total", C, "", "Validator-epochs checked for an attestation (active validators only).", scope="group", kinds=BEACON),
    _m("chainwatch_validator_attestations_missed_total", C, "", "Validator-epochs with no attestation seen (liveness is_live=false).", scope="group", kinds=BEACON),
    _m("chainwatch_validator_consecutive_missed_attestations", G, "", "Longest current run of consecutive missed attestations among the group's validators.", scope="group", kinds=BEACON),
    _m("chainwatch_validator_proposals_total", C, "", "Block proposals assigned to the group's validators.", scope="group", kinds=BEACON),
    _m("chainwatch_validator_proposals_missed_total", C, "", "Assigned proposals with no block at the slot.", scope="group", kinds=BEACON),
    _m("chainwatch_validators", G, "", "Watched validators by beacon status.", scope="group", labels=("status",), kinds=BEACON),
    _m("chainwatch_validator_effective_balance_wei", G, "wei", "Sum of the group's effective balances.", scope="group", kinds=BEACON),
    _m("chainwatch_validator_monitor_last_epoch", G, "", "Last epoch the validator monitor processed.", scope="chain", kinds=BEACON),
    _m("chainwatch_validator_monitor_last_success_timestamp_seconds", G, "seconds", "Unix time the validator monitor last processed an epoch (beacon) or a vote-account cycle (Solana).", scope="chain", kinds=("beacon", "solana")),
    _m("chainwatch_validator_monitor_epochs_skipped_total", C, "", "Epochs the monitor could no longer query (too old) and did not count.", scope="chain", kinds=BEACON),
    _m("chainwatch_validator_missed_attestations_consecutive", G, "", "Consecutive missed attestations of one validator (opt-in, capped).", scope="validator", kinds=BEACON),
    _m("chainwatch_validator_status", G, "", "1 for the validator's current beacon status (opt-in, capped).", scope="validator", labels=("status",), kinds=BEACON),
    # ----------------------------------------------------------------- solana node
    _m("chainwatch_solana_slot", G, "", "Slot of the endpoint at each commitment level.", labels=("commitment",), kinds=SOLANA),
    _m("chainwatch_solana_block_height", G, "", "getBlockHeight of the endpoint.", kinds=SOLANA),
    _m("chainwatch_solana_health_behind_slots", G, "", "Slots behind the cluster the node itself reports in getHealth (0 when healthy).", kinds=SOLANA),
    _m("chainwatch_solana_epoch", G, "", "Current epoch (getEpochInfo).", kinds=SOLANA),
    _m("chainwatch_solana_epoch_progress_ratio", G, "", "slotIndex / slotsInEpoch of the current epoch.", kinds=SOLANA),
    _m("chainwatch_solana_transactions_per_second", G, "", "Transactions per second over the latest performance sample.", kinds=SOLANA),
    _m("chainwatch_solana_slots_per_second", G, "", "Slots per second over the latest performance sample.", kinds=SOLANA),
    # ----------------------------------------------------------------- solana validators (per group, capped per validator)
    _m("chainwatch_solana_validators", G, "", "Watched vote accounts found in getVoteAccounts.", scope="group", kinds=SOLANA),
    _m("chainwatch_solana_validators_delinquent", G, "", "Watched vote accounts that are delinquent.", scope="group", kinds=SOLANA),
    _m("chainwatch_solana_vote_lag_slots", G, "", "Largest lag of a watched vote account's last vote behind the cluster's highest vote.", scope="group", kinds=SOLANA),
    _m("chainwatch_solana_root_lag_slots", G, "", "Largest lag of a watched vote account's root slot behind the cluster's highest root.", scope="group", kinds=SOLANA),
    _m("chainwatch_solana_activated_stake_lamports", G, "lamports", "Activated stake of the group's vote accounts.", scope="group", kinds=SOLANA),
    _m("chainwatch_solana_leader_slots", G, "", "Leader slots of the group's identities so far in the current epoch.", scope="group", kinds=SOLANA),
    _m("chainwatch_solana_blocks_produced", G, "", "Blocks the group's identities produced so far in the current epoch.", scope="group", kinds=SOLANA),
    _m("chainwatch_solana_skip_ratio", G, "", "1 - blocks produced / leader slots over the current epoch (0 when no leader slot yet).", scope="group", kinds=SOLANA),
    _m("chainwatch_solana_validator_delinquent", G, "", "1 if the vote account is delinquent (per validator, capped).", scope="validator", kinds=SOLANA),
    _m("chainwatch_solana_validator_vote_lag_slots", G, "", "Lag of the vote account's last vote (per validator, capped).", scope="validator", kinds=SOLANA),
    _m("chainwatch_solana_validator_skip_ratio", G, "", "Skip ratio of the identity this epoch (per validator, capped).", scope="validator", kinds=SOLANA),
    _m("chainwatch_solana_validator_commission_ratio", G, "", "Commission of the vote account as a ratio (per validator, capped).", scope="validator", kinds=SOLANA),
    _m("chainwatch_solana_validator_epoch_credits", G, "", "Vote credits earned in the current epoch (per validator, capped).", scope="validator", kinds=SOLANA),
    # ----------------------------------------------------------------- exporter
    _m("chainwatch_build_info", G, "", "Version of the running exporter; value is always 1.", scope="exporter", labels=("version",)),
    _m("chainwatch_config_last_reload_successful", G, "", "1 if the last config (re)load succeeded.", scope="exporter"),
    _m("chainwatch_config_last_reload_success_timestamp_seconds", G, "seconds", "Unix time of the last successful config load.", scope="exporter"),
    _m("chainwatch_scrape_duration_seconds", G, "seconds", "Wall time the exporter spent producing the previous /metrics answer.", scope="exporter"),
    _m("chainwatch_endpoints_configured", G, "", "Endpoints in the loaded config.", scope="exporter"),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}


def get(name: str) -> Metric:
    return BY_NAME[name]


def series_names() -> set[str]:
    """Every series name a PromQL expression may reference."""
    return {s for m in METRICS for s in m.series_names}


def metric_for_series(series: str) -> Metric | None:
    for m in METRICS:
        if series in m.series_names:
            return m
    return None


def _check() -> None:
    seen = set()
    for m in METRICS:
        assert m.name.startswith("chainwatch_"), m.name
        assert m.name not in seen, m.name
        seen.add(m.name)
        assert (m.type is Type.COUNTER) == m.name.endswith("_total"), m.name
        if m.unit == "seconds":
            assert m.name.endswith("_seconds"), m.name
        assert m.scope in SCOPE_LABELS, m.name


_check()

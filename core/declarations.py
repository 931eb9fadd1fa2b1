"""The declaration types every part of chainwatch fills in: metrics (alerts: core/alertkit.py).

Kept apart from :mod:`chainwatch.assembly.catalog` and :mod:`chainwatch.assembly.names` (which
assemble the shared declarations with every chain kind's own) so that a kind's package can
declare its metrics and alerts without importing the assembled whole.

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


# Why a configured validator cannot be resolved (chainwatch_validator_monitor_unresolved_validators).
UNRESOLVED_REASONS = ("not_found", "no_identity", "unreadable")

# Why a validator monitor restarted from another position than its saved one
# (chainwatch_validator_monitor_resyncs_total): the saved position was ahead of the chain, or
# older than the node keeps.
RESYNC_REASONS = ("ahead_of_chain", "behind_retention")

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
    "warmup",  # the node answers but is still loading (Bitcoin Core RPC error -28)
    "auth",  # the endpoint refused our credentials (HTTP 401) or they cannot be read
    "deprecated_api",  # the endpoint answers only an API the chain retired (a Sui node with JSON-RPC and no gRPC)
)

# Buckets of chainwatch_rpc_request_duration_seconds (seconds).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Metric:
    name: str
    type: Type
    unit: str  # base unit, or "" for counts/ratios/booleans
    help: str
    scope: str
    labels: tuple[str, ...] = ()  # extra labels beyond the scope's
    kinds: tuple[str, ...] = ()  # chain kinds that export it; () = every kind (resolved by the catalog)
    needs: str = ""  # capability a chain kind must have to export it (e.g. "peers")
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


def metric(name, type_, unit, help_, scope="endpoint", labels=(), kinds=(), example="", needs=""):
    """A catalog row; kind packages pass ``kinds=(<their name>,)``, shared rows may say ``needs``."""
    return Metric(name, Type(type_), unit, help_, scope, tuple(labels), tuple(kinds), needs=needs, example=example)


G, C, H = "gauge", "counter", "histogram"

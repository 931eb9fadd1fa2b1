"""Turn a finished probe round into Prometheus exposition, through the catalog only.

Each scrape builds a fresh ``CollectorRegistry`` around a :class:`RoundCollector` that
holds an already-finished snapshot: ``collect()`` never waits on the network, and no
metric state outlives the scrape except the counters and histograms that are meant to
(they live on the endpoint state). Every family is created from its catalog entry, so a
sample whose labels do not match the catalog fails loudly in tests.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest

from . import catalog
from .catalog import FAILURE_REASONS, Type
from .scheduler import Snapshot

Sample = tuple[str, dict, object]  # (metric name, labels incl. scope labels, value)


class Families:
    def __init__(self) -> None:
        self._families: dict[str, object] = {}

    def add(self, name: str, labels: dict, value) -> None:
        metric = catalog.get(name)
        family = self._families.get(name)
        if family is None:
            family = self._families[name] = metric.family()
        try:
            values = [str(labels[label]) for label in metric.all_labels]
        except KeyError as missing:
            raise KeyError(f"{name}: sample lacks label {missing}") from None
        if len(labels) != len(metric.all_labels):
            raise KeyError(f"{name}: unexpected labels {sorted(set(labels) - set(metric.all_labels))}")
        if metric.type is Type.HISTOGRAM:
            buckets, total = value
            family.add_metric(values, buckets=buckets, sum_value=total)
        else:
            family.add_metric(values, float(value))

    def __iter__(self):
        return iter(self._families[name] for name in sorted(self._families))


def round_samples(snap: Snapshot) -> Iterable[Sample]:
    for state in snap.states:
        base = state.labels
        name = state.endpoint.name
        result = snap.results.get(name)
        if result is not None:
            yield "chainwatch_probe_success", base, 1 if result.success else 0
            yield "chainwatch_probe_duration_seconds", base, round(result.duration, 6)
            for reason in FAILURE_REASONS:
                yield "chainwatch_probe_failure_reason", {**base, "reason": reason}, 1 if result.reason == reason else 0
            for (metric, extra), value in sorted(result.values.items()):
                yield metric, {**base, **dict(extra)}, value
            if name in snap.lag:
                blocks, seconds = snap.lag[name]
                yield "chainwatch_sync_lag_blocks", base, blocks
                yield "chainwatch_sync_lag_seconds", base, seconds
        yield "chainwatch_probes_total", base, state.probes
        for reason in FAILURE_REASONS:
            yield "chainwatch_probe_failures_total", {**base, "reason": reason}, state.failures.get(reason, 0)
        yield "chainwatch_probe_deadline_exceeded_total", base, state.deadline_exceeded
        for method in sorted(state.requests):
            labels = {**base, "method": method}
            yield "chainwatch_rpc_requests_total", labels, state.requests[method]
            yield "chainwatch_rpc_errors_total", labels, state.errors.get(method, 0)
        for method in sorted(state.histograms):
            hist = state.histograms[method]
            yield "chainwatch_rpc_request_duration_seconds", {**base, "method": method}, (hist.buckets(), hist.sum)
        for method in sorted(state.last_seconds):
            yield "chainwatch_rpc_last_request_duration_seconds", {**base, "method": method}, round(state.last_seconds[method], 6)
    for cname, summary in sorted(snap.chains.items()):
        chain = snap_chain(snap, cname)
        labels = {"chain": cname, "network": chain.network}
        yield "chainwatch_references_configured", labels, summary.configured
        yield "chainwatch_references_reachable", labels, summary.reachable
        yield "chainwatch_references_agreeing", labels, summary.agreeing
        if summary.head is not None:
            yield "chainwatch_reference_head_height", labels, summary.head
        if summary.stall_seconds is not None:
            yield "chainwatch_reference_head_stall_seconds", labels, summary.stall_seconds


def snap_chain(snap: Snapshot, cname: str):
    return snap.config.chains[cname]


class RoundCollector:
    def __init__(self, samples: Iterable[Sample]):
        self._samples = list(samples)

    def collect(self):
        families = Families()
        for name, labels, value in self._samples:
            families.add(name, labels, value)
        yield from families


def render(samples: Iterable[Sample]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RoundCollector(samples))
    return generate_latest(registry)

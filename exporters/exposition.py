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
from prometheus_client.utils import floatToGoString

from chainwatch.core import catalog
from chainwatch.core.catalog import FAILURE_REASONS, Type
from chainwatch.exporters.scheduler import Snapshot

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
        for field_ in sorted(state.dropped):
            yield "chainwatch_probe_dropped_values_total", {**base, "field": field_}, state.dropped[field_]
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


def render_with_client(samples: Iterable[Sample]) -> bytes:
    """The reference rendering through prometheus_client; :func:`render` must equal it byte for byte."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RoundCollector(samples))
    return generate_latest(registry)


class _Spec:
    """What rendering one catalog family needs, computed once per process."""

    __slots__ = ("name", "histogram", "labels", "order", "header", "before_le", "after_le")

    def __init__(self, metric: catalog.Metric):
        self.name = metric.name
        self.histogram = metric.type is Type.HISTOGRAM
        self.labels = metric.all_labels
        self.order = tuple(sorted(metric.all_labels))  # prometheus_client writes labels sorted
        doc = metric.help.replace("\\", r"\\").replace("\n", r"\n")
        self.header = f"# HELP {metric.name} {doc}\n# TYPE {metric.name} {metric.type.value}\n"
        self.before_le = tuple(label for label in self.order if label < "le")
        self.after_le = tuple(label for label in self.order if label > "le")


_SPECS: dict[str, _Spec] = {}


def _spec(name: str) -> _Spec:
    spec = _SPECS.get(name)
    if spec is None:
        spec = _SPECS[name] = _Spec(catalog.get(name))
    return spec


def _escape(value: object) -> str:
    text = str(value)
    if "\\" in text or "\n" in text or '"' in text:
        text = text.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return text


def _pairs(labels: dict, names: tuple[str, ...], metric: str) -> str:
    try:
        return ",".join([f'{k}="{_escape(labels[k])}"' for k in names])
    except KeyError as missing:
        raise KeyError(f"{metric}: sample lacks label {missing}") from None


def render(samples: Iterable[Sample]) -> bytes:
    """Text exposition of ``samples``, identical to :func:`render_with_client` but written by hand."""
    return b"".join(render_chunks(samples))


def render_chunks(samples: Iterable[Sample]) -> list[bytes]:
    """:func:`render` as one encoded chunk per family, to stream without joining.

    prometheus_client builds a Metric, a Sample namedtuple and a label dict per sample and
    re-validates every name; at 1000 endpoints (~55 000 samples) that was most of a
    scrape's CPU. Families come from the catalog exactly as before (unknown names and
    wrong label sets still raise), label strings are built once per label dict object.
    """
    by_family: dict[str, list[Sample]] = {}
    for sample in samples:  # keeps every label dict alive, so ids stay unique while rendering
        family = by_family.get(sample[0])
        if family is None:
            family = by_family[sample[0]] = []
        family.append(sample)
    joined: dict[int, str] = {}  # id(label dict) -> rendered pairs
    chunks: list[bytes] = []
    for name in sorted(by_family):
        spec = _SPECS.get(name) or _spec(name)
        lines = [spec.header]
        for _, labels, value in by_family[name]:
            if spec.histogram:
                if len(labels) != len(spec.labels):
                    _pairs(labels, spec.labels, name)
                    raise KeyError(f"{name}: unexpected labels {sorted(set(labels) - set(spec.labels))}")
                buckets, total = value
                before = _pairs(labels, spec.before_le, name)
                after = _pairs(labels, spec.after_le, name)
                head = f"{name}_bucket{{{before}," if before else f"{name}_bucket{{"
                tail = f",{after}}} " if after else "} "
                for bound, count in buckets:
                    lines.append(f'{head}le="{bound}"{tail}{floatToGoString(count)}\n')
                plain = _pairs(labels, spec.order, name)
                braces = f"{{{plain}}}" if plain else ""
                lines.append(f"{name}_count{braces} {floatToGoString(buckets[-1][1])}\n")
                lines.append(f"{name}_sum{braces} {floatToGoString(total)}\n")
                continue
            key = id(labels)
            pairs = joined.get(key)
            if pairs is None or len(labels) != len(spec.labels):
                pairs = _pairs(labels, spec.order, name)
                if len(labels) != len(spec.labels):
                    raise KeyError(f"{name}: unexpected labels {sorted(set(labels) - set(spec.labels))}")
                joined[key] = pairs
            else:
                for k in spec.order:  # a cached dict must still carry this family's labels
                    if k not in labels:
                        raise KeyError(f"{name}: sample lacks label {k!r}")
            if pairs:
                lines.append(f"{name}{{{pairs}}} {floatToGoString(value)}\n")
            else:
                lines.append(f"{name} {floatToGoString(value)}\n")
        chunks.append("".join(lines).encode("utf-8"))  # one family's lines at a time: lower peak memory
    return chunks

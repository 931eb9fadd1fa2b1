"""Turn a finished probe round into Prometheus exposition, through the catalog only.

Each scrape builds a fresh ``CollectorRegistry`` around a :class:`RoundCollector` that
holds an already-finished snapshot: ``collect()`` never waits on the network, and no
metric state outlives the scrape except the counters and histograms that are meant to
(they live on the endpoint state). Every family is created from its catalog entry, so a
sample whose labels do not match the catalog fails loudly in tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.utils import floatToGoString

from chainwatch.assembly import catalog
from chainwatch.assembly.catalog import FAILURE_REASONS, Type
from chainwatch.exporters.probe import ProbeResult
from chainwatch.exporters.scheduler import EndpointState, Snapshot

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


# ``reason="…"`` extras, built once. A reason's series are written only where they say
# something (issue #34: 24 of an endpoint's 57 series were reasons at 0): the gauge for the
# reason of the current failure only, a reason's counter from its first failure on (and then
# for good: a counter that vanished would go stale). The SLI reads probes and successes,
# which are always there, so no failure is lost to a counter born at 1.
_REASON_EXTRAS = tuple(((("reason", reason),), reason) for reason in FAILURE_REASONS)
_REASON_EXTRA = {reason: extra for extra, reason in _REASON_EXTRAS}

Extra = tuple[tuple[str, str], ...]  # labels beyond the endpoint's own, as (label, value) pairs


def endpoint_samples(
    state: EndpointState, result: ProbeResult | None, lag: tuple[float, float] | None, counters: bool = True
) -> Iterator[tuple[str, Extra, object]]:
    """One endpoint's samples as ``(family, extra labels, value)``; a sample's labels are
    ``state.labels`` plus ``extra``. The one list of what an endpoint exposes: both
    :func:`round_samples` and the cached per-endpoint rendering (:func:`endpoint_fragments`)
    read it, so they cannot disagree. ``counters=False``: the result's gauges only (a worker
    that failed a round: its counters live in the worker, and a 0 here would read as a reset)."""
    if result is not None:
        yield "chainwatch_probe_success", (), 1 if result.success else 0
        yield "chainwatch_probe_duration_seconds", (), round(result.duration, 6)
        if result.reason in _REASON_EXTRA:
            yield "chainwatch_probe_failure_reason", _REASON_EXTRA[result.reason], 1
        for (metric, extra), value in sorted(result.values.items()):
            yield metric, extra, value
        if lag is not None:
            blocks, seconds = lag
            yield "chainwatch_sync_lag_blocks", (), blocks
            yield "chainwatch_sync_lag_seconds", (), seconds
    if not counters:
        return
    yield "chainwatch_probes_total", (), state.probes
    failures = state.failures
    yield "chainwatch_probe_successes_total", (), state.probes - sum(failures.values())
    for extra, reason in _REASON_EXTRAS:
        if failures.get(reason):
            yield "chainwatch_probe_failures_total", extra, failures[reason]
    yield "chainwatch_probe_deadline_exceeded_total", (), state.deadline_exceeded
    for field_ in sorted(state.dropped):
        yield "chainwatch_probe_dropped_values_total", _extra("field", field_), state.dropped[field_]
    for method in sorted(state.requests):
        extra = _extra("method", method)
        yield "chainwatch_rpc_requests_total", extra, state.requests[method]
        yield "chainwatch_rpc_errors_total", extra, state.errors.get(method, 0)
    for method in sorted(state.histograms):
        hist = state.histograms[method]
        yield "chainwatch_rpc_request_duration_seconds", _extra("method", method), (hist.buckets(), hist.sum)
    for method in sorted(state.last_seconds):
        yield "chainwatch_rpc_last_request_duration_seconds", _extra("method", method), round(state.last_seconds[method], 6)


_EXTRAS: dict[tuple[str, str], Extra] = {}


def _extra(label: str, value: str) -> Extra:
    """``((label, value),)``, one shared tuple per pair: the method and field names come from
    probe code (a handful), and every endpoint's cached rendering keeps its extras."""
    extra = _EXTRAS.get((label, value))
    if extra is None:
        extra = ((label, value),)
        if len(_EXTRAS) < 4096:  # bounded whatever a probe names
            _EXTRAS[(label, value)] = extra
    return extra


def round_samples(snap: Snapshot) -> Iterable[Sample]:
    for state in snap.states:
        base = state.labels
        name = state.endpoint.name
        for metric, extra, value in endpoint_samples(state, snap.results.get(name), snap.lag.get(name)):
            yield metric, ({**base, **dict(extra)} if extra else base), value
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
        if summary.hashes_disagree is not None:
            yield "chainwatch_reference_hashes_disagree", labels, summary.hashes_disagree


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

    __slots__ = ("name", "histogram", "labels", "order", "header", "encoded", "before_le", "after_le")

    def __init__(self, metric: catalog.Metric):
        self.name = metric.name
        self.histogram = metric.type is Type.HISTOGRAM
        self.labels = metric.all_labels
        self.order = tuple(sorted(metric.all_labels))  # prometheus_client writes labels sorted
        doc = metric.help.replace("\\", r"\\").replace("\n", r"\n")
        self.header = f"# HELP {metric.name} {doc}\n# TYPE {metric.name} {metric.type.value}\n"
        self.encoded = self.header.encode("utf-8")
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


# ---------------------------------------------------------------------- per-endpoint cache


def _number(value) -> str:
    """``floatToGoString`` with a shortcut for the small non-negative numbers most samples are
    (counters, 0/1 flags, seconds): ``repr(float(v))`` of those is ``"<v>.0"`` for an int and
    ``repr(v)`` for a float, and Go's switch to exponents starts at 7 digits."""
    cls = value.__class__
    if cls is int and 0 <= value < 1_000_000:
        return f"{value}.0"
    if cls is float and 0.0 <= value < 1_000_000.0:  # NaN and inf fail the comparison
        return repr(value)  # what floatToGoString returns below Go's switch to exponents
    return floatToGoString(value)


def _line_prefix(name: str, labels: dict):
    """What every line of one series starts with, checked against the catalog like
    :func:`render_chunks` (unknown family: KeyError; missing or extra labels: KeyError).
    A plain series: its label set ``'{a="x",b="y"} '`` (``' '`` without labels; the line is the
    family name, this, the value), the same string for every family with that label set; a
    histogram: ``(bucket head, bucket tail, _count prefix, _sum prefix)`` around the ``le`` label."""
    spec = _SPECS.get(name) or _spec(name)
    plain = _pairs(labels, spec.order, name)
    if len(labels) != len(spec.labels):
        raise KeyError(f"{name}: unexpected labels {sorted(set(labels) - set(spec.labels))}")
    if not spec.histogram:
        return f"{{{plain}}} " if plain else " "
    before = _pairs(labels, spec.before_le, name)
    after = _pairs(labels, spec.after_le, name)
    braces = f"{{{plain}}}" if plain else ""
    return (
        f"{name}_bucket{{{before}," if before else f"{name}_bucket{{",
        f",{after}}} " if after else "} ",
        f"{name}_count{braces} ",
        f"{name}_sum{braces} ",
    )


class Rendered:
    """One endpoint's exposition lines, family by family, for one probe result.

    Kept on the :class:`EndpointState` (``state.rendered``) and reused by every scrape that
    reports the same result with the same counters and lag: concurrent scrapers, scrapes
    within ``min_probe_interval_seconds``, and the endpoints a slow round did not re-probe.
    ``prefixes[i]`` is the rendered labels (``'{chain="…",…} '``) of the i-th sample of
    :func:`endpoint_samples`, whose family and extra labels were ``names[i]``/``extras[i]``:
    carried to the next result while the endpoint's labels stay the same, so a new result
    costs only the number formatting. Flat tuples, not a dict keyed by (family, extra): the
    same reuse for ~4 KB less per endpoint (~4 MB at N=1000); and one string per label set,
    not per series (the failure reasons' gauge and counter, and every series without extra
    labels, share theirs): ~5 KB less per endpoint again.
    """

    __slots__ = ("key", "fragments", "names", "extras", "prefixes", "base")

    def __init__(self, key: tuple, fragments: dict[str, bytes], names: tuple, extras: tuple, prefixes: tuple, base: tuple):
        self.key = key
        self.fragments = fragments  # family name -> this endpoint's lines of it (no HELP/TYPE)
        self.names = names
        self.extras = extras
        self.prefixes = prefixes  # _line_prefix(...) of each sample, in endpoint_samples order
        self.base = base  # the endpoint's own labels these prefixes were built with


def result_fragments(state: EndpointState, result: ProbeResult) -> dict[str, bytes]:
    """The gauges of ``result`` for ``state``'s endpoint, family -> lines, without its counters
    and histograms (not cached: the failure path of worker mode)."""
    lines: dict[str, list[str]] = {}
    labels = state.labels
    for name, extra, value in endpoint_samples(state, result, None, counters=False):
        prefix = _line_prefix(name, {**labels, **dict(extra)} if extra else labels)
        lines.setdefault(name, []).append(f"{name}{prefix}{_number(value)}\n")
    return {name: "".join(out).encode("utf-8") for name, out in lines.items()}


def endpoint_fragments(state: EndpointState, result: ProbeResult | None, lag: tuple[float, float] | None) -> dict[str, bytes]:
    """This endpoint's lines of each family, rendered at most once per probe result.

    The cache key is everything the lines depend on: the result object and its revision
    (a kind's ``finish`` may add values after the round), the lag against this round's
    references, the counters a scrape moves without a new result (``deadline_exceeded``)
    and those a new result moves (``probes``), and the chain config object (a reload may
    change the ``network`` label). Byte for byte what :func:`render` writes for the same
    samples (tests/exporter/test_exposition_render.py).
    """
    cached = state.rendered
    key = (result, result.revision if result is not None else 0, lag, state.probes, state.deadline_exceeded, state.chain)
    if cached is not None:
        old = cached.key
        if old[0] is key[0] and old[5] is key[5] and old[1:5] == key[1:5]:
            return cached.fragments
    labels = state.labels
    base = tuple(labels.items())
    if cached is not None and cached.base == base:
        old_names, old_extras, old_prefixes = cached.names, cached.extras, cached.prefixes
    else:
        old_names = old_extras = old_prefixes = ()
    known = len(old_names)
    names: list[str] = []
    extras: list[Extra] = []
    prefixes: list = []  # only the series of this result: label sets that went away are forgotten
    shared: dict[Extra, str] = {}  # one string per label set among the new prefixes
    lines: dict[str, list[str]] = {}
    for i, (name, extra, value) in enumerate(endpoint_samples(state, result, lag)):
        if i < known and old_names[i] == name and old_extras[i] == extra:
            prefix = old_prefixes[i]
        else:  # a new series, or the ones after a series that came or went
            prefix = _line_prefix(name, {**labels, **dict(extra)} if extra else labels)
            if prefix.__class__ is str:
                prefix = shared.setdefault(extra, prefix)
        names.append(name)
        extras.append(extra)
        prefixes.append(prefix)
        out = lines.get(name)
        if out is None:
            out = lines[name] = []
        if prefix.__class__ is str:
            out.append(f"{name}{prefix}{_number(value)}\n")
            continue
        head, tail, count, total_prefix = prefix
        buckets, total = value
        for bound, n in buckets:
            out.append(f'{head}le="{bound}"{tail}{_number(n)}\n')
        out.append(f"{count}{_number(buckets[-1][1])}\n")
        out.append(f"{total_prefix}{_number(total)}\n")
    fragments = {name: "".join(out).encode("utf-8") for name, out in lines.items()}
    state.rendered = Rendered(key, fragments, tuple(names), tuple(extras), tuple(prefixes), base)
    return fragments


class Block:
    """The per-endpoint families of a scrape, assembled from each endpoint's cached
    fragments without joining them all: ``length`` bytes in total, handed out by
    :meth:`pieces` in pieces of about ``size`` bytes (one scraper holds one piece, not
    the whole ~6 MB of a 1000-endpoint exposition)."""

    def __init__(self, fragments: list[dict[str, bytes]]):
        self.fragments = fragments
        names: set[str] = set()
        for frag in fragments:
            names.update(frag)
        self.names = sorted(names)
        self.length = sum(len((_SPECS.get(n) or _spec(n)).encoded) for n in self.names) + sum(len(b) for frag in fragments for b in frag.values())

    def pieces(self, size: int) -> Iterator[bytes]:
        parts: list[bytes] = []
        held = 0
        for name in self.names:
            header = _SPECS[name].encoded
            parts.append(header)
            held += len(header)
            for frag in self.fragments:
                part = frag.get(name)
                if part:
                    parts.append(part)
                    held += len(part)
                    if held >= size:
                        yield b"".join(parts)
                        parts, held = [], 0
        if parts:
            yield b"".join(parts)


def family_lines(samples: Iterable[Sample]) -> dict[str, bytes]:
    """:func:`render_chunks` as family -> lines without ``# HELP``/``# TYPE``, to merge into a
    :class:`Block` (so a family with lines from several sources is still written once)."""
    by_name = {}
    for chunk in render_chunks(samples):
        name = chunk[7 : chunk.index(b" ", 7)].decode("ascii")  # b"# HELP <name> ..."
        by_name[name] = chunk[len(_SPECS[name].encoded) :]
    return by_name


def endpoint_block(snap: Snapshot) -> Block:
    """The per-endpoint families of ``snap`` (chain-wide ones excluded), from the cache."""
    results, lag = snap.results, snap.lag
    return Block([endpoint_fragments(state, results.get(state.endpoint.name), lag.get(state.endpoint.name)) for state in snap.states])

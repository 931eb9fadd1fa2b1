"""Probe rounds: coalescing, references shared per chain, lag, deadlines.

The exporter must never hammer the nodes it watches. Two HA Prometheus servers and a
human with curl scraping at once share one in-flight probe per endpoint, and a result
younger than ``min_probe_interval_seconds`` is reused. A chain's reference endpoints are
read once per round (``reference_max_age_seconds``) and shared by every target of that
chain, whether scraped through ``/metrics`` or ``/probe``.

Every wait is bounded by the scrape deadline: an endpoint that has not answered when the
deadline comes is reported as ``timeout`` and never delays the others.

An endpoint that times out :data:`TIMEOUT_BACKOFF_AFTER` probes in a row is backed off: it is
not probed for 15 s, then 30, 60, up to :data:`TIMEOUT_BACKOFF_MAX_SECONDS` while it keeps
timing out, and reported meanwhile as ``timeout`` at once, without a request (a never-answering
node would otherwise hold every scrape that includes it until the scrape's deadline, every
round). The first answer ends the back-off. ``chainwatch_probe_backoff_seconds`` says how long
the endpoint is still left alone (timeouts and rate limits alike). docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import logging
import math
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from chainwatch.assembly.catalog import LATENCY_BUCKETS, PRIMARY_METHOD
from chainwatch import kinds
from chainwatch.assembly.config import Config, Endpoint, Role
from chainwatch.exporters.divergence import Tracker
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.exporters import redact
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.transport import Transport

log = logging.getLogger("chainwatch.probe")
values_log = logging.getLogger("chainwatch.probe.values")  # dropped optional values: its own once-a-minute budget

DEFAULT_BACKOFF_SECONDS = 30.0
TIMEOUT_BACKOFF_AFTER = 3  # timeouts in a row before the endpoint is backed off
TIMEOUT_BACKOFF_SECONDS = 15.0  # the first back-off; doubled at each further timeout
TIMEOUT_BACKOFF_MAX_SECONDS = 120.0  # a recovered node is seen again within this
WARN_EVERY_SECONDS = 60.0
MAX_FIELD = 64  # dropped-value field names come from probe code; cut anyway, they are label values
LAUNCH_WAVE = 8  # probes started per event-loop iteration (see Scheduler._launch)


class Histogram:
    """Cumulative latency histogram kept per endpoint and method across probes."""

    __slots__ = ("counts", "sum", "count")

    def __init__(self) -> None:
        self.counts = [0] * len(LATENCY_BUCKETS)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.sum += value
        self.count += 1
        for i, bound in enumerate(LATENCY_BUCKETS):
            if value <= bound:
                self.counts[i] += 1

    def buckets(self) -> list[tuple[str, int]]:
        out = list(zip(_BUCKET_LABELS, self.counts))
        out.append(("+Inf", self.count))
        return out


_BUCKET_LABELS = tuple(repr(float(b)) if b != int(b) else f"{b:.1f}" for b in LATENCY_BUCKETS)  # formatted once, not per scrape


class EndpointState:
    """Everything the exporter remembers about one endpoint between probes."""

    def __init__(self, chain_name: str, chain, endpoint: Endpoint):
        self.chain_name = chain_name
        self.chain = chain
        self.endpoint = endpoint
        self.scrubbed = tuple(s for s in (endpoint.url, *endpoint.secrets) if s)  # what redact.use gets per probe
        self.probe = kinds.get(chain.kind).probe()
        self.inflight: asyncio.Task | None = None
        self.last: ProbeResult | None = None
        self.last_at = -math.inf  # monotonic
        self.last_round: Round | None = None  # the round whose probe produced ``last``
        self.cache: dict = {}
        self.backoff_until = -math.inf  # monotonic; after a rate limit
        self.timeouts_in_row = 0
        self.timeout_backoff_until = -math.inf  # monotonic; after TIMEOUT_BACKOFF_AFTER timeouts in a row
        primary = PRIMARY_METHOD[chain.kind]  # created at 0 up front so rate() works from the first scrape
        self.histograms: dict[str, Histogram] = {primary: Histogram()}
        self.last_seconds: dict[str, float] = {}
        self.requests: Counter[str] = Counter({primary: 0})
        self.errors: Counter[str] = Counter({primary: 0})
        self.probes = 0
        self.failures: Counter[str] = Counter()
        self.deadline_exceeded = 0
        self.last_warning = -math.inf
        self.dropped: Counter[str] = Counter()  # optional values dropped, by field
        self.last_drop_warning = -math.inf
        self.rendered = None  # exposition.Rendered: this endpoint's lines for its last reported result

    @property
    def identity(self) -> str:
        """Same identity after a reload -> counters and caches carry over."""
        return f"{self.chain_name}|{self.chain.kind}|{self.endpoint.model_dump_json()}"

    @property
    def labels(self) -> dict[str, str]:
        return {"chain": self.chain_name, "network": self.chain.network, "endpoint": self.endpoint.name, "role": self.endpoint.role.value}


def _note_timeouts(state: EndpointState, result: ProbeResult) -> None:
    """Count timeouts in a row; back off from the :data:`TIMEOUT_BACKOFF_AFTER`-th on."""
    if result.success or result.reason != "timeout":
        state.timeouts_in_row = 0
        state.timeout_backoff_until = -math.inf
        return
    state.timeouts_in_row += 1
    beyond = state.timeouts_in_row - TIMEOUT_BACKOFF_AFTER
    if beyond >= 0:
        seconds = min(TIMEOUT_BACKOFF_MAX_SECONDS, TIMEOUT_BACKOFF_SECONDS * 2 ** min(beyond, 8))
        state.timeout_backoff_until = time.monotonic() + seconds


class Round:
    """One scrape's probe round while it runs (:meth:`Scheduler.round`).

    The endpoints of a large round are probed one after another within the scrape (a
    5000-endpoint round under load takes seconds to launch), so a second scrape arriving
    meanwhile would find the first endpoints' results already older than
    ``min_probe_interval_seconds`` and probe them again: two requests per endpoint for one
    round of scrapes (bench, N=5000, two scrapers). Results are stamped with the round that
    produced them, and a result of a round still open is reused by every scrape that
    arrives while it runs: the later scrape joins the round in flight. Freshness is judged
    at the scrape's arrival (``arrived``, monotonic), not when the launch reaches the
    endpoint, for the same reason.
    """

    __slots__ = ("arrived", "open")

    def __init__(self, arrived: float):
        self.arrived = arrived
        self.open = True


@dataclass
class ChainSummary:
    configured: int
    reachable: int = 0
    agreeing: int = 0
    head: float | None = None
    head_timestamp: float | None = None
    stall_seconds: float | None = None
    # Divergence (exporters/divergence.py): the references' agreed block hashes by height (str
    # keys: the summary crosses to workers as JSON), whether they disagree (1/0, None: no answer),
    # and the height they are asked next.
    hashes: dict[str, str] = field(default_factory=dict)
    hashes_disagree: int | None = None
    hash_height: int | None = None


@dataclass
class Snapshot:
    states: list[EndpointState]
    config: Config
    results: dict[str, ProbeResult] = field(default_factory=dict)
    lag: dict[str, tuple[float, float]] = field(default_factory=dict)
    # What each lag was measured against: "references" (the chain's reference endpoints),
    # "clock" (the wall-clock slot) — both independent of the node — or "endpoints" (the
    # chain's other endpoints, when it has no references: they may share the node's fault).
    lag_basis: dict[str, str] = field(default_factory=dict)
    chains: dict[str, ChainSummary] = field(default_factory=dict)


class Scheduler:
    def __init__(self, config: Config, transport: Transport, previous: "Scheduler | None" = None):
        self.config = config
        self.transport = transport
        carried = {s.identity: s for s in previous.states.values()} if previous else {}
        self.states: dict[str, EndpointState] = {}
        for cname, chain, endpoint in config.endpoints():
            fresh = EndpointState(cname, chain, endpoint)
            self.states[endpoint.name] = carried.get(fresh.identity, fresh)
            self.states[endpoint.name].chain = chain
        self.cutoff = math.inf  # event-loop time no probe may run past (set at shutdown: chainwatch.exporters.shutdown)
        # chain -> (best head seen per reference, monotonic time any of them last advanced)
        self._advance: dict[str, tuple[dict[str, float], float]] = dict(previous._advance) if previous else {}
        self.divergence = Tracker(previous.divergence if previous else None)

    # ------------------------------------------------------------------ one endpoint

    async def probe(self, state: EndpointState, deadline: float, round_: Round | None = None, arrived: float | None = None) -> ProbeResult:
        """The endpoint's result for a scrape that arrived at ``arrived`` (monotonic; now if
        None) and waits until ``deadline`` (event-loop time); see :meth:`_start`."""
        started = {state.endpoint.name: (state, self._start(state, deadline, round_, arrived))}
        return (await self._collect(started, deadline, asyncio.get_running_loop().time()))[state.endpoint.name]

    def _start(self, state: EndpointState, deadline: float, round_: Round | None, arrived: float | None) -> ProbeResult | asyncio.Task:
        """Reuse, join or start the endpoint's probe, with at most one request in flight per endpoint.

        Reused without a request: a result younger than the interval (``min_probe_interval_seconds``,
        ``reference_max_age_seconds`` for references) when the scrape arrived, and any result
        of a round still in flight (another scrape's :class:`Round`: a scrape that arrives while
        a slow round runs joins it instead of starting a second one). Joined: the probe in
        flight (its task). Started: a new probe task, unless the deadline has already passed
        (then a ``timeout`` result and no request at all).
        """
        inflight = state.inflight
        if inflight is not None and not inflight.done():
            return inflight
        if state.last is not None:
            settings = self.config.exporter
            max_age = settings.reference_max_age_seconds if state.endpoint.role is Role.REFERENCE else settings.min_probe_interval_seconds
            now = time.monotonic() if arrived is None else arrived
            produced_by = state.last_round
            if now - state.last_at < max_age or (produced_by is not None and produced_by.open):
                return state.last
        loop = asyncio.get_running_loop()
        if state.endpoint.timeout_seconds:
            deadline = min(deadline, loop.time() + state.endpoint.timeout_seconds)
        deadline = min(deadline, self.cutoff)
        if loop.time() >= deadline:  # out of time before sending: no request the scrape could not wait for
            state.deadline_exceeded += 1
            return ProbeResult(False, reason="timeout", detail="scrape deadline reached before the endpoint's turn")
        state.inflight = loop.create_task(self._run(state, deadline, round_))
        return state.inflight

    async def _collect(self, started: dict[str, tuple[EndpointState, ProbeResult | asyncio.Task]], deadline: float, since: float) -> dict[str, ProbeResult]:
        """Wait for the started and joined probes until ``deadline``, all at once.

        One ``asyncio.wait`` for the round instead of a ``wait_for(shield(task))`` per endpoint
        (three futures, a timer and a coroutine each: ~10 % of a 1000-endpoint round's CPU).
        The probe tasks are shared with other scrapes, so a deadline or a cancelled scrape
        never cancels them; what has not finished by the deadline is reported ``timeout``.
        """
        loop = asyncio.get_running_loop()
        pending = {got for _, got in started.values() if got.__class__ is not ProbeResult and not got.done()}
        if pending:
            await asyncio.wait(pending, timeout=max(0.0, deadline - loop.time()))
        out: dict[str, ProbeResult] = {}
        for name, (state, got) in started.items():
            if got.__class__ is ProbeResult:
                out[name] = got
            elif got.done() and not got.cancelled():
                out[name] = got.result()
            else:
                state.deadline_exceeded += 1
                out[name] = ProbeResult(False, duration=loop.time() - since, reason="timeout", detail="scrape deadline reached while waiting for the endpoint")
        return out

    async def _run(self, state: EndpointState, deadline: float, round_: Round | None = None) -> ProbeResult:
        endpoint = state.endpoint
        result = ProbeResult(True)
        started = time.perf_counter()
        ctx = ProbeContext(self.transport, deadline, state.cache, state.chain)
        ctx.hash_height = self.divergence.height_for(state.chain_name, state.chain, state.endpoint.role)
        redact.use_exact(state.scrubbed)  # details quoting the server are scrubbed before they are cut
        now = time.monotonic()
        probed = False
        if now < state.backoff_until:
            wait = state.backoff_until - now
            result.success, result.reason, result.detail = False, "rate_limited", f"backing off for {wait:.0f}s after HTTP 429"
        elif now < state.timeout_backoff_until:
            wait = state.timeout_backoff_until - now
            result.success, result.reason, result.detail = False, "timeout", f"backing off for {wait:.0f}s after {state.timeouts_in_row} timeouts in a row"
        else:
            probed = True
            try:
                await state.probe.run(endpoint, ctx, result)
                await self.divergence.ask(state, ctx, result)
            except ProbeFailure as failure:
                result.success, result.reason, result.detail = False, failure.reason, failure.detail
                if failure.reason == "rate_limited":
                    state.backoff_until = time.monotonic() + (failure.retry_after or DEFAULT_BACKOFF_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a parser bug must fail this probe, not the exporter
                detail = scrub(f"{type(exc).__name__}: {exc}", [endpoint.url, *endpoint.secrets])
                result.success, result.reason, result.detail = False, "invalid_response", detail[:200]
                log.debug("probe raised", exc_info=True, extra={"endpoint": endpoint.name})
        result.duration = time.perf_counter() - started
        result.calls = ctx.calls
        if ctx.tls_expiry is not None:
            result.set("chainwatch_tls_earliest_cert_expiry_timestamp_seconds", ctx.tls_expiry.served)
            result.set("chainwatch_tls_verified_chain_expiry_timestamp_seconds", ctx.tls_expiry.verified)
        result.finished_at = time.time()
        if probed:
            _note_timeouts(state, result)
        left = max(state.backoff_until, state.timeout_backoff_until) - time.monotonic()
        if left > 0:  # a 0 for every endpoint probed as usual would cost a series each (issue #34)
            result.set("chainwatch_probe_backoff_seconds", round(left, 3))
        self._record(state, result, round_)
        return result

    def _record(self, state: EndpointState, result: ProbeResult, round_: Round | None = None) -> None:
        state.probes += 1
        for field_, _ in result.dropped:
            state.dropped[field_[:MAX_FIELD]] += 1
        if result.dropped and time.monotonic() - state.last_drop_warning >= WARN_EVERY_SECONDS:
            state.last_drop_warning = time.monotonic()
            values_log.warning(
                "optional values unreadable; their metrics are absent",
                extra={
                    "endpoint": state.endpoint.name,
                    "chain": state.chain_name,
                    "fields": ",".join(sorted({f for f, _ in result.dropped})),
                    "detail": scrub(result.dropped[0][1], state.endpoint.secrets)[:200],
                },
            )
        for call in result.calls:
            state.requests[call.method] += 1
            if call.ok and call.seconds is not None:
                state.histograms.setdefault(call.method, Histogram()).observe(call.seconds)
                state.last_seconds[call.method] = call.seconds
            else:
                state.errors[call.method] += 1
        if not result.success:
            state.failures[result.reason] += 1
            if result.calls and all(c.ok for c in result.calls):
                state.errors[result.calls[-1].method] += 1  # HTTP fine, answer unusable
            now = time.monotonic()
            if now - state.last_warning >= WARN_EVERY_SECONDS:
                state.last_warning = now
                log.warning(
                    "probe failed",
                    extra={
                        "endpoint": state.endpoint.name,
                        "chain": state.chain_name,
                        "reason": result.reason,
                        "detail": scrub(result.detail, state.endpoint.secrets),
                    },
                )
        state.last = result
        state.last_at = time.monotonic()
        state.last_round = round_

    # ------------------------------------------------------------------ a round

    def references(self, chain_name: str) -> list[EndpointState]:
        chain = self.config.chains[chain_name]
        refs = chain.references or chain.endpoints  # no references: compare endpoints with each other
        return [self.states[e.name] for e in refs]

    async def round(self, targets: list[EndpointState], chains: list[str], deadline: float) -> Snapshot:
        involved = sorted({t.chain_name for t in targets} | set(chains))
        # Chains a target's chain measures itself against (the chain a subgraph indexes, a
        # rollup's L1): their references are read in the same round, once, like our own.
        linked = sorted({n for c in involved for n in self.config.chains[c].linked_chains()} - set(involved))
        wanted: dict[str, EndpointState] = {t.endpoint.name: t for t in targets}
        for cname in involved + linked:
            for ref in self.references(cname):
                wanted.setdefault(ref.endpoint.name, ref)
        round_ = Round(time.monotonic())
        try:
            by_name = await self._collect(await self._launch(wanted, deadline, round_), deadline, asyncio.get_running_loop().time())
        finally:
            round_.open = False
        snap = Snapshot(states=targets, config=self.config)
        snap.results = {t.endpoint.name: by_name[t.endpoint.name] for t in targets}
        for cname in involved:
            snap.chains[cname] = self._summarise(cname, by_name)
        summaries = {**snap.chains, **{cname: self._summarise(cname, by_name) for cname in linked}}
        self._conclude(snap, summaries)
        return snap

    async def round_against(self, targets: list[EndpointState], summaries: dict[str, ChainSummary], deadline: float) -> Snapshot:
        """A round of ``targets`` only, measured against reference summaries read elsewhere
        (a worker process against its parent's one reference snapshot, :mod:`chainwatch.exporters.workers`).
        ``summaries``: every chain a target's lag or ``finish`` may ask for. No chain-wide series."""
        round_ = Round(time.monotonic())
        try:
            by_name = await self._collect(
                await self._launch({t.endpoint.name: t for t in targets}, deadline, round_), deadline, asyncio.get_running_loop().time()
            )
        finally:
            round_.open = False
        snap = Snapshot(states=targets, config=self.config)
        snap.results = by_name
        self._conclude(snap, summaries)
        return snap

    def _conclude(self, snap: Snapshot, summaries: dict[str, ChainSummary]) -> None:
        for cname, summary in summaries.items():
            self.divergence.learn(cname, summary.hashes, summary.hash_height)
        for t in snap.states:
            finish = getattr(t.probe, "finish", None)
            result = snap.results[t.endpoint.name]
            if finish is not None and result.success:
                finish(result, t.chain, summaries)
            self.divergence.judge(t, result)
            self._lag(t, snap, summaries)

    async def _launch(self, wanted: dict[str, EndpointState], deadline: float, round_: Round) -> dict[str, tuple[EndpointState, ProbeResult | asyncio.Task]]:
        """Start (or reuse, or join) the probes in waves of LAUNCH_WAVE, yielding to the event loop in between.

        Sending a request costs ~0.1-0.2 ms of CPU. Started all at once, 1000 probes keep the
        loop busy sending for longer than a fast endpoint takes to answer, so its answer sits
        unread and its latency is over-reported by up to the whole send phase (bench: +100 ms
        median at 1000 endpoints @ 100 ms). In waves, answers are read between waves. A probe
        task started here belongs to the endpoint, not to this scrape: a cancelled scrape
        leaves it running for the others that joined it.
        """
        started: dict[str, tuple[EndpointState, ProbeResult | asyncio.Task]] = {}
        for i, (name, state) in enumerate(wanted.items()):
            if i and i % LAUNCH_WAVE == 0:
                await asyncio.sleep(0)
            started[name] = (state, self._start(state, deadline, round_, round_.arrived))
        return started

    def _summarise(self, cname: str, results: dict[str, ProbeResult]) -> ChainSummary:
        chain = self.config.chains[cname]
        refs = self.references(cname)
        answered = [results[r.endpoint.name] for r in refs]
        heads = [(res.head_height, res.head_timestamp) for res in answered if res.success and res.head_height is not None]
        summary = ChainSummary(configured=len(chain.references))
        summary.hashes, summary.hashes_disagree = self.divergence.summarise(cname, chain, ((r.endpoint.name, res) for r, res in zip(refs, answered)))
        summary.hash_height = self.divergence.next_height.get(cname)
        if not heads:
            return summary
        heights = sorted(h for h, _ in heads)
        head = statistics.median(heights) if chain.references else heights[-1]
        tolerance = chain.head_tolerance_blocks
        summary.reachable = len(heads)
        summary.agreeing = sum(1 for h, _ in heads if abs(h - head) <= tolerance)
        summary.head = head
        stamps = sorted(ts for h, ts in heads if ts is not None)
        summary.head_timestamp = statistics.median(stamps) if stamps else None
        # A halt is "no reference advanced": a reset needs one reference past its own best
        # head so far. (The median would stall as soon as a majority stops, paging a chain
        # halt while one reference still sees new blocks.)
        now = time.monotonic()
        best, since = self._advance.get(cname, ({}, None))
        current = {r.endpoint.name: res.head_height for r, res in zip(refs, answered) if res.success and res.head_height is not None}
        if since is None or any(h > best.get(n, -math.inf) for n, h in current.items()):
            since = now
        self._advance[cname] = ({n: max(h, best.get(n, -math.inf)) for n, h in {**best, **current}.items()}, since)
        summary.stall_seconds = round(now - since, 3)
        return summary

    def _lag(self, target: EndpointState, snap: Snapshot, summaries: dict[str, ChainSummary]) -> None:
        result = snap.results[target.endpoint.name]
        if not result.success or result.head_height is None:
            return
        against = target.chain.lag_chain() or target.chain_name
        summary = summaries.get(against)
        # summary.configured is len(chain.references): asking the chain would rebuild that list
        # per target, O(endpoints^2) per round (12% of a 1000-endpoint scrape).
        ref_head = summary.head if summary and summary.configured else None
        ref_ts = summary.head_timestamp if summary and summary.configured else None
        basis = "references"
        if ref_head is None and result.expected_head is not None:
            ref_head, ref_ts, basis = result.expected_head, None, "clock"
        if ref_head is None and summary is not None:
            ref_head, ref_ts, basis = summary.head, summary.head_timestamp, "endpoints"
        if ref_head is None:
            return
        blocks = max(0.0, ref_head - result.head_height)
        if ref_ts is not None and result.head_timestamp is not None:
            seconds = max(0.0, ref_ts - result.head_timestamp)
        else:
            seconds = blocks * self.config.chains[against].block_time
        snap.lag[target.endpoint.name] = (blocks, round(seconds, 3))
        snap.lag_basis[target.endpoint.name] = basis

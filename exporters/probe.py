"""What a probe is given and what it hands back.

A probe runs one round against one endpoint and returns a :class:`ProbeResult`: plain
values keyed by catalog metric names, never metric objects. The scheduler adds lag
(which needs the references), the exposition turns results into metric families, so a
probe only knows its chain's API.

Probes keep small per-endpoint caches (client version, genesis time) in
``ctx.cache``, which lives as long as the endpoint's config does. Every kind sets the
client version it reads the same way: :func:`client_version_label` turns the endpoint's
version text into the label, :meth:`ProbeResult.client_version` sets
``chainwatch_node_info{client_version=...} 1``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.transport import Reply, Transport

Labels = tuple[tuple[str, str], ...]

# What a client_version label keeps of the endpoint's version text (anything else becomes
# "_") and its longest length: the text is the endpoint's, the label must stay plain and bounded.
CLIENT_VERSION_CHARS = "A-Za-z0-9._/+:-"
CLIENT_VERSION_MAX = 96
UNKNOWN_VERSION = "unknown"


def client_version_label(raw: object, *, prefix: str = "", keep: str = "") -> str:
    """The ``client_version`` label from the version text an endpoint reports: ``prefix + raw``
    with characters outside :data:`CLIENT_VERSION_CHARS` (and ``keep``) as ``_``, at most
    :data:`CLIENT_VERSION_MAX` characters; ``"unknown"`` when ``raw`` is not a non-empty string.

        client_version_label("0.38.17", prefix="cometbft/")  # "cometbft/0.38.17"
    """
    if not isinstance(raw, str) or not raw:
        return UNKNOWN_VERSION
    return re.sub(f"[^{re.escape(keep)}{CLIENT_VERSION_CHARS}]", "_", prefix + raw)[:CLIENT_VERSION_MAX]  # "-" last: a literal, not a range


@dataclass(slots=True)
class Call:
    """One HTTP request the probe made, for the latency histogram and error counters."""

    method: str
    seconds: float | None
    ok: bool


@dataclass
class ProbeResult:
    success: bool
    duration: float = 0.0
    reason: str | None = None
    detail: str = ""
    head_height: float | None = None
    head_timestamp: float | None = None  # unix time the head block was produced
    expected_head: float | None = None  # e.g. the wall-clock slot; used when a chain has no references
    values: dict[tuple[str, Labels], float] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    finished_at: float = field(default_factory=time.time)
    # Optional values that could not be read this round: (field, detail). The field is a
    # name from the probe's code (bounded), counted in chainwatch_probe_dropped_values_total.
    dropped: list[tuple[str, str]] = field(default_factory=list)
    # Fields the endpoint answered with a sentinel ("not known yet": a zero block ref, an
    # epoch-0 time, a zero hash, a null list; :mod:`chainwatch.exporters.sentinels`): their
    # series are absent and chainwatch_probe_value_unknown{field} is 1. (field, what was sent)
    unknowns: list[tuple[str, str]] = field(default_factory=list)
    # A measured reason the endpoint cannot serve although it answers and is at the head
    # (an op-node with no safe head during execution-layer sync): /health answers 503 with it.
    unready: str | None = None
    # Divergence (:mod:`chainwatch.exporters.divergence`): (height, hash) of the endpoint's block at
    # the height it was asked (``ProbeContext.hash_height``); hash None where that height has no
    # block (a skipped slot, a node not there yet). Set by a probe that batches the request, else
    # by the kind's ``divergence.block_hash`` hook after the probe.
    block_hash: tuple[int, str | None] | None = None
    # Bumped by every set(): a kind's finish() adds values after the round, and the cached
    # rendering of this result (exposition.endpoint_fragments) must see them.
    revision: int = field(default=0, compare=False, repr=False)

    def drop(self, field_: str, detail: str) -> None:
        self.dropped.append((field_, detail))

    def unknown(self, field_: str, sent: str) -> None:
        """Mark ``field_`` (a bounded name from the probe's code) as answered with a sentinel:
        no value of its own or derived from it is set this round."""
        self.unknowns.append((field_, sent))
        self.set("chainwatch_probe_value_unknown", 1, field=field_)

    def optional(self, field_: str) -> "_Optional":
        """Read an optional value: an unreadable answer (``invalid_response``, or an error of
        an optional method) drops what the block would have set, never the probe.

            with result.optional("txpool_status"):
                result.set("chainwatch_mempool_transactions", numbers.uint(pool["pending"], "txpool_status.pending"), state="pending")
        """
        return _Optional(self, field_)

    def client_version(self, label: str) -> None:
        """``chainwatch_node_info{client_version=label} 1`` (``label``: :func:`client_version_label`)."""
        self.set("chainwatch_node_info", 1, client_version=label)

    def set(self, metric: str, value: float | int | bool | None, **labels: str) -> None:
        if value is None:
            return
        self.values[(metric, tuple(sorted(labels.items())) if labels else ())] = float(value)
        self.revision += 1

    def unset(self, metric: str, **labels: str) -> None:
        if self.values.pop((metric, tuple(sorted(labels.items())) if labels else ()), None) is not None:
            self.revision += 1

    def get(self, metric: str, **labels: str) -> float | None:
        return self.values.get((metric, tuple(sorted(labels.items()))))


class _Optional:
    """:meth:`ProbeResult.optional`'s context manager (a class: probes open several per
    round, and a ``contextlib.contextmanager`` costs a generator and a wrapper each)."""

    __slots__ = ("result", "field")

    def __init__(self, result: ProbeResult, field_: str):
        self.result = result
        self.field = field_

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, failure, tb) -> bool:
        if kind is None or not issubclass(kind, ProbeFailure):
            return False
        if failure.reason in ("rate_limited", "timeout"):
            return False  # back off / out of time: the endpoint, not this value
        self.result.drop(self.field, f"{failure.reason}: {failure.detail}")
        return True


@dataclass
class ProbeContext:
    transport: Transport
    deadline: float  # event-loop time
    cache: dict[str, Any]
    chain: Any  # the chain config object
    calls: list[Call] = field(default_factory=list)
    tls_expiry: Any = None  # tlsinfo.ChainExpiry (served, verified) of the last https answer of this probe
    hash_height: int | None = None  # the height whose block hash divergence asks this round (None: none)
    hash_batched: bool = False  # the probe put that question into its own batch: answered or not, asked

    async def request(self, endpoint: Endpoint, label: str, **kwargs) -> Reply:
        """Transport request that also records the call for latency/error metrics."""
        try:
            reply = await self.transport.request(endpoint, deadline=self.deadline, **kwargs)
        except ProbeFailure:
            self.calls.append(Call(label, None, False))
            raise
        self.calls.append(Call(label, reply.elapsed, True))
        if reply.tls_expiry is not None:
            self.tls_expiry = reply.tls_expiry
        return reply


class Probe(Protocol):
    async def run(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        """Fill ``result``; raise ProbeFailure when the endpoint cannot be read."""

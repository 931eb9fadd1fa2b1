"""JSON-RPC 2.0 for every JSON-RPC chain kind: batches, their refusal, rate limits, never trusting the server.

Servers answer batches out of order, drop items, repeat ids, answer a whole batch with
one error object, or return HTML. Each item becomes an :class:`Outcome` that is a result,
an error, "unsupported" (the node does not implement the method — no data, not a
failure) or missing; the probe decides which items it cannot do without.

:func:`call` is what probes and monitors use. It sends one batch, and when the endpoint
refuses batches — however it says so: one whole-request error object (``-32600``,
``id: null``; hiero-json-rpc-relay#1820), a 4xx status, a dropped connection, "batch too
large" (erigon#7090) — it falls back to single calls, remembers that per endpoint for
``BATCH_RETRY_SECONDS`` and then tries a batch again. ``batch: false`` on an endpoint
(providers that bill or forbid batches) sends single calls only.

Rate limits inside an HTTP 200 — the codes :data:`RATE_LIMIT_CODES` (EIP-1474's ``-32005``
"limit exceeded" and the providers' ``-32029``, ``-32012``, ``-32090``) or a "limit
exceeded"-style message, on the whole request or on one item — raise ``rate_limited``
exactly like an HTTP 429, with the back-off hint from ``error.data`` (for example
Infura's ``{"rate": {"backoff_seconds": 30}}``) or the message ("try again in 2s").
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from chainwatch.exporters import numbers
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.redact import active, clip
from chainwatch.exporters.transport import Reply

log = logging.getLogger("chainwatch.jsonrpc")

# After an endpoint refused a batch, single calls for this long, then one batch again.
BATCH_RETRY_SECONDS = 600.0
RATE_LIMIT_CODES = frozenset({-32005, -32029, -32012, -32090})
_RATE_HINTS = (
    "rate limit",
    "rate-limit",
    "ratelimit",
    "too many requests",
    "throttl",
    "quota",
    "request limit",
    "requests limit",
    "request count exceeded",
    "credits",
    "compute units",
    "capacity exceeded",
)
_LIMIT_WORDS = ("limit exceeded", "limit reached", "exceeded the limit", "exceeds the limit")
# "... limit exceeded" about the size of something is not a rate limit (batch size, block range, response size).
_NOT_RATE = ("batch", "range", "size", "result", "gas", "length", "depth")
_HINT_KEYS = {
    "retryafter": 1.0,
    "retryafterseconds": 1.0,
    "backoffseconds": 1.0,
    "backoff": 1.0,
    "retryin": 1.0,
    "tryagainin": 1.0,
    "waitseconds": 1.0,
    "retryafterms": 0.001,
    "backoffms": 0.001,
}
_HINT_TEXT = re.compile(r"(?:try again|retry) (?:in|after) (\d+(?:\.\d+)?) ?(ms|milliseconds?|s|seconds?)\b", re.IGNORECASE)
_BATCH_REFUSED_STATUSES = frozenset(range(400, 500)) - {401, 407, 429}  # auth and rate limits are not about batching

# "Method not found" and the messages clients use for disabled namespaces.
UNSUPPORTED_CODES = {-32601}
UNSUPPORTED_HINTS = ("method not found", "not supported", "does not exist", "not available", "unsupported method", "is not enabled")


class BatchRefused(ProbeFailure):
    """The server answered the whole request with one error object (``id`` null)."""

    def __init__(self, error: dict):
        super().__init__("rpc_error", f"batch rejected: {error['code']} {clip(error['message'], 80)}")
        self.error = error


def backoff_hint(error: dict) -> float | None:
    """Seconds to wait from ``error.data`` (any nesting up to 3 deep) or the message; None when none is given."""

    def walk(value: Any, depth: int) -> float | None:
        if isinstance(value, dict) and depth < 3:
            for key, item in value.items():
                scale = _HINT_KEYS.get(re.sub(r"[^a-z]", "", str(key).lower()))
                if scale is not None and not isinstance(item, bool):
                    try:
                        seconds = float(item) * scale
                    except (TypeError, ValueError):
                        continue
                    if math.isfinite(seconds):
                        return max(0.0, min(seconds, 3600.0))
                found = walk(item, depth + 1)
                if found is not None:
                    return found
        return None

    found = walk(error.get("data"), 0)
    if found is None:
        match = _HINT_TEXT.search(str(error.get("message", "")))
        if match:
            scale = 0.001 if match.group(2).lower().startswith("m") else 1.0
            found = max(0.0, min(float(match.group(1)) * scale, 3600.0))
    return found


def rate_limited(error: dict | None, reserved: frozenset[int] = frozenset()) -> bool:
    """Whether a JSON-RPC error object says "rate limited". ``reserved``: codes the chain's own API
    gives another meaning (Agave's ``-32005`` is NodeUnhealthy, ``-32012`` ScanError)."""
    if error is None:
        return False
    code = error.get("code")
    if type(code) is int and code in RATE_LIMIT_CODES and code not in reserved:
        return True
    message = str(error.get("message", "")).lower()
    if any(h in message for h in _RATE_HINTS):
        return True
    return any(w in message for w in _LIMIT_WORDS) and not any(n in message for n in _NOT_RATE)


def rate_limit_failure(what: str, error: dict) -> ProbeFailure:
    hint = backoff_hint(error)
    told = f"back-off hint {hint:g}s" if hint is not None else "no back-off hint"
    return ProbeFailure("rate_limited", f"{what}: {error.get('code')} {clip(error.get('message', ''), 60)} ({told})", retry_after=hint)


@dataclass(slots=True)  # not frozen: a frozen init sets each field through object.__setattr__ (8 per probe)
class Outcome:
    result: Any = None
    error: dict | None = None
    missing: bool = False
    failure: ProbeFailure | None = None  # a single call (batch fallback) that failed outright
    # The secrets active when the answer was parsed: describe() may run in another task
    # (e.g. after asyncio.gather) where they are not, and must still scrub before cutting.
    secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.missing and self.failure is None

    @property
    def unsupported(self) -> bool:
        if self.error is None:
            return False
        code = self.error.get("code")
        message = str(self.error.get("message", "")).lower()
        # ``code`` is whatever the server sent (a list or an object is unhashable): compare, never hash.
        return any(code == c and type(code) is int for c in UNSUPPORTED_CODES) or any(h in message for h in UNSUPPORTED_HINTS)

    def describe(self) -> str:
        if self.failure is not None:
            return str(self.failure)
        if self.missing:
            return "no answer in batch"
        if self.error is not None:
            return f"error {self.error.get('code')}: {clip(self.error.get('message', ''), 80, self.secrets or None)}"
        return "ok"


def _error(raw: Any) -> dict:
    """An error object as probes may rely on it: ``code`` an int or None, ``message`` a str.

    Servers send anything here (codes as strings or lists, messages as objects); normalising
    once means no probe can trip over an unhashable or non-numeric code.
    """
    if not isinstance(raw, dict):
        return {"code": None, "message": str(raw)}
    code = raw.get("code")
    out = dict(raw)
    out["code"] = code if type(code) is int else None
    out["message"] = str(raw.get("message", ""))
    return out


def build(calls: list[tuple[str, list]]) -> list[dict]:
    return [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]


def parse(reply: Reply, calls: list[tuple[str, list]]) -> dict[str, Outcome]:
    """Map each called method to its outcome. Raises only when the whole answer is unusable."""
    data = reply.json()
    if isinstance(data, dict):
        if data.get("error") is not None and data.get("id") is None:
            # JSON-RPC's answer when the request itself was refused (batch too large, invalid
            # request, rate plan): an error for the whole call, single or batch.
            raise BatchRefused(_error(data["error"]))
        if len(calls) == 1 and "id" in data:
            data = [data]
        elif "error" in data:
            raise BatchRefused(_error(data["error"]))
        else:
            raise invalid("expected a JSON-RPC batch (array)")
    if not isinstance(data, list):
        raise invalid(f"expected a JSON-RPC batch, got {type(data).__name__}")
    by_id: dict[int, Outcome] = {}
    for item in data:
        if not isinstance(item, dict):
            continue
        ident = item.get("id")
        if not isinstance(ident, int) or isinstance(ident, bool) or not (0 <= ident < len(calls)) or ident in by_id:
            continue  # unknown or duplicate id: ignore rather than mis-assign
        if "error" in item and item["error"] is not None:
            by_id[ident] = Outcome(error=_error(item["error"]), secrets=active())
        elif "result" in item:
            by_id[ident] = Outcome(result=item["result"])
    return {method: by_id.get(i, Outcome(missing=True)) for i, (method, _) in enumerate(calls)}


Send = Callable[[str, Any], Awaitable[Reply]]  # (label for the latency metrics, JSON body) -> reply


def _refusal(failure: ProbeFailure) -> bool:
    """A batch answered in a way that says "no batches here" rather than "this endpoint is down"."""
    if isinstance(failure, BatchRefused):
        return True
    if failure.reason == "http_status" and failure.status in _BATCH_REFUSED_STATUSES:
        return True
    return failure.reason == "connect" and failure.dropped


def batching(endpoint: Any, cache: dict) -> bool:
    """Whether this endpoint is sent batches now (config ``batch: false``; a refusal remembered)."""
    return getattr(endpoint, "batch", True) is not False and time.monotonic() >= cache.get("no_batch_until", -math.inf)


async def call(
    send: Send, endpoint: Any, cache: dict, calls: list[tuple[str, str, list]], *, reserved: frozenset[int] = frozenset(), label: str = "batch"
) -> dict[str, Outcome]:
    """Ask ``calls`` (``(key, method, params)``; keys unique, methods may repeat) of one endpoint.

    One batch, or single calls where batches are refused (see the module docstring); ``cache``
    is the endpoint's own dict, kept between rounds. Raises ``rate_limited`` when the whole
    request or any item is rate limited, a whole-request failure otherwise; returns an
    :class:`Outcome` per key, which the caller judges (required or optional).
    """
    keyed = [(key, params) for key, _, params in calls]
    if len(calls) == 1:
        key, method, params = calls[0]
        outcomes = {key: await _single(send, key, method, params)}
    elif batching(endpoint, cache):
        try:
            reply = await send(label, build([(m, p) for _, m, p in calls]))
            outcomes = parse(reply, keyed)
        except ProbeFailure as failure:
            if isinstance(failure, BatchRefused) and rate_limited(failure.error):
                raise rate_limit_failure("batch", failure.error) from None
            if not _refusal(failure):
                raise
            outcomes = await _singles(send, calls)  # raises when the endpoint fails single calls too
            if not any(o.ok for o in outcomes.values()):
                return _judge(outcomes, reserved)  # refuses everything: nothing learnt, batch again next time
            cache["no_batch_until"] = time.monotonic() + BATCH_RETRY_SECONDS
            log.info(
                "endpoint refuses JSON-RPC batches; using single calls",
                extra={"endpoint": getattr(endpoint, "name", "?"), "detail": failure.detail[:120], "retry_batch_after_seconds": BATCH_RETRY_SECONDS},
            )
    else:
        outcomes = await _singles(send, calls)
    return _judge(outcomes, reserved)


def _judge(outcomes: dict[str, Outcome], reserved: frozenset[int]) -> dict[str, Outcome]:
    for key, outcome in outcomes.items():
        if outcome.failure is not None and outcome.failure.reason == "rate_limited":
            raise outcome.failure
        if rate_limited(outcome.error, reserved):
            raise rate_limit_failure(key, outcome.error)
    return outcomes


async def _single(send: Send, key: str, method: str, params: list) -> Outcome:
    reply = await send(method, build([(method, params)])[0])
    try:
        return parse(reply, [(key, params)])[key]
    except BatchRefused as refused:  # a whole-request error to a single call is that call's error
        return Outcome(error=refused.error, secrets=active())


async def _singles(send: Send, calls: list[tuple[str, str, list]]) -> dict[str, Outcome]:
    """The first call alone (an endpoint that fails it is not asked the rest), then the others concurrently."""
    first = calls[0]
    out = {first[0]: await _single(send, *first)}

    async def guarded(key: str, method: str, params: list) -> Outcome:
        try:
            return await _single(send, key, method, params)
        except ProbeFailure as failure:
            return Outcome(failure=failure)

    rest = await asyncio.gather(*(guarded(*c) for c in calls[1:]))
    out.update({key: o for (key, _, _), o in zip(calls[1:], rest)})
    return out


def quantity(value: Any, what: str) -> int:
    """A JSON-RPC QUANTITY (``0x`` hex; a non-negative JSON integer, as Nethermind sends some, is read too)."""
    return numbers.uint(value, what)

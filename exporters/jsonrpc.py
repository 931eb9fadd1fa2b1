"""JSON-RPC 2.0 batches: build one request, match answers by id, never trust the server.

Servers answer batches out of order, drop items, repeat ids, answer a whole batch with
one error object, or return HTML. Each item becomes an :class:`Outcome` that is a result,
an error, "unsupported" (the node does not implement the method — no data, not a
failure) or missing; the probe decides which items it cannot do without.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.redact import active, clip
from chainwatch.exporters.transport import Reply

# "Method not found" and the messages clients use for disabled namespaces.
UNSUPPORTED_CODES = {-32601}
UNSUPPORTED_HINTS = ("method not found", "not supported", "does not exist", "not available", "unsupported method", "is not enabled")


@dataclass(frozen=True)
class Outcome:
    result: Any = None
    error: dict | None = None
    missing: bool = False
    # The secrets active when the answer was parsed: describe() may run in another task
    # (e.g. after asyncio.gather) where they are not, and must still scrub before cutting.
    secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.missing

    @property
    def unsupported(self) -> bool:
        if self.error is None:
            return False
        code = self.error.get("code")
        message = str(self.error.get("message", "")).lower()
        # ``code`` is whatever the server sent (a list or an object is unhashable): compare, never hash.
        return any(code == c and type(code) is int for c in UNSUPPORTED_CODES) or any(h in message for h in UNSUPPORTED_HINTS)

    def describe(self) -> str:
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
            err = _error(data["error"])
            raise ProbeFailure("rpc_error", f"batch rejected: {err['code']} {clip(err['message'], 80)}")
        if len(calls) == 1 and "id" in data:
            data = [data]
        elif "error" in data:
            err = _error(data["error"])
            raise ProbeFailure("rpc_error", f"batch rejected: {err['code']} {clip(err['message'], 80)}")
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


def quantity(value: Any, what: str) -> int:
    """A JSON-RPC QUANTITY: ``0x``-prefixed hex, non-negative. Anything else is invalid."""
    if not isinstance(value, str) or not value.startswith(("0x", "0X")) or len(value) < 3 or len(value) > 66:
        raise invalid(f"{what}: expected hex quantity, got {clip(value, 32)!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise invalid(f"{what}: expected hex quantity, got {clip(value, 32)!r}") from None

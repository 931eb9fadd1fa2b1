"""``GET /health?target=<endpoint name>``: one endpoint's verdict for a load balancer.

200 when the endpoint's last probe succeeded (which includes being on the configured
chain: a wrong chain id or genesis fails the probe with ``wrong_chain``), it does not report
itself syncing, and its lag behind the chain's references (or the chain's other endpoints
when it has none) is within the chain's *warning* lag threshold; 503 otherwise. The body is
one line that says why, e.g.::

    ok: head 1234, 0 blocks behind (threshold 5)
    unhealthy: 42 blocks behind (threshold 5)
    unhealthy: probe failed (timeout)

The verdict is made from the scheduler's probe results, which are shared with ``/metrics``
and ``/probe``: a result younger than ``exporter.min_probe_interval_seconds`` is reused and
concurrent checks wait on the one probe in flight, so however often a load balancer (or
ten of them) checks, the endpoint is probed at most once per interval.
"""

from __future__ import annotations

from dataclasses import dataclass

from chainwatch import kinds
from chainwatch.exporters.scheduler import EndpointState, Snapshot


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    line: str

    @property
    def status(self) -> int:
        return 200 if self.healthy else 503


def verdict(state: EndpointState, snap: Snapshot) -> Verdict:
    """The verdict for ``state`` from a finished round that had it as its target."""
    result = snap.results[state.endpoint.name]
    unit = kinds.get(state.chain.kind).unit
    if not result.success:
        detail = f"{result.reason}: {result.detail}" if result.detail else str(result.reason)
        return Verdict(False, f"unhealthy: probe failed ({_one_line(detail)})")
    if result.get("chainwatch_syncing") == 1:
        return Verdict(False, "unhealthy: the node reports itself syncing")
    limit = state.chain.lag_blocks("warning")
    head = f"head {_num(result.head_height)}, " if result.head_height is not None else ""
    lag = snap.lag.get(state.endpoint.name)
    if lag is None:
        return Verdict(True, f"ok: {head}lag unknown (no reference answered)")
    blocks = lag[0]
    if blocks > limit:
        return Verdict(False, f"unhealthy: {head}{_num(blocks)} {unit} behind (threshold {_num(limit)})")
    return Verdict(True, f"ok: {head}{_num(blocks)} {unit} behind (threshold {_num(limit)})")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

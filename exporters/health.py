"""``GET /health?target=<endpoint name>``: one endpoint's verdict for a load balancer.

The verdict leads with the measurement: the endpoint's lag behind the chain's references
(or the wall-clock slot), against the chain's *warning* lag threshold. 200 when the last
probe succeeded (which includes being on the configured chain: a wrong chain id or genesis
fails the probe with ``wrong_chain``) and the lag is within the threshold; 503 otherwise.

The node's own syncing flag (``eth_syncing``, ``catching_up``, ``is_syncing``, ``getHealth``,
``initialblockdownload``) is an opinion, and clients leave it stuck on at the head
(Zilliqa zq2#2227, zkevm-node#2172, bnc-tendermint#140). It counts only where nothing
independent measured the node — no reference answered, or the chain has none and the lag is
against its other endpoints — or where the node is also measurably behind (further than two
reference heads may differ, ``head_tolerance_blocks`` of the chain).
The body says which. A measured reason the node cannot serve at the head (an op-node with
no safe head yet, ``ProbeResult.unready``) is 503 whatever the lag. The body is one line::

    ok: head 1234, 0 blocks behind (threshold 5)
    ok: head 1234, 0 blocks behind (threshold 5); the node reports itself syncing, not counted: measured at the references' head
    unhealthy: head 1230, 4 blocks behind (threshold 5) and the node reports itself syncing
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
    name = state.endpoint.name
    result = snap.results[name]
    unit = kinds.get(state.chain.kind).unit
    if not result.success:
        detail = f"{result.reason}: {result.detail}" if result.detail else str(result.reason)
        return Verdict(False, f"unhealthy: probe failed ({_one_line(detail)})")
    flagged = result.get("chainwatch_syncing") == 1
    limit = state.chain.lag_blocks("warning")
    head = f"head {_num(result.head_height)}, " if result.head_height is not None else ""
    lag = snap.lag.get(name)
    if lag is None:
        measured = f"{head}lag unknown (no reference answered)"
    else:
        against = " the chain's other endpoints" if snap.lag_basis.get(name) == "endpoints" else ""
        measured = f"{head}{_num(lag[0])} {unit} behind{against} (threshold {_num(limit)})"
    if result.unready:
        return Verdict(False, f"unhealthy: {_one_line(result.unready)}; {measured}")
    if lag is None:
        if flagged:
            return Verdict(False, f"unhealthy: {measured}; the node reports itself syncing, and nothing measured it")
        return Verdict(True, f"ok: {measured}")
    blocks, basis = lag[0], snap.lag_basis.get(name, "references")
    if blocks > limit:
        return Verdict(False, f"unhealthy: {measured}" + (" and the node reports itself syncing" if flagged else ""))
    if not flagged:
        return Verdict(True, f"ok: {measured}")
    if basis == "endpoints":
        return Verdict(False, f"unhealthy: {measured}; the node reports itself syncing, and with no reference to measure against its flag counts")
    if blocks > state.chain.head_tolerance_blocks:
        return Verdict(False, f"unhealthy: {measured} and the node reports itself syncing")
    where = "the wall-clock slot" if basis == "clock" else "the references' head"
    return Verdict(True, f"ok: {measured}; the node reports itself syncing, not counted: measured at {where}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

"""Aptos validator monitor: state and current-epoch proposals of the configured stake pools.

Every ``validators.interval_seconds`` (30 s by default) it asks one endpoint of the chain
(``validators.endpoint``, default the first reference, else the first node; then the
``fallbacks``), through the shared transport: ``GET /v1`` for the epoch and ledger version,
then, pinned to that ``ledger_version`` (so an epoch change between two calls cannot pair one
epoch's validator index with another epoch's counts), per watched pool
``0x1::stake::get_validator_state(pool)`` and, for a validator of the current set (active or
pending_inactive), ``get_validator_index(pool)`` and
``get_current_epoch_proposal_counts(index)`` → ``[successful, failed]`` (u64 strings).
Shapes: :mod:`chainwatch.kinds.aptos.api`; functions: aptos-framework ``stake.move``.

Group series::

    chainwatch_aptos_validators_state{chain="aptos",group="ops",network="mainnet",state="active"} 2
    chainwatch_aptos_validator_epoch_proposals{...,group="ops",outcome="failed"} 3
    chainwatch_aptos_validator_epoch_failed_proposal_ratio{...,group="ops"} 0.05
    chainwatch_aptos_validator_proposals_total{...,group="ops",outcome="failed"} 17

Epoch rewards scale with the epoch's successful share of proposals, so failed proposals are
reward lost. ``..._proposals_total`` counts across epochs for windowed ratios: each cycle adds
what a pool's epoch-so-far counts grew by; in a new epoch the counts start again from 0 (the
previous epoch's last unseen proposals are lost, at most one interval's worth). The first
cycle only sets the baseline. A pool whose state view aborts (no stake pool at that address)
is ``chainwatch_validator_monitor_unresolved_validators{reason="not_found"}``. When a cycle
fails, the previous values stay exported for ``STALE_INTERVALS`` intervals, then disappear.

The round loop, failure count, freshness and the once-a-minute warning
``aptos validator monitor round failed; retrying`` (detail prefixed by the endpoint's name) come
from the monitor base (:class:`~chainwatch.exporters.monitorbase.ValidatorMonitor`). Its
position is the highest epoch counted in (kept in memory, not across restarts): an endpoint
whose epoch is below it (a devnet reset, a node restored from an older snapshot) is passed over
for the next fallback; when none is in that epoch, the cycle counts nothing and fails, with one
warning; after
:data:`~chainwatch.exporters.monitorbase.RESYNC_AFTER_ROUNDS` such cycles the monitor takes that
endpoint's epoch as a new baseline (the ``_total`` counters kept) and counts
``chainwatch_validator_monitor_resyncs_total{reason="ahead_of_chain"}``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

from chainwatch.core.declarations import UNRESOLVED_REASONS
from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.monitorbase import FallbackMonitor
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.aptos.api import error_code, ledger_info, view_body, view_u64s
from chainwatch.kinds.aptos.metrics import OUTCOMES, STATES

log = logging.getLogger("chainwatch.validators.aptos")

STALE_INTERVALS = 4
CURRENT_SET = (2, 3)  # active, pending_inactive: in this epoch's validator set, proposing


class _Behind(Exception):
    """An endpoint whose epoch is below the one the monitor counted in (a fallback is tried next)."""

    def __init__(self, endpoint: Endpoint, epoch: int):
        super().__init__(f"{endpoint.name} is in epoch {epoch}")
        self.endpoint, self.epoch = endpoint, epoch


class AptosMonitor(FallbackMonitor):
    what = "aptos validator monitor"

    def __init__(self, chain_name: str, chain, transport: Transport, settings, interval: float | None = None):
        super().__init__(chain_name, chain, log, interval)
        self.transport, self.settings = transport, settings
        self.groups = {g: list({v.pool_address: v for v in members}.values()) for g, members in sorted(chain.validators.groups.items())}
        self.seen: dict[str, tuple[int, int, int]] = {}  # pool -> (epoch, successful, failed) highest seen
        self.totals: dict[str, Counter[str]] = {}  # pool -> outcome -> counted since start
        self.epoch: int | None = None  # the highest epoch counted in (the position check_position guards)
        self._samples: list[tuple[str, dict, float]] = []

    # ------------------------------------------------------------------ one cycle (FallbackMonitor)

    async def cycle(self) -> None:
        """One cycle on the first endpoint that answers in an epoch not below the one counted in:
        configured endpoint, then fallbacks; when only endpoints behind answered, the first of
        them, under :meth:`check_position` (counts nothing and fails, then resyncs to its epoch)."""
        failure: ProbeFailure | None = None
        behind: _Behind | None = None
        for endpoint in self.candidates:
            self.endpoint = endpoint
            try:
                await self._cycle_on(endpoint)
                return
            except ProbeFailure as exc:
                failure = exc
            except _Behind as exc:
                behind = behind or exc
        if behind is None:
            assert failure is not None
            raise failure
        self.endpoint = behind.endpoint
        if self.check_position(self.epoch or 0, behind.epoch, "epochs") == "wait":
            return  # counts nothing; the failed round is counted in check_position
        self.seen.clear()  # resync: a reset chain's epoch counts are a new baseline, the totals go on
        self.epoch = None
        await self._cycle_on(behind.endpoint)

    async def _view(self, endpoint: Endpoint, version: int, deadline: float, function: str, *args: str, returns: int = 1) -> tuple[int, ...] | None:
        """The u64 results of one view call; None when the function aborted (HTTP 400 with a
        ``vm_error_code``); any other 400 (a proxy, a malformed request) fails the cycle."""
        reply = await self.transport.request(
            endpoint, method="POST", path=f"view?ledger_version={version}", body=view_body(function, *args), deadline=deadline, ok_statuses=(400,)
        )
        if reply.status == 400:
            body = reply.json()
            if isinstance(body, dict) and isinstance(body.get("vm_error_code"), int):
                return None  # the Move function aborted (e.g. no stake pool at that address)
            raise ProbeFailure("http_status", f"HTTP 400 ({error_code(body)}) from view {function}", status=400)
        return view_u64s(reply.json(), function, returns)

    async def _cycle_on(self, endpoint: Endpoint) -> None:
        deadline = asyncio.get_running_loop().time() + self.settings.default_timeout_seconds
        info = ledger_info((await self.transport.request(endpoint, method="GET", path="", deadline=deadline)).json())
        if info.chain_id != self.chain.chain_id:
            raise ProbeFailure("wrong_chain", f"GET /v1 chain_id {info.chain_id}, expected {self.chain.chain_id}")
        if self.epoch is not None:
            if info.epoch < self.epoch:
                raise _Behind(endpoint, info.epoch)
            self.check_position(self.epoch, info.epoch, "epochs")  # "ok": ends a run of rounds behind
        version = info.ledger_version
        found: dict[str, tuple[int, tuple[int, int] | None]] = {}  # pool -> (state, counts)
        for pool in dict.fromkeys(v.pool_address for members in self.groups.values() for v in members):
            state = await self._view(endpoint, version, deadline, "0x1::stake::get_validator_state", pool)
            if state is None:
                continue  # no stake pool there: unresolved
            counts = None
            if state[0] in CURRENT_SET:
                index = await self._view(endpoint, version, deadline, "0x1::stake::get_validator_index", pool)
                if index is not None:
                    got = await self._view(endpoint, version, deadline, "0x1::stake::get_current_epoch_proposal_counts", str(index[0]), returns=2)
                    counts = (got[0], got[1]) if got is not None else None
            found[pool] = (state[0], counts)
            if counts is not None:
                self.count(pool, info.epoch, counts)
        self._samples = self.build(found)
        self.epoch = max(info.epoch, self.epoch or 0)
        self.succeeded()

    def count(self, pool: str, epoch: int, counts: tuple[int, int]) -> None:
        """Grow the pool's counters by what its epoch-so-far counts grew by since the highest seen."""
        seen = self.seen.get(pool)
        totals = self.totals.setdefault(pool, Counter())
        if seen is not None and epoch < seen[0]:
            return  # an endpoint behind, still in an older epoch
        if seen is not None:
            base = (0, 0) if epoch > seen[0] else (seen[1], seen[2])
            totals["successful"] += max(0, counts[0] - base[0])
            totals["failed"] += max(0, counts[1] - base[1])
            if epoch == seen[0]:
                counts = (max(counts[0], seen[1]), max(counts[1], seen[2]))
        self.seen[pool] = (epoch, *counts)

    def build(self, found: dict[str, tuple[int, tuple[int, int] | None]]) -> list[tuple[str, dict, float]]:
        out: list[tuple[str, dict, float]] = []
        for group, members in self.groups.items():
            labels = {"chain": self.chain_name, "network": self.chain.network, "group": group}
            states = Counter(STATES.get(found[v.pool_address][0], "unknown") for v in members if v.pool_address in found)
            ok = sum(found[v.pool_address][1][0] for v in members if v.pool_address in found and found[v.pool_address][1])
            bad = sum(found[v.pool_address][1][1] for v in members if v.pool_address in found and found[v.pool_address][1])
            out += [("chainwatch_aptos_validators_state", {**labels, "state": s}, states[s]) for s in STATES.values()]
            out += [("chainwatch_aptos_validator_epoch_proposals", {**labels, "outcome": "successful"}, ok)]
            out += [("chainwatch_aptos_validator_epoch_proposals", {**labels, "outcome": "failed"}, bad)]
            out += [("chainwatch_aptos_validator_epoch_failed_proposal_ratio", labels, round(bad / (ok + bad), 6) if ok + bad else 0.0)]
            missing = sum(1 for v in members if v.pool_address not in found)
            out += [
                ("chainwatch_validator_monitor_unresolved_validators", {**labels, "reason": why}, missing if why == "not_found" else 0)
                for why in UNRESOLVED_REASONS
            ]
        return out

    def counters(self) -> list[tuple[str, dict, float]]:
        out = []
        for group, members in self.groups.items():
            labels = {"chain": self.chain_name, "network": self.chain.network, "group": group}
            for outcome in OUTCOMES:
                total = sum(self.totals.get(v.pool_address, Counter())[outcome] for v in members)
                out.append(("chainwatch_aptos_validator_proposals_total", {**labels, "outcome": outcome}, total))
        return out

    def samples(self) -> list[tuple[str, dict, float]]:
        base = {"chain": self.chain_name, "network": self.chain.network}
        fresh = self.last_success is not None and time.time() - self.last_success <= STALE_INTERVALS * self.interval
        out = list(self._samples) if fresh else []
        out += self.counters()
        return out + self.health_samples(base)


def create(chain_name: str, chain, transport: Transport, settings) -> AptosMonitor:
    return AptosMonitor(chain_name, chain, transport, settings)

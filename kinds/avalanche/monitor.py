"""Avalanche validator monitor: median uptime, reward runway and L1 fee runway, in the background.

Each round (``validators.interval_seconds``, 60 s by default), through the exporter's one transport:

1. ``platform.getCurrentValidators {"nodeIDs": [...]}`` on every *view* node (``validators.views``,
   default every reference) and on our own nodes, in parallel. Each answer is that node's view:
   per validator ``uptime`` (percent, "99.8000"), ``connected``, ``startTime``, ``endTime`` (unix
   seconds as decimal strings). A view that fails this round keeps its last answer for
   ``STALE_ROUNDS`` rounds (public P-chain reads are cached by providers anyway): staleness is
   tolerated, not paged;
2. ``platform.getL1Validator {"validationID": ...}`` per L1 validator (``balance`` in nAVAX) and
   ``platform.getValidatorFeeState`` (``price``: nAVAX per second each active L1 validator pays),
   on the first view node that answers.

Per validator (``view="median"`` over the view nodes; ``view="own"``: our first node's view):
the uptime u, connected (a majority of the views), and the **reward runway**
``u·(t−S) + (E−t) − r·(E−S)`` seconds: the downtime it can still afford before its uptime over
the whole validation falls below the requirement r and the reward is lost (S start, E end, t
now). While the validator is up the runway holds still; while it is down it falls one second per
second. r is 0.8, or 0.9 for a validation starting at or after ``validators.helicon_time``
(ACP-267). The runway is computed from the median only: our own node's view never pages.
L1 fee runway = balance / price seconds (the validator is deactivated at a zero balance).
A watched validator no view lists (its validation ended, a typo in the node id) or an unknown
validation id counts in ``chainwatch_validator_monitor_unresolved_validators{reason="not_found"}``
(the shared ``ChainwatchValidatorUnresolved``): nothing else about it could fire.

Exposition (``validator`` = the configured name)::

    chainwatch_avalanche_validator_uptime_ratio{chain="avalanche",group="ops",network="mainnet",validator="ours",view="median"} 0.9981
    chainwatch_avalanche_validator_connected{...,view="own"} 1
    chainwatch_avalanche_validator_views{...} 3
    chainwatch_avalanche_validator_uptime_requirement_ratio{...} 0.8
    chainwatch_avalanche_validator_end_timestamp_seconds{...} 1.79e+09
    chainwatch_avalanche_validator_reward_runway_seconds{...} 235000
    chainwatch_avalanche_l1_validator_balance_avax{...,validator="l1-ours"} 12.5
    chainwatch_avalanche_l1_validator_fee_runway_seconds{...} 2.4e+07
    chainwatch_avalanche_validator_fee_price_avax_per_second{chain="avalanche",network="mainnet"} 5.12e-07
    chainwatch_validator_monitor_unresolved_validators{...,group="ops",reason="not_found"} 0
    chainwatch_validator_monitor_last_success_timestamp_seconds{...} 1.7e+09
    chainwatch_validator_monitor_failures_total{...} 0
    chainwatch_validator_monitor_resyncs_total{...,reason="ahead_of_chain"} 0

The round loop, failure count, freshness and the once-a-minute warning
``avalanche validator monitor round failed; retrying`` come from the monitor base
(:class:`~chainwatch.exporters.monitorbase.ValidatorMonitor`); a round succeeds when at least
one view answered (and, with L1 validators watched, a fee price is known). The monitor keeps no
position (each round reads the validators' current state), so it never resyncs.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from dataclasses import dataclass

from chainwatch.core.declarations import UNRESOLVED_REASONS
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.monitorbase import ValidatorMonitor
from chainwatch.exporters.numbers import flag
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.avalanche.avalanchego import call, obj, percent, u64
from chainwatch.kinds.avalanche.config import AvalancheChain

log = logging.getLogger("chainwatch.validators.avalanche")

REQUEST_TIMEOUT = 10.0
STALE_ROUNDS = 5  # a view's last answer counts this many rounds after it stopped answering
NAVAX = 1e9


@dataclass(frozen=True)
class Seen:
    """One node's view of one validator."""

    uptime: float  # fraction
    connected: bool
    start: float
    end: float


def reward_runway(uptime: float, start: float, end: float, now: float, requirement: float) -> float:
    """Seconds of further downtime a validator can afford: ``u·(t−S) + (E−t) − r·(E−S)``.

    u·(t−S) is its uptime so far, (E−t) the most it can still add, r·(E−S) what the reward needs
    (AvalancheGo's ``uptimeRequirement`` over the whole staking period); negative: already lost."""
    now = min(max(now, start), end)
    return uptime * (now - start) + (end - now) - requirement * (end - start)


def parse_validators(result: object) -> dict[str, Seen]:
    """``platform.getCurrentValidators`` result -> {nodeID: Seen} (rows without ``uptime`` are skipped:
    L1 validators and nodes that do not track uptime). Raises ``invalid_response``."""
    rows = obj(result, "getCurrentValidators").get("validators")
    if not isinstance(rows, list):
        raise invalid("getCurrentValidators.validators: expected a list")
    out: dict[str, Seen] = {}
    for i, raw in enumerate(rows):
        row = obj(raw, f"validators[{i}]")
        if row.get("uptime") is None:
            continue
        out[str(row.get("nodeID"))] = Seen(
            uptime=percent(row["uptime"], f"validators[{i}].uptime"),
            connected=flag(row.get("connected"), f"validators[{i}].connected"),
            start=float(u64(row.get("startTime"), f"validators[{i}].startTime")),
            end=float(u64(row.get("endTime"), f"validators[{i}].endTime")),
        )
    return out


class AvalancheMonitor(ValidatorMonitor):
    what = "avalanche validator monitor"

    def __init__(self, chain_name: str, chain: AvalancheChain, transport: Transport, settings):
        super().__init__(chain_name, chain, log)
        self.transport = transport
        self.cfg = chain.validators
        self.views = chain.view_endpoints
        names = {e.name for e in self.views}
        self.own = [e for e in chain.nodes if e.name not in names]
        self.members = [(g, v) for g, vals in self.cfg.groups.items() for v in vals]
        self.node_ids = sorted({v.node_id for _, v in self.members if v.node_id})
        self.seen: dict[str, tuple[int, dict[str, Seen]]] = {}  # endpoint -> (round, view)
        self.balances: dict[str, int] = {}  # validation id -> nAVAX
        self.l1_unknown: set[str] = set()  # validation ids the P-chain does not know (getL1Validator error)
        self.price: int | None = None  # nAVAX per second
        self.round_no = 0
        self._round_started = time.monotonic()

    # ------------------------------------------------------------------ the round loop (ValidatorMonitor)

    async def step(self) -> float:
        self._round_started = time.monotonic()
        await self.round()
        return self._rest()

    def retry_delay(self, exc: Exception) -> float:
        return self._rest()

    def _rest(self) -> float:
        """Seconds left of this round's interval: rounds start every ``interval_seconds``, failed or not."""
        return max(0.05, self.cfg.interval_seconds - (time.monotonic() - self._round_started))

    def scrub(self, text: str) -> str:
        return scrub(text, [s for e in self.chain.endpoints for s in (e.url, *e.secrets)])

    # ------------------------------------------------------------------ one round

    async def _request(self, endpoint, label: str, **kwargs):
        deadline = asyncio.get_running_loop().time() + REQUEST_TIMEOUT
        return await self.transport.request(endpoint, deadline=deadline, **kwargs)

    async def _view(self, endpoint) -> dict[str, Seen]:
        return parse_validators(await call(self._request, endpoint, "platform.getCurrentValidators", {"nodeIDs": self.node_ids}))

    async def round(self) -> None:
        self.round_no += 1
        failed: list[str] = []
        targets = [*self.views, *self.own] if self.node_ids else []
        answers = await asyncio.gather(*(self._view(e) for e in targets), return_exceptions=True)
        for endpoint, answer in zip(targets, answers):
            if isinstance(answer, ProbeFailure):
                failed.append(f"{endpoint.name}: {answer}")
            elif isinstance(answer, BaseException):
                raise answer
            else:
                self.seen[endpoint.name] = (self.round_no, answer)
        l1 = [v for _, v in self.members if v.validation_id]
        if l1:
            try:
                await self._l1(l1)
            except ProbeFailure as failure:
                failed.append(f"L1: {failure}")
        view_names = {e.name for e in self.views}
        if failed and (not any(n in view_names and self.seen.get(n, (0,))[0] == self.round_no for n in view_names) or l1 and self.price is None):
            self.failures += 1  # no view answered (or no fee price yet): nothing was measured
            self.warn("; ".join(failed))
        else:
            self.succeeded()
            if failed:  # tolerated (the other views answered), still said once a minute
                self.warn("; ".join(failed))

    async def _l1(self, members) -> None:
        last: ProbeFailure | None = None
        for endpoint in self.views or self.chain.endpoints:
            try:
                state = obj(await call(self._request, endpoint, "platform.getValidatorFeeState"), "getValidatorFeeState")
                price = u64(state.get("price"), "getValidatorFeeState.price")
                balances, unknown = {}, set()
                for v in members:
                    try:
                        got = obj(await call(self._request, endpoint, "platform.getL1Validator", {"validationID": v.validation_id}), "getL1Validator")
                    except ProbeFailure as failure:
                        if failure.reason != "rpc_error":  # 'fetching L1 validator "…" failed: not found'
                            raise
                        unknown.add(v.validation_id)
                        continue
                    balances[v.validation_id] = u64(got.get("balance", "0"), "getL1Validator.balance")  # absent: inactive, 0
                self.price, self.balances, self.l1_unknown = price, balances, unknown
                return
            except ProbeFailure as failure:
                last = failure
        if last is not None:
            raise last

    def _fresh(self, name: str) -> dict[str, Seen] | None:
        got = self.seen.get(name)
        if got is None or self.round_no - got[0] > STALE_ROUNDS:
            return None
        return got[1]

    def samples(self) -> list[tuple[str, dict, float]]:
        base = {"chain": self.chain_name, "network": self.chain.network}
        out: list[tuple[str, dict, float]] = []
        now = time.time()
        views = [v for e in self.views if (v := self._fresh(e.name)) is not None]
        own = next((v for e in self.own if (v := self._fresh(e.name)) is not None), None)
        unresolved = {g: 0 for g in self.cfg.groups}
        for group, member in self.members:
            labels = {**base, "group": group, "validator": member.name}
            if member.validation_id in self.l1_unknown or (member.node_id and views and not any(member.node_id in v for v in views)):
                unresolved[group] += 1  # not (or no longer) a current validator: nothing about it can fire
            if member.validation_id:
                balance = self.balances.get(member.validation_id)
                if balance is not None:
                    out.append(("chainwatch_avalanche_l1_validator_balance_avax", labels, balance / NAVAX))
                    if self.price:
                        out.append(("chainwatch_avalanche_l1_validator_fee_runway_seconds", labels, round(balance / self.price, 3)))
                continue
            seen = [v[member.node_id] for v in views if member.node_id in v]
            out.append(("chainwatch_avalanche_validator_views", labels, len(seen)))
            mine = own.get(member.node_id) if own else None
            if mine is not None:
                out.append(("chainwatch_avalanche_validator_uptime_ratio", {**labels, "view": "own"}, mine.uptime))
                out.append(("chainwatch_avalanche_validator_connected", {**labels, "view": "own"}, int(mine.connected)))
            if not seen:
                continue
            uptime = statistics.median(s.uptime for s in seen)
            start, end = statistics.median(s.start for s in seen), statistics.median(s.end for s in seen)
            requirement = self.cfg.requirement(start)
            out.append(("chainwatch_avalanche_validator_uptime_ratio", {**labels, "view": "median"}, round(uptime, 6)))
            out.append(("chainwatch_avalanche_validator_connected", {**labels, "view": "median"}, int(2 * sum(s.connected for s in seen) > len(seen))))
            out.append(("chainwatch_avalanche_validator_uptime_requirement_ratio", labels, requirement))
            out.append(("chainwatch_avalanche_validator_end_timestamp_seconds", labels, end))
            out.append(("chainwatch_avalanche_validator_reward_runway_seconds", labels, round(reward_runway(uptime, start, end, now, requirement), 3)))
        for group, count in unresolved.items():
            for reason in UNRESOLVED_REASONS:
                out.append(
                    ("chainwatch_validator_monitor_unresolved_validators", {**base, "group": group, "reason": reason}, count if reason == "not_found" else 0)
                )
        if self.price is not None:
            out.append(("chainwatch_avalanche_validator_fee_price_avax_per_second", base, self.price / NAVAX))
        return out + self.health_samples(base)


def create(chain_name: str, chain: AvalancheChain, transport: Transport, settings) -> AvalancheMonitor:
    return AvalancheMonitor(chain_name, chain, transport, settings)

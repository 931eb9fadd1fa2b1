"""Solana validator monitor: vote accounts and leader slots of the configured validators.

Every ``validators.interval_seconds`` (15 s by default) it asks one endpoint of the chain (``validators.endpoint``,
default the first reference, else the first node), through the shared transport:

1. one batch of ``getEpochInfo`` and ``getVoteAccounts`` (commitment ``confirmed``,
   ``keepUnstakedDelinquents`` so a delinquent account with no stake is still seen);
2. one batch of ``getBlockProduction`` per watched identity over the current epoch so far
   (``firstSlot`` = epoch start, ``lastSlot`` = the epoch info's slot), or a single call for
   every identity when more than ``IDENTITY_BATCH_MAX`` are watched; in the first cycle of a
   new epoch, the same for the rest of the previous epoch (``firstSlot`` = its start,
   ``lastSlot`` = the slot before the new epoch's first), so no leader slot between two
   cycles is lost to the epoch boundary.

Scrapes only read the last finished cycle. Group series are always exported::

    chainwatch_solana_validators{chain="solana",group="ops",network="mainnet-beta"} 3
    chainwatch_solana_validators_delinquent{...,group="ops"} 1
    chainwatch_solana_vote_lag_slots{...,group="ops"} 412
    chainwatch_solana_root_lag_slots{...,group="ops"} 410
    chainwatch_solana_activated_stake_lamports{...,group="ops"} 6e+15
    chainwatch_solana_leader_slots{...,group="ops"} 48
    chainwatch_solana_blocks_produced{...,group="ops"} 44
    chainwatch_solana_skip_ratio{...,group="ops"} 0.083333
    chainwatch_solana_leader_slots_passed_total{...,group="ops"} 1292
    chainwatch_solana_leader_slots_skipped_total{...,group="ops"} 37
    chainwatch_validator_monitor_last_success_timestamp_seconds{chain="solana",network="mainnet-beta"} 1.7e+09

Per-validator series (``validator`` = the configured name, else the vote account) are
added when the chain watches at most ``per_validator_cap`` validators; above the cap
only the group aggregates are exported (all or nothing, so a dashboard never shows an
arbitrary subset)::

    chainwatch_solana_validator_delinquent{...,group="ops",validator="val-1"} 1
    chainwatch_solana_validator_vote_lag_slots{...,validator="val-1"} 412
    chainwatch_solana_validator_skip_ratio{...,validator="val-2"} 0.5
    chainwatch_solana_validator_commission_ratio{...,validator="val-2"} 0.05
    chainwatch_solana_validator_epoch_credits{...,validator="val-2"} 1530

``leader_slots`` / ``blocks_produced`` / ``skip_ratio`` are the epoch so far (they restart
at every epoch). The two ``_total`` counters count the same slots across epochs for windowed
ratios (``ChainwatchSolanaSkipRateHigh``): per identity, every cycle adds what its
epoch-so-far numbers grew by since the highest seen (an endpoint that answers a few slots
behind, e.g. a fallback, adds nothing and takes nothing back); a new epoch adds the old
epoch's rest plus the new epoch's numbers. They start at 0 for every group when the monitor
starts (the first cycle only sets the baseline, so a restart never counts an epoch twice) and
are exported even while cycles fail (they then stop growing).

Lag is measured against the highest ``lastVote`` / ``rootSlot`` among all vote accounts
in the same answer, so it needs no second clock. A watched vote account that is absent
from ``getVoteAccounts`` is not counted in ``chainwatch_solana_validators`` (compare
it with the configured count). When a cycle fails, the previous values stay exported
for up to ``STALE_INTERVALS`` intervals (a delinquency alert must not resolve because the
RPC endpoint hiccuped), then disappear instead of freezing;
``..._last_success_timestamp_seconds`` (the exporter's start until a first success) and
``chainwatch_validator_monitor_failures_total`` show the monitor's health from the first
second. One unreadable vote account is left out and counted
(``chainwatch_validator_monitor_dropped_entries_total{field="vote_account"}``), never the
whole answer.

A ``null`` list in ``getVoteAccounts`` (``"delinquent": null``, seen from RPC proxies that
re-encode an empty Rust ``Vec`` as null) is "not known", not "none": a watched account found
in the other list is judged as usual, one found in neither has an unknown status, so its
group's ``chainwatch_solana_validators_delinquent`` (and its own ``..._validator_delinquent``)
is absent that cycle rather than a quiet 0, and the cycle is counted in
``chainwatch_validator_monitor_dropped_entries_total{field="vote_accounts.delinquent"}``
(https://solana.com/docs/rpc/http/getvoteaccounts).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

from solders.epoch_info import EpochInfo
from solders.rpc.responses import RpcBlockProduction, RpcVoteAccountInfo

from collections import Counter

from chainwatch.kinds.solana.probe import AGAVE_CODES
from chainwatch.exporters import jsonrpc
from chainwatch.core.declarations import UNRESOLVED_REASONS
from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.monitorbase import ValidatorMonitor
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.transport import Transport

log = logging.getLogger("chainwatch.validators.solana")

IDENTITY_BATCH_MAX = 16
# Values not refreshed for this many intervals stop being exported (the stuck alert fires then).
STALE_INTERVALS = 4


@contextmanager
def _solders(what: str):
    """Turn solders' parse errors, and its panics on values such as a malformed pubkey
    (pyo3 ``PanicException`` derives from BaseException), into an invalid_response."""
    try:
        yield
    except ValueError as exc:
        raise invalid(f"{what}: {str(exc)[:120]}") from None
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        raise invalid(f"{what}: malformed value ({str(exc)[:80]})") from None


def _typed(cls, outcome: jsonrpc.Outcome, what: str, endpoint: Endpoint):
    if not outcome.ok:
        raise ProbeFailure("rpc_error" if outcome.error else "invalid_response", scrub(f"{what}: {outcome.describe()}", endpoint.secrets))
    if not isinstance(outcome.result, dict):
        raise invalid(f"{what}: expected an object")
    with _solders(what):
        return cls.from_json(json.dumps(outcome.result))


@dataclass(frozen=True)
class Watched:
    group: str
    label: str
    vote_account: str
    identity: str


class SolanaMonitor(ValidatorMonitor):
    what = "solana validator monitor"

    def __init__(self, chain_name: str, chain, transport: Transport, settings, interval: float | None = None):
        super().__init__(chain_name, chain, log)
        self.transport = transport
        self.settings = settings
        spec = chain.validators
        self.interval = spec.interval_seconds if interval is None else interval
        name = spec.endpoint or (chain.references[0].name if chain.references else chain.nodes[0].name)
        self.candidates: list[Endpoint] = [chain.endpoint(n) for n in dict.fromkeys([name, *spec.fallbacks])]
        self.endpoint: Endpoint = self.candidates[0]  # the one the current cycle talks to
        self.watched = [Watched(group, v.name or v.vote_account, v.vote_account, v.identity) for group, members in sorted(spec.groups.items()) for v in members]
        self.groups = sorted(spec.groups)
        self.per_validator = len(self.watched) <= spec.per_validator_cap
        self._samples: list[tuple[str, dict, float]] = []
        self.last_error: str | None = None
        self.unknown_lists: tuple[str, ...] = ()  # getVoteAccounts lists answered null in the last cycle
        # Leader slots per identity: (epoch, leader slots, skipped) highest seen this epoch, and
        # the counted totals since the monitor started.
        self.seen: dict[str, tuple[int, int, int]] = {}
        self.passed: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.epoch_start: tuple[int, int] | None = None  # (epoch, its first slot) of the last success
        self.caches: dict[str, dict] = {}  # per endpoint: the shared JSON-RPC layer remembers batch refusals here
        self.retry_after: float | None = None

    # ------------------------------------------------------------------ the round loop (ValidatorMonitor)

    async def step(self) -> float:
        started = time.monotonic()
        await self.cycle()
        self.last_error = None
        return max(0.0, self.interval - (time.monotonic() - started))

    def retry_delay(self, exc: Exception) -> float:
        return self.interval

    def scrub(self, text: str) -> str:
        return scrub(text, [self.endpoint.url, *self.endpoint.secrets])

    def warn(self, detail: str) -> None:
        self.last_error = detail
        super().warn(f"{self.endpoint.name}: {detail}")

    # ------------------------------------------------------------------ one cycle

    async def _batch(self, calls: list[tuple[str, str, list]], deadline: float) -> dict[str, jsonrpc.Outcome]:
        """Through the shared JSON-RPC layer: batch refusals fall back to single calls, rate limits back off."""
        endpoint = self.endpoint

        async def send(label: str, body) -> jsonrpc.Reply:
            return await self.transport.request(endpoint, body=body, deadline=deadline)

        return await jsonrpc.call(send, endpoint, self.caches.setdefault(endpoint.name, {}), calls, reserved=AGAVE_CODES)

    def vote_accounts(self, outcome: jsonrpc.Outcome) -> list[tuple[bool, RpcVoteAccountInfo]]:
        """(delinquent, account) per readable entry of getVoteAccounts; an entry that cannot be read
        (a missing or mistyped field, a malformed pubkey) is left out and counted, the others stand."""
        if not outcome.ok:
            raise outcome.failure or ProbeFailure(
                "rpc_error" if outcome.error else "invalid_response", scrub(f"getVoteAccounts: {outcome.describe()}", self.endpoint.secrets)
            )
        value = outcome.result
        lists = ("current", "delinquent")
        if not isinstance(value, dict) or any(not isinstance(value.get(k), list) and value.get(k, 0) is not None for k in lists):
            raise invalid("getVoteAccounts: expected an object with 'current' and 'delinquent' arrays")
        self.unknown_lists = tuple(k for k in lists if value[k] is None)  # null: not known, not empty
        if len(self.unknown_lists) == len(lists):
            raise invalid("getVoteAccounts: both 'current' and 'delinquent' are null")
        for k in self.unknown_lists:
            self.drop(f"vote_accounts.{k}", "null list: status of accounts not in the other list unknown")
        out = []
        for delinquent, members in ((False, value["current"] or []), (True, value["delinquent"] or [])):
            for entry in members:
                try:
                    if not isinstance(entry, dict):
                        raise invalid("getVoteAccounts: entry is not an object")
                    with _solders("getVoteAccounts entry"):
                        info = RpcVoteAccountInfo.from_json(json.dumps(entry))
                        # solders checks pubkeys lazily (a panic on first use): use every field here
                        str(info.vote_pubkey), str(info.node_pubkey), list(info.epoch_credits)
                        out.append((delinquent, info))
                except ProbeFailure as failure:
                    self.drop("vote_account", failure.detail)
        return out

    async def cycle(self) -> None:
        """One cycle on the first endpoint that answers: configured endpoint, then fallbacks."""
        failure: ProbeFailure | None = None
        for endpoint in self.candidates:
            self.endpoint = endpoint
            try:
                await self._cycle_on_endpoint()
                return
            except ProbeFailure as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def _cycle_on_endpoint(self) -> None:
        deadline = asyncio.get_running_loop().time() + self.settings.default_timeout_seconds
        first = await self._batch(
            [
                ("getEpochInfo", "getEpochInfo", [{"commitment": "confirmed"}]),
                ("getVoteAccounts", "getVoteAccounts", [{"commitment": "confirmed", "keepUnstakedDelinquents": True}]),
            ],
            deadline,
        )
        epoch = _typed(EpochInfo, first["getEpochInfo"], "getEpochInfo", self.endpoint)
        votes = self.vote_accounts(first["getVoteAccounts"])
        start = epoch.absolute_slot - epoch.slot_index
        rng = {"firstSlot": start, "lastSlot": epoch.absolute_slot}
        identities = sorted({w.identity for w in self.watched})
        ranges = {"now": rng}
        before = self.epoch_start
        if before is not None and epoch.epoch == before[0] + 1 and before[1] < start:
            ranges["tail"] = {"firstSlot": before[1], "lastSlot": start - 1}  # the previous epoch's rest
        calls = []
        for tag, r in ranges.items():
            if len(identities) > IDENTITY_BATCH_MAX:
                calls.append((f"{tag}:*", "getBlockProduction", [{"commitment": "confirmed", "range": r}]))
            else:
                calls += [(f"{tag}:{i}", "getBlockProduction", [{"commitment": "confirmed", "identity": i, "range": r}]) for i in identities]
        produced: dict[str, dict[str, tuple[int, int]]] = {tag: {} for tag in ranges}
        for key, outcome in (await self._batch(calls, deadline)).items():
            if not outcome.ok:
                raise outcome.failure or ProbeFailure(
                    "rpc_error" if outcome.error else "invalid_response", scrub(f"getBlockProduction: {outcome.describe()}", self.endpoint.secrets)
                )
            value = outcome.result.get("value") if isinstance(outcome.result, dict) else None
            prod = _typed(RpcBlockProduction, jsonrpc.Outcome(result=value), "getBlockProduction", self.endpoint)
            with _solders("getBlockProduction"):
                produced[key.split(":", 1)[0]].update({str(k): (int(v[0]), int(v[1])) for k, v in prod.by_identity.items()})
        with _solders("getVoteAccounts"):
            samples = self.build(votes, produced["now"], epoch.epoch)
        for identity in identities:
            self.count(identity, epoch.epoch, produced["now"].get(identity, (0, 0)), produced.get("tail", {}).get(identity))
        self._samples = samples
        self.epoch_start = (epoch.epoch, start)
        self.succeeded()

    def count(self, identity: str, epoch: int, now: tuple[int, int], tail: tuple[int, int] | None = None) -> None:
        """Grow the identity's leader-slot counters by what its epoch-so-far ``(leader slots,
        blocks produced)`` grew by since the highest seen; ``tail``: the previous epoch's final
        numbers, when ``epoch`` is a new one."""
        leader, skipped = now[0], now[0] - now[1]
        seen = self.seen.get(identity)
        if seen is None:  # the baseline: counted from here on
            self.seen[identity] = (epoch, leader, skipped)
            return
        if epoch < seen[0]:  # an endpoint still in an older epoch: nothing new from it
            return
        if epoch > seen[0]:
            if tail is not None and epoch == seen[0] + 1:
                self.passed[identity] += max(0, tail[0] - seen[1])
                self.skipped[identity] += max(0, tail[0] - tail[1] - seen[2])
            seen = (epoch, 0, 0)
        self.passed[identity] += max(0, leader - seen[1])
        self.skipped[identity] += max(0, skipped - seen[2])
        self.seen[identity] = (epoch, max(leader, seen[1]), max(skipped, seen[2]))

    def counters(self) -> list[tuple[str, dict, float]]:
        """Both leader-slot counters of every group, from the monitor's start (0 until counted)."""
        out = []
        for group in self.groups:
            labels = {"chain": self.chain_name, "network": self.chain.network, "group": group}
            identities = {w.identity for w in self.watched if w.group == group}
            out.append(("chainwatch_solana_leader_slots_passed_total", labels, sum(self.passed[i] for i in identities)))
            out.append(("chainwatch_solana_leader_slots_skipped_total", labels, sum(self.skipped[i] for i in identities)))
        return out

    def build(self, votes: list[tuple[bool, RpcVoteAccountInfo]], produced: dict[str, tuple[int, int]], epoch: int) -> list[tuple[str, dict, float]]:
        accounts = {}
        for delinquent, a in votes:
            accounts[str(a.vote_pubkey)] = (delinquent, a)
        everyone = [a for _, a in accounts.values()]
        top_vote = max((a.last_vote for a in everyone), default=0)
        top_root = max((a.root_slot for a in everyone), default=0)
        scope = {"chain": self.chain_name, "network": self.chain.network}
        out: list[tuple[str, dict, float]] = []
        for group in self.groups:
            labels = {**scope, "group": group}
            found = delinquents = stake = leader = blocks = 0
            vote_lag = root_lag = 0
            undetermined = False  # a member whose delinquency a null list left unknown
            # one entry per vote account: listed twice in a group, it still counts once
            members = list({w.vote_account: w for w in reversed([w for w in self.watched if w.group == group])}.values())[::-1]
            for w in members:
                slots, made = produced.get(w.identity, (0, 0))
                leader += slots
                blocks += made
                skip = round(1 - made / slots, 6) if slots else 0.0
                entry = accounts.get(w.vote_account)
                if entry is None:
                    undetermined = undetermined or bool(self.unknown_lists)
                    continue
                delinquent, a = entry
                found += 1
                delinquents += delinquent
                stake += a.activated_stake
                vote_lag = max(vote_lag, top_vote - a.last_vote)
                root_lag = max(root_lag, top_root - a.root_slot)
                if self.per_validator:
                    vl = {**labels, "validator": w.label}
                    credits = next((c - prev for e, c, prev in a.epoch_credits if e == epoch), 0)
                    out += [
                        ("chainwatch_solana_validator_delinquent", vl, int(delinquent)),
                        ("chainwatch_solana_validator_vote_lag_slots", vl, top_vote - a.last_vote),
                        ("chainwatch_solana_validator_skip_ratio", vl, skip),
                        ("chainwatch_solana_validator_commission_ratio", vl, a.commission / 100),
                        ("chainwatch_solana_validator_epoch_credits", vl, credits),
                    ]
            out += [("chainwatch_solana_validators", labels, found)]
            if not undetermined:
                out += [("chainwatch_solana_validators_delinquent", labels, delinquents)]
            # a configured vote account getVoteAccounts does not list (mistyped, closed, never voted) is never checked
            out += [
                ("chainwatch_validator_monitor_unresolved_validators", {**labels, "reason": why}, len(members) - found if why == "not_found" else 0)
                for why in UNRESOLVED_REASONS
            ]
            out += [
                ("chainwatch_solana_vote_lag_slots", labels, vote_lag),
                ("chainwatch_solana_root_lag_slots", labels, root_lag),
                ("chainwatch_solana_activated_stake_lamports", labels, stake),
                ("chainwatch_solana_leader_slots", labels, leader),
                ("chainwatch_solana_blocks_produced", labels, blocks),
                ("chainwatch_solana_skip_ratio", labels, round(1 - blocks / leader, 6) if leader else 0.0),
            ]
        return out

    def samples(self) -> list[tuple[str, dict, float]]:
        """The last cycle's values while fresh (a short hiccup keeps them: a delinquency alert must
        not resolve because the RPC endpoint failed once), none once they are STALE_INTERVALS
        intervals old; the monitor's own health always, from the first second."""
        base = {"chain": self.chain_name, "network": self.chain.network}
        fresh = self.last_success is not None and time.time() - self.last_success <= STALE_INTERVALS * self.interval
        out = list(self._samples) if fresh else []
        out += self.counters()
        return out + self.health_samples(base)


def create(chain_name: str, chain, transport: Transport, settings) -> SolanaMonitor:
    return SolanaMonitor(chain_name, chain, transport, settings)

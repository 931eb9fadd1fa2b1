"""Validator duties monitor for beacon chains: runs per epoch in the background.

After epoch ``E`` ends (a quarter of an epoch into ``E+1``, so late attestations are in)
the monitor, through the exporter's one :class:`Transport` and the chain's configured
beacon endpoint (then its fallbacks):

1. reads the watched validators' statuses and effective balances
   (``GET /eth/v1/beacon/states/head/validators?id=..&id=..``; pubkeys resolve to indices);
2. asks liveness for ``E`` of every validator that was active in ``E``
   (``POST /eth/v1/validator/liveness/E`` with ``["0","1"]``, current spec; on 404/405/501
   ``GET /eth/v1/validator/liveness?indices=0&indices=1&epoch=E`` as Lodestar 1.5.1 has).
   A validator that is pending or exited is not asked and never counted as missing;
3. compares ``E``'s proposer duties (read while ``E`` was the current epoch: many clients,
   Lodestar included, refuse duties for past epochs) with ``GET /eth/v1/beacon/headers/{slot}``
   (404 = no block = missed proposal).

Liveness only answers for the current and previous epoch, so each epoch has one window
in which it can be checked. The last processed epoch and every counter are persisted
atomically after each epoch (:mod:`chainwatch.exporters.statefile`: temp file + rename; a
corrupt file is kept aside): a restart continues after the saved epoch, never counts an
epoch twice, and an epoch that can no longer be queried is counted in
``chainwatch_validator_monitor_epochs_skipped_total`` (and
``chainwatch_validator_monitor_resyncs_total{reason="behind_retention"}``) and logged, never
silently dropped. A saved epoch that has not ended yet (the host clock stepped back, a
reset chain with the same genesis) counts nothing and fails the round; after 3 such rounds
(a slot apart) the monitor restarts at the last ended epoch (``reason="ahead_of_chain"``,
:class:`~chainwatch.exporters.monitorbase.ValidatorMonitor`). A state file of another chain
(different genesis) is ignored.

Exposition (per user-named group; per validator only when enabled, up to the cap)::

    chainwatch_validator_attestations_checked_total{chain="eth-cl",group="offline",network="dev"} 4
    chainwatch_validator_attestations_missed_total{chain="eth-cl",group="offline",network="dev"} 4
    chainwatch_validator_consecutive_missed_attestations{chain="eth-cl",group="offline",network="dev"} 2
    chainwatch_validator_proposals_total{...,group="offline"} 3
    chainwatch_validator_proposals_missed_total{...,group="offline"} 3
    chainwatch_validators{...,group="online",status="active_ongoing"} 6
    chainwatch_validator_effective_balance_wei{...,group="online"} 1.92e+20
    chainwatch_validator_monitor_last_epoch{chain="eth-cl",network="dev"} 12
    chainwatch_validator_monitor_epochs_skipped_total{chain="eth-cl",network="dev"} 0
    chainwatch_validator_missed_attestations_consecutive{...,group="offline",validator="6"} 2
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainwatch.exporters import rest
from chainwatch.core.declarations import UNRESOLVED_REASONS
from chainwatch.core.chain import Endpoint
from chainwatch.kinds.beacon.config import BeaconChain
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.monitorbase import ValidatorMonitor
from chainwatch.exporters.statefile import Foreign, StateFile, mapping, sequence, whole
from chainwatch.kinds.beacon import synccommittee
from chainwatch.kinds.beacon.probe import Clock, data_of, read_clock, uint
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.transport import Reply, Transport

log = logging.getLogger("chainwatch.validators.beacon")

STATE_VERSION = 2  # 2: consecutive runs keyed per (group, index); 1 had one run per index shared by every group
STATUSES = (
    "pending_initialized",
    "pending_queued",
    "active_ongoing",
    "active_exiting",
    "active_slashed",
    "exited_unslashed",
    "exited_slashed",
    "withdrawal_possible",
    "withdrawal_done",
    "unknown",  # watched key not (yet) in the beacon state
)
COUNTERS = ("checked", "missed", "proposals", "proposals_missed", "sync_expected", "sync_missed")
REQUEST_TIMEOUT = 10.0
STATUS_CHUNK = 64  # ids per validators query (pubkeys make long URLs)
LIVENESS_GET_CHUNK = 200
UNSUPPORTED = rest.NOT_SUPPORTED
# Gauges (runs, statuses, balances) not refreshed for this many epochs stop being exported
# (counters stay: they count what was processed). The stuck alert fires at the same age.
STALE_EPOCHS = 3


class AllEndpointsFailed(Exception):
    def __init__(self, what: str, failures: list[str]):
        super().__init__(f"{what}: " + "; ".join(failures))
        self.what = what


@dataclass
class Watched:
    """One configured validator (by index or pubkey) of one group."""

    group: str
    key: int | str  # as configured
    index: int | None = None
    status: str = "unknown"
    effective_balance_gwei: int = 0
    activation_epoch: int | None = None
    exit_epoch: int | None = None

    @property
    def label(self) -> str:
        if self.index is not None:
            return str(self.index)
        return str(self.key)[:12]

    def active_in(self, epoch: int) -> bool:
        if self.index is None:
            return False
        if self.activation_epoch is not None and self.exit_epoch is not None:
            return self.activation_epoch <= epoch < self.exit_epoch
        return self.status.startswith("active")


@dataclass
class Counters:
    last_epoch: int | None = None
    groups: dict[str, dict[str, int]] = field(default_factory=dict)
    consecutive: dict[str, int] = field(default_factory=dict)  # "group|index" -> run of misses of that validator in that group
    skipped: int = 0
    duties: dict[str, list[list[int]]] = field(default_factory=dict)  # epoch -> [[slot, index], ...] of watched validators
    # "group|index" -> slots with a block in a row without that validator's sync-committee signature
    sync_consecutive: dict[str, int] = field(default_factory=dict)
    # epoch -> {"size": committee size, "members": {index: [positions]}} of watched validators, read while current
    sync_committees: dict[str, dict] = field(default_factory=dict)

    def to_json(self, genesis_time: int) -> dict:
        return {
            "version": STATE_VERSION,
            "genesis_time": genesis_time,
            "last_epoch": self.last_epoch,
            "skipped": self.skipped,
            "groups": self.groups,
            "consecutive": self.consecutive,
            "duties": self.duties,
            "sync_consecutive": self.sync_consecutive,
            "sync_committees": self.sync_committees,
        }

    @classmethod
    def from_json(cls, data: dict, memberships: dict[str, list[str]] | None = None) -> "Counters":
        """``memberships`` (index -> groups holding it) migrates a version-1 file, whose one run per
        index was incremented once per membership: each group gets the run divided by their number.
        Every field is checked for shape and type (:class:`~chainwatch.exporters.statefile.Unreadable`
        names the wrong one)."""
        consecutive = {str(k): whole(v, f"consecutive.{k}") for k, v in mapping(data.get("consecutive", {}), "consecutive").items()}
        if memberships is not None and data.get("version") == 1:
            consecutive = {f"{g}|{k}": v // max(1, len(memberships.get(k, []))) for k, v in consecutive.items() for g in memberships.get(k, [])}

        def duty(entry, what: str) -> list[int]:
            pair = sequence(entry, what)
            if len(pair) != 2:
                raise ValueError(f"{what}: expected [slot, index]")
            return [whole(pair[0], f"{what}[0]"), whole(pair[1], f"{what}[1]")]

        def committee(entry, what: str) -> dict:
            entry = mapping(entry, what)
            return {
                "size": whole(entry.get("size"), f"{what}.size"),
                "members": {
                    str(whole(int(k) if str(k).isdigit() else None, f"{what}.members")): [
                        whole(p, f"{what}.members.{k}") for p in sequence(v, f"{what}.members.{k}")
                    ]
                    for k, v in mapping(entry.get("members", {}), f"{what}.members").items()
                },
            }

        return cls(
            last_epoch=whole(data.get("last_epoch"), "last_epoch", optional=True),
            groups={
                g: {k: whole(mapping(v, f"groups.{g}").get(k, 0), f"groups.{g}.{k}") for k in COUNTERS}
                for g, v in mapping(data.get("groups", {}), "groups").items()
            },
            consecutive=consecutive,
            skipped=whole(data.get("skipped", 0), "skipped"),
            duties={
                str(k): [duty(d, f"duties.{k}[{i}]") for i, d in enumerate(sequence(v, f"duties.{k}"))]
                for k, v in mapping(data.get("duties", {}), "duties").items()
            },
            sync_consecutive={str(k): whole(v, f"sync_consecutive.{k}") for k, v in mapping(data.get("sync_consecutive", {}), "sync_consecutive").items()},
            sync_committees={str(k): committee(v, f"sync_committees.{k}") for k, v in mapping(data.get("sync_committees", {}), "sync_committees").items()},
        )

    def copy(self) -> "Counters":
        return Counters.from_json(json.loads(json.dumps(self.to_json(0))))


class BeaconMonitor(ValidatorMonitor):
    def __init__(self, chain_name: str, chain: BeaconChain, transport: Transport, settings):
        super().__init__(chain_name, chain, log)
        self.transport = transport
        cfg = chain.validators
        self.cfg = cfg
        self.endpoints: list[Endpoint] = [chain.endpoint(n) for n in [cfg.endpoint, *cfg.fallbacks]]
        self.state_path = Path(cfg.state_file or Path(settings.state_dir) / f"{chain_name}-validators.json")
        self.state_file = StateFile(self.state_path, chain_name)
        # One entry per (group, configured key); a key listed twice in a group is one entry, and one
        # validator configured twice (by index and by pubkey) counts once: see members().
        self.watched: list[Watched] = [Watched(group, key) for group, keys in cfg.groups.items() for key in dict.fromkeys(keys)]
        self.counters = Counters(groups={g: dict.fromkeys(COUNTERS, 0) for g in cfg.groups})
        self.clock: Clock | None = None
        self.statuses_known = False
        self.refreshed: float | None = None  # unix time statuses/balances were last read
        self.liveness_mode: dict[str, str] = {}  # endpoint name -> "post" | "get"
        self.sync_period: int | None = None  # EPOCHS_PER_SYNC_COMMITTEE_PERIOD of the node's spec
        self.sync_next_of: int | None = None  # the period whose next committee was read
        self.sync_members: dict[str, set[int]] = {}  # "current" | "next" -> watched indices in that committee
        self.sync_members_at: float | None = None

    # ------------------------------------------------------------------ the round loop (ValidatorMonitor)

    def retry_delay(self, exc: Exception) -> float:
        return self.clock.seconds_per_slot if self.clock else 5.0

    def members(self, group: str) -> list[Watched]:
        """The group's watched entries, one per validator: the first entry of each resolved index
        (a validator configured by index and by pubkey counts once), unresolved keys as configured."""
        seen: set[int] = set()
        out = []
        for w in self.watched:
            if w.group != group:
                continue
            if w.index is not None:
                if w.index in seen:
                    continue
                seen.add(w.index)
            out.append(w)
        return out

    def scrub(self, text: str) -> str:
        return scrub(text, [s for e in self.endpoints for s in (e.url, *e.secrets)])

    # ------------------------------------------------------------------ HTTP with fallbacks

    async def request(
        self, what: str, path: str, *, method: str = "GET", body: Any = None, ok_statuses=(), endpoint: Endpoint | None = None
    ) -> tuple[Endpoint, Reply]:
        failures = []
        for ep in [endpoint] if endpoint else self.endpoints:
            deadline = asyncio.get_running_loop().time() + REQUEST_TIMEOUT
            try:
                reply = await self.transport.request(ep, method=method, path=path, body=body, deadline=deadline, ok_statuses=ok_statuses)
                return ep, reply
            except ProbeFailure as failure:
                failures.append(f"{ep.name}: {failure}")
        raise AllEndpointsFailed(what, failures)

    # ------------------------------------------------------------------ state file

    def load_state(self) -> None:
        memberships: dict[str, list[str]] = {}
        for w in self.watched:
            if isinstance(w.key, int):
                memberships.setdefault(str(w.key), [])
                if w.group not in memberships[str(w.key)]:
                    memberships[str(w.key)].append(w.group)

        def read(data: dict) -> Counters:
            if data.get("version") not in (1, STATE_VERSION) or data.get("genesis_time") != self.clock.genesis_time:
                raise Foreign(f"version {str(data.get('version'))[:10]}, genesis_time {str(data.get('genesis_time'))[:20]}")
            return Counters.from_json(data, memberships)

        saved = self.state_file.load(read)
        if saved is None:
            return
        for group in self.counters.groups:  # groups added since keep 0; removed ones are dropped
            saved.groups.setdefault(group, dict.fromkeys(COUNTERS, 0))
        saved.groups = {g: saved.groups[g] for g in self.counters.groups}
        self.counters = saved
        log.info("validator monitor resumed", extra={"chain": self.chain_name, "last_epoch": saved.last_epoch})

    def save_state(self, counters: Counters) -> None:
        self.state_file.save(counters.to_json(self.clock.genesis_time))

    # ------------------------------------------------------------------ one step

    def delay_slots(self) -> int:
        return max(1, self.clock.slots_per_epoch // 4)

    async def step(self, now: float | None = None) -> float:
        """Do whatever is due; return seconds until the next thing is due."""
        if self.clock is None:
            self.clock = await read_clock(lambda label, path: self._get_reply(label, path))
            self.load_state()
        clock = self.clock
        now = time.time() if now is None else now
        current = clock.epoch_at(now)
        if now < clock.genesis_time:
            return min(clock.genesis_time - now, 60.0)
        # An epoch is processed once it has ended: a saved epoch at or past the current one is
        # ahead of the chain (the clock stepped back, a reset chain with the same genesis).
        if self.counters.last_epoch is not None:
            verdict = self.check_position(self.counters.last_epoch, current - 1, "epochs")
            if verdict == "wait":
                return clock.seconds_per_slot
            if verdict == "resync":  # restart at the last ended epoch, counters kept
                nxt = self.counters.copy()
                nxt.last_epoch = current - 2
                nxt.duties = {k: v for k, v in nxt.duties.items() if int(k) <= current}
                self.save_state(nxt)
                self.counters = nxt

        try:
            await self.remember_duties(current)
        except (AllEndpointsFailed, ProbeFailure) as exc:
            log.warning("proposer duties unavailable; retrying", extra={"chain": self.chain_name, "epoch": current, "detail": self.scrub(str(exc))})
        try:
            await self.remember_sync_committee(current)
        except (AllEndpointsFailed, ProbeFailure) as exc:
            log.warning("sync committee unavailable; retrying", extra={"chain": self.chain_name, "epoch": current, "detail": self.scrub(str(exc))})
        c = self.counters
        # Epochs that ended and can no longer be queried (liveness: current and previous only).
        if c.last_epoch is not None and c.last_epoch < current - 2:
            gap = list(range(c.last_epoch + 1, current - 1))
            nxt = self.counters.copy()
            nxt.skipped += len(gap)
            nxt.last_epoch = gap[-1]
            for e in gap:
                nxt.duties.pop(str(e), None)
            self.save_state(nxt)
            self.counters = nxt
            log.warning(
                "validator epochs skipped: too old to query liveness",
                extra={"chain": self.chain_name, "first": gap[0], "last": gap[-1], "epochs": len(gap)},
            )
            self.resynced("behind_retention", first=gap[0], last=gap[-1])
        target = current - 1
        due = clock.epoch_start(current) + self.delay_slots() * clock.seconds_per_slot
        if target >= 0 and (self.counters.last_epoch is None or self.counters.last_epoch < target):
            if now < due:
                return due - now
            await self.process(target)
        # Next: the epoch that is current now, a quarter into the following one.
        return max(0.2, clock.epoch_start(current + 1) + self.delay_slots() * clock.seconds_per_slot - time.time())

    async def _get_reply(self, label: str, path: str) -> Reply:
        return (await self.request(label, path))[1]

    async def remember_duties(self, epoch: int) -> None:
        """Proposer duties of watched validators for the current epoch (past ones are refused).

        A duty entry that cannot be read (not an object, a non-numeric slot or index) is left
        out and counted (``dropped_entries_total{field="proposer_duty"}``); the others stand."""
        if str(epoch) in self.counters.duties:
            return
        if not self.statuses_known:
            await self.refresh_statuses()
        _, reply = await self.request("proposer duties", f"/eth/v1/validator/duties/proposer/{epoch}")
        duties = data_of(reply, "proposer duties")
        if not isinstance(duties, list):
            raise invalid("proposer duties: 'data' is not a list")
        watched = {w.index for w in self.watched if w.index is not None}
        mine = []
        first, last = epoch * self.clock.slots_per_epoch, (epoch + 1) * self.clock.slots_per_epoch
        for d in duties:
            try:
                if not isinstance(d, dict):
                    raise invalid("proposer duties: entry is not an object")
                slot, index = uint(d.get("slot"), "duty.slot"), uint(d.get("validator_index"), "duty.validator_index")
            except ProbeFailure as failure:
                self.drop("proposer_duty", failure.detail)
                continue
            if index in watched and first <= slot < last:
                mine.append([slot, index])
        self.counters.duties[str(epoch)] = sorted(mine)
        for old in [k for k in self.counters.duties if int(k) < epoch - 2]:
            del self.counters.duties[old]

    async def read_committee(self, epoch: int) -> dict | None:
        """The watched validators' positions in ``epoch``'s sync committee (``{"size": n, "members":
        {"7": [3, 11]}}``), None when the node has none for it (400: before Altair, or a period it
        does not hold)."""
        _, reply = await self.request("sync committee", f"/eth/v1/beacon/states/head/sync_committees?epoch={epoch}", ok_statuses=(400, 404))
        if reply.status in (400, 404):
            return None
        members = synccommittee.committee(reply)
        watched = {w.index for w in self.watched if w.index is not None}
        return {"size": len(members), "members": {str(i): p for i, p in sorted(synccommittee.positions(members, watched).items())}}

    async def remember_sync_committee(self, epoch: int) -> None:
        """The current epoch's committee (kept until the epoch is processed: the node answers
        only for its head's period and the next) and, once per period, the next period's members."""
        if not self.statuses_known:
            return
        if self.sync_period is None:
            spec = data_of((await self.request("spec", "/eth/v1/config/spec"))[1], "spec")
            raw = spec.get("EPOCHS_PER_SYNC_COMMITTEE_PERIOD") if isinstance(spec, dict) else None
            self.sync_period = max(1, uint(raw, "spec.EPOCHS_PER_SYNC_COMMITTEE_PERIOD")) if raw is not None else synccommittee.EPOCHS_PER_PERIOD
        if str(epoch) not in self.counters.sync_committees:
            entry = await self.read_committee(epoch)
            self.counters.sync_committees[str(epoch)] = entry or {"size": 0, "members": {}}
            for old in [k for k in self.counters.sync_committees if int(k) < epoch - 2]:
                del self.counters.sync_committees[old]
        self.sync_members["current"] = {int(i) for i in self.counters.sync_committees[str(epoch)]["members"]}
        period = epoch // self.sync_period
        if self.sync_next_of != period:
            entry = await self.read_committee((period + 1) * self.sync_period)
            self.sync_members["next"] = {int(i) for i in (entry or {"members": {}})["members"]}
            self.sync_next_of = period
        self.sync_members_at = time.time()

    async def sync_bits(self, slot: int, size: int) -> list[bool] | None:
        """Participation bits carried by the block at ``slot``; None if the slot has no block
        (skipped: not a miss), no sync aggregate, or one that cannot be read (counted as dropped)."""
        _, reply = await self.request("block", f"/eth/v2/beacon/blocks/{slot}", ok_statuses=(404,))
        if reply.status == 404:
            return None
        try:
            return synccommittee.block_bits(reply, slot, size)
        except ProbeFailure as failure:
            self.drop("sync_aggregate", failure.detail)
            return None

    async def refresh_statuses(self) -> None:
        """Statuses and balances of the watched keys. A row that cannot be read is left out
        (its key shows as ``unknown``) and counted; a status no spec version knows is ``unknown``,
        counted too, while its activation/exit epochs still decide whether it is checked."""
        keys = list(dict.fromkeys(w.key for w in self.watched))
        found: dict[Any, dict] = {}
        for i in range(0, len(keys), STATUS_CHUNK):
            chunk = keys[i : i + STATUS_CHUNK]
            query = "&".join(f"id={k.lower() if isinstance(k, str) else k}" for k in chunk)  # repeated id: Lodestar 1.5.1 ignores comma lists
            _, reply = await self.request("validator statuses", f"/eth/v1/beacon/states/head/validators?{query}")
            rows = data_of(reply, "validators")
            if not isinstance(rows, list):
                raise invalid("validators: 'data' is not a list")
            for row in rows:
                try:
                    if not isinstance(row, dict) or not isinstance(row.get("validator") or {}, dict):
                        raise invalid("validators: entry is not an object with a 'validator' object")
                    v = row.get("validator") or {}
                    parsed = {
                        "index": uint(row.get("index"), "validator.index"),
                        "status": str(row.get("status", "unknown")),
                        "balance": uint(v.get("effective_balance", 0), "validator.effective_balance"),
                        "activation": uint(v["activation_epoch"], "activation_epoch") if "activation_epoch" in v else None,
                        "exit": uint(v["exit_epoch"], "exit_epoch") if "exit_epoch" in v else None,
                    }
                except ProbeFailure as failure:
                    self.drop("validator_row", failure.detail)
                    continue
                found[parsed["index"]] = parsed
                if isinstance(v.get("pubkey"), str):
                    found[v["pubkey"].lower()] = parsed
        unknown = set()
        for w in self.watched:
            row = found.get(w.key.lower() if isinstance(w.key, str) else w.key)
            if row is None:
                w.index, w.status, w.effective_balance_gwei = None, "unknown", 0
                w.activation_epoch = w.exit_epoch = None
                continue
            w.index = row["index"]
            w.status = row["status"] if row["status"] in STATUSES else "unknown"
            if w.status != row["status"]:
                unknown.add(row["index"])
            w.effective_balance_gwei = row["balance"]
            w.activation_epoch, w.exit_epoch = row["activation"], row["exit"]
        for index in sorted(unknown):
            self.drop("validator_status", f"validator {index}: status not in the Beacon API's list; shown as unknown")
        self.statuses_known = True
        self.refreshed = time.time()

    async def liveness(self, epoch: int, indices: list[int]) -> dict[int, bool]:
        if not indices:
            return {}
        failures = []
        for ep in self.endpoints:
            try:
                return await self._liveness_from(ep, epoch, indices)
            except AllEndpointsFailed as failure:  # this one endpoint failed
                failures.append(str(failure).removeprefix("liveness: "))
            except ProbeFailure as failure:  # answered, but unusably
                failures.append(f"{ep.name}: {failure}")
        raise AllEndpointsFailed("liveness", failures)

    async def _liveness_from(self, ep: Endpoint, epoch: int, indices: list[int]) -> dict[int, bool]:
        rows: list = []
        if self.liveness_mode.get(ep.name) != "get":
            _, reply = await self.request(
                "liveness", f"/eth/v1/validator/liveness/{epoch}", method="POST", body=[str(i) for i in indices], ok_statuses=UNSUPPORTED, endpoint=ep
            )
            if reply.status not in UNSUPPORTED:
                self.liveness_mode[ep.name] = "post"
                rows = data_of(reply, "liveness")
            else:
                self.liveness_mode[ep.name] = "get"
        if self.liveness_mode.get(ep.name) == "get":
            for i in range(0, len(indices), LIVENESS_GET_CHUNK):
                chunk = indices[i : i + LIVENESS_GET_CHUNK]
                query = "&".join(f"indices={n}" for n in chunk)
                _, reply = await self.request("liveness", f"/eth/v1/validator/liveness?{query}&epoch={epoch}", endpoint=ep)
                got = data_of(reply, "liveness")
                if not isinstance(got, list):
                    raise invalid("liveness: 'data' is not a list")
                rows.extend(got)
        if not isinstance(rows, list):
            raise invalid("liveness: 'data' is not a list")
        out: dict[int, bool] = {}
        for row in rows:
            try:
                if not isinstance(row, dict) or not isinstance(row.get("is_live"), bool):
                    raise invalid("liveness: entry without boolean is_live")
                out[uint(row.get("index"), "liveness.index")] = row["is_live"]
            except ProbeFailure as failure:
                self.drop("liveness_row", failure.detail)
        if rows and not out:
            raise invalid("liveness: no readable entry")
        missing = set(indices) - set(out)
        if missing:  # not counted this epoch (neither checked nor missed), counted as left out
            self.drop("liveness_row", f"liveness: no answer for {len(missing)} validator(s)")
        return out

    async def block_at(self, slot: int) -> bool:
        _, reply = await self.request("block header", f"/eth/v1/beacon/headers/{slot}", ok_statuses=(404,))
        if reply.status == 404:
            return False
        d = data_of(reply, "header")
        try:
            return uint(d["header"]["message"]["slot"], "header.slot") == slot
        except (KeyError, TypeError):
            raise invalid("header: no header.message.slot") from None

    async def process(self, epoch: int) -> None:
        """Count epoch ``epoch`` once: all queries first, then one atomic state update.

        Every figure is per group as if the validator were only in that group: a validator in
        an operator group and a client group adds one check (and one miss) to each, and its run
        of consecutive misses is kept per (group, index), so one missed epoch is a run of 1 in
        each group, never N for N memberships. A validator listed twice in one group counts once.
        """
        await self.refresh_statuses()
        members = {g: [w for w in self.members(g) if w.active_in(epoch)] for g in self.cfg.groups}
        indices = sorted({w.index for ws in members.values() for w in ws})
        live = await self.liveness(epoch, indices)
        duties = self.counters.duties.get(str(epoch))
        blocks: dict[int, bool] = {}
        if duties is not None:
            for slot, _ in duties:
                if slot not in blocks:
                    blocks[slot] = await self.block_at(slot)

        committee = self.counters.sync_committees.get(str(epoch))
        if committee is None:  # not read while current (a restart): the head's period may still hold it
            committee = await self.read_committee(epoch)
        signed: list[list[bool]] = []  # per slot with a block, the committee's bits
        if committee and committee["members"]:
            # Slot 0 is genesis: its block's aggregate is empty because there was no slot to sign.
            for slot in range(max(1, epoch * self.clock.slots_per_epoch), (epoch + 1) * self.clock.slots_per_epoch):
                got = await self.sync_bits(slot, committee["size"])
                if got is not None:
                    signed.append(got)

        nxt = self.counters.copy()
        self.count_sync(nxt, committee, signed)
        keep: set[str] = set()
        for group, active in members.items():
            g = nxt.groups[group]
            for w in active:
                if w.index not in live:
                    continue  # no readable answer for it: left out this epoch (counted in dropped)
                key = f"{group}|{w.index}"
                keep.add(key)
                g["checked"] += 1
                if live[w.index]:
                    nxt.consecutive[key] = 0
                else:
                    g["missed"] += 1
                    nxt.consecutive[key] = nxt.consecutive.get(key, 0) + 1
        for key in list(nxt.consecutive):
            group, _, index = key.partition("|")
            if key not in keep and not any(str(w.index) == index for w in members.get(group, [])):
                del nxt.consecutive[key]  # no longer active (or no longer watched in that group)
        if duties is None:
            log.warning(
                "proposer duties of this epoch were not read while it was current; proposals not checked", extra={"chain": self.chain_name, "epoch": epoch}
            )
        else:
            for slot, index in duties:
                for group in self.cfg.groups:
                    if any(w.index == index for w in self.members(group)):
                        g = nxt.groups[group]
                        g["proposals"] += 1
                        if not blocks[slot]:
                            g["proposals_missed"] += 1
        nxt.last_epoch = epoch
        nxt.duties.pop(str(epoch), None)
        nxt.sync_committees.pop(str(epoch), None)
        self.save_state(nxt)
        self.counters = nxt
        self.succeeded()
        missed = sorted({i for i in indices if i in live and not live[i]})
        log.info(
            "validator epoch processed",
            extra={
                "chain": self.chain_name,
                "epoch": epoch,
                "checked": len(indices),
                "missed": len(missed),
                "missed_indices": ",".join(map(str, missed[:20])) + (",..." if len(missed) > 20 else ""),
            },
        )

    def count_sync(self, nxt: Counters, committee: dict | None, signed: list[list[bool]]) -> None:
        """Each position of a watched validator in the committee is one expected signature per
        slot with a block; a slot where none of its positions is set extends its run of misses.
        A validator out of the committee has no run (silent); an unknown committee keeps runs."""
        if committee is None:
            log.warning("sync committee of this epoch unknown; sync duties not checked", extra={"chain": self.chain_name})
            return
        keep: set[str] = set()
        for group in self.cfg.groups:
            g = nxt.groups[group]
            for w in self.members(group):
                places = committee["members"].get(str(w.index)) if w.index is not None else None
                if not places:
                    continue
                key = f"{group}|{w.index}"
                keep.add(key)
                for slot_bits in signed:
                    got = [slot_bits[p] for p in places if p < len(slot_bits)]
                    g["sync_expected"] += len(got)
                    g["sync_missed"] += got.count(False)
                    nxt.sync_consecutive[key] = 0 if any(got) else nxt.sync_consecutive.get(key, 0) + 1
                nxt.sync_consecutive.setdefault(key, 0)
        for key in [k for k in nxt.sync_consecutive if k not in keep]:
            del nxt.sync_consecutive[key]

    # ------------------------------------------------------------------ exposition

    def fresh(self, since: float | None, now: float | None = None) -> bool:
        """Whether a value refreshed at unix time ``since`` is recent enough to export (STALE_EPOCHS epochs)."""
        if since is None:
            return False
        seconds = self.clock.epoch_seconds if self.clock else self.chain.epoch_seconds
        return (time.time() if now is None else now) - since <= STALE_EPOCHS * seconds

    def samples(self) -> list[tuple[str, dict, float]]:
        """Counters always; gauges (runs, statuses, balances) only while fresh: a monitor that
        cannot refresh them stops exporting them rather than freezing the last good values
        (``ChainwatchValidatorMonitorStuck`` says why they are gone)."""
        base = {"chain": self.chain_name, "network": self.chain.network}
        out: list[tuple[str, dict, float]] = []
        c = self.counters
        runs_fresh = self.fresh(self.last_success or self.started)  # 0 from the start, so dashboards show 0, not "No data"
        fresh = self.fresh(self.refreshed)
        for group in self.cfg.groups:
            labels = {**base, "group": group}
            counts = c.groups[group]
            out.append(("chainwatch_validator_attestations_checked_total", labels, counts["checked"]))
            out.append(("chainwatch_validator_attestations_missed_total", labels, counts["missed"]))
            out.append(("chainwatch_validator_proposals_total", labels, counts["proposals"]))
            out.append(("chainwatch_validator_proposals_missed_total", labels, counts["proposals_missed"]))
            members = self.members(group)
            if runs_fresh:
                keys = _run_keys(group, members, c.consecutive.keys() | c.sync_consecutive.keys())
                out.append(("chainwatch_validator_consecutive_missed_attestations", labels, max((c.consecutive.get(k, 0) for k in keys), default=0)))
                sync_runs = [c.sync_consecutive.get(k, 0) for k in keys]
                out.append(("chainwatch_validator_consecutive_missed_sync_signatures", labels, max(sync_runs, default=0)))
            out.append(("chainwatch_validator_sync_signatures_expected_total", labels, counts["sync_expected"]))
            out.append(("chainwatch_validator_sync_signatures_missed_total", labels, counts["sync_missed"]))
            if self.fresh(self.sync_members_at):
                for period in ("current", "next"):
                    inside = self.sync_members.get(period, set())
                    n = sum(1 for w in members if w.index is not None and w.index in inside)
                    out.append(("chainwatch_validator_sync_committee_members", {**labels, "period": period}, n))
            if self.statuses_known and fresh:
                by_status = dict.fromkeys(STATUSES, 0)
                for w in members:
                    by_status[w.status] += 1
                for status, n in by_status.items():
                    out.append(("chainwatch_validators", {**labels, "status": status}, n))
                # a key the beacon state does not hold (mistyped, deposit not yet processed) is never checked
                missing = sum(1 for w in members if w.index is None)
                for why in UNRESOLVED_REASONS:
                    out.append(("chainwatch_validator_monitor_unresolved_validators", {**labels, "reason": why}, missing if why == "not_found" else 0))
                out.append(("chainwatch_validator_effective_balance_wei", labels, sum(w.effective_balance_gwei for w in members) * 10**9))
        if c.last_epoch is not None:
            out.append(("chainwatch_validator_monitor_last_epoch", base, c.last_epoch))
        out += self.health_samples(base)
        out.append(("chainwatch_validator_monitor_epochs_skipped_total", base, c.skipped))
        if self.cfg.per_validator_metrics and self.statuses_known and fresh and runs_fresh:
            seen = set()
            for w in self.watched[: self.cfg.per_validator_cap]:
                labels = {**base, "group": w.group, "validator": w.label}
                key = (w.group, w.label)
                if key in seen:
                    continue
                seen.add(key)
                out.append(("chainwatch_validator_missed_attestations_consecutive", labels, c.consecutive.get(f"{w.group}|{w.index}", 0)))
                out.append(("chainwatch_validator_missed_sync_signatures_consecutive", labels, c.sync_consecutive.get(f"{w.group}|{w.index}", 0)))
                out.append(("chainwatch_validator_status", {**labels, "status": w.status}, 1))
        return out


def create(chain_name: str, chain: BeaconChain, transport: Transport, settings) -> BeaconMonitor:
    return BeaconMonitor(chain_name, chain, transport, settings)


def _run_keys(group: str, members, saved) -> list[str]:
    """The state keys (``group|index``) of a group's runs: its members', or, while some member's
    index is not resolved yet (right after a restart), every saved key of the group. A run read as
    0 meanwhile would resolve a page that the next round fires again: two pages, one incident."""
    if all(w.index is not None for w in members):
        return [f"{group}|{w.index}" for w in members]
    prefix = f"{group}|"
    return sorted(k for k in saved if k.startswith(prefix))

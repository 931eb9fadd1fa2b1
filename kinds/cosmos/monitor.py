"""Validator signing monitor for Cosmos SDK / CometBFT chains: runs per block in the background.

Each round (every ``validators.interval_seconds``, 5 s by default), on the chain's monitor endpoint (``validators.endpoint``, default the first
reference, else the first node; then ``fallbacks``), through the exporter's one transport:

1. ``GET /status`` for the latest height;
2. every block not read yet, each **once per chain whatever the number of validators and
   groups**: ``GET /block?height=H``. The signatures in ``last_commit`` of block H are the
   precommits for H-1: ``block_id_flag`` 2 (commit) and 3 (nil) count as signed, 1 (absent)
   as missed, as x/slashing counts them (an absent entry has an empty address, so a watched
   validator of H-1's set without a flag-2/3 entry missed H-1);
3. the validator set of H-1 for voting power, ``GET /validators?height=H-1&page=N&per_page=100``
   (every page), asked again only when a block header's ``validators_hash`` changes;
4. every ``validators.lcd_interval_seconds`` on the LCD: ``/cosmos/slashing/v1beta1/params``,
   ``/cosmos/slashing/v1beta1/signing_infos/{valcons}`` per watched validator, and (unless
   ``staking: false``) ``/cosmos/staking/v1beta1/validators/{valoper}`` for operator
   addresses (consensus key -> address, ``jailed``, ``status``).

A *solo* miss is a miss in a block whose commit carries more than 2/3 of H-1's voting power:
the validator missed while the network signed. A chain halt makes no blocks, so it adds no
miss of any kind (it pages once as the shared chain halt instead).

Blocks until jail follow x/slashing (``HandleValidatorSignature``): jailed when
``missed_blocks_counter > window - MinSignedPerWindow``, so
``blocks_until_jail = window - round(window x min_signed_per_window) - missed_blocks_counter``
further misses can be absorbed (0: the next miss jails); ``time_until_jail_seconds`` multiplies by
the chain's block time (the time it takes if every coming block is missed).

The last counted height and every counter are persisted atomically after each round
(:mod:`chainwatch.exporters.statefile`: temp file + rename; a corrupt file is kept aside), so a
restart resumes at the next block: nothing is counted twice and nothing is lost while the node
still serves those blocks; blocks older
than ``max_backfill_blocks`` are skipped and counted in
``chainwatch_cosmos_monitor_blocks_skipped_total``. So are blocks the node no longer keeps
(pruned with ``min-retain-blocks``, or bootstrapped by state sync after them): when
``/status`` ``earliest_block_height`` is past the next height, or a request answers CometBFT's
"height X is not available, lowest height is Y", the fallbacks are tried first (an archive node
still has them); when none keeps them, counting resumes at the lowest height kept
(``chainwatch_validator_monitor_resyncs_total{reason="behind_retention"}``). A saved height
above the node's latest block (a node restored from an older snapshot, a reset devnet) makes the
fallbacks be tried first too (one at the chain's head counts on, nothing twice); when every
endpoint is below it, the round counts nothing and fails, with one warning; after 3 such rounds
the monitor restarts at the highest head an endpoint has (``reason="ahead_of_chain"``,
:class:`~chainwatch.exporters.monitorbase.ValidatorMonitor`). A
state file of another chain id is ignored. Monitor health is exported from the first second:
the last-success timestamp starts at the monitor's creation and moves only when a round is at
the node's head (blocks counted, or none left to count); failed rounds are counted.

Exposition (per user-named group; a validator listed in two groups counts in each)::

    chainwatch_cosmos_validator_blocks_checked_total{chain="hub",group="ops",network="mainnet"} 1200
    chainwatch_cosmos_validator_missed_blocks_total{...,group="ops"} 14
    chainwatch_cosmos_validator_solo_missed_blocks_total{...,group="ops"} 14
    chainwatch_cosmos_validator_consecutive_missed_blocks{...,group="ops"} 3
    chainwatch_cosmos_validator_signing_window_missed_blocks{...,group="ops"} 52
    chainwatch_cosmos_validator_blocks_until_jail{...,group="ops"} 9448
    chainwatch_cosmos_validator_time_until_jail_seconds{...,group="ops"} 56688
    chainwatch_cosmos_validators_active{...,group="ops"} 2
    chainwatch_cosmos_validator_voting_power{...,group="ops"} 1.2e+06
    chainwatch_cosmos_validator_jailed{...,group="ops"} 0
    chainwatch_cosmos_validator_tombstoned{...,group="ops"} 0
    chainwatch_cosmos_validator_bond_status{...,group="ops",status="bonded"} 2
    chainwatch_cosmos_commit_signed_power_ratio{chain="hub",network="mainnet"} 0.93
    chainwatch_cosmos_monitor_last_height{chain="hub",network="mainnet"} 2.3515e+07
    chainwatch_cosmos_monitor_blocks_skipped_total{...} 0
    chainwatch_validator_monitor_last_success_timestamp_seconds{...} 1.7e+09
    chainwatch_validator_monitor_failures_total{...} 0
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from chainwatch.core.declarations import UNRESOLVED_REASONS
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.monitorbase import ValidatorMonitor
from chainwatch.exporters.redact import scrub
from chainwatch.exporters.sentinels import zero_time
from chainwatch.exporters.statefile import Foreign, StateFile, mapping, whole
from chainwatch.exporters.transport import Reply, Transport
from chainwatch.kinds.cosmos.cometbft import (
    RPC_ERROR_STATUSES,
    arr,
    bech32_decode,
    bech32_encode,
    blocks_until_jail,
    boolean,
    dec,
    duration,
    hex_address,
    lowest_kept_height,
    obj,
    result_of,
    timestamp,
    uint,
)
from chainwatch.kinds.cosmos.config import CosmosChain, CosmosEndpoint

log = logging.getLogger("chainwatch.validators.cosmos")

STATE_VERSION = 1
COUNTERS = ("checked", "missed", "solo_missed")
FLAG_ABSENT, FLAG_COMMIT, FLAG_NIL = 1, 2, 3
PER_PAGE = 100  # CometBFT's maximum per_page for /validators
MAX_PAGES = 100  # 10,000 validators: far above any chain's active set
REQUEST_TIMEOUT = 10.0
PRUNED_RETRIES = 3  # skips in one round when the node prunes while the monitor resumes at its edge
BOND_STATUSES = {
    "BOND_STATUS_BONDED": "bonded",
    "BOND_STATUS_UNBONDING": "unbonding",
    "BOND_STATUS_UNBONDED": "unbonded",
    "BOND_STATUS_UNSPECIFIED": "unspecified",
}
STATUS_LABELS = ("bonded", "unbonding", "unbonded", "unspecified")


class AllEndpointsFailed(Exception):
    counted = True  # round() counted the failed round already


class Behind(Exception):
    """The endpoint's latest block (``head``) is below the monitor's saved height: tried as a
    failed endpoint first (a fallback may be at the chain's head), then the position rule."""

    def __init__(self, head: int):
        super().__init__(f"latest block {head} is below the saved height")
        self.head = head


class Pruned(ProbeFailure):
    """The endpoint no longer keeps a height the monitor needs; ``lowest`` is the first it keeps."""

    def __init__(self, lowest: int, detail: str):
        super().__init__("rpc_error", detail)
        self.lowest = lowest


@dataclass
class Member:
    """One configured validator of one group (a validator listed twice in a group is one member)."""

    group: str
    label: str
    consensus_address: str | None  # configured (hex, upper case)
    operator_address: str | None


@dataclass
class Facts:
    """What the LCD said about one validator at the last LCD refresh."""

    address: str | None = None  # resolved consensus address
    jailed: bool | None = None
    tombstoned: bool | None = None
    status: str | None = None  # bonded / unbonding / unbonded / unspecified (x/staking)
    missed_in_window: int | None = None
    unresolved: str | None = None  # why no consensus address could be had (catalog.UNRESOLVED_REASONS)


@dataclass
class State:
    last_height: int | None = None
    skipped: int = 0
    groups: dict[str, dict[str, int]] = field(default_factory=dict)
    consecutive: dict[str, int] = field(default_factory=dict)  # consensus address -> run of misses

    def to_json(self, chain_id: str) -> dict:
        return {
            "version": STATE_VERSION,
            "chain_id": chain_id,
            "last_height": self.last_height,
            "skipped": self.skipped,
            "groups": self.groups,
            "consecutive": self.consecutive,
        }

    @classmethod
    def from_json(cls, data: dict) -> "State":
        """Every field checked for shape and type (:class:`~chainwatch.exporters.statefile.Unreadable` names the wrong one)."""
        groups = mapping(data.get("groups", {}), "groups")
        return cls(
            last_height=whole(data.get("last_height"), "last_height", optional=True),
            skipped=whole(data.get("skipped", 0), "skipped"),
            groups={str(g): {k: whole(mapping(v, f"groups.{g}").get(k, 0), f"groups.{g}.{k}") for k in COUNTERS} for g, v in groups.items()},
            consecutive={str(k).upper(): whole(v, f"consecutive.{k}") for k, v in mapping(data.get("consecutive", {}), "consecutive").items()},
        )

    def copy(self) -> "State":
        return State(self.last_height, self.skipped, {g: dict(v) for g, v in self.groups.items()}, dict(self.consecutive))


def consensus_address_of(pubkey: Any, what: str) -> str:
    """Consensus address of an SDK ``consensus_pubkey`` (``{"@type": "/cosmos.crypto.ed25519.PubKey",
    "key": base64}``): SHA-256(key)[:20], as CometBFT derives ed25519 addresses."""
    pk = obj(pubkey, what)
    if pk.get("@type") != "/cosmos.crypto.ed25519.PubKey":
        raise invalid(f"{what}: unsupported consensus key type {str(pk.get('@type'))[:60]!r}")
    try:
        raw = base64.b64decode(str(pk.get("key")), validate=True)
    except ValueError:
        raise invalid(f"{what}: key is not base64") from None
    if len(raw) != 32:
        raise invalid(f"{what}: an ed25519 key has 32 bytes, got {len(raw)}")
    return hashlib.sha256(raw).digest()[:20].hex().upper()


def parse_commit(block: dict, height: int) -> tuple[str, set[str]]:
    """(this block's validators_hash, addresses that signed H-1: flag 2 or 3) of ``/block`` result."""
    b = obj(block.get("block"), "block")
    header = obj(b.get("header"), "block.header")
    if uint(header.get("height"), "block.header.height") != height:
        raise invalid(f"block: asked for height {height}, got {str(header.get('height'))[:20]}")
    vhash = header.get("validators_hash")
    if not isinstance(vhash, str) or not vhash:
        raise invalid("block.header.validators_hash: expected a hash")
    commit = obj(b.get("last_commit"), "block.last_commit")
    if uint(commit.get("height"), "last_commit.height") != height - 1:
        raise invalid(f"last_commit.height: expected {height - 1}")
    signed: set[str] = set()
    for i, sig in enumerate(arr(commit.get("signatures"), "last_commit.signatures")):
        s = obj(sig, f"signatures[{i}]")
        flag = s.get("block_id_flag")
        if isinstance(flag, bool) or flag not in (FLAG_ABSENT, FLAG_COMMIT, FLAG_NIL):
            raise invalid(f"signatures[{i}].block_id_flag: expected 1, 2 or 3, got {str(flag)[:10]!r}")
        if flag != FLAG_ABSENT:
            signed.add(hex_address(s.get("validator_address"), f"signatures[{i}].validator_address"))
    return vhash.upper(), signed


def parse_validators_page(result: dict, what: str) -> tuple[dict[str, int], int]:
    """({address: voting power} of one ``/validators`` page, total validators)."""
    out: dict[str, int] = {}
    for i, v in enumerate(arr(result.get("validators"), f"{what}.validators")):
        row = obj(v, f"{what}.validators[{i}]")
        out[hex_address(row.get("address"), f"{what}.validators[{i}].address")] = uint(row.get("voting_power"), f"{what}.validators[{i}].voting_power")
    return out, uint(result.get("total"), f"{what}.total")


class CosmosMonitor(ValidatorMonitor):
    what = "cosmos validator monitor"

    def __init__(self, chain_name: str, chain: CosmosChain, transport: Transport, settings):
        super().__init__(chain_name, chain, log)
        self.transport = transport
        cfg = chain.validators
        self.cfg = cfg
        first = cfg.endpoint or (chain.references[0].name if chain.references else chain.nodes[0].name)
        self.candidates: list[CosmosEndpoint] = [chain.endpoint(n) for n in dict.fromkeys([first, *cfg.fallbacks])]
        self.state_path = Path(cfg.state_file or Path(settings.state_dir) / f"{chain_name}-validators.json")
        self.state_file = StateFile(self.state_path, chain_name)
        self.members: list[Member] = []
        for group, vals in cfg.groups.items():
            seen = set()
            for v in vals:
                key = (v.consensus_address, v.operator_address)
                if key in seen:
                    continue
                seen.add(key)
                self.members.append(Member(group, v.label, v.consensus_address, v.operator_address))
        self.groups = list(cfg.groups)
        self.state = State(groups={g: dict.fromkeys(COUNTERS, 0) for g in self.groups})
        self.loaded = False
        self.facts: dict[int, Facts] = {}  # index in self.members -> facts
        self.params: tuple[int, Decimal] | None = None  # (signed_blocks_window, min_signed_per_window)
        self.valsets: dict[str, dict[str, int]] = {}  # validators_hash -> {address: power}
        self.prev_hash: tuple[int, str] | None = None  # (height, validators_hash) of the last block read
        self.active: dict[str, int] = {}  # the last counted set (address -> power)
        self.signed_ratio: float | None = None
        self.hrp: str | None = chain.bech32_prefix
        self.last_lcd = -math.inf
        self.lcd_failed = False
        self.endpoint = self.candidates[0]

    # ------------------------------------------------------------------ the round loop (ValidatorMonitor)

    async def step(self) -> float:
        started = time.monotonic()
        await self.round()
        return max(0.05, self.cfg.interval_seconds - (time.monotonic() - started))

    def retry_delay(self, exc: Exception) -> float:
        return self.cfg.interval_seconds

    def scrub(self, text: str) -> str:
        return scrub(text, [s for e in self.candidates for s in (*e.urls, *e.secrets)])

    # ------------------------------------------------------------------ HTTP

    async def get(self, endpoint, path: str, what: str, ok_statuses=()) -> Reply:
        deadline = asyncio.get_running_loop().time() + REQUEST_TIMEOUT
        return await self.transport.request(endpoint, method="GET", path=path, deadline=deadline, ok_statuses=ok_statuses)

    async def rpc(self, path: str, what: str) -> dict:
        reply = await self.get(self.endpoint, path, what, RPC_ERROR_STATUSES)
        lowest = lowest_kept_height(reply)
        if lowest is not None:
            raise Pruned(lowest, f"{what}: height not available on {self.endpoint.name}, lowest height is {lowest}")
        return result_of(reply, what)

    # ------------------------------------------------------------------ state file

    def load_state(self) -> None:
        self.loaded = True

        def read(data: dict) -> State:
            if data.get("version") != STATE_VERSION or data.get("chain_id") != self.chain.chain_id:
                raise Foreign(f"version {str(data.get('version'))[:10]}, chain_id {str(data.get('chain_id'))[:60]!r}")
            return State.from_json(data)

        saved = self.state_file.load(read)
        if saved is None:
            return
        saved.groups = {g: saved.groups.get(g, dict.fromkeys(COUNTERS, 0)) for g in self.groups}  # new groups at 0, removed dropped
        self.state = saved
        log.info("cosmos validator monitor resumed", extra={"chain": self.chain_name, "last_height": saved.last_height})

    def save_state(self, state: State) -> None:
        self.state_file.save(state.to_json(self.chain.chain_id))

    # ------------------------------------------------------------------ one round

    async def round(self) -> None:
        """One round on the first candidate endpoint that answers."""
        if not self.loaded:
            self.load_state()
        failures = []
        pruned: dict[int, CosmosEndpoint] = {}
        behind: dict[int, CosmosEndpoint] = {}
        for ep in self.candidates:
            if await self._try(ep, failures, pruned, behind):
                return
        for _ in range(PRUNED_RETRIES):
            if not pruned:
                break
            # Every endpoint that answered no longer keeps the next height (pruned, or state-synced
            # after it): skip to the lowest height one of them keeps, count the gap, go on there
            # (again if the node pruned further meanwhile: the monitor started at its very edge).
            lowest = min(pruned)
            if not self.skip_to(lowest, "pruned"):
                break
            ep, pruned = pruned[lowest], {}
            if await self._try(ep, failures, pruned, behind):
                return
        if behind and self.state.last_height is not None:
            # Every endpoint that answered is below the saved height (restored from an older
            # snapshot, a reset devnet): count nothing, fail, warn once; after 3 such rounds
            # restart at the highest head one of them has, counters kept (ValidatorMonitor).
            head = max(behind)
            if self.check_position(self.state.last_height, head, "blocks") == "wait":
                return  # the failed round is counted in check_position, whatever the LCD did
            self.restart_at(head)
            if await self._try(behind[head], failures, {}, {}):
                return
        self.failures += 1
        raise AllEndpointsFailed("; ".join(failures))

    async def _try(self, ep: CosmosEndpoint, failures: list[str], pruned: dict[int, CosmosEndpoint], behind: dict[int, CosmosEndpoint]) -> bool:
        self.endpoint = ep
        self.lcd_failed = False
        try:
            await self._round()
        except Pruned as failure:
            failures.append(f"{ep.name}: {failure}")
            pruned.setdefault(failure.lowest, ep)
            return False
        except Behind as failure:
            failures.append(f"{ep.name}: {failure}")
            behind.setdefault(failure.head, ep)
            return False
        except ProbeFailure as failure:
            failures.append(f"{ep.name}: {failure}")
            return False
        if self.lcd_failed:
            self.failures += 1  # blocks were counted, but jail figures are stale: a failed round
        else:  # counted up to the node's head: progress
            self.succeeded()
        return True

    def restart_at(self, head: int) -> None:
        """Resync after a saved height the chain did not reach: count on from block ``head``."""
        state = self.state.copy()
        state.last_height = head - 1
        self.prev_hash = None
        self.save_state(state)
        self.state = state

    def skip_to(self, lowest: int, why: str) -> bool:
        """Resume after the blocks an endpoint no longer keeps: block ``lowest + 1`` is the first
        whose commit (for ``lowest``) can be read with its validator set (``/validators`` of a
        height below the lowest kept one is refused too). The heights passed over are counted in
        ``chainwatch_cosmos_monitor_blocks_skipped_total``, as those past ``max_backfill_blocks``."""
        state = self.state.copy()
        if state.last_height is None or lowest <= state.last_height:
            return False
        gap = lowest - state.last_height
        log.warning(
            "cosmos blocks skipped: no longer kept by the node",
            extra={"chain": self.chain_name, "endpoint": self.endpoint.name, "first": state.last_height, "last": lowest - 1, "blocks": gap, "reason": why},
        )
        state.skipped += gap
        state.last_height = lowest
        self.prev_hash = None
        self.save_state(state)
        self.state = state
        self.resynced("behind_retention", first=lowest - gap + 1, last=lowest)
        return True

    async def _round(self) -> None:
        if self.endpoint.lcd is not None and time.monotonic() - self.last_lcd >= self.cfg.lcd_interval_seconds:
            try:
                await self.refresh_lcd()
                self.last_lcd = time.monotonic()
            except ProbeFailure as failure:  # the LCD is down: block counting goes on without it
                self.lcd_failed = True
                self.warn(f"LCD: {failure}")
        status = await self.rpc("/status", "/status")
        network = obj(status.get("node_info"), "status.node_info").get("network")
        if network != self.chain.chain_id:
            raise ProbeFailure("wrong_chain", f"node_info.network {str(network)[:50]!r}, expected {self.chain.chain_id!r}")
        sync = obj(status.get("sync_info"), "status.sync_info")
        latest = uint(sync.get("latest_block_height"), "latest_block_height")
        if latest < 1:
            # CometBFT reports 0 before its first block and while state sync restores a snapshot:
            # no position to count from (nor to restart at), only a failed round.
            raise invalid(f"/status: latest_block_height 0 on {self.endpoint.name}: no block yet")
        earliest = sync.get("earliest_block_height")  # absent on old nodes; "0" / "1": everything kept
        earliest = uint(earliest, "earliest_block_height") if earliest is not None else 0
        last = self.state.last_height
        if last is not None and 1 < earliest <= latest and last < earliest:
            raise Pruned(earliest, f"/status: earliest_block_height {earliest} on {self.endpoint.name}, the monitor is at {last}")
        if last is not None:
            if last > latest:
                raise Behind(latest)
            self.check_position(last, latest, "blocks")  # "ok": a chain that caught up ends the rounds ahead
        await self.count_blocks(latest)

    async def count_blocks(self, latest: int) -> None:
        nxt = self.state.copy()
        if nxt.last_height is None:
            nxt.last_height = latest - 1  # first run: start at the newest block
        if latest - nxt.last_height > self.cfg.max_backfill_blocks:
            gap = latest - nxt.last_height - self.cfg.max_backfill_blocks
            nxt.skipped += gap
            log.warning(
                "cosmos blocks skipped: older than max_backfill_blocks",
                extra={"chain": self.chain_name, "first": nxt.last_height + 1, "last": nxt.last_height + gap, "blocks": gap},
            )
            nxt.last_height += gap
            self.prev_hash = None
        stop = min(latest, nxt.last_height + self.cfg.max_blocks_per_round)
        try:
            for height in range(nxt.last_height + 1, stop + 1):
                await self.count_block(nxt, height)
                nxt.last_height = height
        finally:  # what was counted is saved, so a failure mid-way neither loses nor repeats it
            if nxt.last_height != self.state.last_height or nxt.skipped != self.state.skipped:
                self.save_state(nxt)
                self.state = nxt

    async def count_block(self, state: State, height: int) -> None:
        block = await self.rpc(f"/block?height={height}", "/block")
        vhash, signed = parse_commit(block, height)
        voted = height - 1
        if self.prev_hash is not None and self.prev_hash[0] == voted and self.prev_hash[1] in self.valsets:
            valset = self.valsets[self.prev_hash[1]]
        else:
            valset = await self.validator_set(voted)
            if self.prev_hash is not None and self.prev_hash[0] == voted:
                self.valsets[self.prev_hash[1]] = valset
        self.prev_hash = (height, vhash)
        if len(self.valsets) > 8:
            self.valsets.pop(next(iter(self.valsets)))
        total = sum(valset.values())
        signed_power = sum(p for a, p in valset.items() if a in signed)
        ratio = signed_power / total if total else 0.0
        solo = 3 * signed_power > 2 * total
        self.signed_ratio = round(ratio, 6)
        self.active = valset
        addresses = {m_i: self.address_of(m_i) for m_i in range(len(self.members))}
        for address in set(addresses.values()):
            if address is None:
                continue
            if address not in valset:
                state.consecutive.pop(address, None)  # not in the set: nothing to sign (jailed, unbonded)
            elif address in signed:
                state.consecutive[address] = 0
            else:
                state.consecutive[address] = state.consecutive.get(address, 0) + 1
        counted: set[tuple[str, str]] = set()
        for i, m in enumerate(self.members):
            address = addresses[i]
            if address is None or address not in valset or (m.group, address) in counted:
                continue  # a validator named twice in one group (by both addresses) counts once
            counted.add((m.group, address))
            g = state.groups[m.group]
            g["checked"] += 1
            if address not in signed:
                g["missed"] += 1
                if solo:
                    g["solo_missed"] += 1

    async def validator_set(self, height: int) -> dict[str, int]:
        out: dict[str, int] = {}
        page = 1
        while True:
            result = await self.rpc(f"/validators?height={height}&page={page}&per_page={PER_PAGE}", "/validators")
            rows, total = parse_validators_page(result, "/validators")
            out.update(rows)
            if len(out) >= total or not rows or page >= MAX_PAGES:
                return out
            page += 1

    def unresolved(self, index: int) -> str | None:
        """Why member ``index`` has no consensus address to count by (None: it has one, or the
        LCD has not been asked yet). Configured by operator address only, it needs the LCD's
        ``consensus_pubkey``: no LCD, ``staking: false``, a 404 or an unreadable key leave it unwatched."""
        if self.address_of(index) is not None:
            return None
        m = self.members[index]
        if not (m.operator_address and self.chain.staking) or all(e.lcd is None for e in self.candidates):
            return "no_identity"
        f = self.facts.get(index)
        if f is None:
            return None  # not asked yet
        return f.unresolved or "no_identity"

    def address_of(self, index: int) -> str | None:
        m = self.members[index]
        if m.consensus_address:
            return m.consensus_address
        f = self.facts.get(index)
        return f.address if f else None

    # ------------------------------------------------------------------ LCD

    async def lcd(self, path: str, what: str, ok_statuses=()) -> tuple[int, Any]:
        reply = await self.get(self.endpoint.lcd, path, what, ok_statuses)
        return reply.status, reply.json()

    async def refresh_lcd(self) -> None:
        _, body = await self.lcd("/cosmos/slashing/v1beta1/params", "slashing params")
        p = obj(obj(body, "slashing params").get("params"), "slashing params.params")
        window = uint(p.get("signed_blocks_window"), "params.signed_blocks_window")
        min_signed = dec(p.get("min_signed_per_window"), "params.min_signed_per_window")
        if window == 0 or min_signed > 1:
            raise invalid("slashing params: signed_blocks_window must be > 0 and min_signed_per_window <= 1")
        duration(p.get("downtime_jail_duration"), "params.downtime_jail_duration")
        self.params = (window, min_signed)
        facts: dict[int, Facts] = {}
        for i, m in enumerate(self.members):
            try:
                facts[i] = await self.validator_facts(m)
            except ProbeFailure as failure:  # one validator's bad answer drops only its facts
                if failure.reason not in ("invalid_response", "invalid_json", "http_status"):
                    raise
                facts[i] = Facts(address=m.consensus_address or (self.facts.get(i) or Facts()).address, unresolved="unreadable")
                self.warn(f"validator {m.label}: {failure}")
        self.facts = facts

    async def validator_facts(self, m: Member) -> Facts:
        f = Facts(address=m.consensus_address)
        if m.operator_address and self.chain.staking:
            status, body = await self.lcd(f"/cosmos/staking/v1beta1/validators/{m.operator_address}", "staking validator", ok_statuses=(404,))
            if status == 404:
                f.status, f.unresolved = "unspecified", "not_found"
            else:
                v = obj(obj(body, "staking validator").get("validator"), "staking validator.validator")
                try:
                    derived = consensus_address_of(v.get("consensus_pubkey"), "validator.consensus_pubkey")
                except ProbeFailure as failure:  # a key type or shape we cannot turn into an address
                    if f.address is None:
                        f.unresolved = "no_identity"
                        self.warn(f"validator {m.label}: {failure}")
                    derived = None
                f.address = f.address or derived
                f.jailed = boolean(v.get("jailed"), "validator.jailed")
                raw = v.get("status")
                if not isinstance(raw, str) or raw not in BOND_STATUSES:
                    raise invalid(f"validator.status: unknown bond status {str(raw)[:40]!r}")
                f.status = BOND_STATUSES[raw]
                if self.hrp is None:
                    self.hrp = m.operator_address.split("valoper1")[0]
        if f.address is None:
            return f
        hrp = await self.valcons_hrp()
        if hrp is None:
            return f
        valcons = bech32_encode(hrp + "valcons", bytes.fromhex(f.address))
        status, body = await self.lcd(f"/cosmos/slashing/v1beta1/signing_infos/{valcons}", "signing info", ok_statuses=(404,))
        if status == 404:
            return f  # never bonded: no signing info yet
        info = obj(obj(body, "signing info").get("val_signing_info"), "signing info.val_signing_info")
        f.missed_in_window = uint(info.get("missed_blocks_counter"), "val_signing_info.missed_blocks_counter")
        f.tombstoned = boolean(info.get("tombstoned"), "val_signing_info.tombstoned")
        if not self.chain.staking or f.jailed is None:
            jailed_until = timestamp(info.get("jailed_until"), "val_signing_info.jailed_until")
            # 1970-01-01T00:00:00Z (x/slashing's time.Unix(0, 0) for a validator never jailed) is
            # a sentinel, but not an unknown: it says "not jailed", the 0 the jailed alert needs.
            f.jailed = not zero_time(jailed_until) and jailed_until > time.time()
        return f

    async def valcons_hrp(self) -> str | None:
        """The chain's bech32 prefix: configured, from an operator address, or from one signing info."""
        if self.hrp is None:
            _, body = await self.lcd("/cosmos/slashing/v1beta1/signing_infos?pagination.limit=1", "signing infos")
            infos = arr(obj(body, "signing infos").get("info"), "signing infos.info")
            if infos:
                decoded = bech32_decode(str(obj(infos[0], "info[0]").get("address")))
                if decoded and decoded[0].endswith("valcons"):
                    self.hrp = decoded[0].removesuffix("valcons")
        return self.hrp

    # ------------------------------------------------------------------ exposition

    def samples(self) -> list[tuple[str, dict, float]]:
        base = {"chain": self.chain_name, "network": self.chain.network}
        out: list[tuple[str, dict, float]] = []
        s = self.state
        block_time = self.chain.block_time
        for group in self.groups:
            labels = {**base, "group": group}
            counts = s.groups[group]
            out.append(("chainwatch_cosmos_validator_blocks_checked_total", labels, counts["checked"]))
            out.append(("chainwatch_cosmos_validator_missed_blocks_total", labels, counts["missed"]))
            out.append(("chainwatch_cosmos_validator_solo_missed_blocks_total", labels, counts["solo_missed"]))
            idx = [i for i, m in enumerate(self.members) if m.group == group]
            addresses = {self.address_of(i) for i in idx} - {None}
            unresolved = dict.fromkeys(UNRESOLVED_REASONS, 0)
            for i in idx:
                why = self.unresolved(i)
                if why is not None:
                    unresolved[why] += 1
            for why, n in unresolved.items():
                out.append(("chainwatch_validator_monitor_unresolved_validators", {**labels, "reason": why}, n))
            out.append(("chainwatch_cosmos_validator_consecutive_missed_blocks", labels, max((s.consecutive.get(a, 0) for a in addresses), default=0)))
            out.append(("chainwatch_cosmos_validators_active", labels, sum(1 for a in addresses if a in self.active)))
            out.append(("chainwatch_cosmos_validator_voting_power", labels, sum(self.active.get(a, 0) for a in addresses)))
            facts = {}
            for i in idx:  # one entry per validator (a validator named by both addresses is one)
                f = self.facts.get(i)
                if f is not None:
                    facts[self.address_of(i) or self.members[i].operator_address] = f
            if not facts:
                continue
            windows = [f.missed_in_window for f in facts.values() if f.missed_in_window is not None]
            if windows:
                out.append(("chainwatch_cosmos_validator_signing_window_missed_blocks", labels, max(windows)))
            if self.params is not None:
                window, min_signed = self.params
                left = [
                    blocks_until_jail(window, min_signed, f.missed_in_window)
                    for f in facts.values()
                    if f.missed_in_window is not None and not f.jailed and not f.tombstoned
                ]
                if left:
                    out.append(("chainwatch_cosmos_validator_blocks_until_jail", labels, min(left)))
                    out.append(("chainwatch_cosmos_validator_time_until_jail_seconds", labels, round(min(left) * block_time, 3)))
            out.append(("chainwatch_cosmos_validator_jailed", labels, sum(1 for f in facts.values() if f.jailed)))
            out.append(("chainwatch_cosmos_validator_tombstoned", labels, sum(1 for f in facts.values() if f.tombstoned)))
            if self.chain.staking and any(f.status for f in facts.values()):
                for status in STATUS_LABELS:
                    out.append(("chainwatch_cosmos_validator_bond_status", {**labels, "status": status}, sum(1 for f in facts.values() if f.status == status)))
        if s.last_height is not None:
            out.append(("chainwatch_cosmos_monitor_last_height", base, s.last_height))
        if self.signed_ratio is not None:
            out.append(("chainwatch_cosmos_commit_signed_power_ratio", base, self.signed_ratio))
        out.append(("chainwatch_cosmos_monitor_blocks_skipped_total", base, s.skipped))
        return out + self.health_samples(base)


def create(chain_name: str, chain: CosmosChain, transport: Transport, settings) -> CosmosMonitor:
    return CosmosMonitor(chain_name, chain, transport, settings)

"""A SIMULATED CometBFT chain with a Cosmos SDK REST (LCD) API — for tests and the demo only.

This is **not** a CometBFT node and runs no consensus: no CometBFT / Cosmos SDK node can be
installed here, so chainwatch's ``cosmos`` probe and validator monitor are exercised against
this small simulator instead. Its answers follow the public API documentation:

- CometBFT v0.38 RPC (https://docs.cometbft.com/v0.38/rpc/): ``/status``, ``/net_info``, ``/abci_info``,
  ``/block?height=``, ``/validators?height=&page=&per_page=`` over URI (GET) and JSON-RPC
  (POST), heights and powers as decimal strings, ``block_id_flag`` 1 absent / 2 commit /
  3 nil, absent votes with an empty ``validator_address`` and a null signature, errors as
  ``{"error": {"code": -32603, "message": "Internal error", "data": "..."}}`` with HTTP 500;
- Cosmos SDK gRPC-gateway REST: ``/cosmos/upgrade/v1beta1/current_plan`` (``{"plan": null}``
  or the plan with its height as a string), ``/cosmos/slashing/v1beta1/params``,
  ``/cosmos/slashing/v1beta1/signing_infos[/{valcons}]``,
  ``/cosmos/staking/v1beta1/validators/{valoper}`` (``BOND_STATUS_*``), errors as
  ``{"code": 5, "message": "...", "details": []}`` with HTTP 404.

The shapes are checked by an independent client in tests/cosmos/test_cosmjs.py: the npm
``@cosmjs/tendermint-rpc`` decoders parse this simulator's answers.

Model
-----
- A block clock produces a block every ``block_seconds`` while more than 2/3 of the voting
  power signs (a validator told to stop signing, or jailed, does not); otherwise, or when
  ``halt`` is set, no block is made (a real chain stalls the same way).
- Block H's ``last_commit`` holds the precommits for H-1, one entry per validator of H-1's
  set in set order (power descending, then address): flag 2 for a signer, 1 (absent) for
  the others. ``header.validators_hash`` is a SHA-256 over the set's (address, power) —
  stable while the set is, not the real Merkle hash.
- x/slashing: a sliding window of ``signed_blocks_window`` blocks per validator; after each
  block, a validator whose ``missed_blocks_counter`` exceeds
  ``window - round(window x min_signed_per_window)`` (past ``start_height + window``) is jailed
  for ``downtime_jail_duration``, leaves the set, and its window is reset — as the SDK's
  ``HandleValidatorSignature`` does.
- Several RPC "nodes" share one port, one path prefix each: RPC at ``/<node>`` and LCD at
  ``/<node>/lcd``. A node can be held back (its height stops), made to catch up
  (``catching_up: true`` and held), put on another network, or taken down (HTTP 503).

Controls
--------
Python API on :class:`Chain` (``stop_signing``, ``resume_signing``, ``halt``, ``resume``,
``catch_up``, ``caught_up``, ``hold``, ``release``, ``set_network``, ``set_down``, ``jail``,
``unjail``, ``tombstone``) and the same over HTTP: ``POST /-/control`` with
``{"action": "stop_signing", "validator": "val-1"}``, ``{"action": "halt"}``,
``{"action": "catch_up", "node": "rpc-1"}``, ``{"action": "set_network", "node": "rpc-1",
"network": "other-1"}`` ...; ``GET /-/state`` shows heights, nodes and validators (with their
addresses, for configs).

Run it: ``python -m chainwatch.kinds.cosmos.simulator --port 26657``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import bech32
from aiohttp import web

from chainwatch.devnet.simulator import Simulation, serve
from chainwatch.devnet.simulator import Simulator as _Simulator

log = logging.getLogger("chainwatch.simulators.cosmos")

COMETBFT_VERSION = "0.38.17"
APP_VERSION = "v1.0.0"  # the simulated application's version (/abci_info)
SIM_CHAIN_ID = "simcosmos-1"
OTHER_NETWORK = "othernet-1"
HRP = "cosmos"
ZERO_TIME = "0001-01-01T00:00:00Z"
MAX_HISTORY = 20_000  # blocks kept (older ones answer "height is not available")
FLAG_ABSENT, FLAG_COMMIT, FLAG_NIL = 1, 2, 3


def rfc3339(ts: float) -> str:
    """RFC 3339 with nanoseconds, as CometBFT prints times (``2024-05-01T12:00:00.123456789Z``)."""
    dt = datetime.fromtimestamp(ts, timezone.utc)
    nanos = int(round((ts - int(ts)) * 1e9)) % 1_000_000_000
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def bech(hrp: str, raw: bytes) -> str:
    return bech32.bech32_encode(hrp, bech32.convertbits(raw, 8, 5))


def _hex(seed: str, n: int = 32) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[: 2 * n].upper()


@dataclass
class Validator:
    name: str
    power: int
    signing: bool = True
    jailed: bool = False
    tombstoned: bool = False
    status: str = "BOND_STATUS_BONDED"
    jailed_until: float = 0.0
    start_height: int = 0
    index_offset: int = 0
    missed: list[int] = field(default_factory=list)  # heights missed inside the window

    def __post_init__(self):
        self.pubkey = hashlib.sha256(f"chainwatch-simulator/cosmos/{self.name}".encode()).digest()  # ed25519 key bytes
        self.address_bytes = hashlib.sha256(self.pubkey).digest()[:20]  # CometBFT: SHA-256(pubkey)[:20]
        self.address = self.address_bytes.hex().upper()
        self.valoper = bech(HRP + "valoper", hashlib.sha256(f"operator/{self.name}".encode()).digest()[:20])
        self.valcons = bech(HRP + "valcons", self.address_bytes)


@dataclass
class Node:
    name: str
    held_at: int | None = None
    catching_up: bool = False
    network: str | None = None
    down: bool = False
    peers: int = 8
    net_info_closed: bool = False  # answers /net_info with HTTP 403, as providers that close it do
    lowest: int | None = None  # pruned (min-retain-blocks) or state-synced: the first height this node keeps
    app_version: str = APP_VERSION  # the application's version (/abci_info response.version, e.g. gaiad's)


@dataclass
class Block:
    height: int
    time: float
    proposer: str
    validators: list[tuple[str, int]]  # (address, power) of this height's set, in set order
    votes: list[tuple[int, str, float]]  # last_commit: (flag, address or "", timestamp) for height-1
    validators_hash: str


class RpcError(Exception):
    def __init__(self, message: str, data: str = ""):
        super().__init__(message)
        self.message, self.data = message, data


class Chain(Simulation):
    """The simulated chain: block clock, validator set, x/slashing window, and its nodes."""

    def __init__(
        self,
        nodes=("rpc-1", "ref-1", "ref-2", "ref-3"),
        validators: list[Validator] | None = None,
        *,
        chain_id: str = SIM_CHAIN_ID,
        block_seconds: float = 1.0,
        signed_blocks_window: int = 100,
        min_signed_per_window: str = "0.500000000000000000",
        downtime_jail_seconds: int = 600,
        start_height: int = 1000,
        manual: bool = False,
    ):
        self.nodes = {n: Node(n) for n in nodes}
        self.validators = (
            validators if validators is not None else [Validator(f"val-{i}", power=26 - 2 * i) for i in range(1, 6)]
        )  # 24..16: no single one holds 1/3
        self.chain_id = chain_id
        self.block_seconds = block_seconds
        self.manual = manual
        self.window = signed_blocks_window
        self.min_signed = min_signed_per_window
        self.downtime_jail_seconds = downtime_jail_seconds
        self.halted = False
        self.plan: tuple[str, int] | None = None  # x/upgrade's current plan: (name, height)
        self.requests: Counter[str] = Counter()  # RPC method / LCD route -> requests served (tests count reads)
        self.blocks: dict[int, Block] = {}
        self.height = start_height
        self.first_height = start_height - 1  # the oldest block served, with an empty commit as block 1 has
        self.blocks[start_height - 1] = self._make_block(start_height - 1, [])
        first = self.blocks[start_height - 1]
        self.blocks[start_height] = self._make_block(start_height, [(FLAG_COMMIT, a, first.time) for a, _ in first.validators])

    # ------------------------------------------------------------------ model

    def active_set(self) -> list[Validator]:
        active = [v for v in self.validators if not v.jailed and not v.tombstoned and v.status == "BOND_STATUS_BONDED"]
        return sorted(active, key=lambda v: (-v.power, v.address))

    @staticmethod
    def set_hash(vals: list[tuple[str, int]]) -> str:
        return hashlib.sha256(";".join(f"{a}:{p}" for a, p in vals).encode()).hexdigest().upper()

    def _make_block(self, height: int, votes: list[tuple[int, str, float]]) -> Block:
        vals = [(v.address, v.power) for v in self.active_set()]
        proposer = vals[height % len(vals)][0] if vals else self.validators[0].address
        return Block(height, time.time(), proposer, vals, votes, self.set_hash(vals))

    def max_missed(self) -> int:
        minimum = (Decimal(self.min_signed) * self.window).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)  # LegacyDec.RoundInt64
        return self.window - int(minimum)

    def advance(self) -> bool:
        """Try to make block height+1; False when less than 2/3+ of the power would sign."""
        if self.halted:
            return False
        prev = self.blocks[self.height]
        by_addr = {v.address: v for v in self.validators}
        total = sum(p for _, p in prev.validators)
        signed = sum(p for a, p in prev.validators if by_addr[a].signing)
        if total == 0 or 3 * signed <= 2 * total:
            return False
        now = time.time()
        votes = [(FLAG_COMMIT, a, now) if by_addr[a].signing else (FLAG_ABSENT, "", 0.0) for a, _ in prev.validators]
        self._slashing(prev)
        self.height += 1
        self.blocks[self.height] = self._make_block(self.height, votes)
        if len(self.blocks) > MAX_HISTORY:
            for h in sorted(self.blocks)[: len(self.blocks) - MAX_HISTORY]:
                del self.blocks[h]
            self.first_height = min(self.blocks)
        return True

    def _slashing(self, voted: Block) -> None:
        """x/slashing BeginBlocker for the votes on ``voted`` (made into the next block)."""
        by_addr = {v.address: v for v in self.validators}
        for address, _ in voted.validators:
            v = by_addr[address]
            v.index_offset += 1
            if not v.signing:
                v.missed.append(voted.height)
            v.missed = [h for h in v.missed if h > voted.height - self.window]
            if voted.height > v.start_height + self.window and len(v.missed) > self.max_missed():
                self.jail(v.name, seconds=self.downtime_jail_seconds)

    @property
    def clock_seconds(self) -> float | None:
        """A block every ``block_seconds``; a chain with ``manual=True`` only moves on ``advance()``."""
        return None if self.manual else self.block_seconds

    def tick(self) -> None:
        self.advance()

    # ------------------------------------------------------------------ controls

    def node(self, name: str) -> Node:
        if name not in self.nodes:
            raise KeyError(f"unknown node {name!r} (nodes: {', '.join(self.nodes)})")
        return self.nodes[name]

    def validator(self, key: str) -> Validator:
        for v in self.validators:
            if key in (v.name, v.address, v.valoper, v.valcons):
                return v
        raise KeyError(f"unknown validator {key!r}")

    def node_height(self, node: Node) -> int:
        return self.height if node.held_at is None else min(node.held_at, self.height)

    def node_lowest(self, node: Node) -> int:
        return self.first_height if node.lowest is None else max(self.first_height, min(node.lowest, self.node_height(node)))

    def prune(self, node: str, keep: int) -> None:
        """The node keeps only its last ``keep`` blocks from now on (as after ``min-retain-blocks``
        pruning or a state-sync bootstrap): older heights answer "height X is not available"."""
        n = self.node(node)
        n.lowest = self.node_height(n) - keep + 1

    def stop_signing(self, validator: str) -> None:
        self.validator(validator).signing = False

    def resume_signing(self, validator: str) -> None:
        self.validator(validator).signing = True

    def halt(self) -> None:
        self.halted = True

    def resume(self) -> None:
        self.halted = False

    def hold(self, node: str) -> None:
        n = self.node(node)
        n.held_at = self.node_height(n)

    def release(self, node: str) -> None:
        n = self.node(node)
        n.held_at, n.catching_up = None, False

    def catch_up(self, node: str) -> None:
        """The node reports ``catching_up: true`` and its height stops (it replays blocks)."""
        self.hold(node)
        self.node(node).catching_up = True

    def caught_up(self, node: str) -> None:
        self.release(node)

    def set_network(self, node: str, network: str | None = OTHER_NETWORK) -> None:
        self.node(node).network = network

    def set_down(self, node: str, down: bool = True) -> None:
        self.node(node).down = down

    def jail(self, validator: str, seconds: float | None = None) -> None:
        v = self.validator(validator)
        v.jailed = True
        v.status = "BOND_STATUS_UNBONDING"
        v.jailed_until = time.time() + (self.downtime_jail_seconds if seconds is None else seconds)
        v.missed, v.index_offset = [], 0  # the SDK resets the window on a downtime jail

    def unjail(self, validator: str) -> None:
        v = self.validator(validator)
        v.jailed, v.status, v.signing = False, "BOND_STATUS_BONDED", True
        v.start_height = self.height + 1

    def tombstone(self, validator: str) -> None:
        v = self.validator(validator)
        self.jail(validator, seconds=253402300799 - time.time())  # 9999-12-31T23:59:59Z, as DoubleSignJailEndTime
        v.tombstoned = True

    def schedule_upgrade(self, name: str | None, height: int = 0) -> None:
        """Schedule x/upgrade plan ``name`` at ``height`` (None: no plan, as after it was applied)."""
        self.plan = (name, height) if name is not None else None

    def control(self, body: dict) -> None:
        action = body.get("action")
        actions = {
            "stop_signing": lambda: self.stop_signing(body["validator"]),
            "resume_signing": lambda: self.resume_signing(body["validator"]),
            "halt": self.halt,
            "resume": self.resume,
            "hold": lambda: self.hold(body["node"]),
            "release": lambda: self.release(body["node"]),
            "catch_up": lambda: self.catch_up(body["node"]),
            "caught_up": lambda: self.caught_up(body["node"]),
            "set_network": lambda: self.set_network(body["node"], body.get("network") or OTHER_NETWORK),
            "reset_network": lambda: self.set_network(body["node"], None),
            "down": lambda: self.set_down(body["node"], True),
            "up": lambda: self.set_down(body["node"], False),
            "close_net_info": lambda: setattr(self.node(body["node"]), "net_info_closed", True),
            "jail": lambda: self.jail(body["validator"]),
            "unjail": lambda: self.unjail(body["validator"]),
            "tombstone": lambda: self.tombstone(body["validator"]),
            "schedule_upgrade": lambda: self.schedule_upgrade(body["name"], int(body["height"])),
            "clear_upgrade": lambda: self.schedule_upgrade(None),
            "set_app_version": lambda: setattr(self.node(body["node"]), "app_version", str(body["version"])),
        }
        if action not in actions:
            raise ValueError(f"unknown action {action!r} (actions: {', '.join(actions)})")
        actions[action]()

    def state(self) -> dict:
        return {
            "simulator": True,
            "chain_id": self.chain_id,
            "height": self.height,
            "halted": self.halted,
            "slashing": {"signed_blocks_window": self.window, "min_signed_per_window": self.min_signed, "max_missed": self.max_missed()},
            "nodes": {
                n.name: {"height": self.node_height(n), "catching_up": n.catching_up, "network": n.network or self.chain_id, "down": n.down}
                for n in self.nodes.values()
            },
            "validators": [
                {
                    "name": v.name,
                    "address": v.address,
                    "valoper": v.valoper,
                    "valcons": v.valcons,
                    "power": v.power,
                    "signing": v.signing,
                    "jailed": v.jailed,
                    "tombstoned": v.tombstoned,
                    "status": v.status,
                    "missed_blocks_counter": len(v.missed),
                }
                for v in self.validators
            ],
        }

    # ------------------------------------------------------------------ CometBFT RPC (result objects)

    def _height_param(self, node: Node, value: Any) -> int:
        top = self.node_height(node)
        if value in (None, "", 0, "0"):
            return top
        try:
            h = int(value)
        except (TypeError, ValueError):
            raise RpcError("Invalid params", f"error converting height: {value!r}") from None
        if h <= 0:
            raise RpcError("Internal error", "height must be greater than 0, but got %d" % h)
        if h > top:
            raise RpcError("Internal error", f"height {h} must be less than or equal to the current blockchain height {top}")
        lowest = self.node_lowest(node)
        if h < lowest:
            raise RpcError("Internal error", f"height {h} is not available, lowest height is {lowest}")
        return h

    def _node_info(self, node: Node) -> dict:
        return {
            "protocol_version": {"p2p": "8", "block": "11", "app": "0"},
            "id": _hex(f"node/{node.name}", 20).lower(),
            "listen_addr": "tcp://0.0.0.0:26656",
            "network": node.network or self.chain_id,
            "version": COMETBFT_VERSION,
            "channels": "40202122233038606100",
            "moniker": node.name,
            "other": {"tx_index": "on", "rpc_address": "tcp://127.0.0.1:26657"},
        }

    def rpc_abci_info(self, node: Node, params: dict) -> dict:
        # rpc/core/abci.go ABCIInfo: the application's ResponseInfo; Cosmos SDK apps put their
        # version (gaiad v17.2.0) in "version", heights as decimal strings.
        top = self.node_height(node)
        return {
            "response": {
                "data": "SimApp",
                "version": node.app_version,
                "app_version": "0",
                "last_block_height": str(top),
                "last_block_app_hash": base64.b64encode(bytes.fromhex(_hex(f"app/{top}"))).decode(),
            }
        }

    def _block_id(self, height: int) -> dict:
        return {"hash": _hex(f"block/{self.chain_id}/{height}"), "parts": {"total": 1, "hash": _hex(f"parts/{height}")}}

    def rpc_status(self, node: Node, params: dict) -> dict:
        h = self.node_height(node)
        if h == 0:
            # No block stored yet (a fresh node, or state sync restoring a snapshot): rpc/core/status.go
            # leaves the hashes empty, the heights 0 and the times at Unix 0.
            empty = {"hash": "", "app_hash": "", "height": "0", "time": "1970-01-01T00:00:00Z"}
            sync = {f"{edge}_block_{k}" if k != "app_hash" else f"{edge}_app_hash": v for edge in ("latest", "earliest") for k, v in empty.items()}
            return {"node_info": self._node_info(node), "sync_info": {**sync, "catching_up": True}, "validator_info": self._validator_info(node)}
        b = self.blocks[h]
        first = self.blocks[self.node_lowest(node)]
        return {
            "node_info": self._node_info(node),
            "sync_info": {
                "latest_block_hash": self._block_id(h)["hash"],
                "latest_app_hash": _hex(f"app/{h}"),
                "latest_block_height": str(h),
                "latest_block_time": rfc3339(b.time),
                "earliest_block_hash": self._block_id(first.height)["hash"],
                "earliest_app_hash": _hex(f"app/{first.height}"),
                "earliest_block_height": str(first.height),
                "earliest_block_time": rfc3339(first.time),
                "catching_up": node.catching_up,
            },
            "validator_info": self._validator_info(node),
        }

    def _validator_info(self, node: Node) -> dict:
        return {
            "address": _hex(f"nodekey/{node.name}", 20),
            "pub_key": {"type": "tendermint/PubKeyEd25519", "value": base64.b64encode(hashlib.sha256(node.name.encode()).digest()).decode()},
            "voting_power": "0",
        }

    def rpc_net_info(self, node: Node, params: dict) -> dict:
        peers = [
            {
                "node_info": self._node_info(Node(f"{node.name}-peer-{i}")),
                "is_outbound": i % 2 == 0,
                "connection_status": {"Duration": "3600000000000", "SendMonitor": {}, "RecvMonitor": {}, "Channels": []},
                "remote_ip": f"127.0.0.{i + 2}",
            }
            for i in range(node.peers)
        ]
        return {"listening": True, "listeners": ["Listener(@)"], "n_peers": str(node.peers), "peers": peers}

    def rpc_block(self, node: Node, params: dict) -> dict:
        h = self._height_param(node, params.get("height"))
        b = self.blocks[h]
        prev_id = self._block_id(h - 1) if h > 1 else {"hash": "", "parts": {"total": 0, "hash": ""}}
        header = {
            "version": {"block": "11", "app": "0"},
            "chain_id": self.chain_id,
            "height": str(h),
            "time": rfc3339(b.time),
            "last_block_id": prev_id,
            "last_commit_hash": _hex(f"lastcommit/{h}"),
            "data_hash": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "validators_hash": b.validators_hash,
            "next_validators_hash": b.validators_hash,
            "consensus_hash": _hex("consensus"),
            "app_hash": _hex(f"app/{h - 1}"),
            "last_results_hash": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "evidence_hash": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "proposer_address": b.proposer,
        }
        sigs = [
            {
                "block_id_flag": flag,
                "validator_address": addr,
                "timestamp": rfc3339(ts) if flag != FLAG_ABSENT else ZERO_TIME,
                "signature": base64.b64encode(hashlib.sha512(f"{addr}/{h}".encode()).digest()).decode() if flag != FLAG_ABSENT else None,
            }
            for flag, addr, ts in b.votes
        ]
        last_commit = {"height": str(h - 1), "round": 0, "block_id": prev_id, "signatures": sigs}
        if not sigs:  # the oldest block: no commit to carry (as block 1)
            last_commit = {"height": "0", "round": 0, "block_id": {"hash": "", "parts": {"total": 0, "hash": ""}}, "signatures": []}
        return {"block_id": self._block_id(h), "block": {"header": header, "data": {"txs": []}, "evidence": {"evidence": []}, "last_commit": last_commit}}

    def rpc_validators(self, node: Node, params: dict) -> dict:
        h = self._height_param(node, params.get("height"))
        vals = self.blocks[h].validators
        try:
            page = int(params.get("page") or 1)
            per_page = int(params.get("per_page") or 30)
        except (TypeError, ValueError):
            raise RpcError("Invalid params", "page and per_page must be integers") from None
        per_page = max(1, min(per_page, 100))  # CometBFT caps per_page at 100
        pages = max(1, -(-len(vals) // per_page))
        if not 1 <= page <= pages:
            raise RpcError("Internal error", f"page should be within [1, {pages}] range, given {page}")
        by_addr = {v.address: v for v in self.validators}
        chunk = vals[(page - 1) * per_page : page * per_page]
        return {
            "block_height": str(h),
            "validators": [
                {
                    "address": a,
                    "pub_key": {"type": "tendermint/PubKeyEd25519", "value": base64.b64encode(by_addr[a].pubkey).decode()},
                    "voting_power": str(p),
                    "proposer_priority": "0",
                }
                for a, p in chunk
            ],
            "count": str(len(chunk)),
            "total": str(len(vals)),
        }

    # ------------------------------------------------------------------ LCD (Cosmos SDK REST)

    def _signing_info(self, v: Validator) -> dict:
        return {
            "address": v.valcons,
            "start_height": str(v.start_height),
            "index_offset": str(v.index_offset),
            "jailed_until": rfc3339(v.jailed_until).replace(".000000000", "") if v.jailed_until else "1970-01-01T00:00:00Z",
            "tombstoned": v.tombstoned,
            "missed_blocks_counter": str(len(v.missed)),
        }

    def lcd(self, path: str, query) -> tuple[int, dict]:
        not_found = (404, {"code": 5, "message": "not found", "details": []})
        if path == "cosmos/upgrade/v1beta1/current_plan":
            # x/upgrade QueryCurrentPlanResponse: {"plan": null} without a plan; height an int64 string,
            # time the zero time (deprecated since v0.46, heights only).
            if self.plan is None:
                return 200, {"plan": None}
            name, height = self.plan
            return 200, {"plan": {"name": name, "time": "0001-01-01T00:00:00Z", "height": str(height), "info": "", "upgraded_client_state": None}}
        if path == "cosmos/slashing/v1beta1/params":
            return 200, {
                "params": {
                    "signed_blocks_window": str(self.window),
                    "min_signed_per_window": self.min_signed,
                    "downtime_jail_duration": f"{self.downtime_jail_seconds}s",
                    "slash_fraction_double_sign": "0.050000000000000000",
                    "slash_fraction_downtime": "0.000100000000000000",
                }
            }
        if path == "cosmos/slashing/v1beta1/signing_infos":
            infos = [self._signing_info(v) for v in self.validators]
            limit = int(query.get("pagination.limit", "100") or 100)
            offset = int(query.get("pagination.key", "0") or 0) if query.get("pagination.key", "0").isdigit() else 0
            page = infos[offset : offset + limit]
            nxt = str(offset + limit) if offset + limit < len(infos) else None
            return 200, {"info": page, "pagination": {"next_key": nxt, "total": str(len(infos))}}
        if path.startswith("cosmos/slashing/v1beta1/signing_infos/"):
            key = path.rsplit("/", 1)[1]
            for v in self.validators:
                if v.valcons == key:
                    return 200, {"val_signing_info": self._signing_info(v)}
            return 404, {"code": 5, "message": f"SigningInfo not found for validator {key}: key not found", "details": []}
        if path.startswith("cosmos/staking/v1beta1/validators/"):
            key = path.rsplit("/", 1)[1]
            for v in self.validators:
                if v.valoper == key:
                    return 200, {
                        "validator": {
                            "operator_address": v.valoper,
                            "consensus_pubkey": {"@type": "/cosmos.crypto.ed25519.PubKey", "key": base64.b64encode(v.pubkey).decode()},
                            "jailed": v.jailed,
                            "status": v.status,
                            "tokens": str(v.power * 10**6),
                            "delegator_shares": f"{v.power * 10**6}.000000000000000000",
                            "description": {"moniker": v.name, "identity": "", "website": "", "security_contact": "", "details": ""},
                            "unbonding_height": "0",
                            "unbonding_time": "1970-01-01T00:00:00Z",
                            "commission": {
                                "commission_rates": {
                                    "rate": "0.050000000000000000",
                                    "max_rate": "0.200000000000000000",
                                    "max_change_rate": "0.010000000000000000",
                                },
                                "update_time": "2024-01-01T00:00:00Z",
                            },
                            "min_self_delegation": "1",
                            "unbonding_on_hold_ref_count": "0",
                            "unbonding_ids": [],
                        }
                    }
            return 404, {"code": 5, "message": f"rpc error: code = NotFound desc = validator {key} not found: key not found", "details": []}
        return not_found

    # ------------------------------------------------------------------ HTTP

    def call(self, node: Node, method: str, params: Any) -> Any:
        self.requests[method] += 1
        handler = getattr(self, f"rpc_{method}", None)
        if handler is None:
            raise RpcError("Method not found")
        if params is None or params == []:
            params = {}
        if not isinstance(params, dict):
            raise RpcError("Invalid params", "expected an object of named params")
        return handler(node, params)

    def _node(self, request: web.Request) -> Node | web.Response:
        name = request.match_info["node"]
        node = self.nodes.get(name)
        if node is None:
            return web.Response(status=404, text=f"no simulated node {name!r}\n")
        if node.down:
            return web.Response(status=503, text="simulated node is down\n")
        return node

    @staticmethod
    def _rpc_reply(request_id: Any, fn) -> web.Response:
        try:
            return web.json_response({"jsonrpc": "2.0", "id": request_id, "result": fn()})
        except RpcError as exc:
            code = -32601 if exc.message == "Method not found" else (-32602 if exc.message == "Invalid params" else -32603)
            status = 404 if code == -32601 else 500
            return web.json_response({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": exc.message, "data": exc.data}}, status=status)

    async def handle_uri(self, request: web.Request) -> web.Response:
        node = self._node(request)
        if isinstance(node, web.Response):
            return node
        # URI params are JSON-ish: height=5 or height="5"
        params = {k: v.strip('"') for k, v in request.query.items()}
        if node.net_info_closed and request.match_info["method"] == "net_info":
            return web.Response(status=403, text="Forbidden\n")
        return self._rpc_reply(-1, lambda: self.call(node, request.match_info["method"], params))

    async def handle_jsonrpc(self, request: web.Request) -> web.Response:
        node = self._node(request)
        if isinstance(node, web.Response):
            return node
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"jsonrpc": "2.0", "id": -1, "error": {"code": -32700, "message": "Parse error", "data": ""}}, status=500)
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            return web.json_response({"jsonrpc": "2.0", "id": -1, "error": {"code": -32600, "message": "Invalid Request", "data": ""}}, status=400)
        return self._rpc_reply(body.get("id", -1), lambda: self.call(node, body["method"], body.get("params")))

    async def handle_lcd(self, request: web.Request) -> web.Response:
        node = self._node(request)
        if isinstance(node, web.Response):
            return node
        path = request.match_info["path"].strip("/")
        self.requests["lcd:" + "/".join(path.split("/")[:4])] += 1
        status, body = self.lcd(path, request.query)
        return web.json_response(body, status=status)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/{node}/lcd/{path:.*}", self.handle_lcd)
        app.router.add_post("/{node}", self.handle_jsonrpc)
        app.router.add_post("/{node}/", self.handle_jsonrpc)
        app.router.add_get("/{node}/{method}", self.handle_uri)


class Simulator(_Simulator):
    """A :class:`Chain` on a loopback port: node ``n``'s RPC at :meth:`url`, its LCD at :meth:`lcd_url`."""

    def lcd_url(self, node: str) -> str:
        return self.url(f"{node}/lcd")


def chain_config(chain: Chain, base_url: str, name: str = "cosmos-sim", state_file: str | None = None) -> str:
    """A ``chainwatch.yaml`` chain block for this simulated chain: nodes whose name starts
    with ``ref`` are references, the others nodes; validators in one group ``sim``, the
    first by consensus address, the others by operator address."""
    lines = [
        f"  {name}:",
        "    kind: cosmos",
        "    network: simnet",
        f"    chain_id: {chain.chain_id}",
        f"    block_time_seconds: {chain.block_seconds}",
        "    endpoints:",
    ]
    for n in chain.nodes:
        role = "reference" if n.startswith("ref") else "node"
        lines.append(f'      - {{name: {n}, url: "{base_url}/{n}", lcd_url: "{base_url}/{n}/lcd", role: {role}}}')
    lines += ["    validators:", "      groups:", "        sim:"]
    for i, v in enumerate(chain.validators):
        lines.append(f'          - {{consensus_address: "{v.address}"}}' if i == 0 else f"          - {{operator_address: {v.valoper}}}")
    if state_file:
        lines.append(f"      state_file: {state_file}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m chainwatch.kinds.cosmos.simulator", description="SIMULATED CometBFT chain with a Cosmos SDK LCD (tests and demo; not a node)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="Listen address (loopback by default).")
    parser.add_argument("--port", type=int, default=26657)
    parser.add_argument("--nodes", default="rpc-1,ref-1,ref-2,ref-3", help="Comma-separated node names; RPC at /N, LCD at /N/lcd.")
    parser.add_argument("--validators", type=int, default=5)
    parser.add_argument("--block-ms", type=float, default=1000.0)
    parser.add_argument("--window", type=int, default=100, help="x/slashing signed_blocks_window.")
    parser.add_argument("--print-config", action="store_true", help="Print a chainwatch.yaml chain for this simulated chain and exit.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    chain = Chain(
        [n.strip() for n in args.nodes.split(",") if n.strip()],
        [Validator(f"val-{i}", power=20 + args.validators - i) for i in range(1, args.validators + 1)],  # near-equal: no single one holds 1/3
        block_seconds=args.block_ms / 1000,
        signed_blocks_window=args.window,
    )
    if args.print_config:
        print(chain_config(chain, f"http://{args.host}:{args.port}"), end="")
        return
    log.info("SIMULATED CometBFT chain %s on http://%s:%d/<node> (nodes: %s)", chain.chain_id, args.host, args.port, ", ".join(chain.nodes))
    serve(chain, args.host, args.port)


if __name__ == "__main__":
    main()

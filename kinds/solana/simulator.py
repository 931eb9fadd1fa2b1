"""A SIMULATED Solana cluster with a JSON-RPC interface — for tests and the demo only.

This is **not** a Solana validator and runs no consensus: no real Solana RPC server
(solana-test-validator, agave, surfpool) can be installed here, so chainwatch's Solana
probe and validator monitor are exercised against this small simulator instead. Its
answers are shaped as the public Solana RPC documentation shows them
(https://solana.com/docs/rpc/http), including the ``-32005 Node is behind by N slots``
error of ``getHealth``; the numbers are made up by a slot clock.

Model
-----
- A slot clock advances the cluster tip every ``slot_seconds`` (400 ms by default). Each
  validator leads 4 consecutive slots in turn (round-robin schedule). A leader with a
  skip ratio *r* skips exactly ``floor(k*r)`` of its first *k* leader slots; skipped
  slots have no block (``getBlockTime`` answers -32009) and never become confirmed.
- ``processed`` is the tip, ``confirmed`` the newest produced slot at least one behind
  it, ``finalized`` 32 slots behind ``confirmed``.
- Voting validators vote on every confirmed slot (one credit each); a validator told to
  stop voting keeps its last vote and turns delinquent once the tip is more than
  ``delinquent_slot_distance`` (128, as in Agave) slots ahead of it.
- Several RPC "nodes" share one HTTP port, one path each: ``POST /<node>`` (e.g.
  ``http://127.0.0.1:8899/ref-1``). A node can be held back (its view stops while the
  cluster goes on), given a fixed lag, or taken down (HTTP 503). ``getHealth`` reports
  ``-32005`` when a node is more than ``health_slot_distance`` (128) slots behind.
- ``getGenesisHash`` answers the cluster's genesis hash (``SIM_GENESIS_HASH``, a made-up
  base58 hash, not mainnet-beta's); one node can be made to answer another cluster's hash
  (``set_genesis``), like an RPC of another network configured in the wrong chain.

Controls
--------
Python API on :class:`Cluster` (``hold``, ``release``, ``set_lag``, ``set_down``,
``halt``, ``resume``, ``stop_voting``, ``resume_voting``, ``set_skip_ratio``,
``set_genesis``, ``fork``: a node's blockhashes from a slot on are another fork's) and the
same over HTTP: ``POST /-/control`` with ``{"action": "hold", "node": "rpc-1"}``,
``{"action": "halt"}``, ``{"action": "stop_voting", "validator": "val-1"}``,
``{"action": "set_skip_ratio", "validator": "val-2", "ratio": 0.5}``,
``{"action": "set_genesis", "node": "rpc-1", "genesis_hash": "EtWT..."}`` (no hash: devnet's;
``{"action": "reset_genesis", "node": "rpc-1"}`` restores),
``{"action": "set_balance", "address": "<pubkey>", "lamports": 5000000000, "spend_per_second": 1000000}``
(``getBalance`` then answers a balance falling at that rate; an unknown account holds 0) ...;
``GET /-/state`` shows slots, nodes and validators (with their pubkeys, for configs).

Run it: ``python -m chainwatch.kinds.solana.simulator --port 8899``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from solders.hash import Hash
from solders.pubkey import Pubkey

from chainwatch.devnet.simulator import Simulation, Simulator, serve

log = logging.getLogger("chainwatch.simulators.solana")

LEADER_SLOTS = 4  # NUM_CONSECUTIVE_LEADER_SLOTS
FINALIZED_DEPTH = 32
MAX_SLOT_HISTORY = 200_000
SOLANA_CORE = "2.1.14"
FEATURE_SET = 3271415109


def pubkey(seed: str) -> str:
    """A deterministic, valid base58 pubkey for a simulator name (same on every run)."""
    return str(Pubkey(hashlib.sha256(f"chainwatch-simulator/{seed}".encode()).digest()))


SIM_GENESIS_HASH = pubkey("genesis")  # 32 bytes in base58, as getGenesisHash answers
DEVNET_GENESIS_HASH = "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG"  # the "other network" by default


@dataclass
class Validator:
    name: str
    stake: int
    commission: int = 5
    skip_ratio: float = 0.0
    voting: bool = True
    identity: str = ""
    vote_account: str = ""
    last_vote: int = 0
    credits: dict[int, int] = field(default_factory=dict)  # epoch -> credits earned in it
    leader_slots_seen: int = 0  # leader slots so far, to place skips exactly

    def __post_init__(self):
        self.identity = self.identity or pubkey(f"{self.name}/identity")
        self.vote_account = self.vote_account or pubkey(f"{self.name}/vote")


@dataclass
class Node:
    name: str
    held_at: int | None = None  # frozen view (slot) while held back
    lag: int = 0  # fixed slots behind the cluster
    down: bool = False
    genesis_hash: str | None = None  # answers another cluster's genesis hash when set
    fork_from: int | None = None  # from this slot on, its blocks are another fork's (other blockhashes)


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def body(self) -> dict:
        err = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


class Cluster(Simulation):
    """The simulated cluster: slot clock, leader schedule, votes, and its RPC nodes."""

    def __init__(
        self,
        nodes: list[str] = ("rpc-1", "ref-1", "ref-2", "ref-3"),
        validators: list[Validator] | None = None,
        *,
        slot_seconds: float = 0.4,
        slots_per_epoch: int = 8192,
        sample_period_seconds: float = 60.0,
        transactions_per_slot: int = 1500,
        delinquent_slot_distance: int = 128,
        health_slot_distance: int = 128,
        start_slot: int = 1000,
    ):
        self.nodes = {n: Node(n) for n in nodes}
        self.validators = validators if validators is not None else [Validator(f"val-{i}", stake=(i + 1) * 10**15) for i in range(1, 5)]
        self.slot_seconds = slot_seconds
        self.slots_per_epoch = slots_per_epoch
        self.sample_period_seconds = sample_period_seconds
        self.transactions_per_slot = transactions_per_slot
        self.delinquent_slot_distance = delinquent_slot_distance
        self.health_slot_distance = health_slot_distance
        self.halted = False
        self.start_slot = start_slot
        self.tip = start_slot
        self.produced: dict[int, int] = {start_slot: int(time.time())}  # slot -> unix time, produced slots only
        self.skipped: set[int] = set()
        self.block_height = start_slot
        self.heights: dict[int, int] = {start_slot: start_slot}
        self.transactions = 0
        self.samples: list[dict] = []
        self._sample_start = (time.monotonic(), self.tip, self.transactions)
        self._next_sample = 0.0
        for v in self.validators:
            v.last_vote = start_slot
        self._by_name = {v.name: v for v in self.validators}
        # Account balances for getBalance: address -> (lamports at `since`, lamports spent a second, since).
        self.balances: dict[str, tuple[int, float, float]] = {}

    # ------------------------------------------------------------------ clock

    def leader(self, slot: int) -> Validator:
        return self.validators[(slot // LEADER_SLOTS) % len(self.validators)]

    def epoch_of(self, slot: int) -> int:
        return slot // self.slots_per_epoch

    def advance(self) -> None:
        """One slot of the clock (called every ``slot_seconds`` unless halted)."""
        if self.halted:
            return
        slot = self.tip + 1
        leader = self.leader(slot)
        k = leader.leader_slots_seen
        leader.leader_slots_seen += 1
        if math.floor((k + 1) * leader.skip_ratio) > math.floor(k * leader.skip_ratio):
            self.skipped.add(slot)
        else:
            self.produced[slot] = int(time.time())
            self.block_height += 1
            self.heights[slot] = self.block_height
            self.transactions += self.transactions_per_slot
        self.tip = slot
        confirmed = self.confirmed_at(self.tip)
        epoch = self.epoch_of(confirmed)
        for v in self.validators:
            if v.voting and confirmed > v.last_vote:
                v.credits[epoch] = v.credits.get(epoch, 0) + 1
                v.last_vote = confirmed
        self._prune()

    def sample(self) -> None:
        started, slot, txs = self._sample_start
        now = time.monotonic()
        period = max(1, round(now - started))
        self.samples.insert(
            0,
            {
                "numNonVoteTransactions": (self.transactions - txs) // 4,
                "numSlots": self.tip - slot,
                "numTransactions": self.transactions - txs,
                "samplePeriodSecs": period,
                "slot": self.tip,
            },
        )
        del self.samples[720:]
        self._sample_start = (now, self.tip, self.transactions)

    def _prune(self) -> None:
        if len(self.produced) > MAX_SLOT_HISTORY:
            floor = self.tip - MAX_SLOT_HISTORY // 2
            self.produced = {s: t for s, t in self.produced.items() if s >= floor}
            self.heights = {s: h for s, h in self.heights.items() if s >= floor}
            self.skipped = {s for s in self.skipped if s >= floor}

    @property
    def clock_seconds(self) -> float:
        return self.slot_seconds

    def clock_started(self, now: float) -> None:
        self._next_sample = now + self.sample_period_seconds

    def tick(self) -> None:
        self.advance()
        now = asyncio.get_running_loop().time()
        if now >= self._next_sample:
            self.sample()
            self._next_sample += self.sample_period_seconds

    # ------------------------------------------------------------------ views

    def confirmed_at(self, tip: int) -> int:
        slot = tip - 1
        while slot > 0 and slot not in self.produced and slot in self.skipped:
            slot -= 1
        return max(slot, 0)

    def node_tip(self, node: Node) -> int:
        tip = self.tip if node.held_at is None else min(node.held_at, self.tip)
        return max(0, tip - node.lag)

    def node_slot(self, node: Node, commitment: str) -> int:
        tip = self.node_tip(node)
        if commitment == "processed":
            return tip
        confirmed = self.confirmed_at(tip)
        return confirmed if commitment == "confirmed" else max(0, confirmed - FINALIZED_DEPTH)

    # ------------------------------------------------------------------ controls (Python API)

    def node(self, name: str) -> Node:
        if name not in self.nodes:
            raise KeyError(f"unknown node {name!r} (nodes: {', '.join(self.nodes)})")
        return self.nodes[name]

    def validator(self, key: str) -> Validator:
        for v in self.validators:
            if key in (v.name, v.identity, v.vote_account):
                return v
        raise KeyError(f"unknown validator {key!r}")

    def hold(self, node: str) -> None:
        """Freeze this node's view: the cluster goes on, its lag grows."""
        n = self.node(node)
        n.held_at = self.node_tip(n) + n.lag

    def release(self, node: str) -> None:
        self.node(node).held_at = None

    def set_lag(self, node: str, slots: int) -> None:
        self.node(node).lag = max(0, int(slots))

    def set_down(self, node: str, down: bool = True) -> None:
        self.node(node).down = down

    def set_genesis(self, node: str, genesis_hash: str | None = DEVNET_GENESIS_HASH) -> None:
        """This node answers another cluster's genesis hash (None: the cluster's own again)."""
        self.node(node).genesis_hash = genesis_hash

    def halt(self) -> None:
        """The whole cluster stops producing slots (every node's view stops)."""
        self.halted = True

    def resume(self) -> None:
        self.halted = False

    def stop_voting(self, validator: str) -> None:
        """The vote account stops voting; it is delinquent once the tip is far enough ahead."""
        self.validator(validator).voting = False

    def resume_voting(self, validator: str) -> None:
        self.validator(validator).voting = True

    def set_skip_ratio(self, validator: str, ratio: float) -> None:
        if not 0 <= ratio <= 1:
            raise ValueError("ratio must be within [0, 1]")
        v = self.validator(validator)
        v.skip_ratio = float(ratio)
        v.leader_slots_seen = 0

    def set_balance(self, address: str, lamports: int, spend_per_second: float = 0.0) -> None:
        """The account holds ``lamports`` now and spends ``spend_per_second`` from now on (a fee payer)."""
        if lamports < 0 or spend_per_second < 0:
            raise ValueError("lamports and spend_per_second must not be negative")
        self.balances[address] = (int(lamports), float(spend_per_second), time.monotonic())

    def balance(self, address: str) -> int:
        lamports, rate, since = self.balances.get(address, (0, 0.0, 0.0))  # an unknown account holds 0, as on Solana
        return max(0, int(lamports - rate * (time.monotonic() - since)))

    def control(self, body: dict) -> None:
        action = body.get("action")
        actions = {
            "set_balance": lambda: self.set_balance(body["address"], body["lamports"], body.get("spend_per_second", 0.0)),
            "hold": lambda: self.hold(body["node"]),
            "release": lambda: self.release(body["node"]),
            "set_lag": lambda: self.set_lag(body["node"], body["slots"]),
            "down": lambda: self.set_down(body["node"], True),
            "up": lambda: self.set_down(body["node"], False),
            "halt": self.halt,
            "resume": self.resume,
            "stop_voting": lambda: self.stop_voting(body["validator"]),
            "resume_voting": lambda: self.resume_voting(body["validator"]),
            "set_skip_ratio": lambda: self.set_skip_ratio(body["validator"], body["ratio"]),
            "set_genesis": lambda: self.set_genesis(body["node"], body.get("genesis_hash") or DEVNET_GENESIS_HASH),
            "fork": lambda: setattr(self.node(body["node"]), "fork_from", int(body.get("slot", self.tip))),
            "unfork": lambda: setattr(self.node(body["node"]), "fork_from", None),
            "reset_genesis": lambda: self.set_genesis(body["node"], None),
        }
        if action not in actions:
            raise ValueError(f"unknown action {action!r} (actions: {', '.join(actions)})")
        actions[action]()

    def state(self) -> dict:
        return {
            "simulator": True,
            "halted": self.halted,
            "slot": {c: self.node_slot(Node("cluster"), c) for c in ("processed", "confirmed", "finalized")},
            "epoch": self.epoch_of(self.tip),
            "nodes": {
                n.name: {
                    "slot": self.node_tip(n),
                    "held": n.held_at is not None,
                    "lag": n.lag,
                    "down": n.down,
                    "genesis_hash": n.genesis_hash or SIM_GENESIS_HASH,
                }
                for n in self.nodes.values()
            },
            "validators": [
                {
                    "name": v.name,
                    "identity": v.identity,
                    "vote_account": v.vote_account,
                    "voting": v.voting,
                    "delinquent": self.delinquent(v, self.tip),
                    "skip_ratio": v.skip_ratio,
                    "last_vote": v.last_vote,
                }
                for v in self.validators
            ],
        }

    def delinquent(self, v: Validator, tip: int, distance: int | None = None) -> bool:
        return tip - v.last_vote > (self.delinquent_slot_distance if distance is None else distance)

    # ------------------------------------------------------------------ RPC methods

    def call(self, node: Node, method: str, params: Any) -> Any:
        handler = getattr(self, f"rpc_{method}", None)
        if handler is None:
            raise RpcError(-32601, "Method not found")
        if params is None:
            params = []
        if not isinstance(params, list):
            raise RpcError(-32602, "Invalid params: expected an array")
        return handler(node, params)

    @staticmethod
    def _config(params: list, index: int = 0) -> dict:
        if len(params) > index and params[index] is not None:
            if not isinstance(params[index], dict):
                raise RpcError(-32602, "Invalid params: expected a config object")
            return params[index]
        return {}

    def _commitment(self, params: list, index: int = 0) -> str:
        commitment = self._config(params, index).get("commitment", "finalized")
        if commitment not in ("processed", "confirmed", "finalized"):
            raise RpcError(-32602, f"Invalid params: unknown commitment {commitment!r}")
        return commitment

    def rpc_getHealth(self, node: Node, params: list) -> str:
        behind = self.tip - self.node_tip(node)
        if behind > self.health_slot_distance:
            raise RpcError(-32005, f"Node is behind by {behind} slots", {"numSlotsBehind": behind})
        return "ok"

    def rpc_getSlot(self, node: Node, params: list) -> int:
        return self.node_slot(node, self._commitment(params))

    def rpc_getBlockHeight(self, node: Node, params: list) -> int:
        slot = self.node_slot(node, self._commitment(params))
        return self._height(slot)

    def _height(self, slot: int) -> int:
        while slot > 0 and slot not in self.heights:
            slot -= 1
        return self.heights.get(slot, 0)

    def rpc_getGenesisHash(self, node: Node, params: list) -> str:
        return node.genesis_hash or SIM_GENESIS_HASH

    def rpc_getBalance(self, node: Node, params: list) -> dict:
        """https://solana.com/docs/rpc/http/getbalance: ``{"context": {"slot"}, "value": lamports}``."""
        if not params or not isinstance(params[0], str):
            raise RpcError(-32602, "Invalid params: expected a pubkey")
        try:
            Pubkey.from_string(params[0])
        except ValueError:
            raise RpcError(-32602, "Invalid param: Invalid") from None
        return {"context": {"apiVersion": SOLANA_CORE, "slot": self.node_slot(node, self._commitment(params, 1))}, "value": self.balance(params[0])}

    def rpc_getVersion(self, node: Node, params: list) -> dict:
        return {"feature-set": FEATURE_SET, "solana-core": SOLANA_CORE}

    def rpc_getEpochInfo(self, node: Node, params: list) -> dict:
        slot = self.node_slot(node, self._commitment(params))
        return {
            "absoluteSlot": slot,
            "blockHeight": self._height(slot),
            "epoch": self.epoch_of(slot),
            "slotIndex": slot % self.slots_per_epoch,
            "slotsInEpoch": self.slots_per_epoch,
            "transactionCount": self.transactions,
        }

    def rpc_getRecentPerformanceSamples(self, node: Node, params: list) -> list:
        limit = params[0] if params else 720
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= 720:
            raise RpcError(-32602, "Invalid params: limit must be between 1 and 720")
        return self.samples[:limit]

    def rpc_getBlockTime(self, node: Node, params: list) -> int:
        if not params or isinstance(params[0], bool) or not isinstance(params[0], int) or params[0] < 0:
            raise RpcError(-32602, "Invalid params: expected a slot")
        slot = params[0]
        if slot in self.produced and slot <= self.node_tip(node):
            return self.produced[slot]
        if slot in self.skipped:
            raise RpcError(-32009, f"Slot {slot} was skipped, or missing in long-term storage")
        raise RpcError(-32004, f"Block not available for slot {slot}")

    def blockhash(self, node: Node, slot: int) -> str:
        """The base58 blockhash of ``slot`` as ``node`` has it (another fork's from ``fork_from`` on)."""
        fork = "fork" if node.fork_from is not None and slot >= node.fork_from else "main"
        return str(Hash(hashlib.sha256(f"chainwatch-simulator/solana/{fork}/{slot}".encode()).digest()))

    def rpc_getBlock(self, node: Node, params: list) -> dict:
        """https://solana.com/docs/rpc/http/getblock with ``transactionDetails: "none"`` and
        ``rewards: false``: no ``transactions`` nor ``rewards`` fields. ``processed`` is refused, as
        Agave does; a skipped slot answers -32007, a slot past the commitment's -32004."""
        if not params or isinstance(params[0], bool) or not isinstance(params[0], int) or params[0] < 0:
            raise RpcError(-32602, "Invalid params: expected a slot")
        config = self._config(params, 1)
        commitment = self._commitment(params, 1)
        if commitment == "processed":
            raise RpcError(-32602, "Method does not support commitment below `confirmed`")
        slot = params[0]
        if slot > self.node_slot(node, commitment) or (slot not in self.produced and slot not in self.skipped):
            raise RpcError(-32004, f"Block not available for slot {slot}")
        if slot in self.skipped:
            raise RpcError(-32007, f"Slot {slot} was skipped, or missing due to ledger jump to recent snapshot")
        parent = slot - 1
        while parent > 0 and parent in self.skipped:
            parent -= 1
        block = {
            "blockHeight": self._height(slot),
            "blockTime": self.produced[slot],
            "blockhash": self.blockhash(node, slot),
            "parentSlot": parent,
            "previousBlockhash": self.blockhash(node, parent),
        }
        if config.get("transactionDetails", "full") != "none":
            block["transactions"] = []
        if config.get("rewards", True):
            block["rewards"] = []
        return block

    def rpc_getVoteAccounts(self, node: Node, params: list) -> dict:
        config = self._config(params)
        self._commitment(params)
        only = config.get("votePubkey")
        distance = config.get("delinquentSlotDistance")
        tip = self.node_tip(node)
        current, delinquent = [], []
        for v in self.validators:
            if only is not None and v.vote_account != only:
                continue
            credits = []
            total = 0
            for e in sorted(v.credits)[-5:]:
                credits.append([e, total + v.credits[e], total])
                total += v.credits[e]
            entry = {
                "activatedStake": v.stake,
                "commission": v.commission,
                "epochCredits": credits,
                "epochVoteAccount": True,
                "lastVote": v.last_vote,
                "nodePubkey": v.identity,
                "rootSlot": max(0, v.last_vote - FINALIZED_DEPTH),
                "votePubkey": v.vote_account,
            }
            (delinquent if self.delinquent(v, tip, distance) else current).append(entry)
        return {"current": current, "delinquent": delinquent}

    def rpc_getBlockProduction(self, node: Node, params: list) -> dict:
        config = self._config(params)
        self._commitment(params)
        bank_slot = self.node_slot(node, self._commitment(params))
        rng = config.get("range") or {}
        first = rng.get("firstSlot", self.epoch_of(bank_slot) * self.slots_per_epoch)
        last = rng.get("lastSlot", bank_slot)
        for value in (first, last):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise RpcError(-32602, "Invalid params: slots must be unsigned integers")
        if last > bank_slot:
            raise RpcError(-32602, f"Invalid params: lastSlot, {last}, cannot be greater than {bank_slot}")
        if first > last:
            raise RpcError(-32602, f"Invalid params: lastSlot, {last}, cannot be less than firstSlot, {first}")
        only = config.get("identity")
        counts: dict[str, list[int]] = {}
        # Only slots the clock produced count: before start_slot the simulator has no history.
        for slot in range(max(first, self.start_slot + 1, last - MAX_SLOT_HISTORY // 2), last + 1):
            leader = self.leader(slot)
            if only is not None and leader.identity != only:
                continue
            entry = counts.setdefault(leader.identity, [0, 0])
            entry[0] += 1
            if slot not in self.skipped:
                entry[1] += 1
        return {"context": {"apiVersion": SOLANA_CORE, "slot": bank_slot}, "value": {"byIdentity": counts, "range": {"firstSlot": first, "lastSlot": last}}}

    # ------------------------------------------------------------------ HTTP

    def answer(self, node: Node, request: Any) -> dict:
        if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
            return {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid request"}, "id": None}
        try:
            return {"jsonrpc": "2.0", "result": self.call(node, request["method"], request.get("params")), "id": request.get("id")}
        except RpcError as exc:
            return {"jsonrpc": "2.0", "error": exc.body(), "id": request.get("id")}

    async def handle_rpc(self, request: web.Request) -> web.Response:
        name = request.match_info["node"]
        node = self.nodes.get(name)
        if node is None:
            return web.Response(status=404, text=f"no simulated node {name!r}\n")
        if node.down:
            return web.Response(status=503, text="simulated node is down\n")
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None})
        if isinstance(body, list):
            if not body:
                return web.json_response({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid request"}, "id": None})
            return web.json_response([self.answer(node, item) for item in body])
        return web.json_response(self.answer(node, body))

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/{node}", self.handle_rpc)


__all__ = ["Cluster", "Simulator", "Validator", "chain_config"]


def chain_config(cluster: Cluster, base_url: str, chain: str = "solana-sim") -> str:
    """A ``chainwatch.yaml`` chain block for this cluster: nodes whose name starts with
    ``ref`` are references, the others nodes; every validator in one group ``sim``."""
    lines = [
        f"  {chain}:",
        "    kind: solana",
        "    network: simnet",
        f"    block_time_seconds: {cluster.slot_seconds}",
        f"    genesis_hash: {SIM_GENESIS_HASH}",
        "    endpoints:",
    ]
    for name in cluster.nodes:
        role = "reference" if name.startswith("ref") else "node"
        lines.append(f'      - {{name: {name}, url: "{base_url}/{name}", role: {role}}}')
    lines += ["    validators:", "      groups:", "        sim:"]
    lines += [f"          - {{name: {v.name}, vote_account: {v.vote_account}, identity: {v.identity}}}" for v in cluster.validators]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m chainwatch.kinds.solana.simulator", description="SIMULATED Solana cluster with a JSON-RPC interface (tests and demo; not a validator)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="Listen address (loopback by default).")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--nodes", default="rpc-1,ref-1,ref-2,ref-3", help="Comma-separated node names; node N answers at POST /N.")
    parser.add_argument("--validators", type=int, default=4, help="Number of simulated validators (val-1..val-N).")
    parser.add_argument("--slot-ms", type=float, default=400.0, help="Slot time in milliseconds.")
    parser.add_argument("--slots-per-epoch", type=int, default=8192)
    parser.add_argument("--sample-seconds", type=float, default=60.0, help="Performance sample period.")
    parser.add_argument("--delinquent-slots", type=int, default=128, help="Slots without a vote before a vote account is delinquent.")
    parser.add_argument("--print-config", action="store_true", help="Print a chainwatch.yaml chain for this simulated cluster and exit.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    validators = [Validator(f"val-{i}", stake=i * 10**15) for i in range(1, args.validators + 1)]
    cluster = Cluster(
        [n.strip() for n in args.nodes.split(",") if n.strip()],
        validators,
        slot_seconds=args.slot_ms / 1000,
        slots_per_epoch=args.slots_per_epoch,
        sample_period_seconds=args.sample_seconds,
        delinquent_slot_distance=args.delinquent_slots,
    )
    if args.print_config:
        print(chain_config(cluster, f"http://{args.host}:{args.port}"), end="")
        return
    log.info("SIMULATED Solana cluster on http://%s:%d/<node> (nodes: %s)", args.host, args.port, ", ".join(cluster.nodes))
    serve(cluster, args.host, args.port)


if __name__ == "__main__":
    main()

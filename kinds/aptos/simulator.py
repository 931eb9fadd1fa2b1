"""A SIMULATED Aptos network behind the node REST API — for tests and the demo only.

No aptos-node runs here, so the probe and the validator monitor are exercised against this
stand-in, shaped as the Aptos node API reference (aptos-core ``api/``; readers and the answer
shapes in :mod:`chainwatch.kinds.aptos.api`) and checked by the official TypeScript SDK
(``tests/aptos/test_ts_sdk.py``). One process serves several nodes of one chain, each under
``/<node>/v1``:

- ``GET /<node>/v1`` (and ``/v1/``): the ledger info of what that node has, U64s as decimal
  strings, ``ledger_timestamp`` in µs, ``chain_id`` a number;
- ``GET /<node>/v1/-/healthy[?duration_secs=N]``: ``{"message": "aptos-node:ok"}``, or 503
  ``health_check_failed`` when the node's ledger is more than N s old;
- ``POST /<node>/v1/view[?ledger_version=V]``: ``0x1::stake::get_validator_state``,
  ``get_validator_index``, ``get_current_epoch_proposal_counts`` and
  ``0x1::reconfiguration::current_epoch``, as JSON (``application/json``) or BCS
  (``application/x.aptos.view_function+bcs``, what the SDK's ``view`` sends); an abort is a 400
  ``invalid_input`` with a ``vm_error_code``, a version outside the node's ledger 404/410;
- every answer carries the ``X-APTOS-*`` ledger headers.

Model: one chain makes a block every ``block_seconds`` (``txns_per_block`` versions each);
the proposer of each block is the next active validator in index order; a validator marked
failing fails its proposals (the round times out and the block comes from the next round's
proposer). Every ``epoch_blocks`` blocks a new epoch starts: the proposal counts restart,
``pending_active`` validators become ``active`` and ``pending_inactive`` ones ``inactive``.
Views are answered from the chain's current state whatever ``ledger_version`` asks (within
the node's ledger).

Controls (``POST /-/control`` ``{"action": …}``): ``halt``/``resume`` the chain;
``lag``/``follow`` a ``node`` (it stops at its height while the chain goes on);
``set_chain_id``/``reset_chain_id`` a node (wrong network); ``prune`` a ``node`` to
``blocks`` of history; ``fail_proposals``/``propose`` a ``validator``; ``leave`` a
``validator`` (pending_inactive now, inactive at the next epoch), ``rejoin`` it (active).

Run: ``python -m chainwatch.kinds.aptos.simulator --nodes apt-1,apt-ref-1 --validators 4``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from chainwatch.devnet.simulator import Simulation, Simulator, serve

BCS_VIEW = "application/x.aptos.view_function+bcs"
GIT_HASH = "0c7ebe7c1f0a4e8c2f7a5d6b9e3d1a2b4c6e8f00"  # stands for a release build's hash
ACTIVE, PENDING_INACTIVE, INACTIVE, PENDING_ACTIVE = 2, 3, 4, 1
E_NOT_FOUND_STAKE_POOL = 0x6000E  # stake.move ESTAKE_POOL_DOES_NOT_EXIST (14), not_found category
HISTORY = 20_000  # blocks of (version, time) kept


def pool_address(name: str) -> str:
    return "0x" + hashlib.sha256(f"aptos-sim/{name}".encode()).hexdigest()


@dataclass
class Validator:
    name: str
    index: int
    state: int = ACTIVE
    failing: bool = False
    successful: int = 0
    failed: int = 0

    @property
    def pool(self) -> str:
        return pool_address(self.name)


@dataclass
class Node:
    name: str
    frozen_at: int | None = None  # block height it stopped at
    chain_id: int | None = None  # None: the chain's
    oldest_block: int = 0


@dataclass
class Chain(Simulation):
    nodes: list[str]
    validators: int = 4
    chain_id: int = 4  # the local testnet's chain id
    block_seconds: float = 0.5
    txns_per_block: int = 3
    epoch_blocks: int = 120
    start_height: int = 1000
    manual: bool = False  # no clock: tests call tick()
    halted: bool = False
    epoch: int = 1
    vals: list[Validator] = field(default_factory=list)
    by_node: dict[str, Node] = field(default_factory=dict)
    blocks: dict[int, tuple[int, int]] = field(default_factory=dict)  # height -> (last version, timestamp µs)
    round_robin: int = 0

    def __post_init__(self) -> None:
        self.clock_seconds = None if self.manual else self.block_seconds
        self.vals = [Validator(f"val-{i + 1}", i) for i in range(self.validators)]
        self.by_node = {n: Node(n) for n in self.nodes}
        now = int(time.time() * 1e6)
        for h in range(self.start_height - 10, self.start_height + 1):
            self.blocks[h] = (h * self.txns_per_block, now - int((self.start_height - h) * self.block_seconds * 1e6))
        self.height = self.start_height
        self.epoch_start = self.start_height

    # ------------------------------------------------------------------ the chain

    def tick(self) -> None:
        if self.halted:
            return
        active = [v for v in self.vals if v.state in (ACTIVE, PENDING_INACTIVE)]
        for _ in range(len(active) or 1):  # rounds until one proposer succeeds (or no validator)
            if not active:
                break
            proposer = active[self.round_robin % len(active)]
            self.round_robin += 1
            if proposer.failing:
                proposer.failed += 1
                continue
            proposer.successful += 1
            break
        self.height += 1
        version = self.blocks[self.height - 1][0] + self.txns_per_block
        self.blocks[self.height] = (version, int(time.time() * 1e6))
        self.blocks.pop(self.height - HISTORY, None)
        if self.height - self.epoch_start >= self.epoch_blocks:
            self.new_epoch()

    def new_epoch(self) -> None:
        self.epoch += 1
        self.epoch_start = self.height
        for v in self.vals:
            v.successful = v.failed = 0
            v.state = {PENDING_ACTIVE: ACTIVE, PENDING_INACTIVE: INACTIVE}.get(v.state, v.state)
        self.round_robin = 0

    def node_height(self, node: Node) -> int:
        return self.height if node.frozen_at is None else min(node.frozen_at, self.height)

    def ledger(self, node: Node) -> dict[str, Any]:
        height = self.node_height(node)
        version, stamp = self.blocks.get(height, (height * self.txns_per_block, int(time.time() * 1e6)))
        oldest = min(node.oldest_block, height)
        return {
            "chain_id": node.chain_id if node.chain_id is not None else self.chain_id,
            "epoch": str(self.epoch),
            "ledger_version": str(version),
            "oldest_ledger_version": str(oldest * self.txns_per_block),
            "ledger_timestamp": str(stamp),
            "node_role": "full_node",
            "oldest_block_height": str(oldest),
            "block_height": str(height),
            "git_hash": GIT_HASH,
        }

    # ------------------------------------------------------------------ views

    def validator(self, pool: str) -> Validator:
        want = "0x" + pool[2:].lower().rjust(64, "0") if pool.startswith("0x") else pool
        for v in self.vals:
            if v.pool == want:
                return v
        raise _Abort(E_NOT_FOUND_STAKE_POOL, "0x1::stake", "ESTAKE_POOL_DOES_NOT_EXIST")

    def call_view(self, function: str, args: list[Any]) -> list[Any]:
        if function == "0x1::stake::get_validator_state":
            v = self.validator(_address(args, 0))
            return [str(v.state)]
        if function == "0x1::stake::get_validator_index":
            return [str(self.validator(_address(args, 0)).index)]
        if function == "0x1::stake::get_current_epoch_proposal_counts":
            index = _u64(args, 0)
            current = [v for v in self.vals if v.state in (ACTIVE, PENDING_INACTIVE)]
            if index >= len(self.vals) or self.vals[index] not in current:
                raise _Abort(0x20001, "0x1::vector", "EINDEX_OUT_OF_BOUNDS")
            v = self.vals[index]
            return [str(v.successful), str(v.failed)]
        if function == "0x1::reconfiguration::current_epoch":
            return [str(self.epoch)]
        raise _Error(400, "invalid_input", f"Function {function} is not a view function this simulator knows")

    # ------------------------------------------------------------------ HTTP

    def headers(self, node: Node) -> dict[str, str]:
        info = self.ledger(node)
        return {
            "X-APTOS-CHAIN-ID": str(info["chain_id"]),
            "X-APTOS-LEDGER-VERSION": info["ledger_version"],
            "X-APTOS-LEDGER-OLDEST-VERSION": info["oldest_ledger_version"],
            "X-APTOS-LEDGER-TIMESTAMPUSEC": info["ledger_timestamp"],
            "X-APTOS-EPOCH": info["epoch"],
            "X-APTOS-BLOCK-HEIGHT": info["block_height"],
            "X-APTOS-OLDEST-BLOCK-HEIGHT": info["oldest_block_height"],
        }

    def _node(self, request: web.Request) -> Node:
        node = self.by_node.get(request.match_info["node"])
        if node is None:
            raise web.HTTPNotFound(text="no such node\n")
        return node

    def _answer(self, node: Node, body: Any, status: int = 200) -> web.Response:
        return web.json_response(body, status=status, headers=self.headers(node))

    async def handle_index(self, request: web.Request) -> web.Response:
        node = self._node(request)
        return self._answer(node, self.ledger(node))

    async def handle_healthy(self, request: web.Request) -> web.Response:
        node = self._node(request)
        raw = request.query.get("duration_secs")
        if raw is not None:
            if not raw.isdigit():
                return self._answer(node, _error_body("invalid_input", f"duration_secs: invalid value {raw!r}"), 400)
            age = time.time() - int(self.ledger(node)["ledger_timestamp"]) / 1e6
            if age > int(raw):
                text = f"The latest ledger info timestamp is {age:.0f}s old, more than duration_secs {raw}"
                return self._answer(node, _error_body("health_check_failed", text), 503)
        return self._answer(node, {"message": "aptos-node:ok"})

    async def handle_view(self, request: web.Request) -> web.Response:
        node = self._node(request)
        try:
            version = request.query.get("ledger_version")
            if version is not None:
                info = self.ledger(node)
                if not version.isdigit():
                    raise _Error(400, "invalid_input", f"ledger_version: invalid value {version!r}")
                if int(version) > int(info["ledger_version"]):
                    raise _Error(404, "version_not_found", f"Version({version}) not found")
                if int(version) < int(info["oldest_ledger_version"]):
                    raise _Error(410, "version_pruned", f"Version({version}) has been pruned")
            raw = await request.read()
            if request.content_type == BCS_VIEW:
                function, args = _bcs_view(raw)
            elif request.content_type == "application/json":
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise _Error(400, "invalid_input", "Failed to parse the request body as JSON") from None
                if not isinstance(body, dict) or not isinstance(body.get("function"), str) or body.get("type_arguments", []) != []:
                    raise _Error(400, "invalid_input", "expected {function, type_arguments: [], arguments}")
                function, args = body["function"], body.get("arguments", [])
            else:
                raise _Error(415, "unsupported_accept_type", f"Unsupported Content-Type {request.content_type}")
            return self._answer(node, self.call_view(function, args))
        except _Abort as abort:
            text = f"Error: Move abort in {abort.module}: {abort.name}(0x{abort.code:x})"
            return self._answer(node, {**_error_body("invalid_input", text), "vm_error_code": 4016}, 400)
        except _Error as err:
            return self._answer(node, _error_body(err.code, err.message), err.status)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/{node}/v1", self.handle_index)
        app.router.add_get("/{node}/v1/", self.handle_index)
        app.router.add_get("/{node}/v1/-/healthy", self.handle_healthy)
        app.router.add_post("/{node}/v1/view", self.handle_view)

    # ------------------------------------------------------------------ controls

    def state(self) -> dict:
        return {
            "chain_id": self.chain_id,
            "height": self.height,
            "epoch": self.epoch,
            "halted": self.halted,
            "nodes": {n.name: {"height": self.node_height(n), "frozen": n.frozen_at is not None, "chain_id": n.chain_id} for n in self.by_node.values()},
            "validators": [
                {
                    "name": v.name,
                    "pool_address": v.pool,
                    "index": v.index,
                    "state": v.state,
                    "failing": v.failing,
                    "successful": v.successful,
                    "failed": v.failed,
                }
                for v in self.vals
            ],
        }

    def control(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        action = body.get("action")
        if action == "halt":
            self.halted = True
        elif action == "resume":
            self.halted = False
        elif action in ("lag", "follow", "set_chain_id", "reset_chain_id", "prune"):
            node = self.by_node[body["node"]]
            if action == "lag":
                node.frozen_at = self.height
            elif action == "follow":
                node.frozen_at = None
            elif action == "set_chain_id":
                node.chain_id = int(body.get("chain_id", self.chain_id + 1))
            elif action == "reset_chain_id":
                node.chain_id = None
            else:
                node.oldest_block = max(0, self.height - int(body["blocks"]))
        elif action in ("fail_proposals", "propose", "leave", "rejoin"):
            v = next((v for v in self.vals if v.name == body["validator"]), None)
            if v is None:
                raise KeyError(f"no validator {body['validator']!r}")
            if action in ("fail_proposals", "propose"):
                v.failing = action == "fail_proposals"
            else:
                v.state = PENDING_INACTIVE if action == "leave" else ACTIVE
        else:
            raise ValueError(f"unknown action {action!r}")


class _Error(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _Abort(Exception):
    def __init__(self, code: int, module: str, name: str):
        super().__init__(name)
        self.code, self.module, self.name = code, module, name


def _error_body(code: str, message: str) -> dict:
    return {"message": message, "error_code": code, "vm_error_code": None}


def _address(args: list[Any], i: int) -> str:
    if i < len(args) and isinstance(args[i], str) and args[i].startswith("0x"):
        return args[i]
    raise _Error(400, "invalid_input", f"argument {i}: expected an address string")


def _u64(args: list[Any], i: int) -> int:
    value = args[i] if i < len(args) else None
    if isinstance(value, int) and not isinstance(value, bool):  # BCS decodes to an int
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise _Error(400, "invalid_input", f"argument {i}: expected a u64 string")


def _uleb(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise _Error(400, "invalid_input", "BCS: truncated uleb128")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def _bcs_view(data: bytes) -> tuple[str, list[Any]]:
    """A BCS ``ViewFunction`` (ModuleId{address, name}, function name, type args, args as bytes):
    the function id and its arguments, a 32-byte argument as an address and an 8-byte one as a u64."""
    if len(data) < 32:
        raise _Error(400, "invalid_input", "BCS: truncated module address")
    address, pos = "0x" + data[:32].hex(), 32
    names = []
    for _ in range(2):
        n, pos = _uleb(data, pos)
        names.append(data[pos : pos + n].decode("ascii", "replace"))
        pos += n
    count, pos = _uleb(data, pos)
    if count:
        raise _Error(400, "invalid_input", "no view function here takes type arguments")
    count, pos = _uleb(data, pos)
    args: list[Any] = []
    for _ in range(count):
        n, pos = _uleb(data, pos)
        raw = data[pos : pos + n]
        pos += n
        args.append("0x" + raw.hex() if n == 32 else int.from_bytes(raw, "little") if n == 8 else raw.hex())
    short = "0x" + (address[2:].lstrip("0") or "0")
    return f"{short}::{names[0]}::{names[1]}", args


__all__ = ["Chain", "Simulator", "pool_address"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m chainwatch.kinds.aptos.simulator", description="SIMULATED Aptos network (tests and demo; not an aptos-node)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="Listen address (loopback by default).")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--nodes", default="apt-1,apt-ref-1,apt-ref-2", help="Comma-separated node names, each served under /<name>/v1.")
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--block-ms", type=int, default=500)
    parser.add_argument("--epoch-blocks", type=int, default=120)
    args = parser.parse_args(argv)
    chain = Chain(args.nodes.split(","), validators=args.validators, block_seconds=args.block_ms / 1000, epoch_blocks=args.epoch_blocks)
    serve(chain, args.host, args.port)


if __name__ == "__main__":
    main()

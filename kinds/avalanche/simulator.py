"""SIMULATED AvalancheGo nodes (Info, Health and P-Chain APIs) — for tests and the demo only.

No AvalancheGo runs here, so the ``avalanche`` probe and validator monitor are exercised against
this stand-in. Its answers follow AvalancheGo's API reference and code (``api/info/service.go``,
``api/health/result.go``, ``vms/platformvm/service.go``, ``vms/platformvm/api/validator.go``):

- every node under ``/<node>``, the first one also at the root (``/ext/...``, as a real node);
- JSON-RPC 2.0 over POST (gorilla ``json2``): ``/ext/info`` (``info.getNetworkID``,
  ``info.getNodeVersion``, ``info.getNodeID``, ``info.isBootstrapped {chain}``, ``info.peers``,
  ``info.uptime``), ``/ext/bc/P`` (``platform.getHeight``, ``platform.getCurrentValidators
  {subnetID, nodeIDs}``, ``platform.getL1Validator {validationID}``,
  ``platform.getValidatorFeeState``), ``/ext/health`` (``health.health {tags}``); an error is
  ``{"jsonrpc": "2.0", "error": {"code": -32000, "message": "...", "data": null}, "id": 1}``;
- ``GET /ext/health``: ``{"checks": {...}, "healthy": bool}`` with HTTP 200, or 503 when a check
  fails. Checks ``C``, ``P``, ``X``, ``bootstrapped``, ``network`` (``connectedPeers``, ...),
  ``database``, ``diskspace`` (``availableDiskBytes``), ``router``; each ``{"message": ...,
  "timestamp": RFC 3339, "duration": ns}`` plus, while failing, ``"error"``,
  ``"contiguousFailures"`` and ``"timeOfFirstFailure"`` (Go ``omitempty``: absent when passing);
- avajson encodings: ``json.Uint64``/``Uint32`` as decimal strings (``height``, ``networkID``,
  ``startTime``, ``weight``, ``balance``, ``numPeers``), ``json.Float64``/``Float32`` as strings
  with 4 decimals (``uptime`` in percent, ``rewardingStakePercentage``); the validator fee state's
  ``excess`` and ``price`` (``gas.Gas``/``gas.Price``, uint64) as JSON numbers.

The shapes are decoded by ava-labs' own client in tests/avalanche/test_sdk_client.py.

Model
-----
- One P-chain; its height grows by one per clock tick (``block_seconds``). Several nodes share
  one port under ``/<node>``: a node can be made to bootstrap (``isBootstrapped`` false for a
  chain, its health checks failing, its P height frozen), answer another network id, lose peers
  or disk space.
- A primary-network validator has ``startTime`` S, ``endTime`` E and earlier downtime; while
  disconnected its downtime grows with wall time. Each node's view of its uptime is
  ``(t - S - downtime) / (t - S)``; a node can be made ``blind`` to it (it sees it disconnected
  since that moment: one view disagreeing).
- An L1 validator's balance falls by the fee state's ``price`` (nAVAX per second) from its start.

Controls: ``POST /-/control`` with ``{"action": "bootstrap", "node": "n", "chain": "P"}``,
``bootstrapped``, ``set_network {node, network_id}``, ``set_peers {node, peers}``,
``set_disk {node, bytes}``, ``subnet {node, subnet, failing}`` (the node tracks the subnet: one
chain named by :func:`subnet_chain`, whose check fails while ``failing``; ``GET /ext/health?tag=<subnetID>``
answers that chain's check and the node-wide ones), ``disconnect {validator}`` / ``connect``, ``blind {node, validator}`` /
``unblind``, ``forgive {validator}`` (the downtime since start never happened: a demo's undo),
``halt`` / ``resume``, ``heal``. ``GET /-/state`` shows nodes, validators and ids.

Run: ``python -m chainwatch.kinds.avalanche.simulator --port 9650``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from chainwatch.devnet.simulator import Simulation, Simulator, serve

__all__ = ["AvalancheSim", "Simulator", "Validator", "L1Validator"]

CHAINS = ("P", "X", "C")
VERSION = "avalanchego/1.13.2"
LOCAL_NETWORK_ID = 12345
PRIMARY_NETWORK = "11111111111111111111111111111111LpoYY"  # the primary network's subnet id
NODE_WIDE = ("bootstrapped", "network", "database", "diskspace", "router")  # in every tagged health answer
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def cb58(seed: str, size: int) -> str:
    """A deterministic CB58 string (base58 of bytes + 4-byte SHA-256 checksum), as AvalancheGo ids print."""
    raw = hashlib.sha256(seed.encode()).digest()[:size]
    data = raw + hashlib.sha256(raw).digest()[-4:]
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def subnet_chain(subnet: str) -> str:
    """The blockchain ID of the one chain a simulated subnet runs: its health check's name."""
    return cb58("chain-" + subnet, 32)


def node_id(seed: str) -> str:
    return "NodeID-" + cb58(seed, 20)


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def f4(x: float) -> str:
    """avajson Float64/Float32: a string with 4 decimals."""
    return f"{x:.4f}"


@dataclass
class Validator:
    name: str
    start: float  # unix seconds
    end: float
    weight: int = 2_000 * 10**9  # nAVAX
    downtime: float = 0.0  # seconds down before now (counted at creation)
    down_since: float | None = None
    node: str = ""  # NodeID-...

    def __post_init__(self) -> None:
        self.node = self.node or node_id(self.name)
        self.initial_downtime = self.downtime

    def down_seconds(self, t: float) -> float:
        return self.downtime + (max(0.0, t - self.down_since) if self.down_since is not None else 0.0)


@dataclass
class L1Validator:
    name: str
    balance: int  # nAVAX at `since`
    since: float
    weight: int = 20
    subnet: str = ""
    node: str = ""
    validation_id: str = ""

    def __post_init__(self) -> None:
        self.node = self.node or node_id(self.name)
        self.subnet = self.subnet or cb58("subnet-" + self.name, 32)
        self.validation_id = self.validation_id or cb58("validation-" + self.name, 32)


@dataclass
class Node:
    name: str
    network_id: int
    node: str = ""
    bootstrapping: set[str] = field(default_factory=set)
    frozen_height: int | None = None
    peers: int = 12
    disk: int = 400 * 2**30
    blind: dict[str, float] = field(default_factory=dict)  # validator name -> since (sees it disconnected)
    failures: dict[str, tuple[int, float]] = field(default_factory=dict)  # check -> (contiguous failures, first)
    subnets: dict[str, bool] = field(default_factory=dict)  # tracked subnet id -> its chain failing


class RpcError(Exception):
    pass


class AvalancheSim(Simulation):
    catch_up = True

    def __init__(
        self,
        nodes: list[str],
        *,
        validators: Sequence[Validator] = (),
        l1_validators: Sequence[L1Validator] = (),
        network_id: int = LOCAL_NETWORK_ID,
        block_seconds: float = 1.0,
        start_height: int = 1000,
        fee_price: int = 512,  # nAVAX per second per L1 validator
    ):
        self.network_id = network_id
        self.nodes = {n: Node(n, network_id, node=node_id("node-" + n)) for n in nodes}
        self.validators = {v.name: v for v in validators}
        if validators and nodes:  # the first validator runs on the first node: ours (info.uptime answers there)
            validators[0].node = self.nodes[nodes[0]].node
        self.l1 = {v.name: v for v in l1_validators}
        self.clock_seconds = block_seconds
        self.height = start_height
        self.halted = False
        self.fee_price = fee_price
        self.fee_excess = 0

    # ------------------------------------------------------------------ model

    def tick(self) -> None:
        if not self.halted:
            self.height += 1
        now = time.time()
        for n in self.nodes.values():
            for check, failing in self._check_states(n).items():
                if failing:
                    count, first = n.failures.get(check, (0, now))
                    n.failures[check] = (count + 1, first)
                else:
                    n.failures.pop(check, None)

    def node(self, name: str) -> Node:
        if name not in self.nodes:
            raise KeyError(f"no node {name!r} (nodes: {', '.join(self.nodes)})")
        return self.nodes[name]

    def validator(self, name: str) -> Validator:
        if name not in self.validators:
            raise KeyError(f"no validator {name!r}")
        return self.validators[name]

    def p_height(self, n: Node) -> int:
        return n.frozen_height if n.frozen_height is not None else self.height

    def uptime(self, n: Node, v: Validator, t: float) -> tuple[float, bool]:
        """(uptime fraction, connected) of ``v`` as node ``n`` sees it at ``t``."""
        elapsed = max(1e-9, t - v.start)
        down = v.down_seconds(t)
        since = n.blind.get(v.name)
        if since is not None:
            down = max(down, v.downtime + (t - since))
        connected = v.down_since is None and since is None
        return max(0.0, min(1.0, (elapsed - down) / elapsed)), connected

    def balance(self, v: L1Validator, t: float) -> int:
        return max(0, v.balance - int(self.fee_price * max(0.0, t - v.since)))

    # ------------------------------------------------------------------ controls

    def control(self, body: Any) -> None:
        action = body["action"]
        now = time.time()
        if action in ("bootstrap", "bootstrapped"):
            n = self.node(body["node"])
            chain = body.get("chain", "P")
            if chain not in CHAINS:
                raise ValueError(f"chain must be one of {CHAINS}")
            if action == "bootstrap":
                n.bootstrapping.add(chain)
                if chain == "P" and n.frozen_height is None:
                    n.frozen_height = max(0, self.height - 500)  # replaying: well behind
            else:
                n.bootstrapping.discard(chain)
                if chain == "P":
                    n.frozen_height = None
        elif action == "set_network":
            self.node(body["node"]).network_id = int(body.get("network_id", self.network_id + 1))
        elif action == "set_peers":
            self.node(body["node"]).peers = int(body["peers"])
        elif action == "subnet":  # track a subnet (one chain of its own); failing: its chain's check fails
            self.node(body["node"]).subnets[str(body["subnet"])] = bool(body.get("failing", False))
        elif action == "set_disk":
            self.node(body["node"]).disk = int(body["bytes"])
        elif action == "disconnect":
            v = self.validator(body["validator"])
            if v.down_since is None:
                v.down_since = now
        elif action == "connect":
            v = self.validator(body["validator"])
            if v.down_since is not None:
                v.downtime += now - v.down_since
                v.down_since = None
        elif action == "forgive":  # a demo's undo: the downtime since creation never happened
            v = self.validator(body["validator"])
            v.down_since, v.downtime = None, v.initial_downtime
        elif action == "blind":
            self.node(body["node"]).blind.setdefault(self.validator(body["validator"]).name, now)
        elif action == "unblind":
            self.node(body["node"]).blind.pop(body["validator"], None)
        elif action == "halt":
            self.halted = True
        elif action == "resume":
            self.halted = False
        elif action == "heal":
            self.halted = False
            for n in self.nodes.values():
                n.bootstrapping.clear()
                n.frozen_height = None
                n.network_id = self.network_id
                n.blind.clear()
            for v in self.validators.values():
                self.control({"action": "connect", "validator": v.name})
        else:
            raise ValueError(f"unknown action {action!r}")

    def state(self) -> dict:
        now = time.time()
        return {
            "network_id": self.network_id,
            "height": self.height,
            "halted": self.halted,
            "fee_price": self.fee_price,
            "nodes": [
                {
                    "name": n.name,
                    "node_id": n.node,
                    "network_id": n.network_id,
                    "bootstrapping": sorted(n.bootstrapping),
                    "peers": n.peers,
                    "disk_bytes": n.disk,
                    "blind": sorted(n.blind),
                }
                for n in self.nodes.values()
            ],
            "validators": [
                {
                    "name": v.name,
                    "node_id": v.node,
                    "start": v.start,
                    "end": v.end,
                    "connected": v.down_since is None,
                    "down_seconds": round(v.down_seconds(now), 3),
                }
                for v in self.validators.values()
            ],
            "l1_validators": [
                {"name": v.name, "validation_id": v.validation_id, "node_id": v.node, "subnet_id": v.subnet, "balance": self.balance(v, now)}
                for v in self.l1.values()
            ],
        }

    # ------------------------------------------------------------------ health

    def _check_states(self, n: Node) -> dict[str, bool]:
        """check name -> failing."""
        out = {c: c in n.bootstrapping for c in CHAINS}
        out.update({subnet_chain(s): failing for s, failing in n.subnets.items()})
        out["bootstrapped"] = bool(n.bootstrapping)
        out["network"] = n.peers == 0
        out["database"] = False
        out["diskspace"] = n.disk < 10 * 2**30  # AvalancheGo's default --system-tracker-disk-required-available-space-percentage stand-in
        out["router"] = False
        return out

    def health(self, n: Node, tags: Sequence[str] = ()) -> tuple[dict, bool]:
        """``{"checks": {...}, "healthy": bool}`` of node ``n`` (api/health/service.go APIReply).
        With ``tags`` (subnet ids): the checks of those subnets' chains (P, X and C are the primary
        network's) and the node-wide ones (``network``, ``database``, ...), as api/health filters."""
        now = time.time()
        stamp = rfc3339(now)
        states = self._check_states(n)
        if tags:
            chains = {subnet_chain(t) for t in tags} | (set(CHAINS) if PRIMARY_NETWORK in tags else set())
            states = {c: f for c, f in states.items() if c in chains or c in NODE_WIDE}
        messages: dict[str, Any] = {}
        for chain in CHAINS:
            messages[chain] = {
                "engine": {
                    "consensus": {
                        "lastAcceptedHeight": self.p_height(n) if chain == "P" else self.height * 2,
                        "lastAcceptedID": cb58(f"{chain}-{self.height}", 32),
                        "longestProcessingBlock": "0s",
                        "processingBlocks": 0,
                    },
                    "vm": None,
                },
                "networking": {"percentConnected": 1 if n.peers else 0},
            }
        messages["bootstrapped"] = sorted(n.bootstrapping)  # the chains not bootstrapped yet
        messages["network"] = {
            "connectedPeers": n.peers,
            "sendFailRate": 0,
            "timeSinceLastMsgReceived": "150ms" if n.peers else "1m0s",
            "timeSinceLastMsgSent": "150ms" if n.peers else "1m0s",
        }
        messages["database"] = None
        messages["diskspace"] = {"availableDiskBytes": n.disk}
        messages["router"] = {"longestRunningRequest": "0s", "outstandingRequests": 0}
        errors = {
            "bootstrapped": "chains not bootstrapped",
            "network": "network layer is unhealthy reason: not connected to a minimum of 1 peer(s) only 0",
            "diskspace": f"remaining available disk space ({n.disk}) is below minimum required available space (10737418240)",
        }
        checks = {}
        for name, failing in states.items():
            check: dict[str, Any] = {"timestamp": stamp, "duration": 8_000}
            if messages.get(name) is not None:
                check["message"] = messages[name]
            if failing:
                check["error"] = errors.get(name, "subnet not bootstrapped" if name in CHAINS or name not in NODE_WIDE else f"{name} failing")
                count, first = n.failures.get(name, (1, now))
                check["contiguousFailures"] = count
                check["timeOfFirstFailure"] = rfc3339(first)
            checks[name] = check
        return {"checks": checks, "healthy": not any(states.values())}, not any(states.values())

    # ------------------------------------------------------------------ JSON-RPC

    def info(self, n: Node, method: str, params: dict) -> Any:
        t = time.time()
        if method == "info.getNetworkID":
            return {"networkID": str(n.network_id)}
        if method == "info.getNodeVersion":
            return {
                "version": VERSION,
                "databaseVersion": "v1.4.5",
                "rpcProtocolVersion": "39",
                "gitCommit": "0" * 40,
                "vmVersions": {"avm": "v1.13.2", "platform": "v1.13.2"},
            }
        if method == "info.getNodeID":
            return {"nodeID": n.node, "nodePOP": {"publicKey": "0x" + "aa" * 48, "proofOfPossession": "0x" + "bb" * 96}}
        if method == "info.isBootstrapped":
            chain = params.get("chain")
            if not chain:
                raise RpcError("argument 'chain' not given")
            if chain not in CHAINS:
                raise RpcError(f"there is no chain with alias/ID '{chain}'")
            return {"isBootstrapped": chain not in n.bootstrapping}
        if method == "info.peers":
            peers = [
                {
                    "ip": f"10.0.0.{i + 1}:9651",
                    "publicIP": f"10.0.0.{i + 1}:9651",
                    "nodeID": node_id(f"peer-{n.name}-{i}"),
                    "version": VERSION,
                    "upgradeTime": 0,
                    "lastSent": rfc3339(t),
                    "lastReceived": rfc3339(t),
                    "observedUptime": "100",
                    "trackedSubnets": [],
                    "supportedACPs": [],
                    "objectedACPs": [],
                    "benched": [],
                }
                for i in range(n.peers)
            ]
            return {"numPeers": str(len(peers)), "peers": peers}
        if method == "info.uptime":
            mine = [v for v in self.validators.values() if v.node == n.node]
            if not mine:
                raise RpcError("couldn't get node uptime: node is not a validator")
            # Every node weighs the same here: the share of nodes that see it at or above 80 % so far, and their mean view.
            views = [self.uptime(other, mine[0], t)[0] for other in self.nodes.values()]
            rewarding = sum(1 for u in views if u >= 0.8) / len(views)
            return {"rewardingStakePercentage": f4(100 * rewarding), "weightedAveragePercentage": f4(100 * sum(views) / len(views))}
        raise RpcError(f"the method {method} does not exist/is not available")

    def platform(self, n: Node, method: str, params: dict) -> Any:
        t = time.time()
        if method == "platform.getHeight":
            return {"height": str(self.p_height(n))}
        if method == "platform.getCurrentValidators":
            subnet = params.get("subnetID") or PRIMARY_NETWORK
            wanted = set(params.get("nodeIDs") or [])
            rows = []
            if subnet == PRIMARY_NETWORK:
                for v in self.validators.values():
                    if wanted and v.node not in wanted:
                        continue
                    u, connected = self.uptime(n, v, t)
                    rows.append(
                        {
                            "txID": cb58("tx-" + v.name, 32),
                            "startTime": str(int(v.start)),
                            "endTime": str(int(v.end)),
                            "weight": str(v.weight),
                            "nodeID": v.node,
                            "validationRewardOwner": {"locktime": "0", "threshold": "1", "addresses": ["P-avax1" + cb58("owner-" + v.name, 20).lower()]},
                            "delegationRewardOwner": {"locktime": "0", "threshold": "1", "addresses": ["P-avax1" + cb58("owner-" + v.name, 20).lower()]},
                            "potentialReward": str(v.weight // 20),
                            "accruedDelegateeReward": "0",
                            "delegationFee": f4(2.0),
                            "uptime": f4(100 * u),
                            "connected": connected,
                            "signer": {"publicKey": "0x" + "aa" * 48, "proofOfPossession": "0x" + "bb" * 96},
                            "delegatorCount": "0",
                            "delegatorWeight": "0",
                        }
                    )
            else:
                for v in self.l1.values():
                    if v.subnet != subnet or (wanted and v.node not in wanted):
                        continue
                    rows.append(
                        {
                            "validationID": v.validation_id,
                            "nodeID": v.node,
                            "publicKey": "0x" + "aa" * 48,
                            "remainingBalanceOwner": {"locktime": "0", "threshold": "0", "addresses": []},
                            "deactivationOwner": {"locktime": "0", "threshold": "0", "addresses": []},
                            "startTime": str(int(v.since)),
                            "weight": str(v.weight),
                            "minNonce": "0",
                            "balance": str(self.balance(v, t)),
                        }
                    )
            return {"validators": rows}
        if method == "platform.getL1Validator":
            vid = params.get("validationID")
            match = [v for v in self.l1.values() if v.validation_id == vid]
            if not match:
                raise RpcError(f'fetching L1 validator "{vid}" failed: not found')
            v = match[0]
            return {
                "nodeID": v.node,
                "weight": str(v.weight),
                "startTime": str(int(v.since)),
                "validationID": v.validation_id,
                "publicKey": "0x" + "aa" * 48,
                "remainingBalanceOwner": {"locktime": "0", "threshold": "0", "addresses": []},
                "deactivationOwner": {"locktime": "0", "threshold": "0", "addresses": []},
                "minNonce": "0",
                "balance": str(self.balance(v, t)),
                "subnetID": v.subnet,
                "height": str(self.p_height(n)),
            }
        if method == "platform.getValidatorFeeState":
            return {"excess": self.fee_excess, "price": self.fee_price, "timestamp": rfc3339(int(t))}
        raise RpcError(f"the method {method} does not exist/is not available")

    # ------------------------------------------------------------------ HTTP

    async def handle_rpc(self, request: web.Request) -> web.Response:
        n = self._node_of(request)
        if n is None:
            return web.Response(status=404, text="404 page not found\n")
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"jsonrpc": "2.0", "error": {"code": -32700, "message": "invalid request", "data": None}, "id": None})
        api = request.match_info["api"]
        method = body.get("method", "") if isinstance(body, dict) else ""
        params = body.get("params") if isinstance(body, dict) else None
        params = params if isinstance(params, dict) else {}
        rid = body.get("id") if isinstance(body, dict) else None
        try:
            if api == "info" and method.startswith("info."):
                result = self.info(n, method, params)
            elif api == "bc/P" and method.startswith("platform."):
                result = self.platform(n, method, params)
            elif api == "health" and method in ("health.health", "health.readiness", "health.liveness"):
                tags = params.get("tags") or ()
                result = self.health(n, [str(t) for t in tags] if isinstance(tags, list) else ())[0]
            else:
                raise RpcError(f"the method {method} does not exist/is not available")
        except RpcError as exc:
            return web.json_response({"jsonrpc": "2.0", "error": {"code": -32000, "message": str(exc), "data": None}, "id": rid})
        return web.json_response({"jsonrpc": "2.0", "result": result, "id": rid})

    async def handle_health_get(self, request: web.Request) -> web.Response:
        n = self._node_of(request)
        if n is None:
            return web.Response(status=404, text="404 page not found\n")
        body, healthy = self.health(n, request.query.getall("tag", []))
        return web.json_response(body, status=200 if healthy else 503)

    def _node_of(self, request: web.Request) -> Node | None:
        """The node a request is for: ``/<node>/ext/...``, or the first node at ``/ext/...`` (clients
        such as ava-labs' SDK keep only a URL's origin and add the API path themselves)."""
        name = request.match_info.get("node")
        return self.nodes.get(name) if name is not None else next(iter(self.nodes.values()), None)

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/ext/health", self.handle_health_get)
        app.router.add_post("/ext/{api:info|health|bc/P}", self.handle_rpc)
        app.router.add_get("/{node}/ext/health", self.handle_health_get)
        app.router.add_post("/{node}/ext/{api:info|health|bc/P}", self.handle_rpc)


def demo_validators(now: float, runway_seconds: float, *, requirement: float = 0.8, period_days: float = 14.0) -> tuple[float, float, float]:
    """(start, end, earlier downtime) of a validator halfway through a ``period_days`` validation whose reward runway is ``runway_seconds``
    now: earlier downtime D makes ``(t-S-D) + (E-t) - r(E-S) = runway``."""
    period = period_days * 86400
    start, end = now - period / 2, now + period / 2
    downtime = period - requirement * period - runway_seconds
    return start, end, max(0.0, downtime)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m chainwatch.kinds.avalanche.simulator", description="SIMULATED AvalancheGo nodes (tests and demo; not a node)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="Listen address (loopback by default).")
    parser.add_argument("--port", type=int, default=9650)
    parser.add_argument("--nodes", default="avax-1,avax-ref-1,avax-ref-2,avax-ref-3", help="Comma-separated node names; node N at /N/ext/...")
    parser.add_argument("--validators", default="val-1:100000", help="name:runway_seconds,... primary-network validators, runway now.")
    parser.add_argument("--l1", default="l1-val-1:86400000000000", help="name:balance_navax,... L1 validators.")
    parser.add_argument("--block-ms", type=float, default=1000.0)
    parser.add_argument("--fee-price", type=int, default=512, help="L1 validator fee, nAVAX per second.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    now = time.time()
    vals = []
    for item in filter(None, args.validators.split(",")):
        name, runway = item.split(":")
        start, end, down = demo_validators(now, float(runway))
        vals.append(Validator(name, start, end, downtime=down))
    l1 = [L1Validator(name, int(bal), now) for name, bal in (item.split(":") for item in filter(None, args.l1.split(",")))]
    sim = AvalancheSim(args.nodes.split(","), validators=vals, l1_validators=l1, block_seconds=args.block_ms / 1000, fee_price=args.fee_price)
    serve(sim, args.host, args.port)


if __name__ == "__main__":
    main()

"""A SIMULATED graph-node serving one subgraph — for tests and the demo only.

This is **not** graph-node and indexes nothing: graph-node needs PostgreSQL and IPFS, which
do not run here, so chainwatch's subgraph probe is exercised against this small stand-in.
It follows a REAL chain's head (it polls an EVM JSON-RPC URL, e.g. anvil, for
``eth_blockNumber`` and ``eth_getBlockByNumber``) and answers graph-node's two GraphQL APIs
with the shapes of graph-node's published schema (``graph/src/schema/meta.graphql`` and
``server/index-node/src/schema.graphql``; excerpts in ``tests/fixtures/subgraph/``):

- ``POST /subgraphs/name/<name>`` (the subgraph's query endpoint): ``{ data: { _meta: { block:
  { number, hash, timestamp }, hasIndexingErrors, deployment } } }`` — ``number`` and
  ``timestamp`` JSON integers (``Int``), ``hash`` ``0x`` hex (``Bytes``);
- ``POST /graphql`` on the same port (the index node): ``{ data: { indexingStatuses: [ {
  subgraph, synced, health, fatalError, chains: [ { network, chainHeadBlock { hash number },
  latestBlock { hash number } } ] } ] } }`` — block numbers as decimal strings (``BigInt``).

A query is told apart by the root field it names (``_meta`` / ``indexingStatuses``); anything
else is answered with a GraphQL ``errors`` list, as graph-node does for an unknown field.

Model
-----
Every ``poll_seconds`` the simulator reads the chain's head; the subgraph's block is the head
(minus ``behind`` blocks), and graph-node's own chain head is the head. Faults:

- ``stall``: the subgraph's block stops where it is (graph-node's chain head goes on);
- ``behind`` N: the subgraph keeps N blocks behind the head;
- ``indexing_error``: ``hasIndexingErrors: true``, health ``unhealthy`` (it keeps indexing);
- ``fatal``: ``fatalError`` at the current block, health ``failed``, and the subgraph stops
  there (graph-node stops indexing a failed deployment);
- ``fork``: the block hash it reports is not the chain's (it indexed another branch);
- ``node_head_stale``: graph-node's own ``chainHeadBlock`` stops (its block ingestor is stuck); the
  subgraph never indexes past that head, so graph-node sees it "synced" while it falls behind;
- ``null_timestamp``: ``_meta.block.timestamp`` is null (graph-node before 0.30);
- ``heal``: every fault cleared; a stalled or behind subgraph catches up to the head.

Controls: ``POST /-/control`` with ``{"action": "stall"}``, ``{"action": "behind", "blocks": 120}``,
``{"action": "indexing_error"}``, ``{"action": "fatal"}``, ``{"action": "fork"}``,
``{"action": "node_head_stale"}``, ``{"action": "null_timestamp"}``, ``{"action": "heal"}``,
or ``{"action": "raw", "api": "meta" | "status", "body": <any JSON>}`` (answer that body
verbatim, for hardening tests; ``heal`` clears it); ``GET /-/state`` shows it all.

Run it: ``python -m chainwatch.kinds.subgraph.simulator --chain-url http://127.0.0.1:8545 --port 8000``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from chainwatch.devnet.simulator import Simulation, serve
from chainwatch.devnet.simulator import Simulator as _Simulator

log = logging.getLogger("chainwatch.subgraph.simulator")

SIM_DEPLOYMENT = "QmSimu1atedSubgraphDep1oymentHashXXXXXXXXXXXXX"  # 46 chars, base58 alphabet
SIM_NETWORK = "anvil"


@dataclass
class Faults:
    stall: bool = False
    behind: int = 0
    indexing_error: bool = False
    fatal_block: int | None = None
    fork: bool = False
    node_head_stale: bool = False
    null_timestamp: bool = False
    raw: dict = field(default_factory=dict)  # api -> JSON body answered verbatim


class Subgraph(Simulation):
    """The simulated deployment, following the chain at ``chain_url``."""

    def __init__(self, chain_url: str, *, name: str = "sim", deployment: str = SIM_DEPLOYMENT, network: str = SIM_NETWORK, poll_seconds: float = 0.2):
        self.chain_url = chain_url
        self.name = name
        self.deployment = deployment
        self.network = network
        self.poll_seconds = poll_seconds
        self.faults = Faults()
        self.chain_head: int | None = None  # the real chain's head, last poll
        self.node_head: int | None = None  # graph-node's own chain head
        self.block: int | None = None  # the subgraph's latest indexed block
        self.blocks: dict[int, tuple[str, int]] = {}  # height -> (hash, timestamp) of the real chain
        self.synced = False  # graph-node's flag: sticky, once caught up it stays true
        self._session: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ following the chain

    async def _rpc(self, method: str, params: list):
        async with self._session.post(self.chain_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}) as resp:
            body = await resp.json(content_type=None)
        return body.get("result")

    async def poll(self) -> None:
        head = int(await self._rpc("eth_blockNumber", []), 16)
        self.chain_head = head
        if not self.faults.node_head_stale or self.node_head is None:
            self.node_head = head
        target = max(0, min(head - self.faults.behind, self.node_head))  # graph-node never indexes past its own chain head
        if self.faults.fatal_block is not None:
            target = self.faults.fatal_block
        elif self.faults.stall and self.block is not None:
            target = self.block
        await self._learn(target)
        self.block = target

    async def _learn(self, height: int) -> None:
        if height in self.blocks:
            return
        block = await self._rpc("eth_getBlockByNumber", [hex(height), False])
        if isinstance(block, dict):
            self.blocks[height] = (block["hash"], int(block["timestamp"], 16))
            for old in sorted(self.blocks)[:-256]:
                del self.blocks[old]

    catch_up = False  # a poller: a slow poll delays the next one

    @property
    def clock_seconds(self) -> float:
        return self.poll_seconds

    async def tick(self) -> None:
        try:
            await self.poll()
        except Exception as exc:  # noqa: BLE001 - the chain may be down for a while; keep serving the last state
            log.debug("poll failed: %s", exc)

    async def on_start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        try:
            await self.poll()
        except Exception as exc:  # noqa: BLE001
            log.warning("first poll of %s failed: %s", self.chain_url, exc)

    async def on_stop(self) -> None:
        if self._session is not None:
            await self._session.close()

    # ------------------------------------------------------------------ answers

    def meta(self) -> dict:
        if self.block is None:
            return {"errors": [{"message": "Subgraph has not started syncing yet"}]}
        digest, stamp = self.blocks.get(self.block, (None, None))
        if digest is not None and self.faults.fork:
            digest = "0x" + hashlib.sha256(bytes.fromhex(digest[2:])).hexdigest()
        return {
            "data": {
                "_meta": {
                    "block": {"number": self.block, "hash": digest, "timestamp": None if self.faults.null_timestamp else stamp},
                    "hasIndexingErrors": self.faults.indexing_error or self.faults.fatal_block is not None,
                    "deployment": self.deployment,
                }
            }
        }

    def _block(self, height: int | None) -> dict | None:
        if height is None:
            return None
        digest = self.blocks.get(height, ("0x" + "00" * 32, 0))[0]
        return {"hash": digest, "number": str(height)}

    def status(self) -> dict:
        fatal = None
        if self.faults.fatal_block is not None:
            fatal = {
                "message": "Mapping aborted at ~lib/simulated.ts, line 42: simulated fatal error",
                "block": self._block(self.faults.fatal_block),
                "handler": "handleTransfer",
                "deterministic": True,
            }
        health = "failed" if fatal else "unhealthy" if self.faults.indexing_error else "healthy"
        self.synced = self.synced or (self.block is not None and self.node_head is not None and self.block >= self.node_head - 1)
        return {
            "data": {
                "indexingStatuses": [
                    {
                        "subgraph": self.deployment,
                        "synced": self.synced,  # sticky, as graph-node's: once synced it stays so
                        "health": health,
                        "fatalError": fatal,
                        "nonFatalErrors": [],
                        "chains": [
                            {
                                "network": self.network,
                                "chainHeadBlock": self._block(self.node_head),
                                "latestBlock": self._block(self.block),
                            }
                        ],
                    }
                ]
            }
        }

    def control(self, body: dict) -> None:
        action = body.get("action")
        f = self.faults
        if action == "stall":
            f.stall = True
        elif action == "behind":
            f.behind = int(body["blocks"])
        elif action == "indexing_error":
            f.indexing_error = True
        elif action == "fatal":
            f.fatal_block = self.block if self.block is not None else 0
        elif action == "fork":
            f.fork = True
        elif action == "node_head_stale":
            f.node_head_stale = True
        elif action == "null_timestamp":
            f.null_timestamp = True
        elif action == "raw":
            if body.get("api") not in ("meta", "status"):
                raise ValueError("raw: api must be meta or status")
            f.raw[body["api"]] = body.get("body")
        elif action == "heal":
            self.faults = Faults()
        else:
            raise ValueError(f"unknown action {action!r}")

    def state(self) -> dict:
        f = self.faults
        return {
            "chain_head": self.chain_head,
            "node_head": self.node_head,
            "block": self.block,
            "deployment": self.deployment,
            "faults": {
                "stall": f.stall,
                "behind": f.behind,
                "indexing_error": f.indexing_error,
                "fatal_block": f.fatal_block,
                "fork": f.fork,
                "node_head_stale": f.node_head_stale,
                "null_timestamp": f.null_timestamp,
                "raw": sorted(f.raw),
            },
        }

    # ------------------------------------------------------------------ HTTP

    async def _graphql(self, request: web.Request, api: str) -> web.Response:
        try:
            query = (await request.json()).get("query", "")
        except (ValueError, AttributeError):
            return web.json_response({"errors": [{"message": "The request body is not valid JSON"}]}, status=400)
        if api in self.faults.raw:
            return web.Response(text=json.dumps(self.faults.raw[api]), content_type="application/json")
        if api == "meta" and "_meta" in query:
            return web.json_response(self.meta())
        if api == "status" and "indexingStatuses" in query:
            return web.json_response(self.status())
        return web.json_response({"errors": [{"message": "Unknown field"}]})

    async def _meta_handler(self, request: web.Request) -> web.Response:
        return await self._graphql(request, "meta")

    async def _status_handler(self, request: web.Request) -> web.Response:
        return await self._graphql(request, "status")

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/subgraphs/{path:.+}", self._meta_handler)
        app.router.add_post("/graphql", self._status_handler)


class Simulator(_Simulator):
    """A :class:`Subgraph` on a loopback port, with its two endpoints' URLs."""

    @property
    def subgraph(self) -> Subgraph:
        return self.sim

    @property
    def subgraph_url(self) -> str:
        return self.url(f"subgraphs/name/{self.sim.name}")

    @property
    def index_node_url(self) -> str:
        return self.url("graphql")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m chainwatch.kinds.subgraph.simulator",
        description="SIMULATED graph-node serving one subgraph that follows a real EVM chain (tests and demo; not graph-node).",
    )
    parser.add_argument("--chain-url", required=True, help="EVM JSON-RPC URL whose head the subgraph follows (e.g. anvil).")
    parser.add_argument("--host", default="127.0.0.1", help="Listen address (loopback by default).")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--name", default="sim", help="Subgraph name: POST /subgraphs/name/<name>.")
    parser.add_argument("--poll-ms", type=float, default=200.0, help="How often the chain's head is read.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    base = f"http://{args.host}:{args.port}"
    log.info("SIMULATED graph-node: subgraph %s/subgraphs/name/%s, index node %s/graphql (following %s)", base, args.name, base, args.chain_url)
    serve(Subgraph(args.chain_url, name=args.name, poll_seconds=args.poll_ms / 1000), args.host, args.port)


if __name__ == "__main__":
    main()

"""A SIMULATED Sui network behind the gRPC API, as gRPC-web and native gRPC — for tests only.

No sui-node runs here, so the probe is exercised against this stand-in, shaped as
``sui.rpc.v2.LedgerService/GetServiceInfo`` (sui-rpc ``ledger_service.proto``; framing and
encoding in :mod:`chainwatch.kinds.sui.grpcweb`) and checked by the official TypeScript SDK's
gRPC client (``@mysten/sui`` ``SuiGrpcClient``, tests/sui/test_sui_sdk.py). One process serves
several nodes of one chain, each under ``/<node>``:

- ``POST /<node>/sui.rpc.v2.LedgerService/GetServiceInfo`` (``application/grpc-web+proto``):
  a data frame with the node's ``GetServiceInfoResponse`` and a trailers frame
  (``grpc-status: 0``); with a ``token`` set, a request without ``Authorization: Bearer
  <token>`` gets ``grpc-status: 16`` (UNAUTHENTICATED) in a trailers-only answer;
- ``POST /<node>/sui.rpc.v2.LedgerService/GetEpoch``: the current epoch's ``Epoch`` with the
  fields :mod:`chainwatch.kinds.sui.epoch` reads (epoch, epoch start and duration, active
  validators' address / name / voting power, validator report records), whatever the read
  mask; ``validators`` validators of equal voting power (10,000 in all), reports cleared at
  every epoch change as on chain;
- ``POST /<node>/sui.rpc.v2.SubscriptionService/SubscribeCheckpoints``: a gRPC-web server
  stream (chunked), one ``SubscribeCheckpointsResponse`` data frame per checkpoint the node
  reaches (``cursor`` and ``checkpoint.sequence_number``, ``summary.epoch``/``timestamp``);
- a node in ``jsonrpc`` mode (a node of before the gRPC migration) answers 404 to the gRPC
  path and the retired JSON-RPC ``sui_getLatestCheckpointSequenceNumber`` on ``POST /<node>``;
- native gRPC (HTTP/2, cleartext) on a second port (``grpc_port`` in ``/-/state``, through
  grpclib's server): the same methods at ``/<node>/sui.rpc.v2.…`` (the endpoint URL
  ``http://127.0.0.1:<grpc_port>/<node>``), the token checked in the ``authorization``
  metadata; a ``jsonrpc`` node answers UNIMPLEMENTED there.

Controls (``POST /-/control`` ``{"action": …}``): ``halt``/``resume``; ``lag``/``follow`` a
``node``; ``set_chain_id``/``reset_chain_id`` a node; ``prune`` a node to ``checkpoints`` of
history; ``jsonrpc_only``/``grpc`` a node; ``report`` a ``validator`` by ``by`` peers (count) /
``unreport`` it; ``leave``/``rejoin`` a ``validator`` (out of / back in the active set); ``stall_stream``/``resume_stream`` a node's checkpoint
stream (polls go on: the stream alone falls behind).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from grpclib.const import Cardinality, Handler, Status
from grpclib.exceptions import GRPCError
from grpclib.server import Server

from chainwatch.devnet.simulator import Simulation, Simulator, serve
from chainwatch.kinds.sui.grpcweb import CONTENT_TYPE, GET_EPOCH_PATH, SERVICE_INFO_PATH, SUBSCRIBE_PATH, TRAILERS, encode, frame
from chainwatch.kinds.sui.native import RawCodec

CHAIN_ID = "4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S"  # the digest format of mainnet's genesis checkpoint
OTHER_CHAIN_ID = "69WiPg3DAQiwdxfncX6wYQ2siKwAe6L9BZthQea3JNMD"
SERVER = "sui-node/1.52.0-simulated"
HISTORY = 20_000


@dataclass
class Node:
    name: str
    frozen_at: int | None = None
    chain_id: str | None = None
    lowest: int = 0
    jsonrpc: bool = False
    stream_stalled_at: int | None = None


TOTAL_VOTING_POWER = 10_000


@dataclass
class Validator:
    name: str
    address: str
    voting_power: int
    active: bool = True


@dataclass
class Chain(Simulation):
    nodes: list[str]
    checkpoint_seconds: float = 0.25
    epoch_checkpoints: int = 1000
    start_height: int = 5000
    token: str | None = None
    manual: bool = False
    halted: bool = False
    validators: int = 4
    vals: list[Validator] = field(default_factory=list)
    reports: dict[str, list[str]] = field(default_factory=dict)  # reported address -> reporter addresses
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0  # 0: a free port, chosen at start
    by_node: dict[str, Node] = field(default_factory=dict)
    stamps: dict[int, int] = field(default_factory=dict)  # checkpoint -> timestamp ms

    def __post_init__(self) -> None:
        self.clock_seconds = None if self.manual else self.checkpoint_seconds
        self.by_node = {n: Node(n) for n in self.nodes}
        now = int(time.time() * 1000)
        self.height = self.start_height
        self.stamps = {self.height: now}
        power = TOTAL_VOTING_POWER // max(1, self.validators)
        self.vals = [Validator(f"val-{i + 1}", "0x" + format(0xA11CE000 + i + 1, "064x"), power) for i in range(self.validators)]
        self._native_server: Server | None = None
        self._moved: asyncio.Event | None = None
        self._closing = False

    def tick(self) -> None:
        if self.halted:
            return
        self.height += 1
        self.stamps[self.height] = int(time.time() * 1000)
        self.stamps.pop(self.height - HISTORY, None)
        if self.height % self.epoch_checkpoints == 0:
            self.reports.clear()  # report records do not outlive their epoch
        self.moved()

    def moved(self) -> None:
        """Wake the checkpoint streams (a new checkpoint, or a node let go on)."""
        if self._moved is not None:
            self._moved.set()
            self._moved = asyncio.Event()

    async def on_start(self) -> None:
        self._moved = asyncio.Event()
        self._native_server = Server([self], codec=RawCodec())
        await self._native_server.start(self.grpc_host, self.grpc_port)
        self.grpc_port = self._native_server._server.sockets[0].getsockname()[1]  # grpclib keeps the asyncio server there

    async def on_stop(self) -> None:
        self._closing = True
        self.moved()  # open native streams end before the server waits for its handlers
        if self._native_server is not None:
            self._native_server.close()
            await self._native_server.wait_closed()
            self._native_server = None

    def epoch_message(self) -> bytes:
        epoch = self.height // self.epoch_checkpoints
        first = epoch * self.epoch_checkpoints
        start_ms = self.stamps.get(first) or self.stamps[min(self.stamps)] - int((min(self.stamps) - first) * self.checkpoint_seconds * 1000)
        active = [encode([(1, v.name), (2, v.address), (29, v.voting_power)]) for v in self.vals if v.active]
        records = [encode([(1, reported), *((2, r) for r in reporters)]) for reported, reporters in sorted(self.reports.items())]
        state = encode(
            [
                (2, epoch),
                (4, encode([(1, sum(v.voting_power for v in self.vals if v.active)), *((2, v) for v in active)])),
                (6, encode([(1, int(self.epoch_checkpoints * self.checkpoint_seconds * 1000))])),
                *((8, r) for r in records),
                (15, start_ms),
            ]
        )
        return encode([(1, encode([(1, epoch), (3, state), (4, first)]))])

    def grpc_url(self, node: str) -> str:
        return f"http://{self.grpc_host}:{self.grpc_port}/{node}"

    def stream_height(self, node: Node) -> int:
        height = self.node_height(node)
        return height if node.stream_stalled_at is None else min(height, node.stream_stalled_at)

    async def checkpoints(self, node: Node):
        """The node's checkpoint stream: from its current checkpoint on, one message each."""
        sent = None
        while not self._closing:
            height = self.stream_height(node)
            if sent is None or height > sent:
                for number in range(height if sent is None else sent + 1, height + 1):
                    yield self.checkpoint_message(number)
                sent = height
            assert self._moved is not None
            await self._moved.wait()

    def checkpoint_message(self, number: int) -> bytes:
        ms = self.stamps.get(number, int(time.time() * 1000))
        summary = encode([(3, number // self.epoch_checkpoints), (4, number), (9, encode([(1, ms // 1000), (2, (ms % 1000) * 1_000_000)]))])
        return encode([(1, number), (2, encode([(1, number), (3, summary)]))])

    def node_height(self, node: Node) -> int:
        return self.height if node.frozen_at is None else min(node.frozen_at, self.height)

    def service_info(self, node: Node) -> bytes:
        height = self.node_height(node)
        ms = self.stamps.get(height, int(time.time() * 1000))
        timestamp = encode([(1, ms // 1000), (2, (ms % 1000) * 1_000_000)])
        return encode(
            [
                (1, node.chain_id or CHAIN_ID),
                (2, "localnet"),
                (3, height // self.epoch_checkpoints),
                (4, height),
                (5, timestamp),
                (6, min(node.lowest, height)),
                (7, min(node.lowest, height)),
                (8, SERVER),
            ]
        )

    # ------------------------------------------------------------------ HTTP

    def _node(self, request: web.Request) -> Node:
        node = self.by_node.get(request.match_info["node"])
        if node is None:
            raise web.HTTPNotFound(text="no such node\n")
        return node

    @staticmethod
    def _grpc(body: bytes) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def handle_service_info(self, request: web.Request) -> web.Response:
        node = self._node(request)
        await request.read()  # an empty GetServiceInfoRequest frame
        refused = self._refused(request, node)
        if refused is not None:
            return refused
        return self._grpc(frame(self.service_info(node)) + frame(b"grpc-status:0\r\ngrpc-message:\r\n", TRAILERS))

    async def handle_jsonrpc(self, request: web.Request) -> web.Response:
        node = self._node(request)
        if not node.jsonrpc:
            return web.Response(status=404, text="Not Found")  # JSON-RPC switched off
        try:
            call = json.loads(await request.read())
        except ValueError:
            return web.json_response({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
        if call.get("method") == "sui_getLatestCheckpointSequenceNumber":
            return web.json_response({"jsonrpc": "2.0", "id": call.get("id"), "result": str(self.node_height(node))})
        return web.json_response({"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": -32601, "message": "Method not found"}})

    def _refused(self, request: web.Request, node: Node) -> web.Response | None:
        if node.jsonrpc:
            return web.Response(status=404, text="Not Found")
        if not request.content_type.startswith("application/grpc-web"):
            return web.Response(status=415, text="Unsupported Media Type")
        if self.token is not None and request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._grpc(frame(b"grpc-status:16\r\ngrpc-message:missing%20or%20invalid%20bearer%20token\r\n", TRAILERS))
        return None

    async def handle_epoch(self, request: web.Request) -> web.Response:
        node = self._node(request)
        await request.read()
        refused = self._refused(request, node)
        if refused is not None:
            return refused
        return self._grpc(frame(self.epoch_message()) + frame(b"grpc-status:0\r\ngrpc-message:\r\n", TRAILERS))

    async def handle_subscribe(self, request: web.Request) -> web.StreamResponse:
        node = self._node(request)
        await request.read()
        refused = self._refused(request, node)
        if refused is not None:
            return refused
        response = web.StreamResponse(headers={"Content-Type": CONTENT_TYPE})
        await response.prepare(request)
        async for message in self.checkpoints(node):
            await response.write(frame(message))
        return response

    # ------------------------------------------------------------------ native gRPC (grpclib)

    def __mapping__(self) -> dict:
        out = {}
        for name, node in self.by_node.items():
            out[f"/{name}/{SERVICE_INFO_PATH}"] = Handler(self._native_info(node), Cardinality.UNARY_UNARY, bytes, bytes)
            out[f"/{name}/{GET_EPOCH_PATH}"] = Handler(self._native_epoch(node), Cardinality.UNARY_UNARY, bytes, bytes)
            out[f"/{name}/{SUBSCRIBE_PATH}"] = Handler(self._native_subscribe(node), Cardinality.UNARY_STREAM, bytes, bytes)
        return out

    def _native_check(self, stream, node: Node) -> None:
        if node.jsonrpc:
            raise GRPCError(Status.UNIMPLEMENTED, "no gRPC service on this node")
        if self.token is not None and stream.metadata.get("authorization") != f"Bearer {self.token}":
            raise GRPCError(Status.UNAUTHENTICATED, "missing or invalid bearer token")

    def _native_info(self, node: Node):
        async def handle(stream) -> None:
            await stream.recv_message()
            self._native_check(stream, node)
            await stream.send_message(self.service_info(node))

        return handle

    def _native_epoch(self, node: Node):
        async def handle(stream) -> None:
            await stream.recv_message()
            self._native_check(stream, node)
            await stream.send_message(self.epoch_message())

        return handle

    def _native_subscribe(self, node: Node):
        async def handle(stream) -> None:
            await stream.recv_message()
            self._native_check(stream, node)
            async for message in self.checkpoints(node):
                await stream.send_message(message)

        return handle

    async def _close_streams(self, app: web.Application) -> None:
        self._closing = True  # before aiohttp waits for its handlers: end the endless streams
        self.moved()

    def routes(self, app: web.Application) -> None:
        app.on_shutdown.append(self._close_streams)
        app.router.add_post("/{node}/" + SUBSCRIBE_PATH, self.handle_subscribe)
        app.router.add_post("/{node}/" + GET_EPOCH_PATH, self.handle_epoch)
        app.router.add_post("/{node}/" + SERVICE_INFO_PATH, self.handle_service_info)
        app.router.add_post("/{node}", self.handle_jsonrpc)
        app.router.add_post("/{node}/", self.handle_jsonrpc)

    # ------------------------------------------------------------------ controls

    def state(self) -> dict:
        return {
            "chain_id": CHAIN_ID,
            "height": self.height,
            "halted": self.halted,
            "grpc_port": self.grpc_port,
            "validators": [{"name": v.name, "address": v.address, "active": v.active} for v in self.vals],
            "reports": self.reports,
            "nodes": {n.name: {"height": self.node_height(n), "jsonrpc": n.jsonrpc, "chain_id": n.chain_id or CHAIN_ID} for n in self.by_node.values()},
        }

    def control(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        action = body.get("action")
        if action in ("halt", "resume"):
            self.halted = action == "halt"
            return
        if action in ("report", "unreport", "leave", "rejoin"):
            val = {v.name: v for v in self.vals}[body["validator"]]
            if action == "report":
                peers = [v.address for v in self.vals if v is not val and v.active]
                self.reports[val.address] = peers[: int(body.get("by", 1))]
            elif action == "unreport":
                self.reports.pop(val.address, None)
            else:
                val.active = action == "rejoin"
            return
        node = self.by_node[body["node"]]
        if action == "lag":
            node.frozen_at = self.height
        elif action == "follow":
            node.frozen_at = None
            self.moved()
        elif action == "set_chain_id":
            node.chain_id = OTHER_CHAIN_ID
        elif action == "reset_chain_id":
            node.chain_id = None
        elif action == "prune":
            node.lowest = max(0, self.height - int(body["checkpoints"]))
        elif action in ("jsonrpc_only", "grpc"):
            node.jsonrpc = action == "jsonrpc_only"
        elif action == "stall_stream":
            node.stream_stalled_at = self.stream_height(node)
        elif action == "resume_stream":
            node.stream_stalled_at = None
            self.moved()
        else:
            raise ValueError(f"unknown action {action!r}")


__all__ = ["CHAIN_ID", "Chain", "Simulator"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m chainwatch.kinds.sui.simulator", description="SIMULATED Sui network over gRPC-web (tests; not a sui-node)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="Listen address (loopback by default).")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--nodes", default="sui-1,sui-ref-1,sui-ref-2,sui-ref-3")
    parser.add_argument("--grpc-port", type=int, default=0, help="Native gRPC (HTTP/2) port; 0: a free one (in /-/state).")
    parser.add_argument("--checkpoint-ms", type=int, default=250)
    parser.add_argument("--epoch-checkpoints", type=int, default=1000)
    parser.add_argument("--validators", type=int, default=4)
    args = parser.parse_args(argv)
    chain = Chain(
        args.nodes.split(","),
        checkpoint_seconds=args.checkpoint_ms / 1000,
        epoch_checkpoints=args.epoch_checkpoints,
        validators=args.validators,
        grpc_host=args.host,
        grpc_port=args.grpc_port,
    )
    serve(chain, args.host, args.port)


if __name__ == "__main__":
    main()

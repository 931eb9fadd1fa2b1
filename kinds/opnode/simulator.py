"""A SIMULATED op-node answering ``optimism_syncStatus`` — for tests and the demo only.

No op-node (nor op-geth, op-batcher) can run here, so the rollup probe is exercised against
this small stand-in. It is driven by two REAL anvil nodes, one playing the L1 and one the
L2 execution chain (the sequencer's op-geth): its heads are real blocks of those anvils,
shaped exactly as op-node encodes them (``op-service/eth/sync_status.go`` and ``id.go``:
``number`` and ``timestamp`` JSON integers, ``hash``/``parentHash`` 0x hex, L2 refs with
``l1origin`` and ``sequenceNumber``).

Model
-----
- ``unsafe_l2``: the L2 anvil's latest block (the sequencer's tip).
- ``safe_l2`` = ``pending_safe_l2``: ``safe_delay_blocks`` behind unsafe while the batcher
  posts; frozen where it was while the batcher is stalled or while derivation has no new L1
  data (L1 view frozen). ``finalized_l2``: ``finalized_delay_blocks`` behind safe.
- ``head_l1`` = ``current_l1``: the L1 anvil's latest block, or the block where the L1 view
  froze (a lagging L1 node behind the op-node); ``safe_l1``/``finalized_l1`` are 2 and 8
  blocks behind ``head_l1``; ``current_l1_finalized`` = ``finalized_l1``.

Faults (Python API on :class:`OpNodeSim` and ``POST /-/control`` ``{"action": …}``)
---------------------------------------------------------------------------------------
- ``stall_batcher`` / ``resume_batcher``: the safe head freezes while unsafe advances;
- ``lag_l1`` / ``heal_l1``: the op-node's L1 view freezes while the real L1 advances;
- ``halt_sequencer`` / ``resume_sequencer``: the L2 anvil stops / resumes mining
  (``evm_setAutomine false`` + ``evm_setIntervalMining 0``);
- ``heal``: all of the above resumed. ``GET /-/state`` shows the faults and heads.

Run: ``python -m chainwatch.kinds.opnode.simulator --l1 http://127.0.0.1:8545 --l2 http://127.0.0.1:9545``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from typing import Any

import aiohttp
from aiohttp import web

from chainwatch.devnet.simulator import Simulation, Simulator, serve

log = logging.getLogger("chainwatch.opnode.simulator")

ZERO_HASH = "0x" + "00" * 32
VERSION = "v0.0.0-chainwatch-simulated"


class RpcError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class OpNodeSim(Simulation):
    def __init__(self, l1_url: str, l2_url: str, *, safe_delay_blocks: int = 2, finalized_delay_blocks: int = 10, l2_block_seconds: float = 1.0):
        self.l1_url, self.l2_url = l1_url, l2_url
        self.safe_delay_blocks = safe_delay_blocks
        self.finalized_delay_blocks = finalized_delay_blocks
        self.l2_block_seconds = l2_block_seconds
        self.batcher_stalled = False
        self.sequencer_halted = False
        self.l1_frozen_at: int | None = None  # L1 block number where the op-node's L1 view stopped
        self.safe_frozen_at: int | None = None
        self._blocks: dict[tuple[str, int], dict] = {}  # (url, number) -> block; blocks never change on anvil
        self._session: aiohttp.ClientSession | None = None
        self._last_safe = 0

    # ------------------------------------------------------------------ anvils

    async def _rpc(self, url: str, method: str, params: list) -> Any:
        assert self._session is not None
        async with self._session.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}) as resp:
            body = await resp.json(content_type=None)
        if "error" in body:
            raise RpcError(-32000, f"{method}: {body['error'].get('message', '')}")
        return body["result"]

    async def _block(self, url: str, number: int | str) -> dict:
        if isinstance(number, int):
            cached = self._blocks.get((url, number))
            if cached is not None:
                return cached
        tag = hex(number) if isinstance(number, int) else number
        block = await self._rpc(url, "eth_getBlockByNumber", [tag, False])
        if block is None:
            raise RpcError(-32000, f"block {tag} not found")
        parsed = {"hash": block["hash"], "number": int(block["number"], 16), "parentHash": block["parentHash"], "timestamp": int(block["timestamp"], 16)}
        self._blocks[(url, parsed["number"])] = parsed
        if len(self._blocks) > 4096:  # keep memory flat on long demo runs
            for key in sorted(self._blocks, key=lambda k: k[1])[:1024]:
                del self._blocks[key]
        return parsed

    async def _ref(self, url: str, number: int, latest: dict, block_seconds: float) -> dict:
        number = max(0, min(number, latest["number"]))
        try:
            return await self._block(url, number)
        except RpcError:  # pruned history: an estimate, like a node that lost the block
            return {
                "hash": ZERO_HASH,
                "number": number,
                "parentHash": ZERO_HASH,
                "timestamp": latest["timestamp"] - int((latest["number"] - number) * block_seconds),
            }

    # ------------------------------------------------------------------ the answer

    async def sync_status(self) -> dict:
        l1_latest, l2_latest = await asyncio.gather(self._block(self.l1_url, "latest"), self._block(self.l2_url, "latest"))
        head_l1 = l1_latest if self.l1_frozen_at is None else await self._ref(self.l1_url, self.l1_frozen_at, l1_latest, 1.0)
        want_safe = max(0, l2_latest["number"] - self.safe_delay_blocks)
        if self.batcher_stalled or self.l1_frozen_at is not None:
            if self.safe_frozen_at is None:
                self.safe_frozen_at = self._last_safe or want_safe
            safe_n = self.safe_frozen_at
        else:
            self.safe_frozen_at = None
            safe_n = want_safe
        self._last_safe = safe_n
        safe = await self._ref(self.l2_url, safe_n, l2_latest, self.l2_block_seconds)
        finalized = await self._ref(self.l2_url, safe_n - self.finalized_delay_blocks, l2_latest, self.l2_block_seconds)
        safe_l1 = await self._ref(self.l1_url, head_l1["number"] - 2, l1_latest, 1.0)
        finalized_l1 = await self._ref(self.l1_url, head_l1["number"] - 8, l1_latest, 1.0)

        def l2(ref: dict) -> dict:
            origin = finalized_l1 if ref is finalized else safe_l1
            return {**ref, "l1origin": {"hash": origin["hash"], "number": origin["number"]}, "sequenceNumber": 0}

        return {
            "current_l1": head_l1,
            "current_l1_finalized": finalized_l1,
            "head_l1": head_l1,
            "safe_l1": safe_l1,
            "finalized_l1": finalized_l1,
            "unsafe_l2": l2(l2_latest),
            "safe_l2": l2(safe),
            "finalized_l2": l2(finalized),
            "pending_safe_l2": l2(safe),
            "queued_unsafe_l2": {
                "hash": ZERO_HASH,
                "number": 0,
                "parentHash": ZERO_HASH,
                "timestamp": 0,
                "l1origin": {"hash": ZERO_HASH, "number": 0},
                "sequenceNumber": 0,
            },
        }

    async def rollup_config(self) -> dict:
        l1_id, l2_id = await asyncio.gather(self._rpc(self.l1_url, "eth_chainId", []), self._rpc(self.l2_url, "eth_chainId", []))
        return {"l1_chain_id": int(l1_id, 16), "l2_chain_id": int(l2_id, 16), "block_time": 2}

    async def call(self, method: str) -> Any:
        if method == "optimism_syncStatus":
            return await self.sync_status()
        if method == "optimism_rollupConfig":
            return await self.rollup_config()
        if method == "optimism_version":
            return VERSION
        raise RpcError(-32601, f"the method {method} does not exist/is not available")

    async def answer(self, item: Any) -> dict:
        if not isinstance(item, dict) or not isinstance(item.get("method"), str):
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "invalid request"}}
        try:
            return {"jsonrpc": "2.0", "id": item.get("id"), "result": await self.call(item["method"])}
        except RpcError as err:
            return {"jsonrpc": "2.0", "id": item.get("id"), "error": {"code": err.code, "message": err.message}}
        except (TimeoutError, aiohttp.ClientError) as err:  # an anvil behind us is gone
            return {"jsonrpc": "2.0", "id": item.get("id"), "error": {"code": -32000, "message": f"upstream: {type(err).__name__}"}}

    # ------------------------------------------------------------------ faults

    async def stall_batcher(self) -> None:
        self.batcher_stalled = True

    async def resume_batcher(self) -> None:
        self.batcher_stalled = False

    async def lag_l1(self) -> None:
        if self.l1_frozen_at is None:
            self.l1_frozen_at = (await self._block(self.l1_url, "latest"))["number"]

    async def heal_l1(self) -> None:
        self.l1_frozen_at = None

    async def halt_sequencer(self) -> None:
        await self._rpc(self.l2_url, "evm_setAutomine", [False])
        await self._rpc(self.l2_url, "evm_setIntervalMining", [0])
        self.sequencer_halted = True

    async def resume_sequencer(self) -> None:
        await self._rpc(self.l2_url, "evm_setIntervalMining", [max(1, round(self.l2_block_seconds))])
        self.sequencer_halted = False

    async def heal(self) -> None:
        await self.resume_batcher()
        await self.heal_l1()
        if self.sequencer_halted:
            await self.resume_sequencer()

    ACTIONS = ("stall_batcher", "resume_batcher", "lag_l1", "heal_l1", "halt_sequencer", "resume_sequencer", "heal")

    async def control(self, body: Any) -> None:
        action = body.get("action") if isinstance(body, dict) else None
        if action not in self.ACTIONS:
            raise ValueError(f"unknown action {action!r} (one of {', '.join(self.ACTIONS)})")
        await getattr(self, action)()

    def state(self) -> dict:
        return {
            "batcher_stalled": self.batcher_stalled,
            "sequencer_halted": self.sequencer_halted,
            "l1_frozen_at": self.l1_frozen_at,
            "safe_frozen_at": self.safe_frozen_at,
        }

    # ------------------------------------------------------------------ HTTP

    async def handle_rpc(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response({"jsonrpc": "2.0", "error": {"code": -32700, "message": "parse error"}, "id": None})
        if isinstance(body, list):
            if not body:
                return web.json_response({"jsonrpc": "2.0", "error": {"code": -32600, "message": "empty batch"}, "id": None})
            return web.json_response([await self.answer(item) for item in body])
        return web.json_response(await self.answer(body))

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/", self.handle_rpc)

    async def on_start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))

    async def on_stop(self) -> None:
        if self._session is not None:
            await self._session.close()


__all__ = ["OpNodeSim", "Simulator"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m chainwatch.kinds.opnode.simulator",
        description="SIMULATED op-node (optimism_syncStatus) driven by two anvils (tests and demo; not an op-node).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="Listen address (loopback by default).")
    parser.add_argument("--port", type=int, default=9545)
    parser.add_argument("--l1", required=True, help="JSON-RPC URL of the anvil playing L1.")
    parser.add_argument("--l2", required=True, help="JSON-RPC URL of the anvil playing the L2 (sequencer's) execution chain.")
    parser.add_argument("--l2-block-seconds", type=float, default=1.0, help="Block time the L2 anvil mines with (to resume it).")
    parser.add_argument("--safe-delay-blocks", type=int, default=2)
    parser.add_argument("--finalized-delay-blocks", type=int, default=10)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sim = OpNodeSim(
        args.l1, args.l2, safe_delay_blocks=args.safe_delay_blocks, finalized_delay_blocks=args.finalized_delay_blocks, l2_block_seconds=args.l2_block_seconds
    )
    log.info("SIMULATED op-node on http://%s:%d/ (L1 %s, L2 %s)", args.host, args.port, args.l1, args.l2)
    serve(sim, args.host, args.port)


if __name__ == "__main__":
    main()

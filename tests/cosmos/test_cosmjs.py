"""The simulator's CometBFT answers parse in an independent client: npm @cosmjs/tendermint-rpc.

Talks to: the SIMULATED CometBFT chain (kinds/cosmos/simulator.py) through the real cosmjs
client run by Node (installed into $CHAINWATCH_TOOLS by .ci/setup). cosmjs picks its client
from ``node_info.version`` (0.38.x -> Comet38Client) and decodes status, block and validators
with its own strict decoders; a shape that differs from what the ecosystem parses fails here.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from chainwatch.kinds.cosmos.simulator import FLAG_ABSENT, FLAG_COMMIT, Chain, Simulator, Validator
from tests.support import TOOLS, require_binary
from tests.support.poll import async_wait_until

SCRIPT = Path(__file__).with_name("cosmjs_client.cjs")
MODULES = TOOLS / "node_modules"


def _require_cosmjs() -> None:
    if not (MODULES / "@cosmjs/tendermint-rpc").is_dir():
        message = "@cosmjs/tendermint-rpc is not installed in $CHAINWATCH_TOOLS (.ci/setup installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


async def _wait_height(chain: Chain, height: int, timeout: float = 20.0) -> None:
    await async_wait_until(
        lambda: chain.height >= height, timeout, f"simulated chain reaching {height}", interval=0.05, describe=lambda _: f"at {chain.height}"
    )


async def test_cosmjs_decodes_status_block_validators_and_net_info():
    node = require_binary("node", TOOLS / "node22/bin/node")
    _require_cosmjs()
    vals = [Validator(f"val-{i}", power=30 - i) for i in range(1, 6)]
    chain = Chain(["rpc-1"], vals, block_seconds=0.1, start_height=500)
    async with Simulator(chain) as sim:
        chain.stop_signing("val-5")  # one absent vote (flag 1) in the commits that follow
        await _wait_height(chain, 504)
        chain.halt()  # freeze the height so status and block agree with what we compare
        height = chain.height
        proc = await asyncio.create_subprocess_exec(
            node,
            str(SCRIPT),
            sim.url("rpc-1"),
            str(height),
            env={**os.environ, "NODE_PATH": str(MODULES)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()[-2000:]
    got = json.loads(out)

    assert got["client"] == "Comet38Client"
    assert got["status"]["network"] == chain.chain_id
    assert got["status"]["version"].startswith("0.38.")
    assert got["status"]["latestBlockHeight"] == height
    assert got["status"]["catchingUp"] is False

    block = chain.blocks[height]
    assert got["block"]["height"] == height
    assert got["block"]["chainId"] == chain.chain_id
    assert got["block"]["proposer"] == block.proposer
    assert got["block"]["lastCommitHeight"] == height - 1
    signers = {v.address for v in vals if v.name != "val-5"}
    sigs = got["block"]["signatures"]
    assert [s["flag"] for s in sigs].count(FLAG_ABSENT) == 1
    assert {s["address"] for s in sigs if s["flag"] == FLAG_COMMIT} == signers
    assert all(s["signed"] == (s["flag"] == FLAG_COMMIT) for s in sigs)

    assert got["validators"]["blockHeight"] == height - 1
    assert got["validators"]["total"] == 5
    listed = got["validators"]["list"]
    assert [v["address"] for v in listed] == [v.address for v in sorted(vals, key=lambda v: -v.power)]
    assert all(v["derived"] == v["address"] and v["algorithm"] == "ed25519" for v in listed)  # SHA-256(pubkey)[:20]
    assert [v["power"] for v in listed] == [str(v.power) for v in sorted(vals, key=lambda v: -v.power)]
    assert got["validators"]["page2"] == [v["address"] for v in listed[2:4]]

    assert got["netInfo"] == {"nPeers": chain.nodes["rpc-1"].peers, "peers": chain.nodes["rpc-1"].peers, "network": chain.chain_id}

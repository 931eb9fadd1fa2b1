"""Each chain kind's well-behaved upstream answers, as tables in the shapes of its API's docs.

The one table per kind that every fake upstream in the tests answers from: the loopback
:class:`tests.support.fakeserver.FakeServer` (``srv.jsonrpc("/node", evm_results())``), the
misbehaving :class:`tests.support.hostile.HostileServer` (its ``ok`` case and the base every
mutation breaks) and the aioresponses callbacks of tests/solana (``docs_shapes.Rpc``):

- EVM: the Ethereum JSON-RPC spec (ethereum.github.io/execution-apis), as geth answers;
- Solana: https://solana.com/docs/rpc/http, values from the docs' own examples where given;
- beacon: the Beacon API spec (ethereum.github.io/beacon-APIs), integers as strings;
- cosmos: CometBFT v0.38 RPC (docs.cometbft.com/v0.38/rpc), heights as decimal strings;
- bitcoin: the Bitcoin Core 0.21 RPC reference.

JSON-RPC tables are ``results(method, params)`` functions (an error object for an unknown
method, -32601 as each server sends it); REST tables map a route to its JSON body.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from tests.support.fakeserver import FakeServer


def jsonrpc_answer(results: Callable[[str, list], Any]) -> Callable[[web.Request, bytes], tuple[int, Any]]:
    """JSON-RPC over POST: ``results(method, params)`` is a value or an error dict."""

    def item(call: dict) -> dict:
        value = results(call.get("method"), call.get("params") or [])
        if isinstance(value, dict) and set(value) >= {"code", "message"} and len(value) <= 3:
            return {"jsonrpc": "2.0", "id": call.get("id"), "error": value}
        return {"jsonrpc": "2.0", "id": call.get("id"), "result": value}

    def answer(request: web.Request, raw: bytes) -> tuple[int, Any]:
        payload = json.loads(raw)
        if isinstance(payload, list):
            return 200, [item(c) for c in payload]
        return 200, item(payload)

    return answer


DROP = object()  # an override value that removes the method (it then answers -32601, as anvil does for txpool_status)


def evm_table(head: int = 0x10, chain_id: int = 1, age: float = 2, **override) -> dict[str, Any]:
    """A healthy geth by method, its head block ``age`` seconds old; ``override`` replaces
    (or with :data:`DROP` removes) methods."""
    now = int(time.time())
    table = {
        "eth_chainId": hex(chain_id),
        "eth_blockNumber": hex(head),
        "eth_syncing": False,
        "net_peerCount": "0x32",
        "txpool_status": {"pending": "0x7", "queued": "0x2"},
        "eth_getBlockByNumber": {"number": hex(head), "timestamp": hex(now - int(age)), "baseFeePerGas": "0x3b9aca00", "hash": "0x" + "ab" * 32},
        "eth_gasPrice": "0x4a817c800",
        "web3_clientVersion": "Geth/v1.14.8-stable/linux-amd64/go1.22.6",
    }
    table.update(override)
    return {k: v for k, v in table.items() if v is not DROP}


def evm_results(head: int = 0x10, chain_id: int = 1, **override) -> Callable[[str, list], Any]:
    """:func:`evm_table` as a ``results(method, params)`` function, the block age taken at each call."""

    def results(method: str, params: list) -> Any:
        table = evm_table(head, chain_id, **override)
        if method in table:
            return table[method]
        return {"code": -32601, "message": f"the method {method} does not exist/is not available"}

    return results


# The network identity the well-behaved answers carry (configure it to have it checked).
BEACON_GENESIS_ROOT = "0x" + "ab" * 32

SOLANA_GENESIS = "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"  # mainnet-beta


# Solana, as https://solana.com/docs/rpc/http shows it: the docs' own example values where the
# docs give one (the tests adjust slots).
HEALTHY = "ok"
# getHealth when the node is behind (RpcCustomError::NodeUnhealthy), as Agave sends it.
BEHIND_42 = {"code": -32005, "message": "Node is behind by 42 slots", "data": {"numSlotsBehind": 42}}
UNHEALTHY_UNKNOWN = {"code": -32005, "message": "Node is unhealthy", "data": {}}
EPOCH_INFO = {"absoluteSlot": 166598, "blockHeight": 166500, "epoch": 27, "slotIndex": 2790, "slotsInEpoch": 8192, "transactionCount": 22661093}
PERF_SAMPLES = [
    {"numNonVoteTransactions": 69449, "numSlots": 149, "numTransactions": 263299, "samplePeriodSecs": 60, "slot": 335501725},
    {"numNonVoteTransactions": 70649, "numSlots": 155, "numTransactions": 272267, "samplePeriodSecs": 60, "slot": 335501576},
]
VERSION = {"feature-set": 2891131721, "solana-core": "1.16.7"}
METHOD_NOT_FOUND = {"code": -32601, "message": "Method not found"}
SLOT_SKIPPED = {"code": -32009, "message": "Slot 166597 was skipped, or missing in long-term storage"}
VOTE_ACCOUNTS = {
    "current": [
        {
            "commission": 0,
            "epochVoteAccount": True,
            "epochCredits": [[1, 64, 0], [2, 192, 64]],
            "nodePubkey": "B97CCUW3AEZFGy6uUg6zUdnNYvnVq5VG8PUtb2HayTDD",
            "lastVote": 147,
            "activatedStake": 42,
            "votePubkey": "3ZT31jkAGhUaw8jsy4bTknwBMP8i4Eueh52By4zXcsVw",
            "rootSlot": 42,
        }
    ],
    "delinquent": [],
}
BLOCK_PRODUCTION = {
    "context": {"slot": 9887},
    "value": {"byIdentity": {"85iYT5RuzRTDgjyRa3cP8SYhM2j21fj7NhfJ3peu1DPr": [9888, 9886]}, "range": {"firstSlot": 0, "lastSlot": 9887}},
}


def solana_node(slot: int = 166598, block_time: int | Callable = 1_700_000_000, **overrides) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "getHealth": HEALTHY,
        "getSlot:processed": slot + 2,
        "getSlot:confirmed": slot,
        "getSlot:finalized": slot - 32,
        "getBlockHeight": slot - 98,
        "getEpochInfo": dict(EPOCH_INFO, absoluteSlot=slot),
        "getRecentPerformanceSamples": PERF_SAMPLES[:1],
        "getVersion": VERSION,
        "getBlockTime": block_time,
    }
    answers.update(overrides)
    return answers


def solana_results(slot: int = 16, **override) -> Callable[[str, list], Any]:
    """Solana answers in the shapes the Solana RPC docs show (tests/solana/docs_shapes.py)."""

    def results(method: str, params: list) -> Any:
        table = {
            "getHealth": "ok",
            "getSlot": slot,
            "getBlockHeight": slot - 2,
            "getEpochInfo": {"absoluteSlot": slot, "blockHeight": slot - 2, "epoch": 0, "slotIndex": slot, "slotsInEpoch": 8192, "transactionCount": 1000},
            "getRecentPerformanceSamples": [{"numNonVoteTransactions": 10, "numSlots": 150, "numTransactions": 6000, "samplePeriodSecs": 60, "slot": slot}],
            "getVersion": {"feature-set": 2891131721, "solana-core": "1.18.26"},
            "getBlockTime": int(time.time()) - 1,
            "getGenesisHash": SOLANA_GENESIS,
        }
        table.update(override)
        if method in table:
            value = table[method]
            return value(params) if callable(value) else value
        return {"code": -32601, "message": "Method not found"}

    return results


def beacon_table(head: int = 16, genesis: int | None = None) -> dict[str, Any]:
    """Standard Beacon API answers by route (strings for integers, as the spec has them)."""
    genesis = int(time.time()) - head * 12 - 1 if genesis is None else genesis
    root = "0x" + "00" * 32
    return {
        "/eth/v1/beacon/genesis": {
            "data": {"genesis_time": str(genesis), "genesis_validators_root": BEACON_GENESIS_ROOT, "genesis_fork_version": "0x00000000"}
        },
        "/eth/v1/config/spec": {"data": {"SECONDS_PER_SLOT": "12", "SLOTS_PER_EPOCH": "32"}},
        "/eth/v1/node/syncing": {"data": {"head_slot": str(head), "sync_distance": "0", "is_syncing": False, "is_optimistic": False, "el_offline": False}},
        "/eth/v1/node/health": None,
        "/eth/v1/node/peer_count": {"data": {"connected": "50", "connecting": "1", "disconnecting": "0", "disconnected": "3"}},
        "/eth/v1/node/peers": {
            "data": [{"peer_id": "16Uiu2", "state": "connected", "direction": "inbound"}] * 30
            + [{"peer_id": "16Uiu3", "state": "connected", "direction": "outbound"}] * 20
        },
        "/eth/v1/beacon/states/head/finality_checkpoints": {
            "data": {
                "previous_justified": {"epoch": "0", "root": root},
                "current_justified": {"epoch": "0", "root": root},
                "finalized": {"epoch": "0", "root": root},
            }
        },
        "/eth/v1/node/version": {"data": {"version": "Lighthouse/v5.3.0-d6ba8c3/x86_64-linux"}},
    }


def beacon_answers(head: int = 16, genesis: int | None = None, **override) -> Callable[[web.Request, bytes], tuple[int, Any]]:
    table = {**beacon_table(head, genesis), **override}

    def answer(request: web.Request, raw: bytes) -> tuple[int, Any]:
        path = request.path
        route = path[path.index("/eth/") :] if "/eth/" in path else path
        if route not in table:
            return 404, {"code": 404, "message": "route not found"}
        return 200, table[route]

    return answer


COSMOS_CHAIN_ID = "cosmoshub-4"


def cosmos_table(head: int = 16, age: float = 1.0) -> dict[str, Any]:
    """Standard CometBFT v0.38 RPC answers by route (heights as decimal strings, as CometBFT sends them)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - age)) + ".123456789Z"
    return {
        "/status": {
            "jsonrpc": "2.0",
            "id": -1,
            "result": {
                "node_info": {
                    "protocol_version": {"p2p": "8", "block": "11", "app": "0"},
                    "id": "ab" * 20,
                    "listen_addr": "tcp://0.0.0.0:26656",
                    "network": COSMOS_CHAIN_ID,
                    "version": "0.38.17",
                    "channels": "40202122233038606100",
                    "moniker": "hostile",
                    "other": {"tx_index": "on", "rpc_address": "tcp://0.0.0.0:26657"},
                },
                "sync_info": {
                    "latest_block_hash": "AB" * 32,
                    "latest_app_hash": "CD" * 32,
                    "latest_block_height": str(head),
                    "latest_block_time": stamp,
                    "catching_up": False,
                },
                "validator_info": {"address": "EF" * 20, "pub_key": {"type": "tendermint/PubKeyEd25519", "value": "A" * 43 + "="}, "voting_power": "0"},
            },
        },
        "/net_info": {"jsonrpc": "2.0", "id": -1, "result": {"listening": True, "listeners": ["Listener(@)"], "n_peers": "50", "peers": []}},
    }


def cosmos_answers(head: int = 16, **override) -> Callable[[web.Request, bytes], tuple[int, Any]]:
    table = {**cosmos_table(head), **override}

    def answer(request: web.Request, raw: bytes) -> tuple[int, Any]:
        route = "/" + request.path.rstrip("/").rsplit("/", 1)[-1]
        if route not in table:
            return 404, {"jsonrpc": "2.0", "id": -1, "error": {"code": -32601, "message": "Method not found", "data": ""}}
        return (500 if "error" in (table[route] or {}) else 200), table[route]

    return answer


BITCOIN_BEST = "00000000000000000001c3f0d4d3c79fbd0bd4a0a5f1a2b3c4d5e6f708192a3b"


def bitcoin_results(head: int = 16, chain: str = "main", **override) -> Callable[[str, list], Any]:
    """Bitcoin Core answers in the shapes of its RPC reference (Bitcoin Core 0.21: no ``time`` in
    getblockchaininfo, so the probe asks getblockheader; JSON-RPC 1.0 items carry ``error: null``)."""

    def results(method: str, params: list) -> Any:
        table = {
            "getblockchaininfo": {
                "chain": chain,
                "blocks": head,
                "headers": head,
                "bestblockhash": BITCOIN_BEST,
                "mediantime": int(time.time()) - 600,
                "verificationprogress": 0.9999,
                "initialblockdownload": False,
                "size_on_disk": 123456,
                "warnings": "",
            },
            "getnetworkinfo": {
                "version": 210000,
                "subversion": "/Satoshi:0.21.0/",
                "connections": 10,
                "connections_in": 2,
                "connections_out": 8,
                "networkactive": True,
                "warnings": "",
            },
            "getmempoolinfo": {"loaded": True, "size": 120, "bytes": 50000, "usage": 200000, "maxmempool": 300000000, "mempoolminfee": 0.00001},
            "estimatesmartfee": {"feerate": 0.0002, "blocks": 2},
            "getchaintips": [{"height": head, "hash": BITCOIN_BEST, "branchlen": 0, "status": "active"}],
            "getblockheader": {"hash": BITCOIN_BEST, "height": head, "time": int(time.time()) - 60},
            "getblockhash": BITCOIN_BEST,
        }
        table.update(override)
        if method in table:
            value = table[method]
            return value(params) if callable(value) else value
        return {"code": -32601, "message": "Method not found"}

    return results


def rest(answer: Callable[[web.Request, bytes], tuple[int, Any]]) -> Callable[[Any], None]:
    """Install a REST answer table as the fake server's answer to every path."""

    def install(srv) -> None:
        async def unrouted(request: web.Request, raw: bytes) -> web.StreamResponse:
            status, body = answer(request, raw)
            return web.json_response(body, status=status)

        srv.unrouted = unrouted

    return install


def served(install: Callable[[Any], None]):
    """A FakeServer (tests/support/fakeserver.py) answering from ``install``'s table at "/"."""

    @asynccontextmanager
    async def upstream() -> AsyncIterator[str]:
        with FakeServer() as srv:
            install(srv)
            yield srv.url("/")

    return upstream


def simulated(module: str, make: Callable[[Any], Any], path: str):
    """The kind's simulator (``chainwatch.kinds.<kind>.simulator``) on a loopback port, serving
    one node named ``node-1`` (the example chain's), at ``path`` of the simulator's URL."""

    @asynccontextmanager
    async def upstream() -> AsyncIterator[str]:
        sim = importlib.import_module(module)
        async with sim.Simulator(make(sim)) as server:
            yield server.url(path)

    return upstream


def geth_with_hashes() -> Callable[[str, list], Any]:
    """:func:`evm_results` whose blocks carry ``hash`` and ``parentHash`` (simulators following
    the chain key their state by them)."""
    base = evm_results()

    def results(method: str, params: list) -> Any:
        value = base(method, params)
        if method == "eth_getBlockByNumber":
            number = int(value["number"], 16)
            value = {**value, "hash": "0x%064x" % (number + 1), "parentHash": "0x%064x" % number}
        return value

    return results


def linked(module: str, make: Callable[[Any, str], Any], path: str):
    """The kind's simulator following a healthy EVM chain (a fake geth, :func:`evm_results`)
    that its chain links: yields (the node's URL, the linked chain's URL)."""

    @asynccontextmanager
    async def upstream() -> AsyncIterator[tuple[str, str]]:
        sim = importlib.import_module(module)
        with FakeServer() as evm:
            evm.jsonrpc("/", geth_with_hashes())
            async with sim.Simulator(make(sim, evm.url("/"))) as server:
                yield server.url(path), evm.url("/")

    return upstream


def upstream(kind) -> Callable[[], Any] | None:
    """The healthy node the conformance test (tests/test_conformance.py) probes a kind against:
    ``UPSTREAM`` of the kind's own test package, ``tests/<kind>/upstream.py`` (for a kind
    registered from outside the product, ``<its package>.upstream``), None when it has none.

    ``async with upstream()() as url`` serves a healthy node at ``url`` with the identity of the
    kind's example chain (``ChainKind.example``): a table of its API's documented answers (the
    helpers above) or its simulator; for a kind that links other chains, ``url`` is (its node's,
    the linked chains')."""
    module = f"{kind.home}.upstream" if kind.home else f"tests.{kind.name}.upstream"
    try:
        return importlib.import_module(module).UPSTREAM
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise

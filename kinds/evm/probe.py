"""EVM execution-layer probe: one JSON-RPC batch per endpoint per round.

Exposition it contributes (besides probe success/latency added for every probe)::

    chainwatch_head_height{chain="ethereum",endpoint="geth-1",network="mainnet",role="node"} 2.1e+07
    chainwatch_head_age_seconds{...} 4.2
    chainwatch_peers{...} 48
    chainwatch_mempool_transactions{...,state="pending"} 5123
    chainwatch_node_info{...,client_version="Geth/v1.14.8-stable/linux-amd64/go1.22.6"} 1

A method the node does not implement (anvil answers -32601 to ``net_peerCount``,
hardhat to ``txpool_status``) leaves that metric absent: absent is "we don't know",
zero would be a lie that fires a "peers low" page.
"""

from __future__ import annotations

import re
import time

from chainwatch.exporters import jsonrpc
from chainwatch.core.config import Endpoint
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.probe import ProbeContext, ProbeResult

CLIENT_VERSION_TTL = 600.0  # web3_clientVersion rarely changes; ask every 10 minutes
_SAFE_VERSION = re.compile(r"[^A-Za-z0-9._/+:-]")

KNOWN_PARAMS = {"eth_getBlockByNumber": ["latest", False], "eth_getBalance": ["0x0000000000000000000000000000000000000000", "latest"]}


def calls_for(cache: dict) -> list[tuple[str, list]]:
    calls = [
        ("eth_chainId", []),
        ("eth_blockNumber", []),
        ("eth_syncing", []),
        ("net_peerCount", []),
        ("txpool_status", []),
        ("eth_getBlockByNumber", ["latest", False]),
        ("eth_gasPrice", []),
    ]
    if time.monotonic() - cache.get("client_version_at", -1e9) > CLIENT_VERSION_TTL:
        calls.append(("web3_clientVersion", []))
    return calls


# eth_syncing object fields exported as chainwatch_evm_sync_progress{field=...}: the set is
# closed so that the label stays bounded. geth/Nethermind/Besu (execution-apis eth_syncing:
# hex quantities) and Arbitrum Nitro's SyncProgressMap (arbnode/sync_monitor.go and
# execution/gethexec/sync_monitor.go: JSON integers; lastL1BlockNum is the node's L1 view).
SYNC_PROGRESS_FIELDS = frozenset({
    "startingBlock", "currentBlock", "highestBlock",
    "msgCount", "maxMessageCount", "feedPendingMessageCount", "syncTargetMsgCount", "consensusSyncTargetMsgCount",
    "batchSeen", "batchProcessed", "messageOfProcessedBatch", "messageOfLastBlock", "blockNum",
    "lastL1BlockNum", "builtBlock", "consensusSyncTarget", "coordinatorMessageCount", "broadcasterQueuedMessagesPos",
})


def _number(value: object) -> int | None:
    """A hex QUANTITY or a non-negative JSON integer (Nitro); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**64 else None
    if isinstance(value, str) and value[:2] in ("0x", "0X") and 2 < len(value) <= 18:
        try:
            return int(value, 16)
        except ValueError:
            return None
    return None


def syncing_progress(progress: dict) -> dict[str, int]:
    """The known numeric fields of an ``eth_syncing`` object; others (hashes, error texts) are dropped."""
    out = {}
    for key in sorted(SYNC_PROGRESS_FIELDS & set(progress)):
        value = _number(progress[key])
        if value is not None:
            out[key] = value
    return out


def client_version_label(raw: object) -> str:
    text = _SAFE_VERSION.sub("_", str(raw))
    return text[:96] or "unknown"


class EvmProbe:
    async def run(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        calls = calls_for(ctx.cache)
        reply = await ctx.request(endpoint, "batch", body=jsonrpc.build(calls))
        out = jsonrpc.parse(reply, calls)
        chain = ctx.chain

        chain_id = out["eth_chainId"]
        if not chain_id.ok:
            raise ProbeFailure("rpc_error" if chain_id.error else "invalid_response", f"eth_chainId: {chain_id.describe()}")
        got = jsonrpc.quantity(chain_id.result, "eth_chainId")
        result.set("chainwatch_chain_id", got)
        if got != chain.chain_id:
            raise ProbeFailure("wrong_chain", f"eth_chainId {got}, expected {chain.chain_id}")

        block = out["eth_getBlockByNumber"]
        number = out["eth_blockNumber"]
        if block.ok and isinstance(block.result, dict):
            head = jsonrpc.quantity(block.result.get("number"), "block.number")
            stamp = jsonrpc.quantity(block.result.get("timestamp"), "block.timestamp")
            result.head_height = head
            result.head_timestamp = stamp
            result.set("chainwatch_head_age_seconds", max(0.0, time.time() - stamp))
            if block.result.get("baseFeePerGas") is not None:
                result.set("chainwatch_base_fee_wei", jsonrpc.quantity(block.result["baseFeePerGas"], "baseFeePerGas"))
        elif number.ok:
            result.head_height = jsonrpc.quantity(number.result, "eth_blockNumber")
        else:
            bad = number if not number.ok else block
            raise ProbeFailure("rpc_error" if bad.error else "invalid_response", f"head: {bad.describe()}")
        if number.ok:
            # eth_blockNumber can be one ahead of the block we read; the block is what we time.
            jsonrpc.quantity(number.result, "eth_blockNumber")
        result.set("chainwatch_head_height", result.head_height)

        syncing = out["eth_syncing"]
        if syncing.ok:
            result.set("chainwatch_syncing", 0 if syncing.result is False else 1)
            if isinstance(syncing.result, dict):  # geth's progress object, Nitro's SyncProgressMap
                for key, value in syncing_progress(syncing.result).items():
                    result.set("chainwatch_evm_sync_progress", value, field=key)
        if block.ok and isinstance(block.result, dict) and block.result.get("l1BlockNumber") is not None:
            l1_block = _number(block.result["l1BlockNumber"])  # Arbitrum: the L1 block as seen by the head block
            result.set("chainwatch_evm_l1_block_number", l1_block)

        peers = out["net_peerCount"]
        if peers.ok:
            result.set("chainwatch_peers", jsonrpc.quantity(peers.result, "net_peerCount"))

        pool = out["txpool_status"]
        if pool.ok:
            if not isinstance(pool.result, dict):
                raise invalid("txpool_status: expected an object")
            for state in ("pending", "queued"):
                if state in pool.result:
                    result.set("chainwatch_mempool_transactions", jsonrpc.quantity(pool.result[state], f"txpool_status.{state}"), state=state)

        gas = out["eth_gasPrice"]
        if gas.ok:
            result.set("chainwatch_gas_price_wei", jsonrpc.quantity(gas.result, "eth_gasPrice"))

        version = out.get("web3_clientVersion")
        if version is not None and (version.ok or version.unsupported):
            ctx.cache["client_version"] = client_version_label(version.result) if version.ok else "unknown"
            ctx.cache["client_version_at"] = time.monotonic()
        if "client_version" in ctx.cache:
            result.set("chainwatch_node_info", 1, client_version=ctx.cache["client_version"])

        # Any error other than "not supported" on an optional method is worth surfacing.
        missing = [m for m, o in out.items() if o.missing]
        if missing:
            raise invalid("batch answer lacks " + ", ".join(missing))
        broken = [m for m, o in out.items() if o.error is not None and not o.unsupported]
        if broken:
            raise ProbeFailure("rpc_error", "; ".join(f"{m}: {out[m].describe()}" for m in broken))

        for method in endpoint.timed_methods:
            single = [(method, KNOWN_PARAMS.get(method, []))]
            timed = await ctx.request(endpoint, method, body=jsonrpc.build(single))
            answer = jsonrpc.parse(timed, single)[method]
            if not answer.ok and not answer.unsupported:
                raise ProbeFailure("rpc_error", f"{method}: {answer.describe()}")


PROBE = EvmProbe()

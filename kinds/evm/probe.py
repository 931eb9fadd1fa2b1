"""EVM execution-layer probe: one JSON-RPC batch per endpoint per round (with the block at the
divergence height when there is one this round: ``ProbeResult.block_hash``, kinds/evm/divergence.py).

Exposition it contributes (besides probe success/latency added for every probe)::

    chainwatch_head_height{chain="ethereum",endpoint="geth-1",network="mainnet",role="node"} 2.1e+07
    chainwatch_head_age_seconds{...} 4.2
    chainwatch_peers{...} 48
    chainwatch_mempool_transactions{...,state="pending"} 5123
    chainwatch_node_info{...,client_version="Geth/v1.14.8-stable/linux-amd64/go1.22.6"} 1

A method the node does not implement (anvil answers -32601 to ``net_peerCount``,
hardhat to ``txpool_status``) leaves that metric absent: absent is "we don't know",
zero would be a lie that fires a "peers low" page. Numbers are read in every encoding
clients send (hex quantities; Nethermind's plain JSON integers in ``txpool_status``,
ethereum-metrics-exporter#94); an optional value still unreadable, or an optional method
answering an error, drops only its metric and is counted in
``chainwatch_probe_dropped_values_total{field=...}``. Batches refused by relays
(hiero-json-rpc-relay#1820) fall back to single calls (``jsonrpc.call``).

Sentinels are "not known" (:mod:`chainwatch.exporters.sentinels`), marked
``chainwatch_probe_value_unknown{field=...} 1`` and never a value: a head block with timestamp 0
(dev-chain genesis) has no head age; an ``eth_syncing`` object's ``highestBlock`` 0 (the node
has not seen a peer's head yet) is no progress value. The ``eth_syncing`` flag itself is
exported as the node says it (``chainwatch_syncing``), beside the lag measured against the
references; /health and alerts judge by the lag (https://ethereum.org/en/developers/docs/apis/json-rpc/#eth_syncing).
"""

from __future__ import annotations

import time

from chainwatch.exporters import jsonrpc
from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.probe import ProbeContext, ProbeResult, client_version_label
from chainwatch.exporters.sentinels import zero_time
from chainwatch.kinds.evm import CLIENT_VERSION_TTL, divergence


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
SYNC_PROGRESS_FIELDS = frozenset(
    {
        "startingBlock",
        "currentBlock",
        "highestBlock",
        "msgCount",
        "maxMessageCount",
        "feedPendingMessageCount",
        "syncTargetMsgCount",
        "consensusSyncTargetMsgCount",
        "batchSeen",
        "batchProcessed",
        "messageOfProcessedBatch",
        "messageOfLastBlock",
        "blockNum",
        "lastL1BlockNum",
        "builtBlock",
        "consensusSyncTarget",
        "coordinatorMessageCount",
        "broadcasterQueuedMessagesPos",
    }
)


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


def _optional(out: dict[str, jsonrpc.Outcome], method: str) -> jsonrpc.Outcome | None:
    """The outcome of an optional method, None when the node does not implement it;
    any other error raises (caught by ``result.optional``: dropped and counted)."""
    o = out[method]
    if o.ok:
        return o
    if o.unsupported:
        return None
    raise ProbeFailure("rpc_error" if o.error else "invalid_response", f"{method}: {o.describe()}")


class EvmProbe:
    """Required: ``eth_chainId`` (identity) and the head (``eth_getBlockByNumber("latest")``, or
    ``eth_blockNumber`` when the block is not readable). Everything else is optional: an error
    or an unreadable value drops that one metric and is counted, never the probe."""

    async def run(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        calls = [(m, m, p) for m, p in calls_for(ctx.cache)]
        if ctx.hash_height is not None:
            calls.append(divergence.call(ctx.hash_height))  # in the batch: no request of its own
            ctx.hash_batched = True
        out = await jsonrpc.call(lambda label, body: ctx.request(endpoint, label, body=body), endpoint, ctx.cache, calls)
        chain = ctx.chain

        chain_id = out["eth_chainId"]
        if not chain_id.ok:
            raise chain_id.failure or ProbeFailure("rpc_error" if chain_id.error else "invalid_response", f"eth_chainId: {chain_id.describe()}")
        got = jsonrpc.quantity(chain_id.result, "eth_chainId")
        result.set("chainwatch_chain_id", got)
        if got != chain.chain_id:
            raise ProbeFailure("wrong_chain", f"eth_chainId {got}, expected {chain.chain_id}")

        block = out["eth_getBlockByNumber"]
        number = out["eth_blockNumber"]
        head = None
        if block.ok and isinstance(block.result, dict):
            with result.optional("eth_getBlockByNumber.number"):
                head = jsonrpc.quantity(block.result.get("number"), "block.number")
        if head is None and number.ok:
            head = jsonrpc.quantity(number.result, "eth_blockNumber")
        if head is None:
            bad = number if not number.ok else block
            if bad.failure is not None:
                raise bad.failure
            raise ProbeFailure("rpc_error" if bad.error else "invalid_response", f"head: {bad.describe()}")
        result.head_height = head
        result.set("chainwatch_head_height", head)
        if block.ok and isinstance(block.result, dict) and block.result.get("number") is not None:
            with result.optional("eth_getBlockByNumber.timestamp"):
                stamp = jsonrpc.quantity(block.result.get("timestamp"), "block.timestamp")
                if zero_time(stamp):
                    result.unknown("eth_getBlockByNumber.timestamp", "timestamp 0")
                else:
                    result.head_timestamp = stamp
                    result.set("chainwatch_head_age_seconds", max(0.0, time.time() - stamp))
            if block.result.get("baseFeePerGas") is not None:  # absent before London: no base fee, nothing dropped
                with result.optional("eth_getBlockByNumber.baseFeePerGas"):
                    result.set("chainwatch_base_fee_wei", jsonrpc.quantity(block.result["baseFeePerGas"], "baseFeePerGas"))

        with result.optional("eth_syncing"):
            if (syncing := _optional(out, "eth_syncing")) is not None:
                # false, or an object of progress fields (geth, Nethermind, Erigon each add their own).
                if syncing.result is not False and not isinstance(syncing.result, dict):
                    raise invalid(f"eth_syncing: expected false or an object, got {str(syncing.result)[:30]!r}")
                result.set("chainwatch_syncing", 0 if syncing.result is False else 1)
                if isinstance(syncing.result, dict):  # geth's progress object, Nitro's SyncProgressMap
                    for key, value in syncing_progress(syncing.result).items():
                        if key == "highestBlock" and value == 0:  # no peer's head seen yet: not a target of 0
                            result.unknown("eth_syncing.highestBlock", "0")
                            continue
                        result.set("chainwatch_evm_sync_progress", value, field=key)
        if block.ok and isinstance(block.result, dict) and block.result.get("l1BlockNumber") is not None:
            l1_block = _number(block.result["l1BlockNumber"])  # Arbitrum: the L1 block as seen by the head block
            result.set("chainwatch_evm_l1_block_number", l1_block)

        with result.optional("net_peerCount"):
            if (peers := _optional(out, "net_peerCount")) is not None:
                result.set("chainwatch_peers", jsonrpc.quantity(peers.result, "net_peerCount"))

        with result.optional("txpool_status"):
            if (pool := _optional(out, "txpool_status")) is not None and not isinstance(pool.result, dict):
                raise invalid("txpool_status: expected an object")
        if pool := (out["txpool_status"].result if out["txpool_status"].ok and isinstance(out["txpool_status"].result, dict) else None):
            for state in ("pending", "queued"):
                if state in pool:
                    with result.optional(f"txpool_status.{state}"):
                        result.set("chainwatch_mempool_transactions", jsonrpc.quantity(pool[state], f"txpool_status.{state}"), state=state)

        with result.optional("eth_gasPrice"):
            if (gas := _optional(out, "eth_gasPrice")) is not None:
                result.set("chainwatch_gas_price_wei", jsonrpc.quantity(gas.result, "eth_gasPrice"))

        version = out.get("web3_clientVersion")
        if version is not None:
            with result.optional("web3_clientVersion"):
                answered = _optional(out, "web3_clientVersion")
                ctx.cache["client_version"] = client_version_label(answered.result if answered is not None else None)
                ctx.cache["client_version_at"] = time.monotonic()
        if "client_version" in ctx.cache:
            result.client_version(ctx.cache["client_version"])

        if ctx.hash_height is not None:
            with result.optional(divergence.KEY):
                result.block_hash = (ctx.hash_height, divergence.read(out[divergence.KEY]))

        for method in endpoint.timed_methods:
            single = [(method, method, KNOWN_PARAMS.get(method, []))]
            answer = (await jsonrpc.call(lambda label, body: ctx.request(endpoint, label, body=body), endpoint, ctx.cache, single))[method]
            if answer.failure is not None:
                raise answer.failure
            if not answer.ok and not answer.unsupported:
                raise ProbeFailure("rpc_error", f"{method}: {answer.describe()}")


PROBE = EvmProbe()

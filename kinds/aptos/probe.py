"""Aptos node probe: ``GET /v1`` (the ledger info), one request per endpoint per round.

Exposition it contributes (besides probe success/latency added for every probe)::

    chainwatch_head_height{chain="aptos",endpoint="apt-1",network="mainnet",role="node"} 5.885165e+07
    chainwatch_head_age_seconds{...} 0.4
    chainwatch_node_info{...,client_version="aptos-node/6568c5ee6a58b4f96c0780d4f66d7e573e61c418"} 1
    chainwatch_aptos_node_role_info{...,node_role="full_node"} 1
    chainwatch_aptos_ledger_version{...} 1.52087593e+08
    chainwatch_aptos_oldest_ledger_version{...} 2.287593e+06
    chainwatch_aptos_oldest_block_height{...} 1.101178e+06
    chainwatch_aptos_history_blocks{...} 5.7750472e+07
    chainwatch_aptos_epoch{...} 2796

The answer's shape and units: :mod:`chainwatch.kinds.aptos.api`. ``block_height`` is the
head; ``ledger_timestamp`` (µs) its time, for head age and lag in seconds; lag in blocks and
seconds against the median of the references, head age alerts and the chain halt come from
the shared scheduler and rules. ``chain_id`` other than the configured one fails with
``wrong_chain`` before any number is recorded. The archive depth is ``block_height -
oldest_block_height``: a pruned node serves only that many blocks of history
(``ChainwatchAptosHistoryShort`` when ``aptos_history_min_blocks`` is set).

``GET /v1/-/healthy?duration_secs=N`` (200 only while the ledger is at most N s old) says no
more than the head age does with a number, so the probe does not spend a request on it.
A ``ledger_timestamp`` of 0 (a node before genesis) is "not known" (no head age).
"""

from __future__ import annotations

import time

from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult, client_version_label
from chainwatch.kinds.aptos.api import ledger_info


class AptosProbe:
    async def run(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        reply = await ctx.request(endpoint, "ledger_info", method="GET", path="")
        info = ledger_info(reply.json())
        expected = ctx.chain.chain_id
        if info.chain_id != expected:
            raise ProbeFailure("wrong_chain", f"GET /v1 chain_id {info.chain_id}, expected {expected}")
        result.head_height = info.block_height
        result.set("chainwatch_head_height", info.block_height)
        if info.timestamp_seconds <= 0:
            result.unknown("ledger_timestamp", "0")
        else:
            result.head_timestamp = info.timestamp_seconds
            result.set("chainwatch_head_age_seconds", round(max(0.0, time.time() - info.timestamp_seconds), 3))
        result.client_version(client_version_label(info.git_hash, prefix="aptos-node/"))  # the API reports no release number, its git hash
        result.set("chainwatch_aptos_node_role_info", 1, node_role=info.node_role)
        result.set("chainwatch_aptos_ledger_version", info.ledger_version)
        result.set("chainwatch_aptos_oldest_ledger_version", info.oldest_ledger_version)
        result.set("chainwatch_aptos_oldest_block_height", info.oldest_block_height)
        result.set("chainwatch_aptos_history_blocks", max(0, info.block_height - info.oldest_block_height))
        result.set("chainwatch_aptos_epoch", info.epoch)


PROBE = AptosProbe()

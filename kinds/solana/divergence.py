"""The solana kind's divergence hook: the blockhash of a finalized slot (``exporters.divergence``).

``getBlock(slot, {"commitment": "finalized", "transactionDetails": "none", "rewards": false,
"maxSupportedTransactionVersion": 0})`` (https://solana.com/docs/rpc/http/getblock): the block
without its transactions and rewards (a few hundred bytes instead of megabytes); ``blockhash``
is base58 (32 bytes). ``finalized``: a rooted slot, the same on every node of the cluster, so a
different blockhash there is a node on another fork, never a reorg in progress.

A slot without a block on the node is None (not compared this round, the verdict kept): Agave's
``-32007`` / ``-32009`` (the slot was skipped by its leader: no block anywhere), ``-32004``
(not available yet: the node has not finalized it), ``-32001`` (cleaned up: the node no longer
keeps it) and ``-32014`` (block status not available yet). A skipped slot at the references'
height leaves that round without new agreement; the next round asks a newer slot. The probe
puts :func:`call` into its one batch (no extra request); :func:`block_hash` is the single call
for anything else.
"""

from __future__ import annotations

import re

from chainwatch import kinds
from chainwatch.exporters import jsonrpc
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.probe import ProbeContext

KEY = "getBlock"
# Agave RpcCustomError codes for "no block at this slot on this node" (rpc-client-api custom_error.rs)
NO_BLOCK = frozenset({-32001, -32004, -32007, -32009, -32014})
_BASE58_HASH = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")
CONFIG = {"commitment": "finalized", "encoding": "json", "transactionDetails": "none", "rewards": False, "maxSupportedTransactionVersion": 0}


def call(slot: int) -> tuple[str, str, list]:
    """The ``(key, method, params)`` batch entry asking the block at ``slot``."""
    return (KEY, "getBlock", [slot, dict(CONFIG)])


def read(outcome: jsonrpc.Outcome) -> str | None:
    """The block's ``blockhash`` (base58, as sent: case matters), None when the node has no
    block at the slot. Raises ``ProbeFailure`` for another error or an unreadable answer."""
    if outcome.error is not None and outcome.error.get("code") in NO_BLOCK:
        return None
    if not outcome.ok:
        raise outcome.failure or ProbeFailure("rpc_error" if outcome.error else "invalid_response", f"{KEY}: {outcome.describe()}")
    if outcome.result is None:  # some versions answer null for a slot they have no block for
        return None
    if not isinstance(outcome.result, dict):
        raise invalid(f"{KEY}: expected a block object or null")
    blockhash = outcome.result.get("blockhash")
    if not isinstance(blockhash, str) or not _BASE58_HASH.fullmatch(blockhash):
        raise invalid(f"{KEY}.blockhash: expected a base58 hash, got {str(blockhash)[:48]!r}")
    return blockhash


async def block_hash(endpoint, ctx: ProbeContext, height: int) -> str | None:
    probe = kinds.get("solana").module("probe")  # through the registry: the probe imports this module
    out = await probe.PROBE.send(endpoint, ctx, [call(height)])
    return read(out[KEY])

"""The evm kind's divergence hook: the hash of the block at a height (``exporters.divergence``).

``eth_getBlockByNumber(<height as QUANTITY>, false).hash`` (execution-apis, eth/block.yaml); a
``null`` result is a block the node does not have yet. The probe puts :func:`call` into its
one batch (no extra request); :func:`block_hash` is the single call for anything else.
"""

from __future__ import annotations

from chainwatch.exporters import jsonrpc
from chainwatch.exporters.numbers import block_hash as hash_text
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.probe import ProbeContext

KEY = "block_hash"


def call(height: int) -> tuple[str, str, list]:
    """The ``(key, method, params)`` batch entry asking the block at ``height``."""
    return (KEY, "eth_getBlockByNumber", [hex(height), False])


def read(outcome: jsonrpc.Outcome) -> str | None:
    """The block's ``hash`` (lower-case 0x hex), None when the node has no block there.
    Raises ``ProbeFailure`` for an error or an unreadable answer."""
    if not outcome.ok:
        raise outcome.failure or ProbeFailure("rpc_error" if outcome.error else "invalid_response", f"{KEY}: {outcome.describe()}")
    if outcome.result is None:
        return None
    if not isinstance(outcome.result, dict):
        raise invalid(f"{KEY}: expected a block object or null")
    return hash_text(outcome.result.get("hash"), "block.hash", prefix="0x")


async def block_hash(endpoint, ctx: ProbeContext, height: int) -> str | None:
    out = await jsonrpc.call(lambda label, body: ctx.request(endpoint, label, body=body), endpoint, ctx.cache, [call(height)])
    return read(out[KEY])

"""The bitcoin kind's divergence hook: ``getblockhash <height>`` (``exporters.divergence``).

https://developer.bitcoin.org/reference/rpc/getblockhash.html: the hash of the block at
``height`` in the node's best chain (64 hex digits); error -8 ``RPC_INVALID_PARAMETER``
("Block height out of range") for a height above the node's tip, which is no block yet.
One request of its own, with the probe's credentials.
"""

from __future__ import annotations

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.numbers import block_hash as hash_text
from chainwatch.exporters.probe import ProbeContext
from chainwatch.kinds.bitcoin.probe import PROBE, credentials

RPC_INVALID_PARAMETER = -8  # getblockhash: "Block height out of range"


async def block_hash(endpoint, ctx: ProbeContext, height: int) -> str | None:
    headers, secrets, source = credentials(endpoint)
    out = await PROBE.send(endpoint, ctx, "getblockhash", [("getblockhash", "getblockhash", [height])], headers, secrets, source)
    answer = out["getblockhash"]
    if answer.error is not None and answer.error.get("code") == RPC_INVALID_PARAMETER:
        return None
    if not answer.ok:
        raise answer.failure or ProbeFailure("rpc_error" if answer.error else "invalid_response", f"getblockhash: {answer.describe()}")
    return hash_text(answer.result, "getblockhash")

"""The cosmos kind's divergence hook: ``GET /block?height=<h>`` ``block_id.hash`` (``exporters.divergence``).

https://docs.cometbft.com/v0.38/rpc/#/Info/block: the block at ``height`` and its ``block_id``
(``hash``: upper-case hex, 64 digits). CometBFT blocks are final when committed, so any height
below the references' heads is settled; a node that pruned the height answers an error, which
drops the value this round (``block_hash``), never the probe.
"""

from __future__ import annotations

from chainwatch.core.chain import Endpoint
from chainwatch.exporters.numbers import block_hash as hash_text
from chainwatch.exporters.probe import ProbeContext
from chainwatch.kinds.cosmos.cometbft import RPC_ERROR_STATUSES, obj, result_of


async def block_hash(endpoint: Endpoint, ctx: ProbeContext, height: int) -> str | None:
    reply = await ctx.request(endpoint, "block", method="GET", path=f"/block?height={height}", ok_statuses=RPC_ERROR_STATUSES)
    block_id = obj(result_of(reply, "/block").get("block_id"), "block.block_id")
    return hash_text(block_id.get("hash"), "block.block_id.hash")

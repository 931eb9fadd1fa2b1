"""The beacon kind's divergence hook: ``GET /eth/v1/beacon/headers/{slot}`` ``data.root`` (``exporters.divergence``).

https://ethereum.github.io/beacon-APIs/#/Beacon/getBlockHeader: the header of the block at
``slot`` on the node's canonical chain and its ``root`` (0x + 64 hex digits). A slot without a
block (skipped, or not there yet) answers 404: None, so only slots every side has a block at
are compared.
"""

from __future__ import annotations

from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import invalid
from chainwatch.exporters.numbers import block_hash as hash_text
from chainwatch.exporters.probe import ProbeContext
from chainwatch.kinds.beacon.probe import data_of

NO_BLOCK = 404  # "Block not found" for a slot without a block


async def block_hash(endpoint: Endpoint, ctx: ProbeContext, height: int) -> str | None:
    reply = await ctx.request(endpoint, "header", method="GET", path=f"/eth/v1/beacon/headers/{height}", ok_statuses=(NO_BLOCK,))
    if reply.status == NO_BLOCK:
        return None
    data = data_of(reply, "header")
    if not isinstance(data, dict):
        raise invalid("header: 'data' is not an object")
    return hash_text(data.get("root"), "header.root", prefix="0x")

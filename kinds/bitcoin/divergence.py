"""The bitcoin kind's divergence hook: ``getblockhash <height>`` (``exporters.divergence``).

https://developer.bitcoin.org/reference/rpc/getblockhash.html: the hash of the block at
``height`` in the node's best chain (64 hex digits); error -8 ``RPC_INVALID_PARAMETER``
("Block height out of range") for a height above the node's tip, which is no block yet.
The probe puts :func:`call` into its one batch (no extra request); :func:`block_hash` is the
single call, with the probe's credentials, for anything else.
"""

from __future__ import annotations

from chainwatch import kinds
from chainwatch.exporters import jsonrpc
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.numbers import block_hash as hash_text
from chainwatch.exporters.probe import ProbeContext

KEY = "getblockhash"
RPC_INVALID_PARAMETER = -8  # getblockhash: "Block height out of range"


def call(height: int) -> tuple[str, str, list]:
    """The ``(key, method, params)`` batch entry asking the hash at ``height``."""
    return (KEY, "getblockhash", [height])


def read(answer: jsonrpc.Outcome) -> str | None:
    """The hash (lower-case hex), None above the node's tip. Raises ``ProbeFailure`` otherwise."""
    if answer.error is not None and answer.error.get("code") == RPC_INVALID_PARAMETER:
        return None
    if not answer.ok:
        raise answer.failure or ProbeFailure("rpc_error" if answer.error else "invalid_response", f"getblockhash: {answer.describe()}")
    return hash_text(answer.result, "getblockhash")


async def block_hash(endpoint, ctx: ProbeContext, height: int) -> str | None:
    probe = kinds.get("bitcoin").module("probe")  # through the registry: the probe imports this module
    headers, secrets, source = probe.credentials(endpoint)
    out = await probe.PROBE.send(endpoint, ctx, KEY, [call(height)], headers, secrets, source)
    return read(out[KEY])

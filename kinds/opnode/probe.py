"""OP Stack rollup-node probe: ``optimism_syncStatus`` of an op-node, one JSON-RPC batch.

The answer (op-node ``op-service/eth/sync_status.go``, ``op-service/eth/id.go``) is an object
of block references, ``number`` and ``timestamp`` as JSON integers::

    {"current_l1": {"hash": "0x…", "number": 19000000, "parentHash": "0x…", "timestamp": 1700000000},
     "current_l1_finalized": {…}, "head_l1": {…}, "safe_l1": {…}, "finalized_l1": {…},
     "unsafe_l2": {"hash": "0x…", "number": 115000000, "parentHash": "0x…", "timestamp": 1700000001,
                   "l1origin": {"hash": "0x…", "number": 18999990}, "sequenceNumber": 3},
     "safe_l2": {…}, "finalized_l2": {…}, "pending_safe_l2": {…}, "queued_unsafe_l2": {…}}

Exposition it contributes (besides the shared probe, head and lag series)::

    chainwatch_opnode_head_height{…,head="unsafe_l2"} 1.15e+08
    chainwatch_opnode_head_height{…,head="safe_l2"} 1.14999e+08
    chainwatch_opnode_safe_lag_blocks{…} 150
    chainwatch_opnode_safe_lag_seconds{…} 300
    chainwatch_opnode_finalized_lag_seconds{…} 900
    chainwatch_opnode_l1_lag_blocks{…,view="head_l1"} 0

The unsafe L2 head is the endpoint's head (``chainwatch_head_height``), measured against the
references of the chain's ``l2_chain`` by the scheduler; the L1 view (``head_l1``,
``current_l1``) is measured against the ``l1_chain`` references in :meth:`OpNodeProbe.finish`.
No ``chainwatch_head_age_seconds``: an op-node's unsafe head stops with the sequencer, which
``ChainwatchSequencerDown`` pages for once; a single op-node falling behind shows as sync lag.

A malformed head drops that head and the lags derived from it; only a missing or malformed
``unsafe_l2`` (or a non-object answer) fails the probe.

The zero block reference (``{"hash": "0x00…00", "number": 0, "timestamp": 0}``, Go's
``eth.L2BlockRef{}``) is "not known yet", never a head: an op-node in execution-layer sync
(``--syncmode=execution-layer``, for hours on a new node) reports it for ``safe_l2``,
``finalized_l2``, ``pending_safe_l2`` and ``current_l1`` while ``unsafe_l2`` follows gossip at
the tip (optimism#18468, op-geth#413). Such a head and every lag derived from it are absent
and marked ``chainwatch_probe_value_unknown{field="<head>"} 1``; no safe head while the unsafe
head is known is the node's own sync, ``chainwatch_syncing 1``, and ``/health`` answers 503
(the node cannot answer ``safe``/``finalized`` queries) — not a batcher outage the
chain-wide safe-head alert would page for::

    chainwatch_syncing{…,endpoint="op-node-1"} 1
    chainwatch_probe_value_unknown{…,field="safe_l2"} 1
"""

from __future__ import annotations

import time

from chainwatch.core.chain import Endpoint
from chainwatch.exporters import jsonrpc
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.probe import ProbeContext, ProbeResult, client_version_label
from chainwatch.exporters.sentinels import zero_ref
from chainwatch.kinds.opnode.metrics import L1_HEADS, L1_VIEWS, L2_HEADS

VERSION_TTL = 600.0
MAX_NUMBER = 2**63  # uint64 in Go; anything larger is not a block number we can plot


def _uint(value: object) -> int | None:
    """A JSON integer (op-node's encoding) or a hex quantity; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < MAX_NUMBER else None
    if isinstance(value, str) and value[:2] in ("0x", "0X") and 2 < len(value) <= 18:
        try:
            return int(value, 16)
        except ValueError:
            return None
    return None


def block_ref(raw: object) -> tuple[int, int] | None:
    """(number, timestamp) of one block reference, or None when it is not one."""
    if not isinstance(raw, dict):
        return None
    number, stamp = _uint(raw.get("number")), _uint(raw.get("timestamp"))
    if number is None or stamp is None:
        return None
    return number, stamp


def parse_sync_status(status: object) -> tuple[dict[str, tuple[int, int]], tuple[str, ...]]:
    """``optimism_syncStatus`` (https://docs.optimism.io/operators/node-operators/json-rpc#optimism_syncstatus):
    its well-formed heads by JSON key, and the keys that hold the zero block reference ("not known
    yet", :func:`chainwatch.exporters.sentinels.zero_ref`), which are not among the heads."""
    if not isinstance(status, dict):
        raise invalid(f"optimism_syncStatus: expected an object, got {type(status).__name__}")
    heads, unknown = {}, []
    for key in L2_HEADS + L1_HEADS:
        raw = status.get(key)
        ref = block_ref(raw)
        if ref is None:
            continue
        if zero_ref(*ref, raw.get("hash")):
            unknown.append(key)
        else:
            heads[key] = ref
    if "unsafe_l2" not in heads and "unsafe_l2" not in unknown:
        raise invalid("optimism_syncStatus: unsafe_l2 lacks an integer number and timestamp")
    return heads, tuple(unknown)


class OpNodeProbe:
    async def run(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        calls = [("optimism_syncStatus", [])]
        if time.monotonic() - ctx.cache.get("version_at", -1e9) > VERSION_TTL:
            calls.append(("optimism_version", []))
        expected = getattr(ctx.chain, "l2_chain_id", None)
        if expected is not None and time.monotonic() - ctx.cache.get("rollup_at", -1e9) > VERSION_TTL:
            calls.append(("optimism_rollupConfig", []))
        reply = await ctx.request(endpoint, "batch", body=jsonrpc.build(calls))
        out = jsonrpc.parse(reply, calls)
        rollup = out.get("optimism_rollupConfig")
        if rollup is not None and rollup.ok:
            got = _uint(rollup.result.get("l2_chain_id")) if isinstance(rollup.result, dict) else None
            if got is None:
                raise invalid("optimism_rollupConfig: l2_chain_id is not an integer")
            ctx.cache["rollup_l2_chain_id"], ctx.cache["rollup_at"] = got, time.monotonic()
        if expected is not None and ctx.cache.get("rollup_l2_chain_id", expected) != expected:
            raise ProbeFailure("wrong_chain", f"optimism_rollupConfig l2_chain_id {ctx.cache['rollup_l2_chain_id']}, expected {expected}")
        status = out["optimism_syncStatus"]
        if not status.ok:
            raise ProbeFailure("rpc_error" if status.error else "invalid_response", f"optimism_syncStatus: {status.describe()}")
        heads, unknown = parse_sync_status(status.result)
        for key in unknown:
            result.unknown(key, "the zero block ref")
        for key, (number, stamp) in heads.items():
            result.set("chainwatch_opnode_head_height", number, head=key)
            result.set("chainwatch_opnode_head_timestamp_seconds", stamp, head=key)
        if "unsafe_l2" not in heads:  # nothing synced yet: no head, no lag, not ready
            result.set("chainwatch_syncing", 1)
            result.unready = "no unsafe L2 head yet (unsafe_l2 is the zero block ref)"
        else:
            unsafe_n, unsafe_t = heads["unsafe_l2"]
            result.head_height, result.head_timestamp = unsafe_n, unsafe_t
            result.set("chainwatch_head_height", unsafe_n)
            for key, prefix in (("safe_l2", "chainwatch_opnode_safe_lag"), ("finalized_l2", "chainwatch_opnode_finalized_lag")):
                if key in heads:
                    number, stamp = heads[key]
                    result.set(prefix + "_blocks", max(0, unsafe_n - number))
                    result.set(prefix + "_seconds", max(0, unsafe_t - stamp))
            el_sync = "safe_l2" in unknown
            result.set("chainwatch_syncing", int(el_sync))
            if el_sync:
                result.unready = "no safe L2 head yet (safe_l2 is the zero block ref: execution-layer sync)"

        version = out.get("optimism_version")
        if version is not None and (version.ok or version.unsupported):
            ctx.cache["version"] = client_version_label(version.result if version.ok else None)
            ctx.cache["version_at"] = time.monotonic()
        if "version" in ctx.cache:
            result.client_version(ctx.cache["version"])

    def finish(self, result: ProbeResult, chain, summaries: dict) -> None:
        """The op-node's L1 view against the median head of the ``l1_chain`` references."""
        l1 = summaries.get(chain.l1_chain)
        if l1 is None or l1.head is None:
            return
        for view in L1_VIEWS:
            number = result.get("chainwatch_opnode_head_height", head=view)
            if number is None:
                continue
            result.set("chainwatch_opnode_l1_lag_blocks", max(0.0, l1.head - number), view=view)
            stamp = result.get("chainwatch_opnode_head_timestamp_seconds", head=view)
            if stamp is not None and l1.head_timestamp is not None:
                result.set("chainwatch_opnode_l1_lag_seconds", max(0.0, l1.head_timestamp - stamp), view=view)


PROBE = OpNodeProbe()

"""The opnode kind's own catalog rows (shared rows: :mod:`chainwatch.assembly.catalog`).

Heads come from ``optimism_syncStatus`` (op-node ``op-service/eth/sync_status.go``); the L1
lags are measured against the references of the chain's ``l1_chain`` in the same round.
"""

from __future__ import annotations

from chainwatch.core.declarations import G, Metric
from chainwatch.core.declarations import metric as _m

KIND = ("opnode",)

# The heads optimism_syncStatus reports (its JSON keys); the `head` label takes exactly these.
L2_HEADS = ("unsafe_l2", "safe_l2", "finalized_l2", "pending_safe_l2")
L1_HEADS = ("head_l1", "current_l1", "safe_l1", "finalized_l1", "current_l1_finalized")
L1_VIEWS = ("head_l1", "current_l1")  # compared with the L1 references

METRICS: tuple[Metric, ...] = (
    _m(
        "chainwatch_opnode_head_height",
        G,
        "",
        "Block number of each head in the op-node's optimism_syncStatus (head = unsafe_l2, safe_l2, finalized_l2, pending_safe_l2, head_l1, current_l1, safe_l1, finalized_l1, current_l1_finalized).",
        labels=("head",),
        kinds=KIND,
        example='chainwatch_opnode_head_height{chain="op-rollup",endpoint="op-node-1",head="safe_l2",network="mainnet",role="node"} 1.3e+08',
    ),
    _m("chainwatch_opnode_head_timestamp_seconds", G, "seconds", "Unix time of the block of each head in optimism_syncStatus.", labels=("head",), kinds=KIND),
    _m(
        "chainwatch_opnode_safe_lag_blocks",
        G,
        "",
        "L2 blocks the safe head is behind the unsafe head (grows while the batcher or data availability is stalled).",
        kinds=KIND,
    ),
    _m("chainwatch_opnode_safe_lag_seconds", G, "seconds", "Seconds the safe head's block time is behind the unsafe head's.", kinds=KIND),
    _m("chainwatch_opnode_finalized_lag_blocks", G, "", "L2 blocks the finalized head is behind the unsafe head.", kinds=KIND),
    _m("chainwatch_opnode_finalized_lag_seconds", G, "seconds", "Seconds the finalized head's block time is behind the unsafe head's.", kinds=KIND),
    _m(
        "chainwatch_opnode_l1_lag_blocks",
        G,
        "",
        "L1 blocks the op-node's L1 view (view = head_l1, current_l1) is behind the median head of the l1_chain's references; 0 when ahead.",
        labels=("view",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_opnode_l1_lag_seconds",
        G,
        "seconds",
        "Seconds the op-node's L1 view block is older than the l1_chain references' head block.",
        labels=("view",),
        kinds=KIND,
    ),
)

"""The subgraph kind's own catalog rows (shared rows: :mod:`chainwatch.assembly.catalog`).

Words are graph-node's: ``hasIndexingErrors`` (subgraph ``_meta``), ``health``, ``fatalError``,
``synced`` and per-chain ``chainHeadBlock`` (index node ``indexingStatuses``).
"""

from __future__ import annotations

from chainwatch.core.declarations import C, G, Metric  # noqa: F401
from chainwatch.core.declarations import metric as _m

KIND = ("subgraph",)

HEALTH_STATES = ("healthy", "unhealthy", "failed")

METRICS: tuple[Metric, ...] = (
    _m(
        "chainwatch_subgraph_indexing_errors",
        G,
        "",
        "1 if the subgraph's _meta says hasIndexingErrors (it hit an error at some past block).",
        kinds=KIND,
        example='chainwatch_subgraph_indexing_errors{chain="uniswap-v3",endpoint="graph-1",network="mainnet",role="node"} 0',
    ),
    _m(
        "chainwatch_subgraph_index_node_success",
        G,
        "",
        "1 if graph-node's index node answered indexingStatuses usably (only when index_node_url is set).",
        kinds=KIND,
    ),
    _m(
        "chainwatch_subgraph_health",
        G,
        "",
        "1 for the deployment's health as the index node reports it (healthy, unhealthy, failed), 0 for the others.",
        labels=("state",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_subgraph_fatal_error",
        G,
        "",
        "1 if the index node reports a fatalError: indexing has stopped for good until redeployed or rewound.",
        kinds=KIND,
    ),
    _m("chainwatch_subgraph_fatal_error_block", G, "", "Block number of the fatal error, when the index node names it.", kinds=KIND),
    _m("chainwatch_subgraph_synced", G, "", "graph-node's synced flag (sticky: once true it stays true while the subgraph falls behind).", kinds=KIND),
    _m(
        "chainwatch_subgraph_node_chain_head_height",
        G,
        "",
        "graph-node's own head of the indexed chain (indexingStatuses chains[].chainHeadBlock).",
        kinds=KIND,
    ),
    _m(
        "chainwatch_subgraph_node_chain_head_lag_blocks",
        G,
        "",
        "Blocks graph-node's own chain head is behind chainwatch's references of the indexed chain (graph-node's head is stale).",
        kinds=KIND,
    ),
    _m(
        "chainwatch_subgraph_block_hash_mismatch",
        G,
        "",
        "1 if the subgraph's block hash at its indexed height differs from the indexed chain's reference at that height (the indexer is on a fork).",
        kinds=KIND,
    ),
)

"""Per-chain dashboard for a subgraph: lag behind the indexed chain, graph-node's own view, health."""

from __future__ import annotations

from chainwatch.dashboards.panels import GREEN, NONE, ORANGE, RED, Grid, q, stat, steps, timeseries, value_text
from chainwatch.dashboards.sections import E, Limits, chain_dashboard, chain_header_row, m, per_endpoint, probe_row, rpc_row, sync_row


def build(config, name: str, chain) -> dict:
    lim = Limits.of(chain)
    indexed = chain.indexes
    grid = Grid()
    chain_header_row(grid, E, 'chain="$chain"')

    grid.row("Indexing")
    grid.add(
        timeseries(
            "Indexed block vs the chain",
            f"The subgraph's indexed block (_meta.block.number) on each endpoint, chainwatch's median reference head of {indexed} "
            "and graph-node's own head of that chain (indexingStatuses chainHeadBlock). graph-node's head can itself be stale: "
            "the reference line is the truth.",
            per_endpoint("chainwatch_head_height", "indexed"),
            per_endpoint("chainwatch_subgraph_node_chain_head_height", "graph-node chain head"),
            q(f'max({m("chainwatch_reference_head_height")}{{chain="{indexed}"}})', f"{indexed} references"),
            unit=NONE,
            min_zero=False,
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "graph-node chain head behind references",
            f"Blocks graph-node's own head of {indexed} is behind chainwatch's references: above 0 for long, graph-node's block "
            "ingestor (or its RPC provider) is stuck, and lag measured against it would read 0.",
            per_endpoint("chainwatch_subgraph_node_chain_head_lag_blocks"),
            unit=NONE,
        ),
        w=12,
        h=8,
    )
    sync_row(grid, E, lim)

    grid.row("Health")
    grid.add(
        stat(
            "Health",
            "graph-node's health of the deployment: healthy, unhealthy (non-fatal indexing errors), failed (fatal error: indexing stopped).",
            q(f"max by (endpoint, state) ({m('chainwatch_subgraph_health')}{{{E}}}) == 1", "{{endpoint}} {{state}}", instant=True),
            unit=NONE,
            thresholds=steps(GREEN),
        ),
        w=8,
        h=5,
    )
    grid.add(
        stat(
            "Fatal error / indexing errors / fork",
            "1 is bad: fatalError reported, _meta.hasIndexingErrors, block hash at the indexed height differs from the references'.",
            per_endpoint("chainwatch_subgraph_fatal_error", "fatal"),
            per_endpoint("chainwatch_subgraph_indexing_errors", "indexing errors"),
            per_endpoint("chainwatch_subgraph_block_hash_mismatch", "on a fork"),
            unit=NONE,
            mappings=[value_text((0, "no", GREEN), (1, "yes", RED))],
            thresholds=steps(GREEN, (1, RED)),
        ),
        w=10,
        h=5,
    )
    grid.add(
        stat(
            "graph-node synced",
            "graph-node's synced flag. It is sticky: once a deployment caught up it stays true while it falls behind again, so lag is the measure.",
            per_endpoint("chainwatch_subgraph_synced", instant=True),
            unit=NONE,
            mappings=[value_text((0, "syncing", ORANGE), (1, "synced", GREEN))],
            thresholds=steps(ORANGE, (1, GREEN)),
        ),
        w=6,
        h=5,
    )

    rpc_row(grid, E, lim)
    probe_row(grid, E, title="Probe detail")
    return chain_dashboard(
        config,
        name,
        chain,
        kind_title="subgraph",
        grid=grid,
        about=f"Subgraph {name} indexing {indexed} ({chain.block_time:g} s blocks): lag behind {indexed}'s references in blocks and "
        f"seconds (critical {lim.lag_blocks_critical:g} blocks), graph-node's own chain head, health, fatal and indexing errors, forks.",
    )

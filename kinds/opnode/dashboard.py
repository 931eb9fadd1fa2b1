"""Per-chain dashboard of an OP Stack rollup node set: heads, safe/finalized lag, L1 view, RPC."""

from __future__ import annotations

from chainwatch.dashboards.panels import NONE, SECONDS, Grid, higher_is_worse, q, timeseries
from chainwatch.dashboards.sections import C, E, Limits, chain_dashboard, chain_header_row, m, per_endpoint, probe_row, rpc_row, sync_row


def build(config, name: str, chain) -> dict:
    lim = Limits.of(chain)
    r = chain.rollup
    grid = Grid()
    chain_header_row(grid, E, C)

    grid.row("Rollup heads")
    grid.add(
        timeseries(
            "L2 heads (unsafe, safe, finalized)",
            "optimism_syncStatus of each op-node: unsafe_l2 is the sequencer's tip, safe_l2 what was derived from batches on L1, "
            "finalized_l2 what L1 finalized. Unsafe moving while safe is flat is a batcher or data-availability stall.",
            q(f'max by (endpoint, head) ({m("chainwatch_opnode_head_height")}{{{E}, head=~"unsafe_l2|safe_l2|finalized_l2"}})', "{{endpoint}} {{head}}"),
            unit=NONE,
            min_zero=False,
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "Safe and finalized lag behind unsafe",
            f"Seconds the safe and finalized heads' blocks are older than the unsafe head's. Lines: safe-lag page at {r.safe_lag_seconds:g}s "
            f"(for {r.safe_lag_for}), finality warning at {r.finality_lag_seconds:g}s.",
            per_endpoint("chainwatch_opnode_safe_lag_seconds", "safe"),
            per_endpoint("chainwatch_opnode_finalized_lag_seconds", "finalized"),
            unit=SECONDS,
            thresholds=higher_is_worse(r.safe_lag_seconds),
        ),
        w=12,
        h=8,
    )

    grid.row("L1 view")
    grid.add(
        timeseries(
            f"L1 view behind {chain.l1_chain} references",
            f"L1 blocks each op-node's head_l1 and current_l1 are behind the median head of {chain.l1_chain}'s references. "
            f"A growing head_l1 lag: the op-node's L1 node is lagging (page above {r.l1_lag_blocks:g} blocks).",
            q(f"max by (endpoint, view) ({m('chainwatch_opnode_l1_lag_blocks')}{{{E}}})", "{{endpoint}} {{view}}"),
            unit=NONE,
            thresholds=higher_is_worse(r.l1_lag_blocks),
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            f"Unsafe head vs {chain.l2_chain} references",
            f"Blocks each op-node's unsafe head is behind the median head of {chain.l2_chain}'s references, and "
            f"how long no {chain.l2_chain} reference advanced (a stopped sequencer).",
            per_endpoint("chainwatch_sync_lag_blocks", "unsafe lag (blocks)"),
            q(f'max by (chain) ({m("chainwatch_reference_head_stall_seconds")}{{chain="{chain.l2_chain}"}})', "{{chain}} references stalled (s)"),
            unit=NONE,
        ),
        w=12,
        h=8,
    )
    sync_row(grid, E, lim)
    rpc_row(grid, E, lim, with_heatmap=False)
    probe_row(grid, E, title="Probe detail")
    return chain_dashboard(
        config,
        name,
        chain,
        kind_title="OP Stack rollup",
        grid=grid,
        about=f"{name} (rollup {chain.l2_chain} on {chain.l1_chain}): op-node safe, finalized and unsafe heads, the node's L1 view and RPC per endpoint.",
    )

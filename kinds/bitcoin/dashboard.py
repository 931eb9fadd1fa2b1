"""Per-chain dashboard for a Bitcoin-family chain: head vs references, lag, validation, peers, mempool, fees, forks."""

from __future__ import annotations

from chainwatch.dashboards.panels import NONE, Grid, higher_is_worse, lower_is_worse, q, timeseries
from chainwatch.dashboards.sections import (
    C,
    E,
    Limits,
    chain_dashboard,
    chain_header_row,
    heads_row,
    m,
    peers_stat,
    per_endpoint,
    probe_row,
    rpc_row,
    sync_row,
)

BYTES, SAT_PER_VB = "bytes", "suffix:sat/vB"


def build(config, name: str, chain) -> dict:
    lim = Limits.of(chain)
    grid = Grid()
    chain_header_row(grid, E, C)

    heads_row(
        grid,
        "Head",
        lim,
        (
            "Head vs references",
            "Validated height (blocks) of each endpoint and the median of the reachable references. Block gaps are random: a flat stretch of an hour happens on a healthy chain; a node line below the reference line is a node falling behind.",
        ),
    )
    sync_row(grid, E, lim)

    grid.row("Validation")
    grid.add(
        timeseries(
            "Headers not yet validated",
            f"headers - blocks per endpoint: blocks the node has heard of but not connected. 0-1 is normal; above {chain.headers_behind_max_blocks} for {chain.signal_for} warns.",
            per_endpoint("chainwatch_bitcoin_headers_behind_blocks"),
            unit=NONE,
            thresholds=higher_is_worse(chain.headers_behind_max_blocks + 1),
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Initial block download and verification progress",
            "initialblockdownload (1 while the node catches up) and verificationprogress (share of the chain verified, 1 when synced).",
            per_endpoint("chainwatch_bitcoin_initial_block_download", "IBD"),
            per_endpoint("chainwatch_bitcoin_verification_progress_ratio", "progress"),
            unit=NONE,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Chain tips (forks)",
            "getchaintips entries other than the active tip, by status: valid-fork and valid-headers are stale branches the node saw, invalid ones it rejected (or invalidateblock). A new tip appearing is a reorg or a fork on the network.",
            q(f'max by (endpoint, status) ({m("chainwatch_bitcoin_chain_tips")}{{{E}, status!="active"}})', "{{endpoint}} {{status}}"),
            unit=NONE,
        ),
        w=8,
        h=8,
    )

    grid.row("Network")
    grid.add(peers_stat(E, lim), w=8, h=8)
    grid.add(
        timeseries(
            "Connections by direction",
            "Inbound and outbound peer connections (getnetworkinfo). Outbound 0 is a node that cannot reach the network; a node without inbound does not listen.",
            q(f"max by (endpoint, direction) ({m('chainwatch_bitcoin_connections')}{{{E}}})", "{{endpoint}} {{direction}}"),
            unit=NONE,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Network active",
            "getnetworkinfo networkactive: 0 after `setnetworkactive false` (all P2P traffic off on purpose). Warnings: the node's own warnings count.",
            per_endpoint("chainwatch_bitcoin_network_active", "active"),
            per_endpoint("chainwatch_bitcoin_warnings", "warnings"),
            unit=NONE,
            thresholds=lower_is_worse(1),
        ),
        w=8,
        h=8,
    )

    grid.row("Mempool and fees")
    grid.add(
        timeseries(
            "Mempool transactions",
            f"Transactions in each node's mempool (getmempoolinfo size). It grows between blocks and drops at each one; the line is the alert threshold ({lim.mempool_pending_max:g}).",
            q(f'max by (endpoint) ({m("chainwatch_mempool_transactions")}{{{E}, state="pending"}})', "{{endpoint}}"),
            unit=NONE,
            thresholds=higher_is_worse(lim.mempool_pending_max),
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Mempool size and memory",
            "Sum of virtual sizes (bytes), memory used (usage) and the memory limit (maxmempool). Usage reaching the limit raises the minimum fee.",
            per_endpoint("chainwatch_bitcoin_mempool_bytes", "vsize"),
            per_endpoint("chainwatch_bitcoin_mempool_usage_bytes", "usage"),
            per_endpoint("chainwatch_bitcoin_mempool_max_bytes", "limit"),
            unit=BYTES,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Fee rates",
            "estimatesmartfee per confirmation target and the mempool's minimum fee, in sat/vB. Targets with insufficient data (regtest, a fresh node) are absent.",
            q(f"max by (endpoint, conf_target) ({m('chainwatch_bitcoin_fee_estimate_sat_per_vbyte')}{{{E}}})", "{{endpoint}} {{conf_target}} blocks"),
            per_endpoint("chainwatch_bitcoin_mempool_min_fee_sat_per_vbyte", "mempool min"),
            unit=SAT_PER_VB,
        ),
        w=8,
        h=8,
    )

    rpc_row(grid, E, lim, with_heatmap=True)
    probe_row(grid, E, title="Probe detail")
    return chain_dashboard(
        config,
        name,
        chain,
        kind_title="Bitcoin",
        grid=grid,
        about=f"{name} ({chain.network}, chain {chain.chain}, {chain.block_time:g} s mean block time): head and lag against references, validation (headers, IBD), forks, peers, mempool and fee estimates per endpoint.",
    )

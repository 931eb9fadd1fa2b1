"""Per-chain dashboard for an EVM chain: head vs references, lag, head age, fees, mempool, RPC."""

from __future__ import annotations

from chainwatch.dashboards.panels import GWEI, NONE, Grid, higher_is_worse, q, timeseries
from chainwatch.dashboards.sections import (
    C,
    E,
    Limits,
    chain_dashboard,
    chain_header_row,
    heads_row,
    m,
    peers_stat,
    probe_row,
    rpc_row,
    sync_row,
)


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
            "Latest block of each endpoint and the median head of the reachable references. A node line falling away from the reference line is a node falling behind.",
        ),
    )
    sync_row(grid, E, lim)

    grid.row("Fees and mempool")
    grid.add(
        timeseries(
            "Gas price and base fee",
            "eth_gasPrice of each endpoint and the base fee of its head block (EIP-1559), in gwei. Endpoints disagreeing widely are on different heads.",
            q(f"max by (endpoint) ({m('chainwatch_gas_price_wei')}{{{E}}}) / 1e9", "{{endpoint}} gas price"),
            q(f"max by (endpoint) ({m('chainwatch_base_fee_wei')}{{{E}}}) / 1e9", "{{endpoint}} base fee"),
            unit=GWEI,
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "Mempool pending and queued",
            "Transactions in each node's mempool (txpool_status): pending are executable, queued wait for a nonce gap. "
            f"The line is the pending alert threshold ({lim.mempool_pending_max:g}). Nodes without txpool_status are absent.",
            q(f"max by (endpoint, state) ({m('chainwatch_mempool_transactions')}{{{E}}})", "{{endpoint}} {{state}}"),
            unit=NONE,
            thresholds=higher_is_worse(lim.mempool_pending_max),
        ),
        w=12,
        h=8,
    )

    rpc_row(grid, E, lim, with_heatmap=True)
    grid.row("Network")
    grid.add(peers_stat(E, lim), w=24, h=5)
    probe_row(grid, E, title="Probe detail")
    return chain_dashboard(
        config,
        name,
        chain,
        kind_title="EVM",
        grid=grid,
        about=f"{name} ({chain.network}, chain id {chain.chain_id}, {chain.block_time:g} s blocks): head, lag against references, head age, fees, mempool and RPC per endpoint.",
    )

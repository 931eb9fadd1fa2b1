"""Per-chain dashboard of a Sui network: checkpoints vs references, halt, archive depth, epoch, RPC."""

from __future__ import annotations

from chainwatch.dashboards.panels import NONE, Grid, timeseries
from chainwatch.dashboards.sections import (
    C,
    E,
    Limits,
    chain_dashboard,
    chain_header_row,
    heads_row,
    per_endpoint,
    probe_row,
    rpc_row,
    sync_row,
)


def build(config, name: str, chain) -> dict:
    lim = Limits.of(chain)
    t = chain.thresholds
    grid = Grid()
    chain_header_row(grid, E, C)
    heads_row(
        grid,
        "Chain",
        lim,
        ("Checkpoint", "checkpoint_height of GetServiceInfo on each node and the median of the references."),
        halt=(
            "Chain halt",
            f"Seconds since the median reference checkpoint last advanced. Every reference stalling for {chain.chain_halt_seconds:g} s is a "
            "network halt, not one node lagging; one reference serving a stale checkpoint does not move the median.",
            "reference checkpoint stalled for",
            chain.chain_halt_seconds,
        ),
    )
    grid.add(
        timeseries(
            "History served (archive depth)",
            "checkpoint_height - lowest_available_checkpoint of GetServiceInfo: checkpoints of history each node still serves."
            + (f" The line is sui_history_min_checkpoints ({t.sui_history_min_checkpoints})." if t.sui_history_min_checkpoints else ""),
            per_endpoint("chainwatch_sui_history_checkpoints", "checkpoints"),
            unit=NONE,
        ),
        w=12,
        h=8,
    )
    grid.add(timeseries("Epoch", "epoch of GetServiceInfo per node.", per_endpoint("chainwatch_sui_epoch", "epoch"), unit=NONE), w=12, h=8)
    sync_row(grid, E, lim, unit_name="checkpoints")
    rpc_row(grid, E, lim)
    probe_row(grid, E, title="Probe detail")
    return chain_dashboard(
        config,
        name,
        chain,
        kind_title="Sui",
        grid=grid,
        about=f"{name} ({chain.network}): checkpoint lag in checkpoints and seconds, head age, halt, archive depth and epoch over gRPC-web.",
    )

"""Per-chain dashboard of a Sui network: checkpoints vs references, halt, archive depth, epoch, RPC, validator duties."""

from __future__ import annotations

from chainwatch.dashboards.panels import NONE, RATIO, SECONDS, Grid, higher_is_worse, q, timeseries
from chainwatch.dashboards.sections import (
    C,
    E,
    Limits,
    chain_dashboard,
    chain_header_row,
    chain_line,
    heads_row,
    m,
    per_endpoint,
    per_group,
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

    if chain.validators is not None:
        grid.row("Validator duties")
        grid.add(
            timeseries(
                "Reported by peers (voting power)",
                "Highest share of the active set's voting power reporting one of each group's validators this epoch (GetEpoch "
                "system_state.validator_report_records). At 2/3 when the epoch ends the validator loses the epoch's rewards; above "
                f"{t.sui_reported_voting_power_ratio:.0%} it warns.",
                per_group("chainwatch_sui_validator_reported_voting_power_ratio"),
                unit=RATIO,
                thresholds=higher_is_worse(None, 2 / 3),
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Active set",
                "Watched validators per group in this epoch's active set (active_validators of GetEpoch) or not; not_active pages.",
                q(f"max by (group, state) ({m('chainwatch_sui_validators')}{{{C}}})", "{{group}} {{state}}"),
                unit=NONE,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Epoch ends in",
                "epoch_start_timestamp_ms + epoch_duration_ms of the system state, minus now: the time left to clear reports.",
                chain_line("chainwatch_sui_epoch_remaining_seconds", "epoch ends in"),
                unit=SECONDS,
            ),
            w=8,
            h=8,
        )
    probe_row(grid, E, title="Probe detail")
    return chain_dashboard(
        config,
        name,
        chain,
        kind_title="Sui",
        grid=grid,
        about=f"{name} ({chain.network}): checkpoint lag in checkpoints and seconds, head age, halt, archive depth and epoch over gRPC, "
        "validators' active-set membership and peer reports.",
    )

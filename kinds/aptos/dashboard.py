"""Per-chain dashboard of an Aptos network: heads, halt, archive depth, node role, validator proposals and state."""

from __future__ import annotations

from chainwatch.dashboards.panels import NONE, RATIO, Grid, higher_is_worse, q, timeseries
from chainwatch.dashboards.sections import (
    C,
    E,
    Limits,
    chain_dashboard,
    chain_header_row,
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
        ("Block height", "block_height of GET /v1 on each node and the median of the references."),
        halt=(
            "Chain halt",
            f"Seconds since the median reference height last advanced. Every reference stalling for {chain.chain_halt_seconds:g} s is a chain "
            "halt (consensus lost more than 1/3 of the stake), not one node lagging.",
            "reference height stalled for",
            chain.chain_halt_seconds,
        ),
    )
    grid.add(
        timeseries(
            "History served (archive depth)",
            "block_height - oldest_block_height of GET /v1: blocks of history each node still serves (the rest is pruned)."
            + (f" The line is aptos_history_min_blocks ({t.aptos_history_min_blocks})." if t.aptos_history_min_blocks else ""),
            per_endpoint("chainwatch_aptos_history_blocks", "blocks"),
            unit=NONE,
        ),
        w=12,
        h=8,
    )
    grid.add(
        timeseries(
            "Epoch and node role",
            "epoch of GET /v1 per node, and its node_role (validator or full_node).",
            per_endpoint("chainwatch_aptos_epoch", "epoch"),
            q(f"max by (endpoint, node_role) ({m('chainwatch_aptos_node_role_info')}{{{E}}})", "{{endpoint}} {{node_role}}"),
            unit=NONE,
        ),
        w=12,
        h=8,
    )
    sync_row(grid, E, lim, unit_name="blocks")
    rpc_row(grid, E, lim)

    if chain.validators is not None:
        grid.row("Validator proposals")
        grid.add(
            timeseries(
                "Failed proposals this epoch",
                f"failed / all proposals of each group in the current epoch (0x1::stake::get_current_epoch_proposal_counts); rewards scale "
                f"with 1 minus this. The line is the alert ratio ({t.aptos_failed_proposal_ratio:.0%} over {t.aptos_proposal_window}).",
                per_group("chainwatch_aptos_validator_epoch_failed_proposal_ratio"),
                unit=RATIO,
                thresholds=higher_is_worse(None, t.aptos_failed_proposal_ratio),
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Proposals (rate)",
                "Successful and failed proposals per second of each group.",
                q(f"sum by (group, outcome) (rate({m('chainwatch_aptos_validator_proposals_total')}{{{C}}}[5m]))", "{{group}} {{outcome}}"),
                unit=NONE,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Validator state",
                "Watched validators per group by 0x1::stake::get_validator_state. pending_inactive or inactive pages.",
                q(f"max by (group, state) ({m('chainwatch_aptos_validators_state')}{{{C}}})", "{{group}} {{state}}"),
                unit=NONE,
            ),
            w=8,
            h=8,
        )

    probe_row(grid, E, title="Probe detail")
    return chain_dashboard(
        config,
        name,
        chain,
        kind_title="Aptos",
        grid=grid,
        about=f"{name} ({chain.network}, chain id {chain.chain_id}): block lag in blocks and seconds, head age, chain halt, archive depth, "
        "node role, validator proposals and state.",
    )

"""Per-chain dashboard for Solana: slot lag, cluster halt, delinquency, vote lag, skip rate, TPS."""

from __future__ import annotations

from chainwatch.core.alerts import SHORT
from chainwatch.dashboards.panels import NONE, RATIO, SOL, Grid, higher_is_worse, q, timeseries
from chainwatch.dashboards.sections import (
    C,
    E,
    Limits,
    chain_dashboard,
    chain_header_row,
    halt_panel,
    m,
    per_endpoint,
    per_group,
    probe_row,
    references_panel,
    rpc_row,
    sync_row,
)
from chainwatch.kinds.solana.alerts import PASSED, SKIP_WINDOW, SKIPPED


def build(config, name: str, chain) -> dict:
    lim = Limits.of(chain)
    t = chain.thresholds
    grid = Grid()
    chain_header_row(grid, E, C)

    grid.row("Cluster")
    grid.add(
        halt_panel(
            "Cluster halt",
            f"Seconds since the median reference slot last advanced. Every reference stalling for {chain.chain_halt_seconds:g} s is a cluster halt, not one node lagging.",
            "reference slot stalled for",
            chain.chain_halt_seconds,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Transactions per second",
            "Transactions per second over the latest performance sample of each endpoint (getRecentPerformanceSamples).",
            per_endpoint("chainwatch_solana_transactions_per_second"),
            unit=NONE,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Slots per second and epoch progress",
            "Slots per second (about 2.5 at 400 ms slots) and how far the current epoch is.",
            per_endpoint("chainwatch_solana_slots_per_second", "slots/s"),
            per_endpoint("chainwatch_solana_epoch_progress_ratio", "epoch progress"),
            unit=NONE,
        ),
        w=8,
        h=8,
    )

    grid.row("Slots")
    grid.add(
        timeseries(
            "Slot by commitment",
            "Slot of each endpoint at processed, confirmed and finalized commitment.",
            q(f"max by (endpoint, commitment) ({m('chainwatch_solana_slot')}{{{E}}})", "{{endpoint}} {{commitment}}"),
            unit=NONE,
            min_zero=False,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Behind (node's own view)",
            f"Slots behind the cluster the node itself reports in getHealth (0 when healthy). The line is the alert threshold ({t.solana_behind_slots}).",
            per_endpoint("chainwatch_solana_health_behind_slots"),
            unit=NONE,
            thresholds=higher_is_worse(t.solana_behind_slots),
        ),
        w=8,
        h=8,
    )
    grid.add(references_panel(C, lim), w=8, h=8)
    sync_row(grid, E, lim, unit_name="slots")
    rpc_row(grid, E, lim)

    if chain.validators is not None:
        grid.row("Vote accounts")
        grid.add(
            timeseries(
                "Delinquent vote accounts",
                "Watched vote accounts that are delinquent, per group, out of those found in getVoteAccounts. Any delinquent account pages.",
                per_group("chainwatch_solana_validators_delinquent", "delinquent"),
                per_group("chainwatch_solana_validators", "watched"),
                unit=NONE,
                thresholds=higher_is_worse(None, 1),
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Vote lag",
                f"Largest lag of a watched account's last vote (and root) behind the cluster. The line is the alert threshold ({t.solana_vote_lag_slots} slots).",
                per_group("chainwatch_solana_vote_lag_slots", "vote"),
                per_group("chainwatch_solana_root_lag_slots", "root"),
                unit=NONE,
                thresholds=higher_is_worse(t.solana_vote_lag_slots),
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Skip rate",
                f"Skipped / leader slots per group over the last {SKIP_WINDOW} (what ChainwatchSolanaSkipRateHigh reads, with the last {SHORT}), "
                f"and 1 - blocks produced / leader slots this epoch so far. The line is the alert threshold ({t.solana_skip_ratio:g}).",
                q(
                    f"max by (group) (increase({m(SKIPPED)}{{{C}}}[{SKIP_WINDOW}])) / max by (group) (increase({m(PASSED)}{{{C}}}[{SKIP_WINDOW}]))",
                    f"{{{{group}}}} last {SKIP_WINDOW}",
                ),
                per_group("chainwatch_solana_skip_ratio", "epoch"),
                unit=RATIO,
                thresholds=higher_is_worse(t.solana_skip_ratio),
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Leader slots and blocks produced",
                "Leader slots of the group's identities so far this epoch and the blocks they produced.",
                per_group("chainwatch_solana_leader_slots", "leader slots"),
                per_group("chainwatch_solana_blocks_produced", "produced"),
                unit=NONE,
            ),
            w=12,
            h=8,
        )
        grid.add(
            timeseries(
                "Activated stake",
                "Activated stake of each group's vote accounts, in SOL.",
                q(f"max by (group) ({m('chainwatch_solana_activated_stake_lamports')}{{{C}}}) / 1e9", "{{group}}"),
                unit=SOL,
            ),
            w=12,
            h=8,
        )

    probe_row(grid, E, title="Probe detail")
    return chain_dashboard(
        config,
        name,
        chain,
        kind_title="Solana",
        grid=grid,
        about=f"{name} ({chain.network}, {chain.block_time:g} s slots): slot lag, cluster halt, vote accounts (delinquency, vote lag, skip rate) and throughput. Solana has no public mempool.",
    )

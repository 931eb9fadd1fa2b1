"""Per-chain dashboard for a Cosmos SDK / CometBFT chain: heads, halt, peers, validator signing, time to jail."""

from __future__ import annotations

from chainwatch.dashboards.panels import NONE, RATIO, SECONDS, Grid, higher_is_worse, q, timeseries
from chainwatch.dashboards.sections import (
    C,
    E,
    Limits,
    chain_dashboard,
    chain_header_row,
    heads_row,
    chain_line,
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
        ("Block height", "latest_block_height of each node (/status) and the median of the references."),
        halt=(
            "Chain halt",
            f"Seconds since the median reference height last advanced. Every reference stalling for {chain.chain_halt_seconds:g} s is a chain halt "
            "(consensus lost more than 1/3 of the voting power), not one node lagging.",
            "reference height stalled for",
            chain.chain_halt_seconds,
        ),
        between=(
            timeseries(
                "Peers and catching up",
                f"n_peers of /net_info (absent where a provider closes it) and catching_up of /status. The line is the peer minimum ({t.peers_min}).",
                per_endpoint("chainwatch_peers", "peers"),
                per_endpoint("chainwatch_syncing", "catching up"),
                unit=NONE,
            ),
        ),
    )
    sync_row(grid, E, lim, unit_name="blocks")
    rpc_row(grid, E, lim)

    if chain.validators is not None:
        grid.row("Validator signing")
        grid.add(
            timeseries(
                "Consecutive missed blocks",
                f"Longest current run of missed blocks in each group (absent precommits in last_commit). The line is the alert threshold ({t.cosmos_consecutive_misses}).",
                per_group("chainwatch_cosmos_validator_consecutive_missed_blocks"),
                unit=NONE,
                thresholds=higher_is_worse(None, t.cosmos_consecutive_misses),
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Missed blocks (rate)",
                "Missed blocks per second per group; solo misses are those of blocks more than 2/3 of the voting power signed.",
                q(f"sum by (group) (rate({m('chainwatch_cosmos_validator_missed_blocks_total')}{{{C}}}[5m]))", "{{group}} missed"),
                q(f"sum by (group) (rate({m('chainwatch_cosmos_validator_solo_missed_blocks_total')}{{{C}}}[5m]))", "{{group}} solo"),
                unit=NONE,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Signed voting power",
                "Share of the voting power in the last block's commit: above 2/3 the chain goes on; near 2/3 it is close to halting.",
                chain_line("chainwatch_cosmos_commit_signed_power_ratio", "signed power"),
                unit=RATIO,
            ),
            w=8,
            h=8,
        )
        grid.row("Jail")
        grid.add(
            timeseries(
                "Time until jail",
                f"If every coming block is missed, x/slashing jails the group's closest validator in this long. Lines: warning "
                f"{t.cosmos_jail_headroom_warning_hours:g} h, critical {t.cosmos_jail_headroom_critical_hours:g} h.",
                q(f"min by (group) ({m('chainwatch_cosmos_validator_time_until_jail_seconds')}{{{C}}})", "{{group}}"),
                unit=SECONDS,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Signing window",
                "Misses in the x/slashing signed blocks window (worst validator of each group) and blocks left before jail.",
                per_group("chainwatch_cosmos_validator_signing_window_missed_blocks", "missed in window"),
                q(f"min by (group) ({m('chainwatch_cosmos_validator_blocks_until_jail')}{{{C}}})", "{{group}} blocks until jail"),
                unit=NONE,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Jailed, tombstoned, active",
                "Watched validators per group that are jailed, tombstoned, or in the current validator set. Any jailed or tombstoned validator pages.",
                per_group("chainwatch_cosmos_validator_jailed", "jailed"),
                per_group("chainwatch_cosmos_validator_tombstoned", "tombstoned"),
                per_group("chainwatch_cosmos_validators_active", "active"),
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
        kind_title="Cosmos",
        grid=grid,
        about=f"{name} ({chain.network}, chain id {chain.chain_id}, {chain.block_time:g} s blocks): block lag, chain halt, peers, "
        "validator signing (missed, consecutive, solo misses), x/slashing time until jail, jailed and tombstoned.",
    )

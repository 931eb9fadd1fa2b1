"""Per-chain dashboard of AvalancheGo nodes: P-chain height, health checks, bootstrapped chains,
peers and disk, and the watched validators' uptime, reward runway and L1 fee runway."""

from __future__ import annotations

from chainwatch.core import uids
from chainwatch.core.alerttext import humanize_duration
from chainwatch.dashboards.panels import NONE, RATIO, SECONDS, Grid, q, timeseries
from chainwatch.dashboards.sections import (
    C,
    E,
    Limits,
    chain_dashboard,
    chain_header_row,
    head_vs_references,
    m,
    per_endpoint,
    probe_row,
    references_panel,
    rpc_row,
    sync_row,
)

BYTES = "bytes"


def build(config, name: str, chain) -> dict:
    lim = Limits.of(chain)
    t = chain.thresholds
    grid = Grid()
    chain_header_row(grid, E, C)

    grid.row("Nodes")
    grid.add(head_vs_references("P-chain height", "platform.getHeight of each node and the median of the references."), w=8, h=8)
    grid.add(
        timeseries(
            "Failing health checks",
            "Checks of GET /ext/health failing on each node (C, P, X, bootstrapped, network, database, diskspace, router; anything else is other). "
            "Only our own nodes serve /ext/health.",
            q(f"max by (endpoint, check) ({m('chainwatch_avalanche_health_check_failing')}{{{E}}}) > 0", "{{endpoint}} {{check}}"),
            unit=NONE,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Chains not bootstrapped",
            "Chains (P, X, C) info.isBootstrapped says are still bootstrapping, per node. A node bootstrapping its P-chain has no head.",
            q(f"1 - max by (endpoint, blockchain) ({m('chainwatch_avalanche_bootstrapped')}{{{E}}}) > 0", "{{endpoint}} {{blockchain}}"),
            unit=NONE,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Peers",
            f"connectedPeers of the network health check. The line is the peer minimum ({t.peers_min}).",
            per_endpoint("chainwatch_peers", "peers"),
            unit=NONE,
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Disk available",
            "availableDiskBytes of the diskspace health check: AvalancheGo fails the check, then shuts down, when it runs low.",
            per_endpoint("chainwatch_avalanche_disk_available_bytes", "available"),
            unit=BYTES,
        ),
        w=8,
        h=8,
    )
    grid.add(references_panel(C, lim), w=8, h=8)
    if chain.subnets:
        grid.add(
            timeseries(
                "Failing checks per subnet",
                "Failing checks of GET /ext/health?tag=<subnetID> on each node of ours, per configured subnet: the subnet's chains and the "
                "node-wide checks (network, database, diskspace, ...). Only a subnet's own count rising means its chains are unhealthy.",
                q(f"max by (endpoint, subnet) ({m('chainwatch_avalanche_subnet_failing_checks')}{{{E}}})", "{{endpoint}} {{subnet}}"),
                unit=NONE,
            ),
            w=8,
            h=8,
        )
    sync_row(grid, E, lim, unit_name="blocks")
    rpc_row(grid, E, lim)

    if chain.validators is not None:
        grid.row("Validators")
        grid.add(
            timeseries(
                "Uptime",
                "Each validator's uptime in its current validation: the median of the reference nodes' views (platform.getCurrentValidators), "
                "our own node's view, and the requirement (80 %, 90 % after Helicon). Our own node's view never pages.",
                q(f"max by (validator, view) ({m('chainwatch_avalanche_validator_uptime_ratio')}{{{C}}})", "{{validator}} {{view}}"),
                q(f"max by (validator) ({m('chainwatch_avalanche_validator_uptime_requirement_ratio')}{{{C}}})", "{{validator}} required"),
                unit=RATIO,
                min_zero=False,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Reward runway",
                "Downtime each validator can still afford before it loses the validation's reward: u(t-S) + (E-t) - r(E-S). Flat while it is up, "
                f"falling one second per second while it is down. Lines: warning {humanize_duration(t.avalanche_reward_runway_warning_hours * 3600)}, "
                f"critical {humanize_duration(t.avalanche_reward_runway_critical_hours * 3600)}.",
                q(f"min by (validator) ({m('chainwatch_avalanche_validator_reward_runway_seconds')}{{{C}}})", "{{validator}}"),
                unit=SECONDS,
                min_zero=False,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Connected",
                "1 while a majority of the reference nodes (median) / our own node (own) see the validator connected; the number of views that answered.",
                q(f"max by (validator, view) ({m('chainwatch_avalanche_validator_connected')}{{{C}}})", "{{validator}} {{view}}"),
                q(f"max by (validator) ({m('chainwatch_avalanche_validator_views')}{{{C}}})", "{{validator}} views"),
                unit=NONE,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "L1 validator fee runway",
                "Each L1 validator's balance over the validator fee price (platform.getValidatorFeeState): at zero it is deactivated. "
                f"Lines: warning {humanize_duration(t.avalanche_fee_runway_warning_days * 86400)}, "
                f"critical {humanize_duration(t.avalanche_fee_runway_critical_days * 86400)}.",
                q(f"min by (validator) ({m('chainwatch_avalanche_l1_validator_fee_runway_seconds')}{{{C}}})", "{{validator}}"),
                unit=SECONDS,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Our nodes' rewarding stake",
                "info.uptime rewardingStakePercentage of our validating nodes: the share of stake that sees the node above the requirement (its own account).",
                per_endpoint("chainwatch_avalanche_rewarding_stake_ratio", "rewarding stake"),
                unit=RATIO,
            ),
            w=8,
            h=8,
        )

    probe_row(grid, E, title="Probe detail")
    evm = f" The EVM chains its nodes serve have their own dashboards: {', '.join(chain.evm_chains)}." if chain.evm_chains else ""
    board = chain_dashboard(
        config,
        name,
        chain,
        kind_title="Avalanche",
        grid=grid,
        about=f"{name} ({chain.network}, network id {chain.network_id}): P-chain height, node health checks, bootstrapped chains, peers and disk; "
        "validators' median uptime, reward runway and L1 fee runway." + evm,
    )
    # The C-chain and subnet-EVM chains (evm_chains): their heads, lag and mempool are on their dashboards.
    board["links"] += [
        {**board["links"][0], "title": f"EVM chain: {e}", "url": uids.url(uids.chain_uid(e), chain=e), "tooltip": f"{e}: served by the nodes of {name}"}
        for e in chain.evm_chains
    ]
    return board

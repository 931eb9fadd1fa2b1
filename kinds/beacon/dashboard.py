"""Per-chain dashboard for an Ethereum consensus (beacon) chain: slots, finality, node, validators."""

from __future__ import annotations

from chainwatch.dashboards.panels import (
    ETH,
    GREEN,
    NONE,
    ORANGE,
    RATIO,
    RED,
    SECONDS,
    Grid,
    higher_is_worse,
    nan_text,
    or_zero,
    q,
    stat,
    state_timeline,
    steps,
    timeseries,
    value_text,
)
from chainwatch.dashboards.sections import (
    C,
    E,
    Limits,
    chain_dashboard,
    chain_header_row,
    head_vs_references,
    m,
    or_not_exposed,
    per_endpoint,
    per_group,
    probe_row,
    r,
    rpc_row,
    sync_row,
)


def build(config, name: str, chain) -> dict:
    lim = Limits.of(chain)
    t = chain.thresholds
    grid = Grid()
    chain_header_row(grid, E, C)

    grid.row("Head and finality")
    grid.add(
        head_vs_references(
            "Head slot",
            "Head slot of each beacon node and, where references are configured, their median head.",
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Sync distance",
            "sync_distance each beacon node reports: slots between its head and the wall-clock slot.",
            per_endpoint("chainwatch_beacon_sync_distance_slots"),
            unit=NONE,
            thresholds=higher_is_worse(lim.lag_blocks_warning, lim.lag_blocks_critical),
        ),
        w=8,
        h=8,
    )
    grid.add(
        timeseries(
            "Epochs since finalized",
            f"Epochs between now and the finalized checkpoint (2 is normal). Above {t.finality_epochs} the chain is not finalizing: a chain-wide incident.",
            per_endpoint("chainwatch_beacon_epochs_since_finalized", "finalized"),
            per_endpoint("chainwatch_beacon_epochs_since_justified", "justified"),
            unit=NONE,
            thresholds=higher_is_worse(None, t.finality_epochs),
        ),
        w=8,
        h=8,
    )
    sync_row(grid, E, lim, unit_name="slots")

    grid.row("Beacon node")
    grid.add(
        timeseries(
            "Peers by state",
            f"Beacon node peers by connection state (/eth/v1/node/peer_count). The line is the peers alert threshold ({t.peers_min}).",
            q(f"max by (endpoint, state) ({m('chainwatch_beacon_peers')}{{{E}}})", "{{endpoint}} {{state}}"),
            unit=NONE,
            thresholds=steps(RED, (t.peers_min, GREEN)),
        ),
        w=8,
        h=8,
    )
    grid.add(
        state_timeline(
            "Optimistic head / execution client offline",
            'Red when the node\'s head is optimistic (execution payload not verified) or it reports its execution client offline (clients without el_offline, e.g. Lodestar 1.5.1, show "not reported").',
            per_endpoint("chainwatch_beacon_optimistic", "optimistic"),
            q(or_not_exposed("endpoint", "chainwatch_beacon_el_offline", E), "{{endpoint}} EL offline"),
            mappings=[value_text((0, "ok", GREEN), (1, "yes", RED)), nan_text("not reported by this client")],
            thresholds=steps(GREEN, (1, RED)),
        ),
        w=8,
        h=8,
    )
    grid.add(
        stat(
            "Node health",
            "HTTP status of /eth/v1/node/health: 200 ready, 206 syncing, 503 not initialised.",
            per_endpoint("chainwatch_beacon_health_status_code", instant=True),
            unit=NONE,
            mappings=[value_text((200, "ready", GREEN), (206, "syncing", ORANGE), (503, "not initialised", RED))],
            thresholds=steps(RED, (200, GREEN), (201, ORANGE)),
        ),
        w=8,
        h=8,
    )

    rpc_row(grid, E, lim)

    if chain.validators is not None:
        grid.row("Validators")
        grid.add(
            timeseries(
                "Attestation miss ratio (1h)",
                f"Share of validator-epochs with no attestation seen, per group, over an hour. The line is the alert threshold ({t.attestation_miss_ratio:g}).",
                q(f"max by (group) ({r('group:chainwatch_validator_attestations_missed:ratio_rate1h')}{{{C}}})", "{{group}}"),
                unit=RATIO,
                thresholds=higher_is_worse(None, t.attestation_miss_ratio),
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Consecutive missed attestations",
                f"Longest current run of missed attestations in each group. {t.attestation_consecutive_misses} in a row pages.",
                per_group("chainwatch_validator_consecutive_missed_attestations"),
                unit=NONE,
                thresholds=higher_is_worse(None, t.attestation_consecutive_misses),
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Sync committee",
                "Watched validators of each group in the current and next sync committee (a period is 256 epochs, ~27 h on mainnet), "
                f"and the longest current run of slots missing a member's signature ({t.sync_committee_consecutive_misses} in a row pages).",
                q(f"max by (group, period) ({m('chainwatch_validator_sync_committee_members')}{{{C}}})", "{{group}} members ({{period}})"),
                q(f"max by (group) ({m('chainwatch_validator_consecutive_missed_sync_signatures')}{{{C}}})", "{{group}} missed in a row"),
                unit=NONE,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Sync-committee miss ratio (1h)",
                "Share of the group's expected sync-committee signatures (positions times slots with a block) absent from the blocks, "
                f"over an hour. The line is the alert threshold ({t.sync_committee_miss_ratio:g}).",
                q(
                    f"max by (group) (increase({m('chainwatch_validator_sync_signatures_missed_total')}{{{C}}}[1h]))"
                    f" / max by (group) (increase({m('chainwatch_validator_sync_signatures_expected_total')}{{{C}}}[1h]) > 0)",
                    "{{group}}",
                ),
                unit=RATIO,
                thresholds=higher_is_worse(None, t.sync_committee_miss_ratio),
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Proposals (1h)",
                "Block proposals assigned to each group and those missed (no block at the slot), over an hour.",
                q(f"max by (group) (increase({m('chainwatch_validator_proposals_total')}{{{C}}}[1h]))", "{{group}} assigned"),
                q(f"max by (group) (increase({m('chainwatch_validator_proposals_missed_total')}{{{C}}}[1h]))", "{{group}} missed"),
                unit=NONE,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Validators by status",
                "Watched validators per group by beacon status (active_ongoing, pending_*, exited_*, slashed).",
                q(f"max by (group, status) ({m('chainwatch_validators')}{{{C}}})", "{{group}} {{status}}"),
                unit=NONE,
                stack=True,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Effective balance",
                "Sum of each group's effective balances in ETH. A drop is an exit or a slashing.",
                q(f"max by (group) ({m('chainwatch_validator_effective_balance_wei')}{{{C}}}) / 1e18", "{{group}}"),
                unit=ETH,
                min_zero=False,
            ),
            w=8,
            h=8,
        )
        grid.add(
            timeseries(
                "Validator monitor",
                f"Seconds since the validator monitor last processed an epoch (one epoch is {chain.epoch_seconds:g} s), and epochs it could no longer query.",
                q(f"time() - max by (chain) ({m('chainwatch_validator_monitor_last_success_timestamp_seconds')}{{{C}}})", "since last epoch processed"),
                q(or_zero(f"max by (chain) (increase({m('chainwatch_validator_monitor_epochs_skipped_total')}{{{C}}}[1h]))"), "epochs skipped (1h)"),
                unit=SECONDS,
                thresholds=higher_is_worse(2 * chain.epoch_seconds),
            ),
            w=8,
            h=8,
        )

    probe_row(grid, E, title="Probe detail")
    return chain_dashboard(
        config,
        name,
        chain,
        kind_title="Ethereum consensus",
        grid=grid,
        about=f"{name} ({chain.network}, {chain.seconds_per_slot:g} s slots, {chain.slots_per_epoch} slots per epoch): slots, finality, beacon node health and validator duties by group.",
    )

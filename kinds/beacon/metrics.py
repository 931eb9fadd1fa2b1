"""The beacon kind's own catalog rows (shared rows: :mod:`chainwatch.assembly.catalog`)."""

from __future__ import annotations

from chainwatch.core.declarations import C, G, Metric, metric as _m  # noqa: F401

KIND = ("beacon",)

METRICS: tuple[Metric, ...] = (
    _m("chainwatch_beacon_sync_distance_slots", G, "", "sync_distance the beacon node reports.", kinds=KIND),
    _m("chainwatch_beacon_optimistic", G, "", "1 if the beacon node's head is optimistic (execution payload not verified).", kinds=KIND),
    _m("chainwatch_beacon_el_offline", G, "", "1 if the beacon node reports its execution client offline (absent on clients without el_offline).", kinds=KIND),
    _m("chainwatch_beacon_health_status_code", G, "", "HTTP status of /eth/v1/node/health (200 ready, 206 syncing, 503 not initialized).", kinds=KIND),
    _m("chainwatch_beacon_peers", G, "", "Beacon node peers by connection state (/eth/v1/node/peer_count).", labels=("state",), kinds=KIND),
    _m("chainwatch_beacon_connected_peers", G, "", "Connected beacon node peers by direction.", labels=("direction",), kinds=KIND),
    _m("chainwatch_beacon_finalized_epoch", G, "", "Finalized checkpoint epoch at the node's head.", kinds=KIND),
    _m("chainwatch_beacon_epochs_since_finalized", G, "", "Epochs between the wall-clock epoch and the finalized checkpoint (2 is normal).", kinds=KIND),
    _m("chainwatch_beacon_epochs_since_justified", G, "", "Epochs between the wall-clock epoch and the current justified checkpoint.", kinds=KIND),
    _m(
        "chainwatch_validator_attestations_checked_total",
        C,
        "",
        "Validator-epochs checked for an attestation (active validators only).",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_validator_attestations_missed_total",
        C,
        "",
        "Validator-epochs with no attestation seen (liveness is_live=false).",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_validator_consecutive_missed_attestations",
        G,
        "",
        "Longest current run of consecutive missed attestations among the group's validators.",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_validator_sync_committee_members",
        G,
        "",
        "Watched validators of the group in the current or next sync committee (period label).",
        scope="group",
        labels=("period",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_validator_sync_signatures_expected_total",
        C,
        "",
        "Sync-committee signatures expected from the group: committee positions times slots with a block.",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_validator_sync_signatures_missed_total",
        C,
        "",
        "Expected sync-committee signatures absent from the sync aggregate of the block.",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_validator_consecutive_missed_sync_signatures",
        G,
        "",
        "Longest current run of slots (with a block) missing a sync-committee signature among the group's validators.",
        scope="group",
        kinds=KIND,
    ),
    _m("chainwatch_validator_proposals_total", C, "", "Block proposals assigned to the group's validators.", scope="group", kinds=KIND),
    _m("chainwatch_validator_proposals_missed_total", C, "", "Assigned proposals with no block at the slot.", scope="group", kinds=KIND),
    _m("chainwatch_validators", G, "", "Watched validators by beacon status.", scope="group", labels=("status",), kinds=KIND),
    _m("chainwatch_validator_effective_balance_wei", G, "wei", "Sum of the group's effective balances.", scope="group", kinds=KIND),
    _m("chainwatch_validator_monitor_last_epoch", G, "", "Last epoch the validator monitor processed.", scope="chain", kinds=KIND),
    _m(
        "chainwatch_validator_monitor_epochs_skipped_total",
        C,
        "",
        "Epochs the monitor could no longer query (too old) and did not count.",
        scope="chain",
        kinds=KIND,
    ),
    _m(
        "chainwatch_validator_missed_attestations_consecutive",
        G,
        "",
        "Consecutive missed attestations of one validator (opt-in, capped).",
        scope="validator",
        kinds=KIND,
    ),
    _m(
        "chainwatch_validator_missed_sync_signatures_consecutive",
        G,
        "",
        "Slots in a row missing one validator's sync-committee signature (opt-in, capped).",
        scope="validator",
        kinds=KIND,
    ),
    _m(
        "chainwatch_validator_status", G, "", "1 for the validator's current beacon status (opt-in, capped).", scope="validator", labels=("status",), kinds=KIND
    ),
)

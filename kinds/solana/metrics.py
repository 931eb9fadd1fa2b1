"""The solana kind's own catalog rows (shared rows: :mod:`chainwatch.assembly.catalog`)."""

from __future__ import annotations

from chainwatch.core.declarations import C, G, Metric, metric as _m  # noqa: F401

KIND = ("solana",)

METRICS: tuple[Metric, ...] = (
    _m("chainwatch_solana_slot", G, "", "Slot of the endpoint at each commitment level.", labels=("commitment",), kinds=KIND),
    _m("chainwatch_solana_block_height", G, "", "getBlockHeight of the endpoint.", kinds=KIND),
    _m("chainwatch_solana_health_behind_slots", G, "", "Slots behind the cluster the node itself reports in getHealth (0 when healthy).", kinds=KIND),
    _m("chainwatch_solana_epoch", G, "", "Current epoch (getEpochInfo).", kinds=KIND),
    _m("chainwatch_solana_epoch_progress_ratio", G, "", "slotIndex / slotsInEpoch of the current epoch.", kinds=KIND),
    _m("chainwatch_solana_transactions_per_second", G, "", "Transactions per second over the latest performance sample.", kinds=KIND),
    _m("chainwatch_solana_slots_per_second", G, "", "Slots per second over the latest performance sample.", kinds=KIND),
    _m("chainwatch_solana_validators", G, "", "Watched vote accounts found in getVoteAccounts.", scope="group", kinds=KIND),
    _m("chainwatch_solana_validators_delinquent", G, "", "Watched vote accounts that are delinquent.", scope="group", kinds=KIND),
    _m(
        "chainwatch_solana_vote_lag_slots",
        G,
        "",
        "Largest lag of a watched vote account's last vote behind the cluster's highest vote.",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_solana_root_lag_slots",
        G,
        "",
        "Largest lag of a watched vote account's root slot behind the cluster's highest root.",
        scope="group",
        kinds=KIND,
    ),
    _m("chainwatch_solana_activated_stake_lamports", G, "lamports", "Activated stake of the group's vote accounts.", scope="group", kinds=KIND),
    _m("chainwatch_solana_leader_slots", G, "", "Leader slots of the group's identities so far in the current epoch.", scope="group", kinds=KIND),
    _m("chainwatch_solana_blocks_produced", G, "", "Blocks the group's identities produced so far in the current epoch.", scope="group", kinds=KIND),
    _m(
        "chainwatch_solana_leader_slots_passed_total",
        C,
        "",
        "Leader slots of the group's identities that have passed (getBlockProduction, confirmed), counted since the exporter started; across epochs.",
        scope="group",
        kinds=KIND,
        example='chainwatch_solana_leader_slots_passed_total{chain="solana",group="ops",network="mainnet-beta"} 48',
    ),
    _m(
        "chainwatch_solana_leader_slots_skipped_total",
        C,
        "",
        "Of those leader slots, the ones in which the identity produced no block (skipped), counted since the exporter started.",
        scope="group",
        kinds=KIND,
        example='chainwatch_solana_leader_slots_skipped_total{chain="solana",group="ops",network="mainnet-beta"} 4',
    ),
    _m(
        "chainwatch_solana_skip_ratio",
        G,
        "",
        "1 - blocks produced / leader slots over the current epoch (0 when no leader slot yet).",
        scope="group",
        kinds=KIND,
    ),
    _m("chainwatch_solana_validator_delinquent", G, "", "1 if the vote account is delinquent (per validator, capped).", scope="validator", kinds=KIND),
    _m("chainwatch_solana_validator_vote_lag_slots", G, "", "Lag of the vote account's last vote (per validator, capped).", scope="validator", kinds=KIND),
    _m("chainwatch_solana_validator_skip_ratio", G, "", "Skip ratio of the identity this epoch (per validator, capped).", scope="validator", kinds=KIND),
    _m(
        "chainwatch_solana_validator_commission_ratio",
        G,
        "",
        "Commission of the vote account as a ratio (per validator, capped).",
        scope="validator",
        kinds=KIND,
    ),
    _m("chainwatch_solana_validator_epoch_credits", G, "", "Vote credits earned in the current epoch (per validator, capped).", scope="validator", kinds=KIND),
)

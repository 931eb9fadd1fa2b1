"""The cosmos kind's own catalog rows (shared rows: :mod:`chainwatch.assembly.catalog`).

Words are CometBFT's and the Cosmos SDK's: blocks (not slots), signing (precommits in
``last_commit``), the x/slashing signing window, jailed / tombstoned, bond status.
"""

from __future__ import annotations

from chainwatch.core.declarations import C, G, Metric, metric as _m  # noqa: F401

KIND = ("cosmos",)

METRICS: tuple[Metric, ...] = (
    _m(
        "chainwatch_cosmos_validator_blocks_checked_total",
        C,
        "",
        "Validator-blocks checked: blocks whose commit the group's validators were in the validator set to sign (each block counted once per validator and group).",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_cosmos_validator_missed_blocks_total",
        C,
        "",
        "Checked validator-blocks without the validator's signature (block_id_flag 1, absent, in the next block's last_commit).",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_cosmos_validator_solo_missed_blocks_total",
        C,
        "",
        "Missed validator-blocks of blocks that more than 2/3 of the voting power signed: the validator missed while the network signed.",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_cosmos_validator_consecutive_missed_blocks",
        G,
        "",
        "Longest current run of consecutive missed blocks among the group's validators.",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_cosmos_validator_signing_window_missed_blocks",
        G,
        "",
        "Largest x/slashing missed_blocks_counter (misses in the signed blocks window) among the group's validators.",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_cosmos_validator_blocks_until_jail",
        G,
        "",
        "Fewest further misses a validator of the group can absorb before x/slashing jails it: window - round(window x min_signed_per_window) - missed_blocks_counter.",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_cosmos_validator_time_until_jail_seconds",
        G,
        "seconds",
        "blocks_until_jail x the chain's block time: how long until jail if every coming block is missed.",
        scope="group",
        kinds=KIND,
    ),
    _m("chainwatch_cosmos_validators_active", G, "", "The group's validators in the current CometBFT validator set.", scope="group", kinds=KIND),
    _m("chainwatch_cosmos_validator_voting_power", G, "", "Voting power of the group's validators in the current validator set.", scope="group", kinds=KIND),
    _m(
        "chainwatch_cosmos_validator_jailed",
        G,
        "",
        "The group's validators that are jailed (x/staking jailed; without staking: x/slashing jailed_until in the future).",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_cosmos_validator_tombstoned",
        G,
        "",
        "The group's validators that are tombstoned (x/slashing, after a double sign).",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_cosmos_validator_bond_status",
        G,
        "",
        "The group's validators by x/staking bond status (bonded, unbonding, unbonded, unspecified).",
        scope="group",
        labels=("status",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_cosmos_commit_signed_power_ratio",
        G,
        "",
        "Share of the voting power that signed the last block the monitor read.",
        scope="chain",
        kinds=KIND,
    ),
    _m("chainwatch_cosmos_monitor_last_height", G, "", "Last block height the validator monitor counted.", scope="chain", kinds=KIND),
    _m(
        "chainwatch_cosmos_monitor_blocks_skipped_total",
        C,
        "",
        "Blocks the monitor did not count: more than max_backfill_blocks behind (after a long outage), or no longer kept by any monitor endpoint (pruned with min-retain-blocks, or before a state-sync snapshot).",
        scope="chain",
        kinds=KIND,
    ),
)

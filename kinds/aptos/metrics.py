"""The aptos kind's own catalog rows (shared rows: :mod:`chainwatch.assembly.catalog`).

Words are the Aptos node API's: ledger versions (one per transaction), blocks, epochs, the
node role (``validator``/``full_node``), the stake pool of a validator, proposals.
"""

from __future__ import annotations

from chainwatch.core.declarations import C, G, Metric
from chainwatch.core.declarations import metric as _m

KIND = ("aptos",)

# 0x1::stake validator states (stake.move VALIDATOR_STATUS_*), the `state` label's values.
STATES = {1: "pending_active", 2: "active", 3: "pending_inactive", 4: "inactive"}
OUTCOMES = ("successful", "failed")

METRICS: tuple[Metric, ...] = (
    _m("chainwatch_aptos_ledger_version", G, "", "ledger_version of GET /v1: the newest committed transaction version.", kinds=KIND),
    _m(
        "chainwatch_aptos_oldest_ledger_version",
        G,
        "",
        "oldest_ledger_version of GET /v1: the oldest transaction version the node still serves (0 on an archive node).",
        kinds=KIND,
    ),
    _m(
        "chainwatch_aptos_oldest_block_height",
        G,
        "",
        "oldest_block_height of GET /v1: the oldest block the node still serves (pruned below).",
        kinds=KIND,
    ),
    _m(
        "chainwatch_aptos_history_blocks",
        G,
        "",
        "Blocks of history the node serves: block_height - oldest_block_height (archive depth).",
        kinds=KIND,
        example='chainwatch_aptos_history_blocks{chain="aptos",endpoint="apt-1",network="mainnet",role="node"} 2.1e+07',
    ),
    _m("chainwatch_aptos_epoch", G, "", "epoch of GET /v1.", kinds=KIND),
    _m(
        "chainwatch_aptos_node_role_info",
        G,
        "",
        "node_role of GET /v1 (validator or full_node) as a label; value is always 1.",
        labels=("node_role",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_aptos_validator_proposals_total",
        C,
        "",
        "Proposals of the group's validators counted since the monitor started (outcome = successful, failed), from 0x1::stake::get_current_epoch_proposal_counts across epochs.",
        scope="group",
        labels=("outcome",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_aptos_validator_epoch_proposals",
        G,
        "",
        "Proposals of the group's validators in the current epoch so far (outcome = successful, failed); restarts at every epoch.",
        scope="group",
        labels=("outcome",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_aptos_validator_epoch_failed_proposal_ratio",
        G,
        "",
        "failed / (successful + failed) proposals of the group in the current epoch so far; epoch rewards scale with 1 minus this.",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_aptos_validators_state",
        G,
        "",
        "The group's validators by 0x1::stake::get_validator_state (state = pending_active, active, pending_inactive, inactive).",
        scope="group",
        labels=("state",),
        kinds=KIND,
    ),
)

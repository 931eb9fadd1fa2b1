"""The sui kind's own catalog rows (shared rows: :mod:`chainwatch.assembly.catalog`).

Words are the Sui gRPC API's (``sui.rpc.v2.LedgerService/GetServiceInfo``): checkpoints
(the head and heights in the shared rows count checkpoints), epochs, the lowest available
checkpoint of a pruning node.
"""

from __future__ import annotations

from chainwatch.core.declarations import G, Metric
from chainwatch.core.declarations import metric as _m

KIND = ("sui",)

METRICS: tuple[Metric, ...] = (
    _m(
        "chainwatch_sui_lowest_available_checkpoint",
        G,
        "",
        "lowest_available_checkpoint of GetServiceInfo: the oldest checkpoint the node still serves.",
        kinds=KIND,
    ),
    _m(
        "chainwatch_sui_history_checkpoints",
        G,
        "",
        "Checkpoints of history the node serves: checkpoint_height - lowest_available_checkpoint (archive depth).",
        kinds=KIND,
        example='chainwatch_sui_history_checkpoints{chain="sui",endpoint="sui-1",network="mainnet",role="node"} 3.4e+06',
    ),
    _m("chainwatch_sui_epoch", G, "", "epoch of GetServiceInfo.", kinds=KIND),
    _m(
        "chainwatch_sui_validators",
        G,
        "",
        "The group's validators by membership of the current epoch's active set (GetEpoch system_state.validators.active_validators): state = active, not_active.",
        scope="group",
        labels=("state",),
        kinds=KIND,
    ),
    _m(
        "chainwatch_sui_validators_reported",
        G,
        "",
        "The group's validators that at least one peer reports this epoch (GetEpoch system_state.validator_report_records).",
        scope="group",
        kinds=KIND,
    ),
    _m(
        "chainwatch_sui_validator_reported_voting_power_ratio",
        G,
        "",
        "Highest share, over the group's validators, of the active set's voting power reporting that validator this epoch; at 2/3 when the epoch ends it loses the epoch's rewards.",
        scope="group",
        kinds=KIND,
        example='chainwatch_sui_validator_reported_voting_power_ratio{chain="sui",group="ops",network="mainnet"} 0.25',
    ),
    _m(
        "chainwatch_sui_epoch_remaining_seconds",
        G,
        "seconds",
        "Seconds until the current epoch is due to end: system_state.epoch_start_timestamp_ms + parameters.epoch_duration_ms of GetEpoch, minus now (0 once past).",
        scope="chain",
        kinds=KIND,
    ),
)

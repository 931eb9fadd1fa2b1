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
)

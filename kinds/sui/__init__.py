"""Sui full nodes over the gRPC API (``sui.rpc.v2``) spoken as gRPC-web: head checkpoint, its
age, archive depth, network and version from ``LedgerService/GetServiceInfo``; an endpoint that
answers only the retired JSON-RPC fails with ``deprecated_api``."""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.sui.config import SuiChain, SuiDurations, SuiEndpoint, SuiThresholds
from chainwatch.kinds.sui.metrics import METRICS

KIND = ChainKind(
    name="sui",
    config=SuiChain,
    unit="blocks",  # checkpoints
    primary_method="GetServiceInfo",  # the one gRPC call of a round
    capabilities=frozenset({"reference_halt"}),
    metrics=METRICS,
    config_models=(SuiEndpoint, SuiThresholds, SuiDurations),
    block_time_doc="0.25 s (a checkpoint)",
    identity=("chain_id", "GetServiceInfo chain_id"),
)

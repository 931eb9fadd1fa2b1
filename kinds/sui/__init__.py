"""Sui full nodes over the gRPC API (``sui.rpc.v2``), as gRPC-web or native gRPC: head
checkpoint, its age, archive depth, network and version from ``LedgerService/GetServiceInfo``;
an endpoint that answers only the retired JSON-RPC fails with ``deprecated_api``; the
checkpoint stream (``SubscribeCheckpoints``) of endpoints with ``ws_url``; the active-set
membership and peer reports of watched validators from ``GetEpoch`` (monitor.py)."""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.sui.config import SuiChain, SuiDurations, SuiEndpoint, SuiThresholds, SuiValidator, SuiValidators
from chainwatch.kinds.sui.metrics import METRICS


def example_chain(url: str) -> dict:
    """A minimal ``sui`` chain (a ``chains:`` entry), one node at ``url``, one watched validator group."""
    return {
        "kind": "sui",
        "network": "mainnet",
        "chain_id": "4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S",
        "thresholds": {"sui_history_min_checkpoints": 1000000},
        "endpoints": [{"name": "node-1", "url": url, "role": "node"}],
        "validators": {"groups": {"main": [{"name": "val-1", "address": "0x00000000000000000000000000000000000000000000000000000000a11ce001"}]}},
    }


KIND = ChainKind(
    name="sui",
    config=SuiChain,
    unit="blocks",  # checkpoints
    primary_method="GetServiceInfo",  # the one gRPC call of a round
    capabilities=frozenset({"validators", "reference_halt", "stream"}),  # stream: SubscribeCheckpoints (stream.py)
    metrics=METRICS,
    config_models=(SuiEndpoint, SuiValidators, SuiValidator, SuiThresholds, SuiDurations),
    block_time_doc="0.25 s (a checkpoint)",
    identity=("chain_id", "GetServiceInfo chain_id"),
    example=example_chain,
)

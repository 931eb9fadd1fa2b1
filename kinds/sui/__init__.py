"""Sui full nodes over the gRPC API (``sui.rpc.v2``), as gRPC-web or native gRPC: head
checkpoint, its age, archive depth, network and version from ``LedgerService/GetServiceInfo``;
an endpoint that answers only the retired JSON-RPC fails with ``deprecated_api``; the
checkpoint stream (``SubscribeCheckpoints``) of endpoints with ``ws_url``."""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.sui.config import SuiChain, SuiDurations, SuiEndpoint, SuiThresholds
from chainwatch.kinds.sui.metrics import METRICS


def example_chain(url: str) -> dict:
    """A minimal ``sui`` chain (a ``chains:`` entry), one node at ``url``."""
    return {
        "kind": "sui",
        "network": "mainnet",
        "chain_id": "4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S",
        "thresholds": {"sui_history_min_checkpoints": 1000000},
        "endpoints": [{"name": "node-1", "url": url, "role": "node"}],
    }


KIND = ChainKind(
    name="sui",
    config=SuiChain,
    unit="blocks",  # checkpoints
    primary_method="GetServiceInfo",  # the one gRPC call of a round
    capabilities=frozenset({"reference_halt", "stream"}),  # stream: SubscribeCheckpoints (stream.py)
    metrics=METRICS,
    config_models=(SuiEndpoint, SuiThresholds, SuiDurations),
    block_time_doc="0.25 s (a checkpoint)",
    identity=("chain_id", "GetServiceInfo chain_id"),
    example=example_chain,
)

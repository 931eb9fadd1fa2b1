"""OP Stack rollup nodes (op-node) over their ``optimism_*`` JSON-RPC: safe, finalized and
unsafe L2 heads and the node's L1 view, measured against the rollup's L2 and L1 chains."""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.opnode.config import OpNodeChain, RollupThresholds
from chainwatch.kinds.opnode.metrics import METRICS


def example_chain(url: str) -> dict:
    """A minimal ``opnode`` chain (a ``chains:`` entry), one node at ``url``."""
    return {
        "kind": "opnode",
        "network": "mainnet",
        "l1_chain": "l1",
        "l2_chain": "l2",
        "endpoints": [{"name": "node-1", "url": url, "role": "node"}],
    }  # ``l1``, ``l2``: the rollup's chains of the config


KIND = ChainKind(
    name="opnode",
    config=OpNodeChain,
    unit="blocks",
    primary_method="batch",  # the probe's one JSON-RPC batch (optimism_syncStatus)
    capabilities=frozenset(),  # no peers/mempool here; the sequencer halt is its own alert
    metrics=METRICS,
    config_models=(RollupThresholds,),
    block_time_doc="2 s (OP Stack)",
    identity=("l2_chain_id", "optimism_rollupConfig"),
    example=example_chain,
)

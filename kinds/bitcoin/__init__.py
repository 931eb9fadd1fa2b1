"""Bitcoin-family chains (Bitcoin Core, Litecoin Core, Dogecoin Core, ...) over Bitcoin Core's
JSON-RPC 1.0, with credentials from files and thresholds sized for random block arrival."""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.bitcoin.config import BitcoinAuth, BitcoinChain, BitcoinEndpoint
from chainwatch.kinds.bitcoin.metrics import METRICS


def example_chain(url: str) -> dict:
    """A minimal ``bitcoin`` chain (a ``chains:`` entry), one node at ``url``."""
    return {"kind": "bitcoin", "network": "mainnet", "chain": "main", "endpoints": [{"name": "node-1", "url": url, "role": "node"}]}


KIND = ChainKind(
    name="bitcoin",
    config=BitcoinChain,
    unit="blocks",
    primary_method="batch",  # the probe's one JSON-RPC batch
    capabilities=frozenset({"peers", "mempool", "reference_halt", "divergence", "accounts"}),
    confirmation_depth=2,  # one-block races are routine on a random-arrival chain; two-block ones rare
    metrics=METRICS,
    config_models=(BitcoinEndpoint, BitcoinAuth),
    block_time_doc="600 s (set 150 for Litecoin, 60 for Dogecoin)",
    identity=("chain", "getblockchaininfo"),
    example=example_chain,
)

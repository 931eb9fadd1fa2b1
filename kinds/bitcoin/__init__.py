"""Bitcoin-family chains (Bitcoin Core, Litecoin Core, Dogecoin Core, ...) over Bitcoin Core's
JSON-RPC 1.0, with credentials from files and thresholds sized for random block arrival."""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.bitcoin.config import BitcoinAuth, BitcoinChain, BitcoinEndpoint
from chainwatch.kinds.bitcoin.metrics import METRICS

KIND = ChainKind(
    name="bitcoin",
    config=BitcoinChain,
    unit="blocks",
    primary_method="batch",  # the probe's one JSON-RPC batch
    capabilities=frozenset({"peers", "mempool", "reference_halt"}),
    metrics=METRICS,
    config_models=(BitcoinEndpoint, BitcoinAuth),
    block_time_doc="600 s (set 150 for Litecoin, 60 for Dogecoin)",
    identity=("chain", "getblockchaininfo"),
)

"""EVM execution chains (Ethereum, Polygon, Arbitrum, Optimism, BSC, …) over JSON-RPC."""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.evm.config import EVM_BLOCK_TIMES, EvmChain
from chainwatch.kinds.evm.metrics import METRICS

CLIENT_VERSION_TTL = 600.0  # web3_clientVersion rarely changes: the probe asks every 10 minutes


def example_chain(url: str) -> dict:
    """A minimal ``evm`` chain (a ``chains:`` entry), one node at ``url``."""
    return {"kind": "evm", "network": "mainnet", "chain_id": 1, "endpoints": [{"name": "node-1", "url": url, "role": "node"}]}


KIND = ChainKind(
    name="evm",
    config=EvmChain,
    unit="blocks",
    primary_method="batch",  # the probe's one JSON-RPC batch
    capabilities=frozenset({"peers", "mempool", "reference_halt", "stream", "divergence", "accounts"}),
    confirmation_depth=6,  # below the 1-2 block reorgs of PoS Ethereum and the few-block ones of L2s
    metrics=METRICS,
    config_models=(),
    block_time_doc="the built-in value for known chain ids (" + ", ".join(f"{i}: {t:g} s" for i, t in sorted(EVM_BLOCK_TIMES.items())) + ")",
    example=example_chain,
    occasional_calls=(("web3_clientVersion", CLIENT_VERSION_TTL),),
)

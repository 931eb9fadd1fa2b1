"""Solana clusters over the Solana JSON-RPC API, with vote accounts watched per group."""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.solana.config import SolanaChain, SolanaDurations, SolanaThresholds, SolanaValidator, SolanaValidators
from chainwatch.kinds.solana.metrics import METRICS


def example_chain(url: str) -> dict:
    """A minimal ``solana`` chain (a ``chains:`` entry), one node at ``url``, one watched validator group."""
    return {
        "kind": "solana",
        "network": "mainnet-beta",
        "endpoints": [{"name": "node-1", "url": url, "role": "node"}],
        "validators": {
            "groups": {
                "main": [
                    {
                        "name": "val-1",
                        "vote_account": "5BAi9YGCipHq4ZcXuen5vagRQqRTVTRszXNqBZC6uBPZ",
                        "identity": "7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2",
                    }
                ]
            }
        },
    }


KIND = ChainKind(
    name="solana",
    config=SolanaChain,
    unit="slots",
    primary_method="batch",
    capabilities=frozenset({"validators", "stream", "accounts", "divergence"}),  # its own halt alert: the cluster's slot clock
    # The head is the confirmed slot; finalized trails it by ~32 slots (more under load): 64
    # below the references' lowest head is rooted on every healthy node (getBlock "finalized").
    confirmation_depth=64,
    metrics=METRICS,
    config_models=(SolanaThresholds, SolanaDurations, SolanaValidators, SolanaValidator),
    block_time_doc="0.4 s",
    identity=("genesis_hash", "getGenesisHash"),
    example=example_chain,
)

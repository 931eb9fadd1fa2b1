"""Solana clusters over the Solana JSON-RPC API, with vote accounts watched per group."""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.solana.config import SolanaChain, SolanaDurations, SolanaThresholds, SolanaValidator, SolanaValidators
from chainwatch.kinds.solana.metrics import METRICS

KIND = ChainKind(
    name="solana",
    config=SolanaChain,
    unit="slots",
    primary_method="batch",
    capabilities=frozenset({"validators", "stream"}),  # its own halt alert: the cluster's slot clock
    metrics=METRICS,
    config_models=(SolanaThresholds, SolanaDurations, SolanaValidators, SolanaValidator),
    block_time_doc="0.4 s",
    identity=("genesis_hash", "getGenesisHash"),
)

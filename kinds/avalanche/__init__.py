"""AvalancheGo nodes over their Info, Health and P-Chain APIs: per-chain health and bootstrapped
state, peers, disk, version and network id per node; validators' median uptime, reward runway
(ACP-267 requirement) and L1 validator fee runway."""

from chainwatch.kinds.avalanche.config import AvalancheChain, evm_kind, AvalancheDurations, AvalancheThresholds, AvalancheValidator, AvalancheValidators
from chainwatch.kinds.avalanche.metrics import METRICS
from chainwatch.kinds.base import ChainKind


C_CHAIN = "avalanche-c"  # the example's C-chain (example_linked)


def example_chain(url: str) -> dict:
    """A minimal ``avalanche`` chain (a ``chains:`` entry), one node at ``url``, one watched validator
    group, its C-chain linked (``evm_chains``: the chain of :func:`example_c_chain`)."""
    return {
        "kind": "avalanche",
        "network": "mainnet",
        "network_id": 1,
        "endpoints": [{"name": "node-1", "url": url, "role": "node"}],
        "evm_chains": [C_CHAIN],
        "validators": {
            "views": ["node-1"],
            "groups": {
                "main": [
                    {"name": "val-1", "node_id": "NodeID-7Xhw2mDxuDS44j42TCB6U5579esbSt3Lg"},
                    {"name": "l1-1", "validation_id": "2Y3bqhY4Y4dF4gcUWk8BPj4YkZVBwXGVqakFKfGqxmh7rQyk1M"},
                ]
            },
        },
    }


def example_c_chain(url: str) -> dict[str, dict]:
    """The example's C-chain by name: a ``kind: evm`` chain at the node's ``/ext/bc/C/rpc``
    (AvalancheGo's C-Chain API, https://build.avax.network/docs/api-reference/c-chain/api)."""
    c = {"name": "node-1-c", "url": url.rstrip("/") + "/ext/bc/C/rpc", "role": "node"}
    return {C_CHAIN: {"kind": evm_kind(), "network": "mainnet", "chain_id": 43114, "endpoints": [c]}}


KIND = ChainKind(
    name="avalanche",
    config=AvalancheChain,
    unit="blocks",
    primary_method="platform.getHeight",  # the P-chain height: the head every reference also serves
    capabilities=frozenset({"peers", "validators"}),  # no reference_halt: the P-chain makes blocks only when it has transactions
    metrics=METRICS,
    config_models=(AvalancheValidators, AvalancheValidator, AvalancheThresholds, AvalancheDurations),
    block_time_doc="2 s (P-chain)",
    identity=("network_id", "info.getNetworkID networkID"),
    example=example_chain,
    example_linked=example_c_chain,
)

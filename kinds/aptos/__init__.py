"""Aptos full nodes and validators over the Aptos node REST API (``/v1``): head, ledger
version, archive depth and node role from the ledger info; validator state and failed
proposals of the current epoch from the ``0x1::stake`` view functions."""

from chainwatch.kinds.aptos.config import AptosChain, AptosDurations, AptosThresholds, AptosValidator, AptosValidators
from chainwatch.kinds.aptos.metrics import METRICS
from chainwatch.kinds.base import ChainKind


def example_chain(url: str) -> dict:
    """A minimal ``aptos`` chain (a ``chains:`` entry), one node at ``url``, one watched validator group."""
    return {
        "kind": "aptos",
        "network": "mainnet",
        "chain_id": 1,
        "thresholds": {"aptos_history_min_blocks": 1000000},
        "endpoints": [{"name": "node-1", "url": url, "role": "node"}],
        "validators": {"groups": {"main": [{"name": "val-1", "pool_address": "0x0000000000000000000000000000000000000000000000000000000000000001"}]}},
    }


KIND = ChainKind(
    name="aptos",
    config=AptosChain,
    unit="blocks",
    primary_method="ledger_info",  # GET /v1, the one read the probe cannot do without
    capabilities=frozenset({"validators", "reference_halt"}),  # the REST API has no peer count
    metrics=METRICS,
    config_models=(AptosValidators, AptosValidator, AptosThresholds, AptosDurations),
    block_time_doc="0.25 s",
    # No chain id metric: the probe's wrong_chain failure says it.
    identity=("chain_id", "GET /v1 chain_id"),
    example=example_chain,
)

"""Aptos full nodes and validators over the Aptos node REST API (``/v1``): head, ledger
version, archive depth and node role from the ledger info; validator state and failed
proposals of the current epoch from the ``0x1::stake`` view functions."""

from chainwatch.kinds.aptos.config import AptosChain, AptosDurations, AptosThresholds, AptosValidator, AptosValidators
from chainwatch.kinds.aptos.metrics import METRICS
from chainwatch.kinds.base import ChainKind

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
)

"""Cosmos SDK / CometBFT chains over the CometBFT RPC and the Cosmos SDK REST (LCD) API,
with validator signing watched per block and x/slashing time to jail per group."""

from chainwatch.core.versions import Upgrades
from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.cosmos.config import CosmosChain, CosmosDurations, CosmosEndpoint, CosmosThresholds, CosmosValidator, CosmosValidators, SlashingParams
from chainwatch.kinds.cosmos.metrics import METRICS


def example_chain(url: str) -> dict:
    """A minimal ``cosmos`` chain (a ``chains:`` entry), one node at ``url``, one watched validator group."""
    return {
        "kind": "cosmos",
        "network": "mainnet",
        "chain_id": "cosmoshub-4",
        "endpoints": [{"name": "node-1", "url": url, "role": "node", "lcd_url": url}],
        "validators": {"groups": {"main": [{"name": "val-1", "operator_address": "cosmosvaloper1ltazq835ufmjsslxhf0y2wvd5laeh7jq5haf92"}]}},
    }


KIND = ChainKind(
    name="cosmos",
    config=CosmosChain,
    unit="blocks",
    primary_method="status",  # GET /status, the one read a CometBFT probe cannot do without
    capabilities=frozenset({"peers", "validators", "reference_halt", "divergence", "accounts", "upgrades"}),
    confirmation_depth=1,  # a committed CometBFT block is final: one below the head is settled everywhere
    metrics=METRICS,
    config_models=(CosmosEndpoint, CosmosValidators, CosmosValidator, CosmosThresholds, CosmosDurations, SlashingParams, Upgrades),
    block_time_doc="6 s",
    # No chain id metric: the probe's wrong_chain failure says it (node_info.network differs).
    identity=("chain_id", "/status node_info.network"),
    example=example_chain,
)

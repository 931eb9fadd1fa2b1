"""Ethereum consensus chains over the Beacon API, with validator duties per epoch."""

from chainwatch.core.versions import Upgrades
from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.beacon.config import BeaconChain, BeaconDurations, BeaconThresholds, BeaconValidators
from chainwatch.kinds.beacon.metrics import METRICS


def example_chain(url: str) -> dict:
    """A minimal ``beacon`` chain (a ``chains:`` entry), one node at ``url``, one watched validator group."""
    return {
        "kind": "beacon",
        "network": "mainnet",
        "endpoints": [{"name": "node-1", "url": url, "role": "node"}],
        "validators": {"endpoint": "node-1", "groups": {"main": [1]}},
    }


KIND = ChainKind(
    name="beacon",
    config=BeaconChain,
    unit="slots",
    primary_method="syncing",  # /eth/v1/node/syncing, the one read a beacon probe cannot do without
    capabilities=frozenset({"peers", "validators", "reference_halt", "stream", "divergence", "upgrades"}),
    confirmation_depth=4,  # slots: past the 1-2 slot reorgs of late blocks, well before finality (64)
    metrics=METRICS,
    config_models=(BeaconThresholds, BeaconDurations, BeaconValidators, Upgrades),
    block_time_doc="`seconds_per_slot`",
    identity=("genesis_validators_root", "/eth/v1/beacon/genesis"),
    example=example_chain,
)

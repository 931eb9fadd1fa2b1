"""Ethereum consensus chains over the Beacon API, with validator duties per epoch."""

from chainwatch.kinds.base import ChainKind
from chainwatch.kinds.beacon.config import BeaconChain, BeaconDurations, BeaconThresholds, BeaconValidators
from chainwatch.kinds.beacon.metrics import METRICS

KIND = ChainKind(
    name="beacon",
    config=BeaconChain,
    unit="slots",
    primary_method="syncing",  # /eth/v1/node/syncing, the one read a beacon probe cannot do without
    capabilities=frozenset({"peers", "validators", "reference_halt", "stream"}),
    metrics=METRICS,
    config_models=(BeaconThresholds, BeaconDurations, BeaconValidators),
    block_time_doc="`seconds_per_slot`",
    identity=("genesis_validators_root", "/eth/v1/beacon/genesis"),
)

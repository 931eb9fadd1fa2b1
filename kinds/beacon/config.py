"""Config of an Ethereum consensus chain (`kind: beacon`): slot timing, genesis identity and
validator groups watched per epoch."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from chainwatch.core.chain import NAME_PATTERN, ChainBase, Durations, FieldError, Strict, Thresholds
from chainwatch.core.versions import Upgrades

PUBKEY_PATTERN = r"^0x[0-9a-fA-F]{96}$"


class BeaconValidators(Strict):
    """Validators watched per epoch, in user-named groups (operator, client, region...)."""

    endpoint: str  # name of a beacon endpoint of this chain
    fallbacks: list[str] = Field(default_factory=list)
    groups: dict[Annotated[str, Field(pattern=NAME_PATTERN)], list[Annotated[int, Field(ge=0)] | Annotated[str, Field(pattern=PUBKEY_PATTERN)]]]
    per_validator_metrics: bool = False
    per_validator_cap: int = Field(64, ge=0, le=10000)
    state_file: str | None = None  # default: <state_dir>/<chain>-validators.json

    @field_validator("groups", mode="before")
    @classmethod
    def _unquoted_pubkeys(cls, groups):
        """YAML reads an unquoted ``0x…`` pubkey as a huge integer; no validator index is that
        large (indices are uint64), so turn it back into the 48-byte pubkey it was."""
        if not isinstance(groups, dict):
            return groups
        fixed = {}
        for name, members in groups.items():
            if isinstance(members, list):
                members = [f"0x{m:096x}" if isinstance(m, int) and not isinstance(m, bool) and 2**64 <= m < 2**384 else m for m in members]
            fixed[name] = members
        return fixed


class BeaconDurations(Durations):
    """``for:`` of the beacon alerts, besides the shared ones."""

    finality: str = "5m"


class BeaconThresholds(Thresholds):
    """Beacon alert thresholds, besides the shared ones: epochs since the finalized checkpoint
    (normal is 2), the attestation and sync-committee misses of validator groups."""

    finality_epochs: int = Field(4, ge=2)
    attestation_consecutive_misses: int = Field(2, ge=1)
    attestation_miss_ratio: float = Field(0.1, gt=0, le=1)
    # Slots with a block, in a row, without a watched validator's sync-committee signature (one
    # mainnet epoch is 32 slots; the monitor adds an epoch's slots at once after the epoch).
    sync_committee_consecutive_misses: int = Field(16, ge=1)
    sync_committee_miss_ratio: float = Field(0.1, gt=0, le=1)
    durations: BeaconDurations = Field(default_factory=BeaconDurations)


# The client names /eth/v1/node/version starts with ("Lighthouse/v5.3.0-d6ba8c3/x86_64-linux",
# "teku/v24.10.0/linux-x86_64/...", "Prysm/v5.1.2 (linux amd64)"), lower case: the keys of
# upgrades.min_versions.
CLIENTS = ("caplin", "grandine", "lighthouse", "lodestar", "nimbus", "prysm", "teku")

# Ethereum mainnet genesis_validators_root (GET /eth/v1/beacon/genesis):
MAINNET_GENESIS_VALIDATORS_ROOT = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"
# Solana mainnet-beta genesis hash (getGenesisHash); devnet is EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG,
# testnet 4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY.


class BeaconChain(ChainBase):
    """A consensus-layer chain. Set `genesis_validators_root` (mainnet:
    `0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95`) and an endpoint
    answering another network's root fails with reason `wrong_chain`."""

    kind: Literal["beacon"]
    thresholds: BeaconThresholds = Field(default_factory=BeaconThresholds)
    # Only used for rule defaults; the probe reads the real values from the node's spec.
    seconds_per_slot: Annotated[float, Field(gt=0)] = 12
    slots_per_epoch: Annotated[int, Field(gt=0)] = 32
    validators: BeaconValidators | None = None
    genesis_validators_root: Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")] | None = None
    upgrades: Upgrades | None = None  # the next scheduled upgrade and the client version it needs (core/versions.py)

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or self.seconds_per_slot

    @property
    def epoch_seconds(self) -> float:
        return self.seconds_per_slot * self.slots_per_epoch

    @field_validator("genesis_validators_root", mode="before")
    @classmethod
    def _root_from_yaml_int(cls, value):
        # YAML 1.1 reads an unquoted 0x... as an integer; 32 bytes written in hex come back as-is.
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**256:
            return f"0x{value:064x}"
        return value

    @model_validator(mode="after")
    def _upgrade_clients(self):
        if self.upgrades is not None:
            self.upgrades.check_clients(CLIENTS, "/eth/v1/node/version")
        return self

    @model_validator(mode="after")
    def _validator_endpoint(self):
        v = self.validators
        if v is not None:
            names = {e.name for e in self.endpoints}
            for path, n in [(("validators", "endpoint"), v.endpoint)] + [(("validators", "fallbacks", i), f) for i, f in enumerate(v.fallbacks)]:
                if n not in names:
                    raise FieldError(path, f"{n!r} is not an endpoint of this chain (endpoints: {', '.join(sorted(names))})")
        return self

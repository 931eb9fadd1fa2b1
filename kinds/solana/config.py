"""Config of a Solana cluster (`kind: solana`): genesis identity and vote accounts watched per group."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from chainwatch.core.chain import NAME_PATTERN, ChainBase, Durations, FieldError, Strict, Thresholds

SOLANA_KEY_PATTERN = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$"


class SolanaValidator(Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    vote_account: Annotated[str, Field(pattern=SOLANA_KEY_PATTERN)]
    identity: Annotated[str, Field(pattern=SOLANA_KEY_PATTERN)]


class SolanaValidators(Strict):
    endpoint: str | None = None  # default: the first reference, else the first node
    fallbacks: list[str] = Field(default_factory=list)  # tried in order when `endpoint` fails a cycle
    interval_seconds: float = Field(15, ge=0.1, le=600)  # getVoteAccounts/getBlockProduction cadence
    groups: dict[Annotated[str, Field(pattern=NAME_PATTERN)], list[SolanaValidator]]
    per_validator_cap: int = Field(16, ge=0, le=10000)


class SolanaDurations(Durations):
    """``for:`` of the Solana alerts (node behind, vote delinquent, skip rate), besides the shared ones."""

    solana: str = "2m"


class SolanaThresholds(Thresholds):
    """Solana alert thresholds, besides the shared ones. `solana_skip_ratio`: skipped / leader
    slots of a group over the last hour (and still in the last minute) above which it warns."""

    solana_skip_ratio: float = Field(0.1, gt=0, le=1)
    solana_vote_lag_slots: int = Field(150, gt=0)
    solana_behind_slots: int = Field(100, gt=0)
    durations: SolanaDurations = Field(default_factory=SolanaDurations)


MAINNET_BETA_GENESIS_HASH = "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"


class SolanaChain(ChainBase):
    """A Solana cluster. Set `genesis_hash` (mainnet-beta:
    `5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d`) and an endpoint answering another
    cluster's `getGenesisHash` (e.g. devnet) fails with reason `wrong_chain`."""

    kind: Literal["solana"]
    thresholds: SolanaThresholds = Field(default_factory=SolanaThresholds)
    validators: SolanaValidators | None = None
    genesis_hash: Annotated[str, Field(pattern=SOLANA_KEY_PATTERN)] | None = None

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or 0.4

    @model_validator(mode="after")
    def _validator_endpoint(self):
        v = self.validators
        names = {e.name for e in self.endpoints}
        if v is None:
            return self
        for path, n in ([(("validators", "endpoint"), v.endpoint)] if v.endpoint is not None else []) + [
            (("validators", "fallbacks", i), f) for i, f in enumerate(v.fallbacks)
        ]:
            if n not in names:
                raise FieldError(path, f"{n!r} is not an endpoint of this chain (endpoints: {', '.join(sorted(names))})")
        return self

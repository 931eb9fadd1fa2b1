"""Config of an Aptos chain (`kind: aptos`): full nodes and validators over the Aptos node REST API.

An endpoint's ``url`` is the REST API base *with* its ``/v1`` (as the SDK's fullnode URL:
``https://fullnode.mainnet.aptoslabs.com/v1``, a node's ``http://10.0.0.5:8080/v1``). Validators
are watched in user-named groups by their stake pool address (``0x…``): state and the current
epoch's successful/failed proposals come from the ``0x1::stake`` view functions.

Example::

    chains:
      aptos:
        kind: aptos
        network: mainnet
        chain_id: 1
        endpoints:
          - {name: apt-1, url: "http://10.0.0.5:8080/v1"}
          - {name: apt-ref, url: "https://fullnode.mainnet.aptoslabs.com/v1", role: reference}
        thresholds:
          aptos_history_min_blocks: 1000000     # pruning below this much history warns
        validators:
          groups:
            ops:
              - {name: ours, pool_address: "0x1a2b…"}
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from chainwatch.core.chain import NAME_PATTERN, ChainBase, Durations, Endpoint, Strict, Thresholds
from chainwatch.core.moveaddress import ADDRESS_PATTERN, long_address

# Aptos mainnet commits a block every ~0.1-0.3 s; the head-stale and halt alerts still wait
# their 30 s minimums, so the default only sizes lag-in-blocks thresholds.
DEFAULT_BLOCK_TIME = 0.25


class AptosValidator(Strict):
    """One watched validator: its stake pool address (the validator's account on chain)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    pool_address: Annotated[str, Field(pattern=ADDRESS_PATTERN)]

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value):
        """A bare string is the pool address."""
        return {"pool_address": value} if isinstance(value, str) else value

    @field_validator("pool_address")
    @classmethod
    def _long(cls, value: str) -> str:
        return long_address(value)

    @property
    def label(self) -> str:
        return self.name or self.pool_address[:18]


class AptosValidators(Strict):
    endpoint: str | None = None  # default: the first reference, else the first node
    fallbacks: list[str] = Field(default_factory=list)  # tried in order when `endpoint` fails a cycle
    groups: dict[Annotated[str, Field(pattern=NAME_PATTERN)], list[AptosValidator]]
    interval_seconds: float = Field(30, ge=0.1, le=3600)  # 3 view calls per validator per cycle


class AptosDurations(Durations):
    aptos_proposals: str = "5m"  # failed-proposal ratio over the window above the threshold
    aptos_history: str = "15m"  # history shorter than aptos_history_min_blocks


class AptosThresholds(Thresholds):
    """Aptos alert thresholds on top of the shared ones."""

    # Failed share of the group's proposals over `aptos_proposal_window`, with at least
    # `aptos_failed_proposals_min` failed in it: one failed proposal never pages.
    aptos_failed_proposal_ratio: float = Field(0.1, gt=0, le=1)
    aptos_failed_proposals_min: int = Field(3, ge=1)
    aptos_proposal_window: str = "1h"
    # Blocks of history a node must keep (block_height - oldest_block_height); unset: not alerted.
    aptos_history_min_blocks: Annotated[int, Field(ge=1)] | None = None
    durations: AptosDurations = Field(default_factory=AptosDurations)

    @field_validator("aptos_proposal_window")
    @classmethod
    def _window(cls, value: str) -> str:
        return Durations._duration(value)


class AptosChain(ChainBase):
    """An Aptos network. `chain_id` is required (1 mainnet, 2 testnet): an endpoint whose
    `GET /v1` `chain_id` differs fails with reason `wrong_chain`."""

    kind: Literal["aptos"]
    chain_id: Annotated[int, Field(ge=1, le=255)]  # a u8 on chain
    endpoints: list[Endpoint] = Field(min_length=1)
    thresholds: AptosThresholds = Field(default_factory=AptosThresholds)
    validators: AptosValidators | None = None

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or DEFAULT_BLOCK_TIME

    @model_validator(mode="after")
    def _validators(self):
        v = self.validators
        if v is None:
            return self
        names = {e.name for e in self.endpoints}
        for n in ([v.endpoint] if v.endpoint else []) + v.fallbacks:
            if n not in names:
                raise ValueError(f"validators: endpoint {n!r} is not an endpoint of this chain")
        return self

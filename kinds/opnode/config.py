"""Config of an OP Stack rollup node (`kind: opnode`): op-node RPC endpoints of one rollup.

The rollup's execution chain (`l2_chain`) and its settlement chain (`l1_chain`) are other
chains of the same config (normally `kind: evm`). Their references are read in the same
probe round, so the op-node's unsafe head is compared against the L2 references (the shared
`chainwatch_sync_lag_*` metrics) and its L1 view (`head_l1`, `current_l1`) against the L1
references (`chainwatch_opnode_l1_lag_*`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from chainwatch.core.chain import NAME_PATTERN, ChainBase, Strict

OP_STACK_BLOCK_SECONDS = 2.0  # every OP Stack chain (OP Mainnet, Base, …) has 2 s L2 blocks


class RollupThresholds(Strict):
    """Rollup alert thresholds. Defaults suit OP Mainnet/Base: the batcher posts a channel every
    few minutes (the safe head moves in steps of minutes), L1 finality takes ~13 minutes."""

    safe_lag_seconds: float = Field(900, gt=0)  # unsafe minus safe head time: batcher or DA stalled
    safe_lag_for: str = "2m"
    l1_lag_blocks: float = Field(5, gt=0)  # op-node's head_l1 behind the L1 references: derivation from a lagging L1 node
    l1_lag_for: str = "2m"
    finality_lag_seconds: float = Field(3600, gt=0)  # unsafe minus finalized head time
    finality_lag_for: str = "10m"

    @field_validator("safe_lag_for", "l1_lag_for", "finality_lag_for")
    @classmethod
    def _duration(cls, value: str) -> str:
        import re

        if not re.fullmatch(r"(\d+(ms|s|m|h|d|w|y))+", value):
            raise ValueError(f"{value!r} is not a Prometheus duration such as 30s, 5m or 1h")
        return value


class OpNodeChain(ChainBase):
    """An OP Stack rollup node set: each endpoint is an op-node's RPC (`optimism_syncStatus`).
    `l2_chain` and `l1_chain` name the rollup's execution chain and its L1 in this config."""

    kind: Literal["opnode"]
    l2_chain: Annotated[str, Field(pattern=NAME_PATTERN)]
    l1_chain: Annotated[str, Field(pattern=NAME_PATTERN)]
    rollup: RollupThresholds = Field(default_factory=RollupThresholds)
    # The rollup's L2 chain id: an op-node whose optimism_rollupConfig says another fails
    # with reason wrong_chain (unset: not checked).
    l2_chain_id: Annotated[int, Field(gt=0)] | None = None

    @property
    def block_time(self) -> float:
        return self.block_time_seconds or OP_STACK_BLOCK_SECONDS

    def linked_chains(self) -> tuple[str, ...]:
        return (self.l1_chain, self.l2_chain)

    def lag_chain(self) -> str | None:
        return self.l2_chain

    @model_validator(mode="after")
    def _two_chains(self):
        if self.l1_chain == self.l2_chain:
            raise ValueError("l1_chain and l2_chain must be two different chains")
        return self

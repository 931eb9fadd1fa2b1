"""Config of an EVM execution chain (`kind: evm`): the chain id every endpoint must report."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from chainwatch.core.chain import ChainBase

EVM_BLOCK_TIMES = {1: 12.0, 11155111: 12.0, 17000: 12.0, 137: 2.0, 42161: 0.25, 10: 2.0, 8453: 2.0, 56: 3.0, 43114: 2.0, 31337: 1.0}


class EvmChain(ChainBase):
    kind: Literal["evm"]
    chain_id: Annotated[int, Field(gt=0)]

    @property
    def block_time(self) -> float:
        if self.block_time_seconds:
            return self.block_time_seconds
        return EVM_BLOCK_TIMES.get(self.chain_id, 12.0)

    @model_validator(mode="after")
    def _needs_block_time(self):
        if self.block_time_seconds is None and self.chain_id not in EVM_BLOCK_TIMES:
            raise ValueError(f"block_time_seconds is required for chain id {self.chain_id} (no built-in default)")
        return self


# Well-known network identities (checked against client and SDK sources):

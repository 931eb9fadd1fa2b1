"""Operational accounts a chain's config watches (``accounts:``): what every kind shares.

A batcher, proposer, relayer, oracle or fee-payer account that runs out of gas stops a
rollup's batches, a bridge or a validator's duties. Each entry names one address; the kind
that reads it (``kinds/<kind>/accounts.py``) checks the address's shape and reads the balance
in the chain's native unit (ether, SOL, LTC, …) once per accounts round. Addresses are public
and may be labels; the endpoints' URLs are not and never are.

The spend rate and the runway (balance ÷ spend rate) come from
``chainwatch_account_spent_total``, the decreases of the balance the exporter has seen, over
``thresholds.account_spend_window``: a top-up is no negative spend, and an account whose balance
only rises has no runway series at all (not +Inf).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, BaseModel, Field

NAME_PATTERN = r"^[a-z0-9]([a-z0-9_.-]{0,62})$"


class Account(BaseModel):
    """One watched account. ``address``: the chain's own notation (EVM ``0x`` + 40 hex digits,
    Solana base58, Bitcoin-family address); ``minimum``: the balance, in the chain's native unit
    (ether, SOL, LTC), below which ``ChainwatchAccountBalanceLow`` pages; ``team``: who is paged
    (default: the chain's team)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    address: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9]+$")]
    purpose: Annotated[str, Field(pattern=NAME_PATTERN)] = "operations"
    team: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    minimum: Annotated[float, Field(ge=0)] | None = None

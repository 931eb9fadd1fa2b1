"""Solana account balances: one JSON-RPC batch of ``getBalance(pubkey, {commitment: confirmed})``.

``getBalance`` answers ``{"context": {"slot": n}, "value": lamports}``
(https://solana.com/docs/rpc/http/getbalance); the balance is exported in SOL (lamports / 10**9),
the unit ``minimum`` is written in. An account that does not exist holds 0 lamports.
"""

from __future__ import annotations

from solders.pubkey import Pubkey

from chainwatch.exporters import jsonrpc, numbers
from chainwatch.exporters.balances import per_account, scaled
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.kinds.solana.probe import AGAVE_CODES


class SolanaBalances:
    unit = "SOL"

    def symbol(self, chain) -> str:
        return "SOL"

    def check_address(self, address: str) -> str | None:
        try:
            Pubkey.from_string(address)
        except ValueError:
            return f"{address!r} is not a Solana address (a base58 public key of 32 bytes)"
        return None

    async def read(self, endpoint, ctx, accounts) -> dict[str, float | ProbeFailure]:
        calls = [(a.name, "getBalance", [a.address, {"commitment": "confirmed"}]) for a in accounts]
        out = await jsonrpc.call(
            lambda label, body: ctx.request(endpoint, label, body=body), endpoint, ctx.cache, calls, reserved=AGAVE_CODES, label="getBalance"
        )
        return per_account(out, "getBalance", _lamports)


def _lamports(result) -> float:
    """``{"context": {...}, "value": <lamports>}`` in SOL."""
    if not isinstance(result, dict):
        raise invalid("getBalance: expected an object with value")
    return scaled(numbers.uint(result.get("value"), "getBalance.value"), 9)


READER = SolanaBalances()

"""Solana account balances: one JSON-RPC batch of ``getBalance(pubkey, {commitment: confirmed})``.

``getBalance`` answers ``{"context": {"slot": n}, "value": lamports}``
(https://solana.com/docs/rpc/http/getbalance); the balance is exported in SOL (lamports / 10**9),
the unit ``minimum`` is written in. An account that does not exist holds 0 lamports.
"""

from __future__ import annotations

from solders.pubkey import Pubkey

from chainwatch.exporters import jsonrpc, numbers
from chainwatch.exporters.balances import scaled
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
        if not any(o.ok for o in out.values()):
            first = next(iter(out.values()))
            raise first.failure or ProbeFailure("rpc_error" if first.error else "invalid_response", f"getBalance: {first.describe()}")
        balances: dict[str, float | ProbeFailure] = {}
        for name, outcome in out.items():
            if not outcome.ok:
                balances[name] = outcome.failure or ProbeFailure("rpc_error" if outcome.error else "invalid_response", f"getBalance: {outcome.describe()}")
                continue
            try:
                if not isinstance(outcome.result, dict):
                    raise invalid("getBalance: expected an object with value")
                balances[name] = scaled(numbers.uint(outcome.result.get("value"), "getBalance.value"), 9)
            except ProbeFailure as failure:
                balances[name] = failure
        return balances


READER = SolanaBalances()

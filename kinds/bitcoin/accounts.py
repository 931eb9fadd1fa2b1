"""Bitcoin-family account balances without a wallet: ``scantxoutset "start" ["addr(<address>)"]``.

A node that watches must not need the operator's wallet (``-disablewallet`` is common, and
``getreceivedbyaddress`` only knows the wallet's own addresses), so the balance is the sum of the
address's unspent outputs in the node's UTXO set (Bitcoin Core and Litecoin Core 0.17+; the
answer's ``total_amount`` is in BTC / LTC: https://developer.bitcoin.org/reference/rpc/scantxoutset.html).
Confirmed outputs only: a payment shows once mined. One scan per account, one after another (a
node runs one scan at a time: "Scan already in progress"). A scan reads the whole UTXO set: a
second or two on regtest and testnets, tens of seconds on mainnet, so mainnet chains want
``accounts_interval_seconds`` of 300 or more.
"""

from __future__ import annotations

import re
from decimal import Decimal

from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.kinds.bitcoin.probe import PROBE, credentials

_BASE58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{25,35}$")  # P2PKH / P2SH
_BECH32 = re.compile(r"^[a-z]{1,83}1[ac-hj-np-z02-9]{6,87}$")  # segwit, lowercase (bc1, tb1, ltc1, rltc1, bcrt1)


class BitcoinBalances:
    unit = "coin (BTC, LTC)"

    def symbol(self, chain) -> str:
        # Litecoin reports the same chain names as Bitcoin: the default block time tells them apart.
        return "LTC" if chain.block_time <= 150 else "BTC"

    def check_address(self, address: str) -> str | None:
        if _BASE58.match(address) or _BECH32.match(address):
            return None
        return f"{address!r} is not a Bitcoin-family address (base58 P2PKH/P2SH or lowercase bech32)"

    async def read(self, endpoint, ctx, accounts) -> dict[str, float | ProbeFailure]:
        headers, secrets, source = credentials(endpoint)
        balances: dict[str, float | ProbeFailure] = {}
        for account in accounts:
            calls = [(account.name, "scantxoutset", ["start", [f"addr({account.address})"]])]
            out = await PROBE.send(endpoint, ctx, "scantxoutset", calls, headers, secrets, source)
            outcome = out[account.name]
            if outcome.failure is not None:
                raise outcome.failure  # the endpoint, not the account: ask the next one
            if not outcome.ok:
                balances[account.name] = ProbeFailure("rpc_error", f"scantxoutset: {outcome.describe()}")
                continue
            try:
                balances[account.name] = total_amount(outcome.result)
            except ProbeFailure as failure:
                balances[account.name] = failure
        if accounts and all(isinstance(v, ProbeFailure) for v in balances.values()):
            raise next(iter(balances.values()))
        return balances


def total_amount(result) -> float:
    """``total_amount`` of a finished scan, in coins (a JSON number with 8 decimals)."""
    if not isinstance(result, dict) or result.get("success") is not True:
        raise invalid("scantxoutset: no finished scan (success is not true)")
    amount = result.get("total_amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
        raise invalid(f"scantxoutset.total_amount: expected a non-negative amount, got {str(amount)[:24]!r}")
    return float(Decimal(str(amount)).quantize(Decimal("1e-8")))


READER = BitcoinBalances()

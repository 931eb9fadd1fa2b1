"""Cosmos SDK account balances: the x/bank REST query of each account, on the endpoint's ``lcd_url``.

``GET /cosmos/bank/v1beta1/balances/{address}`` answers every coin the account holds,
``{"balances": [{"denom": "uatom", "amount": "1000000"}], "pagination": {"next_key": null, "total": "1"}}``
(https://docs.cosmos.network/api#tag/Query/operation/AllBalances; amounts are decimal strings,
coins with no balance are left out, coins sorted by denom, so IBC coins come first and the native
one may be on a later page: pages are followed, ``pagination.key``, at most :data:`MAX_PAGES`).
The native coin is the chain's staking ``bond_denom`` (``GET /cosmos/staking/v1beta1/params``,
read once per endpoint); it is exported in its display unit by the SI prefix of the base denom
(``u`` 10^6: uatom -> ATOM, ``n`` 10^9, ``a`` 10^18: aevmos -> EVMOS, ``m`` 10^3; else the base unit).
Addresses are bech32 (any prefix: ``cosmos1…``, ``osmo1…``) of 20 or 32 bytes.
"""

from __future__ import annotations

from urllib.parse import quote

import bech32

from chainwatch.exporters import numbers
from chainwatch.exporters.balances import scaled
from chainwatch.exporters.failures import ProbeFailure, invalid

BALANCES = "/cosmos/bank/v1beta1/balances/{address}"
STAKING_PARAMS = "/cosmos/staking/v1beta1/params"
MAX_PAGES = 10
PREFIXES = {"u": 6, "n": 9, "a": 18, "m": 3}
# The ticker by chain id, for chainwatch_account_info; others: set accounts_symbol.
SYMBOLS = {
    "cosmoshub": "ATOM",
    "theta-testnet": "ATOM",
    "provider": "ATOM",
    "osmosis": "OSMO",
    "celestia": "TIA",
    "mocha": "TIA",
    "neutron": "NTRN",
    "injective": "INJ",
}


def decimals(denom: str) -> int:
    """Decimals of a base denom's display unit by its SI prefix (uatom: 6)."""
    return PREFIXES.get(denom[:1], 0) if len(denom) > 2 and denom[1:].isalpha() else 0


class CosmosBalances:
    unit = "the staking coin (ATOM = uatom / 1e6)"

    def symbol(self, chain) -> str:
        return SYMBOLS.get(chain.chain_id.rsplit("-", 1)[0], SYMBOLS.get(chain.chain_id, "native"))

    def check_address(self, address: str) -> str | None:
        hrp, data = bech32.bech32_decode(address)
        words = bech32.convertbits(data, 5, 8, False) if data is not None else None
        if hrp is None or words is None or len(words) not in (20, 32):
            return f"{address!r} is not a Cosmos account address (bech32 such as cosmos1… of 20 or 32 bytes)"
        return None

    def canonical(self, address: str) -> str:
        return address.lower()  # bech32 is case-insensitive

    async def read(self, endpoint, ctx, accounts) -> dict[str, float | ProbeFailure]:
        lcd = endpoint.lcd
        if lcd is None:
            raise ProbeFailure("invalid_response", f"{endpoint.name} has no lcd_url: balances are read on the Cosmos SDK REST API")
        denom = ctx.cache.get("bond_denom")
        if denom is None:
            body = await _get(ctx, lcd, STAKING_PARAMS, "staking params")
            denom = (body.get("params") or {}).get("bond_denom") if isinstance(body, dict) else None
            if not isinstance(denom, str) or not denom:
                raise invalid("staking params: no params.bond_denom")
            ctx.cache["bond_denom"] = denom
        out: dict[str, float | ProbeFailure] = {}
        for account in accounts:
            try:
                out[account.name] = scaled(await _amount(ctx, lcd, account.address, denom), decimals(denom))
            except ProbeFailure as failure:
                if failure.reason in ("timeout", "connect", "tls", "rate_limited", "auth"):
                    raise  # the endpoint, not the account: the next endpoint is asked
                out[account.name] = failure
        return out


async def _get(ctx, lcd, path: str, what: str):
    reply = await ctx.request(lcd, what, method="GET", path=path)
    return reply.json()


async def _amount(ctx, lcd, address: str, denom: str) -> int:
    """The account's amount of ``denom`` in its base unit (0 when the bank lists none)."""
    path = BALANCES.format(address=address)
    for _ in range(MAX_PAGES):
        body = await _get(ctx, lcd, path, "bank balances")
        if not isinstance(body, dict) or not isinstance(body.get("balances"), list):
            raise invalid("bank balances: expected {balances: [...]}")
        for coin in body["balances"]:
            if isinstance(coin, dict) and coin.get("denom") == denom:
                return numbers.uint(coin.get("amount"), "bank balances amount", decimal=True)
        key = (body.get("pagination") or {}).get("next_key")
        if not key:
            return 0
        path = BALANCES.format(address=address) + "?pagination.key=" + quote(str(key), safe="")
    raise invalid(f"bank balances: {denom} not found in {MAX_PAGES} pages")


READER = CosmosBalances()

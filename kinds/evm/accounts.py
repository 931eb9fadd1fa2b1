"""EVM account balances: one JSON-RPC batch of ``eth_getBalance(address, "latest")`` per round.

``eth_getBalance`` answers a QUANTITY in wei (https://ethereum.org/en/developers/docs/apis/json-rpc/#eth_getbalance);
the balance is exported in ether (wei / 10**18), the unit ``minimum`` is written in. The
symbol is the chain's gas token (POL on Polygon, BNB on BSC, AVAX on the C-Chain; ETH
elsewhere, including the rollups that pay gas in ether).
"""

from __future__ import annotations

import re

from chainwatch.exporters import jsonrpc, numbers
from chainwatch.exporters.balances import per_account, scaled
from chainwatch.exporters.failures import ProbeFailure

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
SYMBOLS = {137: "POL", 80002: "POL", 56: "BNB", 97: "BNB", 43114: "AVAX", 43113: "AVAX", 100: "XDAI"}


class EvmBalances:
    unit = "ether"

    def symbol(self, chain) -> str:
        return SYMBOLS.get(chain.chain_id, "ETH")

    def check_address(self, address: str) -> str | None:
        if _ADDRESS.match(address):
            return None
        return f"{address!r} is not an EVM address (0x and 40 hex digits)"

    async def read(self, endpoint, ctx, accounts) -> dict[str, float | ProbeFailure]:
        calls = [(a.name, "eth_getBalance", [a.address, "latest"]) for a in accounts]
        out = await jsonrpc.call(lambda label, body: ctx.request(endpoint, label, body=body), endpoint, ctx.cache, calls, label="eth_getBalance")
        # any size: 2**64 wei is only 18.4 ether
        return per_account(out, "eth_getBalance", lambda result: scaled(numbers.uint(result, "eth_getBalance"), 18))


READER = EvmBalances()

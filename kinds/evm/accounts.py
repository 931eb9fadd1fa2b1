"""EVM account balances: one JSON-RPC batch of ``eth_getBalance(address, "latest")`` per round.

``eth_getBalance`` answers a QUANTITY in wei (https://ethereum.org/en/developers/docs/apis/json-rpc/#eth_getbalance);
the balance is exported in ether (wei / 10**18), the unit ``minimum`` is written in. The
symbol is the chain's gas token (POL on Polygon, BNB on BSC, AVAX on the C-Chain; ETH
elsewhere, including the rollups that pay gas in ether).
"""

from __future__ import annotations

import re

from Crypto.Hash import keccak

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
        """None, or why ``address`` is none: not ``0x`` + 40 hex digits, or mixed case that fails
        its EIP-55 checksum (https://eips.ethereum.org/EIPS/eip-55: a mistyped character)."""
        if not _ADDRESS.match(address):
            return f"{address!r} is not an EVM address (0x and 40 hex digits)"
        digits = address[2:]
        if digits.lower() != digits and digits.upper() != digits and checksummed(address) != address:
            return f"{address} fails its EIP-55 checksum (mixed case encodes one): a character is mistyped; check the address, or write it all in lower case to skip the check"
        return None

    def canonical(self, address: str) -> str:
        """One spelling per account: hex digits are case-insensitive (the case is only a checksum)."""
        return address.lower()

    async def read(self, endpoint, ctx, accounts) -> dict[str, float | ProbeFailure]:
        calls = [(a.name, "eth_getBalance", [a.address, "latest"]) for a in accounts]
        out = await jsonrpc.call(lambda label, body: ctx.request(endpoint, label, body=body), endpoint, ctx.cache, calls, label="eth_getBalance")
        # any size: 2**64 wei is only 18.4 ether
        return per_account(out, "eth_getBalance", lambda result: scaled(numbers.uint(result, "eth_getBalance"), 18))


def checksummed(address: str) -> str:
    """The EIP-55 spelling of an address: a hex letter upper case where the Keccak-256 of the
    lower-case hex digits has a nibble >= 8 at that position (pycryptodome's Keccak: hashlib's
    sha3_256 is the final SHA-3, whose padding differs)."""
    digits = address[2:].lower()
    digest = keccak.new(digest_bits=256, data=digits.encode("ascii")).hexdigest()
    return "0x" + "".join(c.upper() if c.isalpha() and int(n, 16) >= 8 else c for c, n in zip(digits, digest))


READER = EvmBalances()

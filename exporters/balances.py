"""What a chain kind's balance reader (``kinds/<kind>/accounts.py`` ``READER``) looks like.

A reader is given an endpoint and a :class:`~chainwatch.exporters.probe.ProbeContext` (the
shared transport, the round's deadline, the endpoint's own cache) and reads every configured
account's balance in one round, in the chain's native unit (ether, SOL, LTC, …: the unit a
person reads a balance in, not the chain's smallest unit, so that one ``minimum`` and one
dashboard serve every kind)::

    class Reader(Protocol):
        unit: str  # the native unit's name, for HELP texts and docs: "ether", "SOL", "LTC"
        def symbol(self, chain) -> str: ...  # the coin's ticker on this chain ("ETH", "POL", "SOL")
        def check_address(self, address: str) -> str | None: ...  # None, or why it is no address of this kind
        async def read(self, endpoint, ctx, accounts) -> dict[str, float | ProbeFailure]: ...

``read`` returns a balance or the failure per account name (one unreadable account never
hides the others) and raises :class:`~chainwatch.exporters.failures.ProbeFailure` when the
endpoint cannot be read at all (the watcher then asks the next endpoint).
"""

from __future__ import annotations

from decimal import Decimal


def scaled(smallest: int, decimals: int) -> float:
    """An integer amount of the chain's smallest unit (wei, lamports, satoshis) in its native
    unit, exactly rounded to the nearest float (``Decimal``: 10**18 wei does not fit a float's
    53 bits, dividing floats would lose the last wei of a large balance twice)."""
    return float(Decimal(smallest).scaleb(-decimals))

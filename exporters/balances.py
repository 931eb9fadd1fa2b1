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
from typing import Callable

from chainwatch.exporters.failures import ProbeFailure


def scaled(smallest: int, decimals: int) -> float:
    """An integer amount of the chain's smallest unit (wei, lamports, satoshis) in its native
    unit, exactly rounded to the nearest float (``Decimal``: 10**18 wei does not fit a float's
    53 bits, dividing floats would lose the last wei of a large balance twice)."""
    return float(Decimal(smallest).scaleb(-decimals))


def per_account(out: dict, method: str, parse: Callable[[object], float]) -> dict[str, float | ProbeFailure]:
    """A batch's answers (``jsonrpc.call``'s outcomes by account name) as ``read`` returns them:
    each account's ``parse(result)`` or its failure. Raises the first failure when no account
    was answered at all (the endpoint, not the accounts, is at fault: the next one is asked)."""

    def failure(outcome) -> ProbeFailure:
        return outcome.failure or ProbeFailure("rpc_error" if outcome.error else "invalid_response", f"{method}: {outcome.describe()}")

    if not any(o.ok for o in out.values()):
        raise failure(next(iter(out.values())))
    balances: dict[str, float | ProbeFailure] = {}
    for name, outcome in out.items():
        try:
            balances[name] = parse(outcome.result) if outcome.ok else failure(outcome)
        except ProbeFailure as exc:
            balances[name] = exc
    return balances

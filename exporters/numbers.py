"""One reader for the integers every chain API sends, whatever unambiguous encoding it uses.

Clients of the same API disagree on how to write a number: geth answers ``txpool_status``
with hex strings (``{"pending": "0x800"}``), Nethermind with JSON integers
(``{"pending": 2048}``); the Beacon API specifies decimal strings (``"12345"``) and some
old clients send JSON integers; Solana sends JSON integers. :func:`uint` reads every
encoding that cannot be misread:

==================  ===============  ===========================================
encoding            example          read
==================  ===============  ===========================================
hex quantity        ``"0x800"``      always (the ``0x`` prefix is unambiguous)
JSON integer        ``2048``         always, when non-negative (not a boolean)
decimal string      ``"2048"``       only with ``decimal=True`` (Beacon API)
==================  ===============  ===========================================

Anything else — negative, a float (``2048.5`` or ``2048.0``), ``null``, a boolean, a list,
a value above ``limit`` (default 2**256 - 1, EVM's widest) — raises ``invalid_response``
with a short, scrubbed description. A probe reading an *optional* value catches that
through :meth:`~chainwatch.exporters.probe.ProbeResult.optional`, which drops only that
metric and counts it (``chainwatch_probe_dropped_values_total{field=...}``).
"""

from __future__ import annotations

from typing import Any

from chainwatch.exporters.failures import invalid
from chainwatch.exporters.redact import clip

U64_MAX = 2**64 - 1
U256_MAX = 2**256 - 1
_HEX = frozenset("0123456789abcdefABCDEF")


def uint(value: Any, what: str, *, decimal: bool = False, limit: int = U256_MAX) -> int:
    """A non-negative integer from a hex quantity, a JSON integer or (``decimal=True``) a decimal string.

    ``what`` names the value in the error (``"txpool_status.pending"``). Raises
    :class:`~chainwatch.exporters.failures.ProbeFailure` ``invalid_response`` otherwise.
    """
    got: int | None = None
    if isinstance(value, bool):
        got = None
    elif isinstance(value, int):
        got = value
    elif isinstance(value, str) and value.isascii():  # "²".isdigit() is True: ASCII only
        if value[:2] in ("0x", "0X") and 2 < len(value) <= 66 and set(value[2:]) <= _HEX:
            got = int(value, 16)
        elif decimal and value.isdigit() and len(value) <= 78:
            got = int(value)
    if got is None or not 0 <= got <= limit:
        accepted = "a hex quantity, a JSON integer or a decimal string" if decimal else "a hex quantity or a JSON integer"
        raise invalid(f"{what}: expected {accepted}, got {clip(repr(value), 32)}")
    return got


def flag(value: Any, what: str) -> bool:
    """A JSON boolean; the strings ``"true"``/``"false"`` are not (they read as a number of things)."""
    if isinstance(value, bool):
        return value
    raise invalid(f"{what}: expected a boolean, got {clip(repr(value), 30)}")


_HEX = frozenset("0123456789abcdefABCDEF")


def block_hash(value: Any, what: str, *, prefix: str = "") -> str:
    """A block hash as chain APIs send it, lower-cased: 1 to 128 hex digits after ``prefix``
    (``"0x"`` for JSON-RPC's DATA, none for Bitcoin Core and CometBFT). Raises ``invalid_response``
    for anything else (``what`` names the field)."""
    if not isinstance(value, str):
        raise invalid(f"{what}: expected a hash string, got {type(value).__name__}")
    if value[: len(prefix)].lower() != prefix:
        raise invalid(f"{what}: expected a {prefix or 'hex'} hash, got {clip(value, 20)!r}")
    digits = value[len(prefix) :]
    if not 0 < len(digits) <= 128 or not _HEX.issuperset(digits):
        raise invalid(f"{what}: not a hex hash ({clip(value, 20)!r})")
    return value.lower()

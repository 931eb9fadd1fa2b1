"""Addresses of the Move chains (Aptos, Sui): 32 bytes in hex, written long or short.

Aptos AIP-40 and Sui's ``SuiAddress`` both accept the short form (``0x1``) and write the long
one: ``0x`` + 64 lower-case hex digits (``0x00…01``)."""

from __future__ import annotations

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{1,64}$"


def long_address(value: str) -> str:
    """``value`` (matching ``ADDRESS_PATTERN``) in long form: ``0x1`` -> ``0x00…01``."""
    return "0x" + value[2:].lower().rjust(64, "0")

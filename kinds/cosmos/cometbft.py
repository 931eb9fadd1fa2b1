"""Strict readers for CometBFT RPC and Cosmos SDK REST answers, shared by probe and monitor.

Sources: CometBFT v0.38 RPC (https://docs.cometbft.com/v0.38/rpc/) — every answer is a
JSON-RPC 2.0 envelope ``{"jsonrpc": "2.0", "id": -1, "result": {...}}`` or ``{"error":
{"code", "message", "data"}}`` (HTTP 500 for an internal error); 64-bit numbers (heights,
powers, counts) are **decimal strings**, times RFC 3339 with up to nanoseconds. Cosmos SDK
REST (gRPC-gateway): int64 fields are decimal strings, ``sdk.Dec`` values decimal strings
with 18 fractional digits (``"0.050000000000000000"``), durations ``"600s"``, errors
``{"code": 5, "message": "...", "details": []}``.

Every reader raises :class:`ProbeFailure` (``invalid_response`` / ``rpc_error``) naming the
field, never a KeyError or TypeError, so one malformed answer drops only what it breaks.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import bech32

from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.transport import Reply

INT64_MAX = 2**63 - 1
_DEC_INT = re.compile(r"^[0-9]{1,19}$")
_DEC = re.compile(r"^[0-9]{1,30}(\.[0-9]{1,18})?$")
_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_HEX_ADDRESS = re.compile(r"^[0-9A-Fa-f]{40}$")
_DURATION = re.compile(r"^([0-9]{1,12})(\.[0-9]{1,9})?s$")


# CometBFT answers a JSON-RPC error with HTTP 500 (internal) or 400/404: callers accept these
# statuses and let :func:`result_of` tell an error object (rpc_error) from a proxy's page (http_status).
RPC_ERROR_STATUSES = (400, 404, 500)


def result_of(reply: Reply, what: str) -> dict:
    """The ``result`` object of a CometBFT JSON-RPC answer (URI or POST)."""
    if not 200 <= reply.status < 300:
        try:
            body = json.loads(reply.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            body = None
        if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
            raise ProbeFailure("http_status", f"HTTP {reply.status}")
    body = reply.json()
    if not isinstance(body, dict):
        raise invalid(f"{what}: answer is not a JSON-RPC object")
    if body.get("error") is not None:
        err = body["error"]
        if isinstance(err, dict):
            detail = f"{err.get('code')} {str(err.get('message'))[:60]} {str(err.get('data') or '')[:80]}".strip()
        else:
            detail = str(err)[:120]
        raise ProbeFailure("rpc_error", f"{what}: {detail}")
    result = body.get("result")
    if not isinstance(result, dict):
        raise invalid(f"{what}: no result object")
    return result


_NOT_AVAILABLE = re.compile(r"height (\d{1,19}) is not available, lowest height is (\d{1,19})")


def lowest_kept_height(reply: Reply) -> int | None:
    """Y of CometBFT's answer for a height the node no longer stores (``rpc/core/env.go``
    ``getHeight``): HTTP 500, ``{"error": {"code": -32603, "message": "Internal error", "data":
    "height X is not available, lowest height is Y"}}`` — a pruned node (``min-retain-blocks``)
    or one bootstrapped by state sync. None for every other answer."""
    if 200 <= reply.status < 300 and b'"error"' not in reply.body[:4096]:
        return None
    try:
        body = json.loads(reply.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    err = body.get("error") if isinstance(body, dict) else None
    data = err.get("data") if isinstance(err, dict) else None
    m = _NOT_AVAILABLE.search(data) if isinstance(data, str) else None
    if m is None or int(m.group(2)) <= int(m.group(1)) or int(m.group(2)) > INT64_MAX:
        return None
    return int(m.group(2))


def obj(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise invalid(f"{what}: expected an object, got {type(value).__name__}")
    return value


def arr(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise invalid(f"{what}: expected an array, got {type(value).__name__}")
    return value


def uint(value: Any, what: str) -> int:
    """A non-negative int64 as CometBFT/SDK print it: a decimal string (a JSON number is taken too)."""
    if isinstance(value, bool):
        raise invalid(f"{what}: expected a decimal string, got a boolean")
    if isinstance(value, int) and 0 <= value <= INT64_MAX:
        return value
    if isinstance(value, str) and _DEC_INT.fullmatch(value) and int(value) <= INT64_MAX:
        return int(value)
    raise invalid(f"{what}: expected a non-negative decimal integer, got {str(value)[:32]!r}")


def dec(value: Any, what: str) -> Decimal:
    """An ``sdk.Dec`` (``"0.050000000000000000"``)."""
    if isinstance(value, str) and _DEC.fullmatch(value):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    raise invalid(f"{what}: expected a decimal string, got {str(value)[:32]!r}")


def boolean(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"{what}: expected true or false, got {str(value)[:16]!r}")
    return value


def timestamp(value: Any, what: str) -> float:
    """Unix seconds from RFC 3339 with up to nanoseconds (``2024-05-01T12:00:00.123456789Z``)."""
    m = _TIME.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise invalid(f"{what}: expected an RFC 3339 time, got {str(value)[:40]!r}")
    frac = (m.group(2) or "")[:7]  # datetime takes at most microseconds
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    try:
        return datetime.fromisoformat(f"{m.group(1)}{frac}{zone}").timestamp()
    except ValueError:
        raise invalid(f"{what}: not a valid time {str(value)[:40]!r}") from None


def duration(value: Any, what: str) -> float:
    """A protobuf Duration in JSON (``"600s"``, ``"0.5s"``)."""
    m = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise invalid(f'{what}: expected a duration such as "600s", got {str(value)[:32]!r}')
    return float(m.group(1) + (m.group(2) or ""))


def hex_address(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _HEX_ADDRESS.fullmatch(value):
        raise invalid(f"{what}: expected a 20-byte hex address, got {str(value)[:48]!r}")
    return value.upper()


def bech32_decode(address: str) -> tuple[str, bytes] | None:
    """(human-readable part, raw bytes) of a bech32 address, or None when it is not one."""
    hrp, data = bech32.bech32_decode(address)
    if hrp is None or data is None:
        return None
    raw = bech32.convertbits(data, 5, 8, False)
    return (hrp, bytes(raw)) if raw is not None else None


def bech32_encode(hrp: str, raw: bytes) -> str:
    return bech32.bech32_encode(hrp, bech32.convertbits(raw, 8, 5))


def min_signed_blocks(window: int, min_signed_per_window: Decimal) -> int:
    """x/slashing ``MinSignedPerWindow``: ``min_signed_per_window x window`` rounded half to
    even (``LegacyDec.RoundInt64``); the issue's ``ceil`` is the same for every integral
    product, which is what chains configure (10000 x 0.05 = 500)."""
    return int((min_signed_per_window * window).quantize(Decimal(1), rounding="ROUND_HALF_EVEN"))


def blocks_until_jail(window: int, min_signed_per_window: Decimal, missed_blocks_counter: int) -> int:
    """Further missed blocks the validator can absorb: ``window - MinSignedPerWindow - missed``.

    x/slashing jails when ``missed_blocks_counter > window - MinSignedPerWindow``, so at 0 the
    next miss jails (and a negative value never shows: the validator is jailed and reset).
    """
    return max(0, window - min_signed_blocks(window, min_signed_per_window) - missed_blocks_counter)

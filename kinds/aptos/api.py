"""Strict readers for the Aptos node REST API, shared by the probe and the validator monitor.

Source: the Aptos node API reference (https://aptos.dev/en/build/apis/fullnode-rest-api-reference,
aptos-core ``api/types/src/index.rs`` ``IndexResponse``, ``api/src/view_function.rs``):

- ``GET /v1`` answers the ledger info::

      {"chain_id": 1, "epoch": "2796", "ledger_version": "152087593", "oldest_ledger_version": "2287593",
       "ledger_timestamp": "1685696086534090", "node_role": "full_node", "oldest_block_height": "1101178",
       "block_height": "58851650", "git_hash": "6568c5ee…"}

  ``chain_id`` is a JSON number (a u8); every other number is a ``U64``, a decimal *string*;
  ``ledger_timestamp`` is in microseconds; ``node_role`` is ``validator`` or ``full_node``;
  ``git_hash`` is optional.
- ``POST /v1/view`` with ``{"function": "0x1::stake::…", "type_arguments": [], "arguments": [...]}``
  answers the Move return values as a JSON array, u64s as decimal strings (``["12", "1"]``).
- An error is ``{"message": "...", "error_code": "invalid_input", "vm_error_code": 4008}``
  with a 4xx/5xx status (a view function that aborts: 400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chainwatch.exporters.failures import invalid
from chainwatch.exporters.redact import clip

U64_MAX = 2**64 - 1
ROLES = ("validator", "full_node")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,19})$")


def u64(value: Any, what: str) -> int:
    """A ``U64``: a decimal string (the API never sends a JSON number for one)."""
    if isinstance(value, str) and value.isascii() and _DECIMAL.fullmatch(value) and int(value) <= U64_MAX:
        return int(value)
    raise invalid(f"{what}: expected a U64 decimal string, got {clip(repr(value), 32)}")


@dataclass(frozen=True)
class LedgerInfo:
    chain_id: int
    epoch: int
    ledger_version: int
    oldest_ledger_version: int
    timestamp_seconds: float  # ledger_timestamp / 1e6
    node_role: str
    block_height: int
    oldest_block_height: int
    git_hash: str | None


def ledger_info(body: Any) -> LedgerInfo:
    """The ledger info of ``GET /v1``; raises ``invalid_response`` naming the first bad field."""
    if not isinstance(body, dict):
        raise invalid(f"GET /v1: expected an object, got {type(body).__name__}")
    chain_id = body.get("chain_id")
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or not 0 <= chain_id <= 255:
        raise invalid(f"GET /v1 chain_id: expected a number 0-255, got {clip(repr(chain_id), 32)}")
    role = body.get("node_role")
    git_hash = body.get("git_hash")
    return LedgerInfo(
        chain_id=chain_id,
        epoch=u64(body.get("epoch"), "GET /v1 epoch"),
        ledger_version=u64(body.get("ledger_version"), "GET /v1 ledger_version"),
        oldest_ledger_version=u64(body.get("oldest_ledger_version"), "GET /v1 oldest_ledger_version"),
        timestamp_seconds=u64(body.get("ledger_timestamp"), "GET /v1 ledger_timestamp") / 1e6,
        node_role=role if role in ROLES else "unknown",
        block_height=u64(body.get("block_height"), "GET /v1 block_height"),
        oldest_block_height=u64(body.get("oldest_block_height"), "GET /v1 oldest_block_height"),
        git_hash=git_hash if isinstance(git_hash, str) and git_hash else None,
    )


def view_body(function: str, *arguments: str) -> dict:
    """The ``POST /v1/view`` request of a ``0x1::stake`` view function without type arguments."""
    return {"function": function, "type_arguments": [], "arguments": list(arguments)}


def view_u64s(body: Any, function: str, count: int) -> tuple[int, ...]:
    """The ``count`` u64 return values of a view answer (``["12", "1"]``)."""
    if not isinstance(body, list) or len(body) != count:
        raise invalid(f"view {function}: expected {count} return value(s), got {clip(repr(body), 48)}")
    return tuple(u64(v, f"view {function}") for v in body)


def error_code(body: Any) -> str:
    """``error_code`` of an Aptos error answer (``invalid_input``, ``version_pruned``, …), bounded."""
    code = body.get("error_code") if isinstance(body, dict) else None
    return clip(code, 40) if isinstance(code, str) else "unknown"

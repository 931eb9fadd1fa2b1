"""Sentinel values: answers that mean "not known yet", never a measurement.

Chain APIs fill a field they cannot answer with a zero value of its type instead of leaving
it out, and a parser that takes it at face value turns "no safe head yet" into a safe head
56 years behind. Every kind's parser asks these predicates first and then leaves the field
absent, marked with :meth:`~chainwatch.exporters.probe.ProbeResult.unknown`
(``chainwatch_probe_value_unknown{field=...} 1``), never a value that pages:

==========================  ==========================================================  =====================
sentinel                    where it is sent                                            predicate
==========================  ==========================================================  =====================
zero block reference        op-node ``optimism_syncStatus`` heads during execution-     :func:`zero_ref`
                            layer sync (``{"hash": "0x00…00", "number": 0,
                            "timestamp": 0}``, op-service/eth/id.go ``BlockID{}``)
epoch-0 / Go zero time      CometBFT ``latest_block_time`` of a node with no block      :func:`zero_time`
                            (``0001-01-01T00:00:00Z``, Go's ``time.Time{}``); unix
                            ``0`` block times (EVM dev genesis, Solana ``getBlockTime``)
null or empty hash          graph-node ``_meta.block.hash``, Bitcoin ``bestblockhash``,  :func:`zero_hash`
                            beacon checkpoint ``root`` (``0x00…00`` before finality)
null list                   Solana ``getVoteAccounts`` ``"delinquent": null``            (the caller: ``None``)
==========================  ==========================================================  =====================

One sentinel is a value, not an unknown: x/slashing's ``jailed_until`` of a validator never
jailed (``1970-01-01T00:00:00Z``, ``time.Unix(0, 0)``) says "not jailed" (the cosmos monitor
exports jailed 0, :func:`zero_time`), so the jailed alert keeps its input.
"""

from __future__ import annotations

import re
from typing import Any

# Go's zero time.Time (0001-01-01T00:00:00Z) as unix seconds, and anything up to it.
GO_ZERO_UNIX = -62135596800.0
_ZERO_HEX = re.compile(r"^(0x)?0*$", re.IGNORECASE)


def zero_time(unix: float | int | None) -> bool:
    """True for a block time that only says "no block": None, unix 0 (or before), Go's zero time."""
    return unix is None or unix <= 0


def zero_hash(value: Any) -> bool:
    """True for a hash that names no block: None, ``""``, ``"0x"``, all zeros (``0x00…00``)."""
    if value is None:
        return True
    return isinstance(value, str) and _ZERO_HEX.fullmatch(value) is not None


def zero_ref(number: int, timestamp: int, hash_: Any = None) -> bool:
    """True for op-node's zero block reference (``eth.BlockID{}`` / ``L2BlockRef{}``): timestamp 0,
    or number 0 with a zero hash. A real genesis has a hash and a time, and no chain produced a
    block in 1970, so time 0 alone marks it."""
    return zero_time(timestamp) or (number == 0 and hash_ is not None and zero_hash(hash_))

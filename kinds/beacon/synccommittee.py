"""Sync-committee duties of watched validators: who is in the committee, and which signatures
the chain's blocks carry.

Read through the Beacon API (ethereum/beacon-APIs):

- ``GET /eth/v1/beacon/states/head/sync_committees?epoch=E`` →
  ``{"data": {"validators": ["12", "7", ...], "validator_aggregates": [[...], ...]}}``: the
  committee of ``E``'s period (``EPOCHS_PER_SYNC_COMMITTEE_PERIOD`` epochs, 256 on mainnet,
  8 on the minimal preset) as validator indices in committee order; a validator can hold
  several positions. A node answers for the head's period and the next one only; before
  Altair it answers 400.
- ``GET /eth/v2/beacon/blocks/{slot}`` → ``{"version": "altair", "data": {"message": {"slot":
  "9", "body": {"sync_aggregate": {"sync_committee_bits": "0x…", ...}}}}}``; 404 when the slot
  has no block (skipped: nobody could sign into it, so it is no miss). The bits are an SSZ
  ``Bitvector[SYNC_COMMITTEE_SIZE]`` in hex: position ``i`` is bit ``i % 8`` of byte ``i // 8``
  (consensus-specs, ssz/simple-serialize.md), and position ``i`` is the ``i``-th entry of the
  committee's ``validators``.

A phase0 block (no ``sync_aggregate``) carries no sync duty; :func:`block_bits` answers None.
Errors: :func:`~chainwatch.exporters.failures.invalid` naming the field that cannot be read.
"""

from __future__ import annotations

from typing import Any

from chainwatch.exporters.failures import invalid
from chainwatch.exporters.transport import Reply
from chainwatch.kinds.beacon.probe import data_of, uint

EPOCHS_PER_PERIOD = 256  # mainnet preset; the node's /eth/v1/config/spec says otherwise when it differs
MAX_COMMITTEE = 4096  # the mainnet committee has 512 positions; a longer list is not a committee


def committee(reply: Reply) -> list[int]:
    """Validator indices of a ``sync_committees`` answer, in committee order (repeats kept)."""
    data = data_of(reply, "sync committee")
    members = data.get("validators") if isinstance(data, dict) else None
    if not isinstance(members, list) or len(members) > MAX_COMMITTEE:
        raise invalid("sync committee: 'data.validators' is not a list of indices")
    return [uint(v, "sync_committee.validators") for v in members]


def positions(members: list[int], watched: set[int]) -> dict[int, list[int]]:
    """Watched validator index -> its positions in the committee (empty: not in it)."""
    out: dict[int, list[int]] = {}
    for position, index in enumerate(members):
        if index in watched:
            out.setdefault(index, []).append(position)
    return out


def bits(text: Any, size: int) -> list[bool]:
    """An SSZ bitvector of ``size`` bits from its ``0x`` hex form (little-endian bit order)."""
    if not isinstance(text, str) or not text.startswith("0x"):
        raise invalid("sync_aggregate.sync_committee_bits is not 0x hex")
    try:
        raw = bytes.fromhex(text[2:])
    except ValueError:
        raise invalid("sync_aggregate.sync_committee_bits is not 0x hex") from None
    if len(raw) * 8 < size:
        raise invalid(f"sync_aggregate.sync_committee_bits: {len(raw) * 8} bits for a committee of {size}")
    return [bool(raw[i // 8] >> (i % 8) & 1) for i in range(size)]


def block_bits(reply: Reply, slot: int, size: int) -> list[bool] | None:
    """Participation bits of the block at ``slot`` (a ``/eth/v2/beacon/blocks`` answer); None for
    a block without a sync aggregate (phase0)."""
    data = data_of(reply, "block")
    try:
        message = data["message"]
        got = uint(message["slot"], "block.slot")
        body = message["body"]
    except (KeyError, TypeError):
        raise invalid("block: no message.slot or message.body") from None
    if got != slot:
        raise invalid(f"block: asked for slot {slot}, got slot {got}")
    if not isinstance(body, dict):
        raise invalid("block: message.body is not an object")
    aggregate = body.get("sync_aggregate")
    if aggregate is None:
        return None
    if not isinstance(aggregate, dict):
        raise invalid("block: sync_aggregate is not an object")
    return bits(aggregate.get("sync_committee_bits"), size)

"""The validator duties of the current epoch from ``sui.rpc.v2.LedgerService/GetEpoch``.

Request: ``GetEpochRequest`` with ``epoch`` unset (the current one) and ``read_mask`` (field 2,
a ``google.protobuf.FieldMask``) set to :data:`READ_MASK`, so the answer carries only these
fields of ``GetEpochResponse.epoch`` (``sui.rpc.v2.Epoch``; numbers from sui-rpc
``sui/rpc/v2/epoch.proto`` and ``system_state.proto``)::

    Epoch.epoch = 1                                              uint64
    Epoch.system_state = 3 (SystemState)
      .epoch_start_timestamp_ms = 15                             uint64, ms
      .parameters = 6 (SystemParameters).epoch_duration_ms = 1   uint64, ms
      .validators = 4 (ValidatorSet).active_validators = 2       repeated Validator
        Validator.address = 2 (string, 0x + 64 hex), .voting_power = 29 (uint64, of 10,000)
      .validator_report_records = 8                              repeated ValidatorReportRecord
        ValidatorReportRecord.reported = 1 (address), .reporters = 2 (repeated address)

A validator reported (``reported``) by validators whose voting power adds up to a quorum
(2/3 of the total) when the epoch ends gets no rewards for that epoch (sui-system
``validator_set.move``, tallying rule); the records are cleared at every epoch change.
Membership: a watched address among ``active_validators`` is in this epoch's committee.
"""

from __future__ import annotations

from dataclasses import dataclass

from chainwatch.exporters.failures import invalid
from chainwatch.kinds.sui.grpcweb import encode, fields, repeated

READ_MASK = (
    "epoch",
    "system_state.epoch_start_timestamp_ms",
    "system_state.parameters.epoch_duration_ms",
    "system_state.validators.active_validators.address",
    "system_state.validators.active_validators.voting_power",
    "system_state.validator_report_records",
)
REQUEST = encode([(2, encode([(1, path) for path in READ_MASK]))])
QUORUM = 2 / 3


@dataclass(frozen=True)
class Duties:
    epoch: int
    start_ms: int | None
    duration_ms: int | None
    active: dict[str, int]  # address -> voting power
    reporters: dict[str, tuple[str, ...]]  # reported address -> reporter addresses

    @property
    def total_power(self) -> int:
        return sum(self.active.values())

    def reported_ratio(self, address: str) -> float:
        """Share of the active set's voting power reporting ``address`` (reporters out of the set count 0)."""
        total = self.total_power
        if not total:
            return 0.0
        return sum(self.active.get(r, 0) for r in set(self.reporters.get(address, ()))) / total

    def end_ms(self) -> int | None:
        return self.start_ms + self.duration_ms if self.start_ms is not None and self.duration_ms else None


def _text(value) -> str:
    if not isinstance(value, bytes):
        raise invalid("GetEpoch: an address that is not a string")
    return "0x" + value.decode("ascii", "replace").lower().removeprefix("0x").rjust(64, "0")


def duties(message: bytes) -> Duties:
    """Decode a ``GetEpochResponse``; raises ``invalid_response`` without an epoch or system state."""
    epoch = fields(message).get(1)
    if not isinstance(epoch, bytes):
        raise invalid("GetEpoch: no epoch")
    e = fields(epoch)
    number, state = e.get(1), e.get(3)
    if not isinstance(number, int) or not isinstance(state, bytes):
        raise invalid("GetEpoch: no epoch number or system_state (read mask not honoured?)")
    s = fields(state)
    start = s.get(15) if isinstance(s.get(15), int) else None
    params = s.get(6)
    duration = fields(params).get(1) if isinstance(params, bytes) else None
    active: dict[str, int] = {}
    validators = s.get(4)
    if isinstance(validators, bytes):
        for v in repeated(validators, 2):
            f = fields(v)
            power = f.get(29)
            active[_text(f.get(2))] = power if isinstance(power, int) else 0
    reporters: dict[str, tuple[str, ...]] = {}
    for record in repeated(state, 8):
        f = fields(record)
        reporters[_text(f.get(1))] = tuple(_text(r) for r in repeated(record, 2))
    return Duties(number, start, duration if isinstance(duration, int) else None, active, reporters)

"""A simulated beacon node on loopback (FakeServer), answering as the Beacon API spec shows.

aioresponses (the aiohttp counterpart of respx, which the brief names) does not work with
aiohttp 3.14, so these tests use a real programmable loopback server instead
(tests/support/fakeserver.py); the probe's real transport is exercised end to end.

Simulated, because no real client available here answers like this: Lodestar 1.5.1 has
no ``POST /eth/v1/validator/liveness/{epoch}`` and no ``el_offline``. Shapes follow the
Beacon API spec (ethereum/beacon-APIs): integers as decimal strings, ``{"data": ...}``
envelopes, liveness ``[{"index": "1", "is_live": true}]``, errors
``{"code": 400, "message": ...}``. ``legacy=True`` answers like Lodestar 1.5.1 instead
(GET liveness with JSON integers and an ``epoch`` field; POST route 404).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from aiohttp import web

from tests.support.fakeserver import FakeServer

FAR = "18446744073709551615"
PUBKEYS = {i: "0x" + f"{i:02x}" * 48 for i in range(64)}


def _err(status: int, message: str) -> web.Response:
    return web.json_response({"code": status, "message": message}, status=status)


@dataclass
class Validator:
    index: int
    status: str = "active_ongoing"
    activation_epoch: int = 0
    exit_epoch: str | int = FAR
    effective_balance: int = 32_000_000_000

    def row(self) -> dict:
        return {
            "index": str(self.index),
            "balance": str(self.effective_balance + 12345),
            "status": self.status,
            "validator": {
                "pubkey": PUBKEYS[self.index],
                "withdrawal_credentials": "0x00" + "11" * 31,
                "effective_balance": str(self.effective_balance),
                "slashed": self.status.endswith("slashed"),
                "activation_eligibility_epoch": "0",
                "activation_epoch": str(self.activation_epoch),
                "exit_epoch": str(self.exit_epoch),
                "withdrawable_epoch": FAR,
            },
        }


@dataclass
class FakeBeacon:
    """Wall-clock epoch is whatever the test sets in ``current_epoch`` (with ``monitor.step(now=)``)."""

    genesis_time: int = 1_600_000_000
    seconds_per_slot: int = 12
    slots_per_epoch: int = 32
    validators: dict[int, Validator] = field(default_factory=dict)
    offline: set[int] = field(default_factory=set)  # never live
    current_epoch: int = 0
    duties: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # epoch -> [(slot, index)]
    blocks: set[int] = field(default_factory=set)
    legacy: bool = False
    liveness_calls: list[tuple[str, int, list[int]]] = field(default_factory=list)
    fail_liveness: int = 0  # answer the next N liveness calls with 500
    # Sync committees per period (validator indices in committee order, repeats allowed); a
    # period not listed answers 400 as a pre-Altair state does. Offline validators do not sign.
    epochs_per_period: int = 4
    sync_committees: dict[int, list[int]] = field(default_factory=dict)
    sync_committee_calls: list[int] = field(default_factory=list)
    block_calls: list[int] = field(default_factory=list)

    def time_at(self, epoch: int, slot_in_epoch: float = 0.0) -> float:
        self.current_epoch = epoch
        return self.genesis_time + (epoch * self.slots_per_epoch + slot_in_epoch) * self.seconds_per_slot

    def install(self, srv: FakeServer) -> FakeServer:
        srv.route(
            "GET",
            "/eth/v1/beacon/genesis",
            json_body={"data": {"genesis_time": str(self.genesis_time), "genesis_validators_root": "0x" + "4b" * 32, "genesis_fork_version": "0x00000000"}},
        )
        srv.route(
            "GET",
            "/eth/v1/config/spec",
            lambda r, b: {
                "data": {
                    "SECONDS_PER_SLOT": str(self.seconds_per_slot),
                    "SLOTS_PER_EPOCH": str(self.slots_per_epoch),
                    "EPOCHS_PER_SYNC_COMMITTEE_PERIOD": str(self.epochs_per_period),
                    "CONFIG_NAME": "mainnet",
                }
            },
        )
        srv.route("GET", "/eth/v1/beacon/states/head/sync_committees", self._sync_committees)
        srv.route("GET", "/eth/v1/beacon/states/head/validators", self._validators)
        srv.route("GET", "/eth/v1/validator/liveness", self._liveness_get)
        for epoch in range(0, 200):
            srv.route("POST", f"/eth/v1/validator/liveness/{epoch}", self._liveness_post(epoch))
            srv.route("GET", f"/eth/v1/validator/duties/proposer/{epoch}", self._duties(epoch))
        for slot in range(0, 200 * self.slots_per_epoch):
            srv.route("GET", f"/eth/v1/beacon/headers/{slot}", self._header(slot))
            srv.route("GET", f"/eth/v2/beacon/blocks/{slot}", self._block(slot))
        return srv

    # ------------------------------------------------------------------ handlers

    def _validators(self, request, raw):
        ids = request.query.getall("id", [])
        out = []
        for i in ids:
            for v in self.validators.values():
                if i == str(v.index) or i.lower() == PUBKEYS[v.index]:
                    out.append(v.row())
        return {"execution_optimistic": False, "finalized": False, "data": out}

    def _answer(self, epoch: int, indices: list[int], how: str):
        self.liveness_calls.append((how, epoch, indices))
        if self.fail_liveness:
            self.fail_liveness -= 1
            return _err(500, "Internal error")
        if epoch not in (self.current_epoch, self.current_epoch - 1):
            return _err(400, f"Request epoch {epoch} is more than one epoch before or after the current epoch {self.current_epoch}")
        if self.legacy:
            return {"data": [{"index": i, "epoch": epoch, "is_live": i not in self.offline} for i in indices]}
        return {"data": [{"index": str(i), "is_live": i not in self.offline} for i in indices]}

    def _liveness_post(self, epoch: int):
        def handler(request, raw):
            if self.legacy:
                return web.json_response(
                    {"message": f"Route POST:/eth/v1/validator/liveness/{epoch} not found", "error": "Not Found", "statusCode": 404}, status=404
                )
            body = json.loads(raw)
            assert isinstance(body, list) and all(isinstance(x, str) for x in body), body  # spec: array of decimal strings
            return self._answer(epoch, [int(x) for x in body], "post")

        return handler

    def _liveness_get(self, request, raw):
        if not self.legacy:
            return _err(404, "not found")
        indices = [int(x) for x in request.query.getall("indices")]
        return self._answer(int(request.query["epoch"]), indices, "get")

    def _duties(self, epoch: int):
        def handler(request, raw):
            if epoch not in (self.current_epoch, self.current_epoch + 1):
                return _err(400, f"Requested epoch {epoch} must equal current {self.current_epoch} or next epoch")
            data = [{"pubkey": PUBKEYS[i], "validator_index": str(i), "slot": str(s)} for s, i in self.duties.get(epoch, [])]
            return {"dependent_root": "0x" + "aa" * 32, "execution_optimistic": False, "data": data}

        return handler

    def _sync_committees(self, request, raw):
        """Like a real node: the head state's period and the next one only."""
        epoch = int(request.query.get("epoch", self.current_epoch))
        self.sync_committee_calls.append(epoch)
        period, head_period = epoch // self.epochs_per_period, self.current_epoch // self.epochs_per_period
        if period not in (head_period, head_period + 1):
            return _err(400, f"Epoch {epoch} is out of range")
        if period not in self.sync_committees:
            return _err(400, "Requested state before ALTAIR_FORK_EPOCH")
        members = [str(i) for i in self.sync_committees[period]]
        return {"execution_optimistic": False, "finalized": False, "data": {"validators": members, "validator_aggregates": [members]}}

    def sync_bits(self, slot: int) -> str:
        """The block's sync_committee_bits: SSZ bitvector, position i is bit i % 8 of byte i // 8."""
        members = self.sync_committees.get(slot // self.slots_per_epoch // self.epochs_per_period, [])
        raw = bytearray((len(members) + 7) // 8)
        for position, index in enumerate(members):
            if index not in self.offline:
                raw[position // 8] |= 1 << (position % 8)
        return "0x" + raw.hex()

    def _block(self, slot: int):
        def handler(request, raw):
            self.block_calls.append(slot)
            if slot not in self.blocks:
                return _err(404, f"No block found for id '{slot}'")
            body = {"randao_reveal": "0x" + "00" * 96, "graffiti": "0x" + "00" * 32, "attestations": []}
            version = "phase0"
            if slot // self.slots_per_epoch // self.epochs_per_period in self.sync_committees:
                version = "altair"
                body["sync_aggregate"] = {"sync_committee_bits": self.sync_bits(slot), "sync_committee_signature": "0x" + "00" * 96}
            message = {"slot": str(slot), "proposer_index": "1", "parent_root": "0x" + "dd" * 32, "state_root": "0x" + "ee" * 32, "body": body}
            return {"version": version, "execution_optimistic": False, "finalized": False, "data": {"message": message, "signature": "0x" + "00" * 96}}

        return handler

    def _header(self, slot: int):
        def handler(request, raw):
            if slot not in self.blocks:
                return _err(404, f"No block found for id '{slot}'")
            return {
                "execution_optimistic": False,
                "finalized": False,
                "data": {
                    "root": "0x" + "cc" * 32,
                    "canonical": True,
                    "header": {
                        "message": {
                            "slot": str(slot),
                            "proposer_index": "1",
                            "parent_root": "0x" + "dd" * 32,
                            "state_root": "0x" + "ee" * 32,
                            "body_root": "0x" + "ff" * 32,
                        },
                        "signature": "0x" + "00" * 96,
                    },
                },
            }

        return handler

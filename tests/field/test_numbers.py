"""Kind 1 of issue #14: every optional number of every chain kind, in every encoding a client
might send, is read or leaves only its metric absent (counted); the probe stays successful.

Servers: loopback fakes answering in the documented shapes (tests/support/answers.py tables),
with one value replaced per row. The recorded Nethermind answer is the fixture of the handed
instance (field case ``nethermind-txpool-numbers``).
"""

from __future__ import annotations

import time

import pytest

from chainwatch.exporters import numbers
from chainwatch.exporters.failures import ProbeFailure
from tests.support.fakeserver import FakeServer

from .support import NODE, beacon_routes, chain_config, evm_answers, fixture, install_beacon, probe_rounds, solana_answers

N = 2048
# encoding -> the JSON value sent for N
ENCODINGS = {
    "hex": hex(N),
    "json_int": N,
    "decimal_string": str(N),
    "negative": -N,
    "negative_hex": "-0x800",
    "float": N + 0.5,
    "integral_float": float(N),
    "null": None,
    "huge": 2**300,
    "huge_hex": "0x" + "f" * 80,
    "wrong_type_list": [N],
    "wrong_type_bool": True,
    "unicode_digits": "２０４８",
}
# Which encodings each API's clients send (the rest must leave the metric absent).
READ = {
    "evm": {"hex", "json_int"},
    "beacon": {"hex", "json_int", "decimal_string"},
    "solana": {"hex", "json_int"},
}


def _block(**fields):
    now = int(time.time())
    return {"number": "0x10", "timestamp": hex(now - 2), "baseFeePerGas": "0x3b9aca00", **fields}


# (kind, field) -> (how to put value v into the answers, metric, labels)
EVM_FIELDS = {
    "net_peerCount": (lambda v: {"net_peerCount": v}, "chainwatch_peers", {}),
    "txpool_status.pending": (lambda v: {"txpool_status": {"pending": v, "queued": "0x2"}}, "chainwatch_mempool_transactions", {"state": "pending"}),
    "txpool_status.queued": (lambda v: {"txpool_status": {"pending": "0x7", "queued": v}}, "chainwatch_mempool_transactions", {"state": "queued"}),
    "eth_gasPrice": (lambda v: {"eth_gasPrice": v}, "chainwatch_gas_price_wei", {}),
    "eth_getBlockByNumber.baseFeePerGas": (lambda v: {"eth_getBlockByNumber": _block(baseFeePerGas=v)}, "chainwatch_base_fee_wei", {}),
}
SOLANA_FIELDS = {
    "getBlockHeight": (lambda v: {"getBlockHeight": v}, "chainwatch_solana_block_height", {}),
    "getSlot(processed)": (
        lambda v: {"getSlot": lambda p: v if p and p[0].get("commitment") == "processed" else 16},
        "chainwatch_solana_slot",
        {"commitment": "processed"},
    ),
    "getSlot(finalized)": (
        lambda v: {"getSlot": lambda p: v if p and p[0].get("commitment") == "finalized" else 16},
        "chainwatch_solana_slot",
        {"commitment": "finalized"},
    ),
}
BEACON_FIELDS = {
    "syncing.sync_distance": (
        lambda v: {"/eth/v1/node/syncing": {"data": {"head_slot": "16", "sync_distance": v, "is_syncing": False}}},
        "chainwatch_beacon_sync_distance_slots",
        {},
    ),
    "peer_count.connected": (
        lambda v: {"/eth/v1/node/peer_count": {"data": {"connected": v, "disconnected": "3"}}},
        "chainwatch_beacon_peers",
        {"state": "connected"},
    ),
    "peer_count.disconnected": (
        lambda v: {"/eth/v1/node/peer_count": {"data": {"connected": "50", "disconnected": v}}},
        "chainwatch_beacon_peers",
        {"state": "disconnected"},
    ),
    "finality_checkpoints": (
        lambda v: {
            "/eth/v1/beacon/states/head/finality_checkpoints": {
                "data": {
                    "previous_justified": {"epoch": "0", "root": "0x" + "00" * 32},
                    "current_justified": {"epoch": "0", "root": "0x" + "00" * 32},
                    # a real block root: epoch 0 with the zero root is the "nothing finalized yet" sentinel
                    "finalized": {"epoch": v, "root": "0x" + "ab" * 32},
                }
            }
        },
        "chainwatch_beacon_finalized_epoch",
        {},
    ),
}
ROWS = [(kind, f, enc) for kind, fields in (("evm", EVM_FIELDS), ("solana", SOLANA_FIELDS), ("beacon", BEACON_FIELDS)) for f in fields for enc in ENCODINGS]


async def _probe(kind: str, answers: dict):
    with FakeServer() as srv:
        if kind == "beacon":
            install_beacon(srv, "/node", beacon_routes(**answers))
        else:
            srv.jsonrpc("/node", (evm_answers if kind == "evm" else solana_answers)(**answers))
        return await probe_rounds(chain_config(kind, srv.url("/node")))


@pytest.mark.parametrize("kind, field, encoding", ROWS, ids=[f"{k}-{f}-{e}" for k, f, e in ROWS])
async def test_every_optional_number_in_every_encoding(kind, field, encoding):
    inject, metric, labels = {"evm": EVM_FIELDS, "solana": SOLANA_FIELDS, "beacon": BEACON_FIELDS}[kind][field]
    value = ENCODINGS[encoding]
    snap, s, _ = await _probe(kind, inject(value))
    result = snap.results["node-1"]
    assert s.value("chainwatch_probe_success", **NODE) == 1, (result.reason, result.detail)
    assert s.value("chainwatch_head_height", **NODE) == 16
    got = s.value(metric, **NODE, **labels)
    if encoding in READ[kind]:
        assert got == N
        assert s.find("chainwatch_probe_dropped_values_total", **NODE) == []
    else:
        assert got is None
        if not (encoding == "null" and field == "eth_getBlockByNumber.baseFeePerGas"):  # null base fee = pre-London: nothing to drop
            dropped = {labels_["field"] for labels_, _ in s.find("chainwatch_probe_dropped_values_total", **NODE)}
            assert dropped, "an unreadable optional value is counted"


async def test_nethermind_txpool_numbers_recorded_answer():
    # Field case nethermind-txpool-numbers: {"pending": 2048, "queued": 0} as Nethermind sends it.
    recorded = fixture("nethermind-txpool_status.json")["result"]
    snap, s, _ = await _probe("evm", {"txpool_status": recorded, "web3_clientVersion": "Nethermind/v1.99.0/linux-x64/dotnet9"})
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value("chainwatch_mempool_transactions", state="pending", **NODE) == 2048
    assert s.value("chainwatch_mempool_transactions", state="queued", **NODE) == 0
    assert s.value("chainwatch_sync_lag_blocks", **NODE) == 0
    assert s.value("chainwatch_peers", **NODE) == 50


@pytest.mark.parametrize("value, expected", [(True, 1), (False, 0), ("true", None), (1, None), (None, None), ([True], None)])
@pytest.mark.parametrize("key", ["is_optimistic", "el_offline"])
async def test_beacon_flags_are_json_booleans_or_absent(key, value, expected):
    syncing = {"head_slot": "16", "sync_distance": "0", "is_syncing": False, key: value}
    snap, s, _ = await _probe("beacon", {"/eth/v1/node/syncing": {"data": syncing}})
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value(f"chainwatch_beacon_{key.removeprefix('is_')}", **NODE) == expected


@pytest.mark.parametrize(
    "kind, inject",
    [
        ("evm", {"eth_chainId": "1"}),
        ("evm", {"eth_blockNumber": None, "eth_getBlockByNumber": None}),
        ("solana", {"getSlot": "16"}),
        ("beacon", {"/eth/v1/node/syncing": {"data": {"head_slot": "16.0", "sync_distance": "0", "is_syncing": False}}}),
    ],
)
async def test_identity_and_head_still_fail_the_probe(kind, inject):
    snap, s, _ = await _probe(kind, inject)
    assert s.value("chainwatch_probe_success", **NODE) == 0
    assert s.value("chainwatch_probe_failure_reason", reason="invalid_response", **NODE) == 1


def test_shared_reader_table():
    assert numbers.uint("0x800", "x") == numbers.uint(2048, "x") == numbers.uint("2048", "x", decimal=True) == 2048
    for bad in ("2048", -1, 1.0, None, True, "0x", "0xg", "0x" + "f" * 65, 2**256, "٣"):
        with pytest.raises(ProbeFailure):
            numbers.uint(bad, "x")
    with pytest.raises(ProbeFailure):
        numbers.uint(2**64, "x", limit=numbers.U64_MAX)

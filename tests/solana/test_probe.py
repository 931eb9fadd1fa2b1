"""Solana probe parsing, method by method, with ``aioresponses`` (the mock for aiohttp).

The issue asks for respx; chainwatch's transport is aiohttp, so ``aioresponses`` plays
that part. Every answer is shaped as the public Solana RPC docs show it (see
docs_shapes.py), including the ``-32005 Node is behind`` error of ``getHealth``.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aioresponses import aioresponses

from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport

from tests.support.answers import BEHIND_42, METHOD_NOT_FOUND, SLOT_SKIPPED, UNHEALTHY_UNKNOWN, solana_node as node

from .docs_shapes import Rpc

SECRET = "SECRETKEY123456"
URL = f"https://solana-mainnet.example.com/?api-key={SECRET}"

CONFIG = f"""
exporter: {{min_probe_interval_seconds: 0, reference_max_age_seconds: 0}}
chains:
  solana:
    kind: solana
    network: mainnet-beta
    endpoints:
      - {{name: rpc-1, url: "{URL}", role: node}}
"""


class Probe:
    """One endpoint probed through the real scheduler (failure mapping, caches)."""

    def __init__(self):
        self.config = parse(CONFIG, env={})
        self.transport = Transport()
        self.scheduler = Scheduler(self.config, self.transport)
        self.state = self.scheduler.states["rpc-1"]

    async def run(self, rpc: Rpc):
        with aioresponses() as mock:
            mock.post(URL, callback=rpc, repeat=True)
            deadline = asyncio.get_running_loop().time() + 5
            return await self.scheduler.probe(self.state, deadline)

    async def exposition(self, rpc: Rpc) -> str:
        with aioresponses() as mock:
            mock.post(URL, callback=rpc, repeat=True)
            deadline = asyncio.get_running_loop().time() + 5
            snap = await self.scheduler.round([self.state], ["solana"], deadline)
        return render(round_samples(snap)).decode()


@pytest.fixture
async def probe():
    p = Probe()
    yield p
    await p.transport.close()


async def test_healthy_node_reports_every_metric(probe):
    now = int(time.time())
    rpc = Rpc(node(slot=166598, block_time=now - 5))
    result = await probe.run(rpc)
    assert result.success, result.detail
    assert result.head_height == 166598  # the confirmed slot is the head
    assert result.head_timestamp == now - 5
    assert 4.0 <= result.get("chainwatch_head_age_seconds") <= 7.0
    assert result.get("chainwatch_solana_slot", commitment="processed") == 166600
    assert result.get("chainwatch_solana_slot", commitment="confirmed") == 166598
    assert result.get("chainwatch_solana_slot", commitment="finalized") == 166566
    assert result.get("chainwatch_solana_block_height") == 166500
    assert result.get("chainwatch_solana_epoch") == 27
    assert result.get("chainwatch_solana_epoch_progress_ratio") == pytest.approx(2790 / 8192, abs=1e-6)
    assert result.get("chainwatch_solana_transactions_per_second") == pytest.approx(263299 / 60, abs=1e-3)
    assert result.get("chainwatch_solana_slots_per_second") == pytest.approx(149 / 60, abs=1e-3)
    assert result.get("chainwatch_syncing") == 0
    assert result.get("chainwatch_solana_health_behind_slots") == 0
    assert result.get("chainwatch_node_info", client_version="solana-core/1.16.7") == 1
    # Everything but getBlockTime travels in one batch.
    assert rpc.batches == 1
    assert sorted(set(rpc.seen)) == sorted(
        ["getHealth", "getSlot", "getBlockHeight", "getEpochInfo", "getRecentPerformanceSamples", "getVersion", "getBlockTime"]
    )


async def test_no_mempool_metric_and_no_secret_in_exposition(probe):
    body = await probe.exposition(Rpc(node()))
    assert "chainwatch_head_height{" in body
    assert "chainwatch_mempool" not in body  # Solana has no public mempool: absent, not 0
    assert SECRET not in body


async def test_node_behind_is_data_not_a_failed_probe(probe):
    result = await probe.run(Rpc(node(getHealth={"error": BEHIND_42})))
    assert result.success, result.detail
    assert result.get("chainwatch_syncing") == 1
    assert result.get("chainwatch_solana_health_behind_slots") == 42


async def test_unhealthy_without_slot_count_is_syncing_with_unknown_distance(probe):
    result = await probe.run(Rpc(node(getHealth={"error": UNHEALTHY_UNKNOWN})))
    assert result.success, result.detail
    assert result.get("chainwatch_syncing") == 1
    assert result.get("chainwatch_solana_health_behind_slots") is None


async def test_behind_count_taken_from_message_when_data_lacks_it(probe):
    error = {"code": -32005, "message": "Node is behind by 7 slots"}
    result = await probe.run(Rpc(node(getHealth={"error": error})))
    assert result.success and result.get("chainwatch_solana_health_behind_slots") == 7


async def test_block_time_is_asked_once_per_confirmed_slot(probe):
    slot = {"n": 500}
    answers = node(**{"getSlot:confirmed": lambda p: slot["n"]})
    rpc = Rpc(answers)
    await probe.run(rpc)
    await probe.run(rpc)  # same confirmed slot (a halted cluster): cached time, no request
    assert rpc.seen.count("getBlockTime") == 1
    slot["n"] = 501
    result = await probe.run(rpc)
    assert rpc.seen.count("getBlockTime") == 2
    assert result.success


async def test_skipped_or_missing_block_time_leaves_head_age_unknown(probe):
    result = await probe.run(Rpc(node(getBlockTime={"error": SLOT_SKIPPED})))
    assert result.success, result.detail
    assert result.head_timestamp is None
    assert result.get("chainwatch_head_age_seconds") is None
    null = await Probe().run(Rpc(node(getBlockTime=None)))  # documented: null when unavailable
    assert null.success and null.head_timestamp is None


async def test_unsupported_optional_method_leaves_metric_absent(probe):
    result = await probe.run(Rpc(node(getRecentPerformanceSamples={"error": METHOD_NOT_FOUND})))
    assert result.success, result.detail
    assert result.get("chainwatch_solana_transactions_per_second") is None


async def test_fresh_node_without_performance_samples(probe):
    result = await probe.run(Rpc(node(getRecentPerformanceSamples=[])))
    assert result.success and result.get("chainwatch_solana_slots_per_second") is None


@pytest.mark.parametrize("bad", ["166598", -1, 1.5, True, None, 2**64])
async def test_slot_must_be_an_unsigned_integer(probe, bad):
    result = await probe.run(Rpc(node(**{"getSlot:confirmed": bad})))
    assert not result.success
    assert result.reason == "invalid_response"


async def test_epoch_info_checked_with_solders_types(probe):
    broken = {"absoluteSlot": 1, "blockHeight": 1, "epoch": -3, "slotIndex": 1, "slotsInEpoch": 8192}
    result = await probe.run(Rpc(node(getEpochInfo=broken)))
    # optional: the epoch metrics are dropped (counted), the probe is not failed
    assert (result.success, result.reason) == (True, None)
    assert result.get("chainwatch_solana_epoch") is None
    assert [f for f, _ in result.dropped] == ["getEpochInfo"]
    assert "getEpochInfo" in result.dropped[0][1]


async def test_other_rpc_errors_of_optional_methods_drop_them_with_no_secret(probe):
    error = {"code": -32000, "message": f"internal error talking to https://upstream/?api-key={SECRET}"}
    result = await probe.run(Rpc(node(getEpochInfo={"error": error})))
    assert (result.success, result.reason) == (True, None)
    ((field, detail),) = result.dropped
    assert field == "getEpochInfo" and detail.startswith("rpc_error") and SECRET not in detail


async def test_missing_confirmed_slot_fails_the_probe(probe):
    result = await probe.run(Rpc(node(**{"getSlot:confirmed": {"error": {"code": -32000, "message": "boom"}}})))
    assert (result.success, result.reason) == (False, "rpc_error")


async def test_provider_refusing_batches_gets_single_calls(probe):
    rpc = Rpc(node(), reject_batches=True)
    first = await probe.run(rpc)
    assert first.success, first.detail
    assert first.get("chainwatch_solana_slot", commitment="finalized") == 166566
    batches = rpc.batches
    second = await probe.run(rpc)
    assert second.success and rpc.batches == batches  # remembered: no batch tried again


async def test_endpoint_refusing_everything_keeps_batching(probe):
    rpc = Rpc(node(), reject_all=True)
    result = await probe.run(rpc)
    assert (result.success, result.reason) == (False, "rpc_error")
    await probe.run(rpc)
    assert rpc.batches == 2  # singles failed too: nothing learnt, the next round batches again


async def test_connection_error_is_redacted(probe):
    with aioresponses():  # nothing registered: aioresponses refuses the connection, quoting the URL
        deadline = asyncio.get_running_loop().time() + 2
        result = await probe.scheduler.probe(probe.state, deadline)
    assert (result.success, result.reason) == (False, "connect")
    assert SECRET not in result.detail


async def test_rate_limited(probe):
    with aioresponses() as mock:
        mock.post(URL, status=429, headers={"Retry-After": "7"})
        result = await probe.scheduler.probe(probe.state, asyncio.get_running_loop().time() + 2)
    assert (result.success, result.reason) == (False, "rate_limited")

"""The avalanche validator monitor against SIMULATED AvalancheGo nodes: median uptime, reward
runway, the ACP-267 requirement, L1 fee runway, a view that disagrees or stops answering."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

import pytest

from chainwatch.exporters.transport import Transport
from chainwatch.kinds.avalanche.monitor import reward_runway
from chainwatch.kinds.avalanche.simulator import Simulator

from tests.support.poll import async_wait_until

from .support import DAY, monitor, sample, sim_with


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


def test_reward_runway_is_the_downtime_still_allowed():
    # A 10-day validation, 5 days in, never down: 0.2 x 10 days of downtime allowed.
    assert reward_runway(1.0, 0, 10 * DAY, 5 * DAY, 0.8) == pytest.approx(2 * DAY)
    # 1 day down so far (u = 0.8 over 5 days): one more day allowed.
    assert reward_runway(0.8, 0, 10 * DAY, 5 * DAY, 0.8) == pytest.approx(1 * DAY)
    # The same at 90 %: nothing left.
    assert reward_runway(0.8, 0, 10 * DAY, 5 * DAY, 0.9) == pytest.approx(0)
    # After the end, the runway is frozen at its final value.
    assert reward_runway(0.85, 0, 10 * DAY, 11 * DAY, 0.8) == pytest.approx(0.05 * 10 * DAY)


async def test_median_uptime_and_runway_of_a_healthy_validator(transport):
    sim = sim_with(runway_seconds=2 * DAY)
    async with Simulator(sim) as server:
        m = monitor(sim, server, transport)
        await m.round()
    assert sample(m, "chainwatch_avalanche_validator_views", validator="val-1") == 3
    assert sample(m, "chainwatch_avalanche_validator_connected", validator="val-1", view="median") == 1
    assert sample(m, "chainwatch_avalanche_validator_uptime_requirement_ratio", validator="val-1") == 0.8
    # The simulator's uptime strings carry 4 decimals of a percent: 1e-6 x 7 days = 0.6 s.
    assert sample(m, "chainwatch_avalanche_validator_reward_runway_seconds", validator="val-1") == pytest.approx(2 * DAY, abs=2)
    assert sample(m, "chainwatch_avalanche_validator_uptime_ratio", validator="val-1", view="own") == pytest.approx(
        sample(m, "chainwatch_avalanche_validator_uptime_ratio", validator="val-1", view="median")
    )
    assert sample(m, "chainwatch_validator_monitor_failures_total") == 0


async def test_a_disconnected_validator_burns_its_runway_one_second_per_second(transport):
    sim = sim_with(runway_seconds=2 * DAY)
    async with Simulator(sim) as server:
        m = monitor(sim, server, transport)
        await m.round()
        before = sample(m, "chainwatch_avalanche_validator_reward_runway_seconds", validator="val-1")
        sim.control({"action": "disconnect", "validator": "val-1"})
        sim.validators["val-1"].down_since -= 3600  # down for an hour already
        await m.round()
    after = sample(m, "chainwatch_avalanche_validator_reward_runway_seconds", validator="val-1")
    assert before - after == pytest.approx(3600, abs=5)
    assert sample(m, "chainwatch_avalanche_validator_connected", validator="val-1", view="median") == 0


async def test_one_view_or_our_own_view_disagreeing_does_not_move_the_runway(transport):
    sim = sim_with(runway_seconds=2 * DAY)
    async with Simulator(sim) as server:
        m = monitor(sim, server, transport)
        await m.round()
        before = sample(m, "chainwatch_avalanche_validator_reward_runway_seconds", validator="val-1")
        for node in ("ref-1", "avax-1"):  # one reference and our own node see it down for 2 days
            sim.control({"action": "blind", "node": node, "validator": "val-1"})
            sim.nodes[node].blind["val-1"] -= 2 * DAY
        await m.round()
    assert sample(m, "chainwatch_avalanche_validator_reward_runway_seconds", validator="val-1") == pytest.approx(before, abs=2)
    assert sample(m, "chainwatch_avalanche_validator_connected", validator="val-1", view="median") == 1
    assert sample(m, "chainwatch_avalanche_validator_connected", validator="val-1", view="own") == 0
    own = sample(m, "chainwatch_avalanche_validator_uptime_ratio", validator="val-1", view="own")
    assert own < sample(m, "chainwatch_avalanche_validator_uptime_ratio", validator="val-1", view="median") - 0.2


async def test_a_view_that_stops_answering_is_tolerated_then_dropped(transport):
    sim = sim_with()
    async with Simulator(sim) as server:
        m = monitor(sim, server, transport)
        await m.round()
        del sim.nodes["ref-3"]  # answers 404 from now on
        await m.round()
        assert sample(m, "chainwatch_avalanche_validator_views", validator="val-1") == 3  # its last answer still counts
        assert sample(m, "chainwatch_validator_monitor_failures_total") == 0  # the other views answered
        for _ in range(6):
            await m.round()
    assert sample(m, "chainwatch_avalanche_validator_views", validator="val-1") == 2


async def test_every_view_failing_counts_a_failed_round(transport):
    sim = sim_with()
    async with Simulator(sim) as server:
        m = monitor(sim, server, transport)
        for node in list(sim.nodes):
            del sim.nodes[node]
        before = m.last_success
        await asyncio.sleep(0.01)
        await m.round()
    assert sample(m, "chainwatch_validator_monitor_failures_total") == 1
    assert m.last_success == before
    assert sample(m, "chainwatch_avalanche_validator_reward_runway_seconds", validator="val-1") is None


async def test_a_validation_starting_after_helicon_needs_90_percent(transport):
    sim = sim_with(runway_seconds=2 * DAY)
    start = int(sim.validators["val-1"].start)  # startTime is whole seconds
    async with Simulator(sim) as server:
        before = monitor(sim, server, transport, helicon_time=datetime.fromtimestamp(start + 1, timezone.utc).isoformat())
        after = monitor(sim, server, transport, helicon_time=datetime.fromtimestamp(start, timezone.utc).isoformat())
        await before.round()
        await after.round()
    assert sample(before, "chainwatch_avalanche_validator_uptime_requirement_ratio", validator="val-1") == 0.8
    assert sample(after, "chainwatch_avalanche_validator_uptime_requirement_ratio", validator="val-1") == 0.9
    v = sim.validators["val-1"]
    # 10 % more of the 14-day period is required: the runway is 1.4 days shorter.
    gap = sample(before, "chainwatch_avalanche_validator_reward_runway_seconds", validator="val-1") - sample(
        after, "chainwatch_avalanche_validator_reward_runway_seconds", validator="val-1"
    )
    assert gap == pytest.approx(0.1 * (int(v.end) - int(v.start)), abs=5)


async def test_l1_fee_runway_is_balance_over_price(transport):
    sim = sim_with(balance_navax=2 * 86400 * 512)  # two days at 512 nAVAX/s
    async with Simulator(sim) as server:
        m = monitor(sim, server, transport)
        await m.round()
    assert sample(m, "chainwatch_avalanche_l1_validator_fee_runway_seconds", validator="l1-1") == pytest.approx(2 * DAY, abs=10 * 1)
    assert sample(m, "chainwatch_avalanche_l1_validator_balance_avax", validator="l1-1") == pytest.approx(2 * 86400 * 512 / 1e9, rel=1e-3)
    assert sample(m, "chainwatch_avalanche_validator_fee_price_avax_per_second") == pytest.approx(512e-9)
    assert time.time() - sample(m, "chainwatch_validator_monitor_last_success_timestamp_seconds") < 30


async def test_a_view_with_a_malformed_uptime_is_left_out_of_the_median(transport):
    sim = sim_with(runway_seconds=2 * DAY)
    real = sim.platform

    def broken(n, method, params):
        out = real(n, method, params)
        if n.name == "ref-2" and method == "platform.getCurrentValidators":
            out["validators"][0]["uptime"] = "lots"
        return out

    async with Simulator(sim) as server:
        sim.platform = broken
        m = monitor(sim, server, transport)
        await m.round()
    assert sample(m, "chainwatch_avalanche_validator_views", validator="val-1") == 2
    assert sample(m, "chainwatch_avalanche_validator_reward_runway_seconds", validator="val-1") == pytest.approx(2 * DAY, abs=2)
    assert sample(m, "chainwatch_validator_monitor_failures_total") == 0  # the other views answered


async def test_a_validator_no_view_lists_and_an_unknown_validation_id_are_unresolved(transport):
    sim = sim_with()
    async with Simulator(sim) as server:
        m = monitor(sim, server, transport)
        await m.round()
        assert sample(m, "chainwatch_validator_monitor_unresolved_validators", group="ops", reason="not_found") == 0
        del sim.validators["val-1"]  # its validation ended
        sim.l1["l1-1"].validation_id = "2" * 45  # the P-chain knows another id now
        await m.round()
    assert sample(m, "chainwatch_validator_monitor_unresolved_validators", group="ops", reason="not_found") == 2
    assert sample(m, "chainwatch_avalanche_validator_reward_runway_seconds", validator="val-1") is None
    assert sample(m, "chainwatch_validator_monitor_failures_total") == 0


async def test_the_running_monitor_retries_failed_rounds_and_says_so_once(transport, caplog):
    # On the monitor base: rounds go on every interval after a failure, one warning a minute.
    sim = sim_with()
    caplog.set_level(logging.WARNING, logger="chainwatch.validators.avalanche")
    async with Simulator(sim) as server:
        m = monitor(sim, server, transport, interval_seconds=0.1)
        for node in list(sim.nodes):
            del sim.nodes[node]
        await m.start()
        try:
            await async_wait_until(lambda: sample(m, "chainwatch_validator_monitor_failures_total") >= 3, 10, "three failed rounds")
        finally:
            await m.stop()
    said = [r for r in caplog.records if r.getMessage() == "avalanche validator monitor round failed; retrying"]
    assert len(said) == 1 and said[0].chain == "sim"
    assert server.url("ref-1") not in said[0].detail  # endpoints' URLs are scrubbed

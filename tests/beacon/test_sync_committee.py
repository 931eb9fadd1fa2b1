"""Sync-committee duties against a simulated beacon node (fakebeacon.py: routes and shapes per
the Beacon API spec). The real-node counterpart is in test_lodestar.py.

The fake chain: 8 slots per epoch, 4 epochs per period; period 2 (epochs 8-11) has the
committee below, 0 and 6 hold two positions each; 6 and 7 are offline and never sign.
"""

from __future__ import annotations

import json

import pytest

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.kinds.beacon import synccommittee
from tests.support.fakeserver import FakeServer

from .fakebeacon import FakeBeacon, Validator
from .test_beacon_monitor import exposition, make, transport  # noqa: F401 (fixture)

PERIOD_2 = [0, 1, 6, 7, 0, 2, 6, 3]  # 4 and 5 are not in it
PERIOD_3 = [4, 5, 6, 4]
SKIPPED = 9 * 8 + 3


@pytest.fixture
def fake():
    node = FakeBeacon(slots_per_epoch=8, validators={i: Validator(i) for i in range(8)}, offline={6, 7})
    node.sync_committees = {2: PERIOD_2, 3: PERIOD_3}
    node.blocks = set(range(8 * 8, 16 * 8)) - {SKIPPED}
    with FakeServer() as srv:
        node.install(srv)
        node.srv = srv
        yield node


async def test_offline_members_miss_every_block_online_ones_none_and_skipped_slots_do_not_count(fake, transport, tmp_path):  # noqa: F811
    monitor = make(fake, transport, tmp_path)
    await monitor.step(now=fake.time_at(9, 0))  # epoch 9 current: its committee is read now
    await monitor.step(now=fake.time_at(10, 3))  # epoch 9 processed
    s = exposition(monitor)
    # 7 blocks in epoch 9 (one slot skipped); offline: 6 has two positions, 7 one.
    assert s.value("chainwatch_validator_sync_signatures_expected_total", group="offline") == 7 * 3
    assert s.value("chainwatch_validator_sync_signatures_missed_total", group="offline") == 7 * 3
    assert s.value("chainwatch_validator_consecutive_missed_sync_signatures", group="offline") == 7
    # online: 0 (two positions), 1, 2, 3 sign every block; 4 and 5 are not in the committee.
    assert s.value("chainwatch_validator_sync_signatures_expected_total", group="online") == 7 * 5
    assert s.value("chainwatch_validator_sync_signatures_missed_total", group="online") == 0
    assert s.value("chainwatch_validator_consecutive_missed_sync_signatures", group="online") == 0
    assert s.value("chainwatch_validator_sync_committee_members", group="online", period="current") == 4
    assert s.value("chainwatch_validator_sync_committee_members", group="offline", period="current") == 2
    assert s.value("chainwatch_validator_sync_committee_members", group="online", period="next") == 2
    assert s.value("chainwatch_validator_sync_committee_members", group="offline", period="next") == 1
    assert fake.block_calls.count(SKIPPED) == 1

    await monitor.step(now=fake.time_at(11, 3))  # epoch 10: 8 blocks, the run goes on
    s = exposition(monitor)
    assert s.value("chainwatch_validator_consecutive_missed_sync_signatures", group="offline") == 15
    assert s.value("chainwatch_validator_sync_signatures_missed_total", group="offline") == 15 * 3

    # Validator 6 comes back in the middle of nothing: one signed block ends its run; 7's goes on.
    fake.offline = {7}
    await monitor.step(now=fake.time_at(12, 3))
    s = exposition(monitor)
    assert s.value("chainwatch_validator_consecutive_missed_sync_signatures", group="offline") == 23
    assert s.value("chainwatch_validator_sync_signatures_missed_total", group="offline") == 15 * 3 + 8

    # Period 3: 7 is out of the committee (silent, its run is gone); 6 is in and signs.
    await monitor.step(now=fake.time_at(13, 3))
    s = exposition(monitor)
    assert s.value("chainwatch_validator_consecutive_missed_sync_signatures", group="offline") == 0
    assert s.value("chainwatch_validator_sync_signatures_missed_total", group="offline") == 15 * 3 + 8


async def test_runs_survive_a_restart_and_nothing_is_counted_twice(fake, transport, tmp_path):  # noqa: F811
    monitor = make(fake, transport, tmp_path)
    await monitor.step(now=fake.time_at(9, 0))
    await monitor.step(now=fake.time_at(10, 3))
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["sync_consecutive"] == {"offline|6": 7, "offline|7": 7, "online|0": 0, "online|1": 0, "online|2": 0, "online|3": 0}

    again = make(fake, transport, tmp_path)  # a restart: epoch 10's committee, read while current, comes from the state file
    await again.step(now=fake.time_at(11, 3))
    assert fake.sync_committee_calls.count(10) == 1
    s = exposition(again)
    assert s.value("chainwatch_validator_consecutive_missed_sync_signatures", group="offline") == 15
    assert s.value("chainwatch_validator_sync_signatures_missed_total", group="offline") == 45
    assert s.value("chainwatch_validator_sync_signatures_missed_total", group="online") == 0


async def test_before_altair_no_committee_no_block_reads_and_zeros(fake, transport, tmp_path):  # noqa: F811
    fake.sync_committees = {}
    monitor = make(fake, transport, tmp_path)
    await monitor.step(now=fake.time_at(9, 0))
    await monitor.step(now=fake.time_at(10, 3))
    assert fake.block_calls == []  # nobody watched is in a committee: no block is fetched
    s = exposition(monitor)
    assert s.value("chainwatch_validator_sync_signatures_expected_total", group="offline") == 0
    assert s.value("chainwatch_validator_consecutive_missed_sync_signatures", group="offline") == 0
    assert s.value("chainwatch_validator_sync_committee_members", group="offline", period="current") == 0
    assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 2  # the rest of the monitor goes on


async def test_an_unreadable_sync_aggregate_is_dropped_and_counted_not_a_miss(fake, transport, tmp_path):  # noqa: F811
    fake.srv.route(
        "GET", "/eth/v2/beacon/blocks/72", json_body={"data": {"message": {"slot": "72", "body": {"sync_aggregate": {"sync_committee_bits": "0xzz"}}}}}
    )
    monitor = make(fake, transport, tmp_path)
    await monitor.step(now=fake.time_at(9, 0))
    await monitor.step(now=fake.time_at(10, 3))
    s = exposition(monitor)
    assert s.value("chainwatch_validator_sync_signatures_missed_total", group="offline") == 6 * 3  # slot 72 left out, 73 skipped
    assert s.value("chainwatch_validator_monitor_dropped_entries_total", field="sync_aggregate") == 1


def test_bits_are_little_endian_per_byte():
    assert [i for i, b in enumerate(synccommittee.bits("0x0501", 16)) if b] == [0, 2, 8]
    with pytest.raises(ProbeFailure):
        synccommittee.bits("0x05", 16)  # 8 bits for a committee of 16
    with pytest.raises(ProbeFailure):
        synccommittee.bits("05", 8)


async def test_the_genesis_block_is_no_duty(fake, transport, tmp_path):  # noqa: F811
    """Slot 0's block carries an empty aggregate (there was no earlier slot to sign): online members miss nothing."""
    fake.sync_committees = {0: PERIOD_2}
    fake.blocks = set(range(0, 16))
    monitor = make(fake, transport, tmp_path)
    await monitor.step(now=fake.time_at(0, 0))
    await monitor.step(now=fake.time_at(1, 3))
    assert 0 not in fake.block_calls
    s = exposition(monitor)
    assert s.value("chainwatch_validator_sync_signatures_expected_total", group="online") == 7 * 5
    assert s.value("chainwatch_validator_sync_signatures_missed_total", group="online") == 0

"""Validator monitor logic against a simulated beacon node (see fakebeacon.py for why simulated).

aioresponses would be the aiohttp mock (our transport is aiohttp) but does not work with
aiohttp 3.14; the fake node is a real loopback server. The real-node counterpart is
test_lodestar.py. Time is driven by the test: ``monitor.step(now=fake.time_at(epoch, slot))``.
"""

from __future__ import annotations

import json
import logging

import pytest

from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render
from chainwatch.exporters.transport import Transport
from chainwatch.exporters.monitors import monitor_for
from tests.support.fakeserver import FakeServer
from tests.support.hostile import refused_url
from tests.support.stack import Samples

from .fakebeacon import PUBKEYS, FakeBeacon, Validator


def config_text(url: str, state_file, *, groups: dict, fallback_url: str | None = None, per_validator: bool = False, cap: int = 64) -> str:
    endpoints = [{"name": "bn-1", "url": url}]
    validators = {"endpoint": "bn-1", "groups": groups, "state_file": str(state_file), "per_validator_metrics": per_validator, "per_validator_cap": cap}
    if fallback_url:
        endpoints.insert(0, {"name": "bn-0", "url": fallback_url})
        validators["endpoint"], validators["fallbacks"] = "bn-0", ["bn-1"]
    chain = {"kind": "beacon", "network": "mainnet", "endpoints": endpoints, "validators": validators}
    return json.dumps({"chains": {"eth-cl": chain}})


@pytest.fixture
def fake():
    node = FakeBeacon(validators={i: Validator(i) for i in range(8)}, offline={6, 7})
    with FakeServer() as srv:
        node.install(srv)
        node.srv = srv
        yield node


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


def make(fake, transport, tmp_path, **kw):
    kw.setdefault("groups", {"online": [0, 1, 2, 3, 4, 5], "offline": [6, PUBKEYS[7]]})
    config = parse(config_text(fake.srv.url(""), tmp_path / "state.json", **kw), env={})
    return monitor_for("eth-cl", config.chains["eth-cl"], transport, config.exporter)


def exposition(monitor) -> Samples:
    return Samples.parse(render(monitor.samples()).decode())  # through the catalog: wrong labels raise


async def test_counters_exist_at_zero_before_the_first_epoch(fake, transport, tmp_path):
    s = exposition(make(fake, transport, tmp_path))
    for group in ("online", "offline"):
        assert s.value("chainwatch_validator_attestations_missed_total", group=group) == 0
        assert s.value("chainwatch_validator_attestations_checked_total", group=group) == 0
        assert s.value("chainwatch_validator_proposals_missed_total", group=group) == 0
        assert s.value("chainwatch_validator_consecutive_missed_attestations", group=group) == 0
    assert s.value("chainwatch_validator_monitor_epochs_skipped_total") == 0
    assert s.value("chainwatch_validator_monitor_last_epoch") is None  # nothing processed yet: absent, not 0


async def test_post_liveness_current_spec_counts_misses_per_group(fake, transport, tmp_path):
    monitor = make(fake, transport, tmp_path)
    await monitor.step(now=fake.time_at(10, 2))  # too early in epoch 10 to judge epoch 9
    assert fake.liveness_calls == []
    await monitor.step(now=fake.time_at(10, 9))
    await monitor.step(now=fake.time_at(11, 9))
    assert [(how, e) for how, e, _ in fake.liveness_calls] == [("post", 9), ("post", 10)]
    assert sorted(fake.liveness_calls[0][2]) == list(range(8))  # pubkey of 7 resolved to its index
    s = exposition(monitor)
    assert s.value("chainwatch_validator_attestations_checked_total", group="offline") == 4
    assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 4
    assert s.value("chainwatch_validator_consecutive_missed_attestations", group="offline") == 2
    assert s.value("chainwatch_validator_attestations_checked_total", group="online") == 12
    assert s.value("chainwatch_validator_attestations_missed_total", group="online") == 0
    assert s.value("chainwatch_validator_consecutive_missed_attestations", group="online") == 0
    assert s.value("chainwatch_validator_monitor_last_epoch") == 10
    assert s.value("chainwatch_validators", group="online", status="active_ongoing") == 6
    assert s.value("chainwatch_validators", group="online", status="exited_unslashed") == 0
    assert s.value("chainwatch_validator_effective_balance_wei", group="offline") == 64 * 10**18
    # The node comes back: the run of misses resets, the counter does not.
    fake.offline = set()
    await monitor.step(now=fake.time_at(12, 9))
    s = exposition(monitor)
    assert s.value("chainwatch_validator_consecutive_missed_attestations", group="offline") == 0
    assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 4


async def test_get_liveness_fallback_for_lodestar_1_5_1(fake, transport, tmp_path):
    fake.legacy = True
    monitor = make(fake, transport, tmp_path)
    await monitor.step(now=fake.time_at(4, 9))
    await monitor.step(now=fake.time_at(5, 9))
    assert [(how, e) for how, e, _ in fake.liveness_calls] == [("get", 3), ("get", 4)]  # POST tried once, then remembered
    assert fake.srv.calls("POST", "/eth/v1/validator/liveness/3") == 1
    assert fake.srv.calls("POST", "/eth/v1/validator/liveness/4") == 0
    s = exposition(monitor)
    assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 4
    assert s.value("chainwatch_validator_attestations_missed_total", group="online") == 0


async def test_inactive_validators_are_not_missing(fake, transport, tmp_path):
    fake.validators[6] = Validator(6, status="pending_queued", activation_epoch=FAR_EPOCH)
    fake.validators[7] = Validator(7, status="exited_unslashed", exit_epoch=3, effective_balance=0)
    monitor = make(fake, transport, tmp_path)
    await monitor.step(now=fake.time_at(8, 9))
    assert sorted(fake.liveness_calls[0][2]) == [0, 1, 2, 3, 4, 5]  # 6 and 7 are not even asked
    s = exposition(monitor)
    assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 0
    assert s.value("chainwatch_validator_attestations_checked_total", group="offline") == 0
    assert s.value("chainwatch_validators", group="offline", status="pending_queued") == 1
    assert s.value("chainwatch_validators", group="offline", status="exited_unslashed") == 1
    assert s.value("chainwatch_validators", group="offline", status="active_ongoing") == 0


FAR_EPOCH = 2**64 - 1


async def test_unknown_pubkey_is_reported_not_missing(fake, transport, tmp_path):
    monitor = make(fake, transport, tmp_path, groups={"new": ["0x" + "ab" * 48, 1]})
    await monitor.step(now=fake.time_at(8, 9))
    s = exposition(monitor)
    assert s.value("chainwatch_validators", group="new", status="unknown") == 1
    assert s.value("chainwatch_validator_monitor_unresolved_validators", group="new", reason="not_found") == 1  # never checked: said, not a quiet zero
    assert s.value("chainwatch_validator_monitor_unresolved_validators", group="new", reason="unreadable") == 0
    assert s.value("chainwatch_validator_attestations_checked_total", group="new") == 1


async def test_missed_proposals_from_duties_read_while_the_epoch_was_current(fake, transport, tmp_path):
    spe = fake.slots_per_epoch
    fake.duties[5] = [(5 * spe + 1, 0), (5 * spe + 2, 6), (5 * spe + 3, 3)]  # 3 is unwatched below
    fake.blocks = {5 * spe + 1}
    monitor = make(fake, transport, tmp_path, groups={"online": [0, 1], "offline": [6]})
    await monitor.step(now=fake.time_at(5, 9))  # reads epoch 5's duties (and processes epoch 4)
    await monitor.step(now=fake.time_at(6, 9))  # epoch 5 is over: duties vs blocks
    s = exposition(monitor)
    assert s.value("chainwatch_validator_proposals_total", group="online") == 1
    assert s.value("chainwatch_validator_proposals_missed_total", group="online") == 0
    assert s.value("chainwatch_validator_proposals_total", group="offline") == 1
    assert s.value("chainwatch_validator_proposals_missed_total", group="offline") == 1
    assert fake.srv.calls("GET", f"/eth/v1/beacon/headers/{5 * spe + 3}") == 0  # unwatched proposer: not queried


async def test_restart_neither_double_counts_nor_forgets(fake, transport, tmp_path):
    spe = fake.slots_per_epoch
    fake.duties[6] = [(6 * spe + 4, 7)]
    first = make(fake, transport, tmp_path)
    await first.step(now=fake.time_at(6, 9))  # epoch 5 counted, epoch 6 duties remembered
    # Restart in the same epoch: nothing is counted again.
    second = make(fake, transport, tmp_path)
    await second.step(now=fake.time_at(6, 20))
    assert len(fake.liveness_calls) == 1
    s = exposition(second)
    assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 2
    assert s.value("chainwatch_validator_monitor_last_epoch") == 5
    # Next epoch: exactly epoch 6, with the duties the first process saved.
    await second.step(now=fake.time_at(7, 9))
    s = exposition(second)
    assert [e for _, e, _ in fake.liveness_calls] == [5, 6]
    assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 4
    assert s.value("chainwatch_validator_attestations_checked_total", group="online") == 12
    assert s.value("chainwatch_validator_proposals_missed_total", group="offline") == 1
    assert s.value("chainwatch_validator_monitor_epochs_skipped_total") == 0
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["last_epoch"] == 6 and saved["groups"]["offline"]["missed"] == 4
    assert not list(tmp_path.glob(".state.json.*"))  # no temp file left behind


async def test_gap_too_old_to_query_is_counted_as_skipped_and_logged(fake, transport, tmp_path, caplog):
    first = make(fake, transport, tmp_path)
    await first.step(now=fake.time_at(6, 9))  # epoch 5
    second = make(fake, transport, tmp_path)
    with caplog.at_level(logging.WARNING, logger="chainwatch.validators.beacon"):
        await second.step(now=fake.time_at(10, 9))  # 6, 7, 8 can no longer be queried; 9 can
    assert [e for _, e, _ in fake.liveness_calls] == [5, 9]
    s = exposition(second)
    assert s.value("chainwatch_validator_monitor_epochs_skipped_total") == 3
    assert s.value("chainwatch_validator_monitor_last_epoch") == 9
    assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 4  # epochs 5 and 9 only
    assert any("skipped" in r.getMessage() and r.epochs == 3 for r in caplog.records)


async def test_failed_epoch_is_retried_inside_its_window_then_skipped(fake, transport, tmp_path):
    from chainwatch.kinds.beacon.monitor import AllEndpointsFailed

    monitor = make(fake, transport, tmp_path)
    fake.fail_liveness = 1
    with pytest.raises(AllEndpointsFailed):
        await monitor.step(now=fake.time_at(6, 9))
    assert exposition(monitor).value("chainwatch_validator_attestations_checked_total", group="offline") == 0
    await monitor.step(now=fake.time_at(6, 10))  # retried: epoch 5 counted once
    assert exposition(monitor).value("chainwatch_validator_attestations_missed_total", group="offline") == 2
    fake.fail_liveness = 10
    with pytest.raises(AllEndpointsFailed):
        await monitor.step(now=fake.time_at(7, 9))  # epoch 6 fails all through epoch 7
    fake.fail_liveness = 0
    await monitor.step(now=fake.time_at(8, 9))  # epoch 6 is too old now: skipped; epoch 7 counted
    s = exposition(monitor)
    assert s.value("chainwatch_validator_monitor_epochs_skipped_total") == 1
    assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 4


async def test_state_of_another_chain_is_ignored(fake, transport, tmp_path):
    (tmp_path / "state.json").write_text(
        json.dumps({"version": 1, "genesis_time": 1, "last_epoch": 2, "skipped": 99, "groups": {"offline": {"missed": 50}}, "consecutive": {}, "duties": {}})
    )
    monitor = make(fake, transport, tmp_path)
    await monitor.step(now=fake.time_at(6, 9))
    s = exposition(monitor)
    assert s.value("chainwatch_validator_monitor_epochs_skipped_total") == 0
    assert s.value("chainwatch_validator_attestations_missed_total", group="offline") == 2


async def test_fallback_endpoint_when_the_first_is_down(fake, transport, tmp_path):
    config = parse(config_text(fake.srv.url(""), tmp_path / "state.json", groups={"offline": [6, 7]}, fallback_url=refused_url()), env={})
    monitor = monitor_for("eth-cl", config.chains["eth-cl"], transport, config.exporter)
    await monitor.step(now=fake.time_at(6, 9))
    assert exposition(monitor).value("chainwatch_validator_attestations_missed_total", group="offline") == 2


@pytest.mark.parametrize("enabled,cap,expected", [(False, 64, 0), (True, 64, 8), (True, 3, 3), (True, 0, 0)])
async def test_per_validator_series_only_when_enabled_and_capped(fake, transport, tmp_path, enabled, cap, expected):
    monitor = make(fake, transport, tmp_path, per_validator=enabled, cap=cap)
    await monitor.step(now=fake.time_at(6, 9))
    s = exposition(monitor)
    assert len(s.find("chainwatch_validator_missed_attestations_consecutive")) == expected
    assert len(s.find("chainwatch_validator_status")) == expected
    if enabled and cap >= 8:
        assert s.value("chainwatch_validator_missed_attestations_consecutive", group="offline", validator="7") == 1
        assert s.value("chainwatch_validator_status", validator="7", status="active_ongoing") == 1


async def test_a_saved_epoch_that_has_not_ended_fails_warns_once_and_resyncs(fake, transport, tmp_path, caplog):
    """The host clock stepped back (or the chain was reset with the same genesis): the saved
    epoch is ahead. Nothing is counted and nothing is a success until the monitor, after 3
    rounds, restarts at the last ended epoch (issue #35)."""
    first = make(fake, transport, tmp_path)
    await first.step(now=fake.time_at(6, 9))  # epoch 5 counted
    saved = json.loads((tmp_path / "state.json").read_text())
    (tmp_path / "state.json").write_text(json.dumps({**saved, "last_epoch": 40}))
    second = make(fake, transport, tmp_path)
    started = exposition(second).value("chainwatch_validator_monitor_last_success_timestamp_seconds")
    with caplog.at_level(logging.INFO, logger="chainwatch.validators"):
        for slot in (9, 10):
            await second.step(now=fake.time_at(7, slot))
            s = exposition(second)
            assert s.value("chainwatch_validator_monitor_last_success_timestamp_seconds") == started
            assert s.value("chainwatch_validator_monitor_resyncs_total", reason="ahead_of_chain") == 0
        assert s.value("chainwatch_validator_monitor_failures_total") == 2
        assert [e for _, e, _ in fake.liveness_calls] == [5]
        await second.step(now=fake.time_at(7, 11))
    s = exposition(second)
    assert s.value("chainwatch_validator_monitor_resyncs_total", reason="ahead_of_chain") == 1
    assert [e for _, e, _ in fake.liveness_calls] == [5, 6]  # restarted at the last ended epoch
    assert s.value("chainwatch_validator_monitor_last_epoch") == 6
    assert s.value("chainwatch_validator_monitor_last_success_timestamp_seconds") > started
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and "ahead" in r.getMessage()]
    assert warned == ["validator monitor position is ahead of the chain; counting nothing"]

"""Kinds 5, 6 and 7 of issue #14 for the beacon validator monitor, replaying recorded answers.

The server replays the Lighthouse answers recorded on Sepolia (tests/fixtures/field/
sepolia-lighthouse/, see its README): validators 1979 and 1985 are ``active_ongoing`` and
``is_live: false`` in epochs 240248 and 240249. Time is driven by the test
(``monitor.step(now=...)``), so the recorded epochs are "current" when they are asked.
"""

from __future__ import annotations

import copy
import json
import logging

import pytest

from chainwatch.assembly.config import parse
from chainwatch.exporters.exposition import render
from chainwatch.exporters.monitors import monitor_for
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.beacon import monitor as beacon_monitor
from chainwatch.kinds.beacon.monitor import AllEndpointsFailed
from tests.support.fakeserver import FakeServer
from tests.support.poll import async_wait_until
from tests.support.stack import Samples

from .support import fixture

REC = "sepolia-lighthouse/"
GENESIS = int(fixture(REC + "genesis.json")["data"]["genesis_time"])
PUBKEY_1979 = next(r["validator"]["pubkey"] for r in fixture(REC + "validators_7687968.json")["data"] if r["index"] == "1979")


def time_at(epoch: int, slot: int) -> float:
    return GENESIS + (epoch * 32 + slot) * 12 + 0.5


class Replay:
    """The recorded answers, filtered as a beacon node filters them (ids, indices)."""

    def __init__(self, srv: FakeServer):
        self.srv = srv
        self.rows = copy.deepcopy(fixture(REC + "validators_7687968.json")["data"])
        self.extra_rows: list = []
        self.liveness = {e: copy.deepcopy(fixture(REC + f"liveness_{e}.json")) for e in (240248, 240249)}
        self.duties = {e: copy.deepcopy(fixture(REC + f"duties_{e}.json")) for e in (240249, 240250)}
        self.liveness_status = 200
        srv.route("GET", "/eth/v1/beacon/genesis", json_body=fixture(REC + "genesis.json"))
        srv.route("GET", "/eth/v1/config/spec", json_body=fixture(REC + "spec.json"))
        srv.route("GET", "/eth/v1/beacon/states/head/validators", self.validators)
        for epoch in self.liveness:
            srv.route("POST", f"/eth/v1/validator/liveness/{epoch}", self.live(epoch))
        for epoch in self.duties:
            srv.route("GET", f"/eth/v1/validator/duties/proposer/{epoch}", lambda r, raw, e=epoch: self.duties[e])

    def validators(self, request, raw):
        ids = request.query.getall("id", [])
        rows = [r for r in self.rows if r["index"] in ids or r["validator"]["pubkey"].lower() in ids]
        return {"execution_optimistic": False, "finalized": False, "data": rows + self.extra_rows}

    def live(self, epoch):
        def handler(request, raw):
            if self.liveness_status != 200:
                return self.liveness_status, {"code": self.liveness_status, "message": "BAD_REQUEST: liveness refused"}
            asked = json.loads(raw)
            return {"data": [row for row in self.liveness[epoch]["data"] if row["index"] in asked] + self.liveness[epoch].get("extra", [])}

        return handler


@pytest.fixture
def replay():
    with FakeServer() as srv:
        yield Replay(srv)


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


def monitor_of(replay, transport, tmp_path, groups, per_validator=True):
    chain = {
        "kind": "beacon",
        "network": "sepolia",
        "endpoints": [{"name": "lighthouse-rec", "url": replay.srv.url("")}],
        "validators": {"endpoint": "lighthouse-rec", "groups": groups, "per_validator_metrics": per_validator, "state_file": str(tmp_path / "state.json")},
    }
    config = parse(json.dumps({"chains": {"sepolia-cl": chain}}), env={})
    return monitor_for("sepolia-cl", config.chains["sepolia-cl"], transport, config.exporter)


def exposition(monitor) -> Samples:
    return Samples.parse(render(monitor.samples()).decode())


OVERLAP = {"operator-x": [1979], "client-lighthouse": [1979], "solo": [1985]}


async def test_overlapping_groups_count_each_miss_once_per_group(replay, transport, tmp_path):
    # Field case beacon-consecutive-overlapping-groups: expected 1 then 2 in every group.
    monitor = monitor_of(replay, transport, tmp_path, OVERLAP)
    for epoch, run in ((240248, 1), (240249, 2)):
        await monitor.step(now=time_at(epoch + 1, 9))
        s = exposition(monitor)
        assert s.value("chainwatch_validator_monitor_last_epoch") == epoch
        for group in OVERLAP:
            assert s.value("chainwatch_validator_consecutive_missed_attestations", group=group) == run, group
            assert s.value("chainwatch_validator_attestations_missed_total", group=group) == run
            assert s.value("chainwatch_validator_attestations_checked_total", group=group) == run
        assert s.value("chainwatch_validator_missed_attestations_consecutive", group="operator-x", validator="1979") == run
        assert s.value("chainwatch_validator_missed_attestations_consecutive", group="client-lighthouse", validator="1979") == run
    saved = json.loads((tmp_path / "state.json").read_text())
    assert saved["consecutive"] == {"operator-x|1979": 2, "client-lighthouse|1979": 2, "solo|1985": 2}


async def test_validator_listed_twice_in_one_group_counts_once(replay, transport, tmp_path):
    monitor = monitor_of(replay, transport, tmp_path, {"dup": [1979, PUBKEY_1979, 1979], "solo": [1985]})
    await monitor.step(now=time_at(240249, 9))
    s = exposition(monitor)
    assert s.value("chainwatch_validator_attestations_missed_total", group="dup") == 1
    assert s.value("chainwatch_validator_attestations_checked_total", group="dup") == 1
    assert s.value("chainwatch_validator_consecutive_missed_attestations", group="dup") == 1
    assert s.value("chainwatch_validators", group="dup", status="active_ongoing") == 1
    balance = int(next(r for r in fixture(REC + "validators_7687968.json")["data"] if r["index"] == "1979")["validator"]["effective_balance"])
    assert s.value("chainwatch_validator_effective_balance_wei", group="dup") == balance * 10**9  # once, not twice


async def test_version_1_state_file_runs_are_split_per_group(replay, transport, tmp_path):
    # 0.1.0 kept one run per index, incremented once per membership: 1979 in 2 groups, 1 epoch -> 2.
    (tmp_path / "state.json").write_text(
        json.dumps(
            {
                "version": 1,
                "genesis_time": GENESIS,
                "last_epoch": 240248,
                "skipped": 0,
                "groups": {g: {} for g in OVERLAP},
                "consecutive": {"1979": 2, "1985": 1},
                "duties": {},
            }
        )
    )
    monitor = monitor_of(replay, transport, tmp_path, OVERLAP)
    await monitor.step(now=time_at(240250, 9))
    s = exposition(monitor)
    for group in OVERLAP:
        assert s.value("chainwatch_validator_consecutive_missed_attestations", group=group) == 2, group


@pytest.mark.parametrize(
    "broken, field",
    [
        ("validator_row_garbage", "validator_row"),
        ("validator_row_unknown_status", "validator_status"),
        ("liveness_row_garbage", "liveness_row"),
        ("duty_garbage", "proposer_duty"),
    ],
)
async def test_one_bad_list_entry_affects_only_that_entry(replay, transport, tmp_path, broken, field):
    if broken == "validator_row_garbage":
        replay.extra_rows = [{"index": "not-a-number", "status": "active_ongoing", "validator": {}}, "x"]
    elif broken == "validator_row_unknown_status":
        next(r for r in replay.rows if r["index"] == "1985")["status"] = "active_future_fork_status"
    elif broken == "liveness_row_garbage":
        replay.liveness[240248]["extra"] = [{"index": "1985", "is_live": "maybe"}, {"index": None, "is_live": True}, 7]
    elif broken == "duty_garbage":
        replay.duties[240249]["data"] += [{"slot": "x", "validator_index": "1979"}, None, {"slot": "7687999", "validator_index": "-1"}]
    monitor = monitor_of(replay, transport, tmp_path, OVERLAP)
    await monitor.step(now=time_at(240249, 9))
    s = exposition(monitor)
    assert s.value("chainwatch_validator_monitor_last_epoch") == 240248  # the epoch was processed
    for group in OVERLAP:
        assert s.value("chainwatch_validator_attestations_missed_total", group=group) == 1, group
    assert s.value("chainwatch_validator_monitor_dropped_entries_total", field=field) >= 1
    if broken == "validator_row_unknown_status":  # still checked (activation/exit epochs), shown as unknown
        assert s.value("chainwatch_validators", group="solo", status="unknown") == 1


async def test_validator_without_a_liveness_answer_is_left_out_of_that_epoch(replay, transport, tmp_path):
    replay.liveness[240248]["data"] = [r for r in replay.liveness[240248]["data"] if r["index"] != "1985"]
    monitor = monitor_of(replay, transport, tmp_path, OVERLAP)
    await monitor.step(now=time_at(240249, 9))
    s = exposition(monitor)
    assert s.value("chainwatch_validator_attestations_checked_total", group="operator-x") == 1
    assert s.value("chainwatch_validator_attestations_checked_total", group="solo") == 0  # neither checked nor missed
    assert s.value("chainwatch_validator_monitor_dropped_entries_total", field="liveness_row") == 1


async def test_monitor_that_never_succeeds_exports_its_health_from_the_first_second(replay, transport, tmp_path):
    # Field case liveness-refused-silent: liveness answers 400 from the start.
    replay.liveness_status = 400
    monitor = monitor_of(replay, transport, tmp_path, OVERLAP)
    s = exposition(monitor)
    assert s.value("chainwatch_validator_monitor_last_success_timestamp_seconds") == pytest.approx(monitor.started, abs=0.01)
    assert s.value("chainwatch_validator_monitor_failures_total") == 0
    with pytest.raises(AllEndpointsFailed):
        await monitor.step(now=time_at(240249, 9))
    monitor.failures += 1  # what _loop counts for that failed round (see the loop test below)
    s = exposition(monitor)
    assert s.value("chainwatch_validator_monitor_last_success_timestamp_seconds") == pytest.approx(monitor.started, abs=0.01)
    assert s.value("chainwatch_validator_monitor_last_epoch") is None
    assert s.value("chainwatch_validators", group="solo", status="active_ongoing") == 1  # statuses were read: fresh
    # STALE_EPOCHS epochs later nothing was refreshed: the gauges go, the counters and health stay.
    monitor.started -= beacon_monitor.STALE_EPOCHS * 384 + 1
    monitor.refreshed -= beacon_monitor.STALE_EPOCHS * 384 + 1
    s = exposition(monitor)
    assert s.find("chainwatch_validators") == []
    assert s.find("chainwatch_validator_consecutive_missed_attestations") == []
    assert s.find("chainwatch_validator_effective_balance_wei") == []
    assert s.value("chainwatch_validator_attestations_missed_total", group="solo") == 0
    assert s.value("chainwatch_validator_monitor_failures_total") == 1
    assert s.value("chainwatch_validator_monitor_last_success_timestamp_seconds") == pytest.approx(monitor.started, abs=0.01)


async def test_failing_monitor_warns_once_a_minute_not_once_per_epoch(replay, transport, tmp_path, caplog, monkeypatch):
    # 0.1.0 reset its "failing since" whenever step() returned early to wait for the next epoch.
    monitor = monitor_of(replay, transport, tmp_path, OVERLAP)
    calls = 0

    async def step(now=None):
        nonlocal calls
        calls += 1
        if calls % 2:
            raise AllEndpointsFailed("liveness", ["lighthouse-rec: http_status: HTTP 400"])
        return 0.0  # "wait for the next epoch"

    monkeypatch.setattr(monitor, "step", step)
    monitor.clock = beacon_monitor.Clock(GENESIS, 0.2, 32)  # retry a failed round after 0.2 s (one slot)
    caplog.set_level(logging.WARNING, logger="chainwatch.validators.beacon")
    await monitor.start()
    try:
        await async_wait_until(lambda: calls >= 6, 10, "six monitor rounds (0.2 s retries)", interval=0.05)
    finally:
        await monitor.stop()
    assert calls >= 6 and monitor.failures >= 3
    assert [r.getMessage() for r in caplog.records].count("validator monitor round failed; retrying") == 1

"""Scheduled beacon forks: the probe reads ``/eth/v1/config/fork_schedule`` (kinds/beacon/upgrade.py).

The node's answers are Lodestar 1.5.1's own, recorded from a real ``lodestar dev`` chain
(tests/beacon/lodestar_fork_schedule.json: Altair at epoch 0, Bellatrix at epoch 100000,
Capella and EIP-4844 at FAR_FUTURE_EPOCH) and served by a loopback FakeServer with the genesis
moved to now, so no Lodestar is started (a real one takes ~10 s to answer).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.kinds.beacon import upgrade
from chainwatch.kinds.beacon.probe import uint
from tests.beacon.test_beacon_probe import install, scrape
from tests.support.fakeserver import FakeServer

RECORDED = json.loads((Path(__file__).parent / "lodestar_fork_schedule.json").read_text())
NODE = {"endpoint": "bn-1"}


def serve_lodestar(srv: FakeServer, genesis: int, *, without_bellatrix: bool = False) -> None:
    install(srv, "/node", head=0, genesis=genesis)
    spec = RECORDED["spec"]
    genesis_answer = json.loads(json.dumps(RECORDED["genesis"]))
    genesis_answer["data"]["genesis_time"] = str(genesis)
    schedule = json.loads(json.dumps(RECORDED["fork_schedule"]))
    if without_bellatrix:  # an older release: the fork is not in its schedule
        for fork in schedule["data"]:
            if fork["current_version"] == spec["data"]["BELLATRIX_FORK_VERSION"]:
                fork["epoch"] = str(upgrade.FAR_FUTURE_EPOCH)
    srv.route("GET", "/node/eth/v1/config/spec", json_body=spec)
    srv.route("GET", "/node/eth/v1/beacon/genesis", json_body=genesis_answer)
    srv.route("GET", "/node/eth/v1/config/fork_schedule", json_body=schedule)
    srv.route("GET", "/node/eth/v1/node/version", json_body=RECORDED["version"])  # Lodestar/v1.5.1/2115aa7


def config_text(srv: FakeServer, upgrades: dict | None) -> str:
    chain = {"kind": "beacon", "network": "dev", "seconds_per_slot": 1, "slots_per_epoch": 8, "endpoints": [{"name": "bn-1", "url": srv.url("/node")}]}
    if upgrades is not None:
        chain["upgrades"] = upgrades
    return json.dumps({"chains": {"dev-cl": chain}})


@pytest.fixture
def srv():
    with FakeServer() as server:
        yield server


async def test_the_next_fork_of_lodestars_schedule_with_its_start_and_the_version_below_the_minimum(srv):
    genesis = int(time.time()) - 100  # epoch 12 of 8 one-second slots
    serve_lodestar(srv, genesis)
    _, s = await scrape(config_text(srv, {"min_version": "1.6.0"}), rounds=2)
    # Bellatrix at epoch 100000: slot 800000, 800000 s after genesis; Capella (far future) is no schedule
    left = s.value("chainwatch_upgrade_time_until_seconds", upgrade="bellatrix", **NODE)
    assert left == pytest.approx(genesis + 800_000 - time.time(), abs=5)
    assert s.value("chainwatch_upgrade_height", upgrade="bellatrix", **NODE) == 800_000
    assert s.value("chainwatch_node_version_below_minimum", **NODE) == 1  # Lodestar/v1.5.1 < 1.6.0
    assert srv.calls("GET", "/node/eth/v1/config/fork_schedule") == 1  # kept between rounds


async def test_a_node_at_the_minimum_is_not_below_and_without_upgrades_nothing_is_asked(srv):
    serve_lodestar(srv, int(time.time()) - 100)
    _, s = await scrape(config_text(srv, {"min_versions": {"lodestar": "v1.5.1", "lighthouse": "5.0.0"}}))
    assert s.value("chainwatch_node_version_below_minimum", **NODE) == 0
    calls = srv.calls("GET", "/node/eth/v1/config/fork_schedule")
    _, s = await scrape(config_text(srv, None))
    assert s.value("chainwatch_node_version_below_minimum", **NODE) is None
    assert srv.calls("GET", "/node/eth/v1/config/fork_schedule") == calls


async def test_a_release_without_the_fork_exports_no_upgrade(srv):
    serve_lodestar(srv, int(time.time()) - 100, without_bellatrix=True)
    _, s = await scrape(config_text(srv, {"min_version": "1.0.0"}))
    assert not [name for name, _, _ in s.rows if name.startswith("chainwatch_upgrade_")]
    assert s.value("chainwatch_probe_success", **NODE) == 1


def test_fork_names_come_from_the_spec_and_a_bad_schedule_is_a_bounded_error():
    names = upgrade.fork_names(RECORDED["spec"]["data"])
    assert names["0x02000001"] == "bellatrix" and names["0x00000001"] == "genesis"
    assert upgrade.next_fork(RECORDED["fork_schedule"]["data"], 0, names, uint) == ("bellatrix", 100_000)
    assert upgrade.next_fork(RECORDED["fork_schedule"]["data"], 100_000, names, uint) is None  # started; the rest far future
    for data in ({"epoch": "1"}, [{"epoch": "x", "current_version": "0x01000000"}], [{"epoch": "5", "current_version": "01"}]):
        with pytest.raises(ProbeFailure) as failure:
            upgrade.next_fork(data, 0, names, uint)
        assert failure.value.reason == "invalid_response"

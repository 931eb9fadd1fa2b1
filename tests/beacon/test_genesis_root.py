"""Wrong-network detection for beacon nodes: ``genesis_validators_root`` against the node's genesis.

Against the simulated beacon node of test_beacon_probe.py (a real loopback FakeServer
answering as the Beacon API spec shows; its genesis root is ``ROOT``).
"""

from __future__ import annotations

import json
import time

import pytest

from chainwatch.assembly.config import parse
from chainwatch.kinds.beacon.config import MAINNET_GENESIS_VALIDATORS_ROOT
from chainwatch.kinds.beacon import probe as beacon_probe
from tests.support.fakeserver import FakeServer

from .test_beacon_probe import ROOT, SPS, install, scrape

NODE = {"endpoint": "bn-1"}
# Holesky's genesis_validators_root: a Holesky node configured in the mainnet chain.
HOLESKY = "0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1"


def config_text(srv: FakeServer, root: str | None) -> str:
    chain = {"kind": "beacon", "network": "mainnet", "endpoints": [{"name": "bn-1", "url": srv.url("/node")}]}
    if root:
        chain["genesis_validators_root"] = root
    return json.dumps({"chains": {"eth-cl": chain}})


def set_root(srv: FakeServer, genesis: int, root: str) -> None:
    srv.route(
        "GET",
        "/node/eth/v1/beacon/genesis",
        json_body={"data": {"genesis_time": str(genesis), "genesis_validators_root": root, "genesis_fork_version": "0x01017000"}},
    )


@pytest.fixture
def srv():
    with FakeServer() as server:
        yield server


@pytest.fixture
def genesis(srv):
    at = int(time.time()) - 1000 * SPS
    install(srv, "/node", head=1000, genesis=at)
    return at


async def test_matching_root_probes_normally_and_reads_genesis_once(srv, genesis):
    _, s = await scrape(config_text(srv, ROOT.upper().replace("0X", "0x")), rounds=2)  # hex case does not matter
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value("chainwatch_head_height", **NODE) == 1000
    assert srv.calls("GET", "/node/eth/v1/beacon/genesis") == 1


async def test_node_of_another_network_fails_wrong_chain(srv, genesis):
    set_root(srv, genesis, HOLESKY)
    snap, s = await scrape(config_text(srv, MAINNET_GENESIS_VALIDATORS_ROOT), rounds=2)
    assert s.value("chainwatch_probe_success", **NODE) == 0
    assert s.value("chainwatch_probe_failure_reason", reason="wrong_chain", **NODE) == 1
    assert HOLESKY in snap.results["bn-1"].detail and MAINNET_GENESIS_VALIDATORS_ROOT in snap.results["bn-1"].detail
    assert s.find("chainwatch_head_height", **NODE) == []  # another network's head is not this chain's
    assert srv.calls("GET", "/node/eth/v1/beacon/genesis") == 2  # a mismatch is not cached: asked every round


async def test_repointed_node_is_caught_after_the_recheck_interval(srv, genesis, monkeypatch):
    from chainwatch.exporters.scheduler import Scheduler
    from chainwatch.exporters.transport import Transport
    import asyncio

    config = parse(config_text(srv, ROOT), env={})
    transport = Transport()
    try:
        scheduler = Scheduler(config, transport)
        state = scheduler.states["bn-1"]

        async def probe():
            state.last = None
            return await scheduler.probe(state, asyncio.get_running_loop().time() + 5)

        assert (await probe()).success
        set_root(srv, genesis, HOLESKY)
        assert (await probe()).success  # within GENESIS_TTL the cached genesis stands
        monkeypatch.setattr(beacon_probe, "GENESIS_TTL", 0.0)
        wrong = await probe()
        assert (wrong.success, wrong.reason) == (False, "wrong_chain")
        set_root(srv, genesis, ROOT)
        assert (await probe()).success  # fixed endpoint recovers
    finally:
        await transport.close()


async def test_not_configured_accepts_any_network(srv, genesis):
    set_root(srv, genesis, HOLESKY)
    _, s = await scrape(config_text(srv, None), rounds=2)
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert srv.calls("GET", "/node/eth/v1/beacon/genesis") == 1  # still read once only


async def test_node_without_a_root_fails_when_one_is_configured(srv, genesis):
    srv.route("GET", "/node/eth/v1/beacon/genesis", json_body={"data": {"genesis_time": str(genesis)}})
    snap, s = await scrape(config_text(srv, ROOT))
    assert s.value("chainwatch_probe_failure_reason", reason="wrong_chain", **NODE) == 1
    assert "missing" in snap.results["bn-1"].detail


@pytest.mark.parametrize("bad", ["0x" + "ab" * 31, "4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95", "0x" + "zz" * 32])
def test_config_rejects_a_malformed_root(bad):
    text = json.dumps(
        {
            "chains": {
                "c": {"kind": "beacon", "network": "mainnet", "genesis_validators_root": bad, "endpoints": [{"name": "bn-1", "url": "http://127.0.0.1:1/"}]}
            }
        }
    )
    with pytest.raises(ValueError, match="genesis_validators_root"):
        parse(text, env={})


def test_yaml_hex_root_stays_a_string():
    """YAML 1.1 reads unquoted 0x... as an integer; the documented unquoted form must still load."""
    text = f"""
chains:
  eth-cl:
    kind: beacon
    network: mainnet
    genesis_validators_root: {MAINNET_GENESIS_VALIDATORS_ROOT}
    endpoints:
      - {{name: bn-1, url: "http://127.0.0.1:1/"}}
"""
    assert parse(text, env={}).chains["eth-cl"].genesis_validators_root == MAINNET_GENESIS_VALIDATORS_ROOT

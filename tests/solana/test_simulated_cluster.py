"""End to end through the real exporter HTTP endpoint against the SIMULATED Solana cluster.

No real Solana validator can run here, so these tests use
``chainwatch.kinds.solana.simulator`` — a simulator, not a node — with short slots
(25 ms) so that lag, halts, delinquency and skips happen within a second or two. The
exporter is the real aiohttp app from ``exporters/server.py`` on a free loopback port.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from aiohttp import ClientSession, web
from prometheus_client.parser import text_string_to_metric_families
from solders.rpc.responses import (
    GetBlockHeightResp,
    GetBlockProductionResp,
    GetBlockTimeResp,
    GetEpochInfoResp,
    GetHealthResp,
    GetRecentPerformanceSamplesResp,
    GetSlotResp,
    GetVersionResp,
    GetVoteAccountsResp,
)

from chainwatch.assembly.config import parse
from chainwatch.exporters.server import Exporter, build_app
from chainwatch.kinds.solana.simulator import Cluster, Simulator, Validator
from tests.support.poll import async_hold, async_wait_until
from chainwatch.devnet.procs import Proc, free_port, wait_http
from tests.support import require_binary

SLOT = 0.025
SECRET = "SECRETKEY123456"


def labels_key(labels: dict) -> tuple:
    return tuple(sorted(labels.items()))


class Metrics(dict):
    def get1(self, name: str, **labels) -> float | None:
        for (n, key), value in self.items():
            if n == name and all(dict(key).get(k) == v for k, v in labels.items()):
                return value
        return None


class Stack:
    def __init__(self, cluster: Cluster, sim: Simulator, runner: web.AppRunner, port: int, session: ClientSession):
        self.cluster, self.sim, self.runner, self.port, self.session = cluster, sim, runner, port, session

    async def scrape(self) -> Metrics:
        async with self.session.get(f"http://127.0.0.1:{self.port}/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
        assert SECRET not in text
        out = Metrics()
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                out[(s.name, labels_key(s.labels))] = s.value
        return out

    async def control(self, **body) -> dict:
        async with self.session.post(f"http://127.0.0.1:{self.sim.port}/-/control", json=body) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def until(self, check, timeout: float = 8.0, every: float = 0.1, what: str = "condition on the scraped metrics") -> Metrics:
        """Scrape until ``check(metrics)``; 8 s is hundreds of 25 ms slots, enough on a loaded machine."""

        async def ready():
            m = await self.scrape()
            return m if check(m) else None

        return await async_wait_until(ready, timeout, what, interval=every)


def config_text(sim: Simulator, validators: list[Validator]) -> str:
    groups = "\n".join(
        f"        {g}:\n          - {{name: {v.name}, vote_account: {v.vote_account}, identity: {v.identity}}}" for g, v in zip("abc", validators)
    )
    return f"""
exporter: {{min_probe_interval_seconds: 0, reference_max_age_seconds: 0, default_timeout_seconds: 5}}
chains:
  solana:
    kind: solana
    network: simnet
    endpoints:
      - {{name: rpc-1, url: "{sim.url("rpc-1")}?api-key={SECRET}", role: node}}
      - {{name: ref-1, url: "{sim.url("ref-1")}", role: reference}}
      - {{name: ref-2, url: "{sim.url("ref-2")}", role: reference}}
      - {{name: ref-3, url: "{sim.url("ref-3")}", role: reference}}
    validators:
      interval_seconds: 0.2
      fallbacks: [ref-2]
      groups:
{groups}
"""


@pytest.fixture
async def stack():
    validators = [Validator("val-1", 10**15), Validator("val-2", 2 * 10**15, skip_ratio=0.5), Validator("val-3", 3 * 10**15)]
    cluster = Cluster(
        ["rpc-1", "ref-1", "ref-2", "ref-3"], validators, slot_seconds=SLOT, sample_period_seconds=0.5, delinquent_slot_distance=10, health_slot_distance=20
    )
    sim = await Simulator(cluster).start()
    exporter = Exporter(parse(config_text(sim, validators), env={}))
    runner = web.AppRunner(build_app(exporter), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with ClientSession() as session:
        yield Stack(cluster, sim, runner, port, session)
    await runner.cleanup()
    await sim.stop()


def lag(m: Metrics, endpoint: str) -> float:
    return m.get1("chainwatch_sync_lag_blocks", endpoint=endpoint)


async def test_lag_grows_when_one_node_is_held_back(stack):
    m0 = await stack.until(lambda m: lag(m, "rpc-1") is not None)
    assert lag(m0, "rpc-1") <= 8
    assert m0.get1("chainwatch_probe_success", endpoint="rpc-1") == 1
    assert m0.get1("chainwatch_node_info", endpoint="rpc-1") == 1
    assert not any(n.startswith("chainwatch_mempool") for n, _ in m0)  # no mempool metric for Solana
    stack.cluster.hold("rpc-1")
    m1 = await stack.until(lambda m: lag(m, "rpc-1") > lag(m0, "rpc-1"), what="rpc-1 falling behind once held")
    m2 = await stack.until(lambda m: lag(m, "rpc-1") > lag(m1, "rpc-1") + 20)
    assert lag(m1, "rpc-1") > lag(m0, "rpc-1")
    # Past the node's own health distance (20 slots) it says so itself: data, not a failure.
    assert m2.get1("chainwatch_syncing", endpoint="rpc-1") == 1
    assert m2.get1("chainwatch_solana_health_behind_slots", endpoint="rpc-1") > 20
    assert m2.get1("chainwatch_probe_success", endpoint="rpc-1") == 1
    assert m2.get1("chainwatch_sync_lag_seconds", endpoint="rpc-1") >= 0
    # The references keep going: one lagging node is not a chain stall.
    assert all(lag(m2, r) <= 8 for r in ("ref-1", "ref-2", "ref-3"))
    assert m2.get1("chainwatch_reference_head_stall_seconds") < 1.0
    stack.cluster.release("rpc-1")
    m3 = await stack.until(lambda m: lag(m, "rpc-1") <= 8)
    assert m3.get1("chainwatch_syncing", endpoint="rpc-1") == 0


async def test_halt_detected_only_when_every_reference_stops(stack):
    await stack.until(lambda m: m.get1("chainwatch_reference_head_stall_seconds") is not None)
    # Two of three references stop (the median stops too), one keeps seeing new slots.
    stack.cluster.hold("ref-1")
    stack.cluster.hold("ref-2")

    async def no_stall():
        stall = (await stack.scrape()).get1("chainwatch_reference_head_stall_seconds")
        return stall < 0.6 or f"stall of {stall}s"

    # 1.5 s = 60 slots with ref-3 advancing: a median-based stall would have shown by then.
    await async_hold(no_stall, 1.5, "no stall reported while ref-3 still advances", interval=0.15)
    stack.cluster.release("ref-1")
    stack.cluster.release("ref-2")
    # The whole cluster halts (through the simulator's HTTP control).
    state = await stack.control(action="halt")
    assert state["halted"] is True
    m = await stack.until(lambda m: m.get1("chainwatch_reference_head_stall_seconds") > 1.5, timeout=6)
    assert m.get1("chainwatch_head_age_seconds", endpoint="rpc-1") >= 1.0
    assert lag(m, "rpc-1") <= 8  # a halt is chain-wide, not one node lagging
    await stack.control(action="resume")
    await stack.until(lambda m: m.get1("chainwatch_reference_head_stall_seconds") < 0.5)


async def test_delinquency_and_skip_rate_match_the_simulator(stack):
    stack.cluster.stop_voting("val-1")
    m = await stack.until(lambda m: m.get1("chainwatch_solana_validators_delinquent", group="a") == 1)
    assert m.get1("chainwatch_solana_validator_delinquent", validator="val-1") == 1
    assert m.get1("chainwatch_solana_validator_delinquent", validator="val-2") == 0
    assert m.get1("chainwatch_solana_validators_delinquent", group="c") == 0
    assert m.get1("chainwatch_solana_validator_vote_lag_slots", validator="val-1") > 10
    assert m.get1("chainwatch_solana_activated_stake_lamports", group="c") == 3 * 10**15
    assert m.get1("chainwatch_validator_monitor_last_success_timestamp_seconds") > time.time() - 5
    # val-2 was told to skip half of its leader slots.
    m = await stack.until(lambda m: (m.get1("chainwatch_solana_leader_slots", group="b") or 0) >= 24)
    leader = m.get1("chainwatch_solana_leader_slots", group="b")
    assert m.get1("chainwatch_solana_skip_ratio", group="b") == pytest.approx(0.5, abs=1 / leader + 1e-9)
    assert m.get1("chainwatch_solana_validator_skip_ratio", validator="val-2") == pytest.approx(0.5, abs=1 / leader + 1e-9)
    assert m.get1("chainwatch_solana_skip_ratio", group="c") == 0
    # The multi-target path serves the same: per endpoint, and the chain with its validators.
    async with stack.session.get(f"http://127.0.0.1:{stack.port}/probe", params={"chain": "solana"}) as resp:
        chain_text = await resp.text()
    assert 'chainwatch_solana_validators_delinquent{chain="solana",group="a",network="simnet"} 1.0' in chain_text
    async with stack.session.get(f"http://127.0.0.1:{stack.port}/probe", params={"target": "rpc-1"}) as resp:
        target_text = await resp.text()
    assert 'chainwatch_probe_success{chain="solana",endpoint="rpc-1",network="simnet",role="node"} 1.0' in target_text
    assert "chainwatch_solana_validators" not in target_text and SECRET not in target_text
    # Recovery: voting again clears delinquency.
    stack.cluster.resume_voting("val-1")
    await stack.until(lambda m: m.get1("chainwatch_solana_validators_delinquent", group="a") == 0)


async def test_leader_slot_counters_count_every_slot_across_epochs():
    """``_passed_total`` / ``_skipped_total`` against the simulator's own leader schedule, over
    several epochs of 64 slots (1.6 s at 25 ms slots, 8 monitor cycles each): from the first
    cycle's slot (the baseline) to the halted cluster's last one, every slot of each validator
    is counted exactly once, the last slots of each epoch included (the monitor asks for the
    previous epoch's rest in the first cycle of a new one)."""
    validators = [Validator("val-1", 10**15), Validator("val-2", 2 * 10**15, skip_ratio=0.5), Validator("val-3", 3 * 10**15)]
    cluster = Cluster(["rpc-1", "ref-1", "ref-2", "ref-3"], validators, slot_seconds=SLOT, slots_per_epoch=64, sample_period_seconds=0.5)
    answered: list[dict] = []
    production = cluster.rpc_getBlockProduction

    def spy(node, params):  # records the ranges the monitor asked for (test-side spy on the simulator)
        answer = production(node, params)
        answered.append(answer["value"]["range"])
        return answer

    cluster.rpc_getBlockProduction = spy
    sim = await Simulator(cluster).start()
    exporter = Exporter(parse(config_text(sim, validators), env={}))
    runner = web.AppRunner(build_app(exporter), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with ClientSession() as session:
            stack = Stack(cluster, sim, runner, port, session)
            await async_wait_until(lambda: answered, 8, "first getBlockProduction")
            start_epoch = cluster.epoch_of(answered[0]["lastSlot"])
            await async_wait_until(lambda: cluster.epoch_of(cluster.tip - 2) >= start_epoch + 3, 15, "three epoch boundaries")
            cluster.halt()
            halted = cluster.tip
            # Two cycles after the halt: both read the halted slot, the counters stand still.
            await async_wait_until(lambda: sum(r["lastSlot"] >= halted - 2 for r in answered) >= 6, 8, "cycles after the halt")
            m = await stack.scrape()
    finally:
        await runner.cleanup()
        await sim.stop()
    first, last = answered[0]["lastSlot"], max(r["lastSlot"] for r in answered)
    tails = [r for r in answered if r["lastSlot"] < last and (r["lastSlot"] + 1) % 64 == 0]
    assert len({r["lastSlot"] for r in tails}) >= 2, answered  # a previous-epoch call at each boundary crossed
    for group, v in zip("abc", validators):
        # the simulator has no slot before its start_slot: it counts (and we expect) none of them
        slots = [s for s in range(max(first, cluster.start_slot) + 1, last + 1) if cluster.leader(s) is v]
        passed = m.get1("chainwatch_solana_leader_slots_passed_total", group=group)
        skipped = m.get1("chainwatch_solana_leader_slots_skipped_total", group=group)
        assert (passed, skipped) == (len(slots), sum(s in cluster.skipped for s in slots)), (group, first, last)
    assert m.get1("chainwatch_solana_leader_slots_skipped_total", group="b") == pytest.approx(
        m.get1("chainwatch_solana_leader_slots_passed_total", group="b") / 2, abs=1
    )


async def test_validator_monitor_falls_back_when_its_endpoint_is_down(stack):
    await stack.until(lambda m: m.get1("chainwatch_validator_monitor_last_success_timestamp_seconds") is not None)
    stack.cluster.set_down("ref-1")  # the monitor's endpoint (first reference); fallback: ref-2
    down_at = time.time()
    m = await stack.until(lambda m: m.get1("chainwatch_validator_monitor_last_success_timestamp_seconds") > down_at + 0.3)
    assert m.get1("chainwatch_probe_success", endpoint="ref-1") == 0
    stack.cluster.stop_voting("val-3")
    await stack.until(lambda m: m.get1("chainwatch_solana_validators_delinquent", group="c") == 1)
    stack.cluster.resume_voting("val-3")
    stack.cluster.set_down("ref-1", False)


async def rpc_result(stack, node: str, method: str, params: list | None = None) -> dict:
    async with stack.session.post(stack.sim.url(node), json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}) as resp:
        return await resp.json()


async def test_simulator_answers_parse_as_documented_types(stack):
    # The first performance sample appears after one 0.5 s sample period.
    async def sampled():
        return (await rpc_result(stack, "ref-1", "getRecentPerformanceSamples", [2])).get("result")

    await async_wait_until(sampled, 5, "a performance sample")
    cases = [
        ("getHealth", [], GetHealthResp),
        ("getSlot", [{"commitment": "confirmed"}], GetSlotResp),
        ("getBlockHeight", [], GetBlockHeightResp),
        ("getVersion", [], GetVersionResp),
        ("getEpochInfo", [{"commitment": "confirmed"}], GetEpochInfoResp),
        ("getRecentPerformanceSamples", [2], GetRecentPerformanceSamplesResp),
        ("getVoteAccounts", [], GetVoteAccountsResp),
        ("getBlockProduction", [{"identity": stack.cluster.validators[1].identity}], GetBlockProductionResp),
    ]
    for method, params, resp_type in cases:
        async with stack.session.post(stack.sim.url("ref-1"), json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}) as resp:
            body = await resp.text()
        parsed = resp_type.from_json(body)
        assert "RPCError" not in type(parsed).__name__ and "Message" not in type(parsed).__name__, (method, body)
    async with stack.session.post(
        stack.sim.url("ref-1"), json={"jsonrpc": "2.0", "id": 1, "method": "getSlot", "params": [{"commitment": "confirmed"}]}
    ) as resp:
        slot = (await resp.json())["result"]
    async with stack.session.post(stack.sim.url("ref-1"), json={"jsonrpc": "2.0", "id": 7, "method": "getBlockTime", "params": [slot]}) as resp:
        assert GetBlockTimeResp.from_json(await resp.text()).value > time.time() - 10
    stack.cluster.hold("rpc-1")

    async def behind():  # past the 20-slot health distance
        answer = await rpc_result(stack, "rpc-1", "getHealth")
        return answer if answer.get("error", {}).get("data", {}).get("numSlotsBehind", 0) > 20 else None

    error = (await async_wait_until(behind, 5, "rpc-1 unhealthy once 20 slots behind"))["error"]
    assert error["code"] == -32005 and error["message"].startswith("Node is behind by ")
    assert error["data"]["numSlotsBehind"] > 20


def test_command_line_entry_point(tmp_path):
    port = free_port()
    args = [sys.executable, "-m", "chainwatch.kinds.solana.simulator", "--port", str(port), "--nodes", "a,b", "--slot-ms", "50"]
    with Proc("solana-sim", args, log=tmp_path / "sim.log") as proc:
        wait_http(f"http://127.0.0.1:{port}/-/state", timeout=20, proc=proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/state") as r:
            state = json.load(r)
        assert state["simulator"] is True and set(state["nodes"]) == {"a", "b"} and len(state["validators"]) == 4
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/b",
            data=json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "getSlot"}, {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber"}]).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as r:
            answers = json.load(r)
        assert isinstance(answers[0]["result"], int)
        assert answers[1]["error"]["code"] == -32601
    assert "SIMULATED" in (tmp_path / "sim.log").read_text()
    printed = subprocess.run([*args, "--print-config"], capture_output=True, text=True, check=True).stdout
    config = parse("chains:\n" + printed, env={})
    chain = config.chains["solana-sim"]
    assert [e.name for e in chain.nodes] == ["a", "b"] and len(chain.validators.groups["sim"]) == 4


async def test_exposition_passes_promtool(stack):
    promtool = require_binary("promtool")
    await stack.until(lambda m: m.get1("chainwatch_solana_validators", group="a") is not None)
    async with stack.session.get(f"http://127.0.0.1:{stack.port}/metrics") as resp:
        text = await resp.text()
    check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

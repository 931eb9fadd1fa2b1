"""End to end through the real exporter against the SIMULATED CometBFT + LCD chain.

No CometBFT node can be installed here, so these tests use kinds/cosmos/simulator.py — a
simulator, not a node — with 100 ms blocks. The exporter is the real aiohttp app
(``exporters/server.py``) on a free loopback port, scraped over HTTP like Prometheus does;
its validator monitor runs in the background as in production.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import ClientSession, web
from prometheus_client.parser import text_string_to_metric_families

from chainwatch.assembly.config import parse
from chainwatch.exporters.server import Exporter, build_app
from chainwatch.kinds.cosmos.cometbft import blocks_until_jail
from chainwatch.kinds.cosmos.simulator import Chain, Simulator, chain_config
from chainwatch.devnet.procs import free_port
from tests.support.poll import async_wait_until

BLOCK = 0.1
SECRET = "SECRETKEY123456"


class Metrics(dict):
    def get1(self, name: str, **labels) -> float | None:
        for (n, key), value in self.items():
            if n == name and all(dict(key).get(k) == v for k, v in labels.items()):
                return value
        return None


class Stack:
    def __init__(self, chain: Chain, sim: Simulator, state_dir: Path, session: ClientSession):
        self.chain, self.sim, self.state_dir, self.session = chain, sim, state_dir, session
        self.runner: web.AppRunner | None = None
        self.port = 0

    def config_text(self) -> str:
        text = (
            "exporter: {min_probe_interval_seconds: 0, reference_max_age_seconds: 0, default_timeout_seconds: 5, "
            f'state_dir: "{self.state_dir}"}}\nchains:\n' + chain_config(self.chain, f"http://127.0.0.1:{self.sim.port}", name="hub")
        )
        text = text.replace(f"block_time_seconds: {self.chain.block_seconds}", f"block_time_seconds: {BLOCK}")
        text = text.replace(f'url: "http://127.0.0.1:{self.sim.port}/rpc-1"', f'url: "http://127.0.0.1:{self.sim.port}/rpc-1?key={SECRET}"')
        return text.replace("    validators:\n", "    validators:\n      lcd_interval_seconds: 0.2\n      interval_seconds: 0.1\n")

    async def start_exporter(self) -> None:
        self.exporter = Exporter(parse(self.config_text(), env={}))
        self.runner = web.AppRunner(build_app(self.exporter), access_log=None)
        await self.runner.setup()
        self.port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop_exporter(self) -> None:
        await self.runner.cleanup()
        self.runner = None

    async def scrape(self) -> Metrics:
        async with self.session.get(f"http://127.0.0.1:{self.port}/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
        assert SECRET not in text
        out = Metrics()
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return out

    async def until(self, check, timeout: float = 10.0, every: float = 0.1) -> Metrics:
        async def scraped():
            m = await self.scrape()
            return (m,) if check(m) else None  # a tuple: an empty Metrics is falsy

        [m] = await async_wait_until(scraped, timeout, "metrics condition", interval=every, errors=())
        return m


@pytest.fixture
async def stack(tmp_path):
    chain = Chain(["rpc-1", "ref-1", "ref-2", "ref-3"], block_seconds=BLOCK, signed_blocks_window=400)
    sim = await Simulator(chain).start()
    async with ClientSession() as session:
        s = Stack(chain, sim, tmp_path, session)
        await s.start_exporter()
        yield s
        if s.runner is not None:
            await s.stop_exporter()
    await sim.stop()


G = {"chain": "hub", "group": "sim"}
MISSED = "chainwatch_cosmos_validator_missed_blocks_total"
CONSECUTIVE = "chainwatch_cosmos_validator_consecutive_missed_blocks"


async def test_node_metrics_and_a_wrong_network(stack):
    m = await stack.until(lambda m: m.get1("chainwatch_sync_lag_blocks", endpoint="rpc-1") is not None)
    assert m.get1("chainwatch_probe_success", endpoint="rpc-1") == 1
    assert m.get1("chainwatch_peers", endpoint="rpc-1") == 8
    assert m.get1("chainwatch_syncing", endpoint="rpc-1") == 0
    assert m.get1("chainwatch_sync_lag_blocks", endpoint="rpc-1") <= 3
    stack.chain.set_network("rpc-1", "othernet-1")
    m = await stack.until(lambda m: m.get1("chainwatch_probe_failure_reason", endpoint="rpc-1", reason="wrong_chain") == 1)
    assert m.get1("chainwatch_probe_success", endpoint="rpc-1") == 0
    stack.chain.set_network("rpc-1", None)
    stack.chain.catch_up("rpc-1")
    m = await stack.until(lambda m: m.get1("chainwatch_syncing", endpoint="rpc-1") == 1 and m.get1("chainwatch_sync_lag_blocks", endpoint="rpc-1") > 10)


async def test_a_validator_that_stops_signing_shows_growing_misses(stack):
    await stack.until(lambda m: (m.get1("chainwatch_cosmos_validator_blocks_checked_total", **G) or 0) > 0)
    stack.chain.stop_signing("val-1")
    m1 = await stack.until(lambda m: (m.get1(CONSECUTIVE, **G) or 0) >= 5)
    m2 = await stack.until(lambda m: (m.get1(CONSECUTIVE, **G) or 0) >= m1.get1(CONSECUTIVE, **G) + 5)
    assert m2.get1(MISSED, **G) > m1.get1(MISSED, **G)
    assert m2.get1("chainwatch_cosmos_validator_solo_missed_blocks_total", **G) == m2.get1(MISSED, **G)
    assert m2.get1("chainwatch_validator_monitor_failures_total", chain="hub") == 0


async def test_a_chain_halt_is_a_halt_and_no_validator_miss(stack):
    await stack.until(lambda m: (m.get1("chainwatch_cosmos_validator_blocks_checked_total", **G) or 0) > 3)
    stack.chain.stop_signing("val-1")
    stack.chain.stop_signing("val-2")  # 46 % of the power gone: consensus stops, no block is made
    stall = lambda m: m.get1("chainwatch_reference_head_stall_seconds", chain="hub") or 0  # noqa: E731
    m1 = await stack.until(lambda m: stall(m) >= 1.0)
    m2 = await stack.until(lambda m: stall(m) > stall(m1))  # the stall keeps growing: no new block
    assert m2.get1(MISSED, **G) == m1.get1(MISSED, **G) == 0
    assert m2.get1("chainwatch_cosmos_validator_solo_missed_blocks_total", **G) == 0
    assert m2.get1(CONSECUTIVE, **G) == 0


async def test_time_until_jail_equals_the_formula_on_the_simulators_numbers(stack):
    stack.chain.stop_signing("val-1")
    await stack.until(lambda m: (m.get1(CONSECUTIVE, **G) or 0) >= 20)
    stack.chain.halt()  # freeze the numbers, then let the monitor's next LCD read catch up
    missed = next(v for v in stack.chain.state()["validators"] if v["name"] == "val-1")["missed_blocks_counter"]
    expected = blocks_until_jail(stack.chain.window, Decimal(stack.chain.min_signed), missed)
    assert expected == 400 - 200 - missed
    m = await stack.until(lambda m: m.get1("chainwatch_cosmos_validator_signing_window_missed_blocks", **G) == missed)
    assert m.get1("chainwatch_cosmos_validator_blocks_until_jail", **G) == expected
    assert m.get1("chainwatch_cosmos_validator_time_until_jail_seconds", **G) == pytest.approx(expected * BLOCK)


async def test_an_exporter_restart_neither_double_counts_nor_loses_misses(stack):
    await stack.until(lambda m: (m.get1("chainwatch_cosmos_validator_blocks_checked_total", **G) or 0) > 0)
    stack.chain.stop_signing("val-1")
    await stack.until(lambda m: (m.get1(MISSED, **G) or 0) >= 5)
    await stack.stop_exporter()
    down = stack.chain.height
    await async_wait_until(lambda: stack.chain.height >= down + 3, 10, "three blocks made while the exporter is down")
    await stack.start_exporter()
    up = stack.chain.height
    await async_wait_until(lambda: stack.chain.height >= up + 2, 10, "two blocks made after the restart")
    stack.chain.halt()
    height = stack.chain.height
    m = await stack.until(lambda m: m.get1("chainwatch_cosmos_monitor_last_height", chain="hub") == height)
    # val-1 stopped at some height h0: every block from h0 to the halt is one miss, counted once.
    stopped = [h for h, b in stack.chain.blocks.items() if any(a == stack.chain.validator("val-1").address for _, a, _ in b.votes)]
    first_miss = max(stopped)  # the last block still carrying val-1's vote; its successor is the first without
    assert m.get1(MISSED, **G) == height - first_miss
    assert m.get1("chainwatch_cosmos_monitor_blocks_skipped_total", chain="hub") == 0

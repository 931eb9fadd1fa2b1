"""The Sui demo part's chain block, run by the real exporter against the SIMULATED Sui network
(in-process, loopback): each fault of kinds/sui/demo.py moves the series its expected alert
reads past the part's own thresholds, and healing brings it back. (The alerts themselves are
proven by the generated promtool tests; the paging e2e lane runs the faults end to end.)"""

from __future__ import annotations

import json

from aiohttp import ClientSession, web
from prometheus_client.parser import text_string_to_metric_families

from chainwatch.assembly.config import parse
from chainwatch.devnet.procs import free_port
from chainwatch.exporters.server import Exporter, build_app
from chainwatch.kinds.sui.demo import CHAIN, NODES, SuiDemo
from chainwatch.kinds.sui.simulator import Chain, Simulator
from tests.support.poll import async_wait_until


class _Stack:
    """What the faults' inject and heal reach: the part by name."""

    def __init__(self, part):
        self._part = part

    def part(self, name: str):
        assert name == "sui"
        return self._part


async def test_the_demo_faults_move_what_their_alerts_read():
    chain = Chain(list(NODES), checkpoint_seconds=0.2, epoch_checkpoints=3600)
    async with Simulator(chain) as sim, ClientSession() as session:
        part = SuiDemo.__new__(SuiDemo)
        part.url, part.state = f"http://127.0.0.1:{sim.port}", chain.state()
        part.control = lambda *bodies: [chain.control(b) for b in bodies]
        block = part.chain_blocks({})[CHAIN]
        block["validators"]["interval_seconds"] = 0.2
        block.pop("team")  # the demo config's team is declared by the stack, not here
        exporter_cfg = {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0, "default_timeout_seconds": 5}
        exporter = Exporter(parse(json.dumps({"exporter": exporter_cfg, "chains": {CHAIN: block}}), env={}))
        runner = web.AppRunner(build_app(exporter), access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stack = _Stack(part)
        faults = {f.name: f for f in SuiDemo.faults}

        async def until(check, what: str) -> dict:
            async def once():
                async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                    text = await resp.text()
                m = {
                    (s.name, s.labels.get("endpoint") or s.labels.get("group") or s.labels.get("state")): s.value
                    for f in text_string_to_metric_families(text)
                    for s in f.samples
                }
                return (m,) if check(m) else None

            [m] = await async_wait_until(once, 20, what, interval=0.2, errors=())
            return m

        try:
            m = await until(lambda m: m.get(("chainwatch_stream_head_height", "sui-1"), 0) > 0, "sui-1 streamed over native gRPC")
            assert m[("chainwatch_sui_validator_reported_voting_power_ratio", "main")] == 0
            assert m[("chainwatch_probe_success", "sui-1")] == 1 and m[("chainwatch_probe_success", "sui-ref-1")] == 1

            faults["sui-validator-reported"].inject(stack)
            await until(lambda m: m.get(("chainwatch_sui_validator_reported_voting_power_ratio", "main"), 0) >= 0.5, "val-1 reported by half")
            faults["sui-validator-reported"].heal(stack)
            await until(lambda m: m.get(("chainwatch_sui_validator_reported_voting_power_ratio", "main")) == 0, "reports withdrawn")

            faults["sui-stream-behind"].inject(stack)
            m = await until(lambda m: m.get(("chainwatch_stream_lag_blocks", "sui-1"), 0) > 5, "the stream behind the polled head")
            assert m[("chainwatch_sync_lag_blocks", "sui-1")] <= 2  # only the stream: the polled head keeps up
            faults["sui-stream-behind"].heal(stack)
            await until(lambda m: m.get(("chainwatch_stream_lag_blocks", "sui-1"), 99) <= 1, "the stream caught up")

            faults["sui-node-behind"].inject(stack)
            await until(lambda m: m.get(("chainwatch_sync_lag_blocks", "sui-1"), 0) > 5, "sui-1 behind the references")
            faults["sui-node-behind"].heal(stack)
            await until(lambda m: m.get(("chainwatch_sync_lag_blocks", "sui-1"), 99) <= 2, "sui-1 caught up")
        finally:
            await runner.cleanup()

"""End to end through the real exporter against the SIMULATED Aptos network (loopback).

The exporter is the real aiohttp app (``exporters/server.py``) on a free loopback port,
scraped over HTTP like Prometheus does; its validator monitor runs in the background.
"""

from __future__ import annotations

import json

from aiohttp import ClientSession, web
from prometheus_client.parser import text_string_to_metric_families

from chainwatch.assembly.config import parse
from chainwatch.devnet.procs import free_port
from chainwatch.exporters.server import Exporter, build_app
from chainwatch.kinds.aptos.simulator import Chain, Simulator
from tests.support.poll import async_wait_until

NODES = ["apt-1", "apt-ref-1", "apt-ref-2", "apt-ref-3"]


def config_text(chain: Chain, port: int) -> str:
    block = {
        "kind": "aptos",
        "network": "simnet",
        "chain_id": chain.chain_id,
        "block_time_seconds": chain.block_seconds,
        "endpoints": [{"name": n, "url": f"http://127.0.0.1:{port}/{n}/v1", "role": "reference" if "ref" in n else "node"} for n in NODES],
        "validators": {"interval_seconds": 0.2, "groups": {"ops": [{"name": "v1", "pool_address": chain.vals[0].pool}]}},
    }
    exporter = {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0, "default_timeout_seconds": 5}
    return json.dumps({"exporter": exporter, "chains": {"aptos": block}})


async def scrape(session: ClientSession, port: int) -> dict:
    async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}


def get(m: dict, name: str, **labels) -> float | None:
    for (n, key), value in m.items():
        if n == name and all(dict(key).get(k) == v for k, v in labels.items()):
            return value
    return None


async def test_lag_in_blocks_and_seconds_against_the_median_of_three_references():
    chain = Chain(NODES, block_seconds=0.2, validators=4)
    async with Simulator(chain) as sim, ClientSession() as session:
        exporter = Exporter(parse(config_text(chain, sim.port), env={}))
        runner = web.AppRunner(build_app(exporter), access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:

            async def until(check, what: str, timeout: float = 20.0) -> dict:
                async def once():
                    m = await scrape(session, port)
                    return (m,) if check(m) else None

                [m] = await async_wait_until(once, timeout, what, interval=0.2, errors=())
                return m

            m = await until(lambda m: get(m, "chainwatch_head_height", endpoint="apt-1") is not None, "a first probe")
            assert get(m, "chainwatch_aptos_history_blocks", endpoint="apt-1") == get(m, "chainwatch_head_height", endpoint="apt-1")
            assert get(m, "chainwatch_node_info", endpoint="apt-1", client_version="aptos-node/0c7ebe7c1f0a4e8c2f7a5d6b9e3d1a2b4c6e8f00") == 1

            # One reference stalls: the median of three does not move, apt-1 stays at the head.
            chain.control({"action": "lag", "node": "apt-ref-3"})
            m = await until(lambda m: (get(m, "chainwatch_sync_lag_blocks", endpoint="apt-ref-3") or 0) >= 10, "the stalled reference falling behind")
            assert get(m, "chainwatch_sync_lag_blocks", endpoint="apt-1") <= 2

            # The node stalls: lag in blocks and in seconds grows against the references.
            chain.control({"action": "lag", "node": "apt-1"})
            m = await until(lambda m: (get(m, "chainwatch_sync_lag_blocks", endpoint="apt-1") or 0) >= 10, "apt-1 falling behind")
            assert get(m, "chainwatch_sync_lag_seconds", endpoint="apt-1") >= 10 * chain.block_seconds * 0.8

            # Another chain id: wrong_chain; the validator monitor reports the pool's state.
            chain.control({"action": "set_chain_id", "node": "apt-1", "chain_id": 1})
            m = await until(lambda m: get(m, "chainwatch_probe_failure_reason", endpoint="apt-1", reason="wrong_chain") == 1, "wrong_chain")
            assert get(m, "chainwatch_aptos_validators_state", group="ops", state="active") == 1
            assert get(m, "chainwatch_aptos_validator_proposals_total", group="ops", outcome="successful") is not None
        finally:
            await runner.cleanup()

"""The issue's scenario through the real exporter against SIMULATED AvalancheGo nodes.

A config with an AvalancheGo node of ours, two reference nodes and a validator: the real aiohttp
app (``exporters/server.py``) on a free loopback port, scraped over HTTP like Prometheus; its
validator monitor runs in the background as in production. No AvalancheGo can run here.
"""

from __future__ import annotations

import time

import yaml
from aiohttp import ClientSession, web
from prometheus_client.parser import text_string_to_metric_families

from chainwatch.assembly.config import parse
from chainwatch.devnet.procs import free_port
from chainwatch.exporters.server import Exporter, build_app
from chainwatch.kinds.avalanche.simulator import AvalancheSim, Simulator, Validator, demo_validators
from tests.support.poll import async_wait_until

SECRET = "SECRETKEY123456"


def _get(metrics: dict, name: str, **labels) -> float | None:
    for (n, key), value in metrics.items():
        if n == name and all(dict(key).get(k) == v for k, v in labels.items()):
            return value
    return None


async def test_one_node_two_references_and_a_validator_show_health_uptime_and_runway():
    start, end, down = demo_validators(time.time(), 3600.0)
    sim = AvalancheSim(["avax-1", "ref-1", "ref-2"], validators=[Validator("val-1", start, end, downtime=down)])
    async with Simulator(sim) as server:
        base = f"http://127.0.0.1:{server.port}"
        config = {
            "exporter": {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0, "default_timeout_seconds": 5},
            "chains": {
                "avax": {
                    "kind": "avalanche",
                    "network": "simnet",
                    "network_id": sim.network_id,
                    "endpoints": [
                        {"name": "avax-1", "url": f"{base}/avax-1?key={SECRET}", "role": "node"},
                        {"name": "ref-1", "url": f"{base}/ref-1", "role": "reference"},
                        {"name": "ref-2", "url": f"{base}/ref-2", "role": "reference"},
                    ],
                    "validators": {"interval_seconds": 0.2, "groups": {"ops": [{"name": "val-1", "node_id": sim.validators["val-1"].node}]}},
                }
            },
        }
        exporter = Exporter(parse(yaml.safe_dump(config), env={}))
        runner = web.AppRunner(build_app(exporter), access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with ClientSession() as session:

                async def scrape() -> dict:
                    async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                        assert resp.status == 200
                        text = await resp.text()
                    assert SECRET not in text
                    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}

                async def until(check, what: str) -> dict:
                    async def scraped():
                        m = await scrape()
                        return (m,) if check(m) else None

                    [m] = await async_wait_until(scraped, 15, what, interval=0.2, errors=())
                    return m

                runway = "chainwatch_avalanche_validator_reward_runway_seconds"
                m = await until(lambda m: _get(m, runway) is not None and _get(m, "chainwatch_head_height", endpoint="avax-1"), "first round")
                assert _get(m, "chainwatch_avalanche_bootstrapped", endpoint="avax-1", blockchain="P") == 1
                assert _get(m, "chainwatch_avalanche_health_check_failing", endpoint="avax-1", check="diskspace") == 0
                assert _get(m, "chainwatch_peers", endpoint="avax-1") == 12
                assert abs(_get(m, runway, validator="val-1") - 3600) < 5
                assert _get(m, "chainwatch_avalanche_validator_views", validator="val-1") == 2
                # Below 80 % so far, yet the reward is not lost: the 7 days to come can still lift it (u = (0.2 x 14 d - 1 h) / 7 d off 1).
                assert (
                    abs(_get(m, "chainwatch_avalanche_validator_uptime_ratio", validator="val-1", view="median") - (1 - (2.8 * 86400 - 3600) / (7 * 86400)))
                    < 1e-4
                )

                # Our own node alone sees the validator down for two days: the median and the runway do not move.
                sim.control({"action": "blind", "node": "avax-1", "validator": "val-1"})
                sim.nodes["avax-1"].blind["val-1"] -= 2 * 86400
                m = await until(lambda m: _get(m, "chainwatch_avalanche_validator_connected", view="own") == 0, "own view down")
                assert abs(_get(m, runway, validator="val-1") - 3600) < 5
                assert _get(m, "chainwatch_avalanche_validator_connected", view="median") == 1

                # Disconnected for every view for an hour: the runway is gone.
                sim.control({"action": "disconnect", "validator": "val-1"})
                sim.validators["val-1"].down_since -= 3600
                m = await until(lambda m: (_get(m, runway) or 1e9) < 60, "runway burnt")
                assert _get(m, "chainwatch_avalanche_validator_connected", view="median") == 0

                # The node bootstraps its P-chain: no head, the failing checks named.
                sim.control({"action": "bootstrap", "node": "avax-1", "chain": "P"})
                m = await until(lambda m: _get(m, "chainwatch_avalanche_bootstrapped", endpoint="avax-1", blockchain="P") == 0, "bootstrapping")
                assert _get(m, "chainwatch_avalanche_health_check_failing", endpoint="avax-1", check="bootstrapped") == 1
                assert _get(m, "chainwatch_syncing", endpoint="avax-1") == 1
                async with session.get(f"http://127.0.0.1:{port}/health?target=avax-1") as resp:  # out of the load balancer
                    assert resp.status == 503, await resp.text()
        finally:
            await runner.cleanup()

"""``/health?target=``: the verdict a load balancer reads, and that checking it often costs the
node nothing more.

Upstreams are geth-shaped JSON-RPC answers from tests/support/fakeserver.py (a fake, not a
node) counting every request they get; the exporter runs in-process on a loopback port.
The real-load-balancer test is tests/exporter/test_haproxy.py (Debian HAProxy, two anvils).
"""

from __future__ import annotations

import asyncio
import time


from tests.exporter.test_evm_probe import geth
from tests.support.fakeserver import FakeServer
from tests.support.served import ServedExporter


def config_text(srv: FakeServer, interval: float = 1.0) -> str:
    return f"""
exporter: {{min_probe_interval_seconds: {interval}, reference_max_age_seconds: {interval}}}
chains:
  eth:
    kind: evm
    network: mainnet
    chain_id: 1
    thresholds: {{sync_lag_blocks_warning: 5, sync_lag_blocks_critical: 20}}
    endpoints:
      - {{name: geth-1, url: "{srv.url("/node")}", role: node}}
      - {{name: ref-1, url: "{srv.url("/ref")}", role: reference}}
"""


class Served(ServedExporter):
    async def health(self, query: str) -> tuple[int, str]:
        return await self.get(f"/health?{query}")


def head(n: int):
    return geth(eth_blockNumber=hex(n), eth_getBlockByNumber=lambda p: {"number": hex(n), "timestamp": hex(int(time.time())), "baseFeePerGas": "0x1"})


async def test_healthy_lagging_wrong_chain_and_unknown():
    with FakeServer() as srv:
        srv.jsonrpc("/ref", head(100))
        state = {"node": head(98)}
        srv.jsonrpc("/node", lambda method, params: state["node"][method] if not callable(state["node"][method]) else state["node"][method](params))
        async with Served(config_text(srv, interval=0)) as ex:
            status, body = await ex.health("target=geth-1")
            assert (status, body) == (200, "ok: head 98, 2 blocks behind (threshold 5)\n")
            state["node"] = head(90)
            status, body = await ex.health("target=geth-1")
            assert (status, body) == (503, "unhealthy: head 90, 10 blocks behind (threshold 5)\n")
            state["node"] = geth(eth_chainId="0x89")
            status, body = await ex.health("target=geth-1")
            assert status == 503 and body.startswith("unhealthy: probe failed (wrong_chain: ") and body.count("\n") == 1
            state["node"] = geth(eth_syncing={"startingBlock": "0x0", "currentBlock": "0x10", "highestBlock": "0x20"})
            status, body = await ex.health("target=geth-1")
            assert status == 503 and "syncing" in body
            # Only configured names: never a URL, never an echo of arbitrary input.
            assert (await ex.health("target=nope"))[0] == 404
            status, body = await ex.health("target=http://169.254.169.254/latest")
            assert status == 404 and "169.254" not in body
            assert (await ex.health(""))[0] == 400
            assert (await ex.health("target=geth-1&target=ref-1"))[0] == 400


async def test_down_endpoint_is_503_with_the_reason():
    with FakeServer() as srv:
        srv.jsonrpc("/ref", head(100))
        srv.route("POST", "/node", status=502, body="<html>Bad Gateway</html>")
        async with Served(config_text(srv, interval=0)) as ex:
            status, body = await ex.health("target=geth-1")
            assert (status, body) == (503, "unhealthy: probe failed (http_status: HTTP 502)\n")


async def test_fifty_checks_a_second_probe_at_most_once_per_interval():
    interval = 1.0
    with FakeServer() as srv:
        srv.jsonrpc("/ref", head(100))
        srv.jsonrpc("/node", head(100), delay=0.05)
        async with Served(config_text(srv, interval=interval)) as ex:
            started = time.monotonic()
            statuses = []
            sent = 0
            while time.monotonic() - started < 3.0:  # 50 checks/s, as 5 load balancers checking every 100 ms
                batch = await asyncio.gather(*(ex.health("target=geth-1") for _ in range(5)))
                statuses += [s for s, _ in batch]
                sent += 5
                await asyncio.sleep(max(0.0, started + sent / 50 - time.monotonic()))
            elapsed = time.monotonic() - started
        assert statuses and set(statuses) == {200}
        assert len(statuses) >= 100  # the checks really were frequent (>= 33/s even on a loaded machine)
        # One probe (one batch) per started interval at most: checks never add upstream requests.
        assert srv.calls("POST", "/node") <= int(elapsed / interval) + 1
        assert srv.calls("POST", "/ref") <= int(elapsed / interval) + 1

"""The sui probe against the SIMULATED Sui network over gRPC-web (loopback), and through the real exporter.

No sui-node runs here; the simulator's answers are checked by @mysten/sui in test_sui_sdk.py.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import ClientSession, web
from prometheus_client.parser import text_string_to_metric_families

from chainwatch.assembly.config import parse
from chainwatch.devnet.procs import free_port
from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.exporters.server import Exporter, build_app
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.sui.config import SuiChain
from chainwatch.kinds.sui.grpcweb import service_info
from chainwatch.kinds.sui.probe import PROBE
from chainwatch.kinds.sui.simulator import CHAIN_ID, SERVER, Chain, Simulator
from tests.support.poll import async_wait_until

NODES = ["sui-1", "sui-ref-1", "sui-ref-2", "sui-ref-3"]


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


def block(chain: Chain, port: int, **extra) -> dict:
    return {
        "kind": "sui",
        "network": "simnet",
        "chain_id": CHAIN_ID,
        "block_time_seconds": chain.checkpoint_seconds,
        "endpoints": [{"name": n, "url": f"http://127.0.0.1:{port}/{n}", "role": "reference" if "ref" in n else "node", **extra} for n in chain.nodes],
    }


async def probe(chain: Chain, sim: Simulator, transport, **extra) -> tuple[ProbeResult, ProbeContext]:
    cfg = SuiChain.model_validate(block(chain, sim.port, **extra))
    ctx = ProbeContext(transport, asyncio.get_running_loop().time() + 5, {}, cfg)
    result = ProbeResult(success=False)
    await PROBE.run(cfg.endpoint("sui-1"), ctx, result)
    return result, ctx


async def test_head_age_history_and_version(transport, tmp_path):
    chain = Chain(["sui-1"], manual=True, token="s3cret-token")
    (tmp_path / "token").write_text("s3cret-token\n")
    async with Simulator(chain) as sim:
        chain.tick()
        chain.control({"action": "prune", "node": "sui-1", "checkpoints": 250})
        result, ctx = await probe(chain, sim, transport, token_file=str(tmp_path / "token"))
    assert result.head_height == chain.height == result.get("chainwatch_head_height")
    assert abs(result.head_timestamp - chain.stamps[chain.height] / 1000) < 1e-6
    assert 0 <= result.get("chainwatch_head_age_seconds") < 5
    assert result.get("chainwatch_sui_history_checkpoints") == 250
    assert result.get("chainwatch_node_info", client_version=SERVER) == 1
    assert [c.method for c in ctx.calls] == ["GetServiceInfo"]


async def test_no_token_is_auth_and_the_token_never_shows(transport, tmp_path):
    chain = Chain(["sui-1"], manual=True, token="s3cret-token")
    (tmp_path / "token").write_text("wrong-token-value\n")
    async with Simulator(chain) as sim:
        with pytest.raises(ProbeFailure) as failure:
            await probe(chain, sim, transport, token_file=str(tmp_path / "token"))
    assert failure.value.reason == "auth" and "16" in failure.value.detail
    assert "wrong-token-value" not in str(failure.value)


async def test_another_network_is_wrong_chain(transport):
    chain = Chain(["sui-1"], manual=True)
    async with Simulator(chain) as sim:
        chain.control({"action": "set_chain_id", "node": "sui-1"})
        with pytest.raises(ProbeFailure) as failure:
            await probe(chain, sim, transport)
    assert failure.value.reason == "wrong_chain"


async def test_a_json_rpc_only_endpoint_fails_with_deprecated_api(transport):
    chain = Chain(["sui-1"], manual=True)
    async with Simulator(chain) as sim:
        chain.control({"action": "jsonrpc_only", "node": "sui-1"})
        with pytest.raises(ProbeFailure) as failure:
            await probe(chain, sim, transport)
    assert failure.value.reason == "deprecated_api"


def test_a_truncated_message_is_invalid_response():
    with pytest.raises(ProbeFailure) as failure:
        service_info(b"\x22\x05ab")  # field 4 length-delimited, 5 bytes announced, 2 sent
    assert failure.value.reason == "invalid_response"


async def test_a_stalled_reference_among_three_does_not_move_the_lag_a_stalled_node_does():
    chain = Chain(NODES, checkpoint_seconds=0.2)
    async with Simulator(chain) as sim, ClientSession() as session:
        exporter_cfg = {"min_probe_interval_seconds": 0, "reference_max_age_seconds": 0, "default_timeout_seconds": 5}
        exporter = Exporter(parse(json.dumps({"exporter": exporter_cfg, "chains": {"sui": block(chain, sim.port)}}), env={}))
        runner = web.AppRunner(build_app(exporter), access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()

        async def until(check, what: str) -> dict:
            async def once():
                async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                    text = await resp.text()
                m = {(s.name, s.labels.get("endpoint"), s.labels.get("reason")): s.value for f in text_string_to_metric_families(text) for s in f.samples}
                return (m,) if check(m) else None

            [m] = await async_wait_until(once, 20, what, interval=0.2, errors=())
            return m

        try:
            chain.control({"action": "lag", "node": "sui-ref-3"})  # a reference serving a stale checkpoint (sui#27296)
            m = await until(lambda m: m.get(("chainwatch_sync_lag_blocks", "sui-ref-3", None), 0) >= 10, "the stale reference behind")
            assert m[("chainwatch_sync_lag_blocks", "sui-1", None)] <= 2
            chain.control({"action": "lag", "node": "sui-1"})
            m = await until(lambda m: m.get(("chainwatch_sync_lag_blocks", "sui-1", None), 0) >= 10, "sui-1 behind")
            assert m[("chainwatch_sync_lag_seconds", "sui-1", None)] >= 10 * chain.checkpoint_seconds * 0.8
            chain.control({"action": "jsonrpc_only", "node": "sui-ref-2"})
            await until(lambda m: m.get(("chainwatch_probe_failure_reason", "sui-ref-2", "deprecated_api")) == 1, "deprecated_api exported")
        finally:
            await runner.cleanup()

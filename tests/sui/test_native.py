"""The sui probe over native gRPC (HTTP/2, grpclib) against the SIMULATED Sui network's h2 port (loopback).

Same answers as over gRPC-web (test_probe.py); here what only the transport changes: the
bearer token in the ``authorization`` metadata, and what an endpoint that is no gRPC server
(an HTTP/1.1 JSON-RPC node) or a node without the service (UNIMPLEMENTED) reports.
"""

from __future__ import annotations

import asyncio

import pytest

from chainwatch.exporters.failures import ProbeFailure
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.exporters.transport import Transport
from chainwatch.kinds.sui.config import SuiChain
from chainwatch.kinds.sui.probe import PROBE
from chainwatch.kinds.sui.simulator import CHAIN_ID, SERVER, Chain, Simulator


@pytest.fixture
async def transport():
    t = Transport()
    yield t
    await t.close()


async def probe(url: str, transport, **extra) -> tuple[ProbeResult, ProbeContext]:
    cfg = SuiChain.model_validate(
        {"kind": "sui", "network": "simnet", "chain_id": CHAIN_ID, "endpoints": [{"name": "sui-1", "url": url, "transport": "grpc", **extra}]}
    )
    ctx = ProbeContext(transport, asyncio.get_running_loop().time() + 5, {}, cfg)
    result = ProbeResult(success=False)
    await PROBE.run(cfg.endpoint("sui-1"), ctx, result)
    return result, ctx


async def test_native_grpc_reads_the_head_with_the_token(transport, tmp_path):
    chain = Chain(["sui-1"], manual=True, token="s3cret-token")
    (tmp_path / "token").write_text("s3cret-token\n")
    async with Simulator(chain):
        chain.tick()
        chain.control({"action": "prune", "node": "sui-1", "checkpoints": 300})
        result, ctx = await probe(chain.grpc_url("sui-1"), transport, token_file=str(tmp_path / "token"))
        again, _ = await probe(chain.grpc_url("sui-1"), transport, token_file=str(tmp_path / "token"))  # the kept channel
    assert result.head_height == again.head_height == chain.height
    assert result.get("chainwatch_sui_history_checkpoints") == 300
    assert result.get("chainwatch_node_info", client_version=SERVER) == 1
    assert [(c.method, c.ok) for c in ctx.calls] == [("GetServiceInfo", True)] and ctx.calls[0].seconds < 5


async def test_native_grpc_wrong_token_is_auth_and_never_shows(transport, tmp_path):
    chain = Chain(["sui-1"], manual=True, token="s3cret-token")
    (tmp_path / "token").write_text("wrong-token-value\n")
    async with Simulator(chain):
        with pytest.raises(ProbeFailure) as failure:
            await probe(chain.grpc_url("sui-1"), transport, token_file=str(tmp_path / "token"))
    assert failure.value.reason == "auth" and "16" in failure.value.detail
    assert "wrong-token-value" not in str(failure.value)


async def test_an_http1_json_rpc_node_on_native_grpc_is_deprecated_api(transport):
    chain = Chain(["sui-1"], manual=True)
    async with Simulator(chain) as sim:
        chain.control({"action": "jsonrpc_only", "node": "sui-1"})
        with pytest.raises(ProbeFailure) as failure:
            await probe(sim.url("sui-1"), transport)  # the HTTP/1.1 port: drops the h2 preface, answers JSON-RPC
    assert failure.value.reason == "deprecated_api"


async def test_unimplemented_without_json_rpc_stays_rpc_error(transport):
    chain = Chain(["sui-1"], manual=True)
    async with Simulator(chain):
        chain.control({"action": "jsonrpc_only", "node": "sui-1"})
        with pytest.raises(ProbeFailure) as failure:
            await probe(chain.grpc_url("sui-1"), transport)  # h2 answers UNIMPLEMENTED; no JSON-RPC there either
    assert failure.value.reason == "rpc_error" and "12" in failure.value.detail


async def test_nothing_listening_is_connect(transport):
    from chainwatch.devnet.procs import free_port

    with pytest.raises(ProbeFailure) as failure:
        await probe(f"http://127.0.0.1:{free_port()}", transport)
    assert failure.value.reason == "connect"


def test_a_websocket_stream_url_is_refused_with_the_field_named():
    from chainwatch.assembly.config import ConfigError, parse

    text = (
        "chains:\n  sui:\n    kind: sui\n    network: mainnet\n    chain_id: " + CHAIN_ID + "\n    endpoints:\n"
        '      - {name: sui-1, url: "http://127.0.0.1:9000", ws_url: "ws://127.0.0.1:9000", transport: grpc}\n'
    )
    with pytest.raises(ConfigError) as error:
        parse(text, env={})
    assert "chains.sui.endpoints" in str(error.value) and "http:// or https://" in str(error.value) and "chainwatch.yaml:7:" in str(error.value)

"""The Sui checkpoint stream (SubscribeCheckpoints) as the kind's stream capability, over gRPC-web
and native gRPC, against the SIMULATED Sui network (loopback): the stream's head follows the
chain, and a stalled stream falls behind the polled head (chainwatch_stream_lag_blocks)."""

from __future__ import annotations

import pytest

from chainwatch.exporters.streams import StreamWatch
from chainwatch.kinds.sui.config import SuiChain
from chainwatch.kinds.sui.simulator import CHAIN_ID, Chain, Simulator
from chainwatch.kinds.sui.stream import STREAM
from tests.support.poll import async_wait_until


def samples(watch: StreamWatch) -> dict:
    return {name: value for name, _, value in watch.samples()}


@pytest.mark.parametrize("transport", ["grpc-web", "grpc"])
async def test_the_stream_follows_and_a_stalled_stream_lags_the_polled_head(transport, tmp_path):
    chain = Chain(["sui-1"], manual=True, token="str3am-token")
    (tmp_path / "token").write_text("str3am-token\n")
    async with Simulator(chain) as sim:
        url = chain.grpc_url("sui-1") if transport == "grpc" else sim.url("sui-1")
        cfg = SuiChain.model_validate(
            {
                "kind": "sui",
                "network": "simnet",
                "chain_id": CHAIN_ID,
                "block_time_seconds": 0.25,
                "endpoints": [{"name": "sui-1", "url": url, "ws_url": url, "transport": transport, "token_file": str(tmp_path / "token")}],
            }
        )
        watch = StreamWatch("sui", cfg, cfg.endpoint("sui-1"), STREAM, lambda: chain.height)
        await watch.start()
        try:
            await async_wait_until(lambda: watch.head == chain.height or None, 10, "the stream's first checkpoint", interval=0.05)
            for _ in range(3):
                chain.tick()
            await async_wait_until(lambda: watch.head == chain.height or None, 10, "three more checkpoints streamed", interval=0.05)
            m = samples(watch)
            assert m["chainwatch_stream_connected"] == 1 and m["chainwatch_stream_lag_blocks"] == 0
            chain.control({"action": "stall_stream", "node": "sui-1"})
            for _ in range(7):
                chain.tick()
            m = samples(watch)
            assert m["chainwatch_stream_lag_blocks"] == 7 and m["chainwatch_stream_reconnects_total"] == 0
        finally:
            await watch.stop()


async def test_a_wrong_token_never_connects_and_never_shows(tmp_path, caplog):
    chain = Chain(["sui-1"], manual=True, token="str3am-token")
    (tmp_path / "token").write_text("not-the-token\n")
    async with Simulator(chain) as sim:
        cfg = SuiChain.model_validate(
            {
                "kind": "sui",
                "network": "simnet",
                "chain_id": CHAIN_ID,
                "endpoints": [{"name": "sui-1", "url": sim.url("sui-1"), "ws_url": sim.url("sui-1"), "token_file": str(tmp_path / "token")}],
            }
        )
        watch = StreamWatch("sui", cfg, cfg.endpoint("sui-1"), STREAM, lambda: chain.height)
        await watch.start()
        try:
            await async_wait_until(lambda: watch.connections >= 2 or None, 10, "a reconnect after the refusal", interval=0.05)
        finally:
            await watch.stop()
    assert watch.head is None
    assert "not-the-token" not in caplog.text and any("16" in getattr(r, "detail", "") for r in caplog.records)


def test_a_malformed_message_is_a_stream_error():
    from chainwatch.exporters.streams import StreamError

    with pytest.raises(StreamError):
        STREAM.head(b"\x0a\x05ab")  # field 1 length-delimited, 5 bytes announced, 2 sent
    assert STREAM.head(b"\x08\x96\x01") == 150  # cursor = 150

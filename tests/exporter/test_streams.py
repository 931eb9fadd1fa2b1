"""Head subscriptions (``ws_url``) against a real anvil's WebSocket (``eth_subscribe newHeads``
on its HTTP port), through a loopback TCP proxy that causes the faults: the server stops
sending while the connection stays open, and the connection is dropped.

The exporter runs in-process on a loopback port and is read through ``/metrics`` as
Prometheus would; its stream heartbeat and handshake deadlines are shortened so the faults
show within seconds (the production values are 15 s and 10 s).
"""

from __future__ import annotations


import pytest

from chainwatch.exporters import streams
from tests.support.stack import Anvil, Samples
from tests.support.served import ServedExporter
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.anvil


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(streams, "HANDSHAKE_SECONDS", 2.0)
    monkeypatch.setattr(streams, "BACKOFF_MAX", 2.0)
    return monkeypatch


@pytest.fixture
def anvil(tmp_path):
    node = Anvil(tmp_path, block_time=1, name="node")
    yield node
    node.stop()


class Running(ServedExporter):
    async def until(self, check, timeout: float = 20.0, what: str = "") -> Samples:
        return await super().until(check, timeout, what, show=("chainwatch_stream", "chainwatch_head_height"))


def config(http_url: str, ws_url: str) -> str:
    return f"""
exporter: {{min_probe_interval_seconds: 0.2}}
chains:
  local:
    kind: evm
    network: devnet
    chain_id: 31337
    block_time_seconds: 1
    endpoints:
      - {{name: node-1, url: "{http_url}", ws_url: "{ws_url}"}}
"""


def v(s: Samples, name: str):
    return s.value(name, endpoint="node-1")


async def test_newheads_follow_the_http_head(anvil, fast):
    async with Running(config(anvil.url, anvil.url.replace("http://", "ws://"))) as ex:
        s = await ex.until(lambda s: (v(s, "chainwatch_stream_head_height") or 0) >= 2, what="a head from newHeads")
        assert v(s, "chainwatch_stream_connected") == 1
        assert v(s, "chainwatch_stream_reconnects_total") == 0
        assert v(s, "chainwatch_stream_last_message_age_seconds") < 3
        assert v(s, "chainwatch_stream_lag_blocks") <= 1
        assert abs(v(s, "chainwatch_stream_head_height") - v(s, "chainwatch_head_height")) <= 1


async def test_server_stops_sending_then_resumes(anvil, fast):
    fast.setattr(streams, "HEARTBEAT_SECONDS", 2.0)  # an unanswered ping gives the connection up after 1 s
    proxy = await TcpProxy(anvil.port).start()
    try:
        async with Running(config(anvil.url, f"ws://127.0.0.1:{proxy.port}")) as ex:
            await ex.until(lambda s: v(s, "chainwatch_stream_connected") == 1 and v(s, "chainwatch_stream_head_height") is not None, what="subscribed")
            proxy.stall()
            stalled_at = anvil.head()
            # Quiet and behind while the HTTP head moves on: what the alerts look for.
            s = await ex.until(
                lambda s: v(s, "chainwatch_stream_last_message_age_seconds") > 4 and (v(s, "chainwatch_stream_lag_blocks") or 0) >= 3, what="quiet and behind"
            )
            assert v(s, "chainwatch_head_height") >= stalled_at + 3
            assert v(s, "chainwatch_stream_head_height") <= stalled_at
            # Heartbeats go unanswered: the watch gives the connection up and keeps trying.
            await ex.until(
                lambda s: v(s, "chainwatch_stream_connected") == 0 and v(s, "chainwatch_stream_reconnects_total") >= 1, what="disconnected and retrying"
            )
            proxy.resume()
            await ex.until(
                lambda s: (
                    v(s, "chainwatch_stream_connected") == 1
                    and v(s, "chainwatch_stream_last_message_age_seconds") < 2
                    and (v(s, "chainwatch_stream_lag_blocks") or 0) <= 1
                ),
                what="caught up again",
            )
    finally:
        await proxy.stop()


async def test_dropped_connection_reconnects_with_backoff(anvil, fast):
    proxy = await TcpProxy(anvil.port).start()
    try:
        async with Running(config(anvil.url, f"ws://127.0.0.1:{proxy.port}")) as ex:
            await ex.until(lambda s: v(s, "chainwatch_stream_connected") == 1 and v(s, "chainwatch_stream_head_height") is not None, what="subscribed")
            first = proxy.connections
            proxy.drop()
            s = await ex.until(
                lambda s: (
                    v(s, "chainwatch_stream_reconnects_total") >= 1
                    and v(s, "chainwatch_stream_connected") == 1
                    and v(s, "chainwatch_stream_last_message_age_seconds") < 2
                ),
                what="reconnected and hearing heads",
            )
            assert first + 1 <= proxy.connections <= first + 3  # a new connection, not a storm
            head = v(s, "chainwatch_stream_head_height")
            await ex.until(lambda s: v(s, "chainwatch_stream_head_height") > head, what="heads flow again")
    finally:
        await proxy.stop()


async def test_ws_url_is_a_secret_and_never_printed(anvil, fast, caplog):
    async with Running(config(anvil.url, "ws://127.0.0.1:9/v3/SECRETWSKEY123")) as ex:
        await ex.until(lambda s: v(s, "chainwatch_stream_connected") == 0 and v(s, "chainwatch_stream_reconnects_total") >= 1, what="refused, retried")
    assert "stream problem" in caplog.text  # it was said ...
    assert "SECRETWSKEY123" not in caplog.text  # ... without the key

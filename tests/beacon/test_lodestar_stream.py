"""The beacon head subscription (SSE ``/eth/v1/events?topics=head``) on a real Lodestar 1.5.1
dev chain (1-second slots), through a loopback TCP proxy that drops the connection and stops
forwarding. The watch is the exporter's own (``exporters/streams.py``), run in-process.
"""

from __future__ import annotations

import time

import pytest

from chainwatch.assembly.config import parse
from chainwatch.exporters import streams
from chainwatch.exporters.streams import watches_for
from tests.support.poll import async_wait_until
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.lodestar


async def until(check, timeout: float, what: str) -> None:
    await async_wait_until(check, timeout, what, errors=())


async def test_head_events_follow_the_node_and_survive_faults(devchain, monkeypatch):
    monkeypatch.setattr(streams, "BACKOFF_MAX", 1.0)
    devchain.wait_slot(2, timeout=90)  # Lodestar sends the stream's headers only with its first event
    proxy = await TcpProxy(devchain.port).start()
    config = parse(
        f"""
chains:
  dev:
    kind: beacon
    network: dev
    seconds_per_slot: 1
    slots_per_epoch: 8
    endpoints:
      - {{name: lodestar-1, url: "{devchain.url}", ws_url: "http://127.0.0.1:{proxy.port}"}}
""",
        env={},
    )
    http = {"head": None}
    watch = watches_for(config, lambda name: http["head"])["lodestar-1"]
    await watch.start()
    try:
        await until(lambda: watch.head is not None and watch.connected, 60, "a head event")
        first = watch.head
        await until(lambda: watch.head >= first + 2, 15, "head events keep coming, one per slot")
        http["head"] = float(devchain.head_slot())
        lag = dict(((n, v) for n, _, v in watch.samples()))["chainwatch_stream_lag_blocks"]
        assert lag <= 2  # the event stream is as fresh as the REST head

        proxy.drop()  # connection dropped: reconnect and carry on
        await until(lambda: watch.reconnects >= 1 and watch.connected, 15, "reconnected")
        resumed = watch.head
        await until(lambda: watch.head > resumed, 15, "heads after the reconnect")

        proxy.stall()  # the node's events stop arriving: the message age grows
        frozen = watch.head
        await until(lambda: time.monotonic() - watch.last_message > 3, 15, "quiet")
        assert watch.head == frozen
        # behind once the node's own head has moved two slots past the frozen stream (slot time varies)
        await until(lambda: devchain.head_slot() >= frozen + 2, 30, "the REST head moving on")
        assert watch.head == frozen
        http["head"] = float(devchain.head_slot())
        lag = dict(((n, v) for n, _, v in watch.samples()))["chainwatch_stream_lag_blocks"]
        assert lag >= 2  # behind the REST head, which moved on
        proxy.resume()
        proxy.drop()  # SSE has no ping: a stalled stream is only noticed by the alert; a new connection heals it
        await until(lambda: watch.head > frozen, 20, "heads again after the stall")
    finally:
        await watch.stop()
        await proxy.stop()

"""Solana's head subscription parser (``slotSubscribe``) on messages shaped as the Solana RPC
"Websocket Methods" page documents them (no Solana node runs here: the WebSocket loop itself
is tested on anvil, tests/exporter/test_streams.py, and on hostile servers)."""

from __future__ import annotations

import pytest

from chainwatch import kinds
from chainwatch.exporters.streams import StreamError, SubscriptionRefused

STREAM = kinds.get("solana").stream()


def test_subscription_request_and_notifications():
    assert STREAM.protocol == "websocket"
    assert STREAM.subscribe() == {"jsonrpc": "2.0", "id": 1, "method": "slotSubscribe"}
    assert STREAM.head({"jsonrpc": "2.0", "result": 0, "id": 1}) is None  # the subscription id
    note = {"jsonrpc": "2.0", "method": "slotNotification", "params": {"result": {"parent": 75, "root": 44, "slot": 76}, "subscription": 0}}
    assert STREAM.head(note) == 76
    assert STREAM.head({"jsonrpc": "2.0", "method": "rootNotification", "params": {"result": 42, "subscription": 1}}) is None


@pytest.mark.parametrize("slot", ["76", 76.0, -1, None, True, [76]])
def test_malformed_slots_are_errors(slot):
    with pytest.raises(StreamError):
        STREAM.head({"method": "slotNotification", "params": {"result": {"slot": slot}, "subscription": 0}})


def test_refused_subscription_asks_for_a_reconnect():
    with pytest.raises(SubscriptionRefused):
        STREAM.head({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Method not found"}})

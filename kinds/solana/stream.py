"""Solana head subscription: ``slotSubscribe`` over the RPC node's WebSocket (PubSub) port.

Source: Solana RPC "Websocket Methods" — ``slotSubscribe``: the request
``{"jsonrpc":"2.0","id":1,"method":"slotSubscribe"}`` is answered with ``{"id":1,"result":0}``
(the subscription id), then every slot the node processes arrives as::

    {"jsonrpc":"2.0","method":"slotNotification",
     "params":{"result":{"parent":75,"root":44,"slot":76},"subscription":0}}

``slot`` is an integer (the processed slot: usually a slot or two ahead of the confirmed slot
the HTTP probe reports, so lag is counted only when the subscription is behind).
"""

from __future__ import annotations

from chainwatch.exporters.streams import StreamError, SubscriptionRefused


class SlotSubscribe:
    protocol = "websocket"
    path = ""

    def subscribe(self) -> dict:
        return {"jsonrpc": "2.0", "id": 1, "method": "slotSubscribe"}

    def head(self, message) -> float | None:
        if not isinstance(message, dict):
            raise StreamError("message is not a JSON object")
        if message.get("id") == 1 and message.get("method") is None:
            if message.get("error") is not None:
                raise SubscriptionRefused("slotSubscribe refused by the node")
            return None
        if message.get("method") != "slotNotification":
            return None
        params = message.get("params")
        result = params.get("result") if isinstance(params, dict) else None
        slot = result.get("slot") if isinstance(result, dict) else None
        if type(slot) is not int or slot < 0:
            raise StreamError("slotNotification without an integer slot")
        return slot


STREAM = SlotSubscribe()

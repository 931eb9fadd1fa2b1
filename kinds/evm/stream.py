"""EVM head subscription: ``eth_subscribe ["newHeads"]`` over the endpoint's WebSocket.

Source: the Ethereum JSON-RPC pub/sub API (geth "Real-time Events"): the request
``{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}`` is answered with
``{"id":1,"result":"0x<subscription id>"}``, then every new head arrives as::

    {"jsonrpc":"2.0","method":"eth_subscription",
     "params":{"subscription":"0x...","result":{"number":"0x1b4","hash":"0x...","timestamp":"0x..."}}}

``number`` is a hex QUANTITY. An error answer to the request means the node refuses
subscriptions on this connection (e.g. pub/sub disabled): reconnect with back-off.
"""

from __future__ import annotations

from chainwatch.exporters.streams import StreamError, SubscriptionRefused


def _quantity(value) -> int:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")) or not 3 <= len(value) <= 66:
        raise StreamError("head number is not a hex quantity")
    try:
        return int(value, 16)
    except ValueError:
        raise StreamError("head number is not a hex quantity") from None


class NewHeads:
    protocol = "websocket"
    path = ""

    def subscribe(self) -> dict:
        return {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}

    def head(self, message) -> float | None:
        if not isinstance(message, dict):
            raise StreamError("message is not a JSON object")
        if message.get("id") == 1 and message.get("method") is None:
            if message.get("error") is not None:
                raise SubscriptionRefused("eth_subscribe refused by the node")
            return None  # the subscription id
        if message.get("method") != "eth_subscription":
            return None
        params = message.get("params")
        result = params.get("result") if isinstance(params, dict) else None
        if not isinstance(result, dict):
            raise StreamError("eth_subscription without a block header")
        return _quantity(result.get("number"))


STREAM = NewHeads()

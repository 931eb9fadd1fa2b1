"""Beacon head subscription: the Beacon API event stream, ``GET /eth/v1/events?topics=head``.

Source: Ethereum Beacon APIs, ``eventstream`` (Server-Sent Events). ``ws_url`` is the beacon
node's REST base URL (http:// or https://); each new head arrives as::

    event: head
    data: {"slot":"10", "block":"0x9a2f...", "state":"0x600e...", "epoch_transition":false, ...}

``slot`` is a decimal string (uint64 as the Beacon API encodes every integer).
"""

from __future__ import annotations

from chainwatch.exporters.streams import StreamError


class HeadEvents:
    protocol = "sse"
    path = "/eth/v1/events?topics=head"

    def subscribe(self) -> dict:
        return {}

    def head(self, message) -> float | None:
        if message.get("event") != "head":
            return None
        data = message.get("data")
        slot = data.get("slot") if isinstance(data, dict) else None
        if not isinstance(slot, str) or not slot.isascii() or not slot.isdigit() or len(slot) > 20:
            raise StreamError("head event without a decimal slot")
        return int(slot)


STREAM = HeadEvents()

"""Kind 3 of issue #14: rate limits sent inside an HTTP 200 (JSON-RPC error codes or messages,
on the whole request or one item) are ``rate_limited`` with the same back-off as an HTTP 429,
honouring a back-off hint in ``error.data`` or the message. Every JSON-RPC kind, through the
shared ``jsonrpc.call``.

Servers: loopback fakes; the Infura body is its documented in-200 rate-limit answer
(tests/fixtures/field/infura-rate-limited.json).
"""

from __future__ import annotations

import json
import time

import pytest

from chainwatch.exporters import jsonrpc
from chainwatch.exporters.scheduler import DEFAULT_BACKOFF_SECONDS
from tests.support.fakeserver import FakeServer

from .support import NODE, chain_config, evm_answers, fixture, probe_rounds, solana_answers

KINDS = {"evm": evm_answers, "solana": solana_answers}
INFURA = fixture("infura-rate-limited.json")["error"]
# signal -> (error object, where: "whole" request or one "item", expected back-off seconds)
SIGNALS = {
    "infura_-32005_backoff_hint": (INFURA, "whole", 30.0),
    "item_-32005": ({"code": -32005, "message": "limit exceeded"}, "item", DEFAULT_BACKOFF_SECONDS),
    "item_-32029": ({"code": -32029, "message": "Too many requests"}, "item", DEFAULT_BACKOFF_SECONDS),
    "item_-32090": (
        {"code": -32090, "message": "Too many requests, reason: call rate limit exhausted, retry in 10s", "data": {"trace_id": "x", "retry_after": 10}},
        "item",
        10.0,
    ),
    "whole_-32012": ({"code": -32012, "message": "credits limited to 50/s"}, "whole", DEFAULT_BACKOFF_SECONDS),
    "message_only": ({"code": -32000, "message": "Your app has exceeded its compute units per second capacity"}, "item", DEFAULT_BACKOFF_SECONDS),
    "message_hint": ({"code": -32000, "message": "rate limit reached, try again in 2s"}, "whole", 2.0),
    "data_retry_after_ms": ({"code": -32029, "message": "slow down", "data": {"retryAfterMs": 1500}}, "whole", 1.5),
}
ROWS = [(k, s) for k in KINDS for s in SIGNALS]


def limited(kind: str, error: dict, where: str, first: str):
    answers = KINDS[kind]()

    def item(call):
        if call["method"] == first and where == "item":
            return {"jsonrpc": "2.0", "id": call["id"], "error": error}
        return {"jsonrpc": "2.0", "id": call["id"], "result": answers(call["method"], call.get("params") or [])}

    async def handler(request, raw):
        payload = json.loads(raw)
        if where == "whole":
            return {"jsonrpc": "2.0", "id": None, "error": error}
        return [item(c) for c in payload] if isinstance(payload, list) else item(payload)

    return handler


@pytest.mark.parametrize("kind, signal", ROWS, ids=[f"{k}-{s}" for k, s in ROWS])
async def test_rate_limits_inside_http_200_back_off_like_429(kind, signal):
    error, where, backoff = SIGNALS[signal]
    with FakeServer() as srv:
        srv.route("POST", "/node", limited(kind, error, where, "eth_gasPrice" if kind == "evm" else "getBlockHeight"))
        before = time.monotonic()
        snap, s, scheduler = await probe_rounds(chain_config(kind, srv.url("/node")), rounds=2)
        hits = srv.calls("POST", "/node")
    assert s.value("chainwatch_probe_failure_reason", reason="rate_limited", **NODE) == 1
    assert s.value("chainwatch_probe_failures_total", reason="rate_limited", **NODE) == 2
    assert hits == 1  # the second round waited out the back-off: the endpoint was not asked again
    until = scheduler.states["node-1"].backoff_until - before
    assert backoff - 1 <= until <= backoff + 5


@pytest.mark.parametrize(
    "error",
    [
        {"code": -32600, "message": "batch limit 100 exceeded"},
        {"code": -32000, "message": "query returned more than 10000 results / block range limit exceeded"},
        {"code": -32000, "message": "response size limit exceeded"},
        {"code": -32601, "message": "method not found"},
    ],
)
def test_size_limits_are_not_rate_limits(error):
    assert not jsonrpc.rate_limited(error)


async def test_solana_node_unhealthy_is_data_not_a_rate_limit():
    # Agave's -32005 NodeUnhealthy shares EIP-1474's "limit exceeded" code: the Solana kind reserves it.
    unhealthy = {"code": -32005, "message": "Node is behind by 42 slots", "data": {"numSlotsBehind": 42}}
    with FakeServer() as srv:
        srv.jsonrpc("/node", solana_answers(getHealth=unhealthy))
        _, s, _ = await probe_rounds(chain_config("solana", srv.url("/node")))
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert s.value("chainwatch_solana_health_behind_slots", **NODE) == 42


@pytest.mark.parametrize(
    "data, message, seconds",
    [
        ({"rate": {"backoff_seconds": 30}}, "", 30.0),
        ({"retry-after": "7"}, "", 7.0),
        ({"backoff_ms": 250}, "", 0.25),
        ({"retry_after": "nan"}, "", None),
        ({"retry_after": 10**9}, "", 3600.0),
        (None, "Try again in 3 seconds", 3.0),
        ("not an object", "retry after 500ms", 0.5),
        (None, "slow down", None),
    ],
)
def test_backoff_hint(data, message, seconds):
    assert jsonrpc.backoff_hint({"code": -32029, "message": message, "data": data}) == seconds

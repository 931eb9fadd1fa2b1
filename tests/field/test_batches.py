"""Kind 2 of issue #14: an endpoint that refuses JSON-RPC batches, however it says so, is read
with single calls; the refusal is remembered per endpoint, batching is retried now and then,
and ``batch: false`` never batches. One mechanism (``exporters/jsonrpc.call``) for every
JSON-RPC kind (EVM, Solana, and kinds added later).

Servers: loopback fakes (tests/support/fakeserver.py) answering single calls in the documented
shapes and refusing arrays the ways relays do; the whole-request error bodies are the recorded /
reported answers in tests/fixtures/field/.
"""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from chainwatch.exporters import jsonrpc
from tests.support.fakeserver import FakeServer

from .support import NODE, chain_config, evm_answers, fixture, probe_rounds, solana_answers

REFUSALS = {
    "hedera_error_object": lambda: (200, fixture("hedera-relay-batch-refused.json")),
    "batch_limit_error": lambda: (200, fixture("erigon-batch-limit.json")),
    "status_400": lambda: (400, {"error": "batch requests are not supported"}),
    "status_405": lambda: (405, {"error": "method not allowed"}),
    "status_413": lambda: (413, {"error": "request entity too large"}),
    "dropped_connection": None,
}
KINDS = {"evm": evm_answers, "solana": solana_answers}


def refusing(kind: str, refusal: str, log: list[str]):
    answers = KINDS[kind]()

    async def handler(request, raw):
        payload = json.loads(raw)
        if isinstance(payload, list):
            log.append("batch")
            make = REFUSALS[refusal]
            if make is None:
                request.transport.close()  # the connection dropped while the batch was read
                return web.Response(status=200)
            status, body = make()
            return web.json_response(body, status=status)
        log.append(payload["method"])
        value = answers(payload["method"], payload.get("params") or [])
        if isinstance(value, dict) and set(value) >= {"code", "message"} and len(value) <= 3:
            return {"jsonrpc": "2.0", "id": payload["id"], "error": value}
        return {"jsonrpc": "2.0", "id": payload["id"], "result": value}

    return handler


ROWS = [(k, r) for k in KINDS for r in REFUSALS]


@pytest.mark.parametrize("kind, refusal", ROWS, ids=[f"{k}-{r}" for k, r in ROWS])
async def test_refused_batches_fall_back_to_single_calls_and_are_remembered(kind, refusal):
    log: list[str] = []
    with FakeServer() as srv:
        srv.route("POST", "/node", refusing(kind, refusal, log))
        snap, s, scheduler = await probe_rounds(chain_config(kind, srv.url("/node")), rounds=2)
    assert s.value("chainwatch_probe_success", **NODE) == 1, snap.results["node-1"].detail
    assert s.value("chainwatch_head_height", **NODE) == 16
    assert log.count("batch") == 1  # refused once, then remembered for this endpoint
    assert len(log) > 4  # the methods were asked one by one
    assert scheduler.states["node-1"].cache["no_batch_until"] > 0


@pytest.mark.parametrize("kind", list(KINDS))
async def test_batching_is_retried_after_a_while(kind, monkeypatch):
    log: list[str] = []
    with FakeServer() as srv:
        srv.route("POST", "/node", refusing(kind, "hedera_error_object", log))
        chain = chain_config(kind, srv.url("/node"))
        _, _, scheduler = await probe_rounds(chain, rounds=1)
        cache = scheduler.states["node-1"].cache
        assert not jsonrpc.batching(scheduler.states["node-1"].endpoint, cache)
        # BATCH_RETRY_SECONDS later (the clock moved on): a batch is tried again
        cache["no_batch_until"] -= jsonrpc.BATCH_RETRY_SECONDS + 1
        assert jsonrpc.batching(scheduler.states["node-1"].endpoint, cache)


@pytest.mark.parametrize("kind", list(KINDS))
async def test_batch_false_never_sends_a_batch(kind):
    log: list[str] = []
    with FakeServer() as srv:
        srv.route("POST", "/node", refusing(kind, "status_400", log))
        _, s, _ = await probe_rounds(chain_config(kind, srv.url("/node"), batch=False), rounds=2)
    assert s.value("chainwatch_probe_success", **NODE) == 1
    assert "batch" not in log


@pytest.mark.parametrize("kind", list(KINDS))
async def test_an_endpoint_that_is_down_is_not_asked_every_method(kind):
    # A 503 is the endpoint failing, not a batch refusal: no fallback, one request per round.
    with FakeServer() as srv:
        srv.route("POST", "/node", status=503, json_body={"error": "unavailable"})
        _, s, _ = await probe_rounds(chain_config(kind, srv.url("/node")), rounds=1)
        assert srv.calls("POST", "/node") == 1
    assert s.value("chainwatch_probe_failure_reason", reason="http_status", **NODE) == 1


async def test_evm_relay_recorded_refusal_end_to_end():
    # Field case evm-batch-refused: the Hedera relay (chain id 295) answers every batch with the
    # recorded whole-request error and single calls normally.
    log: list[str] = []
    answers = evm_answers(eth_chainId=hex(295), txpool_status={"code": -32601, "message": "Method txpool_status not found"})

    async def relay(request, raw):
        payload = json.loads(raw)
        if isinstance(payload, list):
            log.append("batch")
            return fixture("hedera-relay-batch-refused.json")
        value = answers(payload["method"], payload.get("params") or [])
        key = "error" if isinstance(value, dict) and "code" in value else "result"
        return {"jsonrpc": "2.0", "id": payload["id"], key: value}

    with FakeServer() as srv:
        srv.route("POST", "/relay", relay)
        chain = chain_config("evm", srv.url("/relay"), role="provider")
        chain.update(chain_id=295, block_time_seconds=2)
        snap, s, _ = await probe_rounds(chain, rounds=2)
    assert s.value("chainwatch_probe_success", **NODE) == 1, snap.results["node-1"].detail
    assert s.find("chainwatch_mempool_transactions", **NODE) == []  # not supported by the relay: absent
    assert log.count("batch") == 1

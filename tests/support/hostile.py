"""A misbehaving upstream on loopback: every path prefix is one way an RPC endpoint breaks.

Real providers answer with HTML error pages, truncated JSON, 429s, the wrong chain,
50 MB bodies and connections that never finish. This server does each of those on
purpose, so the exporter can be tested through its real HTTP endpoint against them.

    srv = HostileServer(good=EVM).start()
    srv.url("slow_drip")            # http://127.0.0.1:PORT/slow_drip/
    srv.url("ok", "v3/KEY")         # the well-behaved answer of the chain kind
    srv.requests                    # every request seen: (method, path_qs, headers, body)

The *kind* (``good=``) supplies the well-behaved answer and the JSON mutations that are
specific to an API (JSON-RPC batches for EVM/Solana, REST routes for beacon). Transport
misbehaviours (drip, stall, cut, huge, bomb, status codes) are the same for every kind.
TLS: ``HostileServer(tls=True)`` serves HTTPS with a self-signed certificate made at
test time with the openssl CLI, which the exporter must refuse.

No network beyond 127.0.0.1 is touched. Addresses for the failures that need no server:
:func:`refused_url` (a closed loopback port) and :data:`DNS_FAIL_URL` (``.invalid`` is
reserved by RFC 2606 and never resolves).
"""

from __future__ import annotations

import json
import ssl
import subprocess
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from chainwatch.devnet.procs import free_port

from . import require_binary
from .answers import BITCOIN_BEST, beacon_answers, beacon_table, bitcoin_results, cosmos_answers, cosmos_table, evm_results, jsonrpc_answer, solana_results
from .fakeserver import FakeServer

DNS_FAIL_URL = "http://chainwatch-hardening.invalid:8545/"

Mutation = Callable[[web.Request, bytes, "Kind"], Awaitable[web.StreamResponse]]


def refused_url(path: str = "") -> str:
    return f"http://127.0.0.1:{free_port()}/{path}"


# --------------------------------------------------------------------------- chain kinds


@dataclass
class Kind:
    """How a chain kind answers when it behaves: ``answer(request, raw) -> (status, json)``."""

    name: str
    answer: Callable[[web.Request, bytes], tuple[int, Any]]
    mutations: dict[str, Mutation] = field(default_factory=dict)


def _json(status: int, data: Any) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json")


def _batch_mutation(edit: Callable[[list[dict]], Any]) -> Mutation:
    """Answer the batch correctly, then let ``edit`` break the list of answers."""

    async def handler(request: web.Request, raw: bytes, kind: Kind) -> web.StreamResponse:
        status, data = kind.answer(request, raw)
        if not isinstance(data, list):
            data = [data]
        return _json(status, edit(data))

    return handler


def _results_mutation(**override) -> Callable[[Callable[..., Any]], Mutation]:
    def make(results_factory: Callable[..., Callable[[str, list], Any]]) -> Mutation:
        answer = jsonrpc_answer(results_factory(**override))

        async def handler(request: web.Request, raw: bytes, kind: Kind) -> web.StreamResponse:
            return _json(*answer(request, raw))

        return handler

    return make


def _shift_ids(items: list[dict]) -> list[dict]:
    return [{**i, "id": (i.get("id") or 0) + 1000} for i in items]


def _string_ids(items: list[dict]) -> list[dict]:
    return [{**i, "id": str(i.get("id"))} for i in items]


def _drop_half(items: list[dict]) -> list[dict]:
    return items[: len(items) // 2]


def _duplicate_first(items: list[dict]) -> list[dict]:
    # Every item claims to be the answer to call 0: only one may be used, the rest are missing.
    return [{**i, "id": 0} for i in items]


def _refuse_batches(status: int = 200, body: Any = None, *, drop: bool = False) -> Mutation:
    """Single calls answered well; any batch refused the way relays do (issue #14, kind 2):
    a whole-request error object (hiero-json-rpc-relay#1820), a 4xx status, a dropped connection."""

    async def handler(request: web.Request, raw: bytes, kind: Kind) -> web.StreamResponse:
        if isinstance(json.loads(raw), list):
            if drop:
                request.transport.close()
                return web.Response(status=200)
            return _json(status, body if body is not None else {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}})
        return _json(*kind.answer(request, raw))

    return handler


def _rate_limited_in_200(item_method: str | None = None) -> Mutation:
    """Rate limits inside HTTP 200 (issue #14, kind 3): Infura's whole-request -32005 with its
    back-off hint, or a -32029 on one item of the batch."""
    whole = {
        "code": -32005,
        "message": "daily request count exceeded, request rate limited",
        "data": {"see": "https://infura.io/dashboard", "current_rps": 13.3, "allowed_rps": 10.0, "backoff_seconds": 120.0},
    }

    async def handler(request: web.Request, raw: bytes, kind: Kind) -> web.StreamResponse:
        if item_method is None:
            return _json(200, {"jsonrpc": "2.0", "id": None, "error": whole})
        status, data = kind.answer(request, raw)
        items = data if isinstance(data, list) else [data]
        calls = json.loads(raw)
        calls = calls if isinstance(calls, list) else [calls]
        for item, call in zip(items, calls):
            if call.get("method") == item_method:
                item.pop("result", None)
                item["error"] = {"code": -32029, "message": "Too many requests", "data": {"retry_after": 120}}
        return _json(status, data)

    return handler


def jsonrpc_batch_mutations() -> dict[str, Mutation]:
    return {
        "batch_refused_object": _refuse_batches(),
        "batch_refused_400": _refuse_batches(400, {"error": "batch requests are not supported"}),
        "batch_refused_413": _refuse_batches(413, {"error": "request entity too large"}),
        "batch_refused_dropped": _refuse_batches(drop=True),
        "rate_limited_in_200": _rate_limited_in_200(),
        "batch_reversed": _batch_mutation(lambda items: list(reversed(items))),
        "batch_ids_shifted": _batch_mutation(_shift_ids),
        "batch_ids_strings": _batch_mutation(_string_ids),
        "batch_ids_duplicated": _batch_mutation(_duplicate_first),
        "batch_missing_items": _batch_mutation(_drop_half),
        "batch_as_object": _batch_mutation(lambda items: {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch too large"}}),
        "batch_items_not_objects": _batch_mutation(lambda items: [None, 1, "x", []] + items[:0]),
    }


def evm_kind(chain_id: int = 1, head: int = 0x10) -> Kind:
    make = lambda **o: _results_mutation(**o)(lambda **kw: evm_results(head=head, chain_id=chain_id, **kw))  # noqa: E731
    mutations = {
        **jsonrpc_batch_mutations(),
        "wrong_chain": _results_mutation()(lambda: evm_results(head=head, chain_id=chain_id + 136)),
        "decimal_numbers": make(eth_blockNumber=str(head), eth_getBlockByNumber={"number": str(head), "timestamp": str(int(time.time()))}),
        "json_numbers": make(eth_chainId=chain_id, eth_blockNumber=head),
        "nulls": make(eth_chainId=None, eth_blockNumber=None, eth_getBlockByNumber=None),
        "negative_height": make(eth_blockNumber="-0x10", eth_getBlockByNumber={"number": "-0x10", "timestamp": hex(int(time.time()))}),
        "rpc_error_objects": make(
            eth_chainId={"code": -32000, "message": "header not found"}, eth_getBlockByNumber={"code": -32000, "message": "header not found"}
        ),
        "error_code_not_int": make(net_peerCount={"code": [1, 2], "message": {"nested": True}}),
        "optional_wrong_type": make(net_peerCount=[1, 2, 3]),
        "rate_limited_item": _rate_limited_in_200("eth_gasPrice"),
    }
    return Kind("evm", jsonrpc_answer(evm_results(head=head, chain_id=chain_id)), mutations)


def solana_kind(slot: int = 16) -> Kind:
    def make(**override) -> Mutation:
        return _results_mutation(**override)(lambda **kw: solana_results(slot=slot, **kw))

    mutations = {
        **jsonrpc_batch_mutations(),
        "slot_as_string": make(getSlot=str(slot)),
        "slot_as_hex": make(getSlot=hex(slot)),
        "slot_as_float": make(getSlot=float(slot) + 0.5),
        "nulls": make(getSlot=None, getBlockHeight=None, getEpochInfo=None),
        "negative_height": make(getSlot=-slot, getBlockHeight=-1),
        "rpc_error_objects": make(getSlot={"code": -32000, "message": "Internal error"}),
        "error_code_not_int": make(getBlockTime={"code": [1], "message": {"nested": True}}),
        "epoch_info_wrong_types": make(getEpochInfo={"absoluteSlot": "x", "epoch": -1}),
        "optional_wrong_type": make(getBlockHeight=[1, 2]),
        "wrong_chain": make(getGenesisHash="EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG"),  # devnet's
        "rate_limited_item": _rate_limited_in_200("getBlockHeight"),
    }
    return Kind("solana", jsonrpc_answer(solana_results(slot=slot)), mutations)


def beacon_kind(head: int = 16) -> Kind:
    genesis = int(time.time()) - head * 12 - 1

    def make(**override) -> Mutation:
        answer = beacon_answers(head=head, genesis=genesis, **override)

        async def handler(request, raw, kind):
            return _json(*answer(request, raw))

        return handler

    def status_of(route: str, status: int) -> Mutation:
        answer = beacon_answers(head=head, genesis=genesis)

        async def handler(request, raw, kind):
            if request.path.endswith(route):
                return _json(status, {"code": status, "message": "not supported"})
            return _json(*answer(request, raw))

        return handler

    syncing = lambda **d: {"/eth/v1/node/syncing": {"data": {"head_slot": str(head), "sync_distance": "0", "is_syncing": False, **d}}}  # noqa: E731
    mutations = {
        "slot_as_hex": make(**syncing(head_slot=hex(head))),
        "nulls": make(**syncing(head_slot=None, sync_distance=None)),
        "negative_height": make(**syncing(head_slot=-head)),
        "negative_height_string": make(**syncing(head_slot=str(-head))),
        "unicode_digits": make(**syncing(head_slot="²³")),
        "bool_as_string": make(**syncing(is_syncing="false")),
        "no_data": make(**{"/eth/v1/node/syncing": {"code": 500, "message": "Internal error"}}),
        "data_is_list": make(**{"/eth/v1/node/syncing": {"data": [1, 2]}}),
        "spec_zero_slot_time": make(**{"/eth/v1/config/spec": {"data": {"SECONDS_PER_SLOT": "0", "SLOTS_PER_EPOCH": "32"}}}),
        "optional_wrong_type": make(**{"/eth/v1/node/peer_count": {"data": {"connected": [1]}}}),
        "finality_wrong_shape": make(**{"/eth/v1/beacon/states/head/finality_checkpoints": {"data": {"finalized": "0"}}}),
        # optional routes a client or proxy lacks (issue #14, kind 4): not supported, not a failure
        "health_404": status_of("/eth/v1/node/health", 404),
        "health_501": status_of("/eth/v1/node/health", 501),
        "peers_405": status_of("/eth/v1/node/peers", 405),
        "finality_501": status_of("/eth/v1/beacon/states/head/finality_checkpoints", 501),
        # one bad element of a list answer (kind 5): only that element is left out
        "peers_bad_entry": make(
            **{"/eth/v1/node/peers": {"data": [None, 7, {"state": ["x"], "direction": {}}] + beacon_table(head)["/eth/v1/node/peers"]["data"]}}
        ),
        "wrong_chain": make(
            **{
                "/eth/v1/beacon/genesis": {
                    "data": {  # Holesky's root
                        "genesis_time": str(genesis),
                        "genesis_validators_root": "0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1",
                        "genesis_fork_version": "0x01017000",
                    }
                }
            }
        ),
    }
    return Kind("beacon", beacon_answers(head=head, genesis=genesis), mutations)


def cosmos_kind(head: int = 16) -> Kind:
    def make(**override) -> Mutation:
        answer = cosmos_answers(head=head, **override)

        async def handler(request, raw, kind):
            return _json(*answer(request, raw))

        return handler

    good = cosmos_table(head)["/status"]

    def status(**sync) -> dict:
        result = {**good["result"], "sync_info": {**good["result"]["sync_info"], **sync}}
        return {"/status": {**good, "result": result}}

    mutations = {
        "height_as_hex": make(**status(latest_block_height=hex(head))),
        "nulls": make(**status(latest_block_height=None, latest_block_time=None)),
        "negative_height": make(**status(latest_block_height=str(-head))),
        "unicode_digits": make(**status(latest_block_height="\u00b9\u2076")),
        "bool_as_string": make(**status(catching_up="false")),
        "time_not_rfc3339": make(**status(latest_block_time="yesterday")),
        "no_result": make(**{"/status": {"jsonrpc": "2.0", "id": -1}}),
        "rpc_error_objects": make(**{"/status": {"jsonrpc": "2.0", "id": -1, "error": {"code": -32603, "message": "Internal error", "data": "boom"}}}),
        "optional_wrong_type": make(**{"/net_info": {"jsonrpc": "2.0", "id": -1, "result": {"n_peers": [1]}}}),
        "wrong_chain": make(**{"/status": {**good, "result": {**good["result"], "node_info": {**good["result"]["node_info"], "network": "osmosis-1"}}}}),
    }
    return Kind("cosmos", cosmos_answers(head=head), mutations)


def bitcoin_kind(head: int = 16) -> Kind:
    def make(**override) -> Mutation:
        return _results_mutation(**override)(lambda **kw: bitcoin_results(head=head, **kw))

    info = lambda **o: {"getblockchaininfo": {"chain": "main", "blocks": head, "headers": head, "bestblockhash": BITCOIN_BEST, **o}}  # noqa: E731
    mutations = {
        **jsonrpc_batch_mutations(),
        "blocks_as_string": make(**info(blocks=str(head))),
        "blocks_as_float": make(**info(blocks=head + 0.5)),
        "nulls": make(getblockchaininfo=None, getnetworkinfo=None, getmempoolinfo=None),
        "negative_height": make(**info(blocks=-head)),
        "rpc_error_objects": make(getblockchaininfo={"code": -1, "message": "Internal error"}),
        "warming_up": make(getblockchaininfo={"code": -28, "message": "Loading block index..."}),
        "error_code_not_int": make(getchaintips={"code": [1], "message": {"nested": True}}),
        "best_hash_not_hex": make(**info(bestblockhash="<script>")),
        "header_wrong_shape": make(getblockheader=[1, 2]),
        "optional_wrong_type": make(getnetworkinfo={"connections": "ten", "warnings": {"x": 1}}, getchaintips="tips"),
        "wrong_chain": make(**info(chain="test")),
    }
    return Kind("bitcoin", jsonrpc_answer(bitcoin_results(head=head)), mutations)


# --------------------------------------------------------------------------- transport misbehaviour


async def _ok(request: web.Request, raw: bytes, kind: Kind) -> web.StreamResponse:
    return _json(*kind.answer(request, raw))


def _status(code: int, body: str, content_type: str = "text/html", headers: dict | None = None) -> Mutation:
    async def handler(request, raw, kind):
        return web.Response(status=code, text=body, content_type=content_type, headers=headers)

    return handler


async def _empty(request, raw, kind):
    return web.Response(status=200, body=b"", content_type="application/json")


async def _truncated(request, raw, kind):
    _, data = kind.answer(request, raw)
    text = json.dumps(data).encode()
    return web.Response(status=200, body=text[: max(1, len(text) // 2)], content_type="application/json")


async def _garbage_bytes(request, raw, kind):
    return web.Response(status=200, body=bytes(range(256)) * 4, content_type="application/json")


async def _deep_nesting(request, raw, kind):
    # Valid JSON that blows Python's recursion limit in json.loads.
    return web.Response(status=200, body=b"[" * 200_000 + b"]" * 200_000, content_type="application/json")


async def _cut_mid_body(request, raw, kind):
    _, data = kind.answer(request, raw)
    text = json.dumps(data).encode()
    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    resp.content_length = len(text) + 1000
    await resp.prepare(request)
    await resp.write(text[:10])
    request.transport.close()  # the server dies half way through the body
    return resp


def _raw(answer: bytes) -> Mutation:
    """Write ``answer`` straight to the socket (what no HTTP library would send) and hang up."""

    async def handler(request, raw, kind):
        request.transport.write(answer)
        request.transport.close()
        return web.Response()

    return handler


async def _close_before_headers(request, raw, kind):
    request.transport.close()
    return web.Response(status=200)


@dataclass
class Stall:
    server: "HostileServer"

    async def before_headers(self, request, raw, kind):
        await self.server.sleep(60)
        return _json(*kind.answer(request, raw))

    async def slow_drip(self, request, raw, kind):
        _, data = kind.answer(request, raw)
        text = json.dumps(data).encode()
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        try:
            for i in range(len(text)):
                await resp.write(text[i : i + 1])
                await self.server.sleep(0.25)
        except (ConnectionError, RuntimeError):
            pass
        return resp


async def _huge(request, raw, kind, *, declared: bool):
    size = 50 * 1024 * 1024
    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    if declared:
        resp.content_length = size
    await resp.prepare(request)
    chunk = b"[" + b" " * (1024 * 1024 - 1)
    try:
        for _ in range(50):
            await resp.write(chunk)
    except (ConnectionError, RuntimeError):
        pass  # the client hung up once it had enough: that is the point
    return resp


_BOMB: bytes | None = None


def gzip_bomb() -> bytes:
    """~64 KB of gzip that inflates to 64 MB of spaces (made once, streamed)."""
    global _BOMB
    if _BOMB is None:
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b" " * (1024 * 1024)
        parts = [z.compress(b"[")] + [z.compress(block) for _ in range(64)] + [z.compress(b"]"), z.flush()]
        _BOMB = b"".join(parts)
    return _BOMB


async def _bomb(request, raw, kind):
    return web.Response(status=200, body=gzip_bomb(), headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})


async def _echo_secrets(request, raw, kind):
    """An error page that quotes the request back (URL and headers), as careless proxies do."""
    return web.Response(status=200, text=f"<html>bad request {request.path_qs} {dict(request.headers)}</html>", content_type="text/html")


async def _echo_in_rpc_error(request, raw, kind):
    message = f"invalid api key in {request.path_qs} (auth {request.headers.get('Authorization', '')})"
    try:
        calls = json.loads(raw)
    except ValueError:
        calls = {}
    if isinstance(calls, list):
        return _json(200, [{"jsonrpc": "2.0", "id": c.get("id"), "error": {"code": -32001, "message": message}} for c in calls])
    if isinstance(calls, dict) and "jsonrpc" in calls:
        return _json(200, {"jsonrpc": "2.0", "id": calls.get("id"), "error": {"code": -32001, "message": message}})
    return _json(401, {"code": 401, "message": message})


# Expected reason per transport-level case (kind-independent).
TRANSPORT_CASES: dict[str, str | None] = {
    "ok": None,
    "stall_before_headers": "timeout",
    "slow_drip": "timeout",
    "rate_limited": "rate_limited",
    "rate_limited_http_date": "rate_limited",  # Retry-After as an HTTP date: default back-off
    "rate_limited_nan": "rate_limited",  # Retry-After: nan -> default back-off, not 0
    "status_500": "http_status",
    "status_502": "http_status",
    "status_503": "http_status",
    "html": "invalid_json",
    "empty": "invalid_json",
    "truncated_json": "invalid_json",
    "garbage_bytes": "invalid_json",
    "deep_nesting": "invalid_json",
    "cut_mid_body": "invalid_response",
    "close_before_headers": "connect",
    "huge_declared": "response_too_large",
    "huge_chunked": "response_too_large",
    "gzip_bomb": "response_too_large",
    "not_http": "invalid_response",
    "huge_header": "invalid_response",
    "many_headers": "invalid_response",
    "bad_chunked": "invalid_response",
    "bad_gzip": "invalid_response",
    "redirect": "http_status",  # never followed: a redirect could point anywhere (SSRF)
}


class HostileServer(FakeServer):
    """The fake upstream serving ``/<case>/...``: the case named by the first path segment,
    looked up in the table of transport misbehaviours plus the kind's own mutations."""

    client_max_size = 1024**2
    shutdown_timeout = 1.0

    def __init__(self, good: Kind, *, tls: bool = False, workdir: Path | None = None, ssl_context: ssl.SSLContext | None = None):
        super().__init__(ssl_context)  # a certificate of the test's choosing (trustme: expired, other host)
        self.kind = good
        self.tls = tls or ssl_context is not None
        self.workdir = workdir
        stall = Stall(self)
        self.cases: dict[str, Mutation] = {
            "ok": _ok,
            "stall_before_headers": stall.before_headers,
            "slow_drip": stall.slow_drip,
            "rate_limited": _status(429, "<html>Too Many Requests</html>", headers={"Retry-After": "120"}),
            "rate_limited_http_date": _status(429, "Too Many Requests", "text/plain", headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}),
            "rate_limited_nan": _status(429, "Too Many Requests", "text/plain", headers={"Retry-After": "nan"}),
            "status_500": _status(500, "<html><body>Internal Server Error</body></html>"),
            "status_502": _status(502, "<html><body>502 Bad Gateway</body></html>"),
            "status_503": _status(503, "Service Unavailable", "text/plain"),
            "html": _status(200, "<!DOCTYPE html><html><body>Welcome to nginx!</body></html>"),
            "empty": _empty,
            "truncated_json": _truncated,
            "garbage_bytes": _garbage_bytes,
            "deep_nesting": _deep_nesting,
            "cut_mid_body": _cut_mid_body,
            "close_before_headers": _close_before_headers,
            "huge_declared": lambda r, b, k: _huge(r, b, k, declared=True),
            "huge_chunked": lambda r, b, k: _huge(r, b, k, declared=False),
            "gzip_bomb": _bomb,
            "redirect": self._redirect,
            "not_http": _raw(b"SSH-2.0-OpenSSH_9.2\r\n\r\n"),
            "huge_header": _raw(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 100_000 + b"\r\nContent-Length: 2\r\n\r\n[]"),
            "many_headers": _raw(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(2000)) + b"Content-Length: 2\r\n\r\n[]"),
            "bad_chunked": _raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n[]\r\n0\r\n\r\n"),
            "bad_gzip": _status(200, "not gzip at all", "application/json", headers={"Content-Encoding": "gzip"}),
            "echo_secrets": _echo_secrets,
            "echo_in_rpc_error": _echo_in_rpc_error,
            **good.mutations,
        }

    # ------------------------------------------------------------------ helpers

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def url(self, case: str, rest: str = "") -> str:  # type: ignore[override]
        return f"{self.scheme}://127.0.0.1:{self.port}/{case}/{rest}"

    def count(self, case: str) -> int:
        return self.hits.get(case, 0)

    async def unrouted(self, request: web.Request, raw: bytes) -> web.StreamResponse:
        case = request.path.strip("/").split("/", 1)[0]
        handler = self.cases.get(case)
        if handler is None:
            return web.Response(status=404, text="no such case")
        self.hits[case] = self.hits.get(case, 0) + 1
        return await handler(request, raw, self.kind)

    def _self_signed(self) -> ssl.SSLContext:
        openssl = require_binary("openssl")
        assert self.workdir is not None, "tls=True needs a workdir for the certificate"
        cert, key = self.workdir / "selfsigned.pem", self.workdir / "selfsigned.key"
        if not cert.exists():
            subprocess.run(
                [
                    openssl,
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-keyout",
                    str(key),
                    "-out",
                    str(cert),
                ],
                check=True,
                capture_output=True,
            )
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        return ctx

    async def _redirect(self, request, raw, kind):
        raise web.HTTPFound(f"{self.scheme}://127.0.0.1:{self.port}/redirected/")

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "HostileServer":
        if self.tls and self.ssl_context is None:
            self.ssl_context = self._self_signed()
        super().start()
        return self

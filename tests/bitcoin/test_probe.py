"""Bitcoin probe parsing with docs-shaped answers from a loopback fake server (no node): the shapes are the
ones the Bitcoin Core RPC reference shows (https://developer.bitcoin.org/reference/rpc/ and the
release notes of 23.0 / 28.0): ``warnings`` as a string or an array, ``getblockchaininfo`` with or
without ``time``, ``estimatesmartfee`` with ``errors``, -28 while warming up, 401 on bad credentials.
"""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from aiohttp import web

from chainwatch.assembly.config import ConfigError, parse
from chainwatch.exporters.exposition import render, round_samples
from chainwatch.exporters.scheduler import Scheduler
from chainwatch.exporters.transport import Transport
from tests.support.fakeserver import FakeServer
from tests.support.stack import Samples

URL = "http://btc.example.internal:8332"  # only in config-error tests; probes go to a FakeServer
BEST = "00000000000000000001c3f0d4d3c79fbd0bd4a0a5f1a2b3c4d5e6f708192a3b"
SECRET = "s3cret-rpc-password-0123456789"

CHAININFO = {  # Bitcoin Core 28 (has "time", warnings as an array)
    "chain": "main",
    "blocks": 871234,
    "headers": 871236,
    "bestblockhash": BEST,
    "bits": "17030ecd",
    "target": "0000000000000000000000000000000000000000",
    "difficulty": 1.1e14,
    "time": 1732870000,
    "mediantime": 1732868000,
    "verificationprogress": 0.9999987,
    "initialblockdownload": False,
    "chainwork": "00",
    "size_on_disk": 690000000000,
    "pruned": False,
    "warnings": [],
}
NETINFO = {
    "version": 280100,
    "subversion": "/Satoshi:28.1.0/",
    "protocolversion": 70016,
    "localservices": "0c09",
    "localrelay": True,
    "timeoffset": 0,
    "networkactive": True,
    "connections": 10,
    "connections_in": 0,
    "connections_out": 10,
    "networks": [],
    "relayfee": 0.00001,
    "incrementalfee": 0.00001,
    "localaddresses": [],
    "warnings": ["This is a pre-release test build - use at your own risk"],
}
MEMPOOL = {
    "loaded": True,
    "size": 48211,
    "bytes": 23100000,
    "usage": 130000000,
    "total_fee": 1.2,
    "maxmempool": 300000000,
    "mempoolminfee": 0.00001,
    "minrelaytxfee": 0.00001,
    "incrementalrelayfee": 0.00001,
    "unbroadcastcount": 0,
    "fullrbf": True,
}
TIPS = [
    {"height": 871234, "hash": BEST, "branchlen": 0, "status": "active"},
    {"height": 870001, "hash": "00" * 32, "branchlen": 1, "status": "valid-fork"},
    {"height": 860001, "hash": "11" * 32, "branchlen": 1, "status": "valid-headers"},
]
INSUFFICIENT = {"errors": ["Insufficient data or no feerate found"], "blocks": 0}


def fees(target: int, mode: str = "CONSERVATIVE") -> dict:
    return {"feerate": {2: 0.00012, 6: 0.000042, 144: 0.00001}[target], "blocks": target}


class Node:
    """Answers a JSON-RPC 1.0 batch from per-method tables, as Bitcoin Core does (HTTP 200, error per item)."""

    def __init__(self, **overrides):
        self.answers = {
            "getblockchaininfo": CHAININFO,
            "getnetworkinfo": NETINFO,
            "getmempoolinfo": MEMPOOL,
            "estimatesmartfee": fees,
            "getchaintips": TIPS,
            "getblockheader": lambda best, verbose: {"hash": best, "height": 871234, "time": 1732870000},
        }
        self.answers.update(overrides)
        self.requests: list = []
        self.auth: list = []

    def __call__(self, request, raw):
        self.auth.append(request.headers.get("Authorization"))
        body = json.loads(raw)
        single = isinstance(body, dict)  # one call alone is sent as an object, not a batch of one
        body = [body] if single else body
        self.requests.append(body)
        out = []
        for item in body:
            answer = self.answers[item["method"]]
            if callable(answer):
                answer = answer(*item["params"])
            if isinstance(answer, Exception):
                out.append({"result": None, "error": answer.args[0], "id": item["id"]})
            else:
                out.append({"result": answer, "error": None, "id": item["id"]})
        return web.json_response(out[0] if single else out)


def chain_yaml(extra: str = "", endpoint: str = "", url: str = URL) -> str:
    return f"""
exporter: {{min_probe_interval_seconds: 0, reference_max_age_seconds: 0}}
chains:
  bitcoin:
    kind: bitcoin
    network: mainnet
    chain: main
    {extra}
    endpoints:
      - {{name: btc-1, url: "{url}", {endpoint}}}
"""


class Rig:
    """One endpoint probed through the real scheduler and transport against a loopback fake node."""

    def __init__(self, text: str = "", **kw):
        self.server = FakeServer().start()
        self.config = parse(chain_yaml(url=self.server.url("/"), **kw) if not text else text, env={})
        self.transport = Transport()
        self.scheduler = Scheduler(self.config, self.transport)

    async def probe(self, node, rounds: int = 1) -> tuple:
        self.server.route("POST", "/", node)
        try:
            for _ in range(rounds):
                deadline = asyncio.get_running_loop().time() + 5
                snap = await self.scheduler.round(list(self.scheduler.states.values()), ["bitcoin"], deadline)
        finally:
            await self.transport.close()
            self.server.stop()
        return snap.results["btc-1"], Samples.parse(render(round_samples(snap)).decode())


async def test_docs_shaped_answers_map_onto_the_schema():
    node = Node()
    result, s = await Rig().probe(node)
    assert result.success, result.detail
    assert [(i["jsonrpc"], i["method"], i["params"]) for i in node.requests[0]] == [
        ("1.0", "getblockchaininfo", []),
        ("1.0", "getnetworkinfo", []),
        ("1.0", "getmempoolinfo", []),
        ("1.0", "estimatesmartfee", [2, "CONSERVATIVE"]),
        ("1.0", "estimatesmartfee", [6, "CONSERVATIVE"]),
        ("1.0", "estimatesmartfee", [144, "CONSERVATIVE"]),
        ("1.0", "getchaintips", []),
    ]
    assert len(node.requests) == 1  # "time" present: no getblockheader
    v = s.value
    assert v("chainwatch_head_height") == 871234
    assert v("chainwatch_bitcoin_headers") == 871236
    assert v("chainwatch_bitcoin_headers_behind_blocks") == 2
    assert v("chainwatch_syncing") == v("chainwatch_bitcoin_initial_block_download") == 0
    assert v("chainwatch_bitcoin_verification_progress_ratio") == pytest.approx(0.9999987)
    assert v("chainwatch_peers") == 10
    assert (v("chainwatch_bitcoin_connections", direction="in"), v("chainwatch_bitcoin_connections", direction="out")) == (0, 10)
    assert v("chainwatch_bitcoin_warnings") == 1  # array form
    assert v("chainwatch_mempool_transactions", state="pending") == 48211
    assert v("chainwatch_bitcoin_mempool_bytes") == 23100000
    assert v("chainwatch_bitcoin_mempool_usage_bytes") == 130000000
    assert v("chainwatch_bitcoin_mempool_max_bytes") == 300000000
    assert v("chainwatch_bitcoin_mempool_min_fee_sat_per_vbyte") == 1  # 0.00001 BTC/kvB = 1 sat/vB
    assert v("chainwatch_bitcoin_fee_estimate_sat_per_vbyte", conf_target="2") == 12
    assert v("chainwatch_bitcoin_fee_estimate_sat_per_vbyte", conf_target="6") == 4.2
    assert v("chainwatch_bitcoin_fee_estimate_sat_per_vbyte", conf_target="144") == 1
    tips = {labels["status"]: value for labels, value in s.find("chainwatch_bitcoin_chain_tips")}
    assert tips == {"active": 1, "valid-fork": 1, "valid-headers": 1, "headers-only": 0, "invalid": 0}
    assert s.find("chainwatch_node_info")[0][0]["client_version"] == "/Satoshi:28.1.0/"
    assert v("chainwatch_head_age_seconds") > 0


async def test_without_time_the_best_header_is_asked_once_per_hash():
    info = {k: v for k, v in CHAININFO.items() if k != "time"}
    node = Node(getblockchaininfo=info, getnetworkinfo={**NETINFO, "warnings": ""})  # before 28: a string
    result, s = await Rig().probe(node, rounds=2)
    methods = [[i["method"] for i in r] for r in node.requests]
    assert methods[1] == ["getblockheader"] and methods.count(["getblockheader"]) == 1
    assert len(node.requests) == 3  # batch, header, batch (same best hash: cached)
    assert result.head_timestamp == 1732870000
    assert s.value("chainwatch_bitcoin_warnings") == 0


async def test_insufficient_fee_data_leaves_only_that_metric_absent():
    node = Node(estimatesmartfee=lambda target, mode: INSUFFICIENT if target != 6 else fees(6))
    result, s = await Rig().probe(node)
    assert result.success
    assert [l["conf_target"] for l, _ in s.find("chainwatch_bitcoin_fee_estimate_sat_per_vbyte")] == ["6"]


async def test_malformed_optional_fields_drop_only_their_metric():
    info = {**CHAININFO, "verificationprogress": "high", "headers": -1, "initialblockdownload": "no"}
    net = {**NETINFO, "connections": "ten", "warnings": {"odd": 1}}
    node = Node(getblockchaininfo=info, getnetworkinfo=net, getmempoolinfo={**MEMPOOL, "mempoolminfee": None}, getchaintips={"not": "a list"})
    result, s = await Rig().probe(node)
    assert result.success, result.detail
    assert s.value("chainwatch_head_height") == 871234
    for gone in (
        "chainwatch_bitcoin_verification_progress_ratio",
        "chainwatch_bitcoin_headers",
        "chainwatch_bitcoin_headers_behind_blocks",
        "chainwatch_syncing",
        "chainwatch_peers",
        "chainwatch_bitcoin_warnings",
        "chainwatch_bitcoin_mempool_min_fee_sat_per_vbyte",
        "chainwatch_bitcoin_chain_tips",
    ):
        assert s.find(gone) == [], gone
    assert s.value("chainwatch_bitcoin_connections", direction="out") == 10


async def test_warming_up_is_reason_warmup():
    loading = RuntimeError({"code": -28, "message": "Loading block index…"})
    node = Node(**{m: loading for m in ("getblockchaininfo", "getnetworkinfo", "getmempoolinfo", "estimatesmartfee", "getchaintips")})
    result, s = await Rig().probe(node)
    assert (result.success, result.reason) == (False, "warmup")
    assert "Loading block index" in result.detail
    assert s.value("chainwatch_probe_failure_reason", reason="warmup") == 1


async def test_whole_call_warmup_with_http_500_is_warmup_too():
    def refuse(request, raw):
        return 500, {"result": None, "error": {"code": -28, "message": "Verifying blocks…"}, "id": None}

    result, _ = await Rig().probe(refuse)
    assert (result.reason, result.detail) == ("warmup", "error -28: Verifying blocks…")


async def test_other_chain_is_wrong_chain():
    result, s = await Rig().probe(Node(getblockchaininfo={**CHAININFO, "chain": "test"}))
    assert (result.reason, result.detail) == ("wrong_chain", "getblockchaininfo chain 'test', expected 'main'")
    assert s.find("chainwatch_head_height") == []


async def test_password_file_is_read_at_probe_time_and_401_is_auth(tmp_path):
    secret_file = tmp_path / "rpc.password"
    secret_file.write_text(SECRET + "\n")
    rig = Rig(endpoint=f"auth: {{username: watcher, password_file: '{secret_file}'}}")
    node = Node()
    result, _ = await rig.probe(node)
    assert result.success
    assert node.auth == ["Basic " + base64.b64encode(f"watcher:{SECRET}".encode()).decode()]

    def unauthorized(request, raw):
        return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="jsonrpc"'})

    rig = Rig(endpoint=f"auth: {{username: watcher, password_file: '{secret_file}'}}")
    result, s = await rig.probe(unauthorized)
    assert (result.success, result.reason) == (False, "auth")
    assert "watcher" in result.detail and SECRET not in result.detail
    assert s.value("chainwatch_probe_failure_reason", reason="auth") == 1


async def test_missing_cookie_file_sends_no_credentials(tmp_path):
    rig = Rig(endpoint=f"cookie_file: '{tmp_path / 'gone' / '.cookie'}'")
    node = Node()
    result, _ = await rig.probe(node)
    assert result.success and node.auth == [None]


@pytest.mark.parametrize(
    "endpoint, message",
    [
        ("auth: {username: u, password_file: /p}, cookie_file: /c", "either auth"),
        ('headers: {Authorization: "Basic eDp5"}', "headers set Authorization"),
        ("auth: {username: u, password: hunter2}", "unknown key"),
    ],
)
def test_inline_secrets_are_config_errors(endpoint, message):
    with pytest.raises(ConfigError) as err:
        parse(chain_yaml(endpoint=endpoint), env={})
    assert message in str(err.value)


def test_credentials_in_the_url_are_refused():
    text = chain_yaml().replace(URL, "http://u:hunter2@btc.example.internal:8332")
    with pytest.raises(ConfigError) as err:
        parse(text, env={})
    assert "user:password@" in str(err.value) and "hunter2" not in str(err.value)


def test_unknown_chain_name_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        parse(chain_yaml().replace("chain: main", "chain: mainnet"), env={})
    assert "chains.bitcoin.chain" in str(err.value)


@pytest.mark.parametrize("block_time, minutes", [(600, 109), (150, 31)])
def test_stale_threshold_follows_from_random_block_arrival(block_time, minutes):
    chain = parse(chain_yaml(f"block_time_seconds: {block_time}"), env={}).chains["bitcoin"]
    assert chain.head_stale_seconds == chain.chain_halt_seconds == minutes * 60
    assert (chain.lag_blocks("warning"), chain.lag_blocks("critical"), chain.thresholds.peers_min) == (0, 1, 4)
    assert chain.halt_pages_before_stale()
    own = parse(chain_yaml("thresholds: {head_stale_blocks: 3, peers_min: 8}"), env={}).chains["bitcoin"]
    assert (own.head_stale_seconds, own.thresholds.peers_min) == (1800, 8)  # what the user sets wins


async def test_timed_methods_are_sent_alone_and_timed():
    rig = Rig(endpoint="timed_methods: [getblockcount]")
    node = Node(getblockcount=871234)
    result, s = await rig.probe(node)
    assert result.success and [[i["method"] for i in r] for r in node.requests][1] == ["getblockcount"]
    assert s.value("chainwatch_rpc_requests_total", method="getblockcount") == 1

"""Bitcoin Core probe: one JSON-RPC 1.0 batch per endpoint per round (plus ``getblockheader``
of the best block when its time is unknown).

Exposition it contributes (besides probe success/latency added for every probe)::

    chainwatch_head_height{chain="bitcoin",endpoint="btc-1",network="mainnet",role="node"} 871234
    chainwatch_head_age_seconds{...} 312.4
    chainwatch_syncing{...} 0
    chainwatch_peers{...} 10
    chainwatch_mempool_transactions{...,state="pending"} 48211
    chainwatch_node_info{...,client_version="/Satoshi:28.1.0/"} 1
    chainwatch_bitcoin_headers{...} 871234
    chainwatch_bitcoin_headers_behind_blocks{...} 0
    chainwatch_bitcoin_initial_block_download{...} 0
    chainwatch_bitcoin_verification_progress_ratio{...} 0.999998
    chainwatch_bitcoin_connections{...,direction="in"} 0
    chainwatch_bitcoin_connections{...,direction="out"} 10
    chainwatch_bitcoin_network_active{...} 1
    chainwatch_bitcoin_mempool_bytes{...} 2.3e+07
    chainwatch_bitcoin_mempool_min_fee_sat_per_vbyte{...} 1
    chainwatch_bitcoin_fee_estimate_sat_per_vbyte{...,conf_target="6"} 4.2
    chainwatch_bitcoin_chain_tips{...,status="valid-fork"} 2

The batch (Bitcoin Core answers a JSON array with HTTP 200, errors per item; see
https://developer.bitcoin.org/reference/rpc/ and doc/JSON-RPC-interface.md)::

    getblockchaininfo   chain, blocks, headers, bestblockhash, initialblockdownload,
                        verificationprogress, size_on_disk, time (Bitcoin Core 23+ only)
    getnetworkinfo      connections, connections_in/_out (0.21+), networkactive, subversion,
                        warnings (a string; an array of strings since 28.0)
    getmempoolinfo      size, bytes, usage, maxmempool, mempoolminfee (BTC/kvB)
    estimatesmartfee    one per configured conf_target: {"feerate": BTC/kvB, "blocks": n}, or
                        {"errors": ["Insufficient data or no feerate found"], "blocks": n}
    getchaintips        [{"height", "hash", "branchlen", "status"}]
    getblockhash        the hash at the divergence height, when there is one this round
                        (ProbeResult.block_hash, kinds/bitcoin/divergence.py)

``getblockchaininfo`` without ``time`` (0.21, Litecoin Core 0.21): ``getblockheader <bestblockhash>``
gives it, asked once per new best block (cached per hash), so a quiet chain costs nothing extra.

Failures: getblockchaininfo answering error -28 (``RPC_IN_WARMUP``, "Loading block index...")
is reason ``warmup``; HTTP 401 is reason ``auth``; ``chain`` other than the configured one is
``wrong_chain``. A missing or mistyped optional field drops only its metric.

Sentinels are "not known" (:mod:`chainwatch.exporters.sentinels`), marked
``chainwatch_probe_value_unknown{field=...} 1``: a best-block ``time`` of 0 and an all-zero
``bestblockhash`` (a node still loading its index) give no head age and no ``getblockheader``
request. ``initialblockdownload`` is exported as the node says it (``chainwatch_syncing``),
beside the lag measured against the references, which /health and alerts judge by.

Credentials come from the endpoint's ``cookie_file`` (``__cookie__:<hex>``, rewritten by the node at
every start) or ``auth.password_file``, read at every probe and kept out of every message: the
transport scrubs the password and the Authorization header from anything it reports.
"""

from __future__ import annotations

import base64
import math
import re
import time
from typing import Any

from chainwatch.exporters import jsonrpc
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.probe import ProbeContext, ProbeResult, client_version_label
from chainwatch.exporters.redact import clip
from chainwatch.exporters.sentinels import zero_hash, zero_time
from chainwatch.kinds.bitcoin import divergence

RPC_IN_WARMUP = -28  # RPCErrorCode::RPC_IN_WARMUP ("Loading block index...", "Verifying blocks...")
TIP_STATUSES = ("active", "valid-fork", "valid-headers", "headers-only", "invalid")  # getchaintips "status"
SAT_PER_VBYTE = 1e8 / 1000  # 1 BTC/kvB = 1e8 sat per 1000 vbytes
MAX_SECRET_FILE = 4096
_HASH = re.compile(r"^[0-9a-fA-F]{64}$")


def build(calls: list[tuple[str, list]]) -> list[dict]:
    """JSON-RPC 1.0 request objects, as bitcoin-cli sends them (id = position in the batch)."""
    return [{"jsonrpc": "1.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]


def calls_for(chain) -> list[tuple[str, str, list]]:
    """(key, method, params) of the batch; keys are unique, methods repeat (estimatesmartfee)."""
    fees = [(f"estimatesmartfee:{t}", "estimatesmartfee", [t, "CONSERVATIVE"]) for t in getattr(chain, "fee_targets", ())]
    return [
        ("getblockchaininfo", "getblockchaininfo", []),
        ("getnetworkinfo", "getnetworkinfo", []),
        ("getmempoolinfo", "getmempoolinfo", []),
        *fees,
        ("getchaintips", "getchaintips", []),
    ]


# --------------------------------------------------------------------------- credentials


def _read_secret(path: str, what: str) -> str:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_SECRET_FILE + 1)
    except OSError as exc:
        raise ProbeFailure("auth", f"cannot read {what} {path}: {exc.strerror}") from None
    if len(raw) > MAX_SECRET_FILE:
        raise ProbeFailure("auth", f"{what} {path} is larger than {MAX_SECRET_FILE} bytes")
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        raise ProbeFailure("auth", f"{what} {path} is empty")
    return text


def credentials(endpoint) -> tuple[dict[str, str], tuple[str, ...], str]:
    """(extra headers, secrets to scrub, where the credentials came from) for one request.

    No credentials configured: nothing is added. A cookie file that cannot be read (the node
    deletes it on shutdown) sends no credentials: a stopped node is then "connect", a running
    one answers 401, reported as ``auth`` naming the unreadable file.
    """
    cookie = getattr(endpoint, "cookie_file", None)
    auth = getattr(endpoint, "auth", None)
    if cookie:
        source = f"cookie_file {cookie}"
        try:
            pair = _read_secret(cookie, "cookie_file").splitlines()[0]
        except ProbeFailure as failure:
            return {}, (), failure.detail
        user, _, password = pair.partition(":")
    elif auth is not None:
        source = f"auth of user {auth.username} (password_file {auth.password_file})"
        user, password = auth.username, _read_secret(auth.password_file, "password_file").splitlines()[0]
    else:
        return {}, (), "no credentials configured"
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    secrets = tuple(s for s in (password, f"{user}:{password}", token, f"Basic {token}") if len(s) >= 4)
    return {"Authorization": f"Basic {token}"}, secrets, source


# --------------------------------------------------------------------------- field readers


def _count(obj: dict, key: str) -> int | None:
    """A non-negative JSON integer field, or None when absent or mistyped (drops only its metric)."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _number(obj: dict, key: str) -> float | None:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _flag(obj: dict, key: str) -> bool | None:
    value = obj.get(key)
    return value if isinstance(value, bool) else None


def warnings_count(value: Any) -> int | None:
    """``warnings``: a string ("" when none) up to Bitcoin Core 27, an array of strings since 28."""
    if isinstance(value, str):
        return 1 if value.strip() else 0
    if isinstance(value, list):
        return sum(1 for w in value if isinstance(w, str) and w.strip())
    return None


def fee_rate(value: Any) -> float | None:
    """A BTC/kvB amount as sat/vB; None for anything that is not a positive number
    (estimatesmartfee's ``errors`` answers have no feerate; very old nodes sent -1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        return None
    return round(value * SAT_PER_VBYTE, 6)


# --------------------------------------------------------------------------- the probe


def _optional(out: dict[str, jsonrpc.Outcome], key: str) -> jsonrpc.Outcome | None:
    """The outcome of an optional method, None when not implemented; any other error raises
    (caught by ``result.optional``: that metric is dropped and counted, never the probe)."""
    o = out[key]
    if o.ok:
        return o
    if o.unsupported:
        return None
    if o.failure is not None:
        raise o.failure
    raise ProbeFailure("rpc_error" if o.error else "invalid_response", f"{key}: {o.describe()}")


class BitcoinProbe:
    async def run(self, endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        chain = ctx.chain
        headers, secrets, source = credentials(endpoint)
        calls = calls_for(chain)
        if ctx.hash_height is not None:
            calls.append(divergence.call(ctx.hash_height))  # in the batch: no request of its own
            ctx.hash_batched = True
        out = await self.send(endpoint, ctx, "batch", calls, headers, secrets, source)

        info_outcome = out["getblockchaininfo"]
        if not info_outcome.ok:
            raise info_outcome.failure or self.failure("getblockchaininfo", info_outcome)
        info = info_outcome.result
        if not isinstance(info, dict):
            raise invalid("getblockchaininfo: expected an object")
        name = info.get("chain")
        if not isinstance(name, str):
            raise invalid("getblockchaininfo: no chain name")
        expected = getattr(chain, "chain", None)
        if expected is not None and name != expected:
            raise ProbeFailure("wrong_chain", f"getblockchaininfo chain {clip(name, 24)!r}, expected {expected!r}")
        blocks = _count(info, "blocks")
        if blocks is None:
            raise invalid(f"getblockchaininfo.blocks: expected a block count, got {clip(info.get('blocks'), 24)!r}")
        result.head_height = blocks
        result.set("chainwatch_head_height", blocks)
        header_height = _count(info, "headers")
        result.set("chainwatch_bitcoin_headers", header_height)
        if header_height is not None:
            result.set("chainwatch_bitcoin_headers_behind_blocks", max(0, header_height - blocks))
        ibd = _flag(info, "initialblockdownload")
        if ibd is not None:
            result.set("chainwatch_bitcoin_initial_block_download", ibd)
            result.set("chainwatch_syncing", ibd)
        progress = _number(info, "verificationprogress")
        if progress is not None:
            result.set("chainwatch_bitcoin_verification_progress_ratio", round(min(max(progress, 0.0), 1.0), 9))
        result.set("chainwatch_bitcoin_size_on_disk_bytes", _count(info, "size_on_disk"))

        with result.optional("getnetworkinfo"):
            if (net := _optional(out, "getnetworkinfo")) is not None:
                self.network(net, ctx, result)
        with result.optional("getmempoolinfo"):
            if (pool := _optional(out, "getmempoolinfo")) is not None:
                self.mempool(pool, result)
        for key, _, params in calls:
            if key.startswith("estimatesmartfee:"):
                with result.optional(key):
                    fee = _optional(out, key)
                    if fee is not None and isinstance(fee.result, dict):
                        result.set("chainwatch_bitcoin_fee_estimate_sat_per_vbyte", fee_rate(fee.result.get("feerate")), conf_target=str(params[0]))
        with result.optional("getchaintips"):
            if (tips := _optional(out, "getchaintips")) is not None:
                self.tips(tips, result)
        if ctx.hash_height is not None:
            with result.optional(divergence.KEY):
                result.block_hash = (ctx.hash_height, divergence.read(out[divergence.KEY]))

        stamp = _count(info, "time")  # Bitcoin Core 23+
        best = info.get("bestblockhash")
        if stamp is None and best is not None and zero_hash(best):
            result.unknown("getblockchaininfo.bestblockhash", "a zero hash")
        elif stamp is None:
            with result.optional("getblockheader"):
                stamp = await self.best_block_time(endpoint, ctx, best, headers, secrets, source)
        if stamp is not None and zero_time(stamp):
            result.unknown("getblockchaininfo.time", "0")
            stamp = None
        if stamp is not None:
            result.head_timestamp = stamp
            # Miners may stamp a block up to 2 h ahead of the network's time: never a negative age.
            result.set("chainwatch_head_age_seconds", round(max(0.0, time.time() - stamp), 3))

        for method in endpoint.timed_methods:  # each timed alone (no parameters) besides the batch
            answer = (await self.send(endpoint, ctx, method, [(method, method, [])], headers, secrets, source))[method]
            if not answer.ok and not answer.unsupported:
                raise answer.failure or self.failure(method, answer)

    async def send(self, endpoint, ctx: ProbeContext, label: str, calls, headers, secrets, source) -> dict[str, jsonrpc.Outcome]:
        """One batch (or, where batches are refused, single calls: ``jsonrpc.call``), sent as
        JSON-RPC 1.0 with the credentials; 401 is ``auth``, a whole-call -28 is ``warmup``."""

        async def post(what: str, body):
            for item in body if isinstance(body, list) else [body]:
                item["jsonrpc"] = "1.0"  # Bitcoin Core's legacy dialect (28+ treats "2.0" differently)
            reply = await ctx.request(endpoint, what, body=body, ok_statuses=(401, 500), headers=headers, secrets=secrets)
            if reply.status == 401:
                raise ProbeFailure("auth", f"HTTP 401: the node refused the credentials ({source})", status=401)
            if reply.status == 500:
                # Bitcoin Core answers a single call's RPC error with HTTP 500 and the JSON-RPC error
                # object: that is the call's answer. Anything else with 500 (a proxy) is http_status.
                try:
                    data = reply.json()
                except ProbeFailure:
                    data = None
                error = data.get("error") if isinstance(data, dict) else None
                if not isinstance(error, dict):
                    raise ProbeFailure("http_status", "HTTP 500", status=500)
                if error.get("code") == RPC_IN_WARMUP:
                    raise ProbeFailure("warmup", f"error -28: {clip(error.get('message', ''), 80)}")
            return reply

        return await jsonrpc.call(post, endpoint, ctx.cache, calls, label=label)

    async def best_block_time(self, endpoint, ctx: ProbeContext, best: Any, headers, secrets, source) -> int | None:
        """``getblockheader(bestblockhash).time``, asked once per best block hash."""
        if not isinstance(best, str) or not _HASH.match(best):
            return None
        cached = ctx.cache.get("best_block_time")
        if cached is not None and cached[0] == best:
            return cached[1]
        call = [("getblockheader", "getblockheader", [best, True])]
        answer = (await self.send(endpoint, ctx, "getblockheader", call, headers, secrets, source))["getblockheader"]
        if not answer.ok:
            if answer.unsupported or answer.missing:
                return None
            raise answer.failure or self.failure("getblockheader", answer)
        stamp = _count(answer.result, "time") if isinstance(answer.result, dict) else None
        if stamp is not None:
            ctx.cache["best_block_time"] = (best, stamp)
        return stamp

    @staticmethod
    def network(outcome: jsonrpc.Outcome, ctx: ProbeContext, result: ProbeResult) -> None:
        if not outcome.ok or not isinstance(outcome.result, dict):
            return
        net = outcome.result
        result.set("chainwatch_peers", _count(net, "connections"))
        for direction in ("in", "out"):
            result.set("chainwatch_bitcoin_connections", _count(net, f"connections_{direction}"), direction=direction)
        active = _flag(net, "networkactive")
        if active is not None:
            result.set("chainwatch_bitcoin_network_active", active)
        result.set("chainwatch_bitcoin_warnings", warnings_count(net.get("warnings")))
        if isinstance(net.get("subversion"), str):
            ctx.cache["client_version"] = client_version_label(net["subversion"], keep="() ")  # "/Satoshi:28.1.0(comment)/"
        if "client_version" in ctx.cache:
            result.client_version(ctx.cache["client_version"])

    @staticmethod
    def mempool(outcome: jsonrpc.Outcome, result: ProbeResult) -> None:
        if not outcome.ok or not isinstance(outcome.result, dict):
            return
        pool = outcome.result
        result.set("chainwatch_mempool_transactions", _count(pool, "size"), state="pending")
        result.set("chainwatch_bitcoin_mempool_bytes", _count(pool, "bytes"))
        result.set("chainwatch_bitcoin_mempool_usage_bytes", _count(pool, "usage"))
        result.set("chainwatch_bitcoin_mempool_max_bytes", _count(pool, "maxmempool"))
        result.set("chainwatch_bitcoin_mempool_min_fee_sat_per_vbyte", fee_rate(pool.get("mempoolminfee")))

    @staticmethod
    def tips(outcome: jsonrpc.Outcome, result: ProbeResult) -> None:
        if not outcome.ok or not isinstance(outcome.result, list):
            return
        counts = dict.fromkeys(TIP_STATUSES, 0)
        for tip in outcome.result:
            status = tip.get("status") if isinstance(tip, dict) else None
            if status in counts:
                counts[status] += 1
        for status, n in counts.items():
            result.set("chainwatch_bitcoin_chain_tips", n, status=status)

    @staticmethod
    def failure(key: str, outcome: jsonrpc.Outcome, also: list[str] = ()) -> ProbeFailure:
        if outcome.missing:
            return invalid(f"{key}: no answer in batch")
        if outcome.error is not None and outcome.error.get("code") == RPC_IN_WARMUP:
            return ProbeFailure("warmup", f"{key}: {outcome.describe()}")
        more = f" (also {', '.join(also)})" if also else ""
        return ProbeFailure("rpc_error", f"{key}: {outcome.describe()}{more}")


PROBE = BitcoinProbe()

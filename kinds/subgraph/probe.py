"""Subgraph probe: graph-node's ``_meta`` on the subgraph endpoint, ``indexingStatuses`` on its
index node, and the indexed chain's block hash at the subgraph's height.

Sources (graph-node, ``graph/src/schema/meta.graphql`` and ``server/index-node/src/schema.graphql``;
excerpts in ``tests/fixtures/subgraph/``):

- ``_meta { block { number hash timestamp } hasIndexingErrors deployment }``:
  ``number`` is ``Int!``, ``hash`` ``Bytes`` (``0x`` hex, null only under a block constraint),
  ``timestamp`` ``Int`` (unix seconds; null on graph-node before 0.30 and for chains without one);
- ``indexingStatuses(subgraphs: [String!])``: ``[SubgraphIndexingStatus!]!`` with ``synced``,
  ``health`` (``healthy | unhealthy | failed``), ``fatalError { message block { number } }`` and
  ``chains { network chainHeadBlock { number } latestBlock { number } }``, where block numbers are
  ``BigInt`` (graph-node sends them as decimal strings).

Exposition it contributes (besides probe success/latency/head/lag added for every probe)::

    chainwatch_head_height{chain="uniswap-v3",endpoint="graph-1",network="mainnet",role="node"} 2.1e+07
    chainwatch_subgraph_indexing_errors{...} 0
    chainwatch_subgraph_health{...,state="healthy"} 1
    chainwatch_subgraph_fatal_error{...} 0
    chainwatch_subgraph_synced{...} 1
    chainwatch_subgraph_node_chain_head_height{...} 2.1e+07
    chainwatch_subgraph_node_chain_head_lag_blocks{...} 0
    chainwatch_subgraph_block_hash_mismatch{...} 0

Only the subgraph's block number is essential: without it the probe fails (``invalid_response``;
``rpc_error`` when graph-node answers GraphQL ``errors`` and no data). Every other field that is
missing or malformed drops only its own metric. The index node failing drops only its metrics
(``chainwatch_subgraph_index_node_success`` 0). No ``chainwatch_head_age_seconds``: a subgraph's
head only moves when the indexed chain's does, and "stalled while the chain advances" is
:data:`ChainwatchSubgraphStalled`'s job, so the shared head-stale page would double it.

Sentinels are "not known" (:mod:`chainwatch.exporters.sentinels`), marked
``chainwatch_probe_value_unknown{field=...} 1``: a zero ``_meta.block.hash`` is no hash to
compare (no ``chainwatch_subgraph_block_hash_mismatch``), a ``_meta.block.timestamp`` of 0 no
block time, an index node's ``chainHeadBlock`` that is null or number 0 (graph-node has not
polled the chain yet) no chain head and no chain-head lag. ``synced`` is exported as
graph-node says it; the subgraph's lag is measured against the indexed chain's references.
"""

from __future__ import annotations

import re

from chainwatch.core.chain import Endpoint
from chainwatch.exporters import jsonrpc, redact
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.probe import ProbeContext, ProbeResult
from chainwatch.exporters.redact import clip
from chainwatch.exporters.sentinels import zero_hash, zero_time
from chainwatch.kinds.subgraph.metrics import HEALTH_STATES

META_QUERY = "{ _meta { block { number hash timestamp } hasIndexingErrors deployment } }"
STATUS_QUERY = (
    "query chainwatch($subgraphs: [String!]) { indexingStatuses(subgraphs: $subgraphs) {"
    " subgraph synced health fatalError { message block { number } }"
    " chains { network chainHeadBlock { number } latestBlock { number } } } }"
)
QUERIES = (META_QUERY, STATUS_QUERY)  # validated against graph-node's schema in tests/subgraph

_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
REF_CACHE_SIZE = 64  # reference blocks kept per endpoint, by height


def _graphql_data(reply, what: str) -> dict:
    """``data`` of a GraphQL answer; ProbeFailure when there is none (``errors`` -> rpc_error)."""
    body = reply.json()
    if not isinstance(body, dict):
        raise invalid(f"{what}: expected a JSON object")
    data = body.get("data")
    if isinstance(data, dict):
        return data
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0].get("message") if isinstance(errors[0], dict) else errors[0]
        raise ProbeFailure("rpc_error", f"{what}: {clip(first, 120)}")
    raise invalid(f"{what}: answer has no data")


def _int(value, *, big: bool = False) -> int | None:
    """A GraphQL ``Int`` (JSON integer) or, with ``big``, a ``BigInt`` (decimal string); None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if big and isinstance(value, str) and value.isdigit() and len(value) <= 30:
        return int(value)
    return None


def _block_number(block, *, big: bool = True) -> int | None:
    return _int(block.get("number"), big=big) if isinstance(block, dict) else None


def _bool(value) -> bool | None:
    return value if isinstance(value, bool) else None


class SubgraphProbe:
    async def run(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        chain = ctx.chain
        reply = await ctx.request(endpoint, "graphql", body={"query": META_QUERY})
        data = _graphql_data(reply, "_meta")
        meta = data.get("_meta")
        if not isinstance(meta, dict):
            raise invalid("_meta: expected an object")
        block = meta.get("block") if isinstance(meta.get("block"), dict) else {}
        height = _int(block.get("number"))
        if height is None:
            raise invalid(f"_meta.block.number: expected a non-negative integer, got {clip(block.get('number'), 40)!r}")

        deployment = meta.get("deployment") if isinstance(meta.get("deployment"), str) else None
        expected = chain.expected_deployment(endpoint)
        if expected is not None and deployment is not None and deployment != expected:
            raise ProbeFailure("wrong_chain", f"_meta.deployment {clip(deployment, 60)}, expected {expected}")

        result.head_height = height
        result.set("chainwatch_head_height", height)
        stamp = _int(block.get("timestamp"))
        if stamp is not None and zero_time(stamp):
            result.unknown("_meta.block.timestamp", "0")
            stamp = None
        result.head_timestamp = stamp
        errors = _bool(meta.get("hasIndexingErrors"))
        if errors is not None:
            result.set("chainwatch_subgraph_indexing_errors", int(errors))

        digest = block.get("hash")
        ours = digest.lower() if isinstance(digest, str) and _HASH.match(digest) else None
        if ours is not None and zero_hash(ours):
            result.unknown("_meta.block.hash", "a zero hash")
            ours = None
        ref = await self._reference_block(ctx, height, ours)
        redact.use((endpoint.url, *endpoint.secrets))
        if ref is not None:
            ref_hash, ref_stamp = ref
            if ours is not None and ref_hash is not None:
                result.set("chainwatch_subgraph_block_hash_mismatch", int(ours != ref_hash))
            if result.head_timestamp is None:
                result.head_timestamp = ref_stamp  # older graph-node: the chain's own time of that block

        index = endpoint.index_node() if hasattr(endpoint, "index_node") else None
        if index is not None:
            await self._index_node(index, ctx, result, expected or deployment)
            redact.use((endpoint.url, *endpoint.secrets))

    async def _index_node(self, index: Endpoint, ctx: ProbeContext, result: ProbeResult, deployment: str | None) -> None:
        body = {"query": STATUS_QUERY, "variables": {"subgraphs": [deployment] if deployment else None}}
        try:
            reply = await ctx.request(index, "indexing_statuses", body=body)
            statuses = _graphql_data(reply, "indexingStatuses").get("indexingStatuses")
        except ProbeFailure:
            result.set("chainwatch_subgraph_index_node_success", 0)
            return
        mine = [s for s in statuses if isinstance(s, dict)] if isinstance(statuses, list) else []
        if deployment:
            mine = [s for s in mine if s.get("subgraph") in (deployment, None)]
        if not mine:
            result.set("chainwatch_subgraph_index_node_success", 0)
            return
        status = mine[0]
        result.set("chainwatch_subgraph_index_node_success", 1)
        synced = _bool(status.get("synced"))
        if synced is not None:
            result.set("chainwatch_subgraph_synced", int(synced))
        health = status.get("health")
        if health in HEALTH_STATES:
            for state in HEALTH_STATES:
                result.set("chainwatch_subgraph_health", int(state == health), state=state)
        if "fatalError" in status and (status["fatalError"] is None or isinstance(status["fatalError"], dict)):
            fatal = status["fatalError"]
            result.set("chainwatch_subgraph_fatal_error", int(fatal is not None))
            if fatal is not None:
                result.set("chainwatch_subgraph_fatal_error_block", _block_number(fatal.get("block")))
        chains = status.get("chains")
        if isinstance(chains, list) and chains and isinstance(chains[0], dict):
            head = chains[0].get("chainHeadBlock")
            number = _block_number(head)
            if head is None or number == 0:  # graph-node has not polled the chain's head yet
                result.unknown("indexingStatuses.chainHeadBlock", "null" if head is None else "0")
            else:
                result.set("chainwatch_subgraph_node_chain_head_height", number)

    async def _reference_block(self, ctx: ProbeContext, height: int, ours: str | None) -> tuple[str | None, int | None] | None:
        """(hash, timestamp) of the indexed chain's block ``height`` from one reachable reference,
        cached by height; re-read once when the cached hash disagrees with the subgraph's (a
        reorg at the reference since). None when no reference has that block yet."""
        cache: dict = ctx.cache.setdefault("reference_blocks", {})
        hit = cache.get(height)
        if hit is not None and (ours is None or hit[0] == ours):
            return hit
        refs = list(ctx.chain.indexed_references)
        start = ctx.cache.get("reference_index", 0) % max(1, len(refs))
        for i in range(len(refs)):
            ref = refs[(start + i) % len(refs)]
            calls = [("eth_getBlockByNumber", [hex(height), False])]
            try:
                reply = await ctx.transport.request(ref, body=jsonrpc.build(calls), deadline=ctx.deadline)
                out = jsonrpc.parse(reply, calls)["eth_getBlockByNumber"]
            except ProbeFailure:
                continue
            if not out.ok:
                continue
            ctx.cache["reference_index"] = (start + i) % len(refs)
            if not isinstance(out.result, dict):
                return None  # the reference has no such block yet (null): no verdict
            digest = out.result.get("hash")
            digest = digest.lower() if isinstance(digest, str) and _HASH.match(digest) else None
            try:
                stamp = jsonrpc.quantity(out.result.get("timestamp"), "timestamp")
            except ProbeFailure:
                stamp = None
            found = (digest, stamp)
            if len(cache) >= REF_CACHE_SIZE:
                cache.pop(min(cache))
            cache[height] = found
            return found
        return None

    def finish(self, result: ProbeResult, chain, summaries: dict) -> None:
        """After the round: graph-node's own chain head against chainwatch's references."""
        summary = summaries.get(chain.indexes)
        node_head = result.get("chainwatch_subgraph_node_chain_head_height")
        if summary is None or summary.head is None or node_head is None:
            return
        result.set("chainwatch_subgraph_node_chain_head_lag_blocks", max(0.0, summary.head - node_head))


PROBE = SubgraphProbe()

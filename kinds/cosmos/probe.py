"""CometBFT RPC probe: ``GET /status``, then ``GET /net_info``, per endpoint per round.

Exposition it contributes (besides probe success/latency added for every probe)::

    chainwatch_head_height{chain="cosmoshub",endpoint="hub-1",network="mainnet",role="node"} 2.3515e+07
    chainwatch_head_age_seconds{...} 3.2
    chainwatch_syncing{...} 0
    chainwatch_peers{...} 41
    chainwatch_node_info{...,client_version="cometbft/0.38.17"} 1

From ``/status`` (https://docs.cometbft.com/v0.38/rpc/#/Info/status):
``sync_info.latest_block_height`` (a decimal string) is the head, ``latest_block_time``
(RFC 3339, nanoseconds) its timestamp for head age and lag in seconds, ``catching_up`` the
syncing flag, ``node_info.network`` the chain id: an endpoint of another chain fails with
``wrong_chain`` before any of its numbers is recorded. ``node_info.version`` is the CometBFT
version. From ``/net_info``: ``n_peers`` (a decimal string). Providers often close
``/net_info``; when it fails or is malformed only ``chainwatch_peers`` is absent (the failed
call still counts in the RPC error counters). Lag against the references, head age alerts
and the chain halt come from the shared scheduler and rules. With ``upgrades:`` configured,
:mod:`chainwatch.kinds.cosmos.upgrade` adds the x/upgrade plan and the application version.

Sentinels are "not known" (:mod:`chainwatch.exporters.sentinels`), marked
``chainwatch_probe_value_unknown{field=...} 1``: ``latest_block_height "0"`` (a node that has
no block yet: state sync, waiting for genesis) is no head — no head height, no lag, and
``/health`` answers 503 "no block yet" — and a ``latest_block_time`` of Go's zero time
``0001-01-01T00:00:00Z`` or the epoch is no head age. ``catching_up`` is exported as the node
says it; it sticks on at the head on some forks (bnc-tendermint#140), so /health and alerts
judge by the lag measured against the references.
"""

from __future__ import annotations

import time

from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.probe import ProbeContext, ProbeResult, client_version_label
from chainwatch.exporters.sentinels import zero_time
from chainwatch.kinds.cosmos import upgrade
from chainwatch.kinds.cosmos.cometbft import RPC_ERROR_STATUSES, boolean, obj, result_of, timestamp, uint


class CosmosProbe:
    async def run(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        status = result_of(await ctx.request(endpoint, "status", method="GET", path="/status", ok_statuses=RPC_ERROR_STATUSES), "/status")
        node_info = obj(status.get("node_info"), "status.node_info")
        network = node_info.get("network")
        if not isinstance(network, str) or not network:
            raise invalid("status.node_info.network: expected a chain id string")
        expected = ctx.chain.chain_id
        if network != expected:
            raise ProbeFailure("wrong_chain", f"node_info.network {network[:50]!r}, expected {expected!r}")

        sync = obj(status.get("sync_info"), "status.sync_info")
        height = uint(sync.get("latest_block_height"), "sync_info.latest_block_height")
        result.set("chainwatch_syncing", boolean(sync.get("catching_up"), "sync_info.catching_up"))
        if height == 0:  # no block yet (state sync, before genesis): no head, and its time is the zero time
            result.unknown("sync_info.latest_block_height", "0")
            result.unready = "no block yet (latest_block_height 0)"
        else:
            result.head_height = height
            result.set("chainwatch_head_height", height)
            stamp = timestamp(sync.get("latest_block_time"), "sync_info.latest_block_time")
            if zero_time(stamp):
                result.unknown("sync_info.latest_block_time", str(sync.get("latest_block_time"))[:32])
            else:
                result.head_timestamp = stamp
                result.set("chainwatch_head_age_seconds", round(max(0.0, time.time() - stamp), 3))
        result.client_version(client_version_label(node_info.get("version"), prefix="cometbft/"))
        if ctx.chain.upgrades is not None:
            await upgrade.read(endpoint, ctx, result)
        net = await self.net_info(endpoint, ctx)  # only once /status answered: a broken endpoint is asked once per round
        if net is not None:
            result.set("chainwatch_peers", net)

    @staticmethod
    async def net_info(endpoint: Endpoint, ctx: ProbeContext) -> int | None:
        """``n_peers`` of ``/net_info``; None when the endpoint does not give it."""
        try:
            reply = await ctx.request(endpoint, "net_info", method="GET", path="/net_info", ok_statuses=RPC_ERROR_STATUSES)
            return uint(result_of(reply, "/net_info").get("n_peers"), "net_info.n_peers")
        except ProbeFailure:
            return None


PROBE = CosmosProbe()

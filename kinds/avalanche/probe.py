"""AvalancheGo node probe: network id, P-chain height, health, bootstrapped chains, version.

Per endpoint per round (one JSON-RPC call per request; AvalancheGo takes no batches):

1. ``info.getNetworkID`` (``{"networkID": "1"}``): another network than the chain's
   ``network_id`` fails the probe with ``wrong_chain`` before anything is recorded;
2. ``platform.getHeight`` on ``/ext/bc/P`` (``{"height": "123"}``): the endpoint's head, compared
   with the references' median by the shared scheduler (lag, stale head);
3. ``info.isBootstrapped {chain}`` for P, X and C: ``chainwatch_avalanche_bootstrapped``; any
   chain still bootstrapping is ``chainwatch_syncing 1``, and a P-chain still bootstrapping has no
   head (its height is a replay position, not a head a lag could be measured on) and makes
   ``/health`` answer 503;
4. ``GET /ext/health`` (200 healthy / 503 not; api/health ``APIReply``): per check
   ``chainwatch_avalanche_health_check_failing{check}`` (a check carries ``error`` while failing)
   and ``..._contiguous_failures``, ``network.message.connectedPeers`` as ``chainwatch_peers``,
   ``diskspace.message.availableDiskBytes``. Public API servers do not serve it (404): only the
   health series are then absent. On our nodes, per configured subnet (``subnets``),
   ``GET /ext/health?tag=<subnetID>`` (the subnet's chains' checks and the node-wide ones):
   ``chainwatch_avalanche_subnet_failing_checks{subnet}``;
5. ``info.uptime`` on our nodes (``role: node``) that validate: ``rewardingStakePercentage``;
   a node that does not validate answers an error and the series is absent;
6. ``info.getNodeVersion`` every 10 minutes: ``chainwatch_node_info{client_version="avalanchego/1.13.2"}``.

Exposition it contributes (besides the shared probe, head and lag series)::

    chainwatch_head_height{chain="avalanche",endpoint="avax-1",network="mainnet",role="node"} 2.1e+07
    chainwatch_avalanche_bootstrapped{...,blockchain="C"} 1
    chainwatch_avalanche_health_check_failing{...,check="diskspace"} 1
    chainwatch_avalanche_health_check_contiguous_failures{...,check="diskspace"} 14
    chainwatch_avalanche_disk_available_bytes{...} 9.6e+09
    chainwatch_peers{...} 412
    chainwatch_avalanche_rewarding_stake_ratio{...} 1
    chainwatch_node_info{...,client_version="avalanchego/1.13.2"} 1

Sources: https://build.avax.network/docs/api-reference/info-api,
https://build.avax.network/docs/api-reference/health-api,
https://build.avax.network/docs/api-reference/p-chain/api.
"""

from __future__ import annotations

import time

from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.numbers import flag
from chainwatch.exporters.probe import ProbeContext, ProbeResult, client_version_label
from chainwatch.kinds.avalanche.avalanchego import call, obj, percent, u64
from chainwatch.kinds.avalanche.metrics import BLOCKCHAINS, CHECKS, OTHER_CHECK

VERSION_TTL = 600.0


def parse_health(body: object) -> tuple[dict[str, tuple[bool, int]], int | None, int | None]:
    """``GET /ext/health``'s body: ({check label: (failing, contiguous failures)}, connected peers,
    available disk bytes). A check fails when it carries ``error``; checks other than AvalancheGo's
    own names fold into ``other`` (failing if any fails). Raises ``invalid_response``."""
    checks = obj(obj(body, "health").get("checks"), "health.checks")
    out: dict[str, tuple[bool, int]] = {}
    for name, raw in checks.items():
        check = obj(raw, f"health.checks.{str(name)[:40]}")
        failing = check.get("error") is not None
        count = check.get("contiguousFailures", 0)
        count = count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else 0
        label = name if name in CHECKS else OTHER_CHECK
        was = out.get(label, (False, 0))
        out[label] = (was[0] or failing, max(was[1], count))
    peers = disk = None
    network = checks.get("network")
    if isinstance(network, dict) and isinstance(network.get("message"), dict):
        peers = u64(network["message"].get("connectedPeers"), "health.network.connectedPeers")
    space = checks.get("diskspace")
    if isinstance(space, dict) and isinstance(space.get("message"), dict):
        disk = u64(space["message"].get("availableDiskBytes"), "health.diskspace.availableDiskBytes")
    return out, peers, disk


def failing_checks(body: object) -> int:
    """How many checks of a ``GET /ext/health`` body carry ``error`` (each counted, whatever its
    name: a subnet's chains are named by their blockchain ID). Raises ``invalid_response``."""
    checks = obj(obj(body, "health").get("checks"), "health.checks")
    return sum(1 for name, raw in checks.items() if obj(raw, f"health.checks.{str(name)[:40]}").get("error") is not None)


class AvalancheProbe:
    async def run(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        got = obj(await call(ctx.request, endpoint, "info.getNetworkID"), "info.getNetworkID")
        network_id = u64(got.get("networkID"), "info.getNetworkID.networkID")
        if network_id != ctx.chain.network_id:
            raise ProbeFailure("wrong_chain", f"info.getNetworkID {network_id}, expected {ctx.chain.network_id}")

        height = u64(obj(await call(ctx.request, endpoint, "platform.getHeight"), "platform.getHeight").get("height"), "platform.getHeight.height")
        bootstrapping = []
        for chain in BLOCKCHAINS:
            with result.optional(f"isBootstrapped.{chain}"):
                got = obj(await call(ctx.request, endpoint, "info.isBootstrapped", {"chain": chain}), "info.isBootstrapped")
                done = flag(got.get("isBootstrapped"), "info.isBootstrapped.isBootstrapped")
                result.set("chainwatch_avalanche_bootstrapped", int(done), blockchain=chain)
                if not done:
                    bootstrapping.append(chain)
        result.set("chainwatch_syncing", int(bool(bootstrapping)))
        if "P" in bootstrapping:
            result.unready = "the P-chain is still bootstrapping"
        else:
            result.head_height = height
            result.set("chainwatch_head_height", height)

        with result.optional("health"):
            reply = await ctx.request(endpoint, "health", method="GET", path="/ext/health", ok_statuses=(404, 503))
            if reply.status != 404:  # public API servers do not serve it
                checks, peers, disk = parse_health(reply.json())
                for label, (failing, count) in checks.items():
                    result.set("chainwatch_avalanche_health_check_failing", int(failing), check=label)
                    result.set("chainwatch_avalanche_health_check_contiguous_failures", count, check=label)
                result.set("chainwatch_peers", peers)
                result.set("chainwatch_avalanche_disk_available_bytes", disk)
                if endpoint.role.value == "node":
                    for name, subnet in ctx.chain.subnets.items():
                        with result.optional(f"health.{name}"):
                            tagged = await ctx.request(endpoint, "health", method="GET", path=f"/ext/health?tag={subnet}", ok_statuses=(503,))
                            result.set("chainwatch_avalanche_subnet_failing_checks", failing_checks(tagged.json()), subnet=name)

        if endpoint.role.value == "node":
            try:
                up = obj(await call(ctx.request, endpoint, "info.uptime"), "info.uptime")
                result.set("chainwatch_avalanche_rewarding_stake_ratio", percent(up.get("rewardingStakePercentage"), "info.uptime.rewardingStakePercentage"))
            except ProbeFailure as failure:
                if failure.reason not in ("rpc_error",):  # "node is not a validator": nothing to report
                    result.drop("info.uptime", f"{failure.reason}: {failure.detail}")

        if time.monotonic() - ctx.cache.get("version_at", -1e9) > VERSION_TTL:
            with result.optional("info.getNodeVersion"):
                version = obj(await call(ctx.request, endpoint, "info.getNodeVersion"), "info.getNodeVersion").get("version")
                if not isinstance(version, str):
                    raise invalid("info.getNodeVersion.version: expected a string")
                ctx.cache["version"] = client_version_label(version)
                ctx.cache["version_at"] = time.monotonic()
        if "version" in ctx.cache:
            result.client_version(ctx.cache["version"])


PROBE = AvalancheProbe()

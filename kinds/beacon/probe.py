"""Ethereum consensus-layer probe: the standard Beacon API, read concurrently per round.

Exposition it contributes (besides probe success/latency added for every probe)::

    chainwatch_head_height{chain="ethereum-cl",endpoint="lighthouse-1",network="mainnet",role="node"} 1.0342e+07
    chainwatch_head_age_seconds{...} 3.1
    chainwatch_syncing{...} 0
    chainwatch_beacon_sync_distance_slots{...} 0
    chainwatch_beacon_optimistic{...} 0
    chainwatch_beacon_el_offline{...} 0
    chainwatch_beacon_health_status_code{...} 200
    chainwatch_peers{...} 87
    chainwatch_beacon_peers{...,state="connected"} 87
    chainwatch_beacon_connected_peers{...,direction="inbound"} 52
    chainwatch_beacon_finalized_epoch{...} 323198
    chainwatch_beacon_epochs_since_finalized{...} 2
    chainwatch_beacon_epochs_since_justified{...} 1
    chainwatch_node_info{...,client_version="Lighthouse/v5.3.0-d6ba8c3/x86_64-linux"} 1

Genesis time and the spec's ``SECONDS_PER_SLOT``/``SLOTS_PER_EPOCH`` are read once per
endpoint and cached; from them the probe derives the wall-clock slot
(``result.expected_head``), which the scheduler uses for lag when the chain has no
reference endpoints, and the slot start time of the head (``result.head_timestamp``).

With ``genesis_validators_root`` configured on the chain, the root from the same genesis
answer must match it (a Holesky node in the mainnet chain fails with ``wrong_chain``); the
genesis is then re-read every ``GENESIS_TTL`` seconds, and after a mismatch on every round,
so a repointed endpoint is noticed and a fixed one recovers.

``/node/syncing`` is the one route every beacon node must answer (with genesis and spec,
the network's identity); the others are optional: 404, 405 or 501 (``rest.NOT_SUPPORTED``)
leave their metrics absent ("we don't know") rather than failing the node, and an optional
route that answers something unreadable or an error status drops only its metrics, counted
in ``chainwatch_probe_dropped_values_total{field=...}`` (a 429 still backs the endpoint off).
``/node/health`` answers 200 (ready), 206 (syncing) or 503 (not initialized) — all
three are answers and recorded as the status code, not probe failures; 404/405/501 there
too mean "not supported" (a proxy's allow-list, a client build without the route). ``el_offline``
only exists on newer clients (Lodestar 1.5.1 lacks it): absent there, not 0.

A finality checkpoint with the zero root (``{"epoch": "0", "root": "0x00…00"}``, the phase0
genesis checkpoint a node reports before its head state has finalized anything: a fresh or
syncing node) is "not known" (:mod:`chainwatch.exporters.sentinels`), marked
``chainwatch_probe_value_unknown{field="finality_checkpoints.finalized"} 1`` (or
``.current_justified``): no epochs-since value counted from epoch 0 (https://ethereum.github.io/beacon-APIs/#/Beacon/getStateFinalityCheckpoints).
``is_syncing`` is exported as the node says it (``chainwatch_syncing``), beside the slot lag
measured against the references or the wall-clock slot, which /health and alerts judge by.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from typing import Any

from chainwatch.exporters import numbers, rest
from chainwatch.core.chain import Endpoint
from chainwatch.exporters.failures import ProbeFailure, invalid
from chainwatch.exporters.transport import Reply
from chainwatch.exporters.probe import ProbeContext, ProbeResult, client_version_label
from chainwatch.exporters.sentinels import zero_hash
from chainwatch.kinds.beacon import upgrade

log = logging.getLogger("chainwatch.probe.beacon")

VERSION_TTL = 600.0  # /node/version rarely changes
GENESIS_TTL = 600.0  # re-check the network identity this often when it is configured
UNSUPPORTED = rest.NOT_SUPPORTED  # optional route not implemented by this client (or a proxy in front of it)
HEALTH_ANSWERS = (206, 503)  # besides 200: syncing / not initialized
PEER_STATES = ("connected", "connecting", "disconnecting", "disconnected")
DIRECTIONS = ("inbound", "outbound")
_ROOT = re.compile(r"0x[0-9a-fA-F]{64}")


def uint(value: Any, what: str) -> int:
    """Beacon API integers: decimal strings per the spec (some old clients send JSON numbers; a
    ``0x`` quantity is read too, it is unambiguous). The shared reader, capped at uint64."""
    return numbers.uint(value, what, decimal=True, limit=numbers.U64_MAX)


flag = numbers.flag


def data_of(reply: Reply, what: str) -> Any:
    body = reply.json()
    if not isinstance(body, dict) or "data" not in body:
        raise invalid(f"{what}: answer has no 'data'")
    return body["data"]


class Clock:
    """Slot arithmetic from genesis and the spec (all the probe and the monitor need)."""

    def __init__(self, genesis_time: int, seconds_per_slot: float, slots_per_epoch: int, genesis_validators_root: str | None = None):
        self.genesis_time = genesis_time
        self.seconds_per_slot = seconds_per_slot
        self.slots_per_epoch = slots_per_epoch
        self.genesis_validators_root = genesis_validators_root  # lower-case 0x hex, None if the node did not say
        self.fork_names: dict[str, str] = {}  # fork version (lower-case 0x hex) -> name, from the spec

    def slot_at(self, unix: float) -> int:
        return max(0, math.floor((unix - self.genesis_time) / self.seconds_per_slot))

    def epoch_at(self, unix: float) -> int:
        return self.slot_at(unix) // self.slots_per_epoch

    def slot_start(self, slot: int) -> float:
        return self.genesis_time + slot * self.seconds_per_slot

    def epoch_start(self, epoch: int) -> float:
        return self.slot_start(epoch * self.slots_per_epoch)

    @property
    def epoch_seconds(self) -> float:
        return self.seconds_per_slot * self.slots_per_epoch


async def read_clock(request) -> Clock:
    """Genesis and spec through ``request(label, path) -> Reply`` (both must answer)."""
    genesis, spec = await asyncio.gather(request("genesis", "/eth/v1/beacon/genesis"), request("spec", "/eth/v1/config/spec"))
    g = data_of(genesis, "genesis")
    s = data_of(spec, "spec")
    if not isinstance(g, dict) or not isinstance(s, dict):
        raise invalid("genesis/spec: 'data' is not an object")
    seconds = uint(s.get("SECONDS_PER_SLOT"), "spec.SECONDS_PER_SLOT")
    slots = uint(s.get("SLOTS_PER_EPOCH"), "spec.SLOTS_PER_EPOCH")
    if seconds <= 0 or slots <= 0:
        raise invalid("spec: SECONDS_PER_SLOT and SLOTS_PER_EPOCH must be positive")
    root = g.get("genesis_validators_root")
    root = root.lower() if isinstance(root, str) and _ROOT.fullmatch(root) else None
    clock = Clock(uint(g.get("genesis_time"), "genesis.genesis_time"), float(seconds), slots, root)
    clock.fork_names = upgrade.fork_names(s)
    return clock


class BeaconProbe:
    async def clock(self, endpoint: Endpoint, ctx: ProbeContext) -> Clock:
        clock = ctx.cache.get("clock")
        expected = getattr(ctx.chain, "genesis_validators_root", None)
        if expected and clock is not None and time.monotonic() - ctx.cache.get("clock_at", -1e9) > GENESIS_TTL:
            clock = None  # re-check the network identity now and then
        if clock is None:
            clock = await read_clock(lambda label, path: ctx.request(endpoint, label, method="GET", path=path))
            if expected and clock.genesis_validators_root != expected.lower():
                ctx.cache.pop("clock", None)  # not cached: read again next round, so a fixed endpoint recovers
                raise ProbeFailure("wrong_chain", f"genesis_validators_root {clock.genesis_validators_root or 'missing'}, expected {expected.lower()}")
            ctx.cache["clock"] = clock
            ctx.cache["clock_at"] = time.monotonic()
            configured = getattr(ctx.chain, "seconds_per_slot", None)
            if configured and configured != clock.seconds_per_slot:
                log.warning(
                    "configured seconds_per_slot differs from the node's spec; lag in seconds uses the configured value",
                    extra={"endpoint": endpoint.name, "configured": configured, "spec": clock.seconds_per_slot},
                )
        return clock

    async def run(self, endpoint: Endpoint, ctx: ProbeContext, result: ProbeResult) -> None:
        clock = await self.clock(endpoint, ctx)

        def get(label: str, path: str, ok=UNSUPPORTED):
            return ctx.request(endpoint, label, method="GET", path=path, ok_statuses=ok)

        want_version = time.monotonic() - ctx.cache.get("version_at", -1e9) > VERSION_TTL
        calls = {
            "syncing": get("syncing", "/eth/v1/node/syncing", ()),
            "health": get("health", "/eth/v1/node/health", UNSUPPORTED + HEALTH_ANSWERS),
            "peer_count": get("peer_count", "/eth/v1/node/peer_count"),
            "peers": get("peers", "/eth/v1/node/peers?state=connected"),
            "finality": get("finality", "/eth/v1/beacon/states/head/finality_checkpoints"),
        }
        if want_version:
            calls["version"] = get("version", "/eth/v1/node/version")
        answers = dict(zip(calls, await asyncio.gather(*calls.values(), return_exceptions=True)))
        for value in answers.values():
            if isinstance(value, BaseException) and not isinstance(value, ProbeFailure):
                raise value
        now = time.time()

        syncing = answers["syncing"]
        if isinstance(syncing, ProbeFailure):
            raise syncing
        s = data_of(syncing, "syncing")
        if not isinstance(s, dict):
            raise invalid("syncing: 'data' is not an object")
        head = uint(s.get("head_slot"), "syncing.head_slot")
        result.head_height = head
        result.head_timestamp = clock.slot_start(head)
        result.expected_head = clock.slot_at(now)
        result.set("chainwatch_head_height", head)
        result.set("chainwatch_head_age_seconds", round(max(0.0, now - result.head_timestamp), 3))
        with result.optional("syncing.sync_distance"):
            result.set("chainwatch_beacon_sync_distance_slots", uint(s.get("sync_distance"), "syncing.sync_distance"))
        with result.optional("syncing.is_syncing"):
            result.set("chainwatch_syncing", flag(s.get("is_syncing"), "syncing.is_syncing"))
        for key in ("is_optimistic", "el_offline"):
            if key in s:  # newer fields: absent on older clients (Lodestar 1.5.1 lacks el_offline)
                with result.optional(f"syncing.{key}"):
                    result.set(f"chainwatch_beacon_{key.removeprefix('is_')}", flag(s[key], f"syncing.{key}"))

        def answered(name: str) -> Reply | None:
            """An optional route's reply; None when unsupported (absent); raises when it failed
            (caught by ``result.optional``: dropped and counted, unless rate limited or out of time)."""
            value = answers.get(name)
            if isinstance(value, ProbeFailure):
                raise value
            if value is None or not rest.supported(value.status):
                return None
            return value

        with result.optional("health"):
            if (health := answered("health")) is not None:
                result.set("chainwatch_beacon_health_status_code", health.status)

        with result.optional("peer_count"):
            if (peer_count := answered("peer_count")) is not None:
                counts = data_of(peer_count, "peer_count")
                if not isinstance(counts, dict):
                    raise invalid("peer_count: 'data' is not an object")
                for state in PEER_STATES:
                    if state in counts:
                        with result.optional(f"peer_count.{state}"):
                            result.set("chainwatch_beacon_peers", uint(counts[state], f"peer_count.{state}"), state=state)
                if "connected" in counts:
                    with result.optional("peer_count.connected"):
                        result.set("chainwatch_peers", uint(counts["connected"], "peer_count.connected"))

        with result.optional("peers"):
            if (peers := answered("peers")) is not None:
                listed = data_of(peers, "peers")
                if not isinstance(listed, list):
                    raise invalid("peers: 'data' is not a list")
                by_direction = dict.fromkeys(DIRECTIONS, 0)
                for peer in listed:
                    if (
                        isinstance(peer, dict) and peer.get("state", "connected") == "connected" and peer.get("direction") in DIRECTIONS
                    ):  # tuple: no hashing of server values
                        by_direction[peer["direction"]] += 1
                for direction, n in by_direction.items():
                    result.set("chainwatch_beacon_connected_peers", n, direction=direction)
                if result.get("chainwatch_peers") is None:
                    result.set("chainwatch_peers", sum(by_direction.values()))

        with result.optional("finality_checkpoints"):
            if (finality := answered("finality")) is not None:
                f = data_of(finality, "finality_checkpoints")
                try:
                    finalized = uint(f["finalized"]["epoch"], "finalized.epoch")
                    justified = uint(f["current_justified"]["epoch"], "current_justified.epoch")
                    roots = {"finalized": f["finalized"].get("root"), "current_justified": f["current_justified"].get("root")}
                except (KeyError, TypeError, AttributeError):
                    raise invalid("finality_checkpoints: missing finalized/current_justified epoch") from None
                wall_epoch = clock.epoch_at(now)
                for key, epoch in (("finalized", finalized), ("current_justified", justified)):
                    if epoch == 0 and zero_hash(roots[key]):  # the genesis placeholder: nothing finalized (justified) yet
                        result.unknown(f"finality_checkpoints.{key}", "epoch 0, zero root")
                    elif key == "finalized":
                        result.set("chainwatch_beacon_finalized_epoch", finalized)
                        result.set("chainwatch_beacon_epochs_since_finalized", max(0, wall_epoch - finalized))
                    else:
                        result.set("chainwatch_beacon_epochs_since_justified", max(0, wall_epoch - justified))

        if "version" in answers:
            with result.optional("version"):
                version = answered("version")
                if version is None:
                    ctx.cache["client_version"] = "unknown"
                else:
                    v = data_of(version, "version")
                    ctx.cache["client_version"] = client_version_label(v.get("version") if isinstance(v, dict) else v)
                ctx.cache["version_at"] = time.monotonic()
        if "client_version" in ctx.cache:
            result.client_version(ctx.cache["client_version"])
        if getattr(ctx.chain, "upgrades", None) is not None:
            await upgrade.read(lambda label, path: get(label, path, ()), ctx, result, clock, data_of, uint)


PROBE = BeaconProbe()
